/** The approval policy applied to one click, as a table: (proposal, rule, user, membership, time) -> decision. */
import { describe, expect, it } from 'vitest';
import type { ApprovalRule } from '../../src/config.js';
import type { Proposal } from '../../src/domain/proposal.js';
import { approvalDecision, type ApprovalDecision } from '../../src/workflows/mitigations/index.js';
import { sampleProposal } from '../support/fake-world.js';

const NOW = new Date('2026-11-21T09:10:00.000Z');

const RULE: ApprovalRule = {
  name: 'prod',
  match: { namespaces: ['prod'], environments: [], routes: [] },
  approvers: { users: ['U0APPROVER'], usergroups: [] },
  requiredApprovals: 2,
  allowSelfApproval: false,
  protected: true,
  expiry: 15 * 60_000,
  actions: ['rollback', 'scale', 'hpa', 'restart', 'silence'],
};

const PROPOSAL: Proposal = sampleProposal({ mitigation: { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 3 }, requestedBy: 'U0REQ', expiresAt: '2026-11-21T09:15:00.000Z', requiredApprovals: 2, protectedEnvironment: true, rule: 'prod' });

interface Row {
  name: string;
  proposal?: Partial<Proposal>;
  rule?: Partial<ApprovalRule> | null;
  decision?: 'approve' | 'deny';
  user?: string;
  approver?: boolean;
  now?: string;
  expect: ApprovalDecision;
}

const refuse = (reason: string): ApprovalDecision => ({ outcome: 'refuse', reason });

const ROWS: Row[] = [
  { name: 'an approver approves a pending proposal', user: 'U0APPROVER', approver: true, expect: { outcome: 'approve' } },
  { name: 'an approver denies', decision: 'deny', user: 'U0APPROVER', approver: true, expect: { outcome: 'deny' } },
  { name: 'the requester withdraws their own request', decision: 'deny', user: 'U0REQ', approver: false, expect: { outcome: 'deny' } },
  { name: 'someone else cannot deny', decision: 'deny', user: 'U0RANDOM', approver: false, expect: refuse('you are not an approver under “prod”') },
  { name: 'someone else cannot approve', user: 'U0RANDOM', approver: false, expect: refuse('you are not an approver under “prod”') },
  {
    name: 'four-eyes: a protected rule never lets the requester approve, even an approver',
    user: 'U0REQ',
    approver: true,
    rule: { allowSelfApproval: true },
    expect: refuse('four-eyes: in a protected environment the requester cannot approve their own request'),
  },
  {
    name: 'an unprotected rule without self-approval refuses the requester',
    user: 'U0REQ',
    approver: true,
    rule: { protected: false, allowSelfApproval: false },
    expect: refuse('you cannot approve your own request under this policy'),
  },
  { name: 'an unprotected rule with self-approval lets the requester approve', user: 'U0REQ', approver: true, rule: { protected: false, allowSelfApproval: true }, expect: { outcome: 'approve' } },
  {
    name: 'the same approver twice',
    user: 'U0APPROVER',
    approver: true,
    proposal: { approvals: [{ userId: 'U0APPROVER', at: '2026-11-21T09:05:00.000Z', rule: 'prod' }] },
    expect: refuse('you have already approved this proposal'),
  },
  { name: 'a second approver completes it', user: 'U0LEAD', approver: true, proposal: { approvals: [{ userId: 'U0APPROVER', at: '2026-11-21T09:05:00.000Z', rule: 'prod' }] }, expect: { outcome: 'approve' } },
  { name: 'no rule covers the action any more', user: 'U0APPROVER', approver: false, rule: null, expect: refuse('no approval policy covers this action any more') },
  {
    name: 'the governing rule changed since it was proposed',
    user: 'U0APPROVER',
    approver: true,
    rule: { name: 'rest' },
    expect: refuse('the approval policy changed since it was proposed (now rule “rest”, was “prod”); propose it again'),
  },
  { name: 'the rule no longer allows the action', user: 'U0APPROVER', approver: true, rule: { actions: ['rollback'] }, expect: refuse('policy “prod” does not allow scale') },
  { name: 'a click at the expiry, before the expiry job ran', user: 'U0APPROVER', approver: true, now: '2026-11-21T09:15:00.000Z', expect: { outcome: 'expire' } },
  { name: 'a click one millisecond before the expiry', user: 'U0APPROVER', approver: true, now: '2026-11-21T09:14:59.999Z', expect: { outcome: 'approve' } },
  { name: 'a late click on an expired card', user: 'U0APPROVER', approver: true, proposal: { status: 'expired' }, expect: refuse('the proposal has expired; propose it again') },
  { name: 'a late deny on an expired card is refused too', decision: 'deny', user: 'U0APPROVER', approver: true, proposal: { status: 'expired' }, expect: refuse('the proposal has expired; propose it again') },
  { name: 'already approved', user: 'U0LEAD', approver: true, proposal: { status: 'approved' }, expect: { outcome: 'already', status: 'approved' } },
  { name: 'already denied', decision: 'deny', user: 'U0LEAD', approver: true, proposal: { status: 'denied' }, expect: { outcome: 'already', status: 'denied' } },
  { name: 'refused as stale earlier', user: 'U0LEAD', approver: true, proposal: { status: 'refused' }, expect: { outcome: 'already', status: 'refused' } },
  // Order: the state of the proposal is judged before the policy, the policy before the person.
  { name: 'expiry is judged before the policy', user: 'U0RANDOM', approver: false, rule: null, now: '2026-11-21T10:00:00.000Z', expect: { outcome: 'expire' } },
  { name: 'a non-approver on a removed rule hears about the rule', user: 'U0RANDOM', approver: false, rule: { name: 'other' }, expect: refuse('the approval policy changed since it was proposed (now rule “other”, was “prod”); propose it again') },
];

describe('approvalDecision', () => {
  it.each(ROWS)('$name', (row) => {
    const rule = row.rule === null ? undefined : { ...RULE, ...row.rule };
    const got = approvalDecision({
      proposal: { ...PROPOSAL, ...row.proposal },
      decision: row.decision ?? 'approve',
      rule,
      userId: row.user ?? 'U0APPROVER',
      approver: row.approver ?? false,
      now: row.now ? new Date(row.now) : NOW,
    });
    expect(got).toEqual(row.expect);
  });
});
