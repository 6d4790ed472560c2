/**
 * The HTTP edge: one node:http server for the webhooks, health, metrics, the incident documents and
 * (in HTTP mode) Bolt's /slack/events listener. Handlers parse, authorise, enqueue and answer; nothing
 * slow happens on the request path.
 *
 * Request input never takes the process down: the listener is one error boundary (a malformed target
 * or a bad percent-encoding answers 400), credentials are judged from the headers before a body is
 * read, bodies are bounded one by one and in total, and sockets that stall are closed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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
  /**
   * Judged from the headers alone, before any body byte is read: a refusal (401, 403, 400) is sent at
   * once and the body is never buffered. Undefined: go on.
   */
  precheck?: (headers: IncomingMessage['headers']) => HttpResponse | undefined;
  handler: RouteHandler;
}

export interface HttpLimits {
  /** Largest body of one request (413 above). */
  bodyLimitBytes: number;
  /** Bytes of request bodies buffered at once, all requests together (503 above: retry later). */
  inflightBodyBytes: number;
  /** Time to receive a request's headers; also how long any socket may stay silent before it is closed. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are dropped (logged). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  bodyLimitBytes: 1_048_576,
  inflightBodyBytes: 32 * 1_048_576,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
};

export interface HttpServerOptions {
  routes: Route[];
  limits?: Partial<HttpLimits>;
  logger: Logger;
  /** Bolt's request listener for /slack/events (HTTP mode). */
  slackListener?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Checked before the Slack listener sees the request (headers only). */
  slackPrecheck?: (headers: IncomingMessage['headers']) => HttpResponse | undefined;
  slackPath?: string;
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

function compile(path: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const re = new RegExp(
    `^${path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          const m = /^:([A-Za-z]+)(.*)$/.exec(seg);
          names.push(m?.[1] ?? seg.slice(1));
          return `([^/]+)${(m?.[2] ?? '').replace(ESCAPE, '\\$&')}`;
        }
        return seg.replace(ESCAPE, '\\$&');
      })
      .join('/')}$`,
  );
  return { re, names };
}

/**
 * The request target as path and query, or undefined when it does not parse (absolute form that is not
 * a URL, such as `http://[::1/`). Only origin-form paths are routed; the host of an absolute form is ignored.
 */
export function parseTarget(raw: string | undefined): { pathname: string; query: URLSearchParams } | undefined {
  try {
    const url = new URL(raw ?? '/', 'http://localhost');
    return { pathname: url.pathname, query: url.searchParams };
  } catch {
    return undefined;
  }
}

/** decodeURIComponent that answers undefined instead of throwing on a malformed escape (`%ZZ`). */
export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Counts the bytes of bodies being buffered by every request, against one budget. */
export interface BodyBudget {
  take(n: number): boolean;
  give(n: number): void;
  readonly used: number;
}

export function bodyBudget(limit: number): BodyBudget {
  let used = 0;
  return {
    take: (n) => {
      if (used + n > limit) return false;
      used += n;
      return true;
    },
    give: (n) => {
      used = Math.max(0, used - n);
    },
    get used() {
      return used;
    },
  };
}

export function readBody(req: IncomingMessage, limit: number, budget?: BodyBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(new AppError('payload_too_large', `body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      budget?.give(size);
      fn();
    };
    req.on('data', (c: Buffer) => {
      if (settled) return;
      if (size + c.length > limit) {
        finish(() => reject(new AppError('payload_too_large', `body exceeds the limit of ${limit} bytes`)));
        req.resume();
        return;
      }
      if (budget && !budget.take(c.length)) {
        finish(() => reject(new AppError('unavailable', 'too many request bodies in flight; retry later')));
        req.resume();
        return;
      }
      size += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      finish(() => resolve(body));
    });
    req.on('error', (e) => finish(() => reject(e)));
    req.on('close', () => finish(() => reject(new AppError('bad_request', 'the client closed the connection before the body was complete'))));
  });
}

function send(res: ServerResponse, r: HttpResponse): void {
  if (res.headersSent || res.destroyed) return;
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
  if (isAppError(e)) return { status: HTTP_STATUS[e.code], body: { error: e.code, message: e.message }, ...(e.code === 'unavailable' || e.code === 'throttled' ? { headers: { 'retry-after': '5' } } : {}) };
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

const BAD_TARGET: HttpResponse = { status: 400, body: { error: 'bad_request', message: 'malformed request target' } };

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stop accepting; resolves when open connections have ended (or after the deadline). */
  close(deadlineMs?: number): Promise<void>;
}

export function createHttpServer(opts: HttpServerOptions): http.Server {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const budget = bodyBudget(limits.inflightBodyBytes);
  const compiled = opts.routes.map((r) => ({ ...r, ...compile(r.path) }));
  const slackPath = opts.slackPath ?? '/slack/events';
  const log = opts.logger;

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const target = parseTarget(req.url);
    if (!target) {
      send(res, BAD_TARGET);
      return;
    }
    const { pathname, query } = target;
    const method = req.method ?? 'GET';
    if (opts.slackListener && pathname === slackPath) {
      const refused = opts.slackPrecheck?.(req.headers);
      if (refused) {
        req.resume();
        send(res, refused);
        return;
      }
      opts.slackListener(req, res);
      return;
    }
    let matched = false;
    for (const r of compiled) {
      const m = r.re.exec(pathname);
      if (!m) continue;
      matched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [i, n] of r.names.entries()) {
        const v = safeDecode(m[i + 1] ?? '');
        if (v === undefined) {
          send(res, BAD_TARGET);
          return;
        }
        params[n] = v;
      }
      const refused = r.precheck?.(req.headers);
      if (refused) {
        // The body is never buffered: drain what arrives so the answer can be read, then close.
        req.resume();
        send(res, { ...refused, headers: { ...refused.headers, connection: 'close' } });
        return;
      }
      void (async () => {
        try {
          const body = method === 'POST' ? await readBody(req, limits.bodyLimitBytes, budget) : Buffer.alloc(0);
          send(res, await r.handler({ method, path: pathname, query, headers: req.headers, params, body }));
        } catch (e) {
          if (!isAppError(e)) log.error({ err: e, path: pathname }, 'unhandled error in route');
          send(res, errorResponse(e));
        }
      })();
      return;
    }
    send(res, matched ? { status: 405, body: { error: 'method_not_allowed' } } : { status: 404, body: { error: 'not_found' } });
  };

  const server = http.createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs) },
    (req, res) => {
      // One error boundary for everything request input can reach synchronously.
      try {
        route(req, res);
      } catch (e) {
        log.error({ err: e }, 'request listener threw; answered 500');
        try {
          send(res, errorResponse(e));
        } catch {
          res.destroy();
        }
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  // Node's headers timeout starts at a request's first byte: a socket that never sends one would stay
  // open forever. Any socket silent for as long as the headers may take is closed.
  server.setTimeout(limits.headersTimeoutMs, (socket) => socket.destroy());
  let dropsLogged = 0;
  server.on('drop', (d?: { remoteAddress?: string }) => {
    // Logged with a budget: a flood of drops must not become a flood of log lines.
    dropsLogged += 1;
    if (dropsLogged <= 10 || dropsLogged % 1000 === 0) log.warn({ maxConnections: limits.maxConnections, drops: dropsLogged, remote: d?.remoteAddress }, 'connection cap reached; dropping new connections');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed request lines, header overflows and header/request timeouts: answer 400/408 when the
    // socket can still take it, and close. Never an exception.
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const text = status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}

export async function listen(server: http.Server, port: number, host: string): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
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
