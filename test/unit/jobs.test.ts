import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/errors.js';
import { JOBS, PRIORITY, QUEUES, defineJob, diagnoseJob, jobBindings, nextWindow, parsePayload, prepareJob, remindJob } from '../../src/workflows/jobs/index.js';

const noop = async () => undefined;

describe('the job registry', () => {
  it('names every job once, on a known queue', () => {
    const names = JOBS.map((j) => j.name);
    expect(new Set(names).size).toBe(names.length);
    for (const j of JOBS) expect(Object.keys(QUEUES), j.name).toContain(j.queue);
  });

  it('gives every queue of the registry a concurrency', () => {
    for (const q of new Set(JOBS.map((j) => j.queue))) expect(QUEUES[q].concurrency).toBeGreaterThan(0);
  });
});

describe('enqueue checks the payload against the job’s schema', () => {
  it('refuses a field the schema would drop (the old rerunDiagnosis requestedBy bug)', () => {
    const job = defineJob({ name: 't', queue: 'incident', schema: z.object({ incidentId: z.string() }), id: (d) => `t-${d.incidentId}`, options: {}, run: noop });
    const e = (() => {
      try {
        prepareJob(job, { incidentId: 'INC-1', requestedBy: 'U1' } as { incidentId: string });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).message).toBe('enqueue t: requestedBy not in the job\'s schema');
  });

  it('keeps requestedBy of a diagnosis run now that the schema has it', () => {
    const p = prepareJob(diagnoseJob, { incidentId: 'INC-1', runId: 'r9', requestedBy: 'U1' });
    expect(p).toEqual({ name: 'diagnose', queue: 'diagnose', id: 'diag-INC-1-r9', data: { incidentId: 'INC-1', runId: 'r9', requestedBy: 'U1' }, options: { priority: PRIORITY.findings } });
  });

  it('refuses an invalid payload at enqueue, and at run as a bad request (never retried)', () => {
    expect(() => prepareJob(diagnoseJob, { incidentId: '', runId: 'r1' })).toThrow(/enqueue diagnose: invalid payload/);
    let e: unknown;
    try {
      parsePayload(diagnoseJob, { incidentId: 'INC-1' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(AppError);
    expect([(e as AppError).code, (e as AppError).retryable]).toEqual(['bad_request', false]);
  });

  it('derives the deterministic id from the payload (reminder slots)', () => {
    const since = '2026-11-21T09:00:00.000Z';
    const ms = Date.parse(since);
    expect(prepareJob(remindJob, { incidentId: 'INC-2', since, slot: 1 }).id).toBe(`remind-INC-2-${ms}`);
    expect(prepareJob(remindJob, { incidentId: 'INC-2', since, slot: 3 }).id).toBe(`remind-INC-2-${ms}-3`);
    // A job of an older version without the slot still runs.
    expect(parsePayload(remindJob, { incidentId: 'INC-2', since })).toEqual({ incidentId: 'INC-2', since, slot: 1 });
  });

  it('lets an enqueue override the job’s options', () => {
    expect(prepareJob(diagnoseJob, { incidentId: 'I', runId: 'r' }, { attempts: 7, priority: 2 }).options).toEqual({ attempts: 7, priority: 2 });
  });
});

describe('job helpers', () => {
  it('binds the job, its incident, run and proposal to the log', () => {
    expect(jobBindings('diagnose', { id: 'diag-INC-1-r1', attemptsMade: 1, attempts: 3 }, { incidentId: 'INC-1', runId: 'r1', other: 'x' })).toEqual({ job: 'diag-INC-1-r1', jobName: 'diagnose', attempt: 2, incidentId: 'INC-1', runId: 'r1' });
    expect(jobBindings('execute-mitigation', { id: 'exec-P1', attemptsMade: 0, attempts: 3 }, { proposalId: 'P1' })).toEqual({ job: 'exec-P1', jobName: 'execute-mitigation', attempt: 1, proposalId: 'P1' });
  });

  it('coalesces changes within one window onto the window’s end', () => {
    expect(nextWindow(10_000, 1000)).toEqual({ window: 11, delayMs: 1000 });
    expect(nextWindow(10_999, 1000)).toEqual({ window: 11, delayMs: 1 });
    expect(nextWindow(11_000, 1000)).toEqual({ window: 12, delayMs: 1000 });
  });
});
