/**
 * What the Redis stores share: the key layout (one place, so the stores of one installation never
 * collide), the error mapping and the compare-and-set loop.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Change, Updated } from '../../workflows/ports.js';

export interface RedisStoreOptions {
  /** Key prefix, so tests and tenants can share a Redis. */
  prefix?: string;
}

/** Every key the stores write. The layout is what earlier versions wrote: upgrades keep their data. */
export function keysOf(prefix = 'wr:') {
  const p = prefix;
  return {
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
    counter: (key: string) => `${p}ctr:${key}`,
    value: (key: string) => `${p}val:${key}`,
    doc: (key: string) => `${p}doc:${key}`,
    list: (key: string) => `${p}list:${key}`,
    findings: (id: string, run: string) => `${p}find:${id}:${run}`,
    findingRuns: (id: string) => `${p}findruns:${id}`,
    prop: (id: string) => `${p}prop:${id}`,
    props: (incidentId: string) => `${p}props:${incidentId}`,
  };
}
export type Keys = ReturnType<typeof keysOf>;

/** CAS on a string key: set ARGV[2] only if the current value equals ARGV[1] ('' = absent). */
export const CAS = `
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

const CAS_ATTEMPTS = 50;

export function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new AppError('internal', `stored ${what} is invalid: ${r.error.message}`);
  return r.data;
}

/** Wraps Redis connection failures as AppError('unavailable') so callers answer 503 / retry. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError) throw e;
    // Invalid data (a value that fails its schema, unparseable JSON) is not Redis being down: no retry helps.
    if (e instanceof z.ZodError || e instanceof SyntaxError) throw new AppError('internal', `invalid data: ${e.message}`, { cause: e });
    throw new AppError('unavailable', `redis: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Compare-and-set of one JSON document, retried on races. `write` replaces the plain CAS when the
 * document keeps indexes in the same step. Undefined when the key does not exist.
 */
export async function casLoop<T>(
  redis: Redis,
  key: string,
  schema: z.ZodType<T>,
  what: string,
  change: Change<T>,
  write?: (cur: string, nextText: string, next: T) => Promise<unknown>,
): Promise<Updated<T> | undefined> {
  for (let i = 0; i < CAS_ATTEMPTS; i++) {
    const cur = await redis.get(key);
    if (cur === null) return undefined;
    const next = change(parseJson(schema, cur, what));
    if (next === undefined) return { value: parseJson(schema, cur, what), changed: false };
    const parsed = schema.parse(next);
    const nextText = JSON.stringify(parsed);
    if (nextText === cur) return { value: parsed, changed: true };
    const ok = write ? await write(cur, nextText, parsed) : await redis.eval(CAS, 1, key, cur, nextText);
    if (ok === 1) return { value: parsed, changed: true };
  }
  throw new AppError('conflict', `too many concurrent updates of ${what}`);
}

/** Adds `value` to a list once per claim key (one script: a crash cannot claim without adding). */
export const ADD_ONCE = `
local ok
if tonumber(ARGV[2]) > 0 then ok = redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'NX') else ok = redis.call('SET', KEYS[1], '1', 'NX') end
if ok == false then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
`;
