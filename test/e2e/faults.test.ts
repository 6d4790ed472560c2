/**
 * Fault injection: a worker process killed with SIGKILL in the middle of a diagnosis, and Redis
 * restarted (AOF on) during a storm of deliveries.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { playScenario } from '../../src/sandbox/demo/runner.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { amAuth, BASE_CONFIG, startBot, type TestBot } from '../support/bot.js';
import { startProc, waitFor, type Proc } from '../support/procs.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { postedFindingBlocks, timesPosted } from '../support/findings.js';

function spawnWorker(env: Record<string, string>): Proc {
  return startProc(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...env, SERVICES: 'worker', PORT: '0', LOG_LEVEL: 'warn' } });
}

describe('a worker killed with SIGKILL mid-diagnosis', () => {
  let world: World | undefined;
  const workers: Proc[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await world?.stop();
  });

  it('after a restart every check completes and no finding is posted twice', async () => {
    world = await startWorld({
      scenario: loadNamedScenario('flapping-alb-target-response-time'),
      redisUrl: inject('redisUrl'),
      services: 'web',
      // Slow evidence sources, so the kill lands while checks are running.
      emulatorLatencyMs: 250,
    });
    const env = { ...world.env, QUEUE_LOCK_MS: '2000' };
    const first = spawnWorker(env);
    workers.push(first);
    const played = playScenario(world, { skipScript: true, stepDelayMs: 200, timeouts: { assessment: 90_000 } });
    const { slack } = world;
    const threadReplies = () => {
      const ch = slack.channels().find((c) => c.name.startsWith('inc-'));
      return ch ? slack.messages(ch.id).filter((m) => m.thread_ts && m.thread_ts !== m.ts) : [];
    };
    // Kill as soon as the first findings are out and other checks are still running.
    await waitFor(() => threadReplies().length >= 1, { timeoutMs: 60_000, intervalMs: 20, what: 'the first finding' });
    first.child.kill('SIGKILL');
    await waitFor(() => first.child.exitCode !== null || first.child.signalCode !== null, { what: 'worker gone' });
    const postedBeforeRestart = threadReplies().length;
    const second = spawnWorker(env);
    workers.push(second);

    const result = await played;
    expect(result.failure).toBeUndefined();
    expect(result.assessment?.hypotheses[0]?.id).toBe('hypothesis:process-model-ceiling');
    // Every scheduled check reported (stalled jobs were taken up again by the new worker).
    const incidentId = result.incidentId as string;
    const findings = await world.running.deps.ports.diagnosis.listFindings(incidentId);
    // The findings job posts at Slack's pace, after the assessment if need be: every finding once.
    await waitFor(() => postedFindingBlocks(threadReplies()).length >= findings.length, { timeoutMs: 60_000, what: 'every finding posted' });
    const replies = threadReplies();
    expect(replies.length).toBeGreaterThan(postedBeforeRestart);
    expect(timesPosted(findings, replies)).toEqual(Object.fromEntries(findings.map((f) => [f.id, 1])));
    const checks = new Set(findings.map((f) => f.check));
    for (const c of ['alarm-history', 'alarm-statistic', 'lb-breakdown', 'tg-to-workload', 'change-correlation', 'pods', 'cpu-per-pod', 'cpu-throttling', 'hpa', 'nodes']) expect(checks).toContain(c);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  }, 240_000); // the inner waits allow 60 s + 90 s + 60 s; vitest's default of 30 s would cut them short on a loaded machine
});

describe('Redis restarted (AOF on) during a storm', () => {
  let redis: RedisServer | undefined;
  let bot: TestBot | undefined;
  afterAll(async () => {
    await bot?.stop();
    await redis?.stop();
  });

  it('senders get 503 while it is down, retry like Alertmanager, and no alert is lost', async () => {
    redis = await startRedis({ aof: true });
    // Storm grouping off: this test counts one channel per key. Eight keys, so that Slack's documented
    // pace (conversations.create is Tier 2, about 20 a minute, which the emulator enforces) is not
    // what the wait below measures; the recovery time itself is a benchmark figure (bench/restart.ts).
    bot = await startBot({ redisUrl: redis.url, config: `${BASE_CONFIG}\nstorm: { threshold: 0 }\n` });
    const url = `${bot.url}/webhooks/alertmanager`;
    const keys = 8;
    const perKey = 40;
    const statuses: number[] = [];
    /** An Alertmanager-like sender: retries 5xx and connection errors with backoff, gives up on 4xx. */
    const send = async (i: number): Promise<void> => {
      const service = `svc${i % keys}`;
      const instance = `i${Math.floor(i / keys)}`;
      const labels = { alertname: 'StormAlert', service, instance, namespace: 'prod', severity: 'warning' };
      const body = {
        receiver: 'warroom', status: 'firing', version: '4', groupKey: `{}:{alertname="StormAlert", service="${service}", instance="${instance}"}`, truncatedAlerts: 0,
        groupLabels: { alertname: 'StormAlert', service }, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://am',
        alerts: [{ status: 'firing', labels, annotations: { summary: 'storm' }, startsAt: '2026-11-21T08:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `f${String(i).padStart(15, '0')}` }],
      };
      for (let attempt = 0; attempt < 60; attempt++) {
        const status = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...amAuth }, body: JSON.stringify(body) }).then((r) => r.status, () => 0);
        statuses.push(status);
        if (status >= 200 && status < 300) return;
        if (status >= 400 && status < 500) throw new Error(`unexpected ${status}`);
        await new Promise((r) => setTimeout(r, 200 + attempt * 100));
      }
      throw new Error('gave up');
    };
    const total = keys * perKey;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      sends.push(send(i));
      if (i === Math.floor(total / 3)) void redis.restart(1500);
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sends);
    expect(statuses).toContain(503);

    const store = bot.running.deps.ports;
    await waitFor(
      async () => {
        const open = await store.incidents.listOpen();
        if (open.length !== keys) return false;
        const counts = await Promise.all(open.map(async (i) => (await store.incidents.listAlerts(i.id)).length));
        return counts.reduce((a, b) => a + b, 0) === total;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${total} alerts in ${keys} incidents` },
    );
    await waitFor(() => bot?.slack.channels().filter((c) => c.name.includes('storm-alert')).length === keys, { timeoutMs: 60_000, what: `${keys} channels` });
    await new Promise((r) => setTimeout(r, 1500));
    expect(bot.slack.channels().filter((c) => c.name.includes('storm-alert'))).toHaveLength(keys);
    // The workers reconnect within about a second of Redis (bounded backoff, runRetryDelay 1 s: see
    // integrations/queue/bullmq.ts); the inner waits are generous for a loaded machine, not a measure.
  }, 180_000);
});
