/**
 * Contract: the sandbox's Prometheus stand-in answers like the real Prometheus (Debian package
 * `prometheus`, promtool backfill) on the same series. Every PromQL the checks issue, over the
 * four shipped scenarios' series, plus the operators and functions the stand-in claims, over edge
 * cases (counter resets, gaps longer and shorter than the 5 min lookback, a series appearing late,
 * one going stale, irregular intervals, NaN/±Inf, a counter extrapolated to zero, joins with
 * group_left, errors), at many instants and ranges/steps, and 400 random expressions of the
 * supported language (fast-check, fixed seed; CONTRACT_PROBES and CONTRACT_SEED run more or others:
 * 5,500 across seeds 7, 11, 12 found two differences, both fixed). The answers must be equal: same HTTP
 * status and errorType, same result type, same label sets, same timestamps, values within 1e-9
 * (relative). The real binary is required: without it this test fails with the install line.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, startPrometheusStandin, type BackfillSeries, type PrometheusServer } from '../../src/sandbox/prometheus/index.js';
import { expandPrometheusSeries, resolveKubernetesObjects } from '../../src/sandbox/scenario/expand.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { cpuQuery } from '../../src/workflows/diagnostics/checks/cpu-per-pod.js';
import { throttlingQuery } from '../../src/workflows/diagnostics/checks/cpu-throttling.js';
import { requireBinary } from '../support/binaries.js';

const MIN = 60_000;
/** A fixed past day; each data set gets its own window two days apart so they never meet. */
const BASE = Date.UTC(2026, 0, 5, 0, 0, 0);
const SCENARIOS = ['flapping-alb-target-response-time', 'hpa-pinned-at-max', 'oom-crashloop-after-deploy', 'sidecar-cpu-throttling'];
const EDGE = BASE + 10 * 86_400_000;

interface Probe {
  query: string;
  /** Instant at `time`, or range over [start, end] by `step` (seconds). */
  time?: number;
  start?: number;
  end?: number;
  step?: number;
}

interface ScenarioData {
  name: string;
  series: BackfillSeries[];
  probes: Probe[];
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function instantsAndRanges(queries: string[], minT: number, maxT: number, anchor: number): Probe[] {
  const mid = Math.round((minT + maxT) / 2);
  const instants = [minT - 1, minT, minT + 1, minT + 61_000, mid, mid + 7_531, anchor, anchor + 12_345, maxT, maxT + 299_999, maxT + 300_000, maxT + 300_001, maxT + 20 * MIN];
  const ranges: [number, number, number][] = [
    // The checks' shape: a minute-aligned start, an unaligned end, 60 s steps.
    [Math.floor((minT - 10 * MIN) / MIN) * MIN, maxT + 10 * MIN + 4_321, 60],
    [anchor - 30 * MIN + 1_234, anchor + 13_457, 15],
    [minT, maxT, 37],
    [minT - 60 * MIN, maxT + 60 * MIN, 300],
  ];
  const probes: Probe[] = [];
  for (const query of queries) {
    for (const time of instants) probes.push({ query, time });
    for (const [start, end, step] of ranges) probes.push({ query, start, end, step });
  }
  return probes;
}

function scenarioData(name: string, index: number): ScenarioData {
  const scenario = loadNamedScenario(name);
  const anchor = BASE + index * 2 * 86_400_000;
  const series = expandPrometheusSeries(scenario, new Date(anchor));
  const times = series.flatMap((s) => s.samples.map(([t]) => t));
  const minT = Math.min(...times);
  const maxT = Math.max(...times);
  const queries = new Set<string>();
  for (const o of resolveKubernetesObjects(scenario, new Date(anchor))) {
    if (o['kind'] !== 'Deployment') continue;
    const meta = o['metadata'] as { name: string; namespace?: string };
    // Exactly what the checks send.
    queries.add(cpuQuery(meta.namespace ?? 'default', meta.name));
    queries.add(throttlingQuery(meta.namespace ?? 'default', meta.name));
  }
  for (const s of series) {
    const stored = s.type === 'counter' && !s.metric.endsWith('_total') ? `${s.metric}_total` : s.metric;
    queries.add(stored);
    if (s.type === 'counter') {
      queries.add(`rate(${stored}[2m])`);
      queries.add(`sum by (pod) (increase(${stored}[5m]))`);
      queries.add(`irate(${stored}[1m])`);
    } else {
      queries.add(`max_over_time(${stored}[10m])`);
      queries.add(`avg by (namespace) (avg_over_time(${stored}[5m]))`);
    }
  }
  return { name, series, probes: instantsAndRanges([...queries], minT, maxT, anchor) };
}

// ---- Edge cases ----------------------------------------------------------------------------

const STEP = 15_000;
const N = 240; // one hour at 15 s

function counter(kind: string, value: (i: number) => number | undefined, time: (i: number) => number = (i) => EDGE + i * STEP): BackfillSeries {
  const samples: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    const v = value(i);
    if (v !== undefined) samples.push([time(i), v]);
  }
  return { metric: 'edge_requests_total', type: 'counter', labels: { kind, job: 'edge' }, samples };
}

function gauge(labels: Record<string, string>, value: (i: number) => number | undefined): BackfillSeries {
  const samples: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    const v = value(i);
    if (v !== undefined) samples.push([EDGE + i * STEP, v]);
  }
  return { metric: 'edge_temperature', type: 'gauge', labels, samples };
}

const EARLY_END = 50;

function edgeSeries(): BackfillSeries[] {
  return [
    // Two resets: to a smaller non-zero value, then to zero.
    counter('reset', (i) => (i < 80 ? 10 * i : i < 160 ? 3 + 10 * (i - 80) : 7 * (i - 160))),
    // A 10 min gap (longer than the lookback) and a 3 min one (shorter).
    counter('gappy', (i) => ((i >= 30 && i < 70) || (i >= 120 && i < 132) ? undefined : 5 * i + 2)),
    // Appears at 15 min.
    counter('late', (i) => (i < 60 ? undefined : 2.5 * (i - 60))),
    // Stops at 12.5 min: stale 5 min later.
    counter('early_end', (i) => (i < EARLY_END ? 4 * i + 100 : undefined)),
    // Irregular intervals.
    counter('jitter', (i) => 3 * i + (i % 7), (i) => EDGE + i * STEP + ((i * 7919) % 5_000)),
    // Starts at zero (extrapolation stops at the counter's zero point) and high (no such stop).
    counter('from_zero', (i) => 0.5 * i),
    counter('big_start', (i) => 1e6 + 0.5 * i),
    gauge({ kind: 'reset', room: 'lab' }, (i) => Math.sin(i / 10) * 20),
    gauge({ kind: 'gappy', room: 'lab' }, (i) => (i % 40 < 25 ? i - 100 : undefined)),
    gauge({ kind: 'late', room: 'hall' }, (i) => (i >= 60 ? i / 3 : undefined)),
    gauge({ kind: 'early_end', room: 'hall' }, (i) => (i < EARLY_END ? 1.5 : undefined)),
    gauge({ kind: 'special', room: 'roof' }, (i) => (i < 40 ? Number.NaN : i < 80 ? Number.POSITIVE_INFINITY : i < 120 ? Number.NEGATIVE_INFINITY : 0)),
    gauge({ kind: 'quote " back \\ nl \n é', room: 'roof' }, (i) => i % 13),
    // Regex matching on code points (RE2 on UTF-8) and RE2's narrow \s.
    gauge({ kind: 'emoji 😀', room: 'roof' }, (i) => i % 3),
    gauge({ kind: 'nbsp\u00a0x', room: 'roof' }, (i) => i % 4),
    // An empty label value is no label.
    gauge({ kind: 'empty', room: '' }, (i) => i % 5),
    // Metadata to join on with group_left.
    { metric: 'edge_info', type: 'gauge', labels: { kind: 'reset', team: 'alpha' }, samples: Array.from({ length: N }, (_, i) => [EDGE + i * STEP, 1] as [number, number]) },
    { metric: 'edge_info', type: 'gauge', labels: { kind: 'gappy', team: 'beta' }, samples: Array.from({ length: N }, (_, i) => [EDGE + i * STEP, 1] as [number, number]) },
    // Same labels under two names: rate() over both is "vector cannot contain metrics with the same labelset".
    { metric: 'edge_dup_a_total', type: 'counter', labels: { kind: 'x' }, samples: Array.from({ length: N }, (_, i) => [EDGE + i * STEP, i] as [number, number]) },
    { metric: 'edge_dup_b_total', type: 'counter', labels: { kind: 'x' }, samples: Array.from({ length: N }, (_, i) => [EDGE + i * STEP, 2 * i] as [number, number]) },
  ];
}

const EDGE_QUERIES = [
  'edge_requests_total',
  'edge_requests_total{kind=~"re.*|late"}',
  'edge_requests_total{kind!="reset",kind!~"j.*"}',
  // Label regexes (RE2, anchored).
  'edge_temperature{kind=~"(?i)RESET"}',
  'edge_temperature{kind!~"(?i)E.*"}',
  'edge_temperature{kind=~"emoji ."}',
  'edge_temperature{kind=~"nbsp\\sx"}',
  'edge_temperature{kind=~"nbsp\\Sx"}',
  'edge_temperature{kind=~"[a-z]+_[a-z]+"}',
  'edge_temperature{kind=~"\\w+"}',
  'edge_temperature{kind=~"[^]]+",room=~"l\\.?ab|ro\\-of"}',
  'edge_temperature{kind=~"(?:re|la)(?:set|te)"}',
  'edge_temperature{kind=~"(?=x)"}',
  'edge_temperature{kind=~"("}',
  'rate(edge_requests_total[1m])',
  'rate(edge_requests_total[2m])',
  'rate(edge_requests_total[5m])',
  'rate(edge_requests_total[15m])',
  'irate(edge_requests_total[1m])',
  'increase(edge_requests_total[5m])',
  'delta(edge_temperature[5m])',
  'idelta(edge_temperature[2m])',
  'rate(edge_requests_total[2m] offset 3m)',
  'edge_temperature offset 4m',
  'edge_temperature[2m]',
  'edge_requests_total[1m] offset 30s',
  'sum(rate(edge_requests_total[2m]))',
  'sum by (kind) (rate(edge_requests_total[2m]))',
  'sum without (job) (rate(edge_requests_total[2m]))',
  'avg by (room) (edge_temperature)',
  'min by (room) (edge_temperature)',
  'max by (room) (edge_temperature)',
  'count by (room) (edge_temperature)',
  'group by (room) (edge_temperature)',
  'stddev(edge_temperature)',
  'stdvar by (room) (edge_temperature)',
  'quantile(0.9, edge_temperature)',
  'quantile by (room) (0.25, edge_temperature)',
  'quantile(1.5, edge_temperature)',
  'count by (__name__) ({__name__=~"edge_.+"})',
  'avg_over_time(edge_temperature[5m])',
  'min_over_time(edge_temperature[5m])',
  'max_over_time(edge_temperature[10m])',
  'sum_over_time(edge_temperature[3m])',
  'count_over_time(edge_requests_total[5m])',
  'last_over_time(edge_temperature[10m])',
  'present_over_time(edge_requests_total[2m])',
  'quantile_over_time(0.5, edge_temperature[5m])',
  'quantile_over_time(0.95, edge_requests_total[10m])',
  'edge_temperature + 1',
  '1 - edge_temperature',
  'edge_temperature * 2 ^ 3',
  'edge_temperature % 7',
  '-edge_temperature',
  'edge_temperature > 0',
  '0 < edge_temperature',
  'edge_temperature > bool 0',
  '5 >= bool edge_temperature',
  'edge_temperature == edge_temperature',
  'edge_temperature / edge_temperature',
  'edge_temperature atan2 edge_temperature',
  'sum by (kind) (rate(edge_requests_total[2m])) * on (kind) group_left (team) edge_info',
  'edge_info * on (kind) group_right sum by (kind) (edge_requests_total)',
  'rate(edge_requests_total[2m]) / ignoring (job) group_left sum by (kind) (rate(edge_requests_total[5m]))',
  'sum by (kind) (rate(edge_requests_total[2m])) / on (kind) sum by (kind) (rate(edge_requests_total[5m]))',
  'edge_requests_total and on (kind) edge_info',
  'edge_requests_total unless on (kind) edge_info',
  'edge_info or edge_dup_a_total',
  'edge_requests_total and edge_temperature',
  'edge_temperature or on () vector(0)',
  'abs(-edge_temperature)',
  'ceil(edge_temperature)',
  'floor(edge_temperature)',
  'sqrt(edge_temperature)',
  'exp(edge_temperature / 100)',
  'ln(edge_temperature)',
  'log2(edge_temperature)',
  'log10(edge_temperature)',
  'clamp(edge_temperature, -5, 5)',
  'clamp(edge_temperature, 5, -5)',
  'clamp_min(edge_temperature, 0)',
  'clamp_max(edge_temperature, 0)',
  'scalar(sum(edge_info))',
  'scalar(edge_temperature)',
  'vector(time())',
  'time()',
  '1 + 2 * 3',
  '2 ^ -1',
  '-2 ^ 2',
  '2 ^ 3 ^ 2',
  '5 % 3',
  '1 == bool 1',
  '0x1f + 017 + 1e3',
  'NaN',
  '-Inf',
  '1 / 0',
  '0 / 0',
  '1e21 + 0.5',
  '1e-7',
  // Execution errors (422).
  'rate({__name__=~"edge_dup_.+"}[5m])',
  'edge_temperature + on (room) edge_temperature',
  'sum by (kind) (edge_requests_total) * on () group_left sum by (kind, job) (edge_requests_total)',
  'edge_requests_total + on (job) group_left edge_requests_total',
  // Parse errors (400).
  'sum(edge_temperature',
  'edge_temperature{',
  'rate(edge_temperature)',
  '1 > 2',
  'nosuchfunction(edge_temperature)',
  'edge_temperature{__name__="x"}',
  '{job=""}',
  'sum by (kind) (edge_temperature[5m])',
  'edge_temperature and 1',
  '1 + on (kind) edge_temperature',
  'edge_temperature + bool 1',
  'rate(edge_requests_total[5])',
  'rate(edge_requests_total[0s])',
  'edge_temperature offset 0s',
  'edge_temperature + 5m',
  'edge_temperature[1h1h]',
  'rate(edge_requests_total[5m])[5m]',
  'sum by (room) (edge_temperature) by (room)',
  'edge_temperature{kind="\\q"}',
  '',
];

function edgeProbes(): Probe[] {
  const end = EDGE + (N - 1) * STEP;
  const stale = EDGE + (EARLY_END - 1) * STEP;
  const instants = [EDGE - 1, EDGE, EDGE + 7_000, EDGE + 15 * MIN, EDGE + 15 * MIN + 7, EDGE + 30 * MIN, stale + 299_999, stale + 300_000, stale + 300_001, end, end + 5 * MIN, end + 5 * MIN + 1];
  const ranges: [number, number, number][] = [
    [EDGE - 5 * MIN, end + 10 * MIN, 15],
    [EDGE - 5 * MIN, end + 10 * MIN, 60],
    [EDGE, end, 37],
    [EDGE + 1_234, EDGE + 30 * MIN + 999, 10],
    [EDGE + 10 * MIN, EDGE + 12 * MIN, 1],
  ];
  const probes: Probe[] = [];
  for (const query of EDGE_QUERIES) {
    for (const time of instants) probes.push({ query, time });
    for (const [start, endT, step] of ranges) probes.push({ query, start, end: endT, step });
  }
  // API parameter errors and edge parameters.
  probes.push(
    { query: 'edge_info', start: EDGE + MIN, end: EDGE, step: 15 },
    { query: 'edge_info', start: EDGE, end: EDGE + MIN, step: 0 },
    { query: 'edge_info', start: EDGE, end: EDGE + 86_400_000, step: 1 },
    { query: 'edge_info[5m]', start: EDGE, end: EDGE + MIN, step: 15 },
    { query: '"text"', start: EDGE, end: EDGE + MIN, step: 15 },
    { query: '"text"', time: EDGE },
    { query: 'edge_info', time: EDGE + 2 * MIN + 500 },
    { query: 'edge_info', start: EDGE + 1, end: EDGE + 1, step: 15 },
  );
  return probes;
}

// ---- Generated queries ------------------------------------------------------------------------

const LABELS = ['kind', 'room', 'job', 'team'];
const sub = fc.subarray(LABELS, { minLength: 0, maxLength: 2 });
const duration = fc.constantFrom('30s', '1m', '2m', '5m', '10m');
const selector = fc
  .tuple(fc.constantFrom('edge_temperature', 'edge_requests_total', 'edge_info'), fc.constantFrom('', '{kind="reset"}', '{kind=~"re.*|late|gappy"}', '{kind!="late"}', '{room="lab"}'))
  .map(([m, sel]) => `${m}${sel}`);
const scalarLit = fc.constantFrom('0', '1', '-1', '0.5', '2', '100', '1e3');

/** Random expressions of the stand-in's language, of instant-vector type (depth-bounded). */
const vectorExpr: fc.Arbitrary<string> = fc.letrec<{ vec: string; scal: string }>((tie) => ({
  vec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    selector,
    fc.tuple(selector, fc.constantFrom('', ' offset 1m', ' offset 5m')).map(([s, o]) => `${s}${o}`),
    fc.tuple(fc.constantFrom('rate', 'irate', 'increase', 'delta', 'idelta', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time'), selector, duration).map(([f, s, d]) => `${f}(${s}[${d}])`),
    fc.tuple(scalarLit, selector, duration).map(([q, s, d]) => `quantile_over_time(${q}, ${s}[${d}])`),
    fc.tuple(fc.constantFrom('sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar'), fc.constantFrom('by', 'without'), sub, tie('vec')).map(([op, m, ls, e]) => `${op} ${m} (${ls.join(', ')}) (${e})`),
    fc.tuple(fc.constantFrom('abs', 'ceil', 'floor', 'sqrt', 'ln', 'exp'), tie('vec')).map(([f, e]) => `${f}(${e})`),
    fc.tuple(tie('vec'), fc.constantFrom('+', '-', '*', '/', '%', '^', '>', '<', '==', '!=', '> bool', '<= bool', 'atan2'), tie('scal')).map(([l, op, r]) => `(${l}) ${op} ${r}`),
    fc.tuple(tie('scal'), fc.constantFrom('+', '*', '-', '>', '< bool'), tie('vec')).map(([l, op, r]) => `${l} ${op} (${r})`),
    fc
      .tuple(tie('vec'), fc.constantFrom('+', '/', '*', '-', '>', '== bool', 'and', 'or', 'unless'), fc.constantFrom('', 'on', 'ignoring'), sub, fc.constantFrom('', 'group_left', 'group_right'), sub, tie('vec'))
      .map(([l, op, m, ls, g, inc, r]) => `(${l}) ${op} ${m ? `${m}(${ls.join(', ')})` : ''}${m && g ? ` ${g}(${inc.join(', ')})` : ''} (${r})`),
    tie('scal').map((s) => `vector(${s})`),
  ),
  scal: fc.oneof({ depthSize: 'small' }, scalarLit, fc.constant('time()'), tie('vec').map((v) => `scalar(${v})`), fc.tuple(scalarLit, fc.constantFrom('+', '*', '/', '^', '%'), scalarLit).map(([a, op, b]) => `(${a} ${op} ${b})`)),
})).vec;

function generatedProbes(count: number, seed: number): Probe[] {
  const end = EDGE + (N - 1) * STEP;
  const time = fc.integer({ min: EDGE - 2 * MIN, max: end + 8 * MIN });
  const probe = fc.oneof(
    fc.tuple(vectorExpr, time).map(([query, t]) => ({ query, time: t })),
    fc.tuple(vectorExpr, time, fc.integer({ min: 1, max: 40 * MIN }), fc.constantFrom(15, 30, 60, 37)).map(([query, start, span, step]) => ({ query, start, end: start + span, step })),
  );
  return fc.sample(probe, { numRuns: count, seed });
}

// ---- Comparison ------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: { status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown } };
}

async function ask(base: string, p: Probe): Promise<Answer> {
  const params = new URLSearchParams({ query: p.query });
  if (p.time !== undefined) params.set('time', secs(p.time));
  else {
    params.set('start', secs(p.start ?? 0));
    params.set('end', secs(p.end ?? 0));
    params.set('step', String(p.step ?? 60));
  }
  const path = p.time !== undefined ? '/api/v1/query' : '/api/v1/query_range';
  const res = await fetch(`${base}${path}`, { method: 'POST', body: params, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

type Point = [number, string];
interface Row {
  metric: Record<string, string>;
  points: Point[];
}

function rows(a: Answer): Row[] {
  const data = a.body.data;
  if (!data) return [];
  if (data.resultType === 'vector') return (data.result as { metric: Record<string, string>; value: Point }[]).map((r) => ({ metric: r.metric, points: [r.value] }));
  if (data.resultType === 'matrix') return (data.result as { metric: Record<string, string>; values: Point[] }[]).map((r) => ({ metric: r.metric, points: r.values }));
  if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, points: [data.result as Point] }];
  return [];
}

const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

function valueDiff(a: string, b: string): boolean {
  if (a === b) return false;
  const x = Number(a.replace('Inf', 'Infinity'));
  const y = Number(b.replace('Inf', 'Infinity'));
  if (Number.isNaN(x) || Number.isNaN(y)) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x !== y;
  return Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

/** The differences between two answers (empty: equal). */
function differences(real: Answer, standin: Answer): string[] {
  if (real.status !== standin.status) return [`HTTP ${real.status} vs ${standin.status}: ${JSON.stringify(real.body)} vs ${JSON.stringify(standin.body)}`];
  if (real.body.status !== standin.body.status || real.body.errorType !== standin.body.errorType) return [`${JSON.stringify(real.body)} vs ${JSON.stringify(standin.body)}`];
  if (real.body.status === 'error') {
    // Parse errors: both name the parameter; the parsers' wording may differ.
    const prefix = (e?: string) => /^invalid parameter "[^"]+"/.exec(e ?? '')?.[0];
    return prefix(real.body.error) === prefix(standin.body.error) ? [] : [`error ${JSON.stringify(real.body.error)} vs ${JSON.stringify(standin.body.error)}`];
  }
  if (real.body.data?.resultType !== standin.body.data?.resultType) return [`resultType ${real.body.data?.resultType} vs ${standin.body.data?.resultType}`];
  const a = new Map(rows(real).map((r) => [key(r.metric), r]));
  const b = new Map(rows(standin).map((r) => [key(r.metric), r]));
  const out: string[] = [];
  for (const k of a.keys()) if (!b.has(k)) out.push(`series ${k} missing from the stand-in`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`series ${k} only in the stand-in`);
  for (const [k, ra] of a) {
    const rb = b.get(k);
    if (!rb) continue;
    const ta = ra.points.map((p) => p[0]);
    const tb = rb.points.map((p) => p[0]);
    if (JSON.stringify(ta) !== JSON.stringify(tb)) {
      out.push(`series ${k}: timestamps ${JSON.stringify(ta.slice(0, 8))}… (${ta.length}) vs ${JSON.stringify(tb.slice(0, 8))}… (${tb.length})`);
      continue;
    }
    ra.points.forEach((p, i) => {
      const q = rb.points[i];
      if (q && valueDiff(p[1], q[1])) out.push(`series ${k} at ${p[0]}: ${p[1]} vs ${q[1]}`);
    });
  }
  return out;
}

const describeProbe = (p: Probe) =>
  p.time !== undefined ? `${p.query} @ ${new Date(p.time).toISOString()}` : `${p.query} [${new Date(p.start ?? 0).toISOString()}, ${new Date(p.end ?? 0).toISOString()}] step ${p.step}s`;

describe('the Prometheus stand-in answers as the real Prometheus does', () => {
  const scenarios = SCENARIOS.map((name, i) => scenarioData(name, i));
  const edges = edgeSeries();
  let real: PrometheusServer | undefined;
  let standin: PrometheusServer | undefined;

  beforeAll(async () => {
    requireBinary('prometheus', 'prometheus');
    requireBinary('promtool', 'prometheus');
    const series = [...scenarios.flatMap((s) => s.series), ...edges];
    [real, standin] = await Promise.all([startPrometheus({ series }), startPrometheusStandin({ series })]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([real?.stop(), standin?.stop()]);
  });

  async function compare(probes: Probe[]): Promise<{ compared: number; failures: string[]; kinds: Set<string> }> {
    const failures: string[] = [];
    const kinds = new Set<string>();
    for (const p of probes) {
      const [a, b] = await Promise.all([ask(real?.url ?? '', p), ask(standin?.url ?? '', p)]);
      kinds.add(a.body.status === 'success' ? `${a.body.data?.resultType}:${rows(a).length > 0 ? 'data' : 'empty'}` : `${a.body.errorType}`);
      const d = differences(a, b);
      if (d.length) failures.push(`${describeProbe(p)}\n    ${d.slice(0, 5).join('\n    ')}`);
    }
    return { compared: probes.length, failures, kinds };
  }

  for (const s of scenarios) {
    it(`scenario ${s.name}: the checks' queries and the scenario's series, at ${s.probes.length} instants and ranges`, async () => {
      const r = await compare(s.probes);
      expect(r.failures.slice(0, 20), `${r.failures.length} of ${r.compared} probes differ`).toEqual([]);
      // Not vacuous: real data came back.
      expect(r.kinds.has('matrix:data') && r.kinds.has('vector:data')).toBe(true);
    }, 180_000);
  }

  it('series, label names and label values: the same answers, errors included', async () => {
    const paths = [
      `/api/v1/series?match[]=edge_temperature&start=${secs(EDGE)}&end=${secs(EDGE + 60 * MIN)}`,
      `/api/v1/series?match[]=edge_requests_total{kind=~"late|reset"}&match[]=edge_info&start=${secs(EDGE)}&end=${secs(EDGE + 60 * MIN)}`,
      // Only series with samples in the window: "late" starts at 15 min.
      `/api/v1/series?match[]=edge_requests_total&start=${secs(EDGE)}&end=${secs(EDGE + 10 * MIN)}`,
      '/api/v1/series',
      '/api/v1/series?match[]=sum(edge_info)',
      `/api/v1/labels?match[]=edge_info&start=${secs(EDGE)}&end=${secs(EDGE + 60 * MIN)}`,
      `/api/v1/label/kind/values?match[]=edge_temperature&start=${secs(EDGE)}&end=${secs(EDGE + 60 * MIN)}`,
      `/api/v1/label/room/values?start=${secs(EDGE)}&end=${secs(EDGE + 60 * MIN)}`,
    ];
    for (const p of paths) {
      const [a, b] = await Promise.all([fetch(`${real?.url ?? ''}${p}`), fetch(`${standin?.url ?? ''}${p}`)]);
      const [ja, jb] = (await Promise.all([a.json(), b.json()])) as [{ status: string; errorType?: string; data?: unknown }, { status: string; errorType?: string; data?: unknown }];
      expect({ status: b.status, errorType: jb.errorType, data: jb.data }, p).toEqual({ status: a.status, errorType: ja.errorType, data: ja.data });
    }
  });

  it('generated queries: 400 random expressions of the supported language at random instants and ranges (fixed seed)', async () => {
    const r = await compare(generatedProbes(Number(process.env['CONTRACT_PROBES'] ?? 400), Number(process.env['CONTRACT_SEED'] ?? 20261205)));
    expect(r.failures.slice(0, 10), `${r.failures.length} of ${r.compared} probes differ`).toEqual([]);
    expect([...r.kinds]).toEqual(expect.arrayContaining(['matrix:data', 'vector:data', 'execution']));
  }, 300_000);

  it('edge cases: resets, gaps, late and stale series, irregular intervals, special values, joins, set operators, errors', async () => {
    const r = await compare(edgeProbes());
    expect(r.failures.slice(0, 20), `${r.failures.length} of ${r.compared} probes differ`).toEqual([]);
    expect([...r.kinds].sort()).toEqual(expect.arrayContaining(['bad_data', 'execution', 'matrix:data', 'scalar:data', 'string:data', 'vector:data', 'vector:empty']));
  }, 300_000);
});
