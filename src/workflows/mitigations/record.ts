/** What every step of a proposal's life does alike: record it (timeline and log) and update its card. */
import type { Proposal } from '../../domain/proposal.js';
import type { Ports } from '../context.js';

export const BOT = 'warroom';

export type ProposalEvent = 'mitigation.approved' | 'mitigation.denied' | 'mitigation.refused' | 'mitigation.expired' | 'mitigation.executed' | 'mitigation.failed' | 'mitigation.watching' | 'mitigation.verified' | 'mitigation.unverified';

/** Appends the event to the timeline (once per kind, proposal and actor; every refusal) and logs it. */
export async function record(deps: Ports, p: Proposal, kind: ProposalEvent, actor: string, text: string, data: Record<string, unknown> = {}): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.timeline.append(p.incidentId, { at, kind, actor, text, data: { proposalId: p.id, ...data } }, kind === 'mitigation.refused' ? undefined : `${kind}-${p.id}-${actor}`);
  deps.log.info({ proposalId: p.id, incidentId: p.incidentId, event: kind, actor, ...data }, text);
}

/** The proposal's card, updated in place from its current state. */
export async function refreshCard(deps: Ports, p: Proposal): Promise<void> {
  const incident = await deps.incidents.get(p.incidentId);
  if (incident?.channelId && p.messageTs) await deps.chat.update(incident.channelId, p.messageTs, deps.render.proposalCard(p));
}
