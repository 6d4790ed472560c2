/**
 * A job, defined once (DESIGN principle 15, Outline's tasks): its name, the queue it runs on, the zod
 * schema of its payload, its deterministic id, its options and what it runs. The registry
 * (jobs/index.ts) lists every job; the queue adapters derive their queues from it, and
 * `queue.enqueue(job, data)` is typed by the job's schema and checked by it, at enqueue and at run.
 */
import type { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Ports } from '../context.js';
import type { Logger } from '../ports.js';

/**
 * The queues and how many jobs of each run at once per worker process. Jobs wait on Redis, Slack and
 * the cluster, not the CPU: intake and incident jobs run wide, mitigations narrow.
 */
export const QUEUES = {
  ingest: { concurrency: 50 },
  incident: { concurrency: 50 },
  diagnose: { concurrency: 16 },
  mitigation: { concurrency: 4 },
} as const satisfies Record<string, { concurrency: number }>;
export type QueueName = keyof typeof QUEUES;

/**
 * Job priorities (BullMQ: 1 runs first), ordered by who waits for the work (DESIGN principle 14): a
 * person, then the record, then decoration. Opening an incident takes its severity's rank (SEV1 = 1 ...
 * SEV4 = 4), so a higher severity is never queued behind a lower one; card refreshes come last.
 * Jobs at `decoration` or later spend only the first half of Slack's burst (integrations/slack/budget.ts).
 */
export const PRIORITY = {
  /** Someone is waiting: their action's follow-up (execute, verify), a diagnosis's assessment. */
  person: 1,
  /** Opening an incident of severity rank n: channel, invite, first card. */
  open: (severityRank: number) => Math.max(1, Math.min(4, severityRank)),
  /** Messages that are part of the record: reopen, resolve, reminders, post-mortem. */
  record: 5,
  /** Findings. */
  findings: 6,
  /** Refreshing a card that already shows the incident. */
  decoration: 10,
  /** Housekeeping nobody waits for (archiving). */
  housekeeping: 20,
  /** The App Home tabs: after everything else of the incident queue. */
  home: 30,
} as const;

export interface JobOptions {
  /** Attempts before the job fails for good (default 5; a flow child 1). Non-retryable errors end it at once. */
  attempts?: number;
  /**
   * BullMQ priority: 1 runs first, larger numbers later, within the job's queue. A job without one is
   * taken before every prioritised job of its queue (BullMQ's rule), so give the jobs of one queue
   * priorities together.
   */
  priority?: number;
}

export interface JobContext {
  /** The job's id (deterministic: `job.id(data)`). */
  id: string;
  attemptsMade: number;
  attempts: number;
  /** How many times the job was taken up, this run included (a worker that died mid-run leaves it > attemptsMade + 1). */
  attemptsStarted?: number;
  signal?: AbortSignal;
}

export interface JobDef<T = unknown> {
  /** Unique; the name stored with the job in Redis. */
  readonly name: string;
  readonly queue: QueueName;
  /** The payload: ids only (DESIGN principle 7). Unknown fields are refused at enqueue and dropped at run. */
  readonly schema: z.ZodType<T>;
  /** Deterministic id: enqueueing the same id twice is a no-op (redelivery, double clicks, replicas). */
  id(data: T): string;
  readonly options: JobOptions;
  /** Runs with ports whose logger is bound to the job and its incident. */
  run(deps: Ports, data: T, ctx: JobContext): Promise<unknown>;
  /**
   * The queue gave the job up without running it: BullMQ fails a job that stalled more than its
   * worker's maxStalledCount (1: the process running it died twice, say during a crash recovery) and
   * none of `run` sees that. For a job that must not leave its work half-done (an execution left
   * "executing"), this runs then, one replica at a time until it has run to the end once
   * (runAbandoned), with last-attempt semantics (`attemptsMade` = `attempts` - 1: give up with the
   * reason rather than throw).
   */
  onAbandoned?(deps: Ports, data: T, ctx: JobContext): Promise<unknown>;
}

export function defineJob<T>(def: JobDef<T>): JobDef<T> {
  return def;
}

/** What one enqueue writes: the payload as the schema keeps it, the id, the queue and the options. */
export interface PreparedJob {
  name: string;
  queue: QueueName;
  id: string;
  data: Record<string, unknown>;
  options: JobOptions;
}

/** Validates a payload at enqueue. A field the schema would drop is a bug in the caller: refused, not lost. */
export function prepareJob<T>(job: JobDef<T>, data: T, override: JobOptions = {}): PreparedJob {
  const r = job.schema.safeParse(data);
  if (!r.success) throw new AppError('internal', `enqueue ${job.name}: invalid payload: ${r.error.message}`);
  const kept = r.data as Record<string, unknown>;
  const dropped = Object.keys(data as Record<string, unknown>).filter((k) => !(k in kept));
  if (dropped.length) throw new AppError('internal', `enqueue ${job.name}: ${dropped.join(', ')} not in the job's schema`);
  return { name: job.name, queue: job.queue, id: job.id(r.data), data: kept, options: { ...job.options, ...override } };
}

/** Validates a payload at run. A malformed payload never becomes valid: not retried. */
export function parsePayload<T>(job: JobDef<T>, raw: unknown): T {
  const r = job.schema.safeParse(raw);
  if (!r.success) throw new AppError('bad_request', `invalid ${job.name} job payload: ${r.error.message}`);
  return r.data;
}

/** The log bindings of a job: its id and name, and the incident, run and proposal it is about. */
export function jobBindings(name: string, ctx: JobContext, data: unknown): Record<string, unknown> {
  const d = (data ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof d[k] === 'string' ? { [k]: d[k] } : {});
  return { job: ctx.id, jobName: name, attempt: ctx.attemptsMade + 1, ...pick('incidentId'), ...pick('runId'), ...pick('proposalId') };
}

/** Runs one job: payload checked by its schema, ports with a logger bound to the job and its incident. */
export async function runJob<T>(job: JobDef<T>, ports: Ports, raw: unknown, ctx: JobContext): Promise<unknown> {
  const data = parsePayload(job, raw);
  const log: Logger = ports.log.child(jobBindings(job.name, ctx, data));
  return job.run({ ...ports, log }, data, ctx);
}

/** Done marks of abandoned jobs' recoveries are kept as long as BullMQ keeps failed jobs (7 days). */
export const ABANDONED_DONE_MS = 7 * 86_400_000;
/** One replica recovers an abandoned job at a time; a recovery that died with its process is taken up again after this. */
export const ABANDONED_LEASE_MS = 2 * 60_000;

/**
 * A job the queue gave up without running it (see JobDef.onAbandoned): its `onAbandoned` with
 * last-attempt semantics, until it has run to the end once (`key`: the job's id and when it was
 * added). A lease keeps two replicas from recovering it at once; the done mark is set after it
 * succeeded, so a recovery that failed or died is run again by the next look (the failed event, or the
 * worker set's sweep of failed jobs). False when the job has none, or it is done or being done.
 */
export async function runAbandoned<T>(job: JobDef<T>, ports: Ports, raw: unknown, ctx: JobContext, key: string): Promise<boolean> {
  if (!job.onAbandoned) return false;
  const name = `abandoned-${job.name}-${key}`;
  if (await ports.claims.getValue(`${name}-done`)) return false;
  if (!(await ports.claims.claimOnce(`${name}-lease`, ABANDONED_LEASE_MS))) return false;
  const data = parsePayload(job, raw);
  const last: JobContext = { ...ctx, attemptsMade: Math.max(ctx.attemptsMade, ctx.attempts - 1) };
  const log: Logger = ports.log.child({ ...jobBindings(job.name, last, data), abandoned: true });
  log.warn({}, 'the queue gave the job up without running it (it stalled too often): recovering');
  await job.onAbandoned({ ...ports, log }, data, last);
  await ports.claims.setValue(`${name}-done`, '1', ABANDONED_DONE_MS);
  return true;
}

/**
 * Coalescing window: every change within one window maps to the same job (the id carries the window
 * number), due at the window's end. `delayMs` is how long until then.
 */
export function nextWindow(nowMs: number, windowMs: number): { window: number; delayMs: number } {
  const window = Math.floor(nowMs / windowMs) + 1;
  return { window, delayMs: window * windowMs - nowMs };
}
