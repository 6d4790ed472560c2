import type { Redis } from 'ioredis';
import { TimelineEvent } from '../../domain/timeline.js';
import type { TimelineStore } from '../../workflows/ports.js';
import { guard, parseJson, type Keys } from './common.js';

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

export function createRedisTimeline(redis: Redis, k: Keys): TimelineStore {
  return {
    append: (incidentId, event, dedupeId) =>
      guard(async () => {
        const entry = JSON.stringify(TimelineEvent.parse(event));
        const r = await redis.eval(APPEND, 2, k.tl(incidentId), k.tlDedupe(incidentId, dedupeId ?? '-'), entry, dedupeId ?? '');
        return r === 1;
      }),

    remove: (incidentId, dedupeId) => guard(async () => (await redis.eval(REMOVE, 2, k.tl(incidentId), k.tlDedupe(incidentId, dedupeId))) === 1),

    list: (incidentId) =>
      guard(async () => {
        const all = await redis.lrange(k.tl(incidentId), 0, -1);
        // Stable: by time, ties in insertion order.
        return all
          .map((t, i) => ({ e: parseJson(TimelineEvent, t, 'timeline event'), i }))
          .sort((a, b) => a.e.at.localeCompare(b.e.at) || a.i - b.i)
          .map((x) => x.e);
      }),
  };
}
