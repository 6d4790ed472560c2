import type { Redis } from 'ioredis';
import type { ClaimStore } from '../../workflows/ports.js';
import { guard, type Keys } from './common.js';

export function createRedisClaims(redis: Redis, k: Keys): ClaimStore {
  return {
    claimOnce: (key, ttlMs) =>
      guard(async () => {
        const r = ttlMs > 0 ? await redis.set(k.once(key), '1', 'PX', ttlMs, 'NX') : await redis.set(k.once(key), '1', 'NX');
        return r === 'OK';
      }),
    count: (key) => guard(async () => Number((await redis.get(k.counter(key))) ?? 0)),
    increment: (key, ttlMs) =>
      guard(async () => {
        const n = await redis.incr(k.counter(key));
        if (n === 1 && ttlMs > 0) await redis.pexpire(k.counter(key), ttlMs);
        return n;
      }),
    getValue: (key) => guard(async () => (await redis.get(k.value(key))) ?? undefined),
    setValue: (key, value, ttlMs) =>
      guard(async () => {
        if (ttlMs > 0) await redis.set(k.value(key), value, 'PX', ttlMs);
        else await redis.set(k.value(key), value);
      }),
  };
}
