/**
 * JobQueue on BullMQ. Jobs carry ids only; job ids are deterministic so redelivery, double clicks and
 * replicas add a job once (DESIGN principle 7). Producer connections fail fast (so the webhook answers
 * 503 and the sender retries); worker connections block and retry forever (maxRetriesPerRequest: null).
 */
import { FlowProducer, Queue, UnrecoverableError, Worker, type ConnectionOptions, type FlowJob as BullFlowJob, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { IngestBatch } from '../../domain/alert.js';
import { AppError, isAppError, isRetryable } from '../../errors.js';
import type { FlowJob, FlowQueue, JobName, JobOptions, JobQueue, Logger } from '../../workflows/ports.js';

export type QueueFamily = 'ingest' | 'incident' | 'diagnose' | 'mitigation';

export const QUEUE_OF: Record<JobName, QueueFamily> = {
  ingest: 'ingest',
  'open-incident': 'incident',
  'refresh-card': 'incident',
  remind: 'incident',
  postmortem: 'incident',
  archive: 'incident',
  command: 'incident',
  diagnose: 'diagnose',
  'diagnose-check': 'diagnose',
  'diagnose-assess': 'diagnose',
  'diagnose-progress': 'diagnose',
  'execute-mitigation': 'mitigation',
  'verify-mitigation': 'mitigation',
  'expire-proposal': 'mitigation',
};

export const FAMILIES: QueueFamily[] = ['ingest', 'incident', 'diagnose', 'mitigation'];

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
  };
}

export interface QueueSet extends JobQueue, FlowQueue {
  queues: Record<QueueFamily, Queue>;
  counts(): Promise<Record<QueueFamily, Record<string, number>>>;
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
  const mk = (family: QueueFamily) =>
    new Queue(`warroom-${family}`, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
        // Completed ids are kept for an hour so a redelivery in that window is a no-op add.
        removeOnComplete: { age: 3600, count: 20_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
  const queues: Record<QueueFamily, Queue> = { ingest: mk('ingest'), incident: mk('incident'), diagnose: mk('diagnose'), mitigation: mk('mitigation') };
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const flows = new FlowProducer({ connection, prefix });
  flows.on('error', () => undefined);
  const CHILD_OPTS = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * 24 * 3600 }, backoff: { type: 'exponential' as const, delay: 1000, jitter: 0.3 } };
  const toBull = (j: FlowJob): BullFlowJob => ({
    name: j.name,
    queueName: `warroom-${QUEUE_OF[j.name]}`,
    data: j.data,
    opts: { jobId: safeJobId(j.jobId), attempts: j.attempts ?? 1, ...CHILD_OPTS, ignoreDependencyOnFailure: true },
  });

  const add = async (name: JobName, data: object, o: JobOptions) => {
    const q = queues[QUEUE_OF[name]];
    try {
      await withTimeout(
        q.add(name, data, {
          jobId: safeJobId(o.jobId),
          ...(o.delayMs ? { delay: o.delayMs } : {}),
          ...(o.attempts ? { attempts: o.attempts } : {}),
        }),
        timeoutMs,
        `enqueue ${name}`,
      );
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('unavailable', `enqueue ${name}: ${(e as Error).message}`, { cause: e });
    }
  };

  return {
    queues,
    enqueueIngest: (batch: IngestBatch) => add('ingest', { batch }, { jobId: batch.deliveryId }),
    enqueue: (name, data, o) => add(name, data, o),
    addFlow: async (parent, children) => {
      await withTimeout(
        flows.add({ ...toBull(parent), opts: { jobId: safeJobId(parent.jobId), attempts: parent.attempts ?? 3, ...CHILD_OPTS }, children: children.map(toBull) }),
        timeoutMs,
        'add flow',
      );
    },
    addChild: async (parent, child) => {
      const b = toBull(child);
      await withTimeout(
        queues[QUEUE_OF[child.name]].add(child.name, child.data, { ...b.opts, parent: { id: safeJobId(parent.jobId), queue: `${prefix}:warroom-${QUEUE_OF[parent.name]}` } }),
        timeoutMs,
        'add child',
      );
    },
    cancel: async (name, jobId) => {
      const q = queues[QUEUE_OF[name]];
      const job = await q.getJob(safeJobId(jobId));
      if (job && (await job.isDelayed() || await job.isWaiting())) await job.remove().catch(() => undefined);
    },
    counts: async () => {
      const out = {} as Record<QueueFamily, Record<string, number>>;
      for (const f of FAMILIES) out[f] = await queues[f].getJobCounts('waiting', 'active', 'delayed', 'failed', 'waiting-children', 'prioritized');
      return out;
    },
    close: async () => {
      await Promise.all([...Object.values(queues).map((q) => q.close()), flows.close()]);
      connection.disconnect();
    },
  };
}

export type JobHandler = (data: Record<string, unknown>, job: { id: string; attemptsMade: number; attempts: number; signal?: AbortSignal }) => Promise<unknown>;

export interface WorkerSetOptions {
  redisUrl: string;
  prefix?: string;
  /** Job lock; a dead worker's job is taken up again after about this long. Default 30 s. */
  lockMs?: number;
  handlers: Partial<Record<JobName, JobHandler>>;
  concurrency?: Partial<Record<QueueFamily, number>>;
  logger: Logger;
  onFinalFailure?: (name: JobName, data: Record<string, unknown>, err: unknown) => void;
}

const DEFAULT_CONCURRENCY: Record<QueueFamily, number> = { ingest: 50, incident: 50, diagnose: 16, mitigation: 4 };

export interface WorkerSet {
  workers: Worker[];
  close(force?: boolean): Promise<void>;
}

/** Starts one Worker per queue family that has a handler; dispatches by job name. */
export function createWorkerSet(opts: WorkerSetOptions): WorkerSet {
  const families = new Set(Object.keys(opts.handlers).map((n) => QUEUE_OF[n as JobName]));
  const workers: Worker[] = [];
  for (const family of FAMILIES) {
    if (!families.has(family)) continue;
    const w = new Worker(
      `warroom-${family}`,
      async (job: Job, _token?: string, signal?: AbortSignal) => {
        const name = job.name as JobName;
        const handler = opts.handlers[name];
        if (!handler) throw new UnrecoverableError(`no handler for job ${name}`);
        const log = opts.logger.child({ job: job.id, jobName: name, attempt: job.attemptsMade + 1 });
        try {
          return await handler(job.data as Record<string, unknown>, { id: job.id ?? '', attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1, signal });
        } catch (e) {
          const final = !isRetryable(e) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (final) {
            log.error({ err: e }, 'job failed for good');
            opts.onFinalFailure?.(name, job.data as Record<string, unknown>, e);
          } else log.warn({ err: e }, 'job failed; will retry');
          if (isAppError(e) && !e.retryable) throw new UnrecoverableError(`${e.code}: ${e.message}`);
          throw e;
        }
      },
      {
        connection: workerConnectionOptions(opts.redisUrl),
        prefix: opts.prefix ?? 'bull',
        // Jobs wait on Redis and Slack, not the CPU: intake and incident jobs run wide; mitigations stay narrow.
        concurrency: opts.concurrency?.[family] ?? DEFAULT_CONCURRENCY[family],
        lockDuration: opts.lockMs ?? 30_000,
        stalledInterval: opts.lockMs ?? 30_000,
      },
    );
    w.on('error', (err) => opts.logger.warn({ err, queue: family }, 'worker error'));
    workers.push(w);
  }
  return {
    workers,
    close: async (force = false) => {
      await Promise.all(workers.map((w) => w.close(force)));
    },
  };
}
