/**
 * The Prometheus stand-in on its own (no binary needed): what it refuses and how, its health
 * endpoints, methods and paths, GET and form POST, and the selection between it and the binary
 * (WARROOM_SANDBOX_PROMETHEUS). Its answers are held equal to the real Prometheus's in
 * prometheus-standin-contract.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createPrometheusAdapter } from '../../src/integrations/prometheus/adapter.js';
import { prometheusMode, resolvePrometheusKind, startPrometheusStandin, startSandboxPrometheus, type BackfillSeries, type PrometheusServer } from '../../src/sandbox/prometheus/index.js';
import { tmpDir } from '../support/procs.js';

const T0 = Date.UTC(2026, 0, 1);
const series: BackfillSeries[] = [
  { metric: 'http_requests', type: 'counter', labels: { pod: 'a' }, samples: Array.from({ length: 41 }, (_, i) => [T0 + i * 15_000, i * 30] as [number, number]) },
  { metric: 'temperature', type: 'gauge', labels: { room: 'lab' }, samples: [[T0, 21.5]] },
];

async function post(url: string, body: Record<string, string>): Promise<{ status: number; json: { status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown } } }> {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(body) });
  return { status: res.status, json: (await res.json()) as never };
}

describe('the Prometheus stand-in', () => {
  let prom: PrometheusServer;
  beforeAll(async () => {
    prom = await startPrometheusStandin({ series });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it('answers instant and range queries through the adapter the checks use', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const at = new Date(T0 + 10 * 60_000);
    // The counter was given without _total: it is stored, as promtool stores it, under http_requests_total.
    const rate = await adapter.query('rate(http_requests_total[2m])', at);
    expect(rate).toEqual([{ metric: { pod: 'a' }, values: [[at.getTime() / 1000, 2]] }]);
    const range = await adapter.queryRange('sum by (pod) (rate(http_requests_total[2m]))', new Date(T0 + 2 * 60_000), new Date(T0 + 5 * 60_000), 60);
    expect(range[0]?.values.map(([t, v]) => [t - T0 / 1000, v])).toEqual([
      [120, 2],
      [180, 2],
      [240, 2],
      [300, 2],
    ]);
  });

  it('refuses what it does not evaluate with bad_data naming the construct, never a silent answer', async () => {
    const cases: [string, RegExp][] = [
      ['max_over_time(http_requests_total[5m:1m])', /a subquery/],
      ['http_requests_total @ 1767225600', /the @ modifier/],
      ['topk(1, http_requests_total)', /the aggregation topk/],
      ['histogram_quantile(0.9, http_requests_total)', /the function histogram_quantile\(\)/],
      ['label_replace(http_requests_total, "x", "$1", "pod", "(.*)")', /the function label_replace\(\)/],
      ['http_requests_total offset -1m', /negative offset/],
      ['{"http_requests_total"}', /quoted/],
      ['http_requests_total{pod=~"[[:alpha:]]+"}', /POSIX character classes/],
      ['http_requests_total{pod=~"\\\\pL+"}', /the escape \\p/],
      ['http_requests_total{pod=~"(?s)a.b"}', /the group \(\?s\)/],
      ['http_requests_total{pod=~"a{"}', /JavaScript cannot read the same way/],
    ];
    for (const [query, message] of cases) {
      const r = await post(`${prom.url}/api/v1/query`, { query, time: String(T0 / 1000 + 600) });
      expect(r.status, query).toBe(400);
      expect(r.json.errorType, query).toBe('bad_data');
      expect(r.json.error, query).toMatch(message);
      expect(r.json.error, query).toContain('apt-get install prometheus');
    }
    // Through the adapter: a bad_request, not retried.
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    await expect(adapter.query('topk(1, http_requests_total)', new Date(T0))).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('takes parameters from the URL and the form body (the body wins), GET and POST', async () => {
    const time = String(T0 / 1000 + 60);
    const get = await fetch(`${prom.url}/api/v1/query?query=temperature&time=${time}`);
    expect(await get.json()).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'temperature', room: 'lab' }, value: [T0 / 1000 + 60, '21.5'] }] } });
    const both = await fetch(`${prom.url}/api/v1/query?query=nothing_here&time=${time}`, { method: 'POST', body: new URLSearchParams({ query: 'temperature' }) });
    expect(((await both.json()) as { data: { result: unknown[] } }).data.result).toHaveLength(1);
  });

  it('serves /-/ready and /-/healthy, 404 for unknown paths and 405 for other methods', async () => {
    const ready = await fetch(`${prom.url}/-/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('Prometheus Server is Ready.\n');
    expect((await fetch(`${prom.url}/-/healthy`)).status).toBe(200);
    const missing = await fetch(`${prom.url}/api/v1/nothing`);
    expect(missing.status).toBe(404);
    const put = await fetch(`${prom.url}/api/v1/query`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, OPTIONS, POST');
  });

  it('opens the evidence links (graphLink) on a page naming the expression, escaped', async () => {
    const adapter = createPrometheusAdapter({ baseUrl: prom.url });
    const link = adapter.graphLink('rate(x{a="<b>"}[2m])', new Date(T0), new Date(T0 + 3_600_000));
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('rate(x{a=&#34;&#60;b&#62;&#34;}[2m])');
    expect(html).not.toContain('<b>');
  });

  it('refuses a form body over 10 MB with bad_data and stays up', async () => {
    const r = await post(`${prom.url}/api/v1/query`, { query: 'x'.repeat(11 << 20) });
    expect(r.status).toBe(400);
    expect(r.json.errorType).toBe('bad_data');
    expect((await fetch(`${prom.url}/-/ready`)).status).toBe(200);
  });
});

describe('choosing the sandbox Prometheus (WARROOM_SANDBOX_PROMETHEUS)', () => {
  it('reads auto (default), binary or standin, and refuses anything else', () => {
    expect(prometheusMode({})).toBe('auto');
    expect(prometheusMode({ WARROOM_SANDBOX_PROMETHEUS: 'standin' })).toBe('standin');
    expect(() => prometheusMode({ WARROOM_SANDBOX_PROMETHEUS: 'real' })).toThrow(/expected one of auto, binary, standin/);
  });

  it('auto takes the stand-in where the binary is missing; binary then fails naming the package', async () => {
    const empty = tmpDir('no-prometheus');
    try {
      expect(resolvePrometheusKind('auto', empty.dir)).toBe('standin');
      expect(() => resolvePrometheusKind('binary', empty.dir)).toThrow(AppError);
      expect(() => resolvePrometheusKind('binary', empty.dir)).toThrow(/apt-get install prometheus/);
      const p = await startSandboxPrometheus({ series, mode: 'auto', binDir: empty.dir });
      try {
        expect(p.kind).toBe('standin');
        expect((await fetch(`${p.url}/-/ready`)).status).toBe(200);
      } finally {
        await p.stop();
      }
    } finally {
      empty.cleanup();
    }
  });

  it('standin is used even where the binary is installed', async () => {
    const p = await startSandboxPrometheus({ series, mode: 'standin' });
    try {
      expect(p.kind).toBe('standin');
    } finally {
      await p.stop();
    }
  });
});
