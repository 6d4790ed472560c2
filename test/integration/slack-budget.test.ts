/**
 * The Slack budget's GCRA on real Redis (its Lua script), with the clock passed in: a method paces to
 * its documented tier across clients (replicas), chat.postMessage per channel, lanes spend different
 * shares of the burst, a 429 pauses the method for everyone, and a paced client never meets the
 * emulator's documented limits (the same tiers, domain/slack-tiers.ts).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CHANNEL_PACE, createRedisBudget, laneBurst, methodPace } from '../../src/integrations/slack/budget.js';
import { RateLimiter } from '../../src/sandbox/slack/rate-limit.js';

const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

function replicas(n: number, now: () => number) {
  const prefix = `sb-${randomUUID().slice(0, 8)}:`;
  return Array.from({ length: n }, () => {
    const r = new Redis(inject('redisUrl'));
    clients.push(r);
    return createRedisBudget(r, { prefix, now });
  });
}

describe('Slack budget (GCRA in Redis)', () => {
  it('paces a Tier 2 method across replicas: the burst, then one call per interval', async () => {
    let t = 1_000_000;
    const [a, b] = replicas(2, () => t);
    if (!a || !b) throw new Error('setup');
    const pace = methodPace('conversations.create');
    expect(pace).toEqual({ intervalMs: Math.ceil(60_000 / 18), burst: 4 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).take('conversations.create', { lane: 'work' })));
    expect(results.filter((w) => w === 0)).toHaveLength(4);
    const waits = results.filter((w) => w > 0);
    expect(Math.min(...waits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(pace?.intervalMs ?? 0);
    t += pace?.intervalMs ?? 0;
    expect(await a.take('conversations.create', { lane: 'work' })).toBe(0);
    expect(await b.take('conversations.create', { lane: 'work' })).toBeGreaterThan(0);
    // Another method has its own allowance.
    expect(await b.take('pins.add', { lane: 'work' })).toBe(0);
  });

  it('decoration spends half the burst, a person a little more than the burst', async () => {
    const t = 2_000_000;
    const [a] = replicas(1, () => t);
    if (!a) throw new Error('setup');
    const pace = methodPace('chat.update');
    if (!pace) throw new Error('chat.update has a tier');
    let decoration = 0;
    while ((await a.take('chat.update', { lane: 'decoration' })) === 0) decoration++;
    expect(decoration).toBe(laneBurst(pace, 'decoration'));
    let interactive = decoration;
    while ((await a.take('chat.update', { lane: 'interactive' })) === 0) interactive++;
    expect(interactive).toBe(laneBurst(pace, 'interactive'));
    expect(laneBurst(pace, 'interactive')).toBeGreaterThan(pace.burst);
  });

  it('chat.postMessage per channel, and a 429 pauses the method for every replica until Retry-After', async () => {
    let t = 3_000_000;
    const [a, b] = replicas(2, () => t);
    if (!a || !b) throw new Error('setup');
    for (let i = 0; i < CHANNEL_PACE.burst; i++) expect(await a.take('chat.postMessage', { channel: 'C1', lane: 'work' })).toBe(0);
    expect(await b.take('chat.postMessage', { channel: 'C1', lane: 'work' })).toBeGreaterThan(0);
    expect(await b.take('chat.postMessage', { channel: 'C2', lane: 'work' })).toBe(0);
    await a.penalise('users.info', 5_000);
    expect(await b.take('users.info', { lane: 'interactive' })).toBeGreaterThan(4_000);
    t += 5_000;
    expect(await b.take('users.info', { lane: 'work' })).toBe(0);
  });

  it('a client that takes tokens before each call never meets the emulator\'s documented limits', async () => {
    let t = 4_000_000;
    const [a] = replicas(1, () => t);
    if (!a) throw new Error('setup');
    const emulator = new RateLimiter();
    let calls = 0;
    let refused = 0;
    // Ten minutes of a client calling as fast as the budget lets it, in every lane.
    for (; t < 4_000_000 + 600_000; t += 250) {
      for (const [method, channel] of [['conversations.create', undefined], ['chat.update', undefined], ['chat.postMessage', 'C9']] as const) {
        const lane = calls % 3 === 0 ? 'interactive' : calls % 3 === 1 ? 'work' : 'decoration';
        if ((await a.take(method, { ...(channel ? { channel } : {}), lane })) > 0) continue;
        calls++;
        if (emulator.check(method, t, channel) > 0) refused++;
      }
    }
    expect(calls).toBeGreaterThan(600);
    expect(refused).toBe(0);
  });
});
