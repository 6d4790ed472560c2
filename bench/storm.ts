/**
 * Alert storm under Slack's documented rate limits (issue 11): 10,000 warning alerts within 60 s over
 * 100 incident keys, one alert per Alertmanager delivery, plus one unrelated critical alert 10 s in,
 * through real HTTP into one warroom process running both roles, against the Slack emulator at its
 * documented limits (the default: Tier 2 conversations.create and pins.add ~20/min, Tier 3 chat.update
 * ~50/min, chat.postMessage ~1/s per channel). Then: the critical channel's latency, the share of Slack
 * calls answered 429, the time after the last alert until every card shows its final state, channels
 * opened and incidents joined to the storm, alerts recorded, worker time asleep on Retry-After, Slack
 * writes per incident per second and the time for the queues to drain. Sizes can be reduced with
 * BENCH_STORM_ALERTS / BENCH_STORM_KEYS.
 */
import { Agent, fetch } from 'undici';
import type { SlackEmulator } from '../src/sandbox/slack/index.js';
import { AM_TOKEN, startBot, startSlack, type TestBot } from '../test/support/bot.js';
import type { RedisServer } from '../test/support/redis.js';
import { alertPayload, fmt, rssMb, sleep, type BenchResult } from './common.js';

const ALERTS = Number(process.env['BENCH_STORM_ALERTS'] ?? 10_000);
const KEYS = Number(process.env['BENCH_STORM_KEYS'] ?? 100);
const WINDOW_MS = 50_000; // paced to finish inside the 60 s budget
const SENDERS = 32;
const DRAIN_LIMIT_MS = 180_000;
const CRITICAL_AT_MS = 10_000;
const CRITICAL_NAME = 'CheckoutDown';
/** A person acknowledges the critical incident from its card this far into the storm. */
const CLICK_AT_MS = 30_000;
const CLICKER = 'U0ONCALL1';

async function pending(bot: TestBot): Promise<{ busy: number; delayed: number; failed: number }> {
  const counts = await bot.running.deps.queues.counts();
  let busy = 0;
  let delayed = 0;
  let failed = 0;
  for (const st of Object.values(counts)) {
    busy += (st['waiting'] ?? 0) + (st['active'] ?? 0) + (st['prioritized'] ?? 0);
    delayed += st['delayed'] ?? 0;
    failed += st['failed'] ?? 0;
  }
  return { busy, delayed, failed };
}

export interface StormOutcome {
  result: BenchResult;
  bot: TestBot;
  slack: SlackEmulator;
  rssAfterStormMb: number;
}

/** Whether every card shows what the store holds: each incident's firing/total counts (and a storm's key count). */
async function cardsFinal(bot: TestBot, slack: SlackEmulator, ids: string[]): Promise<{ final: boolean; behind: string[] }> {
  const store = bot.running.deps.ports;
  const behind: string[] = [];
  for (const id of ids) {
    const inc = await store.incidents.get(id);
    if (!inc?.channelId || !inc.cardTs) {
      behind.push(`${id} (no card)`);
      continue;
    }
    const alerts = await store.incidents.listAlerts(id);
    const firing = alerts.filter((a) => a.status === 'firing').length;
    const card = JSON.stringify(slack.messages(inc.channelId).find((m) => m.ts === inc.cardTs) ?? {});
    if (!card.includes(`${firing} firing / ${alerts.length}`)) behind.push(`${id} (card behind the store's ${firing}/${alerts.length})`);
  }
  return { final: behind.length === 0, behind };
}

const sumOf = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values.reduce((a, v) => a + v.value, 0);

export async function benchStorm(redis: RedisServer): Promise<StormOutcome> {
  // The emulator enforces Slack's documented limits unless told otherwise (it is not told here).
  const slack = await startSlack();
  const bot = await startBot({ redisUrl: redis.url, slack });
  const stormCfg = bot.running.deps.config.storm;
  const dispatcher = new Agent({ connections: SENDERS, keepAliveTimeout: 10_000 });
  const statuses = new Map<number, number>();
  let errors = 0;
  let next = 0;
  const t0 = Date.now();
  const sender = async () => {
    for (;;) {
      const i = next++;
      if (i >= ALERTS) return;
      const due = t0 + (i * WINDOW_MS) / ALERTS;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const body = JSON.stringify(alertPayload({ alertname: `Storm${i % KEYS}`, service: 'checkout', instance: `pod-${i}`, severity: 'warning' }));
      try {
        const res = await fetch(`${bot.url}/webhooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
          body,
          dispatcher,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      } catch {
        errors++;
      }
    }
  };
  // One unrelated critical alert 10 s in (another service, severity critical: not swallowed by the storm).
  let criticalSentAt: number | undefined;
  const critical = (async () => {
    await sleep(Math.max(0, t0 + CRITICAL_AT_MS - Date.now()));
    criticalSentAt = Date.now();
    const res = await fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
      body: JSON.stringify(alertPayload({ alertname: CRITICAL_NAME, service: 'payments', severity: 'critical' })),
      dispatcher,
    });
    await res.arrayBuffer();
    return res.status;
  })();
  // A person's click in the middle of the storm: Acknowledge on the critical incident's card, timed
  // to Slack's 200 for the click and to the card edited to show who acknowledged.
  type Click = { note: string } | { note?: undefined; status: number; ackedMs: number; shownMs: number | undefined; sentAt: number };
  const click = (async (): Promise<Click> => {
    await critical;
    await sleep(Math.max(0, t0 + CLICK_AT_MS - Date.now()));
    const inc = (await bot.running.deps.ports.incidents.listAll(10_000)).find((i) => i.title.startsWith(`${CRITICAL_NAME}:`));
    if (!inc?.channelId || !inc.cardTs) return { note: 'the critical incident had no card to click at 30 s' };
    const { channelId, cardTs } = inc;
    const at = Date.now();
    const shown = slack.waitForCall((c) => c.ok && c.method === 'chat.update' && c.args['channel'] === channelId && c.args['ts'] === cardTs && JSON.stringify(c.args).includes(`acknowledged`) && JSON.stringify(c.args).includes(CLICKER), 120_000).catch(() => undefined);
    const r = await slack.clickButton({ actionId: 'incident_ack', userId: CLICKER, channelId, messageTs: cardTs });
    const ackedMs = Date.now() - at;
    const call = await shown;
    return { status: r.status, ackedMs, shownMs: call ? Date.parse(call.at) - at : undefined, sentAt: at - t0 };
  })();
  await Promise.all(Array.from({ length: SENDERS }, sender));
  const criticalStatus = await critical;
  const clicked = await click;
  const lastDelivery = Date.now();
  const sendMs = lastDelivery - t0;

  // Drained: nothing waiting, active or prioritized for two polls 1.1 s apart (so the 1 s
  // coalesced card updates, which wait as delayed jobs, have had their turn).
  let drainedAt: number | undefined;
  let last = await pending(bot);
  while (Date.now() - lastDelivery < DRAIN_LIMIT_MS) {
    last = await pending(bot);
    if (last.busy === 0) {
      await sleep(1100);
      const again = await pending(bot);
      if (again.busy === 0) {
        drainedAt = drainedAt ?? Date.now() - 1100;
        last = again;
        break;
      }
    }
    await sleep(100);
  }
  const drainMs = drainedAt !== undefined ? Math.max(0, drainedAt - lastDelivery) : undefined;
  const rssAfterStormMb = rssMb();

  // Every card shows its final state (polled from the last delivery; the drain wait above is part of it).
  const store = bot.running.deps.ports;
  const allIds = async () => (await store.incidents.listAll(10_000)).map((i) => i.id);
  let finalAt: number | undefined;
  let lastBehind: string[] = [];
  const FINAL_LIMIT_MS = 240_000;
  while (Date.now() - lastDelivery < FINAL_LIMIT_MS) {
    const r = await cardsFinal(bot, slack, await allIds());
    lastBehind = r.behind;
    if (r.final) {
      finalAt = Date.now();
      break;
    }
    await sleep(1000);
  }
  const finalMs = finalAt !== undefined ? finalAt - lastDelivery : undefined;

  const all = await store.incidents.listAll(10_000);
  const incidents = all.filter((i) => i.title.startsWith('Storm') || i.key.endsWith('-storm'));
  let recorded = 0;
  for (const inc of incidents) recorded += new Set((await store.incidents.listAlerts(inc.id)).map((a) => a.fingerprint)).size;
  const stormIncident = all.find((i) => i.key.endsWith('-storm'));
  const own = incidents.filter((i) => i !== stormIncident);
  const stormAlerts = stormIncident ? await store.incidents.listAlerts(stormIncident.id) : [];
  const joined = new Set(stormAlerts.map((a) => a.name)).size;
  const created = slack.callsTo('conversations.create').filter((c) => c.ok).length;
  const channels = slack.channels().filter((c) => c.id !== 'C0ANNOUNCE').length;

  // The critical incident: its channel and its card, from the alert's delivery.
  const criticalIncident = all.find((i) => i.title.startsWith(`${CRITICAL_NAME}:`));
  const criticalCreate = criticalIncident?.channelName ? slack.callsTo('conversations.create').find((c) => c.ok && c.args['name'] === criticalIncident.channelName) : undefined;
  const criticalCard = criticalIncident?.channelId ? slack.callsTo('chat.postMessage').find((c) => c.ok && c.args['channel'] === criticalIncident.channelId) : undefined;
  const criticalChannelMs = criticalCreate && criticalSentAt ? Date.parse(criticalCreate.at) - criticalSentAt : undefined;
  const criticalCardMs = criticalCard && criticalSentAt ? Date.parse(criticalCard.at) - criticalSentAt : undefined;

  // Slack's answers: the share refused with 429.
  const apiCalls = slack.calls.length;
  const limited = slack.calls.filter((c) => c.status === 429).length;
  const limitedShare = apiCalls ? limited / apiCalls : 0;
  const limitedBy = new Map<string, number>();
  for (const c of slack.calls) if (c.status === 429) limitedBy.set(c.method, (limitedBy.get(c.method) ?? 0) + 1);
  const m = bot.running.deps.metrics;
  const sleptS = await sumOf(m.slackRetryAfterSleepSeconds);
  const delayedJobs = await sumOf(m.jobsDelayed);
  const deferred = await sumOf(m.slackDeferred);
  const updates = slack.callsTo('chat.update').filter((c) => c.ok).length;

  // Slack writes per incident channel per second.
  const perSlot = new Map<string, number>();
  for (const c of slack.calls) {
    if (c.method !== 'chat.update' && c.method !== 'chat.postMessage') continue;
    const ch = c.args['channel'];
    if (typeof ch !== 'string' || ch === 'C0ANNOUNCE') continue;
    const k = `${ch}@${Math.floor(Date.parse(c.at) / 1000)}`;
    perSlot.set(k, (perSlot.get(k) ?? 0) + 1);
  }
  const slotMethods = new Map<string, string[]>();
  for (const c of slack.calls) {
    const ch = c.args['channel'];
    if (typeof ch !== 'string' || ch === 'C0ANNOUNCE' || (c.method !== 'chat.update' && c.method !== 'chat.postMessage')) continue;
    const k = `${ch}@${Math.floor(Date.parse(c.at) / 1000)}`;
    if ((perSlot.get(k) ?? 0) > 1) slotMethods.set(k, [...(slotMethods.get(k) ?? []), c.method]);
  }
  const shapes = new Map<string, number>();
  for (const ms of slotMethods.values()) {
    const shape = ms.join(' + ');
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  const maxPerSecond = Math.max(0, ...perSlot.values());
  const overSlots = [...perSlot.values()].filter((n) => n > 1).length;
  const writes = [...perSlot.values()].reduce((a, b) => a + b, 0);
  const accepted = statuses.get(202) ?? 0;
  const full = ALERTS === 10_000 && KEYS === 100;

  const expectedOwn = Math.min(KEYS, stormCfg.threshold > 0 ? stormCfg.threshold : KEYS);
  const result: BenchResult = {
    name: 'storm',
    title: `Alert storm under Slack's documented limits (${ALERTS} alerts over ${KEYS} keys, one alert per delivery, plus one critical alert ${CRITICAL_AT_MS / 1000} s in; both roles in one process)`,
    figures: [
      { name: 'alerts delivered (202)', value: accepted, unit: `of ${ALERTS}`, bar: `= ${ALERTS} within 60 s`, ratio: accepted / ALERTS, pass: accepted === ALERTS && sendMs <= 60_000, ...(sendMs > 60_000 ? { note: `sending took ${fmt(sendMs / 1000)} s: the loader could not keep the pace on this machine.` } : {}) },
      { name: 'send duration', value: sendMs / 1000, unit: 's' },
      {
        name: 'critical incident: channel created after its alert',
        value: criticalChannelMs === undefined ? undefined : criticalChannelMs / 1000,
        unit: `s (card posted after ${fmt(criticalCardMs === undefined ? undefined : criticalCardMs / 1000)} s; delivery ${criticalStatus})`,
        bar: '≤ 5 s',
        ...(criticalChannelMs === undefined ? {} : { ratio: criticalChannelMs / 5000 }),
        pass: criticalChannelMs !== undefined && criticalChannelMs <= 5000,
        ...(criticalChannelMs === undefined || criticalChannelMs > 5000 ? { note: criticalChannelMs === undefined ? 'no channel was created for the critical alert.' : 'see the details: the critical open job waited for conversations.create (Tier 2) behind the storm\'s opens, or for the ingest queue.' } : {}),
      },
      {
        name: "a person's Acknowledge on the critical card during the storm: card shows it after",
        value: clicked.note === undefined && clicked.shownMs !== undefined ? clicked.shownMs / 1000 : undefined,
        unit: clicked.note === undefined ? `s (click answered ${clicked.status} after ${fmt(clicked.ackedMs / 1000)} s; clicked ${fmt(clicked.sentAt / 1000)} s into the storm)` : 's',
        bar: '≤ 5 s',
        ...(clicked.note === undefined && clicked.shownMs !== undefined ? { ratio: clicked.shownMs / 5000 } : {}),
        pass: clicked.note === undefined && clicked.shownMs !== undefined && clicked.shownMs <= 5000 && clicked.status === 200,
        ...(clicked.note !== undefined ? { note: clicked.note } : clicked.shownMs === undefined ? { note: 'the card never showed the acknowledgement within 120 s.' } : {}),
      },
      { name: 'Slack calls answered 429', value: limitedShare * 100, unit: `% (${limited} of ${apiCalls}${limited ? `: ${[...limitedBy].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''})`, bar: '≤ 5 %', ratio: limitedShare / 0.05, pass: limitedShare <= 0.05 },
      {
        name: 'every card shows its final state, after the last alert',
        value: finalMs === undefined ? undefined : finalMs / 1000,
        unit: 's',
        bar: '≤ 60 s',
        ...(finalMs === undefined ? {} : { ratio: finalMs / 60_000 }),
        pass: finalMs !== undefined && finalMs <= 60_000,
        ...(finalMs === undefined || finalMs > 60_000 ? { note: finalMs === undefined ? `not within ${FINAL_LIMIT_MS / 1000} s; still behind: ${lastBehind.slice(0, 5).join(', ')}` : 'see the details.' } : {}),
      },
      { name: 'channels opened', value: channels, unit: `(conversations.create ok: ${created}; storm threshold ${stormCfg.threshold} per ${stormCfg.window / 1000} s)`, bar: `= ${expectedOwn} own + 1 storm + 1 critical`, ratio: channels / (expectedOwn + 2), pass: channels === expectedOwn + 2 && created === channels },
      { name: 'incidents joined to the storm incident (keys)', value: joined, unit: `(+ ${own.length} storm keys with their own incident = ${joined + own.length} of ${KEYS})`, bar: `= ${KEYS - expectedOwn}`, ratio: joined / Math.max(1, KEYS - expectedOwn), pass: joined + own.length === KEYS },
      { name: 'alerts recorded in the store (distinct fingerprints)', value: recorded, unit: `of ${ALERTS}`, bar: `= ${ALERTS} (none lost)`, ratio: recorded / ALERTS, pass: recorded === ALERTS, ...(recorded !== ALERTS ? { note: drainMs === undefined ? 'the queue had not drained when counted, so some alerts were still queued' : 'alerts lost or merged; see store.upsertAlert' } : {}) },
      { name: 'worker time asleep on Retry-After', value: sleptS, unit: `s (429s delay the job instead: ${delayedJobs} job attempts delayed, ${deferred} calls deferred by the budget)`, bar: '= 0', ratio: sleptS, pass: sleptS === 0 },
      { name: 'max Slack writes (postMessage + update) per incident per second', value: maxPerSecond, unit: `(seconds over 1: ${overSlots} of ${perSlot.size}; ${writes} writes, ${updates} card updates)`, bar: '≤ 1', ratio: maxPerSecond, pass: maxPerSecond <= 1, ...(maxPerSecond > 1 ? { note: `the seconds over the bar, by the writes they held: ${[...shapes].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} (${n}×)`).join('; ')}.` } : {}) },
      { name: 'queue drained after the last delivery', value: drainMs === undefined ? undefined : drainMs / 1000, unit: 's', bar: '≤ 10 s', ratio: drainMs === undefined ? undefined : drainMs / 10_000, pass: drainMs !== undefined && drainMs <= 10_000, ...(drainMs === undefined || drainMs > 10_000 ? { note: `${drainMs === undefined ? `not drained within ${DRAIN_LIMIT_MS / 1000} s (waiting+active: ${last.busy})` : `drained ${fmt(drainMs / 1000)} s after the last delivery`}: ingest fell behind during the storm (the worker shares the process and 2 cores with the web role and the load generator).` } : {}) },
      { name: 'RSS after the storm', value: rssAfterStormMb, unit: 'MB (whole bench process: bot, emulator, loader)' },
    ],
    details: [
      full ? 'Full size.' : `Reduced size (BENCH_STORM_ALERTS=${ALERTS}, BENCH_STORM_KEYS=${KEYS}).`,
      'Slack emulator at its documented limits (tiers per method, chat.postMessage ~1/s per channel); the bot paces every method at 90% of its tier through the Redis budget.',
      `HTTP statuses: ${[...statuses].map(([st, n]) => `${st}×${n}`).join(', ')}; transport errors ${errors}.`,
      `critical alert sent ${criticalSentAt !== undefined ? fmt((criticalSentAt - t0) / 1000) : 'n/a'} s into the storm; its incident ${criticalIncident ? `${criticalIncident.id} (${criticalIncident.severity}) in #${criticalIncident.channelName ?? '?'}` : 'not found'}.`,
      `storm incident: ${stormIncident ? `${stormIncident.id}, ${stormAlerts.length} alerts over ${joined} keys` : 'none'}; Slack API calls ${apiCalls} (chat.update ok ${updates}).`,
      `after draining: ${last.delayed} delayed jobs (reminders etc.), ${last.failed} failed jobs.`,
      'Drained means no waiting, active or prioritized job in any queue for two polls 1.1 s apart.',
    ],
  };
  await dispatcher.close();
  return { result, bot, slack, rssAfterStormMb };
}
