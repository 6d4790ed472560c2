/**
 * Slack's rate limits through real HTTP: the bot against the Slack emulator at its documented limits
 * (the default), real Redis and BullMQ. A 429 with Retry-After delays the job (it sits in BullMQ's
 * delayed set, no worker sleeps) and the work completes later; a critical incident's channel is not
 * queued behind card refreshes; at most one refresh waits per incident; storm grouping and
 * `/incident split` through signed slash commands.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { safeJobId } from '../../src/integrations/queue/bullmq.js';
import type { Incident } from '../../src/domain/incident.js';
import { amAuth, amPayload, BASE_CONFIG, postJson, startBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const send = async (bot: TestBot, alertname: string, opts: { instance?: string; severity?: string } = {}) => {
  const r = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname, service: 'shop', ...(opts.instance ? { instance: opts.instance } : {}), extraLabels: { severity: opts.severity ?? 'warning' } }), amAuth);
  expect(r.status).toBe(202);
};

const incidentOf = async (bot: TestBot, alertname: string): Promise<Incident | undefined> => (await bot.running.deps.ports.incidents.listAll(1000)).find((i) => i.title.startsWith(`${alertname}:`));

/** The incident once its card is posted and pinned in its channel. */
const opened = (bot: TestBot, alertname: string, timeoutMs = 60_000) =>
  waitFor(
    async () => {
      const i = await incidentOf(bot, alertname);
      return i?.channelId && i.cardTs && bot.slack.pins(i.channelId).length > 0 ? (i as Incident & { channelId: string; cardTs: string }) : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${alertname}'s channel with its card pinned` },
  );

/** Refresh jobs not yet run, per incident (waiting, prioritized or delayed in BullMQ). */
async function pendingRefreshes(bot: TestBot): Promise<Map<string, number>> {
  const q = bot.running.deps.queues.queues.incident;
  const jobs = await q.getJobs(['waiting', 'prioritized', 'delayed']);
  const per = new Map<string, number>();
  for (const j of jobs) if (j?.name === 'refresh-card') per.set(String(j.data.incidentId), (per.get(String(j.data.incidentId)) ?? 0) + 1);
  return per;
}

describe('Slack budget against the emulator at its documented limits', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startBot({ redisUrl: inject('redisUrl'), config: `${BASE_CONFIG}\nstorm: { threshold: 0 }\n` });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('a 429 with Retry-After delays the job (delayed in BullMQ, no worker asleep) and the card lands after it', async () => {
    const { slack } = bot;
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 3 });
    await send(bot, 'RetryAfterCard');
    const limited = await slack.waitForCall((c) => c.method === 'chat.postMessage' && c.status === 429, 30_000);
    const incident = await waitFor(() => incidentOf(bot, 'RetryAfterCard'), { what: 'the incident' });
    // The open job left its worker slot: it waits in the delayed set for Retry-After.
    // (A worker asleep on Retry-After would keep it active for the whole 3 s.)
    const job = await bot.running.deps.queues.queues.incident.getJob(safeJobId(`open-${incident.id}`));
    const state = await waitFor(async () => {
      const s = await job?.getState();
      return s === 'delayed' || s === 'completed' ? s : undefined;
    }, { timeoutMs: 2_500, intervalMs: 20, what: 'the open job to leave its worker' });
    expect(state).toBe('delayed');
    const done = await opened(bot, 'RetryAfterCard');
    expect(slack.messages(done.channelId).some((m) => m.ts === done.cardTs)).toBe(true);
    // The refused post is made once Retry-After has passed (into the same channel: the announcement or the card).
    const again = await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.ok && c.args['channel'] === limited.args['channel'] && c.seq > limited.seq), { timeoutMs: 30_000, what: 'the refused post, made later' });
    expect(Date.parse(again.at) - Date.parse(limited.at)).toBeGreaterThanOrEqual(2_900);
    const m = bot.running.deps.metrics;
    expect((await m.slackRetryAfterSleepSeconds.get()).values.reduce((a, v) => a + v.value, 0)).toBe(0);
    expect((await m.jobsDelayed.get()).values.find((v) => v.labels.job === 'open-incident')?.value ?? 0).toBeGreaterThanOrEqual(1);
    expect(slack.channels().filter((c) => c.name.includes('retry-after-card'))).toHaveLength(1);
  }, 90_000);

  it('a critical incident opens while card refreshes wait out Retry-After, and at most one refresh waits per incident', async () => {
    const { slack } = bot;
    const names = ['Busy0', 'Busy1', 'Busy2'];
    for (const n of names) await send(bot, n);
    const busy = await Promise.all(names.map((n) => opened(bot, n)));
    // Every card refresh from now on is answered 429 (Retry-After 8 s) until the faults are cleared.
    slack.failNext('chat.update', 10_000, { status: 429, retryAfter: 8 });
    for (let i = 0; i < 30; i++) await send(bot, names[i % names.length] as string, { instance: `b${i}` });
    await slack.waitForCall((c) => c.method === 'chat.update' && c.status === 429, 30_000);
    let most = 0;
    const watch = setInterval(() => {
      void pendingRefreshes(bot).then((per) => {
        for (const n of per.values()) most = Math.max(most, n);
      });
    }, 100);
    try {
      await send(bot, 'CriticalOutage', { severity: 'critical' });
      const critical = await opened(bot, 'CriticalOutage').catch(async (e: unknown) => {
        const i = await incidentOf(bot, 'CriticalOutage');
        const j = i ? await bot.running.deps.queues.queues.incident.getJob(safeJobId(`open-${i.id}`)) : undefined;
        console.log(JSON.stringify(i), await j?.getState(), j?.failedReason, j?.opts, JSON.stringify(await bot.running.deps.queues.counts()), slack.calls.slice(-8).map((c) => `${c.at} ${c.method} ${c.status} ${c.error ?? ''}`));
        throw e;
      });
      expect(critical.severity).toBe('SEV1');
      // The refreshes are still waiting (delayed) while the critical channel, card and pin went through.
      const waiting = await pendingRefreshes(bot);
      expect([...waiting.keys()].filter((id) => busy.some((b) => b.id === id)).length).toBeGreaterThan(0);
      for (const n of waiting.values()) expect(n).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(watch);
    }
    expect(most).toBeLessThanOrEqual(1);
    slack.clearFaults();
    // Then every card shows its final state: as many alerts as the store holds for it.
    for (const b of busy) {
      const n = (await bot.running.deps.ports.incidents.listAlerts(b.id)).length;
      expect(n).toBeGreaterThan(5);
      await waitFor(() => JSON.stringify(slack.messages(b.channelId).find((m) => m.ts === b.cardTs)).includes(`${n} firing / ${n}`), { timeoutMs: 60_000, intervalMs: 250, what: `${b.id}'s card with ${n} alerts` });
    }
  }, 180_000);
});

describe('storm grouping and split through real HTTP', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startBot({ redisUrl: inject('redisUrl'), config: `${BASE_CONFIG}\nstorm: { threshold: 2, window: 5m }\n` });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('past the threshold keys join one storm channel; a critical key gets its own; /incident split opens one for a key', async () => {
    const { slack } = bot;
    for (let i = 0; i < 6; i++) await send(bot, `StormKey${i}`);
    await send(bot, 'StormKey4', { instance: 'second' });
    await send(bot, 'StormCritical', { severity: 'critical' });
    await opened(bot, 'StormKey0');
    await opened(bot, 'StormKey1');
    await opened(bot, 'StormCritical');
    const storm = await waitFor(
      async () => {
        const s = (await bot.running.deps.ports.incidents.listAll(100)).find((i) => i.key === 'default-storm');
        return s?.channelId && s.cardTs ? (s as Incident & { channelId: string; cardTs: string }) : undefined;
      },
      { timeoutMs: 60_000, what: 'the storm channel' },
    );
    const card = () => JSON.stringify(slack.messages(storm.channelId).find((m) => m.ts === storm.cardTs));
    await waitFor(() => card().includes('4 keys in this storm') && card().includes('2 alerts (2 firing, 0 resolved)'), { timeoutMs: 60_000, intervalMs: 250, what: 'the storm card with 4 keys' });
    // Channels: two keys of their own, the critical one and the storm.
    const incidentChannels = slack.channels().filter((c) => c.id !== 'C0ANNOUNCE');
    expect(incidentChannels).toHaveLength(4);

    const key = /StormKey4[^`]*`([^`]+)`/.exec(card())?.[1];
    expect(key).toMatch(/^default-labels-/);
    const r = await slack.sendSlashCommand({ command: '/incident', text: `split ${key}`, userId: 'U0ONCALL1', channelId: storm.channelId });
    expect(r.status).toBe(200);
    const split = await opened(bot, 'StormKey4');
    expect(split.key).toBe(key);
    expect((await bot.running.deps.ports.incidents.listAlerts(split.id)).length).toBe(2);
    await waitFor(() => card().includes(`split into ${split.id}`), { timeoutMs: 60_000, intervalMs: 250, what: 'the storm card naming the split' });
    // Later alerts of the key go to its own incident.
    await send(bot, 'StormKey4', { instance: 'third' });
    await waitFor(async () => (await bot.running.deps.ports.incidents.listAlerts(split.id)).length === 3, { timeoutMs: 30_000, what: 'the third alert in the split incident' });
  }, 180_000);
});
