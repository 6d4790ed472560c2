/**
 * Evaluation of the stand-in's PromQL subset with Prometheus 2.x semantics (promql/engine.go and
 * functions.go of the 2.4x/2.5x releases Debian ships):
 * - an instant selector takes, per series, the latest sample in [t - offset - 5m, t - offset]
 *   (lookback delta 5 min: a series that stopped reporting disappears 5 minutes after its last
 *   sample, which is how backfilled data goes stale);
 * - a range selector takes the samples in [t - offset - range, t - offset];
 * - rate/increase/delta extrapolate as extrapolatedRate does (to the range boundaries when the
 *   first/last sample is within 1.1 average intervals of them, else half an interval; a counter is
 *   not extrapolated below zero; counter resets add the value before the reset);
 * - aggregations, binary operators and vector matching follow VectorBinop/resultMetric, including
 *   their errors (many-to-many matching, duplicate label sets: "execution" errors);
 * - a range query is the instant evaluation at start, start + step, ... <= end.
 */
import {
  isComparison,
  isSetOp,
  typeOf,
  type AggregateExpr,
  type ArithmeticOp,
  type BinaryExpr,
  type BinaryOp,
  type Call,
  type Expr,
  type MatrixSelector,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { PromQLError } from './parse.js';
import { compareLabels, labelKey, lowerBound, sortedNames, upperBound, type Labels, type SeriesStore, type StoredSeries } from './storage.js';

export const LOOKBACK_DELTA_MS = 5 * 60_000;
/** Prometheus's --query.max-samples default. */
export const MAX_SAMPLES = 50_000_000;

export interface Sample {
  labels: Labels;
  v: number;
}
export interface Series {
  labels: Labels;
  points: [number, number][];
}

export type Value =
  | { type: 'scalar'; v: number }
  | { type: 'string'; s: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; series: Series[] };

export type QueryResult =
  | { resultType: 'scalar'; t: number; v: number }
  | { resultType: 'string'; t: number; s: string }
  | { resultType: 'vector'; t: number; samples: Sample[] }
  | { resultType: 'matrix'; series: Series[] };

function execution(message: string): never {
  throw new PromQLError('execution', message);
}

function dropName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  const out: Record<string, string> = { ...labels };
  delete out['__name__'];
  return out;
}

/** The operators whose result loses the metric name (Prometheus's shouldDropMetricName: not comparisons, not atan2). */
function dropsName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

function assertUnique(samples: readonly Sample[]): void {
  const seen = new Set<string>();
  for (const s of samples) {
    const k = labelKey(s.labels);
    if (seen.has(k)) execution('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

/** Go's math.Pow where it differs from `**` (1 ** NaN, (-1) ** ±Inf). */
function pow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return x ** y;
}

function arithmetic(op: ArithmeticOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return pow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
  }
}

/** vectorElemBinop: the value and, for comparisons, whether the element is kept. */
function elemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '>':
      return [l, l > r];
    case '<':
      return [l, l < r];
    case '>=':
      return [l, l >= r];
    case '<=':
      return [l, l <= r];
    case 'and':
    case 'or':
    case 'unless':
      return execution(`operator ${op} not allowed for scalar operations`);
    default:
      return [arithmetic(op, l, r), true];
  }
}

/** Signature of a sample for vector matching: only the `on` labels, or all but the ignored ones and __name__. */
function signature(labels: Labels, m: VectorMatching): string {
  const names = sortedNames(labels).filter((n) => (m.on ? m.labels.includes(n) : n !== '__name__' && !m.labels.includes(n)));
  return JSON.stringify(names.map((n) => [n, labels[n]]));
}

function matchedLabelsText(labels: Labels, m: VectorMatching): string {
  const names = sortedNames(labels).filter((n) => (m.on ? m.labels.includes(n) : n !== '__name__' && !m.labels.includes(n)));
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

function labelsText(labels: Labels): string {
  return `{${sortedNames(labels)
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(', ')}}`;
}

/** Go's quantile over a sorted copy: linear interpolation between the closest ranks. */
function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  // Prometheus's vectorByValueHeap order: NaN first, then ascending.
  const sorted = [...values].sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return (sorted[lower] ?? Number.NaN) * (1 - weight) + (sorted[upper] ?? Number.NaN) * weight;
}

/** The element-wise functions of one instant vector. */
const MATH: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  sqrt: Math.sqrt,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
};

export class Evaluator {
  private samplesLoaded = 0;
  /** The series of each selector, matched once per query (a range query evaluates it at every step). */
  private readonly selected = new Map<VectorSelector, readonly StoredSeries[]>();

  constructor(
    private readonly store: SeriesStore,
    private readonly deadline: number = Number.POSITIVE_INFINITY,
  ) {}

  private tick(n: number): void {
    this.samplesLoaded += n;
    if (this.samplesLoaded > MAX_SAMPLES) execution('query processing would load too many samples into memory in query execution');
    if (Date.now() > this.deadline) throw new PromQLError('timeout', 'query timed out in query execution');
  }

  instant(expr: Expr, t: number): QueryResult {
    const v = this.eval(expr, t);
    switch (v.type) {
      case 'scalar':
        return { resultType: 'scalar', t, v: v.v };
      case 'string':
        return { resultType: 'string', t, s: v.s };
      case 'vector':
        return { resultType: 'vector', t, samples: [...v.samples].sort((a, b) => compareLabels(a.labels, b.labels)) };
      case 'matrix':
        return { resultType: 'matrix', series: [...v.series].sort((a, b) => compareLabels(a.labels, b.labels)) };
    }
  }

  range(expr: Expr, start: number, end: number, step: number): QueryResult {
    const type = typeOf(expr);
    if (type !== 'vector' && type !== 'scalar') throw new PromQLError('parse', `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
    const out = new Map<string, Series>();
    for (let t = start; t <= end; t += step) {
      const v = this.eval(expr, t);
      const samples = v.type === 'scalar' ? [{ labels: {}, v: v.v }] : v.type === 'vector' ? v.samples : [];
      for (const s of samples) {
        const k = labelKey(s.labels);
        let series = out.get(k);
        if (!series) {
          series = { labels: s.labels, points: [] };
          out.set(k, series);
        }
        series.points.push([t, s.v]);
      }
    }
    return { resultType: 'matrix', series: [...out.values()].sort((a, b) => compareLabels(a.labels, b.labels)) };
  }

  eval(e: Expr, t: number): Value {
    const v = this.evalNode(e, t);
    // Every computed vector (not a selector's) is checked as rangeEval does.
    if (v.type === 'vector' && e.kind !== 'vectorSelector' && e.kind !== 'paren') assertUnique(v.samples);
    return v;
  }

  private evalNode(e: Expr, t: number): Value {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', v: e.value };
      case 'string':
        return { type: 'string', s: e.value };
      case 'paren':
        return this.eval(e.expr, t);
      case 'vectorSelector':
        return { type: 'vector', samples: this.selectInstant(e, t) };
      case 'matrixSelector':
        return { type: 'matrix', series: this.selectRange(e, t) };
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (!e.negate) return v;
        if (v.type === 'scalar') return { type: 'scalar', v: -v.v };
        if (v.type === 'vector') return { type: 'vector', samples: v.samples.map((s) => ({ labels: dropName(s.labels), v: -s.v })) };
        return execution('unary minus on a non-numeric value');
      }
      case 'call':
        return this.call(e, t);
      case 'aggregate':
        return { type: 'vector', samples: this.aggregate(e, t) };
      case 'binary':
        return this.binary(e, t);
    }
  }

  private select(sel: VectorSelector): readonly StoredSeries[] {
    let s = this.selected.get(sel);
    if (!s) {
      s = this.store.select(sel.matchers);
      this.selected.set(sel, s);
    }
    return s;
  }

  private selectInstant(sel: VectorSelector, t: number): Sample[] {
    const ref = t - sel.offsetMs;
    const out: Sample[] = [];
    for (const s of this.select(sel)) {
      const i = upperBound(s.t, ref) - 1;
      if (i < 0) continue;
      const st = s.t[i] ?? Number.NEGATIVE_INFINITY;
      if (st < ref - LOOKBACK_DELTA_MS) continue;
      out.push({ labels: s.labels, v: s.v[i] ?? Number.NaN });
    }
    this.tick(out.length);
    return out;
  }

  private selectRange(m: MatrixSelector, t: number): Series[] {
    const maxt = t - m.selector.offsetMs;
    const mint = maxt - m.rangeMs;
    const out: Series[] = [];
    for (const s of this.select(m.selector)) {
      const from = lowerBound(s.t, mint);
      const to = upperBound(s.t, maxt);
      if (to <= from) continue;
      const points: [number, number][] = [];
      for (let i = from; i < to; i++) points.push([s.t[i] ?? 0, s.v[i] ?? Number.NaN]);
      this.tick(points.length);
      out.push({ labels: s.labels, points });
    }
    return out;
  }

  private scalarArg(e: Expr | undefined, t: number): number {
    if (!e) return Number.NaN;
    const v = this.eval(e, t);
    return v.type === 'scalar' ? v.v : Number.NaN;
  }

  private vectorArg(e: Expr | undefined, t: number): Sample[] {
    if (!e) return [];
    const v = this.eval(e, t);
    return v.type === 'vector' ? v.samples : [];
  }

  private call(c: Call, t: number): Value {
    const mapVector = (f: (v: number) => number): Value => ({
      type: 'vector',
      samples: this.vectorArg(c.args[0], t).map((s) => ({ labels: dropName(s.labels), v: f(s.v) })),
    });
    switch (c.fn) {
      case 'time':
        return { type: 'scalar', v: t / 1000 };
      case 'vector':
        return { type: 'vector', samples: [{ labels: {}, v: this.scalarArg(c.args[0], t) }] };
      case 'scalar': {
        const v = this.vectorArg(c.args[0], t);
        return { type: 'scalar', v: v.length === 1 ? (v[0]?.v ?? Number.NaN) : Number.NaN };
      }
      case 'clamp': {
        const min = this.scalarArg(c.args[1], t);
        const max = this.scalarArg(c.args[2], t);
        if (max < min) return { type: 'vector', samples: [] };
        return mapVector((v) => Math.max(min, Math.min(max, v)));
      }
      case 'clamp_min': {
        const min = this.scalarArg(c.args[1], t);
        return mapVector((v) => Math.max(min, v));
      }
      case 'clamp_max': {
        const max = this.scalarArg(c.args[1], t);
        return mapVector((v) => Math.min(max, v));
      }
      default: {
        const f = MATH[c.fn];
        return f ? mapVector(f) : this.rangeFunction(c, t);
      }
    }
  }

  private rangeFunction(c: Call, t: number): Value {
    const matrixArg = c.fn === 'quantile_over_time' ? c.args[1] : c.args[0];
    if (matrixArg?.kind !== 'matrixSelector') return execution(`${c.fn}: expected a range vector selector`);
    const m = matrixArg;
    const q = c.fn === 'quantile_over_time' ? this.scalarArg(c.args[0], t) : Number.NaN;
    const out: Sample[] = [];
    for (const s of this.selectRange(m, t)) {
      const v = this.overRange(c.fn, s.points, m, t, q);
      if (v === undefined) continue;
      out.push({ labels: c.fn === 'last_over_time' ? s.labels : dropName(s.labels), v });
    }
    return { type: 'vector', samples: out };
  }

  private overRange(fn: string, pts: [number, number][], m: MatrixSelector, t: number, q: number): number | undefined {
    const values = pts.map((p) => p[1]);
    switch (fn) {
      case 'rate':
        return extrapolatedRate(pts, m, t, true, true);
      case 'increase':
        return extrapolatedRate(pts, m, t, true, false);
      case 'delta':
        return extrapolatedRate(pts, m, t, false, false);
      case 'irate':
        return instantValue(pts, true);
      case 'idelta':
        return instantValue(pts, false);
      case 'avg_over_time':
        return mean(values);
      case 'sum_over_time':
        return values.reduce((a, b) => a + b, 0);
      case 'count_over_time':
        return values.length;
      case 'min_over_time':
        return values.reduce((a, b) => (b < a || Number.isNaN(a) ? b : a));
      case 'max_over_time':
        return values.reduce((a, b) => (b > a || Number.isNaN(a) ? b : a));
      case 'last_over_time':
        return values[values.length - 1];
      case 'present_over_time':
        return 1;
      case 'quantile_over_time':
        return quantile(q, values);
      default:
        return execution(`unknown function ${fn}`);
    }
  }

  private aggregate(a: AggregateExpr, t: number): Sample[] {
    const input = this.vectorArg(a.expr, t);
    const q = a.param ? this.scalarArg(a.param, t) : Number.NaN;
    const groups = new Map<string, { labels: Labels; values: number[] }>();
    for (const s of input) {
      const labels: Record<string, string> = {};
      if (a.without) {
        for (const [k, v] of Object.entries(s.labels)) if (k !== '__name__' && !a.grouping.includes(k)) labels[k] = v;
      } else {
        for (const k of a.grouping) {
          const v = s.labels[k];
          if (v !== undefined && v !== '') labels[k] = v;
        }
      }
      const key = labelKey(labels);
      let g = groups.get(key);
      if (!g) {
        g = { labels, values: [] };
        groups.set(key, g);
      }
      g.values.push(s.v);
    }
    const out: Sample[] = [];
    for (const g of groups.values()) out.push({ labels: g.labels, v: aggregateValues(a.op, g.values, q) });
    return out;
  }

  private binary(b: BinaryExpr, t: number): Value {
    const lhs = this.eval(b.lhs, t);
    const rhs = this.eval(b.rhs, t);
    if (lhs.type === 'scalar' && rhs.type === 'scalar') {
      const [v, keep] = elemBinop(b.op, lhs.v, rhs.v);
      return { type: 'scalar', v: b.returnBool ? (keep ? 1 : 0) : v };
    }
    if (lhs.type === 'vector' && rhs.type === 'vector') {
      const m = b.matching ?? { card: isSetOp(b.op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
      let out: Sample[];
      if (b.op === 'and') out = lhs.samples.filter((s) => new Set(rhs.samples.map((r) => signature(r.labels, m))).has(signature(s.labels, m)));
      else if (b.op === 'unless') {
        const right = new Set(rhs.samples.map((r) => signature(r.labels, m)));
        out = lhs.samples.filter((s) => !right.has(signature(s.labels, m)));
      } else if (b.op === 'or') {
        const left = new Set(lhs.samples.map((s) => signature(s.labels, m)));
        out = [...lhs.samples, ...rhs.samples.filter((r) => !left.has(signature(r.labels, m)))];
      } else out = vectorBinop(b.op, lhs.samples, rhs.samples, m, b.returnBool);
      return { type: 'vector', samples: out };
    }
    if (lhs.type === 'vector' && rhs.type === 'scalar') return { type: 'vector', samples: vectorScalar(b, lhs.samples, rhs.v, false) };
    if (lhs.type === 'scalar' && rhs.type === 'vector') return { type: 'vector', samples: vectorScalar(b, rhs.samples, lhs.v, true) };
    return execution('binary expression must contain only scalar and instant vector types');
  }
}

function vectorScalar(b: BinaryExpr, samples: Sample[], scalar: number, swap: boolean): Sample[] {
  const out: Sample[] = [];
  for (const s of samples) {
    const [l, r] = swap ? [scalar, s.v] : [s.v, scalar];
    let [v, keep] = elemBinop(b.op, l, r);
    // A comparison keeps the vector's value even when the scalar is on the left.
    if (isComparison(b.op) && swap) v = r;
    if (b.returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    const dropped = dropsName(b.op) || b.returnBool;
    out.push({ labels: dropped ? dropName(s.labels) : s.labels, v });
  }
  return out;
}

function vectorBinop(op: BinaryOp, lhsIn: Sample[], rhsIn: Sample[], m: VectorMatching, returnBool: boolean): Sample[] {
  // Nothing can match: no matching errors either (Prometheus short-circuits).
  if (lhsIn.length === 0 || rhsIn.length === 0) return [];
  const oneToMany = m.card === 'one-to-many';
  const [lhs, rhs] = oneToMany ? [rhsIn, lhsIn] : [lhsIn, rhsIn];
  const right = new Map<string, Sample>();
  for (const r of rhs) {
    const sig = signature(r.labels, m);
    const dup = right.get(sig);
    if (dup) {
      execution(
        `found duplicate series for the match group ${matchedLabelsText(r.labels, m)} on the ${oneToMany ? 'left' : 'right'} hand-side of the operation: [${labelsText(r.labels)}, ${labelsText(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, r);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: Sample[] = [];
  for (const l of lhs) {
    const sig = signature(l.labels, m);
    const r = right.get(sig);
    if (!r) continue;
    const [vl, vr] = oneToMany ? [r.v, l.v] : [l.v, r.v];
    const [value, keep] = elemBinop(op, vl, vr);
    if (!returnBool && !keep) continue;
    const v = returnBool ? (keep ? 1 : 0) : value;
    let labels = resultLabels(l.labels, r.labels, op, m);
    if (returnBool) labels = dropName(labels);
    const inserted = matched.get(sig);
    if (m.card === 'one-to-one') {
      if (inserted !== undefined) execution('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.set(sig, null);
    } else {
      const k = labelKey(labels);
      const set = inserted ?? new Set<string>();
      if (set.has(k)) execution('multiple matches for labels: grouping labels must ensure unique label set per-labels');
      set.add(k);
      matched.set(sig, set);
    }
    out.push({ labels, v });
  }
  return out;
}

function resultLabels(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  const out: Record<string, string> = { ...lhs };
  if (dropsName(op)) delete out['__name__'];
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const k of Object.keys(out)) if (!m.labels.includes(k)) delete out[k];
    } else for (const k of m.labels) delete out[k];
  }
  for (const k of m.include) {
    const v = rhs[k];
    if (v !== undefined && v !== '') out[k] = v;
    else delete out[k];
  }
  return out;
}

function aggregateValues(op: AggregateExpr['op'], values: number[], q: number): number {
  const first = values[0] ?? Number.NaN;
  switch (op) {
    case 'sum':
      return values.slice(1).reduce((a, b) => a + b, first);
    case 'count':
      return values.length;
    case 'group':
      return 1;
    case 'max':
      return values.slice(1).reduce((a, b) => (a < b || Number.isNaN(a) ? b : a), first);
    case 'min':
      return values.slice(1).reduce((a, b) => (a > b || Number.isNaN(a) ? b : a), first);
    case 'avg':
      return mean(values);
    case 'stddev':
    case 'stdvar': {
      // Welford from the first value (a single +Inf has variance 0, as in Prometheus).
      let count = 1;
      let mean = first;
      let acc = 0;
      for (const v of values.slice(1)) {
        count++;
        const delta = v - mean;
        mean += delta / count;
        acc += delta * (v - mean);
      }
      const variance = acc / count;
      return op === 'stddev' ? Math.sqrt(variance) : variance;
    }
    case 'quantile':
      return quantile(q, values);
  }
}

/** The incremental mean of Prometheus's avg and avg_over_time (an infinite mean stays as it is). */
function mean(values: number[]): number {
  let m = 0;
  let count = 0;
  for (const v of values) {
    count++;
    if (!Number.isFinite(m) && !Number.isNaN(m)) {
      if (!Number.isFinite(v) && !Number.isNaN(v) && m > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    m += v / count - m / count;
  }
  return m;
}

/** rate / increase / delta as Prometheus 2.x computes them (extrapolatedRate). */
function extrapolatedRate(pts: [number, number][], m: MatrixSelector, t: number, isCounter: boolean, isRate: boolean): number | undefined {
  if (pts.length < 2) return undefined;
  const rangeStart = t - (m.rangeMs + m.selector.offsetMs);
  const rangeEnd = t - m.selector.offsetMs;
  const [firstT, firstV] = pts[0] as [number, number];
  const [lastT, lastV] = pts[pts.length - 1] as [number, number];
  let result = lastV - firstV;
  if (isCounter) {
    let prev = firstV;
    for (const [, v] of pts.slice(1)) {
      if (v < prev) result += prev;
      prev = v;
    }
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageInterval = sampledInterval / (pts.length - 1);
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageInterval * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= m.rangeMs / 1000;
  return result * factor;
}

/** irate / idelta: the last two samples. */
function instantValue(pts: [number, number][], isRate: boolean): number | undefined {
  if (pts.length < 2) return undefined;
  const [prevT, prevV] = pts[pts.length - 2] as [number, number];
  const [lastT, lastV] = pts[pts.length - 1] as [number, number];
  const result = isRate && lastV < prevV ? lastV : lastV - prevV;
  const interval = lastT - prevT;
  if (interval === 0) return undefined;
  return isRate ? result / (interval / 1000) : result;
}
