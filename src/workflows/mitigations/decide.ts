/**
 * Approve and Deny. The decision itself is a pure function of the proposal, the rule that governs it
 * now, the clicking user, whether they are an approver, and the time (approvalDecision, tested as a
 * table); `decide` gathers those for a click, applies the decision and answers the person.
 */
import type { ApprovalRule } from '../../config.js';
import type { Proposal } from '../../domain/proposal.js';
import type { Ports } from '../context.js';
import { executeMitigationJob } from '../jobs/execute-mitigation.js';
import type { CommandOutcome } from '../triage.js';
import { describeMitigation } from './catalogue.js';
import { staleness } from './pin.js';
import { isApprover, ruleFor } from './policy.js';
import { BOT, record, refreshCard } from './record.js';

export interface ApprovalInput {
  proposal: Proposal;
  decision: 'approve' | 'deny';
  /** The rule that governs the proposal under the current config, if any. */
  rule: ApprovalRule | undefined;
  userId: string;
  /** Whether the user is an approver under `rule`. */
  approver: boolean;
  now: Date;
}

export type ApprovalDecision =
  /** Refused, with the reason; recorded in the timeline. */
  | { outcome: 'refuse'; reason: string }
  /** Past its expiry and not marked yet: mark it expired, then refuse. */
  | { outcome: 'expire' }
  /** Decided already: answered, not recorded. */
  | { outcome: 'already'; status: Proposal['status'] }
  | { outcome: 'deny' }
  | { outcome: 'approve' };

export const EXPIRED = 'the proposal has expired; propose it again';

/** The approval policy applied to one click. */
export function approvalDecision({ proposal: p, decision, rule, userId, approver, now }: ApprovalInput): ApprovalDecision {
  // A late click on an expired card (the expiry job got there first) is still a refusal to record.
  if (p.status === 'expired') return { outcome: 'refuse', reason: EXPIRED };
  if (p.status !== 'pending') return { outcome: 'already', status: p.status };
  if (now.getTime() >= Date.parse(p.expiresAt)) return { outcome: 'expire' };
  // The policy is judged at click time, with the current config.
  if (!rule) return { outcome: 'refuse', reason: 'no approval policy covers this action any more' };
  if (rule.name !== p.rule) return { outcome: 'refuse', reason: `the approval policy changed since it was proposed (now rule “${rule.name}”, was “${p.rule}”); propose it again` };
  if (!rule.actions.includes(p.mitigation.kind)) return { outcome: 'refuse', reason: `policy “${rule.name}” does not allow ${p.mitigation.kind}` };
  const notApprover = { outcome: 'refuse', reason: `you are not an approver under “${rule.name}”` } as const;
  // The requester may withdraw their own request.
  if (decision === 'deny') return approver || userId === p.requestedBy ? { outcome: 'deny' } : notApprover;
  if (!approver) return notApprover;
  if (userId === p.requestedBy && (rule.protected || !rule.allowSelfApproval)) {
    return { outcome: 'refuse', reason: rule.protected ? 'four-eyes: in a protected environment the requester cannot approve their own request' : 'you cannot approve your own request under this policy' };
  }
  if (p.approvals.some((a) => a.userId === userId)) return { outcome: 'refuse', reason: 'you have already approved this proposal' };
  return { outcome: 'approve' };
}

/** A click on Approve or Deny, from the card's own channel, checked with the clicking user's identity. */
export async function decide(deps: Ports, proposalId: string, userId: string, decision: 'approve' | 'deny', channelId: string): Promise<CommandOutcome> {
  const p = await deps.proposals.get(proposalId);
  if (!p) return { ok: false, message: 'Unknown proposal.' };
  const incident = await deps.incidents.get(p.incidentId);
  if (!incident || incident.channelId !== channelId) return { ok: false, message: 'This proposal does not belong to this channel.' };
  if (incident.status === 'resolved' && decision === 'approve') return { ok: false, message: `Not approved: ${incident.id} is resolved; reopen it before changing anything.` };
  const refuse = async (why: string) => {
    await record(deps, p, 'mitigation.refused', userId, `Refused ${decision} by <@${userId}>: ${why}`, { decision, reason: why });
    return { ok: false, message: `Not ${decision === 'approve' ? 'approved' : 'denied'}: ${why}` };
  };
  const rule = ruleFor(deps, incident, p.mitigation);
  const d = approvalDecision({ proposal: p, decision, rule, userId, approver: rule ? await isApprover(deps, rule, userId) : false, now: deps.clock.now() });
  switch (d.outcome) {
    case 'already':
      return { ok: false, message: `This proposal is already ${d.status}.` };
    case 'refuse':
      return refuse(d.reason);
    case 'expire':
      await expire(deps, p.id);
      return refuse(EXPIRED);
    case 'deny': {
      const r = await deps.proposals.update(p.id, (cur) => (cur.status === 'pending' ? { ...cur, status: 'denied', decidedBy: userId, outcome: `Denied by <@${userId}>` } : undefined));
      if (!r?.changed) return { ok: false, message: `This proposal is already ${r?.value.status ?? 'gone'}.` };
      await record(deps, r.value, 'mitigation.denied', userId, `Denied by <@${userId}>: ${describeMitigation(p.mitigation)}`);
      await refreshCard(deps, r.value);
      return { ok: true, message: 'Denied.' };
    }
    case 'approve':
      break;
  }
  const ruleName = rule?.name ?? '';
  // The object moved on since the dry run: the pinned write would be refused, so say so now.
  const stale = await staleness(deps, p);
  if (stale) {
    const refused = await deps.proposals.update(p.id, (cur) => (cur.status === 'pending' ? { ...cur, status: 'refused', outcome: `Stale: ${stale}` } : undefined));
    if (refused?.changed) await refreshCard(deps, refused.value);
    return refuse(stale);
  }
  const r = await deps.proposals.update(p.id, (cur) => {
    if (cur.status !== 'pending' || cur.approvals.some((a) => a.userId === userId)) return undefined;
    const approvals = [...cur.approvals, { userId, at: deps.clock.now().toISOString(), rule: ruleName }];
    return { ...cur, approvals, ...(approvals.length >= cur.requiredApprovals ? { status: 'approved' as const, decidedBy: userId } : {}) };
  });
  if (!r) return { ok: false, message: 'Unknown proposal.' };
  const next = r.value;
  // A concurrent click (a double click, or the same click on another replica) got there first.
  if (!r.changed) return { ok: false, message: next.approvals.some((a) => a.userId === userId) ? `You have already approved this proposal; it is ${next.status}.` : `This proposal is already ${next.status}.` };
  await record(deps, next, 'mitigation.approved', userId, `Approved by <@${userId}> (${next.approvals.length}/${next.requiredApprovals}, rule ${ruleName}): ${describeMitigation(p.mitigation)}`, { rule: ruleName });
  await refreshCard(deps, next);
  if (next.status === 'approved') {
    await deps.queue.enqueue(executeMitigationJob, { proposalId: p.id });
    return { ok: true, message: 'Approved; executing now.' };
  }
  return { ok: true, message: `Approval recorded (${next.approvals.length}/${next.requiredApprovals}); waiting for another approver.` };
}

/** The expiry job (and a late click): a pending proposal past its expiry is marked expired, its card updated. */
export async function expire(deps: Ports, proposalId: string): Promise<void> {
  const r = await deps.proposals.update(proposalId, (cur) => (cur.status !== 'pending' || deps.clock.now().getTime() < Date.parse(cur.expiresAt) ? undefined : { ...cur, status: 'expired', outcome: `Expired at ${cur.expiresAt} without enough approvals` }));
  if (!r?.changed) return;
  await record(deps, r.value, 'mitigation.expired', BOT, `Expired: ${describeMitigation(r.value.mitigation)}`);
  await refreshCard(deps, r.value);
}
