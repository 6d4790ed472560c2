/**
 * A small JSON-over-HTTP helper shared by the Prometheus and Alertmanager adapters: one place that
 * turns transport failures, deadlines, aborts and HTTP statuses into AppError codes.
 *
 * Mapping (both servers):
 *   network error, own deadline, 502/503/504 and other 5xx -> unavailable (retried)
 *   429                                                     -> throttled
 *   400/422                                                 -> bad_request (server's message kept)
 *   401 / 403 / 404                                         -> unauthorized / forbidden / not_found
 *   caller's AbortSignal                                    -> its reason when that is an AppError, else timeout
 */
import { AppError, type ErrorCode } from '../../errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpCall {
  service: string;
  url: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Sent as is: a URLSearchParams body is form-encoded, a string is sent with `contentType`. */
  body?: URLSearchParams | string;
  contentType?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra headers (Authorization for a protected server). */
  headers?: Record<string, string>;
}

export interface HttpResult {
  status: number;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  text: string;
}

/** Joins a base URL (which may carry a path prefix such as /prometheus) and an absolute API path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

export function codeForStatus(status: number): ErrorCode {
  if (status === 429) return 'throttled';
  if (status === 400 || status === 422) return 'bad_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status >= 500) return 'unavailable';
  return 'bad_request';
}

/**
 * Performs the call and returns the status and body for every HTTP answer (the caller decides what
 * a non-2xx means); throws AppError only for transport failures, deadlines and aborts.
 */
export async function httpCall(fetchImpl: FetchLike, call: HttpCall): Promise<HttpResult> {
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
  const headers: Record<string, string> = { Accept: 'application/json', ...call.headers };
  if (call.body instanceof URLSearchParams) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  else if (call.body !== undefined) headers['Content-Type'] = call.contentType ?? 'application/json';
  let text: string;
  let status: number;
  try {
    const res = await fetchImpl(call.url, { method: call.method, headers, body: call.body?.toString(), signal });
    status = res.status;
    text = await res.text();
  } catch (e) {
    throw abortOrNetworkError(call, e);
  }
  let body: unknown = text;
  if (text.length > 0) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { status, body, text };
}

function abortOrNetworkError(call: HttpCall, e: unknown): AppError {
  if (call.signal?.aborted) {
    const reason: unknown = call.signal.reason;
    if (reason instanceof AppError) return reason;
    return new AppError('timeout', `${call.service} request aborted by the caller`, { cause: reason ?? e });
  }
  if (isAbortLike(e)) {
    return new AppError('unavailable', `${call.service} did not answer within ${call.timeoutMs} ms`, { cause: e, details: { url: redact(call.url) } });
  }
  return new AppError('unavailable', `${call.service} unreachable: ${describe(e)}`, { cause: e, details: { url: redact(call.url) } });
}

function isAbortLike(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause: unknown = e.cause;
    if (cause instanceof Error && cause.message) return `${e.message} (${cause.message})`;
    return e.message;
  }
  return String(e);
}

/**
 * Normalises a base URL: no trailing slash, and credentials written into it (http://user:pw@host)
 * moved to a Basic Authorization header, since fetch refuses URLs that carry credentials.
 */
export function parseBaseUrl(baseUrl: string, service: string): { base: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch (e) {
    throw new AppError('config', `invalid ${service} base URL: ${redact(baseUrl)}`, { cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError('config', `${service} base URL must be http(s): ${redact(baseUrl)}`);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers['Authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  u.search = '';
  u.hash = '';
  return { base: u.toString().replace(/\/+$/, ''), headers };
}

/** Drops credentials and the query string from a URL for logs and error details. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
