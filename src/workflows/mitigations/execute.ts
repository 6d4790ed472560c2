/**
 * The execute job: exactly once per proposal (deterministic job id + compare-and-set approved ->
 * executing), the pinned spec checked again, then the write conditional on the resourceVersion just read.
 *
 * A process killed after the claim (before the write, or while it is in flight) leaves the proposal
 * `executing`; BullMQ hands the stalled job to another worker, and this run finds it so and recovers:
 * it reads the target, and completes the action when the change is already there (the write landed)
 * or the object is still as pinned (the write never happened: it is made now, pinned as before);
 * otherwise it marks the proposal failed with the reason and proposes afresh, pinned to the object as
 * it is now (a new card). A recovery that cannot read the target is retried; on the job's last
 * attempt it fails with the reason. Killed again during that recovery, the job is failed by BullMQ
 * without running it (stalled more than allowable limit): its onAbandoned runs this once more, as a
 * last attempt (jobs/execute-mitigation.ts). The card never stays "executing".
 */
import type { Proposal } from '../../domain/proposal.js';
import { AppError, errorMessage, isAppError } from '../../errors.js';
import type { Ports } from '../context.js';
import { verifyMitigationJob } from '../jobs/verify-mitigation.js';
import type { JobContext } from '../jobs/define.js';
import { describeMitigation, kindOf } from './catalogue.js';
import { checkPinned } from './pin.js';
import { propose } from './propose.js';
import { BOT, record, refreshCard } from './record.js';

export async function execute(deps: Ports, proposalId: string, ctx?: Pick<JobContext, 'attemptsMade' | 'attempts' | 'attemptsStarted'>): Promise<void> {
  const now = deps.clock.now().toISOString();
  const claim = await deps.proposals.update(proposalId, (cur) => (cur.status === 'approved' ? { ...cur, status: 'executing', executingSince: now } : undefined));
  const p = claim?.value;
  // Claimed by an earlier run of this job that did not finish: it was interrupted (a worker that died
  // and whose job BullMQ took up again). Another run going on right now (no retry) is left alone.
  if (p && !claim.changed && p.status === 'executing' && ctx && ((ctx.attemptsStarted ?? 1) > 1 || ctx.attemptsMade > 0)) return recover(deps, p, ctx);
  // Interrupted between the write and queueing its verification: queue it (the same job id: once).
  if (p && !claim.changed && p.status === 'executed') return deps.queue.enqueue(verifyMitigationJob, { proposalId: p.id });
  if (!p || !claim.changed) {
    deps.log.info({ proposalId, status: p?.status }, 'execute: not in approved state; nothing to do (already executed or never approved)');
    return;
  }
  try {
    await resolvedGuard(deps, p);
    // Re-check the pinned spec, then write against the resourceVersion just read: a change in between is a 409.
    const pin = await checkPinned(deps, p);
    if (pin.stale) throw new AppError('stale', pin.stale);
    await write(deps, p, pin.resourceVersion);
  } catch (e) {
    await refuseOrFail(deps, p, e);
  }
}

async function resolvedGuard(deps: Ports, p: Proposal): Promise<void> {
  const incident = await deps.incidents.get(p.incidentId);
  if (!incident || incident.status === 'resolved') throw new AppError('stale', `${p.incidentId} was resolved before the change ran; nothing was changed`);
}

/** The pinned write, then executed: recorded, the card updated, verification queued. */
async function write(deps: Ports, p: Proposal, resourceVersion: string | undefined, note = ''): Promise<void> {
  const r = await kindOf(p.mitigation).apply(deps, p, p.mitigation, resourceVersion ? { expectResourceVersion: resourceVersion } : {});
  await executed(deps, p, { outcome: r.result?.noop ?? `Executed at ${deps.clock.now().toISOString()}${note}; verifying…`, diff: r.result?.diff ?? p.diff, ...(r.silenceId ? { silenceId: r.silenceId } : {}) });
}

async function executed(deps: Ports, p: Proposal, r: { outcome: string; diff: Proposal['diff']; silenceId?: string }): Promise<void> {
  const approvedBy = p.approvals.map((a) => a.userId);
  const done = (await deps.proposals.update(p.id, (cur) => (cur.status === 'executing' ? { ...cur, status: 'executed', outcome: r.outcome, ...(r.silenceId ? { silenceId: r.silenceId } : {}) } : undefined)))?.value;
  if (!done || done.status !== 'executed') return;
  await record(deps, done, 'mitigation.executed', BOT, `Executed ${describeMitigation(p.mitigation)} (approved by ${approvedBy.map((u) => `<@${u}>`).join(', ')})`, { approvedBy, diff: r.diff, silenceId: r.silenceId });
  await refreshCard(deps, done);
  await deps.queue.enqueue(verifyMitigationJob, { proposalId: p.id });
}

/** A stale pin or a 409 refuses (nothing was written); anything else fails. */
async function refuseOrFail(deps: Ports, p: Proposal, e: unknown): Promise<void> {
  const stale = isAppError(e) && (e.code === 'conflict' || e.code === 'stale');
  const why = stale ? (isAppError(e) && e.code === 'stale' ? e.message : 'the object changed while it was being written; propose again') : errorMessage(e);
  const failed = (await deps.proposals.update(p.id, (cur) => (cur.status === 'executing' ? { ...cur, status: stale ? 'refused' : 'failed', outcome: stale ? `Stale: ${why}` : `Failed: ${why}` } : undefined)))?.value;
  if (failed && failed.status !== 'executing') {
    await record(deps, failed, stale ? 'mitigation.refused' : 'mitigation.failed', BOT, `${stale ? 'Refused (stale)' : 'Failed'}: ${describeMitigation(p.mitigation)}: ${why}`);
    await refreshCard(deps, failed);
  }
}

/** An earlier attempt claimed the proposal and stopped (the process died): inspect the target, then complete or fail. */
async function recover(deps: Ports, p: Proposal, ctx: Pick<JobContext, 'attemptsMade' | 'attempts'> | undefined): Promise<void> {
  const since = p.executingSince ? ` at ${p.executingSince.slice(11, 19)} UTC` : '';
  const interrupted = `the execution that began${since} was interrupted (the process stopped)`;
  deps.log.warn({ proposalId: p.id, executingSince: p.executingSince }, 'execute: found executing; an earlier attempt was interrupted: inspecting the target');
  const m = p.mitigation;
  const pin = kindOf(m).pin;
  try {
    await resolvedGuard(deps, p);
    if (!pin || !deps.kubernetes) {
      // Nothing to read back (a silence): whether the earlier attempt created it cannot be told here.
      return await giveUp(deps, p, `${interrupted}; whether it took effect cannot be read back, so it is not repeated: check Alertmanager's silences`, false);
    }
    const obj = await pin.read(deps.kubernetes, m);
    if (!obj) return await giveUp(deps, p, `${interrupted}, and the ${pin.noun} no longer exists`, false);
    if (pin.applied?.(obj, m)) {
      deps.log.info({ proposalId: p.id }, 'execute: the interrupted write had landed; completing');
      return await executed(deps, p, { outcome: `Executed; the write made before the interruption was found applied on ${deps.clock.now().toISOString()}; verifying…`, diff: p.diff });
    }
    const check = await checkPinned(deps, p);
    if (!check.stale) return await write(deps, p, check.resourceVersion, ` (after an interruption; the ${pin.noun} was still as pinned)`);
    const mayHave = pin.applied ? 'nothing of it was applied' : `it may have been written before the interruption`;
    return await giveUp(deps, p, `${interrupted}, ${mayHave}, and ${check.stale.replace(/; propose it again$/, '')}`, true);
  } catch (e) {
    if (isAppError(e) && (e.code === 'stale' || e.code === 'conflict')) return refuseOrFail(deps, p, e);
    const last = !ctx || ctx.attemptsMade + 1 >= ctx.attempts;
    if (!last) throw e;
    return giveUp(deps, p, `${interrupted}, and the target could not be read to finish it: ${errorMessage(e)}`, true);
  }
}

/** Marks an interrupted execution failed (no revert: nothing of it is known to have been written) and, when asked, proposes the change afresh. */
async function giveUp(deps: Ports, p: Proposal, why: string, again: boolean): Promise<void> {
  const failed = (
    await deps.proposals.update(p.id, (cur) => {
      if (cur.status !== 'executing') return undefined;
      const { revert: _unknown, ...rest } = cur;
      return { ...rest, status: 'failed', outcome: `Failed: ${why}` };
    })
  )?.value;
  if (!failed || failed.status !== 'failed') return;
  const what = describeMitigation(p.mitigation);
  await record(deps, failed, 'mitigation.failed', BOT, `Failed: ${what}: ${why}`, { interrupted: true });
  await refreshCard(deps, failed);
  if (!again) return;
  const incident = await deps.incidents.get(p.incidentId);
  if (!incident || incident.status === 'resolved') return;
  const r = await propose(deps, incident, p.mitigation, BOT, { because: [p.id, ...p.because], rationale: `Proposed again: ${p.id} did not complete (${why}). ${p.rationale}`, risk: p.risk, idSeed: `again-${p.id}` }).catch((e: unknown) => ({ ok: false, message: errorMessage(e) }));
  if (!r.ok && incident.channelId) await deps.chat.post(incident.channelId, deps.render.text(`:x: ${what} did not complete (${why}); it was not proposed again: ${r.message}`));
}
