/**
 * Webhook to pinned card, with every Slack Web API call taking 50 ms (emulator `latencyMs`).
 * One incident at a time, spaced at Slack's sustained Tier 2 pace (conversations.create and pins.add
 * are Tier 2, ~20 per minute: the figure is the round-trip structure of one opening, not how many
 * channels Slack lets an app open in a minute; the storm bench measures that): POST the webhook, wait for the `pins.add` in the new channel, then read
 * the emulator's recorded calls between the POST and the pin. The emulator records a call when it
 * answers, after the latency, so a call occupies [at - latency, at]. The number of sequential
 * round trips is the longest chain of non-overlapping calls ending with `pins.add` (computed
 * backwards greedily, which is optimal for intervals), and it must include the documented chain
 * conversations.create -> chat.postMessage -> pins.add.
 */
import type { ApiCall } from '../src/sandbox/slack/index.js';
import { AM_TOKEN, BASE_CONFIG, startBot, startSlack } from '../test/support/bot.js';
import type { RedisServer } from '../test/support/redis.js';
import { alertPayload, median, pollUntil, sleep, type BenchResult } from './common.js';

const LATENCY_MS = 50;
const INCIDENTS = 10;
/** Between incidents: a little over Slack's Tier 2 interval (60 s / 20), so no opening waits for the budget. */
const SPACING_MS = 3_500;
/** Calls of the App Home tabs (republished after incident changes): never on an opening's path. */
const NOT_ON_PATH = new Set(['views.publish']);

/** Longest chain of sequential (non-overlapping) calls that ends with `last`, within [t0, last]. */
export function sequentialChain(calls: readonly ApiCall[], last: ApiCall, t0: number, latencyMs: number): ApiCall[] {
  const end = (c: ApiCall) => Date.parse(c.at);
  const startOf = (c: ApiCall) => end(c) - latencyMs;
  const chain = [last];
  let cur = last;
  for (;;) {
    const before = calls.filter((c) => c !== cur && startOf(c) >= t0 - 1 && end(c) <= startOf(cur) + 1 && c.seq < cur.seq);
    if (!before.length) break;
    const prev = before.reduce((a, b) => (end(a) >= end(b) ? a : b));
    chain.unshift(prev);
    cur = prev;
  }
  return chain;
}

export async function benchCard(redis: RedisServer): Promise<BenchResult> {
  const slack = await startSlack({ latencyMs: LATENCY_MS });
  // Ten openings of one route within a minute would make a storm (storm.threshold 8): grouping is off
  // here, as this figure is about one incident's own opening.
  const bot = await startBot({ redisUrl: redis.url, slack, config: `${BASE_CONFIG}\nstorm: { threshold: 0 }\n` });
  const trips: number[] = [];
  const latencies: number[] = [];
  const chains: string[] = [];
  const misses: string[] = [];
  try {
    for (let i = 0; i < INCIDENTS; i++) {
      if (i > 0) await sleep(SPACING_MS); // Tier 2's pace; the previous incident's trailing calls finish too
      const fromSeq = slack.calls.length;
      const t0 = Date.now();
      const res = await fetch(`${bot.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
        body: JSON.stringify(alertPayload({ alertname: `CardBench${i}`, service: `svc${i}`, instance: 'a' })),
      });
      await res.text();
      const created = await pollUntil(() => slack.calls.slice(fromSeq).find((c) => c.method === 'conversations.create' && c.ok), 15_000);
      const channelId = created ? slack.channels().find((ch) => ch.name === created.args['name'])?.id : undefined;
      const pin = channelId ? await pollUntil(() => slack.calls.slice(fromSeq).find((c) => c.method === 'pins.add' && c.args['channel'] === channelId), 15_000) : undefined;
      if (!pin) {
        misses.push(`incident ${i}: no pins.add within 15 s (status ${res.status})`);
        continue;
      }
      const window = slack.calls.slice(fromSeq).filter((c) => c.seq <= pin.seq && !NOT_ON_PATH.has(c.method) && (c.args['channel'] === undefined || c.args['channel'] === channelId));
      const chain = sequentialChain(window, pin, t0, LATENCY_MS);
      trips.push(chain.length);
      latencies.push(Date.parse(pin.at) - t0);
      chains.push(chain.map((c) => c.method).join(' -> '));
    }
  } finally {
    await bot.stop();
    await slack.stop();
  }
  const medTrips = median(trips);
  const medLatency = median(latencies);
  const distinct = [...new Set(chains)];
  return {
    name: 'card',
    title: `Webhook to pinned card (Slack latency ${LATENCY_MS} ms per call, ${INCIDENTS} incidents)`,
    figures: [
      {
        name: 'sequential Slack round trips, webhook -> pins.add (median)',
        value: trips.length ? medTrips : undefined,
        unit: 'round trips',
        bar: '≤ 4',
        ratio: medTrips / 4,
        pass: trips.length === INCIDENTS && Math.max(...trips) <= 4,
        ...(trips.length && Math.max(...trips) > 4 ? { note: 'calls before the channel exists (user/usergroup lookups, topic/purpose/invite) sit on the critical path; closing it: run them in parallel with, or after, post + pin.' } : {}),
      },
      { name: 'max sequential round trips', value: trips.length ? Math.max(...trips) : undefined, unit: 'round trips' },
      { name: 'webhook POST -> pins.add answered (median)', value: latencies.length ? medLatency : undefined, unit: 'ms' },
      { name: 'webhook POST -> pins.add answered (max)', value: latencies.length ? Math.max(...latencies) : undefined, unit: 'ms' },
      { name: 'median latency / Slack latency', value: latencies.length ? medLatency / LATENCY_MS : undefined, unit: '× 50 ms' },
    ],
    details: [
      `incidents ${SPACING_MS / 1000} s apart (Slack's Tier 2 pace), storm grouping off; App Home calls (views.publish) left out of the chains: they run beside the opening, never on its path.`,
      `chains seen: ${distinct.map((c) => `\`${c}\``).join('; ') || 'none'}`,
      `per-incident round trips: ${trips.join(', ')}; latencies (ms): ${latencies.join(', ')}`,
      ...misses,
    ],
  };
}
