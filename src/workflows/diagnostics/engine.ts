/**
 * The queued diagnostics engine. A run is a BullMQ flow: one `diagnose-assess` parent and one
 * `diagnose-check` child per (subject, check). Checks whose dependencies are met start at once;
 * a check that completes adds its dependants and the checks of the subjects it discovered as new
 * children of the same parent (deterministic job ids: adding twice is a no-op). The parent runs
 * when every child has finished and writes the assessment. Findings are stored once per run by the
 * checks and posted by a separate coalesced job (`diagnose-findings`), bundled into as few thread
 * replies as fit, each marked posted once the post went through: a restart or a redelivery never
 * posts a finding twice, and neither the checks nor the assessment wait for Slack's pace per channel.
 */
import type { CheckOutcome, RunRef } from '../../domain/diagnosis-run.js';
import type { Assessment, Finding, Subject } from '../../domain/diagnostics.js';
import { IncidentAlert } from '../../domain/incident.js';
import { AppError, errorMessage, isAppError, isRetryable, retryAfterOf } from '../../errors.js';
import type { Ports } from '../context.js';
import { requireIncident } from '../incidents.js';
import { nextWindow, prepareJob, type JobContext } from '../jobs/define.js';
import { diagnoseAssessJob } from '../jobs/diagnose-assess.js';
import { checkJobId, diagnoseCheckJob, type CheckData } from '../jobs/diagnose-check.js';
import { diagnoseFindingsJob } from '../jobs/diagnose-findings.js';
import { diagnoseProgressJob } from '../jobs/diagnose-progress.js';
import { diagnoseJob } from '../jobs/diagnose.js';
import { proposeFromAssessment } from '../mitigations/index.js';
import { assess } from './assessment.js';
import { checkById } from './catalogue.js';
import { checksFor, planFor } from './plan.js';
import { factsForDiscovered, makeFinding, subjectKey, type CheckResult } from './types.js';
import { doneMark, doneOnce } from '../once.js';

type CheckJob = CheckData;

/** Subjects one run examines at most (discovery stops there). */
export const MAX_SUBJECTS = 25;

/** The facts a check gets: inherited facts, then the facts of the findings of the checks it depends on. */
export function factsFor(inherited: Record<string, unknown>, dependsOn: string[] | undefined, results: Map<string, CheckResult>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...inherited };
  for (const dep of dependsOn ?? []) {
    for (const f of results.get(dep)?.findings ?? []) {
      for (const [k, v] of Object.entries(f.facts)) if (k !== 'because' && k !== 'proposals') out[k] = v;
    }
  }
  return out;
}

/** The finding of a check that could not finish (its last attempt failed). */
export function errorFinding(check: string, subject: Subject, error: unknown): Finding {
  return makeFinding({
    check,
    subject,
    discriminator: 'error',
    severity: 'error',
    title: `Check ${check} failed`,
    summary: `${check} could not finish: ${errorMessage(error)}${isAppError(error) ? ` (${error.code})` : ''}`,
  });
}

/** The checks of a subject that depend on no other check of it: they start at once. */
function rootChecks(subject: Subject, alerts: IncidentAlert[]) {
  const checks = checksFor(subject, alerts);
  return checks.filter((check) => !(check.dependsOn ?? []).some((d) => checks.some((c) => c.id === d)));
}

async function incidentContext(deps: Ports, incidentId: string) {
  const incident = await requireIncident(deps, incidentId);
  // IncidentAlert keeps the transitions (first flap) that change-correlation falls back on.
  const alerts = (await deps.incidents.listAlerts(incidentId)).map((a) => IncidentAlert.parse(a));
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
  await deps.diagnosis.markScheduled(job, checkJobId(job));
  if (viaParent) await deps.queue.addChild(assessOf(job), checkOf(deps, job));
}

const assessOf = (run: { incidentId: string; runId: string }) => prepareJob(diagnoseAssessJob, { incidentId: run.incidentId, runId: run.runId });
const checkOf = (deps: Ports, job: CheckJob) => prepareJob(diagnoseCheckJob, job, { attempts: deps.config.diagnostics.attempts });

/** Entry: post the progress message, plan the subjects and start the flow. */
export async function startDiagnosis(deps: Ports, incidentId: string, runId: string, requestedBy?: string): Promise<void> {
  const { incident, alerts } = await incidentContext(deps, incidentId);
  const run: RunRef = { incidentId, runId };
  if (!incident.channelId) throw new AppError('unavailable', `incident ${incidentId} has no channel yet`);
  if (!(await deps.diagnosis.getProgressTs(run))) {
    // One diagnose job per run (deterministic id): the post is marked done once it went through, so a
    // post the Slack budget deferred is made when the job runs again.
    const channel = incident.channelId;
    const posted = await doneOnce(deps, `progress-post-${incidentId}-${runId}`, async () => {
      const { ts } = await deps.chat.post(channel, deps.render.progress({ incidentId, runId, total: 0, done: [], finished: false }));
      await deps.diagnosis.setProgressTs(run, ts);
    });
    if (posted) {
      await deps.timeline.append(incidentId, { at: deps.clock.now().toISOString(), kind: 'diagnosis.started', actor: 'warroom', text: `Diagnosis ${runId} started`, data: { runId, ...(requestedBy ? { requestedBy } : {}) } }, `diag-start-${runId}`);
    }
  }
  const roots: CheckJob[] = [];
  for (const subject of planFor(alerts)) {
    await deps.diagnosis.addSubject(run, subjectKey(subject));
    for (const check of rootChecks(subject, alerts)) roots.push({ incidentId, runId, subject, check: check.id, inherited: {} });
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
  let stored: CheckOutcome | undefined = await deps.diagnosis.getOutcome(job, sKey, job.check);
  const { incident, alerts, startedAt } = await incidentContext(deps, job.incidentId);
  const check = checkById(job.check);
  if (!stored) {
    let result: CheckResult;
    let facts: Record<string, unknown> = job.inherited;
    if (!check) result = { findings: [errorFinding(job.check, job.subject, new AppError('internal', `unknown check ${job.check}`))], discovered: [] };
    else {
      const before = await Promise.all((check.dependsOn ?? []).map(async (d) => [d, await deps.diagnosis.getOutcome(job, sKey, d)] as const));
      const results = new Map<string, CheckResult>(before.filter((e): e is readonly [string, CheckOutcome] => e[1] !== undefined));
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
    await deps.diagnosis.saveOutcome(job, sKey, job.check, stored);
  }

  // Findings: stored once per run; posted by the run's findings job (postFindings), never here, so a
  // check is never behind Slack's pace for the channel.
  for (const f of stored.findings) await deps.diagnosis.saveFinding(job, f);
  if (stored.findings.length) await scheduleFindingsPost(deps, job);
  const ok = !stored.findings.some((f) => f.severity === 'error');
  await deps.diagnosis.markDone(job, checkJobId(job), { check: `${job.check} · ${sKey}`, ok, title: stored.findings[0]?.title ?? 'nothing notable' });

  // Dependants on the same subject whose dependencies are all done.
  for (const next of checksFor(job.subject, alerts)) {
    if (!(next.dependsOn ?? []).includes(job.check)) continue;
    const ready = await Promise.all((next.dependsOn ?? []).map((d) => deps.diagnosis.getOutcome(job, sKey, d)));
    if (ready.every(Boolean)) await schedule(deps, { ...job, check: next.id, inherited: job.inherited }, true);
  }
  // Discovered subjects get their own checks, carrying what was learnt.
  const known = new Set(await deps.diagnosis.listSubjects(job));
  for (const subject of stored.discovered) {
    const k = subjectKey(subject);
    if (known.size >= MAX_SUBJECTS) break;
    if (await deps.diagnosis.addSubject(job, k)) known.add(k);
    for (const c of rootChecks(subject, alerts)) await schedule(deps, { incidentId: job.incidentId, runId: job.runId, subject, check: c.id, inherited: stored.handOn }, true);
  }
  await scheduleProgress(deps, job.incidentId, job.runId);
}

/** The run's findings sequence: a findings job stands for one number; running it moves the number on. */
const findingsSeq = (run: RunRef) => `findings-seq-${run.incidentId}-${run.runId}`;
/** The generation of the run's posting lease: releasing it moves to the next generation. */
const findingsLeaseGen = (run: RunRef) => `findings-lease-gen-${run.incidentId}-${run.runId}`;
/** How long a posting lease outlives a worker that died holding it (the same job taken up again takes it over at once). */
const FINDINGS_LEASE_MS = 60_000;
/** When a findings job that found another one posting asks again. */
const FINDINGS_BUSY_RETRY_MS = 500;
/**
 * The findings of the reply being posted: set before the post, cleared once they are marked. A job that
 * finds it set took over from one that died between Slack's answer and the marks (settleInFlight).
 */
const findingsInFlight = (run: RunRef) => `findings-inflight-${run.incidentId}-${run.runId}`;
/** A finding's posted mark (the key doneOnce used before findings were bundled, so runs in flight keep theirs). */
const postedMark = (run: RunRef, f: Finding) => doneMark(`posted-${run.incidentId}-${run.runId}-${f.id}`);

/**
 * Coalesced findings post: at most one waits per run. The job's id carries the run's findings
 * sequence number, so every check that stores findings until that job starts asks for the same job
 * (a no-op add); the job moves the number on before it reads the findings, so findings stored while
 * it runs ask for the next one.
 */
export async function scheduleFindingsPost(deps: Ports, run: RunRef, delayMs = 0): Promise<void> {
  const seq = await deps.claims.count(findingsSeq(run));
  await deps.queue.enqueue(diagnoseFindingsJob, { incidentId: run.incidentId, runId: run.runId, seq }, delayMs ? { delayMs } : {});
}

/**
 * The run's posting lease, so two findings jobs never post the same finding (a job asked for while
 * another posts may start at once). Taken per generation with claimOnce; released by moving to the
 * next generation. The job that holds it (its deterministic id) takes it over when it runs again after
 * its worker died. The release, or undefined when another job holds it.
 */
async function takeFindingsLease(deps: Ports, run: RunRef, holder: string): Promise<(() => Promise<void>) | undefined> {
  const key = `findings-lease-${run.incidentId}-${run.runId}-g${await deps.claims.count(findingsLeaseGen(run))}`;
  if (await deps.claims.claimOnce(key, FINDINGS_LEASE_MS)) await deps.claims.setValue(key, holder, FINDINGS_LEASE_MS);
  else if ((await deps.claims.getValue(key)) !== holder) return undefined;
  return async () => void (await deps.claims.increment(findingsLeaseGen(run), 0));
}

/**
 * The findings job: posts every finding of the run not posted yet under the progress message, those
 * ready bundled into as few replies as fit (render.findings), and marks each posted after its reply
 * went through. Throttled by Slack's budget, it asks for the run's next findings job after the
 * budget's wait (coalesced with what the checks ask for meanwhile), which posts the rest: deferred,
 * never lost. A redelivered or older job does the same (it finds nothing left, or what its
 * predecessor did not get to).
 */
export async function postFindings(deps: Ports, run: RunRef, seq: number, jobId: string): Promise<void> {
  if ((await deps.claims.count(findingsSeq(run))) === seq) await deps.claims.increment(findingsSeq(run), 0);
  const incident = await deps.incidents.get(run.incidentId);
  const channel = incident?.channelId;
  const threadTs = await deps.diagnosis.getProgressTs(run);
  if (!channel || !threadTs) return; // the progress message is posted before any check runs
  const release = await takeFindingsLease(deps, run, jobId);
  if (!release) return scheduleFindingsPost(deps, run, FINDINGS_BUSY_RETRY_MS);
  try {
    await settleInFlight(deps, run, channel, threadTs);
    const all = await deps.diagnosis.listFindings(run.incidentId, run.runId);
    const marks = await Promise.all(all.map((f) => deps.claims.getValue(postedMark(run, f))));
    const unposted = all.filter((_, i) => !marks[i]);
    for (const reply of deps.render.findings(unposted)) {
      await deps.claims.setValue(findingsInFlight(run), reply.findings.map((f) => f.id).join('\n'), 0);
      try {
        await deps.chat.post(channel, reply.message, { threadTs });
      } catch (e) {
        // Throttled (the budget or Slack refused it: not posted): the run's next findings job comes
        // back then (one waits per run, however many checks ask meanwhile). Any other failure may have
        // posted it: the in-flight mark stays for the next job to settle.
        const after = retryAfterOf(e);
        if (after === undefined) throw e;
        await deps.claims.setValue(findingsInFlight(run), '', 1);
        return await scheduleFindingsPost(deps, run, Math.max(after, 1));
      }
      await markPosted(deps, run, reply.findings);
      await deps.claims.setValue(findingsInFlight(run), '', 1);
    }
  } finally {
    await release();
  }
}

/** Marks findings posted, then records them on the timeline (once per finding). */
async function markPosted(deps: Ports, run: RunRef, findings: readonly Finding[]): Promise<void> {
  await Promise.all(findings.map((f) => deps.claims.setValue(postedMark(run, f), '1', 0)));
  for (const f of findings) {
    await deps.timeline.append(run.incidentId, { at: deps.clock.now().toISOString(), kind: 'diagnosis.finding', actor: 'warroom', text: f.title, data: { findingId: f.id, severity: f.severity, runId: run.runId } }, `finding-${run.runId}-${f.id}`);
  }
}

/**
 * A reply was being posted when its job died (or its post failed other than throttled): whether it
 * went through is read back from the thread (conversations.replies), and the findings it holds are
 * marked posted, so they are not posted again. Runs under the posting lease.
 */
async function settleInFlight(deps: Ports, run: RunRef, channel: string, threadTs: string): Promise<void> {
  const ids = ((await deps.claims.getValue(findingsInFlight(run))) ?? '').split('\n').filter(Boolean);
  if (!ids.length) return;
  const posted = new Set(deps.render.findingsIn(await deps.chat.threadReplies(channel, threadTs), ids));
  if (posted.size) {
    const findings = await deps.diagnosis.listFindings(run.incidentId, run.runId);
    await markPosted(deps, run, findings.filter((f) => posted.has(f.id)));
  }
  await deps.claims.setValue(findingsInFlight(run), '', 1);
}

/** Progress updates are coalesced: at most one per run per second. */
const PROGRESS_INTERVAL_MS = 1000;

async function scheduleProgress(deps: Ports, incidentId: string, runId: string): Promise<void> {
  const { window, delayMs } = nextWindow(deps.clock.now().getTime(), PROGRESS_INTERVAL_MS);
  await deps.queue.enqueue(diagnoseProgressJob, { incidentId, runId, window }, { delayMs });
}

async function renderProgress(deps: Ports, run: RunRef, finished: boolean) {
  const [done, scheduled] = await Promise.all([deps.diagnosis.listDone(run), deps.diagnosis.scheduledCount(run)]);
  return deps.render.progress({ ...run, total: Math.max(scheduled, done.length), done, finished });
}

/** Coalesced (one per second at most): the progress message updated in place. */
export async function updateProgress(deps: Ports, incidentId: string, runId: string): Promise<void> {
  const run: RunRef = { incidentId, runId };
  const incident = await deps.incidents.get(incidentId);
  const ts = await deps.diagnosis.getProgressTs(run);
  if (!incident?.channelId || !ts) return;
  await deps.chat.update(incident.channelId, ts, await renderProgress(deps, run, await deps.diagnosis.isFinished(run)));
}

/**
 * The parent: every check has finished; rank the hypotheses and post the assessment at once, whether or
 * not the findings job has posted every finding yet (they follow in the progress thread at Slack's pace).
 */
export async function finishDiagnosis(deps: Ports, incidentId: string, runId: string): Promise<Assessment> {
  const run: RunRef = { incidentId, runId };
  const findings = await deps.diagnosis.listFindings(incidentId, runId);
  const assessment = assess(incidentId, findings);
  await deps.diagnosis.saveAssessment(incidentId, assessment);
  await deps.diagnosis.markFinished(run);
  const incident = await deps.incidents.get(incidentId);
  const channel = incident?.channelId;
  const posted = channel
    ? await doneOnce(deps, `assessment-posted-${incidentId}-${runId}`, async () => {
        const ts = await deps.diagnosis.getProgressTs(run);
        if (ts) await deps.chat.update(channel, ts, await renderProgress(deps, run, true));
        await deps.chat.post(channel, deps.render.assessment(assessment));
      })
    : false;
  if (posted) {
    const top = assessment.hypotheses[0];
    await deps.timeline.append(
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
