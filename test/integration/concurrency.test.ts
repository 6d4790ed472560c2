import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import { createRedisStore } from '../../src/integrations/redis/store.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import type { CreateIncidentInput, IncidentStore } from '../../src/workflows/ports.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const WINDOW = 30 * 60_000;
const T0 = new Date('2026-11-21T09:00:00.000Z');

function input(key: string): CreateIncidentInput {
  return { key, title: `Incident ${key}`, severity: 'SEV2', source: 'alertmanager', route: 'default', responders: [] };
}

describe('store under concurrency (real Redis, several connections)', () => {
  const clients: Redis[] = [];
  let stores: IncidentStore[] = [];
  let prefix = '';
  /** Caller i uses connection i mod n, so the commands really interleave on the server. */
  const s = (i: number) => stores[i % stores.length] as IncidentStore;

  beforeAll(() => {
    prefix = `cc${randomUUID().slice(0, 8)}:`;
    for (let i = 0; i < 6; i++) clients.push(new Redis(inject('redisUrl')));
    stores = clients.map((r) => createRedisStore(r, { prefix }));
  });
  afterAll(async () => {
    const keys = await clients[0]?.keys(`${prefix}*`);
    if (keys?.length) await clients[0]?.del(...keys);
    for (const c of clients) c.disconnect();
  });

  it('200 concurrent getOrCreateIncident calls for one key: one incident, exactly one created', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => s(i).getOrCreateIncident(input('one-key'), T0, WINDOW)));
    expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => r.reopened)).toHaveLength(0);
    expect((await s(0).listAll(1000)).filter((i) => i.key === 'one-key')).toHaveLength(1);
  });

  it('concurrent re-fires after a resolve: exactly one reopens within the window, exactly one creates after it', async () => {
    const { incident } = await s(0).getOrCreateIncident(input('flap-key'), T0, WINDOW);
    const resolvedAt = new Date(T0.getTime() + 60_000);
    await s(0).updateIncident(incident.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAt.toISOString() }));
    const within = new Date(resolvedAt.getTime() + WINDOW / 2);
    const r1 = await Promise.all(Array.from({ length: 100 }, (_, i) => s(i).getOrCreateIncident(input('flap-key'), within, WINDOW)));
    expect(r1.filter((r) => r.reopened)).toHaveLength(1);
    expect(r1.filter((r) => r.created)).toHaveLength(0);
    expect(new Set(r1.map((r) => r.incident.id))).toEqual(new Set([incident.id]));
    expect((await s(0).getIncident(incident.id))?.reopenCount).toBe(1);

    const resolvedAgain = new Date(within.getTime() + 1000);
    await s(0).updateIncident(incident.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAgain.toISOString() }));
    const after = new Date(resolvedAgain.getTime() + WINDOW + 1);
    const r2 = await Promise.all(Array.from({ length: 100 }, (_, i) => s(i).getOrCreateIncident(input('flap-key'), after, WINDOW)));
    expect(r2.filter((r) => r.created)).toHaveLength(1);
    expect(r2.filter((r) => r.reopened)).toHaveLength(0);
    const ids = new Set(r2.map((r) => r.incident.id));
    expect(ids.size).toBe(1);
    expect(ids.has(incident.id)).toBe(false);
    expect((await s(0).getIncident(incident.id))?.status).toBe('resolved');
  });

  it('50 concurrent CAS updates lose nothing (responders, roles, counters)', async () => {
    const { incident } = await s(0).getOrCreateIncident(input('cas-key'), T0, WINDOW);
    const users = Array.from({ length: 50 }, (_, i) => `U${String(i).padStart(4, '0')}`);
    await Promise.all(users.map((u, i) => s(i).updateIncident(incident.id, (cur) => ({ ...cur, responders: [...cur.responders, u], reopenCount: cur.reopenCount + 1 }))));
    const after = await s(0).getIncident(incident.id);
    expect([...(after?.responders ?? [])].sort()).toEqual(users);
    expect(after?.reopenCount).toBe(50);

    // Role changes racing with other field changes: every role lands, the other changes too.
    const roles = ['commander', 'comms', 'scribe'] as const;
    await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        i % 2 === 0
          ? s(i).updateIncident(incident.id, (cur) => ({ ...cur, roles: { ...cur.roles, [roles[(i / 2) % 3] as string]: `UR${i}` } }))
          : s(i).updateIncident(incident.id, (cur) => ({ ...cur, responders: [...cur.responders, `UX${i}`] })),
      ),
    );
    const final = (await s(0).getIncident(incident.id)) as Incident;
    expect(Object.keys(final.roles).sort()).toEqual(['commander', 'comms', 'scribe']);
    expect(final.responders.filter((r) => r.startsWith('UX'))).toHaveLength(24);
  });

  it('50 concurrent timeline appends all land; 50 with one dedupe id land once', async () => {
    const { incident } = await s(0).getOrCreateIncident(input('tl-key'), T0, WINDOW);
    const notes = await Promise.all(Array.from({ length: 50 }, (_, i) => s(i).appendTimeline(incident.id, { at: T0.toISOString(), kind: 'incident.note', actor: 'U1', text: `note ${i}` })));
    expect(notes.every(Boolean)).toBe(true);
    const dedup = await Promise.all(Array.from({ length: 50 }, (_, i) => s(i).appendTimeline(incident.id, { at: T0.toISOString(), kind: 'slack.pinned', actor: 'U1', text: `pin ${i}` }, 'pin-x')));
    expect(dedup.filter(Boolean)).toHaveLength(1);
    const tl = await s(0).timeline(incident.id);
    expect(new Set(tl.filter((e) => e.kind === 'incident.note').map((e) => e.text)).size).toBe(50);
    expect(tl.filter((e) => e.kind === 'slack.pinned')).toHaveLength(1);
  });

  it('the open set follows the status under racing resolves and reopens', async () => {
    const { incident } = await s(0).getOrCreateIncident(input('open-key'), T0, WINDOW);
    for (let round = 0; round < 5; round++) {
      const resolvedAt = new Date(T0.getTime() + round * 1000).toISOString();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2 === 0
            ? s(i).updateIncident(incident.id, (cur) => ({ ...cur, status: 'resolved', resolvedAt }))
            : s(i).getOrCreateIncident(input('open-key'), new Date(T0.getTime() + round * 1000 + 10), WINDOW),
        ),
      );
      const cur = await s(0).getIncident(incident.id);
      const open = (await s(0).listOpen()).some((i) => i.id === incident.id);
      const member = (await clients[0]?.sismember(`${prefix}open`, incident.id)) === 1;
      expect(member).toBe(cur?.status !== 'resolved');
      expect(open).toBe(cur?.status !== 'resolved');
    }
  });
});

describe('intake under concurrency through HTTP (whole bot)', () => {
  let slack: SlackEmulator;
  let bot1: TestBot;
  let bot2: TestBot;

  beforeAll(async () => {
    slack = await startSlack();
    bot1 = await startBot({ redisUrl: inject('redisUrl'), slack });
    // A second replica: same Redis prefix and queues, same Slack workspace.
    bot2 = await startBot({ redisUrl: inject('redisUrl'), slack, prefix: bot1.prefix, env: { NO_BOT_URL: '1' } });
  });
  afterAll(async () => {
    await bot2?.stop();
    await bot1?.stop();
    await slack?.stop();
  });

  /** Delivery i of one group: the shared alerts in a rotated order plus one alert of its own, and its own truncated count. */
  function delivery(alertname: string, i: number) {
    const base = amPayload({ alertname, service: 'checkout' });
    const shared = ['a', 'b', 'c'].map((inst) => ({ ...base.alerts[0], labels: { ...base.alerts[0]?.labels, instance: inst }, fingerprint: `00000000shared0${inst}` }));
    const own = { ...base.alerts[0], labels: { ...base.alerts[0]?.labels, instance: `own-${i}` }, fingerprint: `1${String(i).padStart(15, '0')}` };
    const rotated = [...shared.slice(i % 3), ...shared.slice(0, i % 3)];
    return { ...base, alerts: i % 2 ? [own, ...rotated] : [...rotated, own], truncatedAlerts: i };
  }

  async function settle(bot: TestBot, alertname: string, alerts: number): Promise<Incident> {
    return waitFor(
      async () => {
        const all = (await bot.running.deps.ports.store.listAll(1000)).filter((i) => i.title.startsWith(alertname));
        if (all.length !== 1 || !all[0]?.channelId || !all[0].cardTs) return undefined;
        return (await bot.running.deps.ports.store.listAlerts(all[0].id)).length === alerts ? all[0] : undefined;
      },
      { what: `${alertname}: one incident with ${alerts} alerts`, timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  it('200 concurrent distinct deliveries of one Alertmanager group: one incident, one channel, every alert recorded', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => postJson(`${bot1.url}/webhooks/alertmanager`, delivery('StormGroup', i), amAuth)));
    expect(results.map((r) => r.status).filter((s) => s !== 202)).toEqual([]);
    expect(new Set(results.map((r) => (r.json as { deliveryId: string }).deliveryId)).size).toBe(200);
    const incident = await settle(bot1, 'StormGroup', 203);
    await new Promise((r) => setTimeout(r, 1000));
    const created = slack.callsTo('conversations.create').filter((c) => c.ok && String(c.args['name']).includes('storm-group'));
    expect(created).toHaveLength(1);
    expect(slack.channels().filter((c) => c.name.includes('storm-group'))).toHaveLength(1);
    expect(slack.pins(incident.channelId ?? '')).toHaveLength(1);
    const opened = (await bot1.running.deps.ports.store.timeline(incident.id)).filter((e) => e.kind === 'incident.opened');
    expect(opened).toHaveLength(1);
  });

  it('two bot replicas sharing Redis and Slack, each receiving deliveries of the same group: one channel', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => postJson(`${(i % 2 ? bot2 : bot1).url}/webhooks/alertmanager`, delivery('ReplicaGroup', i), amAuth)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    const incident = await settle(bot2, 'ReplicaGroup', 63);
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.callsTo('conversations.create').filter((c) => c.ok && String(c.args['name']).includes('replica-group'))).toHaveLength(1);
    expect(slack.pins(incident.channelId ?? '')).toHaveLength(1);
    expect(slack.messages('C0ANNOUNCE').filter((m) => m.text.includes(incident.id) && m.text.includes('opened'))).toHaveLength(1);
    // Both replicas see the same incident.
    expect((await bot1.running.deps.ports.store.findByChannel(incident.channelId ?? ''))?.id).toBe(incident.id);
  });
});
