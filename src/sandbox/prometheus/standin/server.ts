/**
 * The stand-in as an HTTP server on loopback, with the same start/stop interface as the real
 * binary (../process.ts): the demo and tests use it where `prometheus` is not installed.
 * `/graph` (the page the findings' evidence links open) is a plain page with the expression, its
 * window and a link to the same query on the JSON API: there is no Prometheus web UI here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../../errors.js';
import type { BackfillSeries } from '../openmetrics.js';
import { handleApiRequest, type ApiResponse } from './api.js';
import { SeriesStore } from './storage.js';

export interface StandinOptions {
  series?: BackfillSeries[];
  /** Fixed port (default: a free one). Always bound on 127.0.0.1. */
  port?: number;
  /** Server time for queries without `time` (default: the real clock). */
  now?: () => number;
}

export interface StandinServer {
  kind: 'standin';
  url: string;
  port: number;
  /** The requests answered with an error so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Go's ParseForm caps a form body at 10 MB. */
const MAX_BODY = 10 << 20;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function graphPage(params: URLSearchParams): ApiResponse {
  const expr = params.get('g0.expr') ?? '';
  const range = params.get('g0.range_input') ?? '1h';
  const end = params.get('g0.end_input') ?? '';
  const api = new URLSearchParams({ query: expr, ...(end ? { time: `${end.replace(' ', 'T')}Z` } : {}) });
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Prometheus stand-in</title></head><body>
<h1>Sandbox Prometheus (stand-in)</h1>
<p>The sandbox answers the Prometheus HTTP API from the scenario's series; it has no graph UI. Install the real Prometheus (<code>apt-get install prometheus</code>) for one.</p>
<p>Expression: <code>${escapeHtml(expr)}</code></p>
<p>Window: ${escapeHtml(range)} ending ${escapeHtml(end || 'now')} (UTC)</p>
<p><a href="/api/v1/query?${escapeHtml(api.toString())}">The expression at the end of the window (JSON)</a></p>
</body></html>
`;
  return { status: 200, contentType: 'text/html; charset=utf-8', body };
}

export async function startPrometheusStandin(opts: StandinOptions = {}): Promise<StandinServer> {
  const store = new SeriesStore(opts.series ?? []);
  const now = opts.now ?? Date.now;
  let log = '';
  const note = (line: string) => {
    log += `${line}\n`;
    if (log.length > 200_000) log = log.slice(-100_000);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let out: ApiResponse;
      if (tooLarge) {
        out = { status: 400, contentType: 'application/json', body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'error parsing form values: http: POST too large' }) };
      } else if (url.pathname === '/graph' && req.method === 'GET') {
        out = graphPage(url.searchParams);
      } else {
        const form = new Map<string, string[]>();
        const add = (params: URLSearchParams) => {
          for (const [k, v] of params) form.set(k, [...(form.get(k) ?? []), v]);
        };
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
        if (req.method === 'POST' && type === 'application/x-www-form-urlencoded') add(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        add(url.searchParams);
        out = handleApiRequest(store, { method: req.method ?? 'GET', path: url.pathname, form, now: now() });
      }
      if (out.status >= 400) note(`${req.method ?? '?'} ${url.pathname} ${out.status} ${out.body.slice(0, 500)}`);
      res.writeHead(out.status, { 'Content-Type': out.contentType, ...out.headers });
      res.end(out.body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new AppError('unavailable', `the Prometheus stand-in could not listen: ${e.message}`, { cause: e })));
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    kind: 'standin',
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => log,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
