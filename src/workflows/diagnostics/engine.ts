/**
 * The queued diagnostics engine. A run is a BullMQ flow: one `diagnose-assess` parent and one
 * `diagnose-check` child per (subject, check). Checks whose dependencies are met start at once;
 * a check that completes adds its dependants and the checks of the subjects it discovered as new
 * children of the same parent (deterministic job ids: adding twice is a no-op). The parent runs
 * when every child has finished and writes the assessment. Findings are stored once per run and
 * posted at most once, so a restart or a redelivery never posts a finding twice.
 */
import { z } from 'zod';
import { Finding, Subject, type Assessment } from '../../domain/diagnostics.js';
import { IncidentAlert } from '../../domain/incident.js';
import { AppError, isRetryable } from '../../errors.js';
import type { Ports } from '../context.js';
import { assessmentDocKey } from '../lifecycle.js';
import { nextWindow, prepareJob, type JobContext } from '../jobs/define.js';
import { diagnoseAssessJob } from '../jobs/diagnose-assess.js';
import { checkJobId, diagnoseCheckJob, type CheckData } from '../jobs/diagnose-check.js';
import { diagnoseProgressJob } from '../jobs/diagnose-progress.js';
import { diagnoseJob } from '../jobs/diagnose.js';
import { proposeFromAssessment } from '../mitigations.js';
import { assess } from './assessment.js';
import { checkById } from './catalogue.js';
import { checksFor, planFor } from './plan.js';
import { errorFinding, factsFor } from './runner.js';
import { factsForDiscovered, subjectKey, type CheckResult } from './types.js';

type CheckJob = CheckData;

const StoredResult = z.object({ findings: z.array(Finding), discovered: z.array(Subject), handOn: z.record(z.string(), z.unknown()) });
type StoredResult = z.infer<typeof StoredResult>;

const MAX_SUBJECTS = 25;
const key = {
  progressTs: (i: string, r: string) => `diag-progress-ts-${i}-${r}`,
  result: (i: string, r: string, s: string, c: string) => `diag-result-${i}-${r}-${s}-${c}`,
  scheduled: (i: string, r: string) => `diag-scheduled-${i}-${r}`,
  done: (i: string, r: string) => `diag-done-${i}-${r}`,
  subjects: (i: string, r: string) => `diag-subjects-${i}-${r}`,
};

async function incidentContext(deps: Ports, incidentId: string) {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident) throw new AppError('not_found', `no incident ${incidentId}`);
  // IncidentAlert keeps the transitions (first flap) that change-correlation falls back on.
  const alerts = (await deps.store.listAlerts(incidentId)).map((a) => IncidentAlert.parse(a));
  const firing = alerts.filter((a) => a.status === 'firing');
  const starts = (firing.length ? firing : alerts).map((a) => Date.parse(a.startsAt)).filter(Number.isFinite);
  const startedAt = new Date(starts.length ? Math.max(...starts) : Date.parse(incident.createdAt));
  return { incident, alerts, startedAt };
}

/**
 * Schedules one check as a child of the run's parent. The job id is deterministic, so adding it twice
 * is a no-op; the claim only keeps the progress count honest. Never skipped on a retry.
 */
async function schedule(deps: Ports, job: CheckJob, viaParent: boolean): Promise<void> {
  const id = checkJobId(job);
  if (await deps.store.claimOnce(`sched-${id}`, 24 * 3_600_000)) await deps.store.pushDoc(key.scheduled(job.incidentId, job.runId), { check: job.check, subject: subjectKey(job.subject) });
  if (viaParent) await deps.queue.addChild(assessOf(job), checkOf(deps, job));
}

const assessOf = (run: { incidentId: string; runId: string }) => prepareJob(diagnoseAssessJob, { incidentId: run.incidentId, runId: run.runId });
const checkOf = (deps: Ports, job: CheckJob) => prepareJob(diagnoseCheckJob, job, { attempts: deps.config.diagnostics.attempts });

/** Entry: post the progress message, plan the subjects and start the flow. */
export async function startDiagnosis(deps: Ports, incidentId: string, runId: string, requestedBy?: string): Promise<void> {
  const { incident, alerts } = await incidentContext(deps, incidentId);
  if (!incident.channelId) throw new AppError('unavailable', `incident ${incidentId} has no channel yet`);
  if (!(await deps.store.getDoc<string>(key.progressTs(incidentId, runId)))) {
    if (await deps.store.claimOnce(`progress-post-${incidentId}-${runId}`, 0)) {
      const { ts } = await deps.chat.post(incident.channelId, deps.render.progress({ incidentId, runId, total: 0, done: [], finished: false }));
      await deps.store.setDoc(key.progressTs(incidentId, runId), ts);
      await deps.store.appendTimeline(incidentId, { at: deps.clock.now().toISOString(), kind: 'diagnosis.started', actor: 'warroom', text: `Diagnosis ${runId} started`, data: { runId, ...(requestedBy ? { requestedBy } : {}) } }, `diag-start-${runId}`);
    }
  }
  const roots: CheckJob[] = [];
  for (const subject of planFor(alerts)) {
    await deps.store.pushDoc(key.subjects(incidentId, runId), subjectKey(subject));
    const checks = checksFor(subject, alerts);
    for (const check of checks) {
      if ((check.dependsOn ?? []).some((d) => checks.some((c) => c.id === d))) continue;
      roots.push({ incidentId, runId, subject, check: check.id, inherited: {} });
    }
  }
  for (const r of roots) await schedule(deps, r, false);
  await deps.queue.addFlow(assessOf({ incidentId, runId }), roots.map((r) => checkOf(deps, r)));
}

function withTimeout(parent: AbortSignal | undefined, ms: number): { signal: AbortSignal; clear: () => void } {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(new AppError('timeout', `check timed out after ${ms} ms`)), ms);
  const onAbort = () => ctrl.abort(parent?.reason ?? new AppError('timeout', 'cancelled'));
  parent?.addEventListener('abort', onAbort, { once: true });
  return { signal: ctrl.signal, clear: () => (clearTimeout(t), parent?.removeEventListener('abort', onAbort)) };
}

async function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason;
  return Promise.race([p, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
}

/** One check on one subject: run with a timeout; retry transient errors; a final failure becomes a finding. */
export async function runCheckJob(deps: Ports, job: CheckJob, attempt: Pick<JobContext, 'attemptsMade' | 'attempts' | 'signal'>): Promise<void> {
  const sKey = subjectKey(job.subject);
  const resultKey = key.result(job.incidentId, job.runId, sKey, job.check);
  const loaded = await deps.store.getDoc<unknown>(resultKey);
  let stored: StoredResult | undefined = loaded === undefined ? undefined : StoredResult.parse(loaded);
  const { incident, alerts, startedAt } = await incidentContext(deps, job.incidentId);
  const check = checkById(job.check);
  if (!stored) {
    let result: CheckResult;
    let facts: Record<string, unknown> = job.inherited;
    if (!check) result = { findings: [errorFinding(job.check, job.subject, new AppError('internal', `unknown check ${job.check}`))], discovered: [] };
    else {
      const deps_ = await Promise.all((check.dependsOn ?? []).map(async (d) => [d, await deps.store.getDoc<StoredResult>(key.result(job.incidentId, job.runId, sKey, d))] as const));
      const results = new Map<string, CheckResult>(deps_.filter(([, r]) => r).map(([d, r]) => [d, r as StoredResult]));
      facts = factsFor(job.inherited, check.dependsOn, results);
      const { signal, clear } = withTimeout(attempt.signal, deps.config.diagnostics.checkTimeout);
      try {
        result = await raceSignal(
          check.run({ subject: job.subject, incident: { id: incident.id, startedAt, alerts }, now: deps.clock.now(), signal, ports: { ...(deps.cloudwatch ? { cloudwatch: deps.cloudwatch } : {}), ...(deps.kubernetes ? { kubernetes: deps.kubernetes } : {}), ...(deps.prometheus ? { prometheus: deps.prometheus } : {}) }, facts }),
          signal,
        );
      } catch (e) {
        const last = attempt.attemptsMade + 1 >= attempt.attempts;
        if (isRetryable(e) && !last) throw e; // BullMQ retries with backoff
        deps.log.warn({ err: e, check: job.check, subject: sKey }, 'check failed; recorded as a finding');
        result = { findings: [errorFinding(job.check, job.subject, e)], discovered: [] };
      } finally {
        clear();
      }
    }
    // Discovered subjects inherit what this check knew (its facts) plus what it found.
    const handOn = factsForDiscovered(facts, result);
    stored = { findings: result.findings, discovered: result.discovered, handOn };
    await deps.store.setDoc(resultKey, stored, 7 * 24 * 3_600_000);
  }

  // Findings: stored once per run; each posted at most once as a reply under the progress message.
  const progressTs = await deps.store.getDoc<string>(key.progressTs(job.incidentId, job.runId));
  for (const f of stored.findings) {
    await deps.store.saveFinding(job.incidentId, job.runId, f);
    if (incident.channelId && progressTs && (await deps.store.claimOnce(`posted-${job.incidentId}-${job.runId}-${f.id}`, 0))) {
      await deps.chat.post(incident.channelId, deps.render.finding(f), { threadTs: progressTs });
      await deps.store.appendTimeline(job.incidentId, { at: deps.clock.now().toISOString(), kind: 'diagnosis.finding', actor: 'warroom', text: f.title, data: { findingId: f.id, severity: f.severity, runId: job.runId } }, `finding-${job.runId}-${f.id}`);
    }
  }
  if (await deps.store.claimOnce(`done-${checkJobId(job)}`, 24 * 3_600_000)) {
    const ok = !stored.findings.some((f) => f.severity === 'error');
    await deps.store.pushDoc(key.done(job.incidentId, job.runId), { check: `${job.check} · ${sKey}`, ok, title: stored.findings[0]?.title ?? 'nothing notable' });
  }

  // Dependants on the same subject whose dependencies are all done.
  for (const next of checksFor(job.subject, alerts)) {
    if (!(next.dependsOn ?? []).includes(job.check)) continue;
    const ready = await Promise.all((next.dependsOn ?? []).map((d) => deps.store.getDoc(key.result(job.incidentId, job.runId, sKey, d))));
    if (ready.every(Boolean)) await schedule(deps, { ...job, check: next.id, inherited: job.inherited }, true);
  }
  // Discovered subjects get their own checks, carrying what was learnt.
  const known = new Set(await deps.store.listDocs<string>(key.subjects(job.incidentId, job.runId)));
  for (const subject of stored.discovered) {
    const k = subjectKey(subject);
    if (known.size >= MAX_SUBJECTS) break;
    if (await deps.store.claimOnce(`subject-${job.incidentId}-${job.runId}-${Buffer.from(k).toString('base64url')}`, 24 * 3_600_000)) {
      await deps.store.pushDoc(key.subjects(job.incidentId, job.runId), k);
      known.add(k);
    }
    const checks = checksFor(subject, alerts);
    for (const c of checks) {
      if ((c.dependsOn ?? []).some((d) => checks.some((x) => x.id === d))) continue;
      await schedule(deps, { incidentId: job.incidentId, runId: job.runId, subject, check: c.id, inherited: stored.handOn }, true);
    }
  }
  await scheduleProgress(deps, job.incidentId, job.runId);
}

/** Progress updates are coalesced: at most one per run per second. */
const PROGRESS_INTERVAL_MS = 1000;

async function scheduleProgress(deps: Ports, incidentId: string, runId: string): Promise<void> {
  const { window, delayMs } = nextWindow(deps.clock.now().getTime(), PROGRESS_INTERVAL_MS);
  await deps.queue.enqueue(diagnoseProgressJob, { incidentId, runId, window }, { delayMs });
}

async function renderProgress(deps: Ports, incidentId: string, runId: string, finished: boolean) {
  const [done, scheduled] = await Promise.all([
    deps.store.listDocs<{ check: string; ok: boolean; title: string }>(key.done(incidentId, runId)),
    deps.store.listDocs<unknown>(key.scheduled(incidentId, runId)),
  ]);
  return deps.render.progress({ incidentId, runId, total: Math.max(scheduled.length, done.length), done, finished });
}

/** Coalesced (one per second at most): the progress message updated in place. */
export async function updateProgress(deps: Ports, incidentId: string, runId: string): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const ts = await deps.store.getDoc<string>(key.progressTs(incidentId, runId));
  if (!incident?.channelId || !ts) return;
  const finished = Boolean(await deps.store.getDoc(`diag-finished-${incidentId}-${runId}`));
  await deps.chat.update(incident.channelId, ts, await renderProgress(deps, incidentId, runId, finished));
}

/** The parent: every check has finished; rank the hypotheses and post the assessment. */
export async function finishDiagnosis(deps: Ports, incidentId: string, runId: string): Promise<Assessment> {
  const findings = await deps.store.listFindings(incidentId, runId);
  const assessment = assess(incidentId, findings);
  await deps.store.setDoc(assessmentDocKey(incidentId), assessment);
  await deps.store.setDoc(`diag-finished-${incidentId}-${runId}`, true);
  const incident = await deps.store.getIncident(incidentId);
  if (incident?.channelId && (await deps.store.claimOnce(`assessment-posted-${incidentId}-${runId}`, 0))) {
    const ts = await deps.store.getDoc<string>(key.progressTs(incidentId, runId));
    if (ts) await deps.chat.update(incident.channelId, ts, await renderProgress(deps, incidentId, runId, true));
    await deps.chat.post(incident.channelId, deps.render.assessment(assessment));
    const top = assessment.hypotheses[0];
    await deps.store.appendTimeline(
      incidentId,
      { at: deps.clock.now().toISOString(), kind: 'diagnosis.assessment', actor: 'warroom', text: `Assessment: ${assessment.summary}`, data: { runId, top: top?.id, verdicts: Object.fromEntries(assessment.hypotheses.map((h) => [h.id, h.verdict])) } },
      `assessment-${runId}`,
    );
  }
  // The assessment's proposals become proposal cards.
  await proposeFromAssessment(deps, incidentId, runId, assessment);
  return assessment;
}

export async function rerunDiagnosis(deps: Ports, incidentId: string, userId: string): Promise<{ ok: boolean; message: string }> {
  if (!deps.config.diagnostics.enabled) return { ok: false, message: 'Diagnostics are disabled in the config.' };
  const runId = `r${deps.clock.now().getTime()}`;
  await deps.queue.enqueue(diagnoseJob, { incidentId, runId, requestedBy: userId });
  return { ok: true, message: `Diagnosis ${runId} started; findings will appear in the channel.` };
}
