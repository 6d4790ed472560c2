/**
 * Mitigations behind human approval. A proposal is dry-run on the server, pinned to the object's
 * state, and shown with Approve/Deny. The approval policy is checked at click time against the
 * clicking user. Execution is one job with a deterministic id and a compare-and-set on the proposal,
 * so double clicks and replicas execute once; the proposal is pinned to the spec it was made against
 * and the write to the resourceVersion read just before it (optimistic concurrency).
 * Then the rollout is watched and the signal that paged re-checked.
 */
import { createHash } from 'node:crypto';
import type { ApprovalRule } from '../config.js';
import { policySubject, selectRule } from '../domain/approval-policy.js';
import type { Assessment, Mitigation, ProposedMitigation } from '../domain/diagnostics.js';
import type { Incident } from '../domain/incident.js';
import type { DiffLine, Proposal } from '../domain/proposal.js';
import { rolloutStatus } from '../domain/rollout.js';
import { AppError, errorMessage, isAppError, toUserReply } from '../errors.js';
import type { Ports } from './context.js';
import { scheduleCardRefresh } from './incidents.js';
import { executeMitigationJob } from './jobs/execute-mitigation.js';
import { expireProposalJob } from './jobs/expire-proposal.js';
import { verifyMitigationJob } from './jobs/verify-mitigation.js';
import type { K8sDeployment, K8sHpa, MutationResult } from './ports.js';
import type { CommandOutcome } from './triage.js';

const BOT = 'warroom';
export const VERIFY = { pollMs: 1000, rolloutDeadlineMs: 5 * 60_000 };

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * The spec a proposal is pinned to (see PinnedState.specHash): every field the proposal changes or
 * shows in its diff. A scale card shows `replicas 4 → 3`, so the replica count is pinned: someone
 * scaling to 12 meanwhile makes the approval stale instead of cutting 12 to 3. Rollback and restart
 * change the template and not the replicas, which an HPA rewrites every few seconds: pinning them
 * would make every proposal on an autoscaled Deployment stale.
 */
export function deploymentSpecHash(d: K8sDeployment, kind: 'rollback' | 'scale' | 'restart'): string {
  return hash(stable({ template: d.spec.template, paused: d.spec.paused ?? false, ...(kind === 'scale' ? { replicas: d.spec.replicas ?? 1 } : {}) }));
}
export function hpaSpecHash(h: K8sHpa): string {
  return hash(stable({ min: h.minReplicas, max: h.maxReplicas, target: h.targetCPUUtilizationPercentage ?? null, ref: h.scaleTargetRef }));
}

function describe(m: Mitigation): string {
  switch (m.kind) {
    case 'rollback':
      return `rollback ${m.namespace}/${m.deployment}${m.toRevision ? ` to revision ${m.toRevision}` : ''}`;
    case 'scale':
      return `scale ${m.namespace}/${m.deployment} to ${m.replicas}`;
    case 'hpa':
      return `HPA ${m.namespace}/${m.name}`;
    case 'restart':
      return `restart ${m.namespace}/${m.deployment}`;
    case 'silence':
      return `silence for ${m.durationMinutes} min`;
  }
}

/** The approval rule that governs `m` in this incident (domain/approval-policy.ts explains the order). */
export function ruleFor(deps: Ports, incident: Incident, m: Mitigation): ApprovalRule | undefined {
  const env = deps.config.routes.find((r) => r.name === incident.route)?.environment;
  return selectRule(deps.config.approvals, policySubject(m, incident.route, env));
}

async function isApprover(deps: Ports, rule: ApprovalRule, userId: string): Promise<boolean> {
  if (rule.approvers.users.includes(userId)) return true;
  for (const g of rule.approvers.usergroups) {
    const members = await deps.chat.usergroupMembers(g).catch(() => [] as string[]);
    if (members.includes(userId)) return true;
  }
  return false;
}

interface DryRun {
  result: MutationResult;
  pinned: Proposal['pinned'];
  revert?: Mitigation;
}

async function dryRun(deps: Ports, m: Mitigation): Promise<DryRun> {
  if (m.kind === 'silence') {
    if (!deps.alertmanager) throw new AppError('bad_request', 'silences need ALERTMANAGER_URL to be configured');
    const diff: DiffLine[] = [
      { field: 'silence matchers', before: '(none)', after: m.matchers.map((x) => `${x.name}${x.isEqual ? (x.isRegex ? '=~' : '=') : x.isRegex ? '!~' : '!='}"${x.value}"`).join(', ') },
      { field: 'duration', before: '—', after: `${m.durationMinutes} min` },
    ];
    return { result: { before: null, after: null, diff }, pinned: {} };
  }
  const k8s = deps.kubernetes;
  if (!k8s) throw new AppError('bad_request', 'Kubernetes mitigations need a cluster connection (KUBECONFIG or in-cluster)');
  if (m.kind === 'hpa') {
    const hpa = await k8s.getHpa(m.namespace, m.name);
    if (!hpa) throw new AppError('not_found', `no HorizontalPodAutoscaler ${m.namespace}/${m.name}`);
    const change = { ...(m.minReplicas !== undefined ? { minReplicas: m.minReplicas } : {}), ...(m.maxReplicas !== undefined ? { maxReplicas: m.maxReplicas } : {}), ...(m.targetCPUUtilizationPercentage !== undefined ? { targetCPUUtilizationPercentage: m.targetCPUUtilizationPercentage } : {}) };
    const result = await k8s.patchHpa(m.namespace, m.name, change, { dryRun: true, ...(hpa.metadata.resourceVersion ? { expectResourceVersion: hpa.metadata.resourceVersion } : {}) });
    const revert: Mitigation = { kind: 'hpa', namespace: m.namespace, name: m.name, minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas, ...(hpa.targetCPUUtilizationPercentage !== undefined ? { targetCPUUtilizationPercentage: hpa.targetCPUUtilizationPercentage } : {}) };
    return { result, pinned: { ...(hpa.metadata.resourceVersion ? { resourceVersion: hpa.metadata.resourceVersion } : {}), specHash: hpaSpecHash(hpa) }, revert };
  }
  const d = await k8s.getDeployment(m.namespace, m.deployment);
  if (!d) throw new AppError('not_found', `no Deployment ${m.namespace}/${m.deployment}`);
  const rv = d.metadata.resourceVersion;
  const revision = Number(d.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '0') || undefined;
  const pinned = { ...(rv ? { resourceVersion: rv } : {}), ...(revision !== undefined ? { revision } : {}), ...(d.metadata.generation !== undefined ? { generation: d.metadata.generation } : {}), specHash: deploymentSpecHash(d, m.kind) };
  const opts = { dryRun: true, ...(rv ? { expectResourceVersion: rv } : {}) };
  switch (m.kind) {
    case 'rollback': {
      const result = await k8s.rollbackDeployment(m.namespace, m.deployment, m.toRevision ?? 0, opts);
      return { result, pinned, ...(revision ? { revert: { kind: 'rollback', namespace: m.namespace, deployment: m.deployment, toRevision: revision } as Mitigation } : {}) };
    }
    case 'scale':
      return { result: await k8s.scaleDeployment(m.namespace, m.deployment, m.replicas, opts), pinned, revert: { kind: 'scale', namespace: m.namespace, deployment: m.deployment, replicas: d.spec.replicas ?? 1 } };
    case 'restart':
      return { result: await k8s.restartDeployment(m.namespace, m.deployment, deps.clock.now(), opts), pinned };
  }
}

/** Proposes a mitigation: dry run, policy lookup, the card with Approve/Deny. Idempotent by `idSeed`. */
export async function propose(
  deps: Ports,
  incident: Incident,
  m: Mitigation,
  requestedBy: string,
  extra: { because?: string[]; rationale?: string; risk?: string; idSeed?: string } = {},
): Promise<CommandOutcome & { proposalId?: string }> {
  if (incident.status === 'resolved') return { ok: false, message: `${incident.id} is resolved; reopen it before proposing a change.` };
  // Without a cluster or an Alertmanager there is nothing to act on: say so.
  if (!deps.kubernetes && !deps.alertmanager) return { ok: false, message: 'Mitigations are not enabled in this deployment (no Kubernetes or Alertmanager configured).' };
  const id = `P${hash(`${incident.id}|${extra.idSeed ?? `${requestedBy}|${deps.clock.now().toISOString()}`}|${JSON.stringify(m)}`)}`;
  if (await deps.proposals.get(id)) return { ok: true, message: 'Already proposed.', proposalId: id };
  const rule = ruleFor(deps, incident, m);
  if (!rule) return { ok: false, message: `No approval policy covers ${describe(m)}; nothing was proposed. Add an approvals rule to the config.` };
  if (!rule.actions.includes(m.kind)) return { ok: false, message: `The approval policy “${rule.name}” does not allow ${m.kind}.` };
  let dr: DryRun;
  try {
    dr = await dryRun(deps, m);
  } catch (e) {
    if (isAppError(e) && e.userFacing) return { ok: false, message: `Cannot propose ${describe(m)}: ${toUserReply(e)}` };
    throw e;
  }
  if (dr.result.noop) return { ok: false, message: `Nothing to do: ${dr.result.noop}.` };
  const now = deps.clock.now();
  const env = deps.config.routes.find((r) => r.name === incident.route)?.environment;
  const proposal: Proposal = {
    id,
    incidentId: incident.id,
    mitigation: m,
    status: 'pending',
    requestedBy,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + rule.expiry).toISOString(),
    rationale: extra.rationale ?? `Requested by hand with /incident ${m.kind}`,
    risk: extra.risk ?? defaultRisk(m),
    because: extra.because ?? [],
    pinned: dr.pinned,
    diff: dr.result.diff,
    approvals: [],
    requiredApprovals: rule.requiredApprovals,
    protectedEnvironment: rule.protected,
    rule: rule.name,
    ...(env ? { environment: env } : {}),
    ...(dr.revert ? { revert: dr.revert } : {}),
  };
  await deps.proposals.save(proposal);
  await deps.timeline.append(incident.id, { at: now.toISOString(), kind: 'mitigation.proposed', actor: requestedBy, text: `Proposed: ${describe(m)}`, data: { proposalId: id, mitigation: m, diff: dr.result.diff, rule: rule.name } }, `proposed-${id}`);
  deps.log.info({ proposalId: id, incidentId: incident.id, mitigation: m.kind, requestedBy, rule: rule.name }, 'mitigation proposed');
  if (incident.channelId) {
    const { ts } = await deps.chat.post(incident.channelId, deps.render.proposalCard(proposal));
    await deps.proposals.update(id, (p) => ({ ...p, messageTs: ts }));
  }
  await deps.queue.enqueue(expireProposalJob, { proposalId: id }, { delayMs: rule.expiry + 500 });
  return { ok: true, message: `Proposed ${describe(m)}; it needs ${rule.requiredApprovals} approval(s) under “${rule.name}” within ${Math.round(rule.expiry / 60_000)} min.`, proposalId: id };
}

function defaultRisk(m: Mitigation): string {
  switch (m.kind) {
    case 'rollback':
      return 'Reverts every change since that revision (config too); pods restart with the old template.';
    case 'scale':
      return 'An HPA targeting this deployment overrides manual replicas within ~15 s; prefer raising its min. Nodes may not fit more pods.';
    case 'hpa':
      return 'More replicas need node capacity (the cluster autoscaler may add nodes, minutes).';
    case 'restart':
      return 'Rolling restart: capacity dips while pods start; in-flight requests on terminating pods may fail.';
    case 'silence':
      return 'Notifications for the matched alerts stop for the duration, including new problems that match.';
  }
}

async function refresh(deps: Ports, p: Proposal): Promise<void> {
  const incident = await deps.incidents.get(p.incidentId);
  if (incident?.channelId && p.messageTs) await deps.chat.update(incident.channelId, p.messageTs, deps.render.proposalCard(p));
}

async function record(deps: Ports, p: Proposal, kind: 'mitigation.approved' | 'mitigation.denied' | 'mitigation.refused' | 'mitigation.expired' | 'mitigation.executed' | 'mitigation.failed' | 'mitigation.verified', actor: string, text: string, data: Record<string, unknown> = {}): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.timeline.append(p.incidentId, { at, kind, actor, text, data: { proposalId: p.id, ...data } }, kind === 'mitigation.refused' ? undefined : `${kind}-${p.id}-${actor}`);
  deps.log.info({ proposalId: p.id, incidentId: p.incidentId, event: kind, actor, ...data }, text);
}

/** A click on Approve or Deny, checked against the policy with the clicking user's identity. */
export async function decide(deps: Ports, proposalId: string, userId: string, decision: 'approve' | 'deny', channelId: string): Promise<CommandOutcome> {
  const p = await deps.proposals.get(proposalId);
  if (!p) return { ok: false, message: 'Unknown proposal.' };
  const incident = await deps.incidents.get(p.incidentId);
  if (!incident || incident.channelId !== channelId) return { ok: false, message: 'This proposal does not belong to this channel.' };
  if (incident.status === 'resolved' && decision === 'approve') {
    return { ok: false, message: `Not approved: ${incident.id} is resolved; reopen it before changing anything.` };
  }
  const refuse = async (why: string) => {
    await record(deps, p, 'mitigation.refused', userId, `Refused ${decision} by <@${userId}>: ${why}`, { decision, reason: why });
    return { ok: false, message: `Not ${decision === 'approve' ? 'approved' : 'denied'}: ${why}` };
  };
  // A late click on an expired card (the expiry job got there first) is still a refusal to record.
  if (p.status === 'expired') return refuse('the proposal has expired; propose it again');
  if (p.status !== 'pending') return { ok: false, message: `This proposal is already ${p.status}.` };
  if (deps.clock.now().getTime() >= Date.parse(p.expiresAt)) {
    await expire(deps, p.id);
    return refuse('the proposal has expired; propose it again');
  }
  // The policy is judged now, at click time, with the current config.
  const rule = ruleFor(deps, incident, p.mitigation);
  if (!rule) return refuse('no approval policy covers this action any more');
  if (rule.name !== p.rule) return refuse(`the approval policy changed since it was proposed (now rule “${rule.name}”, was “${p.rule}”); propose it again`);
  if (!rule.actions.includes(p.mitigation.kind)) return refuse(`policy “${rule.name}” does not allow ${p.mitigation.kind}`);
  const approver = await isApprover(deps, rule, userId);
  if (decision === 'deny') {
    if (!approver && userId !== p.requestedBy) return refuse(`you are not an approver under “${rule.name}”`);
    const r = await deps.proposals.update(p.id, (cur) => (cur.status === 'pending' ? { ...cur, status: 'denied', decidedBy: userId, outcome: `Denied by <@${userId}>` } : undefined));
    if (!r?.changed) return { ok: false, message: `This proposal is already ${r?.value.status ?? 'gone'}.` };
    const denied = r.value;
    await record(deps, denied, 'mitigation.denied', userId, `Denied by <@${userId}>: ${describe(p.mitigation)}`);
    await refresh(deps, denied);
    return { ok: true, message: 'Denied.' };
  }
  if (!approver) return refuse(`you are not an approver under “${rule.name}”`);
  if (userId === p.requestedBy && (rule.protected || !rule.allowSelfApproval)) return refuse(rule.protected ? 'four-eyes: in a protected environment the requester cannot approve their own request' : 'you cannot approve your own request under this policy');
  if (p.approvals.some((a) => a.userId === userId)) return refuse('you have already approved this proposal');
  // The object moved on since the dry run: the pinned write would be refused, so say so now.
  const stale = await staleness(deps, p);
  if (stale) {
    const refused = await deps.proposals.update(p.id, (cur) => (cur.status === 'pending' ? { ...cur, status: 'refused', outcome: `Stale: ${stale}` } : undefined));
    if (refused?.changed) await refresh(deps, refused.value);
    return refuse(stale);
  }
  const r = await deps.proposals.update(p.id, (cur) => {
    if (cur.status !== 'pending' || cur.approvals.some((a) => a.userId === userId)) return undefined;
    const approvals = [...cur.approvals, { userId, at: deps.clock.now().toISOString(), rule: rule.name }];
    return { ...cur, approvals, ...(approvals.length >= cur.requiredApprovals ? { status: 'approved' as const, decidedBy: userId } : {}) };
  });
  if (!r) return { ok: false, message: 'Unknown proposal.' };
  const next = r.value;
  const approvedNow = r.changed && next.status === 'approved';
  // A concurrent click (a double click, or the same click on another replica) got there first.
  if (!r.changed) return { ok: false, message: next.approvals.some((a) => a.userId === userId) ? `You have already approved this proposal; it is ${next.status}.` : `This proposal is already ${next.status}.` };
  await record(deps, next, 'mitigation.approved', userId, `Approved by <@${userId}> (${next.approvals.length}/${next.requiredApprovals}, rule ${rule.name}): ${describe(p.mitigation)}`, { rule: rule.name });
  await refresh(deps, next);
  if (approvedNow) {
    await deps.queue.enqueue(executeMitigationJob, { proposalId: p.id });
    return { ok: true, message: 'Approved; executing now.' };
  }
  return { ok: true, message: `Approval recorded (${next.approvals.length}/${next.requiredApprovals}); waiting for another approver.` };
}

/**
 * Why a pinned proposal can no longer apply, else undefined. Pinned to the spec (specHash) and, for
 * rollbacks, the revision; proposals made before specHash existed compare resourceVersions.
 * Returns the object's current resourceVersion for the write that follows.
 */
async function checkPinned(deps: Ports, p: Proposal): Promise<{ stale?: string; resourceVersion?: string }> {
  const m = p.mitigation;
  const k8s = deps.kubernetes;
  if (!k8s || m.kind === 'silence') return {};
  const obj = m.kind === 'hpa' ? await k8s.getHpa(m.namespace, m.name) : await k8s.getDeployment(m.namespace, m.deployment);
  if (!obj) return { stale: 'the object no longer exists' };
  const rv = obj.metadata.resourceVersion;
  const current = { ...(rv ? { resourceVersion: rv } : {}) };
  if (p.pinned.specHash) {
    const now = m.kind === 'hpa' ? hpaSpecHash(obj as K8sHpa) : deploymentSpecHash(obj as K8sDeployment, m.kind);
    if (now !== p.pinned.specHash) {
      const replicasMoved = m.kind === 'scale' ? staleReplicas(p, obj as K8sDeployment) : undefined;
      return { ...current, stale: replicasMoved ?? `the ${m.kind === 'hpa' ? 'HPA' : 'deployment'} spec changed since it was proposed; propose it again` };
    }
    const revision = Number(obj.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '0') || undefined;
    if (m.kind !== 'hpa' && p.pinned.revision !== undefined && revision !== p.pinned.revision) return { ...current, stale: `the deployment moved from revision ${p.pinned.revision} to ${revision ?? '?'} since it was proposed; propose it again` };
    return current;
  }
  const pinned = p.pinned.resourceVersion;
  if (pinned && rv !== undefined && rv !== pinned) return { ...current, stale: `the object changed since it was proposed (resourceVersion ${pinned}, now ${rv}); propose it again` };
  return current;
}

/** For a scale card: the replica count it showed, if someone changed it since. */
function staleReplicas(p: Proposal, d: K8sDeployment): string | undefined {
  const shown = p.diff.find((l) => l.field === 'replicas')?.before;
  const now = d.spec.replicas ?? 1;
  return shown !== undefined && String(now) !== String(shown) ? `the deployment now has ${now} replicas, not the ${shown} the card showed; propose it again` : undefined;
}

/** Click-time check; a failed read leaves it to the pinned write. */
async function staleness(deps: Ports, p: Proposal): Promise<string | undefined> {
  try {
    return (await checkPinned(deps, p)).stale;
  } catch {
    return undefined;
  }
}

async function mutate(deps: Ports, p: Proposal): Promise<{ result?: MutationResult; silenceId?: string }> {
  const m = p.mitigation;
  if (m.kind === 'silence') {
    if (!deps.alertmanager) throw new AppError('bad_request', 'ALERTMANAGER_URL is not configured');
    const now = deps.clock.now();
    const approver = p.approvals.at(-1)?.userId ?? p.requestedBy;
    const { silenceId } = await deps.alertmanager.createSilence({ matchers: m.matchers, startsAt: now, endsAt: new Date(now.getTime() + m.durationMinutes * 60_000), createdBy: `slack:${approver}`, comment: m.comment ?? `warroom ${p.incidentId} proposal ${p.id}` });
    return { silenceId };
  }
  const k8s = deps.kubernetes;
  if (!k8s) throw new AppError('bad_request', 'no Kubernetes connection');
  // Re-check the pinned spec, then write against the resourceVersion just read: a change in between is a 409.
  const check = await checkPinned(deps, p);
  if (check.stale) throw new AppError('stale', check.stale);
  const opts = { dryRun: false, ...(check.resourceVersion ? { expectResourceVersion: check.resourceVersion } : {}) };
  switch (m.kind) {
    case 'rollback':
      return { result: await k8s.rollbackDeployment(m.namespace, m.deployment, m.toRevision ?? 0, opts) };
    case 'scale':
      return { result: await k8s.scaleDeployment(m.namespace, m.deployment, m.replicas, opts) };
    case 'hpa':
      return { result: await k8s.patchHpa(m.namespace, m.name, { ...(m.minReplicas !== undefined ? { minReplicas: m.minReplicas } : {}), ...(m.maxReplicas !== undefined ? { maxReplicas: m.maxReplicas } : {}), ...(m.targetCPUUtilizationPercentage !== undefined ? { targetCPUUtilizationPercentage: m.targetCPUUtilizationPercentage } : {}) }, opts) };
    case 'restart':
      return { result: await k8s.restartDeployment(m.namespace, m.deployment, deps.clock.now(), opts) };
  }
}

/** The execute job: exactly once per proposal (deterministic job id + CAS approved -> executing). */
export async function execute(deps: Ports, proposalId: string): Promise<void> {
  const claim = await deps.proposals.update(proposalId, (cur) => (cur.status === 'approved' ? { ...cur, status: 'executing' } : undefined));
  const p = claim?.value;
  if (!p || !claim.changed) {
    deps.log.info({ proposalId, status: p?.status }, 'execute: not in approved state; nothing to do (already executed or never approved)');
    return;
  }
  const approvedBy = p.approvals.map((a) => a.userId);
  try {
    const incident = await deps.incidents.get(p.incidentId);
    if (!incident || incident.status === 'resolved') throw new AppError('stale', `${p.incidentId} was resolved before the change ran; nothing was changed`);
    const r = await mutate(deps, p);
    const done = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status: 'executed', outcome: r.result?.noop ?? `Executed at ${deps.clock.now().toISOString()}; verifying…`, ...(r.silenceId ? { silenceId: r.silenceId } : {}) })))?.value;
    if (!done) return;
    await record(deps, done, 'mitigation.executed', BOT, `Executed ${describe(p.mitigation)} (approved by ${approvedBy.map((u) => `<@${u}>`).join(', ')})`, { approvedBy, diff: r.result?.diff ?? p.diff, silenceId: r.silenceId });
    await refresh(deps, done);
    await deps.queue.enqueue(verifyMitigationJob, { proposalId: p.id });
  } catch (e) {
    const stale = isAppError(e) && (e.code === 'conflict' || e.code === 'stale');
    const why = stale ? (isAppError(e) && e.code === 'stale' ? e.message : 'the object changed while it was being written; propose again') : errorMessage(e);
    const failed = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status: stale ? 'refused' : 'failed', outcome: stale ? `Stale: ${why}` : `Failed: ${why}` })))?.value;
    if (failed) {
      await record(deps, failed, stale ? 'mitigation.refused' : 'mitigation.failed', BOT, `${stale ? 'Refused (stale)' : 'Failed'}: ${describe(p.mitigation)}: ${why}`);
      await refresh(deps, failed);
    }
  }
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Watch the rollout (kubectl rollout status semantics), then re-check the signal that paged. */
export async function verify(deps: Ports, proposalId: string, signal?: AbortSignal): Promise<void> {
  const p = await deps.proposals.get(proposalId);
  if (!p || p.status !== 'executed') return;
  const m = p.mitigation;
  const lines: string[] = [];
  let result: 'verified' | 'not-yet' | 'failed' = 'verified';
  const k8s = deps.kubernetes;
  if (k8s && (m.kind === 'rollback' || m.kind === 'restart' || m.kind === 'scale')) {
    const deadline = deps.clock.now().getTime() + VERIFY.rolloutDeadlineMs;
    let status = { done: false, failed: false, message: 'not observed yet' };
    while (!signal?.aborted) {
      const d = await k8s.getDeployment(m.namespace, m.deployment);
      if (!d) {
        status = { done: false, failed: true, message: 'deployment disappeared' };
        break;
      }
      status = rolloutStatus(d);
      if (status.done || status.failed || deps.clock.now().getTime() > deadline) break;
      await sleep(VERIFY.pollMs, signal);
    }
    lines.push(`rollout: ${status.message}`);
    if (status.failed) result = 'failed';
    else if (!status.done) result = 'not-yet';
    else {
      const d = await k8s.getDeployment(m.namespace, m.deployment);
      const selector = Object.entries(d?.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      const pods = selector ? await k8s.listPods(m.namespace, selector) : [];
      const crashing = pods.filter((pod) => pod.status.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'));
      const ready = pods.filter((pod) => pod.status.containerStatuses?.every((c) => c.ready));
      lines.push(`pods: ${ready.length}/${pods.length} ready, ${crashing.length} crash-looping`);
      if (crashing.length > 0) result = 'failed';
    }
  } else if (k8s && m.kind === 'hpa') {
    const hpa = await k8s.getHpa(m.namespace, m.name);
    const ok = hpa && (m.minReplicas === undefined || hpa.minReplicas === m.minReplicas) && (m.maxReplicas === undefined || hpa.maxReplicas === m.maxReplicas) && (m.targetCPUUtilizationPercentage === undefined || hpa.targetCPUUtilizationPercentage === m.targetCPUUtilizationPercentage);
    lines.push(hpa ? `HPA now min=${hpa.minReplicas} max=${hpa.maxReplicas} target=${hpa.targetCPUUtilizationPercentage ?? '—'}% current=${hpa.currentCPUUtilizationPercentage ?? '—'}% replicas=${hpa.currentReplicas ?? '—'}` : 'HPA not found');
    if (!ok) result = 'failed';
  }
  if (result !== 'failed') {
    const sig = await recheckSignal(deps, p).catch((e: unknown) => ({ cleared: undefined, text: `could not re-check the paging signal: ${errorMessage(e)}` }));
    lines.push(sig.text);
    if (sig.cleared === false && result === 'verified') result = 'not-yet';
  }
  const detail = lines.join('; ');
  const status = result === 'failed' ? 'failed' : 'verified';
  const done = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status, verification: { result, detail }, outcome: `${result === 'verified' ? 'Verified' : result === 'not-yet' ? 'Executed; not yet verified' : 'Verification failed'}: ${detail}` })))?.value;
  if (!done) return;
  await record(deps, done, result === 'failed' ? 'mitigation.failed' : 'mitigation.verified', BOT, `${result === 'verified' ? 'Verified' : result === 'not-yet' ? 'Not yet verified' : 'Verification failed'}: ${describe(m)} — ${detail}`, { result, detail });
  await refresh(deps, done);
  const incident = await deps.incidents.get(p.incidentId);
  if (incident?.channelId) {
    const icon = result === 'verified' ? ':white_check_mark:' : result === 'not-yet' ? ':hourglass:' : ':x:';
    await deps.chat.post(incident.channelId, deps.render.text(`${icon} ${describe(m)}: *${result}* — ${detail}${result === 'failed' && p.revert ? '\nUse “Propose revert” on the card to undo it.' : ''}`));
  }
  if (result === 'verified' && incident && incident.status !== 'resolved' && incident.status !== 'mitigated') {
    const at = deps.clock.now().toISOString();
    await deps.incidents.update(incident.id, (cur) => (cur.status === 'resolved' || cur.status === 'mitigated' ? undefined : { ...cur, status: 'mitigated', mitigatedAt: at, updatedAt: at }));
    await deps.timeline.append(incident.id, { at, kind: 'incident.mitigated', actor: BOT, text: `Mitigated: ${describe(m)} verified`, data: { proposalId: p.id } }, `mitigated-${p.id}`);
    await scheduleCardRefresh(deps, incident.id);
  }
}

/** Is the signal that paged still there? CloudWatch alarm state, or the Alertmanager alerts. */
async function recheckSignal(deps: Ports, p: Proposal): Promise<{ cleared: boolean | undefined; text: string }> {
  const alerts = await deps.incidents.listAlerts(p.incidentId);
  const cw = alerts.find((a) => a.cloudwatch);
  if (cw?.cloudwatch && deps.cloudwatch) {
    const alarm = await deps.cloudwatch.describeAlarm(cw.cloudwatch.region, cw.cloudwatch.alarmName);
    if (alarm) return { cleared: alarm.stateValue === 'OK', text: `alarm ${alarm.alarmName} is ${alarm.stateValue}` };
  }
  const am = alerts.filter((a) => a.source === 'alertmanager');
  if (am.length && deps.alertmanager) {
    let firing = 0;
    for (const a of am) {
      const live = await deps.alertmanager.listAlerts({ alertname: a.labels.alertname ?? a.name, ...(a.labels.namespace ? { namespace: a.labels.namespace } : {}) });
      firing += live.filter((x) => x.status === 'active').length;
    }
    return { cleared: firing === 0, text: `${firing} matching alert(s) still active in Alertmanager` };
  }
  const stillFiring = alerts.filter((a) => a.status === 'firing').length;
  return { cleared: undefined, text: `paging signal not re-checked live (${stillFiring} alert(s) last seen firing)` };
}

export async function expire(deps: Ports, proposalId: string): Promise<void> {
  const r = await deps.proposals.update(proposalId, (cur) => (cur.status !== 'pending' || deps.clock.now().getTime() < Date.parse(cur.expiresAt) ? undefined : { ...cur, status: 'expired', outcome: `Expired at ${cur.expiresAt} without enough approvals` }));
  if (!r?.changed) return;
  const p = r.value;
  await record(deps, p, 'mitigation.expired', BOT, `Expired: ${describe(p.mitigation)}`);
  await refresh(deps, p);
}

export async function proposeRevert(deps: Ports, proposalId: string, userId: string, channelId: string): Promise<CommandOutcome> {
  const p = await deps.proposals.get(proposalId);
  if (!p) return { ok: false, message: 'Unknown proposal.' };
  const incident = await deps.incidents.get(p.incidentId);
  // The button must come from the card's own incident channel: a crafted click elsewhere proposes nothing.
  if (!incident || incident.channelId !== channelId) return { ok: false, message: 'This proposal does not belong to this channel.' };
  if (incident.status === 'resolved') return { ok: false, message: `${incident.id} is resolved; reopen it before changing anything.` };
  if (p.status !== 'failed' || !p.revert) return { ok: false, message: p.revert ? `Only a failed action is reverted from its card; this one is ${p.status}.` : 'This action has no automatic revert; propose the inverse by hand.' };
  return propose(deps, incident, p.revert, userId, { because: [p.id], rationale: `Revert of ${describe(p.mitigation)} (${p.verification?.detail ?? p.outcome ?? 'failed'})`, idSeed: `revert-${p.id}` });
}

/** The assessment's proposals become cards (once per run). */
export async function proposeFromAssessment(deps: Ports, incidentId: string, runId: string, assessment: Assessment): Promise<void> {
  const incident = await deps.incidents.get(incidentId);
  if (!incident || incident.status === 'resolved') return;
  for (const pm of assessment.proposals as ProposedMitigation[]) {
    await propose(deps, incident, pm.mitigation, BOT, { because: pm.because, rationale: pm.rationale, risk: pm.risk, idSeed: `assessment-${runId}` });
  }
}
