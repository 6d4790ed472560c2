import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { TimelineEvent } from '../../src/domain/timeline.js';
import { AppError } from '../../src/errors.js';
import { createRedisStore } from '../../src/integrations/redis/store.js';
import type { CreateIncidentInput, IncidentStore } from '../../src/workflows/ports.js';

const WINDOW = 30 * 60_000;
const T0 = new Date('2026-11-21T09:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function input(key: string): CreateIncidentInput {
  return { key, title: `Incident for ${key}`, severity: 'SEV2', source: 'alertmanager', route: 'default', responders: ['U0ONCALL1'] };
}

function ev(atIso: string, text: string, kind: TimelineEvent['kind'] = 'incident.note'): TimelineEvent {
  return { at: atIso, kind, actor: 'U0ONCALL1', text };
}

function alert(fingerprint: string, status: 'firing' | 'resolved', startsAt = '2026-11-21T08:56:53Z'): Alert {
  return {
    source: 'alertmanager',
    fingerprint,
    status,
    name: 'HighErrorRate',
    severity: 'SEV2',
    labels: { alertname: 'HighErrorRate', service: 'checkout' },
    annotations: {},
    startsAt,
    ...(status === 'resolved' ? { endsAt: '2026-11-21T09:30:00Z' } : {}),
    links: [],
  };
}

describe('Redis incident store (real Redis)', () => {
  let redis: Redis;
  let store: IncidentStore;
  let prefix: string;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    prefix = `st${randomUUID().slice(0, 8)}:`;
    store = createRedisStore(redis, { prefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('creates one incident per key with monotonic ids, and finds it by key and id', async () => {
    const a = await store.getOrCreateIncident(input('k-a'), T0, WINDOW);
    const b = await store.getOrCreateIncident(input('k-b'), T0, WINDOW);
    expect(a.created).toBe(true);
    expect(b.created).toBe(true);
    expect(a.incident.id).toMatch(/^INC-\d+$/);
    expect(Number(b.incident.id.slice(4))).toBe(Number(a.incident.id.slice(4)) + 1);
    expect(a.incident).toMatchObject({ key: 'k-a', status: 'triggered', severity: 'SEV2', reopenCount: 0, createdAt: T0.toISOString(), responders: ['U0ONCALL1'] });
    const again = await store.getOrCreateIncident(input('k-a'), at(1000), WINDOW);
    expect(again).toMatchObject({ created: false, reopened: false });
    expect(again.incident.id).toBe(a.incident.id);
    expect((await store.findByKey('k-a'))?.id).toBe(a.incident.id);
    expect((await store.getIncident(a.incident.id))?.title).toBe('Incident for k-a');
    expect(await store.findByKey('k-none')).toBeUndefined();
    expect(await store.getIncident('INC-999999999')).toBeUndefined();
  });

  it('reopens a resolved incident within the reopen window, and opens a new one after it', async () => {
    const first = (await store.getOrCreateIncident(input('k-flap'), T0, WINDOW)).incident;
    await store.updateIncident(first.id, (i) => ({ ...i, status: 'resolved', resolvedAt: at(60_000).toISOString(), resolvedBy: 'U0ONCALL1' }));
    expect((await store.listOpen()).map((i) => i.id)).not.toContain(first.id);

    // Exactly at the end of the window still reopens.
    const reopened = await store.getOrCreateIncident(input('k-flap'), at(60_000 + WINDOW), WINDOW);
    expect(reopened).toMatchObject({ created: false, reopened: true });
    expect(reopened.incident.id).toBe(first.id);
    expect(reopened.incident.status).toBe('triggered');
    expect(reopened.incident.reopenCount).toBe(1);
    expect(reopened.incident.resolvedAt).toBeUndefined();
    expect(reopened.incident.resolvedBy).toBeUndefined();
    expect((await store.listOpen()).map((i) => i.id)).toContain(first.id);
    // A further re-fire while open is just the same incident.
    expect(await store.getOrCreateIncident(input('k-flap'), at(60_000 + WINDOW + 1), WINDOW)).toMatchObject({ created: false, reopened: false });

    // Resolved again, and the next re-fire comes one millisecond after the window: a new incident.
    const resolvedAt = at(2 * WINDOW);
    await store.updateIncident(first.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAt.toISOString() }));
    const fresh = await store.getOrCreateIncident(input('k-flap'), new Date(resolvedAt.getTime() + WINDOW + 1), WINDOW);
    expect(fresh.created).toBe(true);
    expect(fresh.reopened).toBe(false);
    expect(fresh.incident.id).not.toBe(first.id);
    expect(fresh.incident.reopenCount).toBe(0);
    expect((await store.findByKey('k-flap'))?.id).toBe(fresh.incident.id);
    expect((await store.getIncident(first.id))?.status).toBe('resolved');
    const all = (await store.listAll(100)).map((i) => i.id);
    expect(all).toEqual(expect.arrayContaining([first.id, fresh.incident.id]));
  });

  it('updateIncident maps channels, keeps the open set, refuses unknown ids, and a no-op change writes nothing', async () => {
    const { incident } = await store.getOrCreateIncident(input('k-upd'), T0, WINDOW);
    const channelId = `C${randomUUID().slice(0, 8).toUpperCase()}`;
    const updated = await store.updateIncident(incident.id, (i) => ({ ...i, channelId, channelName: 'inc-x' }));
    expect(updated.channelId).toBe(channelId);
    expect((await store.findByChannel(channelId))?.id).toBe(incident.id);
    expect(await store.findByChannel('CNOTHING')).toBeUndefined();

    const before = await redis.get(`${prefix}inc:${incident.id}`);
    const same = await store.updateIncident(incident.id, () => undefined);
    expect(same.id).toBe(incident.id);
    expect(await redis.get(`${prefix}inc:${incident.id}`)).toBe(before);

    await expect(store.updateIncident('INC-424242424', (i) => i)).rejects.toMatchObject({ code: 'not_found' });
    // A change that breaks the schema is refused as invalid data, not reported as Redis being down.
    const bad = store.updateIncident(incident.id, (i) => ({ ...i, severity: 'SEV9' as never }));
    await expect(bad).rejects.toBeInstanceOf(AppError);
    await expect(bad).rejects.toMatchObject({ code: 'internal' });
    expect((await store.getIncident(incident.id))?.severity).toBe('SEV2');
  });

  it('timeline: appends in time order, dedupes by id, removes by id and allows re-adding', async () => {
    const { incident } = await store.getOrCreateIncident(input('k-tl'), T0, WINDOW);
    const id = incident.id;
    expect(await store.appendTimeline(id, ev('2026-11-21T09:05:00.000Z', 'second'))).toBe(true);
    expect(await store.appendTimeline(id, ev('2026-11-21T09:01:00.000Z', 'first'))).toBe(true);
    expect(await store.appendTimeline(id, ev('2026-11-21T09:05:00.000Z', 'second tie'))).toBe(true);
    expect((await store.timeline(id)).map((e) => e.text)).toEqual(['first', 'second', 'second tie']);

    expect(await store.appendTimeline(id, ev('2026-11-21T09:03:00.000Z', 'pinned'), 'pin-1')).toBe(true);
    expect(await store.appendTimeline(id, ev('2026-11-21T09:03:00.000Z', 'pinned again'), 'pin-1')).toBe(false);
    expect((await store.timeline(id)).map((e) => e.text)).toEqual(['first', 'pinned', 'second', 'second tie']);
    // Without a dedupe id the same event may be appended twice (two notes can say the same).
    expect(await store.appendTimeline(id, ev('2026-11-21T09:06:00.000Z', 'dup'))).toBe(true);
    expect(await store.appendTimeline(id, ev('2026-11-21T09:06:00.000Z', 'dup'))).toBe(true);
    expect((await store.timeline(id)).filter((e) => e.text === 'dup')).toHaveLength(2);

    expect(await store.removeTimeline(id, 'pin-1')).toBe(true);
    expect(await store.removeTimeline(id, 'pin-1')).toBe(false);
    expect(await store.removeTimeline(id, 'never-added')).toBe(false);
    expect((await store.timeline(id)).map((e) => e.text)).not.toContain('pinned');
    expect(await store.appendTimeline(id, ev('2026-11-21T09:03:00.000Z', 'pinned back'), 'pin-1')).toBe(true);
    expect((await store.timeline(id)).map((e) => e.text)).toContain('pinned back');

    // Invalid events are refused and leave nothing behind.
    const count = (await store.timeline(id)).length;
    await expect(store.appendTimeline(id, { ...ev('2026-11-21T09:07:00.000Z', 'x'), kind: 'not.a.kind' as never }, 'bad-1')).rejects.toMatchObject({ code: 'internal' });
    expect((await store.timeline(id)).length).toBe(count);
    expect(await store.appendTimeline(id, ev('2026-11-21T09:07:00.000Z', 'after bad'), 'bad-1')).toBe(true);
  });

  it('alerts: first sight and status changes count as changes, redeliveries do not', async () => {
    const { incident } = await store.getOrCreateIncident(input('k-alerts'), T0, WINDOW);
    const first = await store.upsertAlert(incident.id, alert('fp1', 'firing'), T0);
    expect(first.changed).toBe(true);
    expect(first.previous).toBeUndefined();
    const redelivered = await store.upsertAlert(incident.id, alert('fp1', 'firing'), at(60_000));
    expect(redelivered.changed).toBe(false);
    const resolved = await store.upsertAlert(incident.id, alert('fp1', 'resolved'), at(120_000));
    expect(resolved.changed).toBe(true);
    expect(resolved.previous?.status).toBe('firing');
    expect(resolved.current.transitions.map((t) => t.status)).toEqual(['firing', 'resolved']);
    expect(resolved.current.firstSeenAt).toBe(T0.toISOString());
    // A new firing with a new startsAt is a change.
    expect((await store.upsertAlert(incident.id, alert('fp1', 'firing', '2026-11-21T10:00:00Z'), at(180_000))).changed).toBe(true);
    await store.upsertAlert(incident.id, alert('fp2', 'firing'), at(200_000));
    const list = await store.listAlerts(incident.id);
    expect(list.map((a) => a.fingerprint)).toEqual(['fp1', 'fp2']);
    expect(list[0]?.transitions).toHaveLength(3);
  });

  it('claimOnce: first caller only, until the TTL lapses; docs round-trip', async () => {
    expect(await store.claimOnce('once-a', 0)).toBe(true);
    expect(await store.claimOnce('once-a', 0)).toBe(false);
    expect(await store.claimOnce('once-ttl', 150)).toBe(true);
    expect(await store.claimOnce('once-ttl', 150)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.claimOnce('once-ttl', 150)).toBe(true);
    await store.setDoc('doc-a', { x: 1, y: ['z'] });
    expect(await store.getDoc('doc-a')).toEqual({ x: 1, y: ['z'] });
    expect(await store.getDoc('doc-missing')).toBeUndefined();
  });

  it('reports Redis being down as unavailable', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const s = createRedisStore(dead, { prefix: 'dead:' });
    await expect(s.getIncident('INC-1')).rejects.toMatchObject({ code: 'unavailable' });
    expect(await s.ping()).toBe(false);
    dead.disconnect();
  });
});
