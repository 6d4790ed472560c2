/**
 * Client plumbing for the Kubernetes adapter on @kubernetes/client-node 1.4: loading a kubeconfig,
 * one call wrapper (deadline, caller's AbortSignal, Content-Type), API errors to AppError, and the
 * conversion of the client's typed models back to the plain JSON the API server sent.
 *
 * AbortSignal: client-node 1.4 has no per-call signal parameter, but its RequestContext has
 * setSignal(); a request middleware hands the caller's signal to node-fetch. The call is also raced
 * against the signal, so a caller is released even while the client is still authenticating.
 */
import * as k8s from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../errors.js';
import { isRecord, type JsonObject } from './json.js';
import { StatusSchema, type K8sStatus } from './schemas.js';

// ---------------------------------------------------------------------------------------------
// KubeConfig

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; otherwise KUBECONFIG, then ~/.kube/config, then in-cluster. */
  kubeconfigPath?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token). */
  inCluster?: boolean;
  context?: string;
}

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    if (opts.inCluster) {
      if (!env['KUBERNETES_SERVICE_HOST'] || !env['KUBERNETES_SERVICE_PORT']) {
        throw new AppError('config', 'in-cluster Kubernetes config requested but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not running in a pod?)');
      }
      kc.loadFromCluster();
    } else if (opts.kubeconfigPath) {
      kc.loadFromFile(opts.kubeconfigPath);
    } else {
      kc.loadFromDefault();
    }
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('config', `cannot load the Kubernetes config: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!kc.getCurrentCluster()) throw new AppError('config', `the Kubernetes config has no cluster for context "${kc.getCurrentContext()}"`);
  return kc;
}

// ---------------------------------------------------------------------------------------------
// Errors

const CODE_BY_STATUS: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 410: 'conflict', 413: 'payload_too_large', 422: 'bad_request', 429: 'throttled', 504: 'timeout' };

export interface K8sErrorDetails {
  httpStatus?: number;
  reason?: string;
  /** Status.details: name, group, kind, causes. */
  status?: K8sStatus['details'];
  retryAfterSeconds?: number;
  operation: string;
  /** A 404 for the path itself (group/version/resource not served), not for an object. */
  notServed?: boolean;
}

function parseStatus(body: unknown): K8sStatus | undefined {
  let v = body;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const r = StatusSchema.safeParse(v);
  return r.success ? r.data : undefined;
}

/** Maps a client error to AppError: 404 not_found, 403 forbidden, 409 conflict, 422 bad_request, 429 throttled, 5xx/network unavailable. */
export function toAppError(e: unknown, operation: string, signal?: AbortSignal): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof k8s.ApiException) {
    const ex = e as k8s.ApiException<unknown>;
    const status = parseStatus(ex.body);
    const code: ErrorCode = CODE_BY_STATUS[ex.code] ?? (ex.code >= 500 ? 'unavailable' : 'internal');
    const retryAfter = Number.parseInt(ex.headers?.['retry-after'] ?? '', 10);
    const details: K8sErrorDetails = { httpStatus: ex.code, operation };
    if (status?.reason !== undefined) details.reason = status.reason;
    if (status?.details !== undefined) details.status = status.details;
    if (Number.isFinite(retryAfter)) details.retryAfterSeconds = retryAfter;
    if (ex.code === 404 && status?.details?.name === undefined) details.notServed = true;
    const message = status?.message ?? (typeof ex.body === 'string' && ex.body.length > 0 && ex.body.length < 300 ? ex.body : `HTTP ${ex.code} from the Kubernetes API (${operation})`);
    return new AppError(code, message, { cause: e, details });
  }
  const name = e instanceof Error ? e.name : '';
  if (name === 'AbortError' || signal?.aborted) {
    const reason: unknown = signal?.reason;
    const why = reason instanceof Error ? reason.message : 'aborted';
    return new AppError('timeout', `Kubernetes API ${operation}: ${why}`, { cause: e, details: { operation } });
  }
  return new AppError('unavailable', `Kubernetes API ${operation}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, details: { operation } });
}

function errorDetails(e: unknown): K8sErrorDetails | undefined {
  return e instanceof AppError ? (e.details as K8sErrorDetails | undefined) : undefined;
}

/** A 404 for a path the server does not serve (an API version missing), not for a missing object. */
export function isNotServed(e: unknown): boolean {
  return e instanceof AppError && e.code === 'not_found' && errorDetails(e)?.notServed === true;
}

// ---------------------------------------------------------------------------------------------
// Calls

function signalMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return of(ctx);
    },
    post: (rsp) => of(rsp),
  };
}

export type Call = <T>(operation: string, fn: (o: ConfigurationOptions) => Promise<T>, signal?: AbortSignal, contentType?: string) => Promise<T>;

/** One request: bounded by `timeoutMs` and the caller's signal; errors become AppError. */
export function createCall(timeoutMs: number): Call {
  return async function call<T>(operation: string, fn: (o: ConfigurationOptions) => Promise<T>, signal?: AbortSignal, contentType?: string): Promise<T> {
    const effective = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    if (effective.aborted) throw toAppError(new Error('aborted before the request'), operation, effective);
    let options: ConfigurationOptions = { middleware: [signalMiddleware(effective)], middlewareMergeStrategy: 'append' };
    if (contentType) options = k8s.setHeaderOptions('Content-Type', contentType, options);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(toAppError(new Error('aborted'), operation, effective));
      effective.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(options), aborted]);
    } catch (e) {
      throw toAppError(e, operation, effective);
    } finally {
      if (onAbort) effective.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  };
}

/** A read that may find nothing: a missing object is undefined; an unserved path still throws. */
export async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof AppError && e.code === 'not_found' && !isNotServed(e)) return undefined;
    throw e;
  }
}

/**
 * A write pinned to a resourceVersion. A 409 (merge patches) means the object moved on. A failed
 * JSON Patch `test` answers 422 with a generic message that does not say which operation failed,
 * so on a 422 the object is read again: a different resourceVersion is the same stale case. Both
 * become AppError 'conflict' with details.stale=true (a pinned proposal went stale); any other 422
 * stays 'bad_request'.
 */
export async function pinnedWrite<T>(
  operation: string,
  write: () => Promise<T>,
  expectResourceVersion: string | undefined,
  currentResourceVersion?: () => Promise<string | undefined>,
): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (expectResourceVersion !== undefined && e instanceof AppError) {
      const d = errorDetails(e);
      let stale = d?.httpStatus === 409;
      let now: string | undefined;
      if (!stale && d?.httpStatus === 422 && currentResourceVersion) {
        now = await currentResourceVersion().catch(() => undefined);
        stale = now !== undefined && now !== expectResourceVersion;
      }
      if (stale) {
        const message = now !== undefined ? `${operation}: the object changed since the proposal (resourceVersion ${expectResourceVersion}, now ${now})` : `${operation}: ${e.message}`;
        throw new AppError('conflict', message, { cause: e, details: { ...d, stale: true, expectedResourceVersion: expectResourceVersion } });
      }
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Typed models back to plain JSON

export function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isRecord(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/** metav1.Time as the API server writes it: RFC 3339, fractional seconds only when present. */
function k8sTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** Dates to RFC 3339 strings before serializing (the serializer passes strings through). */
function datesToStrings(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : k8sTime(v);
  if (Array.isArray(v)) return v.map(datesToStrings);
  if (typeof v === 'object' && v !== null) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = datesToStrings(x);
    return out;
  }
  return v;
}

/**
 * A client model as plain JSON (Dates as RFC 3339 strings, no nulls). Only for reads mapped to the
 * port's shapes: a field the model does not know is already gone here (see `raw`).
 */
export function plain(model: unknown, type: string): JsonObject {
  const serialized: unknown = ObjectSerializer.serialize(datesToStrings(model), type, '');
  const out = stripNulls(JSON.parse(JSON.stringify(serialized ?? {})));
  return isRecord(out) ? out : {};
}

/** A body the client passed through untyped (CustomObjectsApi: the server's JSON as sent). */
export function raw(body: unknown, what: string): JsonObject {
  if (!isRecord(body)) throw new AppError('internal', `unexpected ${what} from the Kubernetes API: not a JSON object`);
  return body;
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('internal', `unexpected ${what} from the Kubernetes API: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
