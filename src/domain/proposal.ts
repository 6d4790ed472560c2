import { z } from 'zod';
import { Mitigation } from './diagnostics.js';

export const ProposalStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'executing', 'executed', 'failed', 'verified', 'refused']);
export type ProposalStatus = z.infer<typeof ProposalStatus>;

/** Object state a proposal is pinned to: a stale button refuses. */
export const PinnedState = z.object({
  resourceVersion: z.string().optional(),
  revision: z.number().int().optional(),
  generation: z.number().int().optional(),
  /**
   * Hash of the spec the action depends on (a Deployment's pod template and paused flag; an HPA's
   * bounds, target and scale target). Status writes (HPA every ~15 s, replica counts during a crash
   * loop) change resourceVersion all the time; only a spec change makes a proposal stale.
   */
  specHash: z.string().optional(),
});
export type PinnedState = z.infer<typeof PinnedState>;

export const Approval = z.object({
  userId: z.string(),
  at: z.string(),
  /** The policy rule that allowed it. */
  rule: z.string(),
});
export type Approval = z.infer<typeof Approval>;

export const DiffLine = z.object({ field: z.string(), before: z.string(), after: z.string() });
export type DiffLine = z.infer<typeof DiffLine>;

export const Proposal = z.object({
  id: z.string(),
  incidentId: z.string(),
  mitigation: Mitigation,
  status: ProposalStatus,
  requestedBy: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  rationale: z.string(),
  risk: z.string(),
  because: z.array(z.string()).default([]),
  pinned: PinnedState,
  diff: z.array(DiffLine).default([]),
  approvals: z.array(Approval).default([]),
  requiredApprovals: z.number().int().min(1),
  environment: z.string().optional(),
  protectedEnvironment: z.boolean().default(false),
  decidedBy: z.string().optional(),
  outcome: z.string().optional(),
  messageTs: z.string().optional(),
  /** The approval rule that covers it (re-checked at click time against the current config). */
  rule: z.string().optional(),
  /**
   * Who may approve under that rule when it was proposed (shown on the card; the click is still
   * checked against the current config). Absent in proposals of older versions.
   */
  approvers: z.object({ users: z.array(z.string()), usergroups: z.array(z.string()), allowSelfApproval: z.boolean() }).optional(),
  /** The mitigation that would undo this one, computed from the state it was pinned to. */
  revert: Mitigation.optional(),
  silenceId: z.string().optional(),
  verification: z.object({ result: z.enum(['verified', 'not-yet', 'failed']), detail: z.string() }).optional(),
});
export type Proposal = z.infer<typeof Proposal>;
