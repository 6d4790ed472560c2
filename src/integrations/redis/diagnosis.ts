/**
 * Diagnosis runs on Redis: findings per run, each check's outcome, the progress bookkeeping and the
 * incident's latest assessment. Keys as earlier versions wrote them, so a run survives an upgrade.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { CheckDone, CheckOutcome, type RunRef } from '../../domain/diagnosis-run.js';
import { Assessment, Finding } from '../../domain/diagnostics.js';
import type { DiagnosisStore } from '../../workflows/ports.js';
import { ADD_ONCE, guard, parseJson, type Keys } from './common.js';

const DAY_MS = 24 * 3_600_000;
/** Outcomes are reused by retries and redeliveries of a run; a week covers any run. */
const OUTCOME_TTL_MS = 7 * DAY_MS;
/** The once-keys of scheduled/done/subject entries outlive any run. */
const ENTRY_TTL_MS = DAY_MS;

const b64 = (s: string) => Buffer.from(s).toString('base64url');

export function createRedisDiagnosis(redis: Redis, k: Keys): DiagnosisStore {
  const run = (r: RunRef) => `${r.incidentId}-${r.runId}`;
  const key = {
    progressTs: (r: RunRef) => k.doc(`diag-progress-ts-${run(r)}`),
    outcome: (r: RunRef, subject: string, check: string) => k.doc(`diag-result-${run(r)}-${subject}-${check}`),
    scheduled: (r: RunRef) => k.list(`diag-scheduled-${run(r)}`),
    scheduledOnce: (checkJobId: string) => k.once(`sched-${checkJobId}`),
    done: (r: RunRef) => k.list(`diag-done-${run(r)}`),
    doneOnce: (checkJobId: string) => k.once(`done-${checkJobId}`),
    subjects: (r: RunRef) => k.list(`diag-subjects-${run(r)}`),
    subjectOnce: (r: RunRef, subject: string) => k.once(`subject-${run(r)}-${b64(subject)}`),
    finished: (r: RunRef) => k.doc(`diag-finished-${run(r)}`),
    assessment: (incidentId: string) => k.doc(`assessment-${incidentId}`),
  };
  const addOnce = async (once: string, list: string, value: unknown) => (await redis.eval(ADD_ONCE, 2, once, list, JSON.stringify(value), String(ENTRY_TTL_MS))) === 1;
  const getJson = async <T>(schema: z.ZodType<T>, k2: string, what: string) => {
    const t = await redis.get(k2);
    return t === null ? undefined : parseJson(schema, t, what);
  };
  const list = async <T>(schema: z.ZodType<T>, k2: string, what: string) => (await redis.lrange(k2, 0, -1)).map((t) => parseJson(schema, t, what));

  return {
    saveFinding: (r, finding) =>
      guard(async () => {
        const tx = redis.multi();
        tx.hsetnx(k.findings(r.incidentId, r.runId), finding.id, JSON.stringify(Finding.parse(finding)));
        tx.zadd(k.findingRuns(r.incidentId), 'NX', String(Date.now()), r.runId);
        const res = await tx.exec();
        return res?.[0]?.[1] === 1;
      }),

    listFindings: (incidentId, runId) =>
      guard(async () => {
        const latest = runId ?? (await redis.zrevrange(k.findingRuns(incidentId), 0, 0))[0];
        if (!latest) return [];
        const all = await redis.hvals(k.findings(incidentId, latest));
        return all.map((t) => parseJson(Finding, t, 'finding')).sort((a, b) => a.id.localeCompare(b.id));
      }),

    getOutcome: (r, subject, check) => guard(() => getJson(CheckOutcome, key.outcome(r, subject, check), 'check outcome')),
    saveOutcome: (r, subject, check, outcome) =>
      guard(async () => {
        await redis.set(key.outcome(r, subject, check), JSON.stringify(CheckOutcome.parse(outcome)), 'PX', OUTCOME_TTL_MS);
      }),

    markScheduled: (r, checkJobId) =>
      guard(async () => {
        await addOnce(key.scheduledOnce(checkJobId), key.scheduled(r), { checkJobId });
      }),
    scheduledCount: (r) => guard(() => redis.llen(key.scheduled(r))),

    markDone: (r, checkJobId, done) =>
      guard(async () => {
        await addOnce(key.doneOnce(checkJobId), key.done(r), CheckDone.parse(done));
      }),
    listDone: (r) => guard(() => list(CheckDone, key.done(r), 'finished check')),

    addSubject: (r, subject) => guard(() => addOnce(key.subjectOnce(r, subject), key.subjects(r), subject)),
    listSubjects: (r) => guard(async () => [...new Set(await list(z.string(), key.subjects(r), 'subject'))]),

    getProgressTs: (r) => guard(() => getJson(z.string(), key.progressTs(r), 'progress ts')),
    setProgressTs: (r, ts) =>
      guard(async () => {
        await redis.set(key.progressTs(r), JSON.stringify(ts));
      }),

    markFinished: (r) =>
      guard(async () => {
        await redis.set(key.finished(r), 'true');
      }),
    isFinished: (r) => guard(async () => (await redis.get(key.finished(r))) !== null),

    saveAssessment: (incidentId, assessment) =>
      guard(async () => {
        await redis.set(key.assessment(incidentId), JSON.stringify(Assessment.parse(assessment)));
      }),
    getAssessment: (incidentId) => guard(() => getJson(Assessment, key.assessment(incidentId), 'assessment')),
  };
}
