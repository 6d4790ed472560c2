/**
 * What the Deployment kinds (rollback, scale, restart) share: reading and pinning the Deployment, and
 * watching its rollout with `kubectl rollout status` semantics.
 */
import { REVISION_ANNOTATION, rolloutStatus } from '../../../domain/rollout.js';
import { AppError } from '../../../errors.js';
import type { Proposal } from '../../../domain/proposal.js';
import type { K8sDeployment, KubernetesPort } from '../../ports.js';
import { needKubernetes, shortHash, stable, type KindPorts, type Pinning, type Verification, type VerifyOptions } from '../kind.js';

type DeploymentKind = 'rollback' | 'scale' | 'restart';

/**
 * The spec a proposal is pinned to (see PinnedState.specHash): every field the proposal changes or
 * shows in its diff. A scale card shows `replicas 4 → 3`, so the replica count is pinned: someone
 * scaling to 12 meanwhile makes the approval stale instead of cutting 12 to 3. Rollback and restart
 * change the template and not the replicas, which an HPA rewrites every few seconds: pinning them
 * would make every proposal on an autoscaled Deployment stale.
 */
export function deploymentSpecHash(d: K8sDeployment, kind: DeploymentKind): string {
  return shortHash(stable({ template: d.spec.template, paused: d.spec.paused ?? false, ...(kind === 'scale' ? { replicas: d.spec.replicas ?? 1 } : {}) }));
}

/** The revision a proposal is pinned to: none when the Deployment has no (or a zero) revision annotation. */
export function pinnedRevision(d: K8sDeployment): number | undefined {
  return Number(d.metadata.annotations?.[REVISION_ANNOTATION] ?? '0') || undefined;
}

export function deploymentPinning<M extends { kind: DeploymentKind; namespace: string; deployment: string }>(moved?: (p: Proposal, d: K8sDeployment) => string | undefined, applied?: (d: K8sDeployment, m: M) => boolean): Pinning<M, K8sDeployment> {
  return {
    ...(applied ? { applied } : {}),
    noun: 'deployment',
    read: (k8s: KubernetesPort, m: M) => k8s.getDeployment(m.namespace, m.deployment),
    specHash: (d, m) => deploymentSpecHash(d, m.kind),
    resourceVersion: (d) => d.metadata.resourceVersion,
    revision: pinnedRevision,
    ...(moved ? { moved } : {}),
  };
}

/** Reads the Deployment for a dry run, and the state the proposal is pinned to. */
export async function readForDryRun(ports: KindPorts, m: { kind: DeploymentKind; namespace: string; deployment: string }) {
  const k8s = needKubernetes(ports);
  const d = await k8s.getDeployment(m.namespace, m.deployment);
  if (!d) throw new AppError('not_found', `no Deployment ${m.namespace}/${m.deployment}`);
  const rv = d.metadata.resourceVersion;
  const revision = pinnedRevision(d);
  const pinned = { ...(rv ? { resourceVersion: rv } : {}), ...(revision !== undefined ? { revision } : {}), ...(d.metadata.generation !== undefined ? { generation: d.metadata.generation } : {}), specHash: deploymentSpecHash(d, m.kind) };
  return { k8s, d, pinned, opts: { dryRun: true, ...(rv ? { expectResourceVersion: rv } : {}) } };
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Watches the rollout to completion or its deadline, then counts ready and crash-looping pods. */
export async function watchRollout(ports: KindPorts, m: { namespace: string; deployment: string }, opts: VerifyOptions & { signal?: AbortSignal }): Promise<Verification> {
  const k8s = needKubernetes(ports);
  const deadline = ports.clock.now().getTime() + opts.rolloutDeadlineMs;
  let status = { done: false, failed: false, message: 'not observed yet' };
  while (!opts.signal?.aborted) {
    const d = await k8s.getDeployment(m.namespace, m.deployment);
    if (!d) {
      status = { done: false, failed: true, message: 'deployment disappeared' };
      break;
    }
    status = rolloutStatus(d);
    if (status.done || status.failed || ports.clock.now().getTime() > deadline) break;
    await sleep(opts.pollMs, opts.signal);
  }
  const lines = [`rollout: ${status.message}`];
  if (status.failed) return { result: 'failed', lines };
  if (!status.done) return { result: 'not-yet', lines };
  const d = await k8s.getDeployment(m.namespace, m.deployment);
  const selector = Object.entries(d?.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = selector ? await k8s.listPods(m.namespace, selector) : [];
  const crashing = pods.filter((pod) => pod.status.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'));
  const ready = pods.filter((pod) => pod.status.containerStatuses?.every((c) => c.ready));
  lines.push(`pods: ${ready.length}/${pods.length} ready, ${crashing.length} crash-looping`);
  return { result: crashing.length > 0 ? 'failed' : 'verified', lines };
}
