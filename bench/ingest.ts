/**
 * Webhook ingest. warroom (web role only, so no worker competes for the CPU) against a floor
 * server that does the least an honest receiver must do: read the same body, JSON.parse it and
 * make one durable Redis write (XADD) on the same Redis. Both are loaded by autocannon for the
 * same duration; every request carries a unique id (autocannon `idReplacement`) in the group key,
 * a label and the fingerprint, so every warroom request is a real enqueue rather than a dedupe.
 * Then a fixed-rate run at 1,000 requests/s against warroom for the p99 latency.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { AM_TOKEN, startBot } from '../test/support/bot.js';
import type { RedisServer } from '../test/support/redis.js';
import { alertPayload, fmt, type BenchResult } from './common.js';

const DURATION_S = Number(process.env['BENCH_INGEST_SECONDS'] ?? 10);
const CONNECTIONS = 20;

function bodyTemplate(): string {
  const p = alertPayload({ alertname: 'HighErrorRate', service: 'checkout', instance: 'pod-[<id>]' });
  const alerts = p['alerts'] as Record<string, unknown>[];
  const a0 = alerts[0] ?? {};
  a0['fingerprint'] = 'fp-[<id>]';
  p['groupKey'] = '{}:{alertname="HighErrorRate", instance="[<id>]"}';
  return JSON.stringify(p);
}

async function startFloor(redisUrl: string): Promise<{ url: string; writes: () => number; stop: () => Promise<void> }> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let writes = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      redis.xadd('floor:ingest', '*', 'body', JSON.stringify(parsed)).then(
        () => {
          writes++;
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
        },
        () => res.writeHead(503).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    writes: () => writes,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      redis.disconnect();
    },
  };
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function target(url: string, body: string, extra: Partial<autocannon.Options>): autocannon.Options {
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
    body,
    idReplacement: true,
    // The load generator runs in its own worker thread: sharing the server's event loop would
    // penalise the server that does more per request (the bot) more than the floor.
    workers: 1,
    connections: CONNECTIONS,
    duration: DURATION_S,
    ...extra,
  };
}

export async function benchIngest(redis: RedisServer): Promise<BenchResult> {
  const body = bodyTemplate();
  const bot = await startBot({ redisUrl: redis.url, env: { SERVICES: 'web' } });
  const floor = await startFloor(redis.url);
  try {
    // Warm both (JIT, connections) for 2 s, then measure.
    await cannon(target(`${bot.url}/webhooks/alertmanager`, body, { duration: 2 }));
    await cannon(target(`${floor.url}/`, body, { duration: 2 }));
    const app = await cannon(target(`${bot.url}/webhooks/alertmanager`, body, {}));
    const base = await cannon(target(`${floor.url}/`, body, {}));
    const appOk = app['2xx'];
    const baseOk = base['2xx'];
    const appRps = appOk / DURATION_S;
    const baseRps = baseOk / DURATION_S;
    const ratio = appRps / baseRps;
    const counts = await bot.running.deps.queues.counts();
    const ingestWaiting = Object.values(counts).reduce((s, st) => s + (st['waiting'] ?? 0) + (st['prioritized'] ?? 0), 0);

    const fixed = await cannon(target(`${bot.url}/webhooks/alertmanager`, body, { overallRate: 1000, connections: 50 }));
    const p99 = fixed.latency.p99;
    const fixedRps = fixed['2xx'] / DURATION_S;

    return {
      name: 'ingest',
      title: 'Webhook ingest (POST /webhooks/alertmanager, web role only)',
      figures: [
        { name: 'warroom throughput', value: appRps, unit: 'req/s (2xx)' },
        { name: 'floor throughput (parse + one XADD)', value: baseRps, unit: 'req/s' },
        // Reported, no longer a bar (issue 11): intake runs at thousands of requests per second on two
        // cores, far above any alert source; the p99 at 1,000 req/s stays one.
        { name: 'throughput ratio warroom / floor (no bar)', value: ratio, unit: '' },
        { name: 'p99 latency at 1,000 req/s', value: p99, unit: 'ms', bar: '< 25 ms', ratio: p99 / 25, pass: p99 < 25 && fixedRps >= 950, ...(p99 >= 25 || fixedRps < 950 ? { note: `achieved ${fmt(fixedRps)} req/s 2xx; on a 2-core machine the load generator, warroom and redis-server share the CPUs, so queueing adds latency once the rate is near capacity. Closing it: run the load generator on another host, or reduce per-request CPU as above.` } : {}) },
        { name: 'achieved rate in the fixed-rate run', value: fixedRps, unit: 'req/s (2xx)' },
      ],
      details: [
        `${DURATION_S} s per run, ${CONNECTIONS} connections (50 for the fixed-rate run), after a 2 s warm-up of each; body ${body.length} bytes, a unique id per request so every one is a real enqueue.`,
        `warroom: ${appOk} × 2xx, ${app.non2xx} non-2xx, ${app.errors} errors, ${app.timeouts} timeouts; p50 ${fmt(app.latency.p50)} ms, p99 ${fmt(app.latency.p99)} ms at saturation.`,
        `floor: ${baseOk} × 2xx, ${base.non2xx} non-2xx, ${base.errors} errors; p50 ${fmt(base.latency.p50)} ms, p99 ${fmt(base.latency.p99)} ms; ${floor.writes()} XADDs.`,
        `fixed rate: ${fixed['2xx']} × 2xx, ${fixed.non2xx} non-2xx, ${fixed.errors} errors; p50 ${fmt(fixed.latency.p50)} ms, p90 ${fmt(fixed.latency.p90)} ms, p99 ${fmt(p99)} ms, max ${fmt(fixed.latency.max)} ms.`,
        `jobs waiting in BullMQ after the throughput run (no worker running): ${ingestWaiting} (confirms each request was a distinct enqueue).`,
        'Redis: a private redis-server with appendonly yes, appendfsync always (both servers write durably to it).',
      ],
    };
  } finally {
    await floor.stop();
    await bot.stop();
  }
}
