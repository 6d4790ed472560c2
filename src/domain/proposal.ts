import { z } from 'zod';
import { Mitigation } from './diagnostics.js';

/**
 * `executed`: written, being verified; `watching`: written, a flapping alarm watched through a flap
 * cycle (Proposal.watch); `verified`: took effect and the paging signal re-checked clear;
 * `unverified`: written but not verified (not done yet, the alarm flapped again, or the signal
 * could not be re-checked; Proposal.verification says which).
 */
export const ProposalStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'executing', 'executed', 'watching', 'failed', 'verified', 'unverified', 'refused']);
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

/**
 * verified: took effect and the paging signal is clear (through a flap cycle for a flapping alarm);
 * not-yet: the rollout or the signal has not settled; not-verified: the alarm flapped again while
 * watched; not-rechecked: the paging signal could not be read; failed: the change did not take effect.
 */
export const VerificationResult = z.enum(['verified', 'not-yet', 'not-verified', 'not-rechecked', 'failed']);
export type VerificationResult = z.infer<typeof VerificationResult>;

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
  /** When the approved write was claimed (status `executing`): a retried job after a crash inspects the target from there. */
  executingSince: z.string().optional(),
  /**
   * The paging signal watched after execution, from `since` until `until` (ISO): a flapping alarm
   * through one flap cycle of `cycleMs` plus margin, or (no `alarm`) Alertmanager alerts still
   * active after the rollout, until they clear.
   */
  watch: z
    .object({
      since: z.string(),
      until: z.string(),
      alarm: z.object({ region: z.string(), alarmName: z.string(), cycleMs: z.number().int().positive() }).optional(),
      /** What the kind found on the object when the watch began (rollout, HPA fields): repeated in the verdict. */
      took: z.array(z.string()).default([]),
      /** Why it is watched, as said in the channel ("watching until HH:MM UTC — <why>"); absent in proposals of older versions. */
      why: z.string().optional(),
    })
    .optional(),
  verification: z.object({ result: VerificationResult, detail: z.string() }).optional(),
});
export type Proposal = z.infer<typeof Proposal>;
