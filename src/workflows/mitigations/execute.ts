/**
 * The execute job: exactly once per proposal (deterministic job id + compare-and-set approved ->
 * executing), the pinned spec checked again, then the write conditional on the resourceVersion just read.
 */
import { AppError, errorMessage, isAppError } from '../../errors.js';
import type { Ports } from '../context.js';
import { verifyMitigationJob } from '../jobs/verify-mitigation.js';
import { describeMitigation, kindOf } from './catalogue.js';
import { checkPinned } from './pin.js';
import { BOT, record, refreshCard } from './record.js';

export async function execute(deps: Ports, proposalId: string): Promise<void> {
  const claim = await deps.proposals.update(proposalId, (cur) => (cur.status === 'approved' ? { ...cur, status: 'executing' } : undefined));
  const p = claim?.value;
  if (!p || !claim.changed) {
    deps.log.info({ proposalId, status: p?.status }, 'execute: not in approved state; nothing to do (already executed or never approved)');
    return;
  }
  const what = describeMitigation(p.mitigation);
  const approvedBy = p.approvals.map((a) => a.userId);
  try {
    const incident = await deps.incidents.get(p.incidentId);
    if (!incident || incident.status === 'resolved') throw new AppError('stale', `${p.incidentId} was resolved before the change ran; nothing was changed`);
    // Re-check the pinned spec, then write against the resourceVersion just read: a change in between is a 409.
    const pin = await checkPinned(deps, p);
    if (pin.stale) throw new AppError('stale', pin.stale);
    const r = await kindOf(p.mitigation).apply(deps, p, p.mitigation, pin.resourceVersion ? { expectResourceVersion: pin.resourceVersion } : {});
    const done = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status: 'executed', outcome: r.result?.noop ?? `Executed at ${deps.clock.now().toISOString()}; verifying…`, ...(r.silenceId ? { silenceId: r.silenceId } : {}) })))?.value;
    if (!done) return;
    await record(deps, done, 'mitigation.executed', BOT, `Executed ${what} (approved by ${approvedBy.map((u) => `<@${u}>`).join(', ')})`, { approvedBy, diff: r.result?.diff ?? p.diff, silenceId: r.silenceId });
    await refreshCard(deps, done);
    await deps.queue.enqueue(verifyMitigationJob, { proposalId: p.id });
  } catch (e) {
    const stale = isAppError(e) && (e.code === 'conflict' || e.code === 'stale');
    const why = stale ? (isAppError(e) && e.code === 'stale' ? e.message : 'the object changed while it was being written; propose again') : errorMessage(e);
    const failed = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status: stale ? 'refused' : 'failed', outcome: stale ? `Stale: ${why}` : `Failed: ${why}` })))?.value;
    if (failed) {
      await record(deps, failed, stale ? 'mitigation.refused' : 'mitigation.failed', BOT, `${stale ? 'Refused (stale)' : 'Failed'}: ${what}: ${why}`);
      await refreshCard(deps, failed);
    }
  }
}
