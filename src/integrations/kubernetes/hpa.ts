/**
 * HorizontalPodAutoscalers normalised across autoscaling/v2 and autoscaling/v1 to the port's
 * K8sHpa (v1 carries conditions in an annotation), the diff of a bounds/target change, and the
 * v2 metrics list with a new cpu utilisation target (other metrics kept in place).
 */
import type { DiffLine } from '../../domain/proposal.js';
import type { K8sHpa } from '../../workflows/kubernetes-types.js';
import { parseWith } from './client.js';
import { get, isRecord } from './json.js';
import { HpaV1Schema, HpaV2Schema, type HpaV1, type HpaV2 } from './schemas.js';

const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

function cpuTarget(metrics: HpaV2['spec']['metrics']): number | undefined {
  const m = (metrics ?? []).find((x) => x.type === 'Resource' && x.resource?.name === 'cpu' && x.resource.target.type === 'Utilization');
  return m?.resource?.target.averageUtilization;
}

/** The fields both versions share, plus what each spells its own way. */
function normalise(
  apiVersion: K8sHpa['apiVersion'],
  h: Pick<HpaV1, 'metadata' | 'spec' | 'status'> | Pick<HpaV2, 'metadata' | 'spec' | 'status'>,
  conditions: K8sHpa['conditions'],
  target: number | undefined,
  current: number | undefined,
): K8sHpa {
  const out: K8sHpa = { apiVersion, metadata: h.metadata, scaleTargetRef: h.spec.scaleTargetRef, minReplicas: h.spec.minReplicas ?? 1, maxReplicas: h.spec.maxReplicas, conditions };
  if (target !== undefined) out.targetCPUUtilizationPercentage = target;
  if (current !== undefined) out.currentCPUUtilizationPercentage = current;
  if (h.status.currentReplicas !== undefined) out.currentReplicas = h.status.currentReplicas;
  if (h.status.desiredReplicas !== undefined) out.desiredReplicas = h.status.desiredReplicas;
  if (h.status.lastScaleTime !== undefined) out.lastScaleTime = h.status.lastScaleTime;
  return out;
}

export function hpaFromV2(raw: unknown): K8sHpa {
  const h = parseWith(HpaV2Schema, raw, 'HorizontalPodAutoscaler (autoscaling/v2)');
  const current = (h.status.currentMetrics ?? []).find((x) => x.type === 'Resource' && x.resource?.name === 'cpu');
  return normalise('autoscaling/v2', h, h.status.conditions ?? [], cpuTarget(h.spec.metrics), current?.resource?.current.averageUtilization);
}

function conditionsFromAnnotation(ann: string | undefined): K8sHpa['conditions'] {
  if (ann === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(ann);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isRecord).flatMap((c) =>
      typeof c['type'] === 'string' && typeof c['status'] === 'string'
        ? [
            {
              type: c['type'],
              status: c['status'],
              ...(typeof c['reason'] === 'string' ? { reason: c['reason'] } : {}),
              ...(typeof c['message'] === 'string' ? { message: c['message'] } : {}),
              ...(typeof c['lastTransitionTime'] === 'string' ? { lastTransitionTime: c['lastTransitionTime'] } : {}),
            },
          ]
        : [],
    );
  } catch {
    return [];
  }
}

export function hpaFromV1(raw: unknown): K8sHpa {
  const h: HpaV1 = parseWith(HpaV1Schema, raw, 'HorizontalPodAutoscaler (autoscaling/v1)');
  const conditions = conditionsFromAnnotation(h.metadata.annotations?.[CONDITIONS_ANNOTATION]);
  return normalise('autoscaling/v1', h, conditions, h.spec.targetCPUUtilizationPercentage, h.status.currentCPUUtilizationPercentage);
}

export function hpaDiff(before: K8sHpa, after: K8sHpa): DiffLine[] {
  const lines: DiffLine[] = [];
  if (before.minReplicas !== after.minReplicas) lines.push({ field: 'minReplicas', before: String(before.minReplicas), after: String(after.minReplicas) });
  if (before.maxReplicas !== after.maxReplicas) lines.push({ field: 'maxReplicas', before: String(before.maxReplicas), after: String(after.maxReplicas) });
  if (before.targetCPUUtilizationPercentage !== after.targetCPUUtilizationPercentage) {
    const pct = (v: number | undefined): string => (v === undefined ? '(none)' : `${v}%`);
    lines.push({ field: 'target CPU utilization', before: pct(before.targetCPUUtilizationPercentage), after: pct(after.targetCPUUtilizationPercentage) });
  }
  return lines;
}

/** The v2 metrics with the cpu Utilization target replaced (or added first). */
export function withCpuTarget(metrics: unknown, utilization: number): unknown[] {
  const list = Array.isArray(metrics) ? metrics.map((m) => structuredClone(m)) : [];
  const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } };
  const i = list.findIndex((m) => get(m, 'type') === 'Resource' && get(m, 'resource', 'name') === 'cpu' && get(m, 'resource', 'target', 'type') === 'Utilization');
  if (i >= 0) list[i] = cpu;
  else list.unshift(cpu);
  return list;
}

/** Checks a requested change against the current bounds before anything is sent. */
export function validateHpaChange(cur: K8sHpa, change: { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number }): string | undefined {
  for (const [k, v] of Object.entries(change)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) return `${k} must be a whole number of at least 1 (got ${String(v)})`;
  }
  if (change.targetCPUUtilizationPercentage !== undefined && change.targetCPUUtilizationPercentage > 100) {
    return `targetCPUUtilizationPercentage must be at most 100 (got ${change.targetCPUUtilizationPercentage})`;
  }
  const min = change.minReplicas ?? cur.minReplicas;
  const max = change.maxReplicas ?? cur.maxReplicas;
  if (min > max) return `minReplicas (${min}) must not be greater than maxReplicas (${max})`;
  return undefined;
}
