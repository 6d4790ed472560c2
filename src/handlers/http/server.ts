/**
 * The HTTP edge: one node:http server for the webhooks, health, metrics, the incident documents and
 * (in HTTP mode) Bolt's /slack/events listener. Handlers parse, authorise, enqueue and answer; nothing
 * slow happens on the request path.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { AppError, HTTP_STATUS, isAppError } from '../../errors.js';
import type { Logger } from '../../workflows/ports.js';

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  /** Raw body (read with the size limit) for POST routes that asked for it. */
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: HttpRequest) => Promise<HttpResponse>;

export interface Route {
  method: 'GET' | 'POST';
  /** Literal path, or with :params (e.g. /incidents/:id/postmortem.md). */
  path: string;
  handler: RouteHandler;
}

export interface HttpServerOptions {
  routes: Route[];
  bodyLimitBytes: number;
  logger: Logger;
  /** Bolt's request listener for /slack/events (HTTP mode). */
  slackListener?: (req: IncomingMessage, res: ServerResponse) => void;
  slackPath?: string;
}

function compile(path: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const re = new RegExp(
    `^${path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          const m = /^:([A-Za-z]+)(.*)$/.exec(seg);
          names.push(m?.[1] ?? seg.slice(1));
          return `([^/]+)${(m?.[2] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/')}$`,
  );
  return { re, names };
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(new AppError('payload_too_large', `body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new AppError('payload_too_large', `body exceeds the limit of ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => !failed && resolve(Buffer.concat(chunks)));
    req.on('error', (e) => !failed && reject(e));
  });
}

function send(res: ServerResponse, r: HttpResponse): void {
  if (res.headersSent) return;
  const isText = typeof r.body === 'string' || Buffer.isBuffer(r.body);
  const payload = r.body === undefined ? '' : isText ? (r.body as string | Buffer) : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': r.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json'),
    'cache-control': 'no-store',
    ...r.headers,
  });
  res.end(payload);
}

export function errorResponse(e: unknown): HttpResponse {
  if (isAppError(e)) return { status: HTTP_STATUS[e.code], body: { error: e.code, message: e.message } };
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stop accepting; resolves when open connections have ended (or after the deadline). */
  close(deadlineMs?: number): Promise<void>;
}

export function createHttpServer(opts: HttpServerOptions): http.Server {
  const compiled = opts.routes.map((r) => ({ ...r, ...compile(r.path) }));
  const slackPath = opts.slackPath ?? '/slack/events';
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (opts.slackListener && url.pathname === slackPath) {
      opts.slackListener(req, res);
      return;
    }
    const method = req.method ?? 'GET';
    let matched = false;
    for (const r of compiled) {
      const m = r.re.exec(url.pathname);
      if (!m) continue;
      matched = true;
      if (r.method !== method) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
      void (async () => {
        try {
          const body = method === 'POST' ? await readBody(req, opts.bodyLimitBytes) : Buffer.alloc(0);
          send(res, await r.handler({ method, path: url.pathname, query: url.searchParams, headers: req.headers, params, body }));
        } catch (e) {
          if (!isAppError(e)) opts.logger.error({ err: e, path: url.pathname }, 'unhandled error in route');
          send(res, errorResponse(e));
        }
      })();
      return;
    }
    send(res, matched ? { status: 405, body: { error: 'method_not_allowed' } } : { status: 404, body: { error: 'not_found' } });
  });
}

export async function listen(server: http.Server, port: number, host: string): Promise<RunningServer> {
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    server,
    port: actual,
    close: (deadlineMs = 10_000) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          for (const s of sockets) s.destroy();
          resolve();
        }, deadlineMs);
        server.close(() => {
          clearTimeout(t);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
