/**
 * CloudWatch statistics over stored datapoints: which stat a `Stat` string names, and how
 * datapoints of a finer period combine into a coarser one. Sum, SampleCount, Minimum, Maximum and
 * Average combine exactly; percentiles and the other extended statistics (trimmed means, IQM...)
 * are computed from the samples each datapoint stands for (./distribution.ts).
 */
import { cdf, mixture, quantile, quantileIntegral, type Distribution } from './distribution.js';
import { STATISTICS, type Stats } from './schema.js';

export type BasicStatistic = (typeof STATISTICS)[number];
/** TM trimmed mean, WM winsorized mean, TC trimmed count, TS trimmed sum, PR percentile rank. */
export type RangeFunction = 'TM' | 'WM' | 'TC' | 'TS' | 'PR';
export type ParsedStat =
  | { kind: 'basic'; name: BasicStatistic }
  | { kind: 'percentile'; name: string; value: number }
  /** Bounds in percent (0..100) of the distribution, or absolute values; an absent bound is open. */
  | { kind: 'range'; name: string; fn: RangeFunction; bound: 'percent' | 'absolute'; lo?: number; hi?: number };

const BASIC: Record<string, BasicStatistic> = Object.fromEntries(STATISTICS.map((s) => [s, s]));
const NUMBER = String.raw`\d+(?:\.\d+)?`;
const PERCENTILE = new RegExp(`^p(${NUMBER})$`);
const SHORTHAND = new RegExp(`^(tm|wm|tc|ts)(${NUMBER})$`);
const RANGE = /^(TM|WM|TC|TS|PR)\(([^:()]*):([^:()]*)\)$/;
const PERCENT_BOUND = new RegExp(`^(${NUMBER})%$`);
const ABSOLUTE_BOUND = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseRange(name: string, fn: RangeFunction, rawLo: string, rawHi: string): ParsedStat | undefined {
  const lo = rawLo.trim();
  const hi = rawHi.trim();
  if (lo === '' && hi === '') return undefined;
  const percent = [lo, hi].filter((b) => b !== '').every((b) => PERCENT_BOUND.test(b));
  const absolute = [lo, hi].filter((b) => b !== '').every((b) => ABSOLUTE_BOUND.test(b));
  if (percent && fn !== 'PR') {
    const l = lo === '' ? undefined : Number(PERCENT_BOUND.exec(lo)?.[1]);
    const h = hi === '' ? undefined : Number(PERCENT_BOUND.exec(hi)?.[1]);
    if ((l !== undefined && l > 100) || (h !== undefined && h > 100) || (l ?? 0) >= (h ?? 100)) return undefined;
    return { kind: 'range', name, fn, bound: 'percent', ...(l === undefined ? {} : { lo: l }), ...(h === undefined ? {} : { hi: h }) };
  }
  if (absolute) {
    const l = lo === '' ? undefined : Number(lo);
    const h = hi === '' ? undefined : Number(hi);
    if (l !== undefined && h !== undefined && l >= h) return undefined;
    return { kind: 'range', name, fn, bound: 'absolute', ...(l === undefined ? {} : { lo: l }), ...(h === undefined ? {} : { hi: h }) };
  }
  return undefined;
}

/**
 * Parses a CloudWatch statistic: Average, Sum, SampleCount, Minimum, Maximum; pNN(.NN) (0..100);
 * tmNN, wmNN, tcNN, tsNN; TM/WM/TC/TS(a%:b%) or (a:b) with either bound optional; PR(a:b); IQM.
 * Undefined: not a statistic CloudWatch knows.
 */
export function parseStat(stat: string): ParsedStat | undefined {
  const basic = BASIC[stat];
  if (basic) return { kind: 'basic', name: basic };
  const p = PERCENTILE.exec(stat);
  if (p) {
    const value = Number(p[1]);
    return value <= 100 ? { kind: 'percentile', name: stat, value } : undefined;
  }
  const short = SHORTHAND.exec(stat);
  if (short) {
    const value = Number(short[2]);
    if (value <= 0 || value > 100) return undefined;
    return { kind: 'range', name: stat, fn: (short[1] as string).toUpperCase() as RangeFunction, bound: 'percent', hi: value };
  }
  if (stat === 'IQM') return { kind: 'range', name: stat, fn: 'TM', bound: 'percent', lo: 25, hi: 75 };
  const range = RANGE.exec(stat);
  if (range) return parseRange(stat, range[1] as RangeFunction, range[2] as string, range[3] as string);
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

export type StatResult = { ok: true; value: number } | { ok: false; reason: 'missing' };

const PERCENTILE_KEYS: Record<string, 'p50' | 'p90' | 'p95' | 'p99'> = { p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99' };

/** An extended statistic of a distribution (./distribution.ts); undefined when it cannot be known. */
export function extendedStatistic(d: Distribution, stat: Exclude<ParsedStat, { kind: 'basic' }>): number | undefined {
  if (stat.kind === 'percentile') return quantile(d.knots, stat.value / 100);
  const full = d.knots[0]?.q === 0 && d.knots[d.knots.length - 1]?.q === 1;
  if (!full) return undefined;
  // the interval [a, b] of cumulative probability the range selects
  const a = stat.lo === undefined ? 0 : stat.bound === 'percent' ? stat.lo / 100 : cdf(d.knots, stat.lo);
  const b = stat.hi === undefined ? 1 : stat.bound === 'percent' ? stat.hi / 100 : cdf(d.knots, stat.hi);
  const n = d.count;
  switch (stat.fn) {
    case 'PR':
      return 100 * Math.max(0, b - a);
    case 'TC':
      return n === undefined ? undefined : Math.round(n * Math.max(0, b - a));
    case 'TS':
      return n === undefined ? undefined : b > a ? n * quantileIntegral(d.knots, a, b) : 0;
    case 'TM':
      return b > a ? quantileIntegral(d.knots, a, b) / (b - a) : undefined;
    case 'WM': {
      if (b <= a) return undefined;
      const qa = quantile(d.knots, a);
      const qb = quantile(d.knots, b);
      if (qa === undefined || qb === undefined) return undefined;
      const low = stat.bound === 'absolute' && stat.lo !== undefined ? stat.lo : qa;
      const high = stat.bound === 'absolute' && stat.hi !== undefined ? stat.hi : qb;
      return a * low + quantileIntegral(d.knots, a, b) + (1 - b) * high;
    }
  }
}

/** The value of `stat` over the datapoints of one period bucket. */
export function combine(points: readonly Stats[], stat: ParsedStat): StatResult {
  const missing: StatResult = { ok: false, reason: 'missing' };
  if (points.length === 0) return missing;
  const all = <T>(f: (s: Stats) => T | undefined): T[] | undefined => {
    const out: T[] = [];
    for (const p of points) {
      const v = f(p);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  };
  const done = (v: number | undefined): StatResult => (v === undefined || !Number.isFinite(v) ? missing : { ok: true, value: v });
  if (stat.kind !== 'basic') {
    const key = stat.kind === 'percentile' ? PERCENTILE_KEYS[stat.name] : undefined;
    const only = points.length === 1 ? (points[0] as Stats) : undefined;
    // a stored percentile at its own period comes back as stored
    if (only && key && only[key] !== undefined) return done(only[key]);
    const d = mixture(points);
    return d ? done(extendedStatistic(d, stat)) : missing;
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
      if (!sums || !counts) return missing;
      const n = counts.reduce((a, b) => a + b, 0);
      return n > 0 ? done(sums.reduce((a, b) => a + b, 0) / n) : missing;
    }
  }
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
