/**
 * One error classification, carried by the error itself (Bolt's CodedError pattern; DESIGN principle 6).
 *
 * An AppError says three things, decided where the error is raised:
 * - `code`: what kind of failure (maps to an HTTP status, see HTTP_STATUS);
 * - `retryable`: whether the same work may succeed later (jobs retry it; otherwise BullMQ's
 *   UnrecoverableError ends the job at once). Defaults from the code; an adapter overrides it for the
 *   upstream errors it knows (e.g. Slack `internal_error` is transient, `channel_not_found` is not);
 * - `userFacing`: whether its message may be shown to the person who clicked or typed (it says what
 *   they can fix). Otherwise they get a generic line and the error is logged.
 * `upstream` names the dependency's own error (`slack:channel_not_found`) for logs and metrics.
 *
 * Errors that are not AppErrors are **retryable and not user-facing**. An unclassified error is far
 * more often an I/O failure that escaped an adapter's wrapping (a reset socket, a DNS hiccup) than a
 * deterministic bug; retrying a bug costs a few bounded attempts of an idempotent job, while not
 * retrying a transient failure loses the work (a channel never opened). Its message is never shown:
 * it may carry internals. Every place that meets one logs it, so it can be classified where it arises.
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
/** Codes whose message tells a person what to change (their input, their rights, the object's state). */
const USER_FACING: ReadonlySet<ErrorCode> = new Set(['bad_request', 'not_found', 'forbidden', 'stale', 'conflict']);

export const GENERIC_USER_REPLY = 'Something went wrong on our side; the error was logged. Try again in a moment.';

export interface AppErrorOptions {
  cause?: unknown;
  details?: unknown;
  /** The dependency's own error, as `<service>:<error>` (e.g. `slack:internal_error`). */
  upstream?: string;
  /** Overrides the code's default (an adapter knows which upstream errors are transient). */
  retryable?: boolean;
  /** Overrides the code's default. */
  userFacing?: boolean;
  /**
   * For `throttled`: when the dependency will take the call (its Retry-After, or the budget's pace). A
   * job failing with it is delayed that long without spending an attempt (integrations/queue), never slept.
   */
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly upstream: string | undefined;
  readonly retryable: boolean;
  readonly userFacing: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.upstream = options.upstream;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.userFacing = options.userFacing ?? USER_FACING.has(code);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Whether an error is worth retrying: AppError as classified; anything unclassified counts as transient (see above). */
export function isRetryable(e: unknown): boolean {
  return isAppError(e) ? e.retryable : true;
}

/** How long to delay a job that failed with `e`: set only for a throttled error that says when to come back. */
export function retryAfterOf(e: unknown): number | undefined {
  return isAppError(e) && e.code === 'throttled' && e.retryAfterMs !== undefined ? Math.max(0, e.retryAfterMs) : undefined;
}

/** What the person who clicked or typed is told: the message of a user-facing error, else a generic line. */
export function toUserReply(e: unknown): string {
  return isAppError(e) && e.userFacing ? e.message : GENERIC_USER_REPLY;
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
