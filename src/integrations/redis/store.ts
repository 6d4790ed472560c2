/**
 * IncidentStore on Redis. Every multi-step change is either one Lua script or a compare-and-set
 * retried on races, so concurrent deliveries, replicas and redeliveries agree on one incident.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Alert } from '../../domain/alert.js';
import { Finding } from '../../domain/diagnostics.js';
import { Incident, IncidentAlert } from '../../domain/incident.js';
import { Proposal } from '../../domain/proposal.js';
import { TimelineEvent } from '../../domain/timeline.js';
import { AppError } from '../../errors.js';
import type { CreateIncidentInput, IncidentStore } from '../../workflows/ports.js';

const GET_OR_CREATE = `
local id = redis.call('GET', KEYS[1])
if id and id ~= ARGV[3] then return {id, 0} end
local n = redis.call('INCR', KEYS[2])
local newId = ARGV[2] .. n
local doc = string.gsub(ARGV[1], '__INCIDENT_ID__', newId)
redis.call('SET', ARGV[4] .. newId, doc)
redis.call('SET', KEYS[1], newId)
redis.call('SADD', KEYS[3], newId)
redis.call('ZADD', KEYS[4], ARGV[5], newId)
return {newId, 1}
`;

/** CAS on a string key: set ARGV[2] only if the current value equals ARGV[1] ('' = absent). */
const CAS = `
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * CAS on an incident document that also keeps its indexes in the same step: the open set (ARGV[4] = '1'
 * adds, '0' removes) and the channel -> incident mapping (ARGV[5], a full key, or ''). Done apart, a late
 * index write of one update could undo a newer one (a resolve's SREM after a reopen's SADD).
 */
const CAS_INCIDENT = `
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) else redis.call('SREM', KEYS[2], ARGV[3]) end
  if ARGV[5] ~= '' then redis.call('SET', ARGV[5], ARGV[3]) end
  return 1
end
return 0
`;

/** CAS on a hash field. */
const HCAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur == false and ARGV[2] == '') or cur == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
`;

/** Append with optional dedupe: the dedupe key keeps the exact entry so it can be removed later. */
const APPEND = `
if ARGV[2] ~= '' then
  if redis.call('SET', KEYS[2], ARGV[1], 'NX') == false then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
`;

const REMOVE = `
local entry = redis.call('GET', KEYS[2])
if entry == false then return 0 end
redis.call('LREM', KEYS[1], 1, entry)
redis.call('DEL', KEYS[2])
return 1
`;

const CAS_ATTEMPTS = 50;

export interface RedisStoreOptions {
  /** Key prefix, so tests and tenants can share a Redis. */
  prefix?: string;
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new AppError('internal', `stored ${what} is invalid: ${r.error.message}`);
  return r.data;
}

/** Wraps Redis connection failures as AppError('unavailable') so callers answer 503 / retry. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError) throw e;
    // Invalid data (a value that fails its schema, unparseable JSON) is not Redis being down: no retry helps.
    if (e instanceof z.ZodError || e instanceof SyntaxError) throw new AppError('internal', `invalid data: ${e.message}`, { cause: e });
    throw new AppError('unavailable', `redis: ${(e as Error).message}`, { cause: e });
  }
}

export function createRedisStore(redis: Redis, opts: RedisStoreOptions = {}): IncidentStore {
  const p = opts.prefix ?? 'wr:';
  const k = {
    seq: `${p}seq`,
    open: `${p}open`,
    all: `${p}all`,
    byKey: (key: string) => `${p}key:${key}`,
    inc: (id: string) => `${p}inc:${id}`,
    chan: (channelId: string) => `${p}chan:${channelId}`,
    alerts: (id: string) => `${p}alerts:${id}`,
    tl: (id: string) => `${p}tl:${id}`,
    tlDedupe: (id: string, d: string) => `${p}tld:${id}:${d}`,
    once: (key: string) => `${p}once:${key}`,
    doc: (key: string) => `${p}doc:${key}`,
    list: (key: string) => `${p}list:${key}`,
    findings: (id: string, run: string) => `${p}find:${id}:${run}`,
    findingRuns: (id: string) => `${p}findruns:${id}`,
    prop: (id: string) => `${p}prop:${id}`,
    props: (incidentId: string) => `${p}props:${incidentId}`,
  };

  async function casLoop<T>(key: string, schema: z.ZodType<T>, what: string, change: (v: T) => T | undefined, write?: (cur: string, nextText: string, next: T) => Promise<unknown>): Promise<T | undefined> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const cur = await redis.get(key);
      if (cur === null) return undefined;
      const next = change(parseJson(schema, cur, what));
      if (next === undefined) return parseJson(schema, cur, what);
      const parsed = schema.parse(next);
      const nextText = JSON.stringify(parsed);
      if (nextText === cur) return parsed;
      const ok = write ? await write(cur, nextText, parsed) : await redis.eval(CAS, 1, key, cur, nextText);
      if (ok === 1) return parsed;
    }
    throw new AppError('conflict', `too many concurrent updates of ${what}`);
  }

  /** CAS on an incident with its open-set membership and channel mapping in the same script. */
  const casIncident = (id: string, change: (i: Incident) => Incident | undefined) =>
    casLoop(k.inc(id), Incident, 'incident', change, (cur, nextText, next) =>
      redis.eval(CAS_INCIDENT, 2, k.inc(id), k.open, cur, nextText, id, next.status === 'resolved' ? '0' : '1', next.channelId ? k.chan(next.channelId) : ''),
    );

  async function loadIncident(id: string): Promise<Incident | undefined> {
    const text = await redis.get(k.inc(id));
    return text === null ? undefined : parseJson(Incident, text, 'incident');
  }

  const store: IncidentStore = {
    getOrCreateIncident: (input: CreateIncidentInput, now: Date, reopenWindowMs: number) =>
      guard(async () => {
        const nowIso = now.toISOString();
        const template: Incident = Incident.parse({
          id: '__INCIDENT_ID__',
          key: input.key,
          title: input.title,
          severity: input.severity,
          status: 'triggered',
          source: input.source,
          route: input.route,
          responders: input.responders,
          roles: {},
          createdAt: nowIso,
          updatedAt: nowIso,
          reopenCount: 0,
        });
        const run = async (replaceId: string) =>
          (await redis.eval(GET_OR_CREATE, 4, k.byKey(input.key), k.seq, k.open, k.all, JSON.stringify(template), 'INC-', replaceId, k.inc(''), String(now.getTime()))) as [string, number];

        let [id, created] = await run('');
        for (let attempt = 0; attempt < 5; attempt++) {
          const incident = await loadIncident(id);
          if (!incident) throw new AppError('internal', `incident ${id} vanished`);
          if (created === 1) return { incident, created: true, reopened: false };
          if (incident.status !== 'resolved') return { incident, created: false, reopened: false };
          const resolvedAt = incident.resolvedAt ? Date.parse(incident.resolvedAt) : 0;
          if (now.getTime() - resolvedAt <= reopenWindowMs) {
            let reopenedHere = false;
            const next = await casIncident(id, (cur) => {
              reopenedHere = false;
              if (cur.status !== 'resolved') return undefined;
              reopenedHere = true;
              const { resolvedAt: _r, resolvedBy: _b, ...rest } = cur;
              return { ...rest, status: 'triggered' as const, reopenCount: cur.reopenCount + 1, updatedAt: nowIso };
            });
            if (!next) throw new AppError('internal', `incident ${id} vanished`);
            return { incident: next, created: false, reopened: reopenedHere };
          }
          // Resolved long ago: a new incident replaces it for this key (exactly one caller creates it).
          [id, created] = await run(id);
        }
        throw new AppError('conflict', `could not settle the incident for key ${input.key}`);
      }),

    getIncident: (id) => guard(() => loadIncident(id)),

    findByKey: (key) =>
      guard(async () => {
        const id = await redis.get(k.byKey(key));
        return id ? loadIncident(id) : undefined;
      }),

    findByChannel: (channelId) =>
      guard(async () => {
        const id = await redis.get(k.chan(channelId));
        return id ? loadIncident(id) : undefined;
      }),

    updateIncident: (id, change) =>
      guard(async () => {
        const next = await casIncident(id, change);
        if (!next) throw new AppError('not_found', `no incident ${id}`);
        return next;
      }),

    listOpen: () =>
      guard(async () => {
        const ids = (await redis.smembers(k.open)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
        const all = await Promise.all(ids.map(loadIncident));
        return all.filter((i): i is Incident => i !== undefined && i.status !== 'resolved');
      }),

    listAll: (limit) =>
      guard(async () => {
        const ids = await redis.zrevrange(k.all, 0, Math.max(0, limit - 1));
        const all = await Promise.all(ids.map(loadIncident));
        return all.filter((i): i is Incident => i !== undefined);
      }),

    upsertAlert: (incidentId, alert: Alert, now) =>
      guard(async () => {
        const key = k.alerts(incidentId);
        const nowIso = now.toISOString();
        for (let i = 0; i < CAS_ATTEMPTS; i++) {
          const curText = await redis.hget(key, alert.fingerprint);
          const previous = curText ? parseJson(IncidentAlert, curText, 'alert') : undefined;
          const statusKey = (a: { status: string; cloudwatch?: { state: string } | undefined }) => a.cloudwatch?.state ?? a.status;
          const changed = !previous || statusKey(previous) !== statusKey(alert) || previous.startsAt !== alert.startsAt;
          const current: IncidentAlert = IncidentAlert.parse({
            ...alert,
            firstSeenAt: previous?.firstSeenAt ?? nowIso,
            lastSeenAt: nowIso,
            transitions: changed ? [...(previous?.transitions ?? []), { at: alert.status === 'resolved' ? (alert.endsAt ?? nowIso) : alert.startsAt, status: statusKey(alert) }] : (previous?.transitions ?? []),
          });
          // Redeliveries of an unchanged alert do not write at all.
          if (!changed) return { changed: false, previous, current: previous };
          const ok = await redis.eval(HCAS, 1, key, alert.fingerprint, curText ?? '', JSON.stringify(current));
          if (ok === 1) return { changed: true, previous, current };
        }
        throw new AppError('conflict', 'too many concurrent updates of one alert');
      }),

    listAlerts: (incidentId) =>
      guard(async () => {
        const all = await redis.hvals(k.alerts(incidentId));
        return all.map((t) => parseJson(IncidentAlert, t, 'alert')).sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.fingerprint.localeCompare(b.fingerprint));
      }),

    appendTimeline: (incidentId, event, dedupeId) =>
      guard(async () => {
        const entry = JSON.stringify(TimelineEvent.parse(event));
        const r = await redis.eval(APPEND, 2, k.tl(incidentId), k.tlDedupe(incidentId, dedupeId ?? '-'), entry, dedupeId ?? '');
        return r === 1;
      }),

    removeTimeline: (incidentId, dedupeId) =>
      guard(async () => (await redis.eval(REMOVE, 2, k.tl(incidentId), k.tlDedupe(incidentId, dedupeId))) === 1),

    timeline: (incidentId) =>
      guard(async () => {
        const all = await redis.lrange(k.tl(incidentId), 0, -1);
        // Stable: by time, ties in insertion order.
        return all
          .map((t, i) => ({ e: parseJson(TimelineEvent, t, 'timeline event'), i }))
          .sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i)
          .map((x) => x.e);
      }),

    claimOnce: (key, ttlMs) =>
      guard(async () => {
        const r = ttlMs > 0 ? await redis.set(k.once(key), '1', 'PX', ttlMs, 'NX') : await redis.set(k.once(key), '1', 'NX');
        return r === 'OK';
      }),

    getDoc: <T>(key: string) =>
      guard(async () => {
        const t = await redis.get(k.doc(key));
        return t === null ? undefined : (JSON.parse(t) as T);
      }),

    pushDoc: (key, value) =>
      guard(async () => {
        await redis.rpush(k.list(key), JSON.stringify(value));
      }),

    listDocs: <T>(key: string) =>
      guard(async () => (await redis.lrange(k.list(key), 0, -1)).map((t) => JSON.parse(t) as T)),

    setDoc: (key, value, ttlMs) =>
      guard(async () => {
        if (ttlMs) await redis.set(k.doc(key), JSON.stringify(value), 'PX', ttlMs);
        else await redis.set(k.doc(key), JSON.stringify(value));
      }),

    saveFinding: (incidentId, runId, finding) =>
      guard(async () => {
        const tx = redis.multi();
        tx.hsetnx(k.findings(incidentId, runId), finding.id, JSON.stringify(Finding.parse(finding)));
        tx.zadd(k.findingRuns(incidentId), 'NX', String(Date.now()), runId);
        const r = await tx.exec();
        return r?.[0]?.[1] === 1;
      }),

    listFindings: (incidentId, runId) =>
      guard(async () => {
        const run = runId ?? (await redis.zrevrange(k.findingRuns(incidentId), 0, 0))[0];
        if (!run) return [];
        const all = await redis.hvals(k.findings(incidentId, run));
        return all.map((t) => parseJson(Finding, t, 'finding')).sort((a, b) => a.id.localeCompare(b.id));
      }),

    saveProposal: (proposal) =>
      guard(async () => {
        const tx = redis.multi();
        tx.set(k.prop(proposal.id), JSON.stringify(Proposal.parse(proposal)));
        tx.zadd(k.props(proposal.incidentId), String(Date.parse(proposal.requestedAt)), proposal.id);
        await tx.exec();
      }),

    getProposal: (id) =>
      guard(async () => {
        const t = await redis.get(k.prop(id));
        return t === null ? undefined : parseJson(Proposal, t, 'proposal');
      }),

    updateProposal: (id, change) => guard(() => casLoop(k.prop(id), Proposal, 'proposal', change)),

    listProposals: (incidentId) =>
      guard(async () => {
        const ids = await redis.zrange(k.props(incidentId), '0', '-1');
        const all = await Promise.all(ids.map(async (id) => {
          const t = await redis.get(k.prop(id));
          return t === null ? undefined : parseJson(Proposal, t, 'proposal');
        }));
        return all.filter((x): x is Proposal => x !== undefined);
      }),

    ping: async () => {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
  };
  return store;
}
