/**
 * Incidents and their alerts on Redis. Every multi-step change is one Lua script or a compare-and-set
 * retried on races, so concurrent deliveries, replicas and redeliveries agree on one incident.
 */
import type { Redis } from 'ioredis';
import { Incident, IncidentAlert } from '../../domain/incident.js';
import { byFirstSeen, newIncident, nextAlert, reopen, withinReopenWindow } from '../../domain/incident-state.js';
import { AppError } from '../../errors.js';
import type { IncidentStore } from '../../workflows/ports.js';
import { casLoop, guard, parseJson, type Keys } from './common.js';

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

const ALERT_CAS_ATTEMPTS = 50;

export function createRedisIncidents(redis: Redis, k: Keys): IncidentStore {
  /** CAS on an incident with its open-set membership and channel mapping in the same script. */
  const casIncident = (id: string, change: (cur: Incident) => Incident | undefined) =>
    casLoop(redis, k.inc(id), Incident, 'incident', change, (cur, nextText, next) =>
      redis.eval(CAS_INCIDENT, 2, k.inc(id), k.open, cur, nextText, id, next.status === 'resolved' ? '0' : '1', next.channelId ? k.chan(next.channelId) : ''),
    );

  async function load(id: string): Promise<Incident | undefined> {
    const text = await redis.get(k.inc(id));
    return text === null ? undefined : parseJson(Incident, text, 'incident');
  }

  return {
    getOrCreate: (input, now, reopenWindowMs) =>
      guard(async () => {
        const nowIso = now.toISOString();
        const template = newIncident(input, '__INCIDENT_ID__', nowIso);
        const run = async (replaceId: string) =>
          (await redis.eval(GET_OR_CREATE, 4, k.byKey(input.key), k.seq, k.open, k.all, JSON.stringify(template), 'INC-', replaceId, k.inc(''), String(now.getTime()))) as [string, number];

        let [id, created] = await run('');
        for (let attempt = 0; attempt < 5; attempt++) {
          const incident = await load(id);
          if (!incident) throw new AppError('internal', `incident ${id} vanished`);
          if (created === 1) return { incident, created: true, reopened: false };
          if (incident.status !== 'resolved') return { incident, created: false, reopened: false };
          if (withinReopenWindow(incident, now, reopenWindowMs)) {
            const next = await casIncident(id, reopen(nowIso));
            if (!next) throw new AppError('internal', `incident ${id} vanished`);
            return { incident: next.value, created: false, reopened: next.changed };
          }
          // Resolved long ago: a new incident replaces it for this key (exactly one caller creates it).
          [id, created] = await run(id);
        }
        throw new AppError('conflict', `could not settle the incident for key ${input.key}`);
      }),

    get: (id) => guard(() => load(id)),

    findByKey: (key) =>
      guard(async () => {
        const id = await redis.get(k.byKey(key));
        return id ? load(id) : undefined;
      }),

    findByChannel: (channelId) =>
      guard(async () => {
        const id = await redis.get(k.chan(channelId));
        return id ? load(id) : undefined;
      }),

    update: (id, change) =>
      guard(async () => {
        const next = await casIncident(id, change);
        if (!next) throw new AppError('not_found', `no incident ${id}`);
        return next;
      }),

    listOpen: () =>
      guard(async () => {
        const ids = (await redis.smembers(k.open)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
        const all = await Promise.all(ids.map(load));
        return all.filter((i): i is Incident => i !== undefined && i.status !== 'resolved');
      }),

    listAll: (limit) =>
      guard(async () => {
        const ids = await redis.zrevrange(k.all, 0, Math.max(0, limit - 1));
        const all = await Promise.all(ids.map(load));
        return all.filter((i): i is Incident => i !== undefined);
      }),

    upsertAlert: (incidentId, alert, now) =>
      guard(async () => {
        const key = k.alerts(incidentId);
        for (let i = 0; i < ALERT_CAS_ATTEMPTS; i++) {
          const curText = await redis.hget(key, alert.fingerprint);
          const previous = curText ? parseJson(IncidentAlert, curText, 'alert') : undefined;
          const { changed, current } = nextAlert(previous, alert, now.toISOString());
          // Redeliveries of an unchanged alert do not write at all.
          if (!changed) return { changed: false, previous, current };
          const ok = await redis.eval(HCAS, 1, key, alert.fingerprint, curText ?? '', JSON.stringify(current));
          if (ok === 1) return { changed: true, previous, current };
        }
        throw new AppError('conflict', 'too many concurrent updates of one alert');
      }),

    listAlerts: (incidentId) =>
      guard(async () => {
        const all = await redis.hvals(k.alerts(incidentId));
        return all.map((t) => parseJson(IncidentAlert, t, 'alert')).sort(byFirstSeen);
      }),
  };
}
