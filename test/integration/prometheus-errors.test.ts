/**
 * How the Prometheus adapter talks HTTP and maps failures, against a local server that answers the
 * way Prometheus (or a proxy in front of it) does when things go wrong. Real Prometheus cases
 * (parse errors, unreachable) are in prometheus.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createPrometheusAdapter } from '../../src/integrations/prometheus/adapter.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = { status: number; body: string; contentType?: string; delayMs?: number };

let server: http.Server;
let baseUrl: string;
const seen: Seen[] = [];
let reply: Reply = { status: 200, body: '{}' };
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const r = reply;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(r.status, { 'Content-Type': r.contentType ?? 'application/json' });
        res.end(r.body);
      };
      if (r.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, r.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw new Error(`expected an AppError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

const AT = new Date('2026-03-01T12:00:00.250Z');

describe('Prometheus adapter HTTP behaviour', () => {
  it('POSTs form-encoded query, time and timeout under the base URL path, with credentials as Basic auth', async () => {
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { pod: 'a' }, value: [1772366400.25, '0.5'] }] } }) };
    seen.length = 0;
    const url = new URL(baseUrl);
    const adapter = createPrometheusAdapter({ baseUrl: `http://am%20user:p%40ss@${url.host}/prom/`, timeoutMs: 5_000 });
    const promql = 'sum by (pod) (rate(x{a="b & c"}[5m]))';
    const res = await adapter.query(promql, AT);
    expect(res).toEqual([{ metric: { pod: 'a' }, values: [[1772366400.25, 0.5]] }]);
    const req = seen[0];
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/prom/api/v1/query');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('am user:p@ss').toString('base64')}`);
    const form = new URLSearchParams(req?.body);
    expect(form.get('query')).toBe(promql);
    expect(form.get('time')).toBe('1772366400.25');
    expect(form.get('timeout')).toBe('4s');
  });

  it('query_range sends start, end and step', async () => {
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1'], [2, '-Inf'], [3, '1e-7']] }] } }) };
    seen.length = 0;
    const adapter = createPrometheusAdapter({ baseUrl });
    const res = await adapter.queryRange('up', new Date(1_000), new Date(61_000), 15);
    expect(res).toEqual([{ metric: {}, values: [[1, 1], [2, Number.NEGATIVE_INFINITY], [3, 1e-7]] }]);
    const form = new URLSearchParams(seen[0]?.body);
    expect(seen[0]?.url).toBe('/api/v1/query_range');
    expect([form.get('start'), form.get('end'), form.get('step')]).toEqual(['1', '61', '15']);
  });

  it('refuses a non-positive step or an inverted range without calling Prometheus', async () => {
    seen.length = 0;
    const adapter = createPrometheusAdapter({ baseUrl });
    expect((await rejection(adapter.queryRange('up', new Date(0), new Date(1000), 0))).code).toBe('bad_request');
    expect((await rejection(adapter.queryRange('up', new Date(5000), new Date(1000), 1))).code).toBe('bad_request');
    expect(seen).toHaveLength(0);
  });

  const cases: { name: string; reply: Reply; code: string; message?: RegExp }[] = [
    { name: '400 bad_data', reply: { status: 400, body: '{"status":"error","errorType":"bad_data","error":"1:5: parse error"}' }, code: 'bad_request', message: /parse error/ },
    { name: '422 execution', reply: { status: 422, body: '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}' }, code: 'bad_request', message: /many-to-many/ },
    { name: '503 timeout', reply: { status: 503, body: '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}' }, code: 'unavailable', message: /timed out/ },
    { name: '503 unavailable', reply: { status: 503, body: '{"status":"error","errorType":"unavailable","error":"TSDB not ready"}' }, code: 'unavailable' },
    { name: '429 from a proxy', reply: { status: 429, body: 'slow down', contentType: 'text/plain' }, code: 'throttled' },
    { name: '502 HTML from a proxy', reply: { status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' }, code: 'unavailable', message: /502/ },
    { name: '401', reply: { status: 401, body: 'Unauthorized', contentType: 'text/plain' }, code: 'unauthorized' },
    { name: '404 (wrong base URL)', reply: { status: 404, body: '404 page not found', contentType: 'text/plain' }, code: 'not_found' },
    { name: '200 with a body that is not the API shape', reply: { status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"abc"]]}]}}' }, code: 'internal' },
    { name: '200 with HTML', reply: { status: 200, body: '<html>login</html>', contentType: 'text/html' }, code: 'internal' },
  ];
  for (const c of cases) {
    it(`maps ${c.name} to ${c.code}`, async () => {
      reply = c.reply;
      const adapter = createPrometheusAdapter({ baseUrl });
      const err = await rejection(adapter.query('up', AT));
      expect(err.code).toBe(c.code);
      if (c.message) expect(err.message).toMatch(c.message);
    });
  }

  it('a server slower than timeoutMs is unavailable', async () => {
    reply = { status: 200, body: '{}', delayMs: 120_000 };
    const adapter = createPrometheusAdapter({ baseUrl, timeoutMs: 300 });
    const err = await rejection(adapter.query('up', AT));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/300 ms/);
  });

  it('aborting mid-request rejects with the caller reason (the server would take far longer than the test timeout)', async () => {
    reply = { status: 200, body: '{}', delayMs: 120_000 };
    const adapter = createPrometheusAdapter({ baseUrl, timeoutMs: 10_000 });
    const controller = new AbortController();
    const reason = new AppError('timeout', 'diagnosis deadline passed');
    const pending = adapter.query('up', AT, controller.signal);
    setTimeout(() => controller.abort(reason), 100);
    const err = await rejection(pending);
    expect(err).toBe(reason);
  });
});
