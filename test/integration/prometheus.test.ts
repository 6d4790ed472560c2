/**
 * The Prometheus adapter against a real Prometheus (Debian package `prometheus`) holding series
 * backfilled with promtool: counter rates come back as written, gauges at the instants written,
 * NaN/+Inf survive, errors map to AppError codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createPrometheusAdapter } from '../../src/integrations/prometheus/adapter.js';
import type { PromSample } from '../../src/workflows/ports.js';
import { freePort } from '../support/procs.js';
import { requireBinary } from '../support/binaries.js';
import { startPrometheus, type BackfillSeries, type PrometheusServer } from '../support/prometheus.js';

const STEP_MS = 15_000;
/** CPU-seconds per second for each pod: what rate() must give back. */
const RATES: Record<string, number> = { 'api-0': 0.25, 'api-1': 0.5, 'api-2': 1.5, 'api-3': 3 };
const MEMORY: Record<string, number> = { 'api-0': 100e6, 'api-1': 200e6, 'api-2': 300e6, 'api-3': 400e6 };
const TRICKY = 'quote " backslash \\ newline \n end';

// Data: two hours at a 15 s step, ending an hour ago (aligned to the step).
const END = Math.floor((Date.now() - 3_600_000) / STEP_MS) * STEP_MS;
const START = END - 2 * 3_600_000;
const TIMES: number[] = [];
for (let t = START; t <= END; t += STEP_MS) TIMES.push(t);
const MIDDLE = START + 3_600_000;

function seriesFixture(): BackfillSeries[] {
  const out: BackfillSeries[] = [];
  for (const [pod, rate] of Object.entries(RATES)) {
    out.push({
      metric: 'container_cpu_usage_seconds_total',
      type: 'counter',
      labels: { namespace: 'default', pod, container: 'app' },
      samples: TIMES.map((t) => [t, 1000 + (rate * (t - START)) / 1000]),
    });
    // Memory doubles at the middle of the window.
    out.push({
      metric: 'container_memory_working_set_bytes',
      type: 'gauge',
      labels: { namespace: 'default', pod, container: 'app' },
      samples: TIMES.map((t) => [t, (MEMORY[pod] ?? 0) * (t < MIDDLE ? 1 : 2)]),
    });
  }
  // Same metric in another namespace: must not leak into namespace="default" queries.
  out.push({
    metric: 'container_cpu_usage_seconds_total',
    type: 'counter',
    labels: { namespace: 'kube-system', pod: 'coredns-0', container: 'coredns' },
    samples: TIMES.map((t) => [t, (7 * (t - START)) / 1000]),
  });
  out.push({
    metric: 'warroom_special_values',
    type: 'gauge',
    labels: { kind: 'nan', note: TRICKY },
    samples: TIMES.map((t) => [t, Number.NaN]),
  });
  out.push({
    metric: 'warroom_special_values',
    type: 'gauge',
    labels: { kind: 'inf', note: TRICKY },
    samples: TIMES.map((t) => [t, Number.POSITIVE_INFINITY]),
  });
  return out;
}

function byPod(samples: PromSample[]): Map<string, PromSample> {
  return new Map(samples.map((s) => [s.metric['pod'] ?? '', s]));
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw new Error(`expected an AppError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

describe('Prometheus adapter against a real Prometheus with backfilled series', () => {
  let prom: PrometheusServer;

  beforeAll(async () => {
    requireBinary('prometheus', 'prometheus');
    requireBinary('promtool', 'prometheus');
    prom = await startPrometheus({ series: seriesFixture() });
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it('stores the cAdvisor counter under exactly container_cpu_usage_seconds_total', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const res = await adapter.query('count by (__name__) ({__name__=~"container_cpu_usage_seconds.*"})', new Date(MIDDLE));
    expect(res.map((s) => s.metric['__name__'])).toEqual(['container_cpu_usage_seconds_total']);
    expect(res[0]?.values[0]?.[1]).toBe(5);
  });

  it('queryRange returns the per-pod rates that were written', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const qStart = new Date(START + 10 * 60_000);
    const qEnd = new Date(END);
    const res = await adapter.queryRange('sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="default"}[2m]))', qStart, qEnd, 60);
    const pods = byPod(res);
    expect([...pods.keys()].sort()).toEqual(Object.keys(RATES).sort());
    const expectedPoints = (qEnd.getTime() - qStart.getTime()) / 60_000 + 1;
    for (const [pod, rate] of Object.entries(RATES)) {
      const s = pods.get(pod);
      expect(s?.metric).toEqual({ pod });
      expect(s?.values).toHaveLength(expectedPoints);
      expect(s?.values[0]?.[0]).toBe(qStart.getTime() / 1000);
      for (const [, v] of s?.values ?? []) expect(v).toBeCloseTo(rate, 6);
    }
  });

  it('queryRange has no points before the backfilled data or after it went stale', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const q = 'container_memory_working_set_bytes{pod="api-0"}';
    expect(await adapter.queryRange(q, new Date(START - 3_600_000), new Date(START - 60_000), 60)).toEqual([]);
    // Default lookback is 5m: from 6 minutes after the last sample the series is gone.
    expect(await adapter.queryRange(q, new Date(END + 6 * 60_000), new Date(END + 30 * 60_000), 60)).toEqual([]);
    const edge = await adapter.queryRange(q, new Date(END - 60_000), new Date(END + 6 * 60_000), 60);
    expect(edge[0]?.values.map(([t]) => t)).toEqual([-1, 0, 1, 2, 3, 4, 5].map((m) => (END + m * 60_000) / 1000));
  });

  it('instant query returns gauges as written at that instant', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const before = new Date(MIDDLE - 30 * 60_000);
    const after = new Date(MIDDLE + 30 * 60_000);
    const q = 'container_memory_working_set_bytes{namespace="default"}';
    const early = byPod(await adapter.query(q, before));
    const late = byPod(await adapter.query(q, after));
    for (const [pod, bytes] of Object.entries(MEMORY)) {
      expect(early.get(pod)?.values).toEqual([[before.getTime() / 1000, bytes]]);
      expect(late.get(pod)?.values).toEqual([[after.getTime() / 1000, bytes * 2]]);
      expect(early.get(pod)?.metric).toMatchObject({ __name__: 'container_memory_working_set_bytes', namespace: 'default', pod, container: 'app' });
    }
  });

  it('scalar results become one sample without labels', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const at = new Date(MIDDLE - 60_000);
    const res = await adapter.query('scalar(sum(container_memory_working_set_bytes{namespace="default"}))', at);
    expect(res).toEqual([{ metric: {}, values: [[at.getTime() / 1000, 1e9]] }]);
  });

  it('NaN and +Inf values and escaped label values survive backfill and parsing', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const res = await adapter.query('warroom_special_values', new Date(MIDDLE));
    const byKind = new Map(res.map((s) => [s.metric['kind'], s]));
    expect(byKind.get('nan')?.values[0]?.[1]).toBeNaN();
    expect(byKind.get('inf')?.values[0]?.[1]).toBe(Number.POSITIVE_INFINITY);
    expect(byKind.get('nan')?.metric['note']).toBe(TRICKY);
    const neg = await adapter.query('-warroom_special_values{kind="inf"}', new Date(MIDDLE));
    expect(neg[0]?.values[0]?.[1]).toBe(Number.NEGATIVE_INFINITY);
  });

  it('sends long PromQL in a form-encoded POST body', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    // ~30 KB of PromQL: 400 alternatives, only the real pods match.
    const alternatives = Array.from({ length: 400 }, (_, i) => `container_memory_working_set_bytes{pod="api-${i}", namespace="default"}`);
    const res = await adapter.query(`count(${alternatives.join(' or ')})`, new Date(MIDDLE));
    expect(alternatives.join(' or ').length).toBeGreaterThan(25_000);
    expect(res[0]?.values[0]?.[1]).toBe(4);
  });

  it('invalid PromQL is a bad_request carrying the parser message', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const err = await rejection(adapter.query('sum(rate(container_cpu_usage_seconds_total[2m])', new Date(MIDDLE)));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/parse error/);
    expect(err.retryable).toBe(false);
  });

  it('a query Prometheus cannot execute (too many points) is a bad_request', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const err = await rejection(adapter.queryRange('vector(1)', new Date(START), new Date(END), 0.1));
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/resolution/);
  });

  it('a string result is refused as bad_request', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const err = await rejection(adapter.query('"hello"', new Date(MIDDLE)));
    expect(err.code).toBe('bad_request');
  });

  it('an aborted signal cancels the request', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(adapter.query('vector(1)', new Date(MIDDLE), controller.signal));
    expect(err.code).toBe('timeout');
    const reason = new AppError('timeout', 'diagnosis deadline');
    const err2 = await rejection(adapter.query('vector(1)', new Date(MIDDLE), AbortSignal.abort(reason)));
    expect(err2).toBe(reason);
  });

  it('graphLink opens the graph page on the queried window', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: `${prom.url}/` });
    const promql = 'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="default"}[2m]))';
    const link = adapter.graphLink(promql, new Date(Date.UTC(2026, 0, 2, 1, 30, 0)), new Date(Date.UTC(2026, 0, 2, 3, 45, 10)));
    expect(link.startsWith(`${prom.url}/graph?`)).toBe(true);
    const params = new URL(link).searchParams;
    expect(params.get('g0.expr')).toBe(promql);
    expect(params.get('g0.tab')).toBe('0');
    expect(params.get('g0.range_input')).toBe('2h15m10s');
    expect(params.get('g0.end_input')).toBe('2026-01-02 03:45:10');
    expect(link).not.toContain(' ');
    const page = await fetch(link);
    expect(page.status).toBe(200);
  });
});

describe('Prometheus adapter without a server', () => {
  it('an unreachable server is unavailable (retryable)', async () => {
    const port = await freePort();
    const adapter = createPrometheusAdapter({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
    const err = await rejection(adapter.queryRange('up', new Date(Date.now() - 60_000), new Date(), 15));
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
  });

  it('a bad base URL is a config error', () => {
    expect(() => createPrometheusAdapter({ baseUrl: 'not a url' })).toThrow(/invalid prometheus base URL/);
  });
});
