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
