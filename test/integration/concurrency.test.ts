import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

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
        const all = (await bot.running.deps.ports.incidents.listAll(1000)).filter((i) => i.title.startsWith(alertname));
        if (all.length !== 1 || !all[0]?.channelId || !all[0].cardTs) return undefined;
        return (await bot.running.deps.ports.incidents.listAlerts(all[0].id)).length === alerts ? all[0] : undefined;
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
    const opened = (await bot1.running.deps.ports.timeline.list(incident.id)).filter((e) => e.kind === 'incident.opened');
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
    expect((await bot1.running.deps.ports.incidents.findByChannel(incident.channelId ?? ''))?.id).toBe(incident.id);
  });
});
