import type { TestProject } from 'vitest/node';
import { startRedis, type RedisServer } from './redis.js';

let redis: RedisServer | undefined;

/** One shared redis-server for tests that do not restart it; tests use their own key prefixes and queue names. */
export async function setup(project: TestProject): Promise<void> {
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
