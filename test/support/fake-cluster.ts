/**
 * A small writable Kubernetes for unit tests of the mitigation workflows on createFakeDeps: Deployments
 * with their ReplicaSet history (rollback), HPAs, pods that are ready at once. Every write bumps the
 * resourceVersion; a write with a stale expectResourceVersion is refused as a conflict (as the API
 * server answers 409); a dry run computes the same result and diff and stores nothing. The rollout
 * completes at once (a controller that is always done), unless `crashLoop` says the new pods crash.
 * The full semantics (kubectl rollout undo, RBAC, v1 HPAs) are the Kubernetes emulator's and the real
 * adapter's, tested in test/integration and test/e2e.
 */
import { AppError } from '../../src/errors.js';
import type { K8sDeployment, K8sHpa, K8sPod, K8sReplicaSet, KubernetesPort, MutationResult } from '../../src/workflows/ports.js';

const REVISION = 'deployment.kubernetes.io/revision';

export interface FakeClusterState {
  deployments: K8sDeployment[];
  replicaSets: K8sReplicaSet[];
  hpas: K8sHpa[];
  /** Deployments (ns/name) whose pods crash-loop after the next write. */
  crashLoop: Set<string>;
  /** Every write that was not a dry run, as "<verb> <ns>/<name>". */
  writes: string[];
}

export function deployment(namespace: string, name: string, opts: { image?: string; replicas?: number; revision?: number } = {}): K8sDeployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace, resourceVersion: '1', generation: 1, annotations: { [REVISION]: String(opts.revision ?? 1) } },
    spec: { replicas: opts.replicas ?? 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: opts.image ?? `registry.example.com/${name}:v1` }] } } },
    status: { observedGeneration: 1, replicas: opts.replicas ?? 2, updatedReplicas: opts.replicas ?? 2, readyReplicas: opts.replicas ?? 2, availableReplicas: opts.replicas ?? 2 },
  };
}

export function hpa(namespace: string, name: string, opts: { min?: number; max?: number; target?: number } = {}): K8sHpa {
  return {
    apiVersion: 'autoscaling/v2',
    metadata: { name, namespace, resourceVersion: '1' },
    scaleTargetRef: { kind: 'Deployment', name },
    minReplicas: opts.min ?? 2,
    maxReplicas: opts.max ?? 6,
    targetCPUUtilizationPercentage: opts.target ?? 80,
    currentReplicas: opts.min ?? 2,
    conditions: [],
  };
}

export function createFakeCluster(init: { deployments?: K8sDeployment[]; hpas?: K8sHpa[]; history?: { namespace: string; deployment: string; revision: number; image: string }[] } = {}): KubernetesPort & { state: FakeClusterState } {
  const state: FakeClusterState = {
    deployments: structuredClone(init.deployments ?? []),
    hpas: structuredClone(init.hpas ?? []),
    replicaSets: (init.history ?? []).map((h) => ({
      metadata: { name: `${h.deployment}-${h.revision}`, namespace: h.namespace, annotations: { [REVISION]: String(h.revision) }, labels: { app: h.deployment } },
      spec: { replicas: 0, template: { metadata: { labels: { app: h.deployment } }, spec: { containers: [{ name: h.deployment, image: h.image }] } } },
    })),
    crashLoop: new Set(),
    writes: [],
  };
  let rv = 100;
  const findDeployment = (ns: string, name: string) => state.deployments.find((d) => d.metadata.namespace === ns && d.metadata.name === name);
  const findHpa = (ns: string, name: string) => state.hpas.find((h) => h.metadata.namespace === ns && h.metadata.name === name);
  const image = (d: K8sDeployment) => d.spec.template.spec.containers[0]?.image ?? '';

  /** Applies `change` to a copy; stores it (new resourceVersion) unless a dry run. */
  function write<T extends { metadata: { name: string; namespace?: string; resourceVersion?: string } }>(verb: string, list: T[], obj: T | undefined, opts: { dryRun: boolean; expectResourceVersion?: string }, change: (o: T) => void, diff: (before: T, after: T) => MutationResult['diff']): MutationResult {
    if (!obj) throw new AppError('not_found', `${verb}: not found`);
    if (opts.expectResourceVersion && obj.metadata.resourceVersion !== opts.expectResourceVersion) throw new AppError('conflict', `${verb}: the object has been modified`);
    const next = structuredClone(obj);
    change(next);
    const d = diff(obj, next);
    if (opts.dryRun) return { before: obj, after: next, diff: d, ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}) };
    next.metadata.resourceVersion = String(++rv);
    list[list.indexOf(obj)] = next;
    state.writes.push(`${verb} ${obj.metadata.namespace}/${obj.metadata.name}`);
    return { before: obj, after: next, diff: d, resourceVersion: next.metadata.resourceVersion };
  }
  const templateChange = (d: K8sDeployment) => {
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    d.status = { ...d.status, observedGeneration: d.metadata.generation };
  };

  return {
    state,
    getDeployment: async (ns, name) => structuredClone(findDeployment(ns, name)),
    listDeployments: async (ns) => structuredClone(state.deployments.filter((d) => d.metadata.namespace === ns)),
    listReplicaSets: async (ns) => structuredClone(state.replicaSets.filter((r) => r.metadata.namespace === ns)),
    listPods: async (ns, selector) => {
      const d = state.deployments.find((x) => x.metadata.namespace === ns && Object.entries(x.spec.selector.matchLabels ?? {}).every(([k, v]) => selector.includes(`${k}=${v}`)));
      if (!d) return [];
      const crashing = state.crashLoop.has(`${ns}/${d.metadata.name}`);
      return Array.from({ length: d.spec.replicas ?? 1 }, (_, i): K8sPod => ({
        metadata: { name: `${d.metadata.name}-${i}`, namespace: ns, labels: d.spec.template.metadata?.labels ?? {} },
        spec: { containers: d.spec.template.spec.containers },
        status: { phase: 'Running', containerStatuses: [{ name: d.metadata.name, ready: !crashing, restartCount: crashing ? 5 : 0, ...(crashing ? { state: { waiting: { reason: 'CrashLoopBackOff' } } } : {}) }] },
      }));
    },
    listEvents: async () => [],
    // The mitigation tests' cluster has no ConfigMaps.
    getConfigMap: async () => undefined,
    listHpas: async (ns) => structuredClone(state.hpas.filter((h) => h.metadata.namespace === ns)),
    getHpa: async (ns, name) => structuredClone(findHpa(ns, name)),
    listNodes: async () => [],
    listPodsOnNode: async () => [],
    listServices: async () => [],
    listTargetGroupBindings: async () => [],
    listNamespaces: async () => [...new Set(state.deployments.map((d) => d.metadata.namespace ?? 'default'))],

    rollbackDeployment: async (ns, name, toRevision, opts) => {
      const d = findDeployment(ns, name);
      const current = d ? Number(d.metadata.annotations?.[REVISION] ?? 0) : 0;
      const target = toRevision || current - 1;
      const rs = state.replicaSets.find((r) => r.metadata.namespace === ns && r.metadata.labels?.app === name && Number(r.metadata.annotations?.[REVISION]) === target);
      if (d && !rs) throw new AppError('not_found', `no revision ${target} of deployment ${ns}/${name}`);
      return write('rollback', state.deployments, d, opts, (next) => {
        next.spec.template = structuredClone(rs?.spec.template ?? next.spec.template);
        next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: String(current + 1) };
        templateChange(next);
      }, (before, after) => [{ field: 'image', before: image(before), after: image(after) }]);
    },
    scaleDeployment: async (ns, name, replicas, opts) =>
      write('scale', state.deployments, findDeployment(ns, name), opts, (next) => {
        next.spec.replicas = replicas;
        next.status = { ...next.status, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
      }, (before, after) => [{ field: 'replicas', before: String(before.spec.replicas ?? 1), after: String(after.spec.replicas) }]),
    patchHpa: async (ns, name, change, opts) =>
      write('patch-hpa', state.hpas, findHpa(ns, name), opts, (next) => Object.assign(next, change), (before, after) =>
        (['minReplicas', 'maxReplicas', 'targetCPUUtilizationPercentage'] as const).filter((k) => before[k] !== after[k]).map((k) => ({ field: k, before: String(before[k] ?? '—'), after: String(after[k] ?? '—') }))),
    restartDeployment: async (ns, name, at, opts) =>
      write('restart', state.deployments, findDeployment(ns, name), opts, (next) => {
        next.spec.template.metadata = { ...next.spec.template.metadata, annotations: { ...next.spec.template.metadata?.annotations, 'kubectl.kubernetes.io/restartedAt': at.toISOString() } };
        templateChange(next);
      }, () => [{ field: 'restartedAt', before: '—', after: at.toISOString() }]),
  };
}

/** Someone else changes a Deployment (kubectl scale, an edit): a new resourceVersion, outside warroom. */
export function changeBehindOurBack(cluster: { state: FakeClusterState }, ns: string, name: string, change: (d: K8sDeployment) => void): void {
  const d = cluster.state.deployments.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
  if (!d) throw new Error(`no deployment ${ns}/${name}`);
  change(d);
  d.metadata.resourceVersion = String(Number(d.metadata.resourceVersion ?? '0') + 1000);
}
