/** The Redis stores, one per concern, sharing one connection and key prefix. */
import type { Redis } from 'ioredis';
import type { Stores } from '../../workflows/ports.js';
import { createRedisClaims } from './claims.js';
import { keysOf, type RedisStoreOptions } from './common.js';
import { createRedisDiagnosis } from './diagnosis.js';
import { createRedisIncidents } from './incidents.js';
import { createRedisProposals } from './proposals.js';
import { createRedisTimeline } from './timeline.js';

export type { RedisStoreOptions };

export function createRedisStores(redis: Redis, opts: RedisStoreOptions = {}): Stores {
  const k = keysOf(opts.prefix);
  return {
    incidents: createRedisIncidents(redis, k),
    timeline: createRedisTimeline(redis, k),
    proposals: createRedisProposals(redis, k),
    diagnosis: createRedisDiagnosis(redis, k),
    claims: createRedisClaims(redis, k),
  };
}
