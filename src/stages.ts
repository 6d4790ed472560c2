/**
 * Plugs the later stages (lifecycle, triage extras, post-mortem, diagnostics, mitigations) into the
 * composition root. Kept apart from deps.ts so each stage wires its jobs, hooks and routes in one place.
 */
import type { Deps } from './deps.js';
import { incidentDocRoutes } from './handlers/http/incidents.js';
import { CheckJob, DiagnoseJob, finishDiagnosis, rerunDiagnosis, runCheckJob, startDiagnosis, updateProgress, type EngineDeps } from './workflows/diagnostics/engine.js';
import { IncidentJob, parseJob } from './workflows/jobs.js';
import { ProposalJob, decide, execute, expire, propose, proposeFromAssessment, proposeRevert, verify } from './workflows/mitigations.js';
import {
  LifecycleJob,
  PostmortemJob,
  RemindJob,
  archiveChannel,
  buildPostmortem,
  captureSlackEvent,
  draftPostmortem,
  onLifecycle,
  remind,
  requestPostmortem,
  timelineView,
} from './workflows/lifecycle.js';

export function wireStages(deps: Deps): Deps {
  const w = deps.workflow;
  w.postmortem = requestPostmortem;
  w.timeline = timelineView;
  w.slackEvent = captureSlackEvent;
  w.diagnose = (d, incident, userId) => rerunDiagnosis(d, incident.id, userId);
  // Without a cluster or an Alertmanager there is nothing to act on: /incident rollback etc. say so.
  if (w.kubernetes || w.alertmanager) w.propose = (d, incident, m, requestedBy) => propose(d, incident, m, requestedBy);
  w.decide = decide;
  w.revert = proposeRevert;
  // The assessment's proposals become proposal cards.
  // Built once, after every hook above is set.
  const engine: EngineDeps = { ...w, flows: deps.queues, onAssessment: proposeFromAssessment };

  const jobs = (d: Deps) => ({
    'execute-mitigation': async (data: Record<string, unknown>) => execute(d.workflow, parseJob(ProposalJob, data, 'execute-mitigation').proposalId),
    'verify-mitigation': async (data: Record<string, unknown>, job: { signal?: AbortSignal }) => verify(d.workflow, parseJob(ProposalJob, data, 'verify-mitigation').proposalId, job.signal),
    'expire-proposal': async (data: Record<string, unknown>) => expire(d.workflow, parseJob(ProposalJob, data, 'expire-proposal').proposalId),
    diagnose: async (data: Record<string, unknown>) => {
      const j = parseJob(DiagnoseJob, data, 'diagnose');
      return startDiagnosis(engine, j.incidentId, j.runId);
    },
    'diagnose-check': async (data: Record<string, unknown>, job: { attemptsMade: number; attempts: number; signal?: AbortSignal }) => runCheckJob(engine, parseJob(CheckJob, data, 'diagnose-check'), job),
    'diagnose-assess': async (data: Record<string, unknown>) => {
      const j = parseJob(DiagnoseJob, data, 'diagnose-assess');
      await finishDiagnosis(engine, j.incidentId, j.runId);
    },
    'diagnose-progress': async (data: Record<string, unknown>) => {
      const j = parseJob(DiagnoseJob, data, 'diagnose-progress');
      await updateProgress(engine, j.incidentId, j.runId);
    },
    command: async (data: Record<string, unknown>) => onLifecycle(d.workflow, parseJob(LifecycleJob, data, 'command')),
    remind: async (data: Record<string, unknown>) => remind(d.workflow, parseJob(RemindJob, data, 'remind')),
    postmortem: async (data: Record<string, unknown>) => draftPostmortem(d.workflow, parseJob(PostmortemJob, data, 'postmortem')),
    archive: async (data: Record<string, unknown>) => archiveChannel(d.workflow, parseJob(IncidentJob, data, 'archive').incidentId),
  });

  const routes = incidentDocRoutes({
    token: deps.env.WARROOM_API_TOKEN,
    postmortem: async (id) => ((await w.store.getIncident(id)) ? buildPostmortem(w, id) : undefined),
    timeline: async (id) => {
      const incident = await w.store.getIncident(id);
      return incident ? { incident, events: await w.store.timeline(id) } : undefined;
    },
  });

  return { ...deps, extraRoutes: [...(deps.extraRoutes ?? []), ...routes], extraJobs: (d) => ({ ...(deps.extraJobs?.(d) ?? {}), ...jobs(d) }) };
}
