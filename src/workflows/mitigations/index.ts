/**
 * Mitigations behind human approval. Each kind is one file in kinds/ (describe, risk, dry run, apply,
 * revert, verify, pin), listed in catalogue.ts; the steps are written once over the catalogue:
 * propose.ts (dry run, policy, card), decide.ts (the approval policy as a pure decision, applied to a
 * click), execute.ts (exactly once, pinned), verify.ts (took effect, signal re-checked, a flapping alarm watched
 * through a cycle).
 */
export { KINDS, describeMitigation, kindOf, renderDescription } from './catalogue.js';
export { approvalDecision, decide, expire, type ApprovalDecision, type ApprovalInput } from './decide.js';
export { execute } from './execute.js';
export { DEFAULT_VERIFY, type DescriptionPart, type MitigationKind, type VerifyOptions } from './kind.js';
export { deploymentSpecHash } from './kinds/deployment.js';
export { hpaSpecHash } from './kinds/hpa.js';
export { silenceOf } from './kinds/silence.js';
export { checkPinned } from './pin.js';
export { isApprover, ruleFor } from './policy.js';
export { propose, proposeFromAssessment, proposeRevert, type ProposeExtra } from './propose.js';
export { verify, watch, watchWindowMs } from './verify.js';
