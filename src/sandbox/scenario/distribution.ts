/**
 * The samples behind a scenario's datapoints. A scenario stores per-period aggregates (minimum,
 * p50, p90, p95, p99, maximum, sampleCount), not the raw values CloudWatch computes percentiles
 * from. The sandbox stands each datapoint for `sampleCount` samples spread piecewise-uniformly
 * between its known quantiles: its quantile function is the straight-line interpolation through
 * (0, minimum), (0.5, p50), (0.9, p90), (0.95, p95), (0.99, p99), (1, maximum), whichever are given.
 *
 * A bucket of several datapoints (a 300 s query over 60 s data) is the mixture of their
 * distributions weighted by their sample counts; its quantile function is again piecewise linear,
 * so percentiles, trimmed means and the other extended statistics are computed exactly from it.
 * At the stored period a stored percentile comes back unchanged, and p0/p100 are the minimum and
 * the maximum. Documented in docs/sandbox.md ("What the emulator uses as samples").
 */
import type { Stats } from './schema.js';

/** A point of a quantile function: the value `v` at cumulative probability `q`. */
export interface Knot {
  q: number;
  v: number;
}

/** A distribution: its quantile function (knots ascending in q and v) and how many samples it stands for. */
export interface Distribution {
  knots: Knot[];
  /** Undefined when the datapoint carries no sample count. */
  count?: number;
}

const KNOT_KEYS: readonly [keyof Stats, number][] = [
  ['minimum', 0],
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['maximum', 1],
];

/** The quantile knots a datapoint states. Undefined when they contradict each other (p99 above the maximum...). */
export function datapointDistribution(s: Stats): Distribution | undefined {
  const knots: Knot[] = [];
  for (const [key, q] of KNOT_KEYS) {
    const v = s[key];
    if (v === undefined) continue;
    const prev = knots[knots.length - 1];
    if (prev && v < prev.v) return undefined;
    knots.push({ q, v });
  }
  if (knots.length === 0) return undefined;
  return { knots, ...(s.sampleCount === undefined ? {} : { count: s.sampleCount }) };
}

const covers = (d: Distribution): boolean => d.knots[0]?.q === 0 && d.knots[d.knots.length - 1]?.q === 1;

/** P(X <= x): right-continuous. Requires knots covering [0, 1]. */
export function cdf(knots: readonly Knot[], x: number): number {
  const first = knots[0];
  const last = knots[knots.length - 1];
  if (!first || !last || x < first.v) return 0;
  if (x >= last.v) return 1;
  let j = 0;
  while (j + 1 < knots.length && (knots[j + 1] as Knot).v <= x) j++;
  const a = knots[j] as Knot;
  const b = knots[j + 1] as Knot;
  return a.q + ((x - a.v) / (b.v - a.v)) * (b.q - a.q);
}

/** P(X < x). Requires knots covering [0, 1]. */
function cdfBelow(knots: readonly Knot[], x: number): number {
  const first = knots[0];
  const last = knots[knots.length - 1];
  if (!first || !last || x <= first.v) return 0;
  if (x > last.v) return 1;
  let j = 0;
  while ((knots[j] as Knot).v < x) j++;
  const a = knots[j - 1] as Knot;
  const b = knots[j] as Knot;
  return a.q + ((x - a.v) / (b.v - a.v)) * (b.q - a.q);
}

/** Q(u) = the smallest value whose cumulative probability reaches u. Undefined outside the knots. */
export function quantile(knots: readonly Knot[], u: number): number | undefined {
  const first = knots[0];
  const last = knots[knots.length - 1];
  if (!first || !last || u < first.q || u > last.q) return undefined;
  let j = 0;
  while ((knots[j] as Knot).q < u) j++;
  const b = knots[j] as Knot;
  if (b.q === u || j === 0) return b.v;
  const a = knots[j - 1] as Knot;
  return a.v + ((u - a.q) / (b.q - a.q)) * (b.v - a.v);
}

/** The integral of Q(u) over [from, to], within the knots. */
export function quantileIntegral(knots: readonly Knot[], from: number, to: number): number {
  let total = 0;
  for (let i = 0; i + 1 < knots.length; i++) {
    const a = knots[i] as Knot;
    const b = knots[i + 1] as Knot;
    const lo = Math.max(a.q, from);
    const hi = Math.min(b.q, to);
    if (hi <= lo) continue;
    const at = (u: number): number => (b.q === a.q ? a.v : a.v + ((u - a.q) / (b.q - a.q)) * (b.v - a.v));
    total += ((at(lo) + at(hi)) / 2) * (hi - lo);
  }
  return total;
}

/**
 * The distribution of the samples of several datapoints together. One datapoint: its own
 * (possibly partial) knots. Several: each must give minimum, maximum and a positive sample count,
 * otherwise the mixture is unknown (undefined). Datapoints with a sample count of 0 hold no samples.
 */
export function mixture(points: readonly Stats[]): Distribution | undefined {
  const parts: Distribution[] = [];
  for (const p of points) {
    if (p.sampleCount === 0) continue;
    const d = datapointDistribution(p);
    if (!d) return undefined;
    parts.push(d);
  }
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  if (!parts.every((d) => covers(d) && d.count !== undefined && d.count > 0)) return undefined;
  const total = parts.reduce((a, d) => a + (d.count ?? 0), 0);
  const xs = [...new Set(parts.flatMap((d) => d.knots.map((k) => k.v)))].sort((a, b) => a - b);
  const weighted = (f: (knots: readonly Knot[], x: number) => number, x: number): number => parts.reduce((acc, d) => acc + (d.count ?? 0) * f(d.knots, x), 0) / total;
  const knots: Knot[] = [];
  const push = (k: Knot): void => {
    const prev = knots[knots.length - 1];
    const q = prev ? Math.max(prev.q, k.q) : k.q;
    if (prev && prev.q === q && prev.v === k.v) return;
    knots.push({ q, v: k.v });
  };
  for (const x of xs) {
    push({ q: weighted(cdfBelow, x), v: x });
    push({ q: weighted(cdf, x), v: x });
  }
  // float residue: pin the ends
  (knots[0] as Knot).q = 0;
  (knots[knots.length - 1] as Knot).q = 1;
  return { knots, count: total };
}
