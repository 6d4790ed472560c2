import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { start, type Running } from '../../src/main.js';
import type { Overrides } from '../../src/deps.js';
import { startSlackEmulator, type SlackEmulator } from '../../src/sandbox/slack/index.js';
import { tmpDir } from './procs.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const AM_TOKEN = 'am-secret-token';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:warroom-alarms';

export const BASE_CONFIG = `
routes:
  - name: cloudwatch
    match: { source: cloudwatch }
    key: { by: alarm }
    severity: { default: SEV2 }
    responders: { users: [U0ONCALL1], usergroups: [S0SRE] }
    announce: C0ANNOUNCE
    reopenWindow: 30m
    environment: prod
  - name: default
    match: {}
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
    reopenWindow: 30m
    autoResolve: false
approvals:
  - name: prod
    match: { namespaces: [prod, default] }
    approvers: { users: [U0APPROVER, U0LEAD], usergroups: [] }
    requiredApprovals: 1
    protected: true
    expiry: 15m
  - name: rest
    match: {}
    approvers: { users: [U0APPROVER, U0ONCALL1] }
    allowSelfApproval: true
diagnostics: { enabled: false }
`;

export interface TestBot {
  running: Running;
  url: string;
  slack: SlackEmulator;
  prefix: string;
  stop(): Promise<void>;
}

export async function startSlack(extra: Partial<Parameters<typeof startSlackEmulator>[0]> = {}): Promise<SlackEmulator> {
  return startSlackEmulator({
    signingSecret: SIGNING_SECRET,
    users: [
      { id: 'U0ONCALL1', name: 'oncall' },
      { id: 'U0APPROVER', name: 'approver' },
      { id: 'U0LEAD', name: 'lead' },
      { id: 'U0SRE2', name: 'sre2' },
      { id: 'U0RANDOM', name: 'random' },
    ],
    usergroups: [{ id: 'S0SRE', handle: 'sre', users: ['U0SRE2', 'U0LEAD'] }],
    channels: [{ id: 'C0ANNOUNCE', name: 'incidents' }],
    ...extra,
  });
}

/** Boots the real bot (both roles) on a free port against the Slack emulator and the given Redis. */
export async function startBot(opts: {
  redisUrl: string;
  slack?: SlackEmulator;
  config?: string;
  env?: Record<string, string>;
  overrides?: Overrides;
  prefix?: string;
}): Promise<TestBot> {
  const slack = opts.slack ?? (await startSlack());
  const { dir, cleanup } = tmpDir('bot');
  const configPath = path.join(dir, 'warroom.yaml');
  writeFileSync(configPath, opts.config ?? BASE_CONFIG);
  const prefix = opts.prefix ?? `t${randomUUID().slice(0, 8)}`;
  const running = await start(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: opts.redisUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      WARROOM_CONFIG: configPath,
      ALERTMANAGER_WEBHOOK_TOKEN: AM_TOKEN,
      SNS_TOPIC_ARNS: TOPIC_ARN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      KUBERNETES: 'off',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...opts.env,
    },
    { redisPrefix: `${prefix}:`, bullPrefix: `${prefix}b`, ...opts.overrides },
  );
  const url = `http://127.0.0.1:${running.web?.http.port ?? 0}`;
  if (!opts.slack || !opts.env?.NO_BOT_URL) slack.setBotUrl(`${url}/slack/events`);
  return {
    running,
    url,
    slack,
    prefix,
    stop: async () => {
      await running.shutdown('test');
      if (!opts.slack) await slack.stop();
      cleanup();
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export function amPayload(opts: { alertname?: string; service?: string; status?: 'firing' | 'resolved'; instance?: string; startsAt?: string; extraLabels?: Record<string, string> } = {}) {
  const alertname = opts.alertname ?? 'HighErrorRate';
  const service = opts.service ?? 'checkout';
  const status = opts.status ?? 'firing';
  const startsAt = opts.startsAt ?? '2026-11-21T08:56:53Z';
  const labels = { alertname, instance: opts.instance ?? 'a', namespace: 'prod', service, severity: 'critical', ...opts.extraLabels };
  return {
    receiver: 'warroom',
    status,
    alerts: [
      {
        status,
        labels,
        annotations: { summary: '5xx > 5%', runbook_url: 'https://runbooks.example.com/x' },
        startsAt,
        endsAt: status === 'resolved' ? '2026-11-21T09:30:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
        fingerprint: `fp${alertname}${service}${opts.instance ?? 'a'}`.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 16).padEnd(16, '0'),
      },
    ],
    groupLabels: { alertname, service },
    commonLabels: labels,
    commonAnnotations: { summary: '5xx > 5%' },
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: `{}:{alertname="${alertname}", service="${service}"}`,
    truncatedAlerts: 0,
  };
}

export const amAuth = { authorization: `Bearer ${AM_TOKEN}` };
