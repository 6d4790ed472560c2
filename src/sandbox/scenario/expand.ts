/**
 * Turning a scenario's compact descriptions into concrete data at a given anchor: CloudWatch
 * datapoints (points, burst patterns, LoadBalancer totals of target groups), Prometheus samples
 * (counters integrated from rates), Kubernetes objects with resolved timestamps, alerts in order.
 */
import type { MetricPattern, PromPattern, PrometheusSeries, Scenario, ScenarioAlert, ScenarioDimension, ScenarioMetric, Stats } from './schema.js';
import { pointSum, normaliseStats } from './statistics.js';
import { alignDown, durationMs, isRelativeTime, k8sMicroTime, k8sTime, relativeMs, resolveTime } from './time.js';

export interface MetricDatapoint {
  /** Start of the datapoint's period. */
  timestamp: Date;
  stats: Stats;
}

export interface ExpandedMetric {
  namespace: string;
  metricName: string;
  dimensions: ScenarioDimension[];
  unit?: string;
  period: number;
  /** Ascending, one per period at most. */
  points: MetricDatapoint[];
}

/** Same namespace, metric and exactly the same dimension set (order does not matter), as CloudWatch matches. */
export function sameDimensionSet(a: readonly ScenarioDimension[], b: readonly ScenarioDimension[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d) => b.some((e) => e.name === d.name && e.value === d.value));
}

function burstStarts(p: { from: string; to: string; every: string; offset: string }, anchorMs: number, periodSec: number): { starts: number[]; fromMs: number; toMs: number } {
  const fromMs = anchorMs + relativeMs(p.from);
  const toMs = anchorMs + relativeMs(p.to);
  const every = durationMs(p.every);
  const starts: number[] = [];
  if (every > 0) {
    for (let s = fromMs + durationMs(p.offset); s < toMs; s += every) starts.push(alignDown(s, periodSec));
  }
  return { starts, fromMs, toMs };
}

function expandPattern(p: MetricPattern, anchorMs: number, periodSec: number): Map<number, Stats> {
  const out = new Map<number, Stats>();
  const { starts, fromMs, toMs } = burstStarts(p, anchorMs, periodSec);
  const burstMs = p.burstMinutes * 60_000;
  const step = periodSec * 1000;
  for (let t = alignDown(fromMs, periodSec); t < toMs; t += step) {
    const inBurst = starts.some((s) => t >= s && t < s + burstMs);
    const stats = inBurst ? p.burst : p.base;
    if (stats) out.set(t, { ...stats });
  }
  return out;
}

function ownPoints(m: ScenarioMetric, anchorMs: number): Map<number, Stats> {
  const byTime = m.pattern ? expandPattern(m.pattern, anchorMs, m.period) : new Map<number, Stats>();
  for (const { at, ...stats } of m.points) {
    const t = alignDown(anchorMs + relativeMs(at), m.period);
    byTime.set(t, { ...byTime.get(t), ...stats });
  }
  return byTime;
}

function toSeries(m: ScenarioMetric, byTime: Map<number, Stats>): ExpandedMetric {
  const points = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, s]) => ({ timestamp: new Date(t), stats: normaliseStats(s) }));
  return {
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions.map((d) => ({ ...d })),
    ...(m.unit === undefined ? {} : { unit: m.unit }),
    period: m.period,
    points,
  };
}

/** The parts of the series of `m.metricName` that `m` aggregates: its dimension set plus the `over` dimension. */
export function aggregatedParts(m: ScenarioMetric, all: readonly ScenarioMetric[]): ScenarioMetric[] {
  if (!m.aggregate) return [];
  const over = m.aggregate.over;
  return all.filter(
    (o) =>
      o !== m &&
      o.aggregate === undefined &&
      o.namespace === m.namespace &&
      o.metricName === m.metricName &&
      o.dimensions.length === m.dimensions.length + 1 &&
      o.dimensions.some((d) => d.name === over) &&
      sameDimensionSet(
        o.dimensions.filter((d) => d.name !== over),
        m.dimensions,
      ),
  );
}

function combineParts(parts: Stats[]): Stats {
  const out: Stats = {};
  const sums = parts.map(pointSum);
  if (sums.every((v) => v !== undefined)) out.sum = sums.reduce((a, b) => a + b, 0);
  const counts = parts.map((p) => p.sampleCount);
  if (counts.every((v) => v !== undefined)) out.sampleCount = counts.reduce((a, b) => a + b, 0);
  if (out.sum !== undefined && out.sampleCount !== undefined && out.sampleCount > 0) out.average = out.sum / out.sampleCount;
  const maxima = parts.map((p) => p.maximum);
  if (maxima.every((v) => v !== undefined)) out.maximum = Math.max(...maxima);
  const minima = parts.map((p) => p.minimum);
  if (minima.every((v) => v !== undefined)) out.minimum = Math.min(...minima);
  return out;
}

/** Concrete datapoints of every scenario metric at the anchor. */
export function expandMetricPoints(scenario: Scenario, anchor: Date): ExpandedMetric[] {
  const anchorMs = anchor.getTime();
  const metrics = scenario.cloudwatch.metrics;
  const own = new Map<ScenarioMetric, Map<number, Stats>>();
  for (const m of metrics) own.set(m, ownPoints(m, anchorMs));
  return metrics.map((m) => {
    const mine = own.get(m) ?? new Map<number, Stats>();
    if (!m.aggregate) return toSeries(m, mine);
    const byTime = new Map<number, Stats[]>();
    for (const part of aggregatedParts(m, metrics)) {
      for (const [t, s] of own.get(part) ?? []) {
        const bucket = alignDown(t, m.period);
        const list = byTime.get(bucket);
        if (list) list.push(normaliseStats(s));
        else byTime.set(bucket, [normaliseStats(s)]);
      }
    }
    const combined = new Map<number, Stats>();
    for (const [t, parts] of byTime) combined.set(t, combineParts(parts));
    for (const [t, s] of mine) combined.set(t, { ...combined.get(t), ...s });
    return toSeries(m, combined);
  });
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface ExpandedPromSeries {
  metric: string;
  labels: Record<string, string>;
  type: 'gauge' | 'counter';
  /** [unix ms, value], ascending, every step. */
  samples: [number, number][];
}

function patternPoints(p: PromPattern, anchorMs: number): { t: number; value: number }[] {
  const { starts, fromMs, toMs } = burstStarts(p, anchorMs, 1);
  const burstMs = p.burstMinutes * 60_000;
  const values = Array.isArray(p.burst) ? p.burst : [p.burst];
  const out: { t: number; value: number }[] = [{ t: fromMs, value: p.base }];
  for (const s of starts) {
    values.forEach((v, i) => out.push({ t: s + Math.round((i * burstMs) / values.length), value: v }));
    if (s + burstMs < toMs) out.push({ t: s + burstMs, value: p.base });
  }
  out.push({ t: toMs, value: p.base });
  return out;
}

/** The step function of a series: (time, value) change points, ascending; later entries win at equal times. */
function changePoints(s: PrometheusSeries, anchorMs: number): { t: number; value: number }[] {
  const pts = [...(s.pattern ? patternPoints(s.pattern, anchorMs) : []), ...s.points.map((p) => ({ t: anchorMs + relativeMs(p.at), value: p.value }))];
  const byTime = new Map<number, number>();
  for (const p of pts) byTime.set(p.t, p.value);
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, value]) => ({ t, value }));
}

/**
 * Samples every `step` from the first point to the last. Gauges hold the latest point's value; for
 * counters the points are rates per second (constant until the next point), integrated from `initial`.
 */
export function expandPrometheusSeries(scenario: Scenario, anchor: Date): ExpandedPromSeries[] {
  const anchorMs = anchor.getTime();
  return scenario.prometheus.series.map((s) => {
    const cps = changePoints(s, anchorMs);
    const step = durationMs(s.step);
    const samples: [number, number][] = [];
    const first = cps[0];
    const last = cps[cps.length - 1];
    if (first && last && step > 0) {
      let idx = 0; // cps[idx] is the point in force at time t
      let total = s.initial;
      let prevT = first.t;
      const startT = Math.ceil(first.t / step) * step;
      for (let t = startT; t <= last.t; t += step) {
        if (s.type === 'counter') {
          // integrate the piecewise-constant rate over [prevT, t)
          let a = prevT;
          while (a < t) {
            const rate = (cps[idx] as { value: number }).value;
            const next = cps[idx + 1];
            const b = next && next.t <= t ? next.t : t;
            total += (rate * (b - a)) / 1000;
            a = b;
            if (next && next.t <= a) idx++;
          }
          prevT = t;
          samples.push([t, round(total)]);
        } else {
          while (cps[idx + 1] && (cps[idx + 1] as { t: number }).t <= t) idx++;
          samples.push([t, (cps[idx] as { value: number }).value]);
        }
      }
    }
    return { metric: s.metric, labels: { ...s.labels }, type: s.type, samples };
  });
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

/** String fields holding a time: written relative in scenarios, resolved at the anchor. */
export const KUBERNETES_TIME_FIELDS: ReadonlySet<string> = new Set([
  'creationTimestamp',
  'lastTransitionTime',
  'startedAt',
  'finishedAt',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'lastScaleTime',
  'startTime',
  'lastUpdateTime',
  'lastProbeTime',
  'lastHeartbeatTime',
  'deletionTimestamp',
  // managedFields[].time: when a manager last wrote the object (a ConfigMap edited in place).
  'time',
]);

function resolveDeep(value: unknown, anchor: Date, key?: string): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && KUBERNETES_TIME_FIELDS.has(key) && isRelativeTime(value)) {
      const d = resolveTime(value, anchor);
      return key === 'eventTime' ? k8sMicroTime(d) : k8sTime(d);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, anchor));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveDeep(v, anchor, k);
    return out;
  }
  return value;
}

/** The scenario's Kubernetes objects, deep-copied, with relative timestamps resolved. */
export function resolveKubernetesObjects(scenario: Scenario, anchor: Date): Record<string, unknown>[] {
  return scenario.kubernetes.objects.map((o) => resolveDeep(o, anchor) as Record<string, unknown>);
}

// ---------------------------------------------------------------------------------------------
// Alerts

export type TimedAlert = ScenarioAlert & { time: Date };

/** The alerts in delivery order (stable for equal times). */
export function alertsInOrder(scenario: Scenario, anchor: Date): TimedAlert[] {
  return scenario.alerts
    .map((a, i) => ({ a, i, time: resolveTime(a.at, anchor) }))
    .sort((x, y) => x.time.getTime() - y.time.getTime() || x.i - y.i)
    .map(({ a, time }) => ({ ...a, time }));
}
