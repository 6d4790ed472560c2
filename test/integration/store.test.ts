import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStores } from '../../src/integrations/redis/index.js';
import type { Stores } from '../../src/workflows/ports.js';
import { storeContract } from '../support/store-contract.js';

/** Six connections on one prefix: caller i uses connection i mod 6, so commands really interleave on the server. */
storeContract('Redis stores (real Redis, six connections)', async () => {
  const prefix = `sc${randomUUID().slice(0, 8)}:`;
  const clients = Array.from({ length: 6 }, () => new Redis(inject('redisUrl')));
  const stores = clients.map((r) => createRedisStores(r, { prefix }));
  return {
    stores: (i = 0) => stores[i % stores.length] as Stores,
    elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
    close: async () => {
      const keys = await clients[0]?.keys(`${prefix}*`);
      if (keys?.length) await clients[0]?.del(...keys);
      for (const c of clients) c.disconnect();
    },
  };
});

describe('Redis stores: what only Redis has', () => {
  let redis: Redis;
  let stores: Stores;
  let prefix: string;
  const T0 = new Date('2026-11-21T09:00:00.000Z');
  const input = (key: string) => ({ key, title: `Incident for ${key}`, severity: 'SEV2' as const, source: 'alertmanager' as const, route: 'default', responders: [] });

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    prefix = `st${randomUUID().slice(0, 8)}:`;
    stores = createRedisStores(redis, { prefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('a change that changes nothing writes nothing', async () => {
    const { incident } = await stores.incidents.getOrCreate(input('k-noop'), T0, 60_000);
    const before = await redis.get(`${prefix}inc:${incident.id}`);
    expect((await stores.incidents.update(incident.id, () => undefined)).changed).toBe(false);
    expect(await redis.get(`${prefix}inc:${incident.id}`)).toBe(before);
  });

  it('keeps the open set in the same step as the status, under racing resolves and reopens', async () => {
    const { incident } = await stores.incidents.getOrCreate(input('k-open'), T0, 60_000);
    const others = Array.from({ length: 4 }, () => createRedisStores(new Redis(inject('redisUrl')), { prefix }));
    for (let round = 0; round < 5; round++) {
      const resolvedAt = new Date(T0.getTime() + round * 1000).toISOString();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const s = others[i % others.length] as Stores;
          return i % 2 === 0 ? s.incidents.update(incident.id, (cur) => ({ ...cur, status: 'resolved', resolvedAt })) : s.incidents.getOrCreate(input('k-open'), new Date(T0.getTime() + round * 1000 + 10), 60_000);
        }),
      );
      const cur = await stores.incidents.get(incident.id);
      expect((await redis.sismember(`${prefix}open`, incident.id)) === 1).toBe(cur?.status !== 'resolved');
    }
  });

  it('reads the keys earlier versions wrote (an upgrade keeps a running diagnosis)', async () => {
    const run = { incidentId: 'INC-77', runId: 'r1' };
    await redis.set(`${prefix}doc:diag-progress-ts-INC-77-r1`, JSON.stringify('1700000000.000200'));
    await redis.rpush(`${prefix}list:diag-scheduled-INC-77-r1`, JSON.stringify({ check: 'pods', subject: 'wl/prod/api' }));
    await redis.rpush(`${prefix}list:diag-done-INC-77-r1`, JSON.stringify({ check: 'pods · wl/prod/api', ok: true, title: 'fine' }));
    await redis.rpush(`${prefix}list:diag-subjects-INC-77-r1`, JSON.stringify('wl/prod/api'));
    await redis.set(`${prefix}doc:diag-finished-INC-77-r1`, 'true');
    expect(await stores.diagnosis.getProgressTs(run)).toBe('1700000000.000200');
    expect(await stores.diagnosis.scheduledCount(run)).toBe(1);
    expect(await stores.diagnosis.listDone(run)).toEqual([{ check: 'pods · wl/prod/api', ok: true, title: 'fine' }]);
    expect(await stores.diagnosis.listSubjects(run)).toEqual(['wl/prod/api']);
    expect(await stores.diagnosis.isFinished(run)).toBe(true);
  });

  it('reports Redis being down as unavailable', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const s = createRedisStores(dead, { prefix: 'dead:' });
    await expect(s.incidents.get('INC-1')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(s.claims.claimOnce('x', 0)).rejects.toMatchObject({ code: 'unavailable' });
    dead.disconnect();
  });
});
