/** What every step of a proposal's life does alike: record it (timeline and log) and update its card. */
import type { Proposal } from '../../domain/proposal.js';
import { retryAfterOf } from '../../errors.js';
import type { Ports } from '../context.js';
import { refreshProposalCardJob } from '../jobs/refresh-proposal-card.js';

export const BOT = 'warroom';

export type ProposalEvent = 'mitigation.approved' | 'mitigation.denied' | 'mitigation.refused' | 'mitigation.expired' | 'mitigation.executed' | 'mitigation.failed' | 'mitigation.watching' | 'mitigation.verified' | 'mitigation.unverified';

/** Appends the event to the timeline (once per kind, proposal and actor; every refusal) and logs it. */
export async function record(deps: Ports, p: Proposal, kind: ProposalEvent, actor: string, text: string, data: Record<string, unknown> = {}): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.timeline.append(p.incidentId, { at, kind, actor, text, data: { proposalId: p.id, ...data } }, kind === 'mitigation.refused' ? undefined : `${kind}-${p.id}-${actor}`);
  deps.log.info({ proposalId: p.id, incidentId: p.incidentId, event: kind, actor, ...data }, text);
}

/**
 * The proposal's card, updated in place from its current state. When the Slack budget (or a 429)
 * defers the update, a refresh-proposal-card job makes it later: the step that changed the proposal
 * (executed, verified, approved) does not fail for a card.
 */
export async function refreshCard(deps: Ports, p: Proposal): Promise<void> {
  try {
    await writeCard(deps, p);
  } catch (e) {
    const after = retryAfterOf(e);
    if (after === undefined) throw e;
    await deps.queue.enqueue(refreshProposalCardJob, { proposalId: p.id, state: `${p.status}-${p.approvals.length}` }, { delayMs: after });
  }
}

/** The refresh-proposal-card job: the card from the proposal as it is now (a deferral delays the job). */
export async function refreshProposalCardNow(deps: Ports, proposalId: string): Promise<void> {
  const p = await deps.proposals.get(proposalId);
  if (p) await writeCard(deps, p);
}

async function writeCard(deps: Ports, p: Proposal): Promise<void> {
  const incident = await deps.incidents.get(p.incidentId);
  if (incident?.channelId && p.messageTs) await deps.chat.update(incident.channelId, p.messageTs, deps.render.proposalCard(p));
}
