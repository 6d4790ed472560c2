/** Helpers shared by the Kubernetes checks (plain JSON shapes from the port, no SDK). */
import type { K8sContainerState, K8sDeployment, K8sPod, K8sReplicaSet, K8sService, KubernetesPort } from '../../ports.js';
import { labelSelector } from '../types.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Does `labels` carry every key=value of `selector`? An empty selector selects nothing. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels?.[k] === v);
}

/** Deployments whose pod template labels the service selector matches, sorted by name. */
export async function deploymentsForService(k8s: KubernetesPort, namespace: string, service: K8sService, signal?: AbortSignal): Promise<K8sDeployment[]> {
  const deployments = await k8s.listDeployments(namespace, signal);
  return deployments
    .filter((d) => selects(service.spec.selector, d.spec.template.metadata?.labels))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export function deploymentSelector(d: K8sDeployment): string {
  return labelSelector(d.spec.selector.matchLabels);
}

export function revisionOf(rs: K8sReplicaSet): number {
  const n = Number.parseInt(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/** ReplicaSets controlled by the deployment (uid when known, else by name), by revision ascending. */
export async function replicaSetsOf(k8s: KubernetesPort, d: K8sDeployment, signal?: AbortSignal): Promise<K8sReplicaSet[]> {
  const all = await k8s.listReplicaSets(d.metadata.namespace ?? '', deploymentSelector(d), signal);
  return all
    .filter((rs) =>
      (rs.metadata.ownerReferences ?? []).some(
        (o) => o.kind === 'Deployment' && o.controller !== false && (d.metadata.uid ? o.uid === d.metadata.uid : o.name === d.metadata.name),
      ),
    )
    .sort((a, b) => revisionOf(a) - revisionOf(b) || a.metadata.name.localeCompare(b.metadata.name));
}

/** "registry/app:v1.14.3-prod" -> "v1.14.3-prod"; digests kept short. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1, at + 20);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

export function podsOwnedBy(pods: K8sPod[], rsName: string): K8sPod[] {
  return pods.filter((p) => (p.metadata.ownerReferences ?? []).some((o) => o.kind === 'ReplicaSet' && o.name === rsName));
}

export interface Termination {
  pod: string;
  container: string;
  reason?: string;
  exitCode: number;
  finishedAt?: string;
}

/** The exit-code class, as the runbook names them. */
export function exitClass(t: { reason?: string; exitCode: number }): 'oom' | 'sigkill' | 'app-error' | 'sigterm' | 'completed' | 'other' {
  if (t.reason === 'OOMKilled') return 'oom';
  if (t.exitCode === 137) return 'sigkill';
  if (t.exitCode === 143) return 'sigterm';
  if (t.exitCode === 0) return 'completed';
  if (t.exitCode === 1 || t.exitCode === 2) return 'app-error';
  return 'other';
}

export const EXIT_CLASS_TEXT: Record<ReturnType<typeof exitClass>, string> = {
  oom: 'OOMKilled (137: out of memory, killed by the kernel)',
  sigkill: 'SIGKILL (137, not OOM: killed by the kubelet, e.g. liveness or grace period expiry)',
  'app-error': 'application error (exit 1/2: check logs --previous)',
  sigterm: 'SIGTERM (143: asked to stop, often a failed liveness probe)',
  completed: 'exited 0',
  other: 'other exit code',
};

/** Last terminations (current state first if terminated, else lastState). */
export function terminations(pods: K8sPod[]): Termination[] {
  const out: Termination[] = [];
  for (const p of pods) {
    for (const cs of p.status.containerStatuses ?? []) {
      const states: (K8sContainerState | undefined)[] = [cs.state, cs.lastState];
      for (const st of states) {
        const t = st?.terminated;
        if (!t) continue;
        out.push({
          pod: p.metadata.name,
          container: cs.name,
          exitCode: t.exitCode,
          ...(t.reason ? { reason: t.reason } : {}),
          ...(t.finishedAt ? { finishedAt: t.finishedAt } : {}),
        });
        break;
      }
    }
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod) || a.container.localeCompare(b.container));
}

export function waitingReasons(p: K8sPod): string[] {
  return (p.status.containerStatuses ?? []).map((cs) => cs.state?.waiting?.reason).filter((r): r is string => r !== undefined);
}

export function isCrashing(p: K8sPod): boolean {
  return waitingReasons(p).includes('CrashLoopBackOff') || (p.status.containerStatuses ?? []).some((cs) => cs.restartCount > 0 && cs.lastState?.terminated !== undefined && !cs.ready);
}

export function restarts(p: K8sPod): number {
  return (p.status.containerStatuses ?? []).reduce((a, cs) => a + cs.restartCount, 0);
}

/** Removes every non-alphanumeric character, as the AWS Load Balancer Controller does. */
export function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, '');
}

// ------------------------------------------------------------------------------------------
// Pod failures and the revision they are confined to

export const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);
export const CONFIG_ERROR_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError']);
/** A running pod not Ready for longer than this is failing its readiness probe (not just starting). */
export const READINESS_GRACE_MS = 90_000;

export type PodFailure = 'crash-loop' | 'restarts' | 'oom-kill' | 'image-pull' | 'config-error' | 'readiness-failing';

function readyCondition(p: K8sPod): string | undefined {
  return (p.status.conditions ?? []).find((c) => c.type === 'Ready')?.status;
}

/** What is wrong with a pod, as the runbook names it (empty: healthy or merely Pending). */
export function failuresOf(p: K8sPod, now: Date): Set<PodFailure> {
  const out = new Set<PodFailure>();
  const waiting = waitingReasons(p);
  if (waiting.includes('CrashLoopBackOff')) out.add('crash-loop');
  if (waiting.some((r) => IMAGE_PULL_REASONS.has(r))) out.add('image-pull');
  if (waiting.some((r) => CONFIG_ERROR_REASONS.has(r))) out.add('config-error');
  for (const cs of p.status.containerStatuses ?? []) {
    const last = cs.lastState?.terminated ?? cs.state?.terminated;
    if (last?.reason === 'OOMKilled') out.add('oom-kill');
    if (cs.restartCount > 0 && last !== undefined) out.add('restarts');
  }
  const started = Date.parse(p.status.startTime ?? p.metadata.creationTimestamp ?? '');
  const running = p.status.phase === 'Running' && (p.status.containerStatuses ?? []).every((cs) => cs.state?.running !== undefined);
  if (running && readyCondition(p) === 'False' && Number.isFinite(started) && now.getTime() - started > READINESS_GRACE_MS) out.add('readiness-failing');
  return out;
}

export interface Revisions {
  /** The newest revision (the one a rollout is moving to). */
  current?: K8sReplicaSet;
  previous?: K8sReplicaSet;
  all: K8sReplicaSet[];
  newPods: K8sPod[];
  oldPods: K8sPod[];
}

/** The pods a ReplicaSet owns (owner reference, else its pod-template-hash). */
export function podsOfReplicaSet(pods: K8sPod[], rs: K8sReplicaSet): K8sPod[] {
  const owned = podsOwnedBy(pods, rs.metadata.name);
  if (owned.length > 0) return owned;
  const hash = rs.metadata.labels?.['pod-template-hash'];
  return hash ? pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash) : [];
}

/** The deployment's pods split into the newest revision and the older ones. */
export async function podsByRevision(k8s: KubernetesPort, d: K8sDeployment, pods: K8sPod[], signal?: AbortSignal): Promise<Revisions> {
  const all = await replicaSetsOf(k8s, d, signal);
  const current = all[all.length - 1];
  const previous = all[all.length - 2];
  const newPods = current ? podsOfReplicaSet(pods, current) : [];
  const newNames = new Set(newPods.map((p) => p.metadata.name));
  return { ...(current ? { current } : {}), ...(previous ? { previous } : {}), all, newPods, oldPods: pods.filter((p) => !newNames.has(p.metadata.name)) };
}

/** A rollout this recent counts as "new" even when its old pods are already gone. */
export const RECENT_REVISION_MS = 2 * 3600_000;

/**
 * Where failing pods are confined: the newest revision when every failing pod belongs to it, a
 * previous revision exists, and either an older pod is still healthy or the revision is recent and
 * most of its pods fail; one pod of several; otherwise every pod.
 */
export function failureScope(failing: K8sPod[], rev: Revisions, total: number, now: Date): 'new-revision' | 'one-pod' | 'all-pods' {
  const newNames = new Set(rev.newPods.map((p) => p.metadata.name));
  const created = Date.parse(rev.current?.metadata.creationTimestamp ?? '');
  const recent = Number.isFinite(created) && now.getTime() - created <= RECENT_REVISION_MS;
  const healthyOld = rev.oldPods.some((p) => failuresOf(p, now).size === 0 && p.status.phase === 'Running');
  // With no older pod left to compare, the new revision is to blame only when most of it fails.
  const mostOfNew = failing.length * 2 > rev.newPods.length;
  if (failing.length > 0 && rev.previous && failing.every((p) => newNames.has(p.metadata.name)) && (healthyOld || (recent && mostOfNew))) return 'new-revision';
  if (failing.length === 1 && total > 1) return 'one-pod';
  return 'all-pods';
}

/** "only the new revision 7 (v2.8.0)" / "every pod". */
export function scopeText(scope: 'new-revision' | 'one-pod' | 'all-pods', rev: Revisions): string {
  if (scope === 'new-revision') return `confined to the new revision${rev.current ? ` ${revisionOf(rev.current)}` : ''}`;
  if (scope === 'one-pod') return 'in one pod';
  return 'across revisions';
}
