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
  };
}
