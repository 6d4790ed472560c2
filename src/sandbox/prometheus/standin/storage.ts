/**
 * The stand-in's TSDB: the backfilled series in memory, stored as Prometheus stores them after
 * `promtool tsdb create-blocks-from openmetrics` (a counter under its `_total` name, `__name__`
 * among the labels, samples in time order, millisecond timestamps).
 */
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { BackfillSeries, storedMetricName } from '../openmetrics.js';
import type { Matcher } from './ast.js';
import { matchMatches } from './parse.js';

export type Labels = Readonly<Record<string, string>>;

export interface StoredSeries {
  labels: Labels;
  /** Sample times (unix ms, ascending) and values. */
  t: readonly number[];
  v: readonly number[];
}

/** Label names in Prometheus's order (byte order, so `__name__` sorts after upper-case names). */
export function sortedNames(labels: Labels): string[] {
  return Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A canonical key of a label set. */
export function labelKey(labels: Labels): string {
  return JSON.stringify(sortedNames(labels).map((k) => [k, labels[k]]));
}

/** Prometheus's labels.Compare: name by name, then value by value, the shorter set first. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = sortedNames(a);
  const bn = sortedNames(b);
  for (let i = 0; i < Math.min(an.length, bn.length); i++) {
    const x = an[i] ?? '';
    const y = bn[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x] ?? '';
    const yv = b[y] ?? '';
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

export class SeriesStore {
  readonly series: readonly StoredSeries[];

  constructor(input: BackfillSeries[]) {
    const parsed = z.array(BackfillSeries).safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError('bad_request', `invalid series at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
    }
    const byKey = new Map<string, { labels: Labels; points: Map<number, number> }>();
    for (const s of parsed.data) {
      const labels: Record<string, string> = {};
      // Prometheus drops empty label values: a label with value "" is no label.
      for (const [k, v] of Object.entries(s.labels)) if (v !== '') labels[k] = v;
      labels['__name__'] = storedMetricName(s);
      const key = labelKey(labels);
      let entry = byKey.get(key);
      if (!entry) {
        entry = { labels, points: new Map() };
        byKey.set(key, entry);
      }
      for (const [t, v] of s.samples) {
        const ms = Math.round(t);
        const prev = entry.points.get(ms);
        if (prev !== undefined && !Object.is(prev, v)) throw new AppError('bad_request', `${key} has two values at ${new Date(ms).toISOString()}: ${prev} and ${v}`);
        entry.points.set(ms, v);
      }
    }
    this.series = [...byKey.values()]
      .filter((e) => e.points.size > 0)
      .map((e) => {
        const times = [...e.points.keys()].sort((a, b) => a - b);
        return { labels: e.labels, t: times, v: times.map((t) => e.points.get(t) ?? Number.NaN) };
      })
      .sort((a, b) => compareLabels(a.labels, b.labels));
  }

  select(matchers: readonly Matcher[]): StoredSeries[] {
    return this.series.filter((s) => matchers.every((m) => matchMatches(m, s.labels[m.name] ?? '')));
  }

  /** Series with at least one sample in [minMs, maxMs]. */
  selectInRange(matchers: readonly Matcher[], minMs: number, maxMs: number): StoredSeries[] {
    return this.select(matchers).filter((s) => {
      const i = lowerBound(s.t, minMs);
      return i < s.t.length && (s.t[i] ?? Infinity) <= maxMs;
    });
  }
}

/** The first index whose time is >= ms. */
export function lowerBound(t: readonly number[], ms: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] ?? Infinity) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose time is > ms. */
export function upperBound(t: readonly number[], ms: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] ?? Infinity) <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
