/**
 * CloudWatch statistics over stored datapoints: which stat a `Stat` string names, and how
 * datapoints of a finer period combine into a coarser one. Only combinations that are exact are
 * made (Average as total sum / total count, Maximum of maxima...); a percentile over several
 * stored datapoints cannot be computed from them and is reported as unsupported.
 */
import { STATISTICS, type Stats } from './schema.js';

export type BasicStatistic = (typeof STATISTICS)[number];
export type ParsedStat = { kind: 'basic'; name: BasicStatistic } | { kind: 'percentile'; name: string; value: number } | { kind: 'other'; name: string };

const BASIC: Record<string, BasicStatistic> = Object.fromEntries(STATISTICS.map((s) => [s, s]));

/**
 * Parses a GetMetricData `Stat`. Undefined: not a statistic CloudWatch knows (InvalidParameterValue).
 * 'other' is valid for CloudWatch (trimmed means, IQM...) but not served by the sandbox.
 */
export function parseStat(stat: string): ParsedStat | undefined {
  const basic = BASIC[stat];
  if (basic) return { kind: 'basic', name: basic };
  const p = /^p(\d{1,3}(?:\.\d+)?)$/.exec(stat);
  if (p) {
    const value = Number(p[1]);
    return value >= 0 && value <= 100 ? { kind: 'percentile', name: stat, value } : undefined;
  }
  if (/^(?:(?:tm|tc|ts|wm)\d{1,3}(?:\.\d+)?|(?:TM|TC|TS|WM|PR)\([^)]*\)|IQM)$/.test(stat)) return { kind: 'other', name: stat };
  return undefined;
}

/** The sum of a datapoint, from `sum` or from average x sampleCount. */
export function pointSum(s: Stats): number | undefined {
  if (s.sum !== undefined) return s.sum;
  if (s.average !== undefined && s.sampleCount !== undefined) return s.average * s.sampleCount;
  return undefined;
}

/** Fills sum/average from each other where the sample count allows. */
export function normaliseStats(s: Stats): Stats {
  const out: Stats = { ...s };
  if (out.sum === undefined && out.average !== undefined && out.sampleCount !== undefined) out.sum = out.average * out.sampleCount;
  if (out.average === undefined && out.sum !== undefined && out.sampleCount !== undefined && out.sampleCount > 0) out.average = out.sum / out.sampleCount;
  return out;
}

export type StatResult = { ok: true; value: number } | { ok: false; reason: 'missing' | 'unsupported'; message?: string };

/** The value of `stat` over the datapoints of one period bucket. */
export function combine(points: readonly Stats[], stat: ParsedStat): StatResult {
  if (points.length === 0) return { ok: false, reason: 'missing' };
  const all = <T>(f: (s: Stats) => T | undefined): T[] | undefined => {
    const out: T[] = [];
    for (const p of points) {
      const v = f(p);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  };
  const done = (v: number | undefined): StatResult => (v === undefined || !Number.isFinite(v) ? { ok: false, reason: 'missing' } : { ok: true, value: v });
  if (stat.kind === 'other') return { ok: false, reason: 'unsupported', message: `the sandbox does not serve ${stat.name}` };
  if (stat.kind === 'percentile') {
    const key = percentileKey(points[0] as Stats, stat.value);
    if (key === undefined) return { ok: false, reason: 'missing' };
    if (points.length > 1) {
      return { ok: false, reason: 'unsupported', message: `${stat.name} over ${points.length} stored datapoints cannot be computed exactly; use the stored period` };
    }
    return done((points[0] as Stats)[key]);
  }
  switch (stat.name) {
    case 'Sum': {
      const v = all(pointSum);
      return done(v?.reduce((a, b) => a + b, 0));
    }
    case 'SampleCount': {
      const v = all((s) => s.sampleCount);
      return done(v?.reduce((a, b) => a + b, 0));
    }
    case 'Maximum': {
      const v = all((s) => s.maximum);
      return done(v ? Math.max(...v) : undefined);
    }
    case 'Minimum': {
      const v = all((s) => s.minimum);
      return done(v ? Math.min(...v) : undefined);
    }
    case 'Average': {
      if (points.length === 1) {
        const p = points[0] as Stats;
        return done(p.average ?? (p.sum !== undefined && p.sampleCount ? p.sum / p.sampleCount : undefined));
      }
      const sums = all(pointSum);
      const counts = all((s) => s.sampleCount);
      if (sums && counts) {
        const n = counts.reduce((a, b) => a + b, 0);
        return n > 0 ? done(sums.reduce((a, b) => a + b, 0) / n) : { ok: false, reason: 'missing' };
      }
      return { ok: false, reason: 'unsupported', message: 'Average over several datapoints needs their sample counts' };
    }
  }
}

function percentileKey(s: Stats, value: number): 'p50' | 'p90' | 'p95' | 'p99' | undefined {
  const key = `p${value}`;
  return key === 'p50' || key === 'p90' || key === 'p95' || key === 'p99' ? (s[key] === undefined ? undefined : key) : undefined;
}

export interface TimedStats {
  /** Start of the datapoint's period, epoch ms. */
  t: number;
  stats: Stats;
}

/** Groups datapoints in [startMs, endMs) into buckets of `periodSeconds` aligned to the epoch. Ascending. */
export function bucketize(points: readonly TimedStats[], periodSeconds: number, startMs: number, endMs: number): { t: number; points: Stats[] }[] {
  const p = periodSeconds * 1000;
  const buckets = new Map<number, Stats[]>();
  for (const pt of points) {
    if (pt.t < startMs || pt.t >= endMs) continue;
    const b = Math.floor(pt.t / p) * p;
    const list = buckets.get(b);
    if (list) list.push(pt.stats);
    else buckets.set(b, [pt.stats]);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, pts]) => ({ t, points: pts }));
}
