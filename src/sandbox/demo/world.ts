/**
 * A whole incident world for one scenario: Redis (given or started), the Slack emulator seeded with
 * the scenario's people, the CloudWatch and Kubernetes emulators, a Prometheus holding the
 * scenario's series (the real binary when installed, else the sandbox's stand-in answering the same
 * HTTP API; WARROOM_SANDBOX_PROMETHEUS forces one), a config written for the scenario, and the real bot booted
 * with `start()` against all of them. `stop()` takes everything down again, each part bounded.
 *
 * Time: the world has one clock, real time plus the time skipped ahead (the anchor is the minute
 * just begun, unless given). The bot, the CloudWatch emulator and the Kubernetes emulator all read
 * it, so when the runner delivers an alert written at `+5m` early (time compression) it first moves
 * the clock forward, and every part of the world agrees that it is now `+5m`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHANNEL_TEMPLATE } from '../../domain/channel-name.js';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { start, type Running } from '../../main.js';
import { AppError, errorMessage } from '../../errors.js';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../cloudwatch/server.js';
import { startKubernetesEmulator, type KubernetesEmulator } from '../kubernetes/server.js';
import { startSandboxPrometheus, type PrometheusServer } from '../prometheus/index.js';
import { startAlertmanagerStandin, type AlertmanagerStandin } from '../alertmanager/standin.js';
import { freePort, makeTempDir, removeDir } from '../prometheus/proc.js';
import { cloudWatchAlarmNotification } from '../scenario/alarms.js';
import { alertsInOrder, expandMetricPoints, expandPrometheusSeries, resolveKubernetesObjects, type ExpandedMetric } from '../scenario/expand.js';
import type { Scenario } from '../scenario/schema.js';
import { startSlackEmulator, type SlackEmulator } from '../slack/index.js';
import { makeSnsSigner, type SnsSigner } from './sns.js';
import { startSandboxRedis, type SandboxRedis } from './redis.js';

export const ANNOUNCE_CHANNEL = { id: 'C0INCIDENTS', name: 'incidents' } as const;

export interface WorldClock {
  now(): Date;
  /** World time minus the anchor, in ms. */
  offsetMs(): number;
  /** Moves the world forward so that it is at least `offsetMs` after the anchor (never backwards). */
  advanceTo(offsetMs: number): void;
}

/** Real time plus `initialSkewMs` plus whatever `advanceTo` skipped. */
export function worldClock(anchor: Date, initialSkewMs = 0, realNow: () => number = Date.now): WorldClock {
  let skipped = initialSkewMs;
  const now = () => realNow() + skipped;
  return {
    now: () => new Date(now()),
    offsetMs: () => now() - anchor.getTime(),
    advanceTo(target) {
      const cur = now() - anchor.getTime();
      if (target > cur) skipped += target - cur;
    },
  };
}

export interface WorldOptions {
  scenario: Scenario;
  /**
   * The page moment the scenario's relative times resolve against. Default: now, floored to the
   * minute (CloudWatch evaluates alarms on minute boundaries, so transitions and datapoints line up).
   * A given anchor starts the world clock there; it cannot lie in the past (the sandbox's SNS
   * signing certificate is valid from now on).
   */
  anchor?: Date;
  /** A Redis to use (unique key prefixes are chosen); absent: a private redis-server is started. */
  redisUrl?: string;
  /** Added to every Slack Web API call. */
  slackLatencyMs?: number;
  /** Added to every CloudWatch and Kubernetes API call (benchmarks, fault tests). */
  emulatorLatencyMs?: number;
  /** Roles of the in-process bot (default both); with `web` only, run workers as separate processes with `world.env`. */
  services?: 'web,worker' | 'web';
  /** BullMQ lock of the in-process bot (a dead worker's job is retaken after about this long). */
  queueLockMs?: number;
  /** The bot's pino level (default silent). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Run a Prometheus (default true: the binary when installed, else the stand-in); false: none, the CPU checks cannot check. */
  prometheus?: boolean;
  /** Deadline of one diagnostic check (default 10s). */
  checkTimeout?: string;
  /** How long the Kubernetes emulator takes to settle a rollout (default 1500 ms). */
  rolloutMs?: number;
  /** Who may approve mitigations (default: the users who approve or deny in the script). */
  approvers?: string[];
  /** Bounds each part of `stop()` (default 10 s). */
  stopTimeoutMs?: number;
}

export interface World {
  scenario: Scenario;
  anchor: Date;
  clock: WorldClock;
  running: Running;
  /** Base URL of the bot's HTTP server. */
  botUrl: string;
  slack: SlackEmulator;
  cloudwatch: CloudWatchEmulator;
  kubernetes: KubernetesEmulator;
  prometheus?: PrometheusServer;
  /** Alertmanager's API as the bot reads it (verification re-checks the alerts that paged), fed by the runner's deliveries. */
  alertmanager: AlertmanagerStandin;
  redisUrl: string;
  /** Key prefix of the bot's state in Redis. */
  prefix: string;
  signer: SnsSigner;
  /** The scenario's CloudWatch datapoints at the anchor (alarm reasons are worded from them). */
  metrics: ExpandedMetric[];
  alertmanagerToken: string;
  apiToken: string;
  signingSecret: string;
  /** Things worth telling the user about the world (e.g. Prometheus disabled, or answered by the stand-in). */
  notes: string[];
  /** The bot's environment (with its key prefixes), to start more bot processes against the same world. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const SANDBOX_TOPIC = (s: Scenario) => `arn:aws:sns:${s.region}:${s.accountId}:warroom-alarms`;

/** The users who approve or deny in the script: they must be approvers. */
export function scriptApprovers(scenario: Scenario): string[] {
  const ids = scenario.script.filter((s) => s.action === 'approve' || s.action === 'deny').map((s) => s.user);
  return [...new Set(ids)];
}

/** The config YAML the bot runs with for a scenario (a plain object: `yaml.stringify` it). */
export function sandboxConfig(scenario: Scenario, opts: { checkTimeout?: string; approvers?: string[] } = {}): Record<string, unknown> {
  const responders = scenario.slack?.responders ?? [];
  const users = responders.filter((r) => /^[UW]/.test(r));
  const usergroups = responders.filter((r) => r.startsWith('S'));
  const tz = scenario.slack?.users.find((u) => u.tz)?.tz ?? 'UTC';
  const common = {
    responders: { users, usergroups },
    channel: { template: DEFAULT_CHANNEL_TEMPLATE },
    announce: ANNOUNCE_CHANNEL.id,
    reopenWindow: '30m',
    autoResolve: false,
    environment: 'production',
  };
  return {
    routes: [
      { name: 'cloudwatch', match: { source: 'cloudwatch' }, key: { by: 'alarm' }, severity: { default: 'SEV2' }, ...common },
      { name: 'alertmanager', match: {}, key: { by: 'labels', labels: ['alertname', 'namespace'] }, severity: { label: 'severity', default: 'SEV3' }, ...common },
    ],
    approvals: [
      {
        name: 'sandbox-production',
        match: {},
        approvers: { users: opts.approvers ?? scriptApprovers(scenario), usergroups: [] },
        requiredApprovals: 1,
        protected: true,
        expiry: '15m',
      },
    ],
    postmortem: { timezone: tz },
    diagnostics: { enabled: true, checkTimeout: opts.checkTimeout ?? '10s', attempts: 2 },
  };
}

/** SNS topics the scenario's alarms publish to (the bot's allow-list). */
export function scenarioTopics(scenario: Scenario, metrics: readonly ExpandedMetric[], anchor: Date): string[] {
  const topics = new Set<string>([SANDBOX_TOPIC(scenario)]);
  for (const a of alertsInOrder(scenario, anchor)) {
    if (a.source !== 'cloudwatch') continue;
    topics.add(cloudWatchAlarmNotification(scenario, metrics, anchor, { alarm: a.alarm, state: a.state, time: a.time }).topicArn);
  }
  return [...topics];
}

async function bounded(what: string, p: Promise<unknown>, ms: number, problems: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    const r = await Promise.race([p.then(() => 'ok' as const), deadline]);
    if (r === 'timeout') problems.push(`${what}: did not stop within ${ms} ms`);
  } catch (e) {
    problems.push(`${what}: ${errorMessage(e)}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Deletes the world's keys from a Redis it did not start (SCAN + UNLINK, bounded). */
async function removeKeys(url: string, match: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  r.on('error', () => undefined);
  try {
    await r.connect();
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 500);
      if (keys.length) await r.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}

/** Starts every part of the world and the bot. On a failure, what was started is stopped again. */
export async function startWorld(opts: WorldOptions): Promise<World> {
  const { scenario } = opts;
  const realStart = Date.now();
  const anchor = opts.anchor ?? new Date(Math.floor(realStart / 60_000) * 60_000);
  if (opts.anchor && opts.anchor.getTime() < realStart - 60_000) throw new AppError('bad_request', `the anchor ${opts.anchor.toISOString()} is in the past: give a time from now on (or none)`);
  const clock = worldClock(anchor, opts.anchor ? Math.max(0, opts.anchor.getTime() - realStart) : 0);
  const stopTimeout = opts.stopTimeoutMs ?? 10_000;
  const notes: string[] = [];
  const stops: { what: string; stop: () => Promise<unknown> }[] = [];
  const dir = makeTempDir('demo');
  stops.push({ what: 'temp dir', stop: async () => removeDir(dir) });
  const stopAll = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const s of [...stops].reverse()) await bounded(s.what, s.stop(), stopTimeout, problems);
    stops.length = 0;
    return problems;
  };

  try {
    // The AWS SDK reads credentials and region from the process environment; the emulator ignores them.
    process.env['AWS_ACCESS_KEY_ID'] ??= 'sandbox';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'sandbox';
    process.env['AWS_REGION'] ??= scenario.region;
    process.env['AWS_EC2_METADATA_DISABLED'] ??= 'true';

    let redis: SandboxRedis | undefined;
    let redisUrl = opts.redisUrl;
    if (!redisUrl) {
      redis = await startSandboxRedis();
      redisUrl = redis.url;
      const r = redis;
      stops.push({ what: 'redis-server', stop: () => r.stop() });
    }
    const id = randomBytes(4).toString('hex');
    const prefix = `wrdemo-${id}`;
    if (!redis) {
      const url = redisUrl;
      stops.push({ what: 'redis keys', stop: () => removeKeys(url, `${prefix}*`) });
    }

    const signingSecret = randomBytes(16).toString('hex');
    const slackUsers = scenario.slack?.users ?? [];
    const slack = await startSlackEmulator({
      signingSecret,
      users: slackUsers.map((u) => ({ id: u.id, name: u.name, ...(u.realName ? { realName: u.realName } : {}), isBot: u.isBot })),
      usergroups: (scenario.slack?.usergroups ?? []).map((g) => ({ id: g.id, handle: g.handle, ...(g.name ? { name: g.name } : {}), users: g.users })),
      channels: [{ id: ANNOUNCE_CHANNEL.id, name: ANNOUNCE_CHANNEL.name, members: slackUsers.map((u) => u.id) }],
      ...(opts.slackLatencyMs ? { latencyMs: opts.slackLatencyMs } : {}),
      // Requests to the bot are signed at world time: the bot checks their age against the same clock.
      now: () => clock.now().getTime(),
    });
    stops.push({ what: 'slack emulator', stop: () => slack.stop() });

    const cloudwatch = await startCloudWatchEmulator({ scenario, anchor, now: () => clock.now(), ...(opts.emulatorLatencyMs ? { latencyMs: opts.emulatorLatencyMs } : {}) });
    stops.push({ what: 'cloudwatch emulator', stop: () => cloudwatch.stop() });

    const kubernetes = await startKubernetesEmulator({
      objects: resolveKubernetesObjects(scenario, anchor),
      ...(scenario.kubernetes.behaviour ? { behaviour: scenario.kubernetes.behaviour } : {}),
      clock: { now: () => clock.now() },
      ...(opts.rolloutMs !== undefined ? { rolloutMs: opts.rolloutMs } : {}),
      ...(opts.emulatorLatencyMs ? { latencyMs: opts.emulatorLatencyMs } : {}),
    });
    stops.push({ what: 'kubernetes emulator', stop: () => kubernetes.stop() });
    const kubeconfig = path.join(dir, 'kubeconfig');
    kubernetes.writeKubeconfig(kubeconfig);

    let prometheus: PrometheusServer | undefined;
    if (opts.prometheus === false) notes.push('Prometheus disabled: the CPU checks report that they could not check.');
    else {
      const series = expandPrometheusSeries(scenario, anchor);
      const p = await startSandboxPrometheus({ series });
      prometheus = p;
      stops.push({ what: 'prometheus', stop: () => p.stop() });
      if (p.kind === 'standin') notes.push("Prometheus: the sandbox's stand-in answers its HTTP API from the scenario's series (the prometheus binary is not installed; apt-get install prometheus for the real one).");
    }

    const alertmanager = await startAlertmanagerStandin({ now: () => clock.now() });
    stops.push({ what: 'alertmanager stand-in', stop: () => alertmanager.stop() });

    const metrics = expandMetricPoints(scenario, anchor);
    const signer = makeSnsSigner(scenario.region);
    const configPath = path.join(dir, 'warroom.yaml');
    writeFileSync(configPath, stringify(sandboxConfig(scenario, { ...(opts.checkTimeout ? { checkTimeout: opts.checkTimeout } : {}), ...(opts.approvers ? { approvers: opts.approvers } : {}) })));
    const alertmanagerToken = randomBytes(16).toString('hex');
    const apiToken = randomBytes(16).toString('hex');
    const port = await freePort();
    const botUrl = `http://127.0.0.1:${port}`;

    const env: Record<string, string> = {
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redisUrl,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        WARROOM_CONFIG: configPath,
        ALERTMANAGER_WEBHOOK_TOKEN: alertmanagerToken,
        SNS_TOPIC_ARNS: scenarioTopics(scenario, metrics, anchor).join(','),
        WARROOM_API_TOKEN: apiToken,
        PUBLIC_URL: botUrl,
        LOG_LEVEL: opts.logLevel ?? 'silent',
        SERVICES: 'web,worker',
        KUBERNETES: 'kubeconfig',
        KUBECONFIG: kubeconfig,
        CLOUDWATCH_ENDPOINT: cloudwatch.endpoint,
        ...(prometheus ? { PROMETHEUS_URL: prometheus.url } : {}),
        ALERTMANAGER_URL: alertmanager.url,
        SHUTDOWN_TIMEOUT_MS: '5000',
        // Time is compressed (the runner moves the clock to a watch's end): look at a watched alarm often.
        MITIGATION_WATCH_POLL_MS: '500',
        WARROOM_REDIS_PREFIX: `${prefix}:`,
        WARROOM_QUEUE_PREFIX: `${prefix}-bull`,
        ...(opts.queueLockMs ? { QUEUE_LOCK_MS: String(opts.queueLockMs) } : {}),
    };
    const running = await start({ ...env, SERVICES: opts.services ?? 'web,worker' }, { clock: { now: () => clock.now() }, fetchCertificate: signer.fetchCertificate });
    stops.push({ what: 'warroom', stop: () => running.shutdown('sandbox stop') });
    slack.setBotUrl(`${botUrl}/slack/events`);

    let stopping: Promise<void> | undefined;
    return {
      scenario,
      anchor,
      clock,
      running,
      botUrl,
      slack,
      cloudwatch,
      kubernetes,
      ...(prometheus ? { prometheus } : {}),
      alertmanager,
      redisUrl,
      prefix,
      signer,
      metrics,
      alertmanagerToken,
      apiToken,
      signingSecret,
      notes,
      env,
      stop() {
        stopping ??= stopAll().then((problems) => {
          if (problems.length) throw new AppError('internal', `the sandbox did not stop cleanly:\n  ${problems.join('\n  ')}`);
        });
        return stopping;
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
