/**
 * Recovery after a Redis restart (issue 10.9): a private redis-server (AOF, fsync always) is stopped
 * for 1.5 s and started again while the bot (both roles) runs; as soon as Redis accepts connections, a
 * new alert is delivered (retried like Alertmanager while the bot answers 503) and the time until its
 * channel is created is measured. Three rounds; the worst is the figure. Slack emulator at its
 * documented limits; storm grouping off (one key per round).
 */
import { Agent, fetch } from 'undici';
import { AM_TOKEN, BASE_CONFIG, startBot } from '../test/support/bot.js';
import { startRedis } from '../test/support/redis.js';
import { alertPayload, fmt, median, pollUntil, sleep, type BenchResult } from './common.js';

const ROUNDS = 3;
const DOWN_MS = 1500;

export async function benchRestart(): Promise<BenchResult> {
  const redis = await startRedis({ aof: true });
  const bot = await startBot({ redisUrl: redis.url, config: `${BASE_CONFIG}\nstorm: { threshold: 0 }\n` });
  const dispatcher = new Agent({ connections: 4 });
  const send = async (alertname: string): Promise<{ accepted: number | undefined; tries: number }> => {
    const body = JSON.stringify(alertPayload({ alertname, service: 'recovery', severity: 'critical' }));
    for (let tries = 1; tries <= 100; tries++) {
      const status = await fetch(`${bot.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body, dispatcher }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      if (status === 202) return { accepted: Date.now(), tries };
      await sleep(200);
    }
    return { accepted: undefined, tries: 100 };
  };
  const channelOf = (alertname: string) => {
    const slug = alertname.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    return bot.slack.callsTo('conversations.create').find((c) => c.ok && String(c.args['name']).includes(slug));
  };
  const rounds: { upToChannelMs: number | undefined; upTo202Ms: number | undefined; tries: number }[] = [];
  try {
    // Warm: one incident opened before any restart.
    await send('RecoveryWarm');
    await pollUntil(() => channelOf('RecoveryWarm'), 30_000, 50);
    for (let r = 0; r < ROUNDS; r++) {
      await redis.restart(DOWN_MS);
      const up = Date.now();
      const name = `RecoveryRound${r}`;
      const { accepted, tries } = await send(name);
      const created = await pollUntil(() => channelOf(name), 60_000, 25);
      rounds.push({ upToChannelMs: created ? Date.parse(created.at) - up : undefined, upTo202Ms: accepted ? accepted - up : undefined, tries });
      await sleep(5000); // Slack's Tier 2 pace (conversations.create ~20/min) between rounds, so it is not what is measured
    }
  } finally {
    await dispatcher.close();
    await bot.stop();
    await redis.stop();
  }
  const measured = rounds.map((r) => r.upToChannelMs).filter((v): v is number => v !== undefined);
  const worst = measured.length === rounds.length ? Math.max(...measured) : undefined;
  return {
    name: 'restart',
    title: `Redis restart: recovery (Redis down ${DOWN_MS / 1000} s, AOF on, ${ROUNDS} rounds, both roles in one process)`,
    figures: [
      {
        name: 'recovery time after a Redis restart (Redis up → new alert\'s channel created), worst round',
        value: worst === undefined ? undefined : worst / 1000,
        unit: `s (median ${fmt(measured.length ? median(measured) / 1000 : undefined)} s)`,
        bar: '≤ 5 s',
        ...(worst === undefined ? {} : { ratio: worst / 5000 }),
        pass: worst !== undefined && worst <= 5000,
        ...(worst === undefined ? { note: 'a round opened no channel within 60 s.' } : {}),
      },
      { name: 'Redis up → webhook answered 202 again, worst round', value: Math.max(...rounds.map((r) => r.upTo202Ms ?? NaN)) / 1000, unit: 's' },
    ],
    details: [
      ...rounds.map((r, i) => `round ${i + 1}: 202 after ${fmt(r.upTo202Ms === undefined ? undefined : r.upTo202Ms / 1000)} s (${r.tries} tries), channel after ${fmt(r.upToChannelMs === undefined ? undefined : r.upToChannelMs / 1000)} s.`),
      'Before the fix (main at issue 10): the workers reconnected with BullMQ\'s default backoff (e^attempt ms, up to 20 s) and waited runRetryDelay (15 s) after a connection error before fetching again; now 1 s at most for each (src/integrations/queue/bullmq.ts).',
    ],
  };
}
