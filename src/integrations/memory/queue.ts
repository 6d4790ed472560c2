/**
 * An in-memory JobQueue for unit tests and createFakeDeps, with BullMQ's semantics where the workflows
 * rely on them: a job id added twice is a no-op (ids are kept for the queue's life, where BullMQ keeps
 * completed ones an hour), delays by the given clock, retries of retryable errors up to the job's
 * attempts (a throttled error with retryAfterMs delays the job instead), non-retryable errors fail at once, and flows (a parent runs once each child has finished;
 * a failed child does not block it, as with ignoreDependencyOnFailure). Jobs run one at a time, in
 * order of due time, priority, then arrival: deterministic.
 */
import { AppError, isRetryable, retryAfterOf } from '../../errors.js';
import { prepareJob, type JobContext, type JobDef, type PreparedJob } from '../../workflows/jobs/define.js';
import type { EnqueueOptions, JobQueue } from '../../workflows/ports.js';

export type MemoryJobState = 'waiting' | 'waiting-children' | 'completed' | 'failed';

export interface MemoryJob extends PreparedJob {
  state: MemoryJobState;
  dueAt: number;
  attemptsMade: number;
  seq: number;
  parent?: string;
  children: string[];
  error?: unknown;
}

export interface MemoryQueue extends JobQueue {
  /** Every job ever added, by id. */
  jobs: Map<string, MemoryJob>;
  /** Jobs not yet finished (waiting, delayed or waiting for children). */
  pending(): MemoryJob[];
  /** The earliest due time of a waiting job, if any. */
  nextDue(): number | undefined;
  /**
   * Runs every job due by the clock, and the ones they add that are due too, one at a time, until none
   * is due. Returns the jobs run (an attempt each). `limit` guards against jobs that re-add themselves.
   */
  runDue(run: (job: JobDef, data: unknown, ctx: JobContext) => Promise<unknown>, limit?: number): Promise<MemoryJob[]>;
}

export function createMemoryQueue(opts: { jobs: readonly JobDef[]; now: () => number }): MemoryQueue {
  const byName = new Map(opts.jobs.map((j) => [j.name, j]));
  const jobs = new Map<string, MemoryJob>();
  let seq = 0;
  const add = (p: PreparedJob, delayMs = 0, extra: Partial<MemoryJob> = {}): MemoryJob | undefined => {
    if (!byName.has(p.name)) throw new AppError('internal', `enqueue ${p.name}: not in the job registry`);
    if (jobs.has(p.id)) return undefined;
    const j: MemoryJob = { ...p, state: 'waiting', dueAt: opts.now() + delayMs, attemptsMade: 0, seq: ++seq, children: [], ...extra };
    jobs.set(j.id, j);
    return j;
  };
  const settleParent = (child: MemoryJob) => {
    const parent = child.parent ? jobs.get(child.parent) : undefined;
    if (!parent || parent.state !== 'waiting-children') return;
    const open = parent.children.some((id) => {
      const s = jobs.get(id)?.state;
      return s === 'waiting' || s === 'waiting-children';
    });
    if (!open) {
      parent.state = 'waiting';
      parent.dueAt = Math.max(parent.dueAt, opts.now());
    }
  };
  const due = () =>
    [...jobs.values()]
      .filter((j) => j.state === 'waiting' && j.dueAt <= opts.now())
      .sort((a, b) => a.dueAt - b.dueAt || (a.options.priority ?? 0) - (b.options.priority ?? 0) || a.seq - b.seq);

  return {
    jobs,
    enqueue: async <T>(job: JobDef<T>, data: T, o: EnqueueOptions = {}) => {
      const { delayMs, ...options } = o;
      add(prepareJob(job, data, options), delayMs);
    },
    cancel: async <T>(job: JobDef<T>, data: T) => {
      const j = jobs.get(prepareJob(job, data).id);
      if (j?.state === 'waiting') jobs.delete(j.id);
    },
    addFlow: async (parent, children) => {
      const p = add(parent, 0, { state: 'waiting-children' });
      for (const c of children) {
        const added = add(c, 0, { parent: parent.id });
        if (added && p) p.children.push(added.id);
      }
      if (p && p.children.length === 0) p.state = 'waiting';
    },
    addChild: async (parent, child) => {
      const p = jobs.get(parent.id);
      if (!p || p.state !== 'waiting-children') throw new AppError('internal', `add child ${child.id}: parent ${parent.id} is not waiting for children`);
      const added = add(child, 0, { parent: parent.id });
      if (added) p.children.push(added.id);
    },
    pending: () => [...jobs.values()].filter((j) => j.state === 'waiting' || j.state === 'waiting-children'),
    nextDue: () => {
      const waiting = [...jobs.values()].filter((j) => j.state === 'waiting').map((j) => j.dueAt);
      return waiting.length ? Math.min(...waiting) : undefined;
    },
    runDue: async (run, limit = 10_000) => {
      const ran: MemoryJob[] = [];
      for (let next = due()[0]; next; next = due()[0]) {
        if (ran.length >= limit) throw new AppError('internal', `more than ${limit} jobs ran in one go; a job keeps re-adding itself`);
        const def = byName.get(next.name);
        if (!def) throw new AppError('internal', `no job ${next.name}`);
        const attempts = next.options.attempts ?? (next.parent ? 1 : 5);
        ran.push(next);
        try {
          await run(def, structuredClone(next.data), { id: next.id, attemptsMade: next.attemptsMade, attempts, attemptsStarted: next.attemptsMade + 1 });
          next.state = 'completed';
        } catch (e) {
          // Throttled with a time to come back: delayed by the clock, no attempt spent (as the BullMQ worker).
          const after = retryAfterOf(e);
          if (after !== undefined) {
            next.dueAt = opts.now() + Math.max(1, after);
            continue;
          }
          next.attemptsMade += 1;
          next.error = e;
          if (isRetryable(e) && next.attemptsMade < attempts) continue; // retried at once: memory has no backoff to wait for
          next.state = 'failed';
        }
        settleParent(next);
      }
      return ran;
    },
  };
}
