/** New HPA bounds or CPU target (autoscaling/v2, and v1 objects). */
import type { Mitigation } from '../../../domain/diagnostics.js';
import { AppError } from '../../../errors.js';
import type { K8sHpa } from '../../ports.js';
import { needKubernetes, shortHash, stable, type MitigationKind } from '../kind.js';

type Hpa = Extract<Mitigation, { kind: 'hpa' }>;

/** Pinned: bounds, target and scale target (the current replica count is the HPA's own to change). */
export function hpaSpecHash(h: K8sHpa): string {
  return shortHash(stable({ min: h.minReplicas, max: h.maxReplicas, target: h.targetCPUUtilizationPercentage ?? null, ref: h.scaleTargetRef }));
}

const change = (m: Hpa) => ({
  ...(m.minReplicas !== undefined ? { minReplicas: m.minReplicas } : {}),
  ...(m.maxReplicas !== undefined ? { maxReplicas: m.maxReplicas } : {}),
  ...(m.targetCPUUtilizationPercentage !== undefined ? { targetCPUUtilizationPercentage: m.targetCPUUtilizationPercentage } : {}),
});

/** The HPA has every field the mitigation sets. */
const carries = (h: K8sHpa, m: Hpa): boolean =>
  (m.minReplicas === undefined || h.minReplicas === m.minReplicas) && (m.maxReplicas === undefined || h.maxReplicas === m.maxReplicas) && (m.targetCPUUtilizationPercentage === undefined || h.targetCPUUtilizationPercentage === m.targetCPUUtilizationPercentage);

export const hpa: MitigationKind<Hpa, K8sHpa> = {
  kind: 'hpa',
  describe: (m) => {
    const parts: string[] = [];
    if (m.targetCPUUtilizationPercentage !== undefined) parts.push(`CPU target to ${m.targetCPUUtilizationPercentage}%`);
    if (m.minReplicas !== undefined) parts.push(`min replicas to ${m.minReplicas}`);
    if (m.maxReplicas !== undefined) parts.push(`max replicas to ${m.maxReplicas}`);
    return ['Change HPA', { literal: `${m.namespace}/${m.name}` }, `: ${parts.length > 0 ? parts.join(', ') : 'no field named'}`];
  },
  risk: () => 'More replicas need node capacity (the cluster autoscaler may add nodes, minutes).',
  dryRun: async (ports, m) => {
    const k8s = needKubernetes(ports);
    const h = await k8s.getHpa(m.namespace, m.name);
    if (!h) throw new AppError('not_found', `no HorizontalPodAutoscaler ${m.namespace}/${m.name}`);
    const rv = h.metadata.resourceVersion;
    const result = await k8s.patchHpa(m.namespace, m.name, change(m), { dryRun: true, ...(rv ? { expectResourceVersion: rv } : {}) });
    return { result, pinned: { ...(rv ? { resourceVersion: rv } : {}), specHash: hpaSpecHash(h) }, before: h };
  },
  revertOf: (m, before) =>
    before ? { kind: 'hpa', namespace: m.namespace, name: m.name, minReplicas: before.minReplicas, maxReplicas: before.maxReplicas, ...(before.targetCPUUtilizationPercentage !== undefined ? { targetCPUUtilizationPercentage: before.targetCPUUtilizationPercentage } : {}) } : undefined,
  pin: {
    noun: 'HPA',
    read: (k8s, m) => k8s.getHpa(m.namespace, m.name),
    specHash: (h) => hpaSpecHash(h),
    resourceVersion: (h) => h.metadata.resourceVersion,
    applied: (h, m) => carries(h, m),
  },
  apply: async (ports, _p, m, opts) => ({ result: await needKubernetes(ports).patchHpa(m.namespace, m.name, change(m), { dryRun: false, ...opts }) }),
  verify: async (ports, m) => {
    const h = await needKubernetes(ports).getHpa(m.namespace, m.name);
    const ok = h && carries(h, m);
    const line = h ? `HPA now min=${h.minReplicas} max=${h.maxReplicas} target=${h.targetCPUUtilizationPercentage ?? '—'}% current=${h.currentCPUUtilizationPercentage ?? '—'}% replicas=${h.currentReplicas ?? '—'}` : 'HPA not found';
    return { result: ok ? 'verified' : 'failed', lines: [line] };
  },
};
