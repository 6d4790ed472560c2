/**
 * Typed error codes (Bolt's CodedError pattern). One error sink per runtime maps these to
 * HTTP statuses, ephemeral Slack messages, or BullMQ retry decisions.
 */
export type ErrorCode =
  | 'bad_request' // malformed or invalid input: 400, never retried
  | 'unauthorized' // bad credentials / signature: 401
  | 'forbidden' // authenticated but not allowed (policy, RBAC, topic allow-list): 403
  | 'not_found' // 404
  | 'payload_too_large' // 413
  | 'conflict' // optimistic concurrency lost (409): retry with fresh state
  | 'stale' // a proposal no longer matches the object's state
  | 'unavailable' // a dependency is down (Redis, Slack 5xx): 503, retried
  | 'throttled' // rate-limited by a dependency: retried with backoff
  | 'timeout' // a deadline passed
  | 'config' // invalid configuration
  | 'internal';

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['unavailable', 'throttled', 'timeout', 'conflict']);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Whether an error is worth retrying (transient): AppError by code, anything unknown counts as transient. */
export function isRetryable(e: unknown): boolean {
  return isAppError(e) ? e.retryable : true;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  conflict: 409,
  stale: 409,
  unavailable: 503,
  throttled: 503,
  timeout: 504,
  config: 500,
  internal: 500,
};
