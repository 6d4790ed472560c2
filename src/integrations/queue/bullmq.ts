/**
 * JobQueue on BullMQ: one BullMQ queue per queue of the job registry (workflows/jobs). Jobs carry ids
 * only; job ids are deterministic so redelivery, double clicks and replicas add a job once (DESIGN principle 7). Producer connections fail fast (so the webhook answers
 * 503 and the sender retries); worker connections block and retry forever (maxRetriesPerRequest: null).
 */
import { DelayedError, FlowProducer, Queue, UnrecoverableError, Worker, type ConnectionOptions, type FlowJob as BullFlowJob, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { AppError, isAppError, isRetryable, retryAfterOf } from '../../errors.js';
import { withLane, type Lane } from '../slack/budget.js';
import { PRIORITY, QUEUES, jobBindings, prepareJob, type JobContext, type JobDef, type PreparedJob, type QueueName } from '../../workflows/jobs/define.js';
import type { EnqueueOptions, JobQueue, Logger } from '../../workflows/ports.js';

const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];
const bullName = (queue: QueueName) => `warroom-${queue}`;

/** BullMQ custom ids may not contain ':' nor be all digits. */
export function safeJobId(id: string): string {
  const s = id.replace(/:/g, '_');
  return /^\d+$/.test(s) ? `j${s}` : s;
}

export interface QueueSetOptions {
  redisUrl: string;
  /** BullMQ key prefix (tests use their own). */
  prefix?: string;
  /** Max time to wait for Redis on enqueue before answering "unavailable". */
  enqueueTimeoutMs?: number;
}

function redisOptions(url: string, extra: RedisOptions): { url: string; options: RedisOptions } {
  return { url, options: { lazyConnect: false, ...extra } };
}

export function producerConnection(url: string): Redis {
  const { options } = redisOptions(url, {
    // Fail fast: a webhook must answer 503 promptly when Redis is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  const r = new Redis(url, options);
  r.on('error', () => undefined); // surfaced per call; avoid unhandled 'error' events
  return r;
}

export function workerConnectionOptions(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname && u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    // BullMQ's default reconnect backoff grows as e^attempt up to 20 s: after a Redis restart of a few
    // seconds, the workers came back up to 20 s after Redis did. Bounded at WORKER_RECONNECT_MAX_MS.
    retryStrategy: (times: number) => Math.min(100 * times, WORKER_RECONNECT_MAX_MS),
  };
}

/**
 * Recovery after a Redis restart is bounded by these (issue 10.9; measured in bench/restart.ts): the
 * reconnect backoff of the worker connections, and how long a worker waits before fetching again after
 * a connection error (BullMQ's `runRetryDelay`, 15 s by default, was most of the lag).
 */
export const WORKER_RECONNECT_MAX_MS = 1000;
export const WORKER_RUN_RETRY_DELAY_MS = 1000;
/** How often stalled jobs (their worker died) are looked for; at most the lock time. */
export const STALLED_CHECK_MAX_MS = 5000;
/** A job that stalled more often than this is failed by BullMQ without running it (BullMQ's default, made explicit). */
export const MAX_STALLED_COUNT = 1;

/**
 * BullMQ failed the job without running it: it stalled more than MAX_STALLED_COUNT. When it is taken
 * up the job carries the deferred failure; once failed, BullMQ drops that and its stall count tells.
 */
const abandonedByQueue = (job: Job) => Boolean(job.deferredFailure) || job.stalledCounter > MAX_STALLED_COUNT;

export interface QueueSet extends JobQueue {
  queues: Record<QueueName, Queue>;
  counts(): Promise<Record<QueueName, Record<string, number>>>;
  close(): Promise<void>;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new AppError('unavailable', `${what}: Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (t) clearTimeout(t);
  }
}

export function createQueueSet(opts: QueueSetOptions): QueueSet {
  const connection = producerConnection(opts.redisUrl);
  const prefix = opts.prefix ?? 'bull';
  const timeoutMs = opts.enqueueTimeoutMs ?? 2500;
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => [
      name,
      new Queue(bullName(name), {
        connection,
        prefix,
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
          // Completed ids are kept for an hour so a redelivery in that window is a no-op add.
          removeOnComplete: { age: 3600, count: 20_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      }),
    ]),
  ) as Record<QueueName, Queue>;
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const flows = new FlowProducer({ connection, prefix });
  flows.on('error', () => undefined);
  const CHILD_OPTS = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * 24 * 3600 }, backoff: { type: 'exponential' as const, delay: 1000, jitter: 0.3 } };
  const priority = (j: PreparedJob) => (j.options.priority !== undefined ? { priority: j.options.priority } : {});
  const toBull = (j: PreparedJob): BullFlowJob => ({
    name: j.name,
    queueName: bullName(j.queue),
    data: j.data,
    opts: { jobId: safeJobId(j.id), attempts: j.options.attempts ?? 1, ...priority(j), ...CHILD_OPTS, ignoreDependencyOnFailure: true },
  });

  const add = async (j: PreparedJob, delayMs: number | undefined) => {
    try {
      await withTimeout(
        queues[j.queue].add(j.name, j.data, {
          jobId: safeJobId(j.id),
          ...(delayMs ? { delay: delayMs } : {}),
          ...(j.options.attempts ? { attempts: j.options.attempts } : {}),
          ...priority(j),
        }),
        timeoutMs,
        `enqueue ${j.name}`,
      );
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('unavailable', `enqueue ${j.name}: ${(e as Error).message}`, { cause: e });
    }
  };

  return {
    queues,
    enqueue: <T>(job: JobDef<T>, data: T, o: EnqueueOptions = {}) => {
      const { delayMs, ...options } = o;
      return add(prepareJob(job, data, options), delayMs);
    },
    addFlow: async (parent, children) => {
      await withTimeout(
        flows.add({ ...toBull(parent), opts: { jobId: safeJobId(parent.id), attempts: parent.options.attempts ?? 3, ...priority(parent), ...CHILD_OPTS }, children: children.map(toBull) }),
        timeoutMs,
        'add flow',
      );
    },
    addChild: async (parent, child) => {
      const b = toBull(child);
      await withTimeout(queues[child.queue].add(child.name, child.data, { ...b.opts, parent: { id: safeJobId(parent.id), queue: `${prefix}:${bullName(parent.queue)}` } }), timeoutMs, 'add child');
    },
    cancel: async <T>(job: JobDef<T>, data: T) => {
      const j = prepareJob(job, data);
      const found = await queues[j.queue].getJob(safeJobId(j.id));
      if (found && ((await found.isDelayed()) || (await found.isWaiting()))) await found.remove().catch(() => undefined);
    },
    counts: async () => {
      const out = {} as Record<QueueName, Record<string, number>>;
      for (const q of QUEUE_NAMES) out[q] = await queues[q].getJobCounts('waiting', 'active', 'delayed', 'failed', 'waiting-children', 'prioritized');
      return out;
    },
    close: async () => {
      await Promise.all([...Object.values(queues).map((q) => q.close()), flows.close()]);
      connection.disconnect();
    },
  };
}

/** Runs one job of the registry (workflows/jobs/define.ts runJob, bound to the ports by the composition root). */
export type JobHandler = (data: unknown, ctx: JobContext) => Promise<unknown>;

export interface WorkerSetOptions {
  redisUrl: string;
  prefix?: string;
  /** Job lock; a dead worker's job is taken up again after about this long. Default 30 s. */
  lockMs?: number;
  /** The registry: which jobs run, on which queue. */
  jobs: readonly JobDef[];
  handler(job: JobDef, data: unknown, ctx: JobContext): Promise<unknown>;
  logger: Logger;
  /** Every finished attempt: its duration and outcome (`delayed`: a dependency said when to come back). */
  observe?(name: string, outcome: 'completed' | 'delayed' | 'retry' | 'failed', seconds: number): void;
  /** The last attempt failed (or the error is not retryable): the job is given up. */
  onFinalFailure?(job: JobDef, data: unknown, err: unknown, log: Logger): void;
  /**
   * BullMQ failed the job without running the handler (it stalled more than maxStalledCount: its
   * worker died twice): the job's `onAbandoned` (jobs/define.ts runAbandoned). `key` names this job
   * once (its id and when it was added).
   */
  onAbandoned?(job: JobDef, data: unknown, ctx: JobContext, key: string): Promise<unknown>;
  /**
   * How often the failed jobs of queues with an `onAbandoned` job are looked through for one whose
   * recovery did not finish (the worker that failed it died too, or the recovery threw). Default
   * ABANDONED_SWEEP_MS.
   */
  abandonedSweepMs?: number;
}

/** The failed-job sweep's period (see WorkerSetOptions.abandonedSweepMs) and how many of a queue's latest failed jobs it reads. */
export const ABANDONED_SWEEP_MS = 60_000;
const ABANDONED_SWEEP_JOBS = 200;

export interface WorkerSet {
  workers: Worker[];
  close(force?: boolean): Promise<void>;
}

/**
 * The Slack lane of a job: someone waits for the first priority (a SEV1 opening, an approved action),
 * like a person's own call; decoration (card refreshes, progress) spends only part of the burst.
 */
export function laneOfPriority(priority: number | undefined): Lane {
  if (priority === undefined) return 'work';
  if (priority <= PRIORITY.person) return 'interactive';
  return priority >= PRIORITY.decoration ? 'decoration' : 'work';
}

/** Starts one Worker per queue that has jobs in the registry; dispatches by job name. */
export function createWorkerSet(opts: WorkerSetOptions): WorkerSet {
  const byName = new Map(opts.jobs.map((j) => [j.name, j]));
  const workers: Worker[] = [];
  const recovering = new Set<Promise<unknown>>();
  const ctxOf = (job: Job, signal?: AbortSignal): JobContext => ({ id: job.id ?? '', attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1, attemptsStarted: job.attemptsStarted, ...(signal ? { signal } : {}) });
  /** A job BullMQ failed without running it: its onAbandoned (done once, whoever asks: runAbandoned). */
  const recover = (job: Job) => {
    const def = byName.get(job.name);
    if (!abandonedByQueue(job) || !def?.onAbandoned || !opts.onAbandoned) return;
    const ctx = ctxOf(job);
    const run = opts
      .onAbandoned(def, job.data, ctx, `${job.id ?? ''}-${job.timestamp}`)
      .catch((e: unknown) => opts.logger.child(jobBindings(def.name, ctx, job.data)).error({ err: e }, 'abandoned job: its recovery failed; the next sweep tries again'))
      .finally(() => recovering.delete(run));
    recovering.add(run);
  };
  for (const queue of QUEUE_NAMES) {
    if (!opts.jobs.some((j) => j.queue === queue)) continue;
    const w = new Worker(
      bullName(queue),
      async (job: Job, token?: string, signal?: AbortSignal) => {
        const def = byName.get(job.name);
        if (!def) throw new UnrecoverableError(`no handler for job ${job.name}`);
        const ctx = ctxOf(job, signal);
        const started = performance.now();
        try {
          const r = await withLane(laneOfPriority(job.opts.priority), () => opts.handler(def, job.data, ctx));
          opts.observe?.(def.name, 'completed', (performance.now() - started) / 1000);
          return r;
        } catch (e) {
          // Slack's budget or a 429 said when to come back: the job waits in the delayed set (its slot is
          // free at once, no attempt is spent), never asleep in the worker (DESIGN principle 14).
          const after = retryAfterOf(e);
          if (after !== undefined && token) {
            opts.observe?.(def.name, 'delayed', (performance.now() - started) / 1000);
            await job.moveToDelayed(Date.now() + after, token);
            throw new DelayedError();
          }
          const final = !isRetryable(e) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          opts.observe?.(def.name, final ? 'failed' : 'retry', (performance.now() - started) / 1000);
          const log = opts.logger.child(jobBindings(def.name, ctx, job.data));
          if (final) opts.onFinalFailure?.(def, job.data, e, log);
          else log.warn({ err: e }, 'job failed; will retry');
          if (!isRetryable(e)) throw new UnrecoverableError(isAppError(e) ? `${e.code}: ${e.message}` : String(e));
          throw e;
        }
      },
      {
        connection: workerConnectionOptions(opts.redisUrl),
        prefix: opts.prefix ?? 'bull',
        // How wide each queue runs is part of the registry (workflows/jobs/define.ts QUEUES).
        concurrency: QUEUES[queue].concurrency,
        lockDuration: opts.lockMs ?? 30_000,
        // A job whose worker died is taken up again about lockMs + this after it last renewed its lock.
        stalledInterval: Math.min(opts.lockMs ?? 30_000, STALLED_CHECK_MAX_MS),
        maxStalledCount: MAX_STALLED_COUNT,
        runRetryDelay: WORKER_RUN_RETRY_DELAY_MS,
      },
    );
    w.on('error', (err) => opts.logger.warn({ err, queue }, 'worker error'));
    // A job BullMQ failed without running the handler: one that stalled more than maxStalledCount is put
    // back with a deferred failure, and the worker that takes it up fails it at once ('failed' fires in
    // that worker only). The handler never saw it: counted and logged here, and its onAbandoned runs.
    w.on('failed', (job, err) => {
      if (!job || !abandonedByQueue(job)) return;
      const def = byName.get(job.name);
      if (!def) return;
      opts.onFinalFailure?.(def, job.data, err, opts.logger.child(jobBindings(def.name, ctxOf(job), job.data)));
      recover(job);
    });
    workers.push(w);
  }
  // The safety net of the failed event: a worker that failed an abandoned job and died before its
  // recovery finished (or a recovery that threw) leaves the job in the failed set; every replica looks
  // through it now and then, and runAbandoned runs what is not done yet.
  const sweepQueues = QUEUE_NAMES.filter((q) => opts.jobs.some((j) => j.queue === q && j.onAbandoned)).map((q) => {
    const queue = new Queue(bullName(q), { connection: workerConnectionOptions(opts.redisUrl), prefix: opts.prefix ?? 'bull' });
    queue.on('error', () => undefined);
    return queue;
  });
  let sweeping = false;
  const sweep = async () => {
    // One sweep at a time (while Redis is away a read waits for it).
    if (sweeping) return;
    sweeping = true;
    try {
      await sweepOnce();
    } finally {
      sweeping = false;
    }
  };
  const sweepOnce = async () => {
    for (const q of sweepQueues) {
      const failed = await q.getFailed(0, ABANDONED_SWEEP_JOBS - 1).catch((err: unknown) => {
        opts.logger.warn({ err, queue: q.name }, 'abandoned-job sweep: could not read the failed jobs');
        return [];
      });
      for (const job of failed) if (job) recover(job);
    }
  };
  const timer = sweepQueues.length && opts.onAbandoned ? setInterval(() => void sweep(), opts.abandonedSweepMs ?? ABANDONED_SWEEP_MS) : undefined;
  timer?.unref();
  return {
    workers,
    close: async (force = false) => {
      if (timer) clearInterval(timer);
      await Promise.all(workers.map((w) => w.close(force)));
      if (!force) await Promise.all([...recovering]);
      await Promise.all(sweepQueues.map((q) => q.close()));
    },
  };
}
