/**
 * Plugs the later stages (lifecycle, triage extras, post-mortem, diagnostics, mitigations) into the
 * composition root. Kept apart from deps.ts so each stage wires its jobs, hooks and routes in one place.
 */
import type { Deps } from './deps.js';
import { incidentDocRoutes } from './handlers/http/incidents.js';
import { parseJob } from './workflows/jobs.js';
import { IncidentJob } from './workflows/jobs.js';
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

  const jobs = (d: Deps) => ({
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
