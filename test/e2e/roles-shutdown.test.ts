import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../../src/sandbox/slack/index.js';
import { AM_TOKEN, BASE_CONFIG, SIGNING_SECRET, amAuth, amPayload, postJson } from '../support/bot.js';
import { freePort, startProc, tmpDir, waitFor, type Proc } from '../support/procs.js';
import { startRedis } from '../support/redis.js';

/** The bot as a real process (as in production): roles by SERVICES, SIGTERM for shutdown. */
async function spawnBot(slack: SlackEmulator, services: string, configPath: string, redisUrl: string = inject('redisUrl')): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = startProc(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      WARROOM_CONFIG: configPath,
      ALERTMANAGER_WEBHOOK_TOKEN: AM_TOKEN,
      SERVICES: services,
      LOG_LEVEL: 'info',
      KUBERNETES: 'off',
      SHUTDOWN_TIMEOUT_MS: '4000',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, { timeoutMs: 20_000, what: `${services} process health` });
  return { proc, url };
}

describe('roles and graceful shutdown (real processes)', () => {
  let slack: SlackEmulator;
  let cleanup: () => void;
  let configPath: string;
  beforeAll(async () => {
    slack = await startSlackEmulator({ signingSecret: SIGNING_SECRET, users: [{ id: 'U0ONCALL1', name: 'oncall' }], channels: [{ id: 'C0ANNOUNCE', name: 'incidents' }], usergroups: [{ id: 'S0SRE', handle: 'sre', users: [] }] });
    const t = tmpDir('roles');
    cleanup = t.cleanup;
    configPath = path.join(t.dir, 'warroom.yaml');
    writeFileSync(configPath, BASE_CONFIG);
  });
  afterAll(async () => {
    await slack?.stop();
    cleanup?.();
  });

  it('web and worker run apart: the web process only enqueues, the worker process opens the channel; both serve /healthz and /readyz', async () => {
    const web = await spawnBot(slack, 'web', configPath);
    const worker = await spawnBot(slack, 'worker', configPath);
    try {
      expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
      // The worker role serves no webhooks.
      expect((await postJson(`${worker.url}/webhooks/alertmanager`, amPayload({ alertname: 'RolesSplit' }), amAuth)).status).toBe(404);
      const r = await postJson(`${web.url}/webhooks/alertmanager`, amPayload({ alertname: 'RolesSplit', service: 'roles' }), amAuth);
      expect(r.status).toBe(202);
      await waitFor(() => slack.channels().find((c) => c.name.includes('roles-split') && slack.pins(c.id).length > 0), { timeoutMs: 15_000, what: 'channel opened by the worker process' });
    } finally {
      await web.proc.stop('SIGTERM');
      await worker.proc.stop('SIGTERM');
    }
    expect(web.proc.child.exitCode).toBe(0);
    expect(worker.proc.child.exitCode).toBe(0);
  });

  it('SIGTERM stops intake first, drains the workers within the deadline, closes queues and Redis, and exits 0', async () => {
    const bot = await spawnBot(slack, 'web,worker', configPath);
    const started = Date.now();
    await bot.proc.stop('SIGTERM');
    const took = Date.now() - started;
    expect(bot.proc.child.exitCode).toBe(0);
    // Bounded by the configured drain deadline (4 s) plus the intake close (at most 5 s), not hanging.
    expect(took).toBeLessThan(12_000);
    const out = bot.proc.output();
    const order = ['shutting down', 'shutdown complete'].map((s) => out.indexOf(s));
    expect(order[0]).toBeGreaterThanOrEqual(0);
    expect(order[1]).toBeGreaterThan(order[0] as number);
    // Intake is closed: nothing listens any more.
    await expect(fetch(`${bot.url}/healthz`)).rejects.toThrow();
    // Secrets never reach the logs.
    expect(out).not.toContain(AM_TOKEN);
    expect(out).not.toContain(SIGNING_SECRET);
    expect(out).not.toContain(slack.botToken);
  });

  it('SIGTERM with Redis gone: the process still exits, non-zero, by SHUTDOWN_TIMEOUT_MS plus the margin', async () => {
    const redis = await startRedis();
    const bot = await spawnBot(slack, 'web,worker', configPath, redis.url);
    await redis.stop();
    // The bot notices Redis is gone before it is asked to stop.
    await waitFor(async () => (await fetch(`${bot.url}/readyz`).catch(() => undefined))?.status === 503, { timeoutMs: 15_000, what: '/readyz reporting Redis unreachable' });
    const exited = new Promise<number | null>((resolve) => bot.proc.child.once('exit', (code) => resolve(code)));
    bot.proc.child.kill('SIGTERM');
    // SHUTDOWN_TIMEOUT_MS is 4 s and the margin 5 s: well within 30 s, or the test fails here.
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    if (code === 'hung') bot.proc.child.kill('SIGKILL');
    expect(code).not.toBe('hung');
    expect(code).not.toBe(0);
    expect(bot.proc.output()).toMatch(/shutdown did not complete before the hard deadline|shutdown failed/);
  }, 60_000);

  it('refuses to start with every configuration problem listed', async () => {
    const proc = startProc(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PORT: 'not-a-port', REDIS_URL: 'nope', SLACK_BOT_TOKEN: '', WARROOM_CONFIG: configPath, SERVICES: 'web,cron', LOG_LEVEL: 'loud' } });
    await waitFor(() => proc.child.exitCode !== null, { timeoutMs: 20_000, what: 'exit' });
    expect(proc.child.exitCode).toBe(1);
    const out = proc.output();
    for (const name of ['PORT', 'REDIS_URL', 'SLACK_BOT_TOKEN', 'SERVICES', 'LOG_LEVEL', 'SLACK_SIGNING_SECRET']) expect(out).toContain(name);
  });
});
