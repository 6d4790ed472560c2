/**
 * A real Alertmanager 0.25 (Debian package `prometheus-alertmanager`) started by the sandbox harness,
 * delivering to a local webhook receiver; silences and alert listing through the adapter.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/errors.js';
import { createAlertmanagerAdapter } from '../../src/integrations/alertmanager/adapter.js';
import { ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE, alertmanagerConfig, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { requireBinary } from '../support/binaries.js';
import { freePort, tmpDir, waitFor } from '../support/procs.js';

const run = promisify(execFile);


const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string(),
  fingerprint: z.string(),
});
const WebhookPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number(),
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(WebhookAlert),
  groupLabels: z.record(z.string(), z.string()),
  commonLabels: z.record(z.string(), z.string()),
  commonAnnotations: z.record(z.string(), z.string()),
  externalURL: z.string(),
});
type WebhookPayload = z.infer<typeof WebhookPayload>;

interface Delivery {
  path: string;
  authorization: string | undefined;
  payload: WebhookPayload;
}

/** A tiny webhook receiver on loopback recording every delivery. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', authorization: req.headers.authorization, payload: WebhookPayload.parse(JSON.parse(body)) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw new Error(`expected an AppError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

const SilenceState = z.object({ id: z.string(), status: z.object({ state: z.enum(['active', 'pending', 'expired']) }) });
async function silenceState(amUrl: string, id: string): Promise<string> {
  const res = await fetch(`${amUrl}/api/v2/silence/${id}`);
  return SilenceState.parse(await res.json()).status.state;
}

describe('Alertmanager harness and adapter against a real Alertmanager', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let am: AlertmanagerServer;
  const token = `tok-${randomUUID()}`;

  beforeAll(async () => {
    requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE);
    receiver = await startReceiver();
    am = await startAlertmanager({ webhookUrl: `${receiver.url}/webhooks/alertmanager`, bearerToken: token, groupWait: '1s', groupInterval: '5s', groupBy: ['alertname', 'service'] });
  }, 60_000);

  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });

  it('delivers firing then resolved version-4 payloads with the bearer token; silences mute and expire', async () => {
    const labels = { alertname: 'HighErrorRate', service: `checkout-${randomUUID().slice(0, 8)}`, severity: 'critical', namespace: 'prod' };
    const annotations = { summary: '5xx > 5%', runbook_url: 'https://runbooks.example/x' };
    const mine = (d: Delivery) => d.payload.commonLabels['service'] === labels.service;

    await am.pushAlerts([{ labels, annotations, generatorURL: 'http://prometheus:9090/graph?g0.expr=x' }]);

    const firing = await waitFor(() => receiver.deliveries.find((d) => mine(d) && d.payload.status === 'firing'), { timeoutMs: 15_000, what: 'firing webhook' });
    expect(firing.path).toBe('/webhooks/alertmanager');
    expect(firing.authorization).toBe(`Bearer ${token}`);
    expect(firing.payload.version).toBe('4');
    expect(firing.payload.receiver).toBe('warroom');
    expect(firing.payload.externalURL).toBe(am.url);
    expect(firing.payload.groupLabels).toEqual({ alertname: 'HighErrorRate', service: labels.service });
    expect(firing.payload.groupKey).toBe(`{}:{alertname="HighErrorRate", service="${labels.service}"}`);
    expect(firing.payload.alerts).toHaveLength(1);
    const alert = firing.payload.alerts[0];
    expect(alert?.labels).toEqual(labels);
    expect(alert?.annotations).toEqual(annotations);
    expect(alert?.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    // The adapter sees the alert, active, with the same fingerprint.
    const adapter = createAlertmanagerAdapter({ baseUrl: am.url });
    const listed = await adapter.listAlerts({ service: labels.service });
    expect(listed).toEqual([{ fingerprint: alert?.fingerprint, status: 'active', labels }]);

    // Silence it through the adapter.
    const now = Date.now();
    const { silenceId } = await adapter.createSilence({
      matchers: [
        { name: 'alertname', value: labels.alertname, isRegex: false, isEqual: true },
        { name: 'service', value: labels.service, isRegex: false, isEqual: true },
      ],
      startsAt: new Date(now),
      endsAt: new Date(now + 3_600_000),
      createdBy: 'warroom-test',
      comment: 'integration test',
    });
    expect(silenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await silenceState(am.url, silenceId)).toBe('active');
    await waitFor(async () => (await adapter.listAlerts({ service: labels.service }))[0]?.status === 'silenced', { timeoutMs: 10_000, what: 'alert silenced' });
    // A silence for someone else's labels does not touch it.
    expect(await adapter.listAlerts({ service: 'not-this-one' })).toEqual([]);

    // Expire it: the silence is expired and the alert active again.
    await adapter.expireSilence(silenceId);
    expect(await silenceState(am.url, silenceId)).toBe('expired');
    await adapter.expireSilence(silenceId); // idempotent on an already expired silence
    await waitFor(async () => (await adapter.listAlerts({ service: labels.service }))[0]?.status === 'active', { timeoutMs: 10_000, what: 'alert active again' });

    // Resolve it: a resolved notification follows on the next group_interval.
    await am.resolveAlerts([{ labels, annotations }]);
    const resolved = await waitFor(() => receiver.deliveries.find((d) => mine(d) && d.payload.status === 'resolved'), { timeoutMs: 20_000, what: 'resolved webhook' });
    expect(resolved.authorization).toBe(`Bearer ${token}`);
    expect(resolved.payload.groupKey).toBe(firing.payload.groupKey);
    expect(resolved.payload.alerts[0]?.status).toBe('resolved');
    expect(resolved.payload.alerts[0]?.fingerprint).toBe(alert?.fingerprint);
    expect(resolved.payload.alerts[0]?.endsAt).not.toBe('0001-01-01T00:00:00Z');
    expect(resolved.payload.alerts[0]?.annotations).toEqual(annotations);
    // Resolved alerts are no longer listed.
    expect(await adapter.listAlerts({ service: labels.service })).toEqual([]);
  }, 60_000);

  it('listAlerts filters on label values that need quoting', async () => {
    const service = `quote"back\\slash-${randomUUID().slice(0, 6)}`;
    const labels = { alertname: 'Quoting', service };
    await am.pushAlerts([{ labels }]);
    const adapter = createAlertmanagerAdapter({ baseUrl: am.url });
    const listed = await waitFor(async () => {
      const l = await adapter.listAlerts({ alertname: 'Quoting', service });
      return l.length > 0 ? l : undefined;
    }, { timeoutMs: 5_000, what: 'quoted alert' });
    expect(listed.map((a) => a.labels)).toEqual([labels]);
    expect(await adapter.listAlerts({ alertname: 'Quoting', service: `${service}x` })).toEqual([]);
    await am.resolveAlerts([{ labels }]);
  });

  it('maps Alertmanager errors: an invalid regex is bad_request with its message, an unknown silence not_found', async () => {
    const adapter = createAlertmanagerAdapter({ baseUrl: am.url });
    const bad = await rejection(
      adapter.createSilence({
        matchers: [{ name: 'service', value: '(unclosed', isRegex: true, isEqual: true }],
        startsAt: new Date(),
        endsAt: new Date(Date.now() + 60_000),
        createdBy: 'warroom-test',
        comment: 'bad regex',
      }),
    );
    expect(bad.code).toBe('bad_request');
    expect(bad.message).toMatch(/missing closing \)|regexp/i);

    const missing = await rejection(adapter.expireSilence(randomUUID()));
    expect(missing.code).toBe('not_found');

    // Refused locally, before any request.
    expect((await rejection(adapter.listAlerts({ 'bad-name': 'x' }))).code).toBe('bad_request');
    const noMatchers = await rejection(adapter.createSilence({ matchers: [], startsAt: new Date(), endsAt: new Date(Date.now() + 60_000), createdBy: 'x', comment: 'x' }));
    expect(noMatchers.code).toBe('bad_request');
    const backwards = await rejection(
      adapter.createSilence({ matchers: [{ name: 'a', value: 'b', isRegex: false, isEqual: true }], startsAt: new Date(), endsAt: new Date(Date.now() - 60_000), createdBy: 'x', comment: 'x' }),
    );
    expect(backwards.code).toBe('bad_request');
  });
});

describe('Alertmanager harness with basic auth', () => {
  beforeAll(() => {
    requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE);
  });

  it('sends Basic credentials to the webhook', async () => {
    const receiver = await startReceiver();
    const am = await startAlertmanager({ webhookUrl: `${receiver.url}/hook`, basicAuth: { username: 'am', password: 'p w' }, groupWait: '1s' });
    try {
      await am.pushAlerts([{ labels: { alertname: 'BasicAuthProbe' } }]);
      const d = await waitFor(() => receiver.deliveries.find((x) => x.payload.commonLabels['alertname'] === 'BasicAuthProbe'), { timeoutMs: 15_000, what: 'webhook' });
      expect(d.authorization).toBe(`Basic ${Buffer.from('am:p w').toString('base64')}`);
    } finally {
      await am.stop();
      await receiver.close();
    }
  }, 60_000);
});

describe('Alertmanager config and failures without a server', () => {
  it('writes one route and a webhook receiver with send_resolved and the chosen auth', () => {
    const yml = alertmanagerConfig({ webhookUrl: 'http://127.0.0.1:1/hook', bearerToken: 's3cret', resolveTimeout: '2m' });
    expect(yml).toContain('send_resolved: true');
    expect(yml).toContain('credentials: s3cret');
    expect(yml).toContain('resolve_timeout: 2m');
    expect(yml).toContain('group_wait: 1s');
    expect(yml).toContain('group_interval: 5s');
    expect(yml).toContain('repeat_interval: 1h');
    expect(() => alertmanagerConfig({ webhookUrl: 'http://127.0.0.1:1/hook', bearerToken: 'x', basicAuth: { username: 'a', password: 'b' } })).toThrow(/mutually exclusive/);
  });

  it('amtool check-config accepts the generated config, with either auth', async () => {
    requireBinary('amtool', ALERTMANAGER_DEBIAN_PACKAGE);
    const { dir, cleanup } = tmpDir('amcfg');
    try {
      for (const auth of [{ bearerToken: 's3cret' }, { basicAuth: { username: 'am', password: 'pw' } }, {}]) {
        const file = path.join(dir, 'am.yml');
        writeFileSync(file, alertmanagerConfig({ webhookUrl: 'https://bot.example.com/webhooks/alertmanager', resolveTimeout: '2m', ...auth }));
        const { stdout } = await run('amtool', ['check-config', file], { timeout: 20_000 });
        expect(stdout).toMatch(/SUCCESS/);
        expect(stdout).toMatch(/1 receivers/);
      }
    } finally {
      cleanup();
    }
  });

  it('an unreachable Alertmanager is unavailable', async () => {
    const port = await freePort();
    const adapter = createAlertmanagerAdapter({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
    const err = await rejection(adapter.listAlerts({ alertname: 'x' }));
    expect(err.code).toBe('unavailable');
    expect(err.retryable).toBe(true);
  });
});
