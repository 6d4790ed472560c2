/**
 * An in-process, sequential reference runner of the plan: subjects from the alerts, their checks
 * in dependency order, discovered subjects with the facts they were discovered with. The queued
 * engine (engine.ts) does the same over BullMQ jobs; this one serves unit tests, the demo and
 * anything that wants the whole catalogue without a queue. Bounded: at most `maxSubjects`.
 */
import type { Alert } from '../../domain/alert.js';
import type { Finding, Subject } from '../../domain/diagnostics.js';
import { errorMessage, isAppError } from '../../errors.js';
import { checksFor, planFor } from './plan.js';
import { factsForDiscovered, makeFinding, subjectKey, type CheckPorts, type CheckResult } from './types.js';

export interface RunInput {
  incident: { id: string; startedAt: Date; alerts: Alert[] };
  now: Date;
  ports: CheckPorts;
  signal?: AbortSignal;
  /** Extra subjects beyond the plan (e.g. from `/incident diagnose`). */
  subjects?: Subject[];
  maxSubjects?: number;
}

export interface RunOutput {
  findings: Finding[];
  /** Subjects in the order they were examined. */
  subjects: Subject[];
  /** `<check>@<subject-key>` in the order they ran. */
  ran: string[];
}

/** The facts a check gets: inherited facts, then the facts of the findings of the checks it depends on. */
export function factsFor(inherited: Record<string, unknown>, dependsOn: string[] | undefined, results: Map<string, CheckResult>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...inherited };
  for (const dep of dependsOn ?? []) {
    for (const f of results.get(dep)?.findings ?? []) {
      for (const [k, v] of Object.entries(f.facts)) if (k !== 'because' && k !== 'proposals') out[k] = v;
    }
  }
  return out;
}

/** A finding for a check that failed (the engine's last attempt does the same). */
export function errorFinding(check: string, subject: Subject, error: unknown): Finding {
  return makeFinding({
    check,
    subject,
    discriminator: 'error',
    severity: 'error',
    title: `Check ${check} failed`,
    summary: `${check} could not finish: ${errorMessage(error)}${isAppError(error) ? ` (${error.code})` : ''}`,
  });
}

export async function runPlan(input: RunInput): Promise<RunOutput> {
  const signal = input.signal ?? new AbortController().signal;
  const max = input.maxSubjects ?? 25;
  const queue: { subject: Subject; inherited: Record<string, unknown> }[] = [];
  const seen = new Set<string>();
  const enqueue = (subject: Subject, inherited: Record<string, unknown>): void => {
    const key = subjectKey(subject);
    if (seen.has(key) || seen.size >= max) return;
    seen.add(key);
    queue.push({ subject, inherited });
  };
  for (const s of [...planFor(input.incident.alerts), ...(input.subjects ?? [])]) enqueue(s, {});
  const findings: Finding[] = [];
  const subjects: Subject[] = [];
  const ran: string[] = [];
  for (let item = queue.shift(); item; item = queue.shift()) {
    subjects.push(item.subject);
    const results = new Map<string, CheckResult>();
    for (const check of checksFor(item.subject, input.incident.alerts)) {
      const facts = factsFor(item.inherited, check.dependsOn, results);
      let result: CheckResult;
      try {
        result = await check.run({ subject: item.subject, incident: input.incident, now: input.now, signal, ports: input.ports, facts });
      } catch (e) {
        result = { findings: [errorFinding(check.id, item.subject, e)], discovered: [] };
      }
      ran.push(`${check.id}@${subjectKey(item.subject)}`);
      results.set(check.id, result);
      findings.push(...result.findings);
      const handOn = factsForDiscovered(facts, result);
      for (const d of result.discovered) enqueue(d, handOn);
    }
  }
  return { findings, subjects, ran };
}
