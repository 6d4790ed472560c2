/**
 * The in-memory twins of the Redis stores (integrations/redis): the same rules (domain/incident-state.ts)
 * and the same contract tests (test/support/store-contract.ts), for unit tests and createFakeDeps.
 * Values are kept as JSON text and parsed on the way out, as Redis does, so a caller can never change
 * a stored value by mutating what it got. Single process: each operation runs without yielding, so it
 * is atomic the way the Redis scripts are.
 */
import { z } from 'zod';
import { CheckDone, CheckOutcome, type RunRef } from '../../domain/diagnosis-run.js';
import { Assessment, Finding } from '../../domain/diagnostics.js';
import { Incident, IncidentAlert } from '../../domain/incident.js';
import { byFirstSeen, newIncident, nextAlert, reopen, withinReopenWindow } from '../../domain/incident-state.js';
import { Proposal } from '../../domain/proposal.js';
import { TimelineEvent } from '../../domain/timeline.js';
import { AppError } from '../../errors.js';
import type { Change, ClaimStore, DiagnosisStore, IncidentStore, ProposalStore, Stores, TimelineStore, Updated } from '../../workflows/ports.js';

/** Parses with the schema; invalid data is an internal error, as in the Redis stores. */
function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('internal', `invalid data: ${what}: ${r.error.message}`);
  return r.data;
}

/** A map of JSON documents checked by one schema. */
class Docs<T> {
  private readonly m = new Map<string, string>();
  constructor(
    private readonly schema: z.ZodType<T>,
    private readonly what: string,
  ) {}
  get(k: string): T | undefined {
    const t = this.m.get(k);
    return t === undefined ? undefined : valid(this.schema, JSON.parse(t), this.what);
  }
  set(k: string, v: T): T {
    const parsed = valid(this.schema, v, this.what);
    this.m.set(k, JSON.stringify(parsed));
    return parsed;
  }
  has(k: string): boolean {
    return this.m.has(k);
  }
  keys(): string[] {
    return [...this.m.keys()];
  }
  /** Compare-and-set, without the races: the change runs once. */
  update(k: string, change: Change<T>): Updated<T> | undefined {
    const cur = this.get(k);
    if (cur === undefined) return undefined;
    const next = change(cur);
    if (next === undefined) return { value: cur, changed: false };
    return { value: this.set(k, next), changed: true };
  }
}

export function createMemoryIncidents(): IncidentStore {
  const incidents = new Docs(Incident, 'incident');
  const byKey = new Map<string, string>();
  const byChannel = new Map<string, string>();
  const created = new Map<string, number>();
  const alerts = new Map<string, Docs<IncidentAlert>>();
  let seq = 0;

  const index = (u: Updated<Incident>) => {
    if (u.value.channelId) byChannel.set(u.value.channelId, u.value.id);
    return u;
  };
  const create = (input: Parameters<IncidentStore['getOrCreate']>[0], now: Date) => {
    const incident = incidents.set(`INC-${++seq}`, newIncident(input, `INC-${seq}`, now.toISOString()));
    byKey.set(input.key, incident.id);
    created.set(incident.id, now.getTime());
    return { incident, created: true, reopened: false };
  };
  const alertsOf = (id: string) => {
    let a = alerts.get(id);
    if (!a) alerts.set(id, (a = new Docs(IncidentAlert, 'alert')));
    return a;
  };

  return {
    getOrCreate: async (input, now, reopenWindowMs) => {
      const id = byKey.get(input.key);
      const incident = id === undefined ? undefined : incidents.get(id);
      if (!incident) return create(input, now);
      if (incident.status !== 'resolved') return { incident, created: false, reopened: false };
      if (!withinReopenWindow(incident, now, reopenWindowMs)) return create(input, now);
      const r = incidents.update(incident.id, reopen(now.toISOString()));
      if (!r) throw new AppError('internal', `incident ${incident.id} vanished`);
      return { incident: r.value, created: false, reopened: r.changed };
    },
    get: async (id) => incidents.get(id),
    findByKey: async (key) => {
      const id = byKey.get(key);
      return id === undefined ? undefined : incidents.get(id);
    },
    findByChannel: async (channelId) => {
      const id = byChannel.get(channelId);
      return id === undefined ? undefined : incidents.get(id);
    },
    update: async (id, change) => {
      const r = incidents.update(id, change);
      if (!r) throw new AppError('not_found', `no incident ${id}`);
      return index(r);
    },
    listOpen: async () =>
      incidents
        .keys()
        .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
        .map((id) => incidents.get(id))
        .filter((i): i is Incident => i !== undefined && i.status !== 'resolved'),
    listAll: async (limit) =>
      incidents
        .keys()
        // As Redis' ZREVRANGE: newest first, equal times by id, descending.
        .sort((a, b) => (created.get(b) ?? 0) - (created.get(a) ?? 0) || (a < b ? 1 : a > b ? -1 : 0))
        .slice(0, Math.max(0, limit))
        .map((id) => incidents.get(id))
        .filter((i): i is Incident => i !== undefined),
    upsertAlert: async (incidentId, alert, now) => {
      const docs = alertsOf(incidentId);
      const previous = docs.get(alert.fingerprint);
      const { changed, current } = nextAlert(previous, alert, now.toISOString());
      if (changed) docs.set(alert.fingerprint, current);
      return { changed, ...(previous ? { previous } : {}), current };
    },
    listAlerts: async (incidentId) => {
      const docs = alertsOf(incidentId);
      return docs
        .keys()
        .map((k) => docs.get(k))
        .filter((a): a is IncidentAlert => a !== undefined)
        .sort(byFirstSeen);
    },
  };
}

export function createMemoryTimeline(): TimelineStore {
  const lists = new Map<string, { text: string; dedupeId?: string }[]>();
  const listOf = (id: string) => {
    let l = lists.get(id);
    if (!l) lists.set(id, (l = []));
    return l;
  };
  return {
    append: async (incidentId, event, dedupeId) => {
      const text = JSON.stringify(valid(TimelineEvent, event, 'timeline event'));
      const l = listOf(incidentId);
      if (dedupeId !== undefined && l.some((e) => e.dedupeId === dedupeId)) return false;
      l.push({ text, ...(dedupeId !== undefined ? { dedupeId } : {}) });
      return true;
    },
    remove: async (incidentId, dedupeId) => {
      const l = listOf(incidentId);
      const i = l.findIndex((e) => e.dedupeId === dedupeId);
      if (i < 0) return false;
      l.splice(i, 1);
      return true;
    },
    list: async (incidentId) =>
      listOf(incidentId)
        .map((e, i) => ({ e: valid(TimelineEvent, JSON.parse(e.text), 'timeline event'), i }))
        .sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i)
        .map((x) => x.e),
  };
}

export function createMemoryProposals(): ProposalStore {
  const docs = new Docs(Proposal, 'proposal');
  return {
    save: async (p) => {
      docs.set(p.id, p);
    },
    get: async (id) => docs.get(id),
    update: async (id, change) => docs.update(id, change),
    list: async (incidentId) =>
      docs
        .keys()
        .map((id) => docs.get(id))
        .filter((p): p is Proposal => p !== undefined && p.incidentId === incidentId)
        // As Redis' ZRANGE by request time: equal times by id.
        .sort((a, b) => Date.parse(a.requestedAt) - Date.parse(b.requestedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

export function createMemoryDiagnosis(): DiagnosisStore {
  const runKey = (r: RunRef) => `${r.incidentId}\u0000${r.runId}`;
  const findings = new Map<string, Docs<Finding>>();
  const runOrder = new Map<string, string[]>();
  const outcomes = new Docs(CheckOutcome, 'check outcome');
  const scheduled = new Map<string, Set<string>>();
  const done = new Map<string, { ids: Set<string>; list: string[] }>();
  const subjects = new Map<string, string[]>();
  const progress = new Map<string, string>();
  const finished = new Set<string>();
  const assessments = new Docs(Assessment, 'assessment');
  const setOf = <V>(m: Map<string, V>, k: string, make: () => V) => {
    let v = m.get(k);
    if (v === undefined) m.set(k, (v = make()));
    return v;
  };

  return {
    saveFinding: async (r, f) => {
      const docs = setOf(findings, runKey(r), () => new Docs(Finding, 'finding'));
      const runs = setOf(runOrder, r.incidentId, () => [] as string[]);
      if (!runs.includes(r.runId)) runs.push(r.runId);
      if (docs.has(f.id)) return false;
      docs.set(f.id, f);
      return true;
    },
    listFindings: async (incidentId, runId) => {
      const run = runId ?? runOrder.get(incidentId)?.at(-1);
      if (run === undefined) return [];
      const docs = findings.get(runKey({ incidentId, runId: run }));
      if (!docs) return [];
      return docs
        .keys()
        .map((k) => docs.get(k))
        .filter((f): f is Finding => f !== undefined)
        .sort((a, b) => a.id.localeCompare(b.id));
    },
    getOutcome: async (r, subject, check) => outcomes.get(`${runKey(r)}\u0000${subject}\u0000${check}`),
    saveOutcome: async (r, subject, check, outcome) => {
      outcomes.set(`${runKey(r)}\u0000${subject}\u0000${check}`, outcome);
    },
    markScheduled: async (r, id) => {
      setOf(scheduled, runKey(r), () => new Set<string>()).add(id);
    },
    scheduledCount: async (r) => scheduled.get(runKey(r))?.size ?? 0,
    markDone: async (r, id, d) => {
      const entry = setOf(done, runKey(r), () => ({ ids: new Set<string>(), list: [] as string[] }));
      if (entry.ids.has(id)) return;
      entry.ids.add(id);
      entry.list.push(JSON.stringify(valid(CheckDone, d, 'finished check')));
    },
    listDone: async (r) => (done.get(runKey(r))?.list ?? []).map((t) => valid(CheckDone, JSON.parse(t), 'finished check')),
    addSubject: async (r, subject) => {
      const l = setOf(subjects, runKey(r), () => [] as string[]);
      if (l.includes(subject)) return false;
      l.push(subject);
      return true;
    },
    listSubjects: async (r) => [...(subjects.get(runKey(r)) ?? [])],
    getProgressTs: async (r) => progress.get(runKey(r)),
    setProgressTs: async (r, ts) => {
      progress.set(runKey(r), ts);
    },
    markFinished: async (r) => {
      finished.add(runKey(r));
    },
    isFinished: async (r) => finished.has(runKey(r)),
    saveAssessment: async (incidentId, a) => {
      assessments.set(incidentId, a);
    },
    getAssessment: async (incidentId) => assessments.get(incidentId),
  };
}

/** Claims expire by the clock given (a fake clock in tests). */
export function createMemoryClaims(now: () => number): ClaimStore {
  const claims = new Map<string, number>();
  const values = new Map<string, { value: string; until: number }>();
  const live = (key: string) => {
    const v = values.get(key);
    return v && v.until > now() ? v : undefined;
  };
  const until = (ttlMs: number) => (ttlMs > 0 ? now() + ttlMs : Number.POSITIVE_INFINITY);
  return {
    claimOnce: async (key, ttlMs) => {
      const held = claims.get(key);
      if (held !== undefined && held > now()) return false;
      claims.set(key, until(ttlMs));
      return true;
    },
    count: async (key) => Number(live(`ctr:${key}`)?.value ?? 0),
    increment: async (key, ttlMs) => {
      const cur = live(`ctr:${key}`);
      const n = Number(cur?.value ?? 0) + 1;
      values.set(`ctr:${key}`, { value: String(n), until: cur?.until ?? until(ttlMs) });
      return n;
    },
    getValue: async (key) => live(`val:${key}`)?.value,
    setValue: async (key, value, ttlMs) => {
      values.set(`val:${key}`, { value, until: until(ttlMs) });
    },
  };
}

export function createMemoryStores(opts: { now?: () => number } = {}): Stores {
  return {
    incidents: createMemoryIncidents(),
    timeline: createMemoryTimeline(),
    proposals: createMemoryProposals(),
    diagnosis: createMemoryDiagnosis(),
    claims: createMemoryClaims(opts.now ?? Date.now),
  };
}
