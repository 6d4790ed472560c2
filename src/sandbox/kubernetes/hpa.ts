/**
 * One stored HorizontalPodAutoscaler (autoscaling/v2, the storage version), served as v1 or v2
 * with the API server's conversion: v1 `targetCPUUtilizationPercentage` <-> the v2 `Resource` cpu
 * `Utilization` metric; v1 `currentCPUUtilizationPercentage` <-> the v2 cpu `currentMetrics` entry.
 * Metrics v1 cannot express survive a v1 round trip (the real server keeps them in an annotation).
 * v2 conditions are shown in v1 as the `autoscaling.alpha.kubernetes.io/conditions` annotation.
 */
import { clone, isRecord, num, rec, type JsonObject } from './json.js';

export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const V1_ONLY_ANNOTATIONS = [CONDITIONS_ANNOTATION, 'autoscaling.alpha.kubernetes.io/current-metrics', 'autoscaling.alpha.kubernetes.io/metrics', 'autoscaling.alpha.kubernetes.io/behavior'];

function isCpuUtilizationMetric(m: unknown): boolean {
  if (!isRecord(m) || m['type'] !== 'Resource') return false;
  const r = rec(m['resource']);
  return r['name'] === 'cpu' && rec(r['target'])['type'] === 'Utilization';
}

function isCpuCurrent(m: unknown): boolean {
  if (!isRecord(m) || m['type'] !== 'Resource') return false;
  const r = rec(m['resource']);
  return r['name'] === 'cpu' && num(rec(r['current'])['averageUtilization']) !== undefined;
}

function cpuMetric(utilization: number): JsonObject {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } };
}

/** v2 defaulting (SetDefaults_HorizontalPodAutoscaler): minReplicas 1, cpu 80% when no metrics. */
export function defaultV2(hpa: JsonObject): JsonObject {
  const out = clone(hpa);
  out['apiVersion'] = 'autoscaling/v2';
  out['kind'] = 'HorizontalPodAutoscaler';
  const spec = rec(out['spec']);
  out['spec'] = spec;
  if (num(spec['minReplicas']) === undefined) spec['minReplicas'] = 1;
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0) spec['metrics'] = [cpuMetric(80)];
  return out;
}

/** The stored v2 object as autoscaling/v1. */
export function toV1(v2: JsonObject): JsonObject {
  const metadata = clone(rec(v2['metadata']));
  const spec = rec(v2['spec']);
  const status = rec(v2['status']);
  const cpu = (Array.isArray(spec['metrics']) ? spec['metrics'] : []).find(isCpuUtilizationMetric);
  const cpuTarget = cpu ? num(rec(rec(rec(cpu)['resource'])['target'])['averageUtilization']) : undefined;
  const current = (Array.isArray(status['currentMetrics']) ? status['currentMetrics'] : []).find(isCpuCurrent);
  const currentCpu = current ? num(rec(rec(rec(current)['resource'])['current'])['averageUtilization']) : undefined;
  const conditions = status['conditions'];
  if (Array.isArray(conditions) && conditions.length > 0) {
    const annotations = rec(metadata['annotations']);
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
    metadata['annotations'] = annotations;
  }
  const v1Spec: JsonObject = { scaleTargetRef: clone(spec['scaleTargetRef']), minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'] };
  if (cpuTarget !== undefined) v1Spec['targetCPUUtilizationPercentage'] = cpuTarget;
  const v1Status: JsonObject = {};
  for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[k] !== undefined) v1Status[k] = clone(status[k]);
  if (currentCpu !== undefined) v1Status['currentCPUUtilizationPercentage'] = currentCpu;
  return { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata, spec: v1Spec, status: v1Status };
}

/**
 * A v1 object back to storage: the cpu metric follows `targetCPUUtilizationPercentage`, every other
 * metric, the behaviour and the conditions of `previous` (the stored object) are kept.
 */
export function fromV1(v1: JsonObject, previous?: JsonObject): JsonObject {
  const metadata = clone(rec(v1['metadata']));
  const annotations = rec(metadata['annotations']);
  for (const a of V1_ONLY_ANNOTATIONS) delete annotations[a];
  if (Object.keys(annotations).length === 0) delete metadata['annotations'];
  else metadata['annotations'] = annotations;
  const spec = rec(v1['spec']);
  const status = rec(v1['status']);
  const prevSpec = rec(previous?.['spec']);
  const prevStatus = rec(previous?.['status']);
  const prevMetrics = Array.isArray(prevSpec['metrics']) ? prevSpec['metrics'] : [];
  const target = num(spec['targetCPUUtilizationPercentage']);
  const metrics: unknown[] = [];
  let placed = false;
  for (const m of prevMetrics) {
    if (isCpuUtilizationMetric(m)) {
      if (target !== undefined && !placed) {
        metrics.push(cpuMetric(target));
        placed = true;
      }
    } else metrics.push(clone(m));
  }
  if (target !== undefined && !placed) metrics.unshift(cpuMetric(target));
  const v2Spec: JsonObject = { scaleTargetRef: clone(spec['scaleTargetRef']), minReplicas: spec['minReplicas'], maxReplicas: spec['maxReplicas'], metrics };
  if (prevSpec['behavior'] !== undefined) v2Spec['behavior'] = clone(prevSpec['behavior']);
  const v2Status: JsonObject = {};
  for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[k] !== undefined) v2Status[k] = clone(status[k]);
  const currentCpu = num(status['currentCPUUtilizationPercentage']);
  const prevCurrent = Array.isArray(prevStatus['currentMetrics']) ? prevStatus['currentMetrics'] : [];
  const currentMetrics = prevCurrent.filter((m) => !isCpuCurrent(m)).map((m) => clone(m));
  if (currentCpu !== undefined) currentMetrics.unshift({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: currentCpu } } });
  if (currentMetrics.length > 0) v2Status['currentMetrics'] = currentMetrics;
  if (prevStatus['conditions'] !== undefined) v2Status['conditions'] = clone(prevStatus['conditions']);
  else {
    const fromAnnotation = rec(rec(v1['metadata'])['annotations'])[CONDITIONS_ANNOTATION];
    if (typeof fromAnnotation === 'string') {
      try {
        const parsed: unknown = JSON.parse(fromAnnotation);
        if (Array.isArray(parsed)) v2Status['conditions'] = parsed;
      } catch {
        // ignore a malformed annotation, as the API server does
      }
    }
  }
  return defaultV2({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata, spec: v2Spec, status: v2Status });
}

/** Validation messages (field, value, detail) for a stored v2 HPA; empty when valid. */
export function validateHpa(v2: JsonObject): { field: string; value: unknown; detail: string }[] {
  const spec = rec(v2['spec']);
  const errs: { field: string; value: unknown; detail: string }[] = [];
  const min = num(spec['minReplicas']);
  const max = num(spec['maxReplicas']);
  if (min !== undefined && min < 1) errs.push({ field: 'spec.minReplicas', value: min, detail: 'must be greater than or equal to 1' });
  if (max === undefined) errs.push({ field: 'spec.maxReplicas', value: spec['maxReplicas'] ?? null, detail: 'must be greater than 0' });
  else if (max < 1) errs.push({ field: 'spec.maxReplicas', value: max, detail: 'must be greater than 0' });
  else if (min !== undefined && max < min) errs.push({ field: 'spec.maxReplicas', value: max, detail: 'must be greater than or equal to `minReplicas`' });
  const metrics = Array.isArray(spec['metrics']) ? spec['metrics'] : [];
  metrics.forEach((m, i) => {
    const target = rec(rec(rec(m)['resource'])['target']);
    const u = target['averageUtilization'];
    if (target['type'] === 'Utilization' && (typeof u !== 'number' || u < 1)) {
      errs.push({ field: `spec.metrics[${i}].resource.target.averageUtilization`, value: u ?? null, detail: 'must be greater than 0' });
    }
  });
  return errs;
}
