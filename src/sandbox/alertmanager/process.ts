/**
 * A real Alertmanager (Debian package `prometheus-alertmanager`, 0.25 on bookworm) with one route
 * to one webhook receiver, for tests and the demo. Gossip is off (`--cluster.listen-address=`),
 * everything binds to 127.0.0.1 on a free port. Alerts are pushed and resolved through
 * `POST /api/v2/alerts`, as Prometheus would.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { findBinary, makeTempDir, removeDir, requireBinary, spawnServer, startOnFreePort } from '../prometheus/proc.js';

export const ALERTMANAGER_DEBIAN_PACKAGE = 'prometheus-alertmanager';
export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';

const Duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, 'a duration such as 5s or 1h');

const Options = z
  .object({
    webhookUrl: z.url({ protocol: /^https?$/ }),
    bearerToken: z.string().min(1).optional(),
    basicAuth: z.object({ username: z.string().min(1), password: z.string() }).optional(),
    groupWait: Duration.default('1s'),
    groupInterval: Duration.default('5s'),
    repeatInterval: Duration.default('1h'),
    resolveTimeout: Duration.optional(),
    /** Labels alerts are grouped by; default alertname. `['...']` groups by all labels. */
    groupBy: z.array(z.string().min(1)).default(['alertname']),
    /** 0 = unlimited. */
    maxAlerts: z.number().int().nonnegative().optional(),
    receiverName: z.string().min(1).default('warroom'),
    binDir: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    readyTimeoutMs: z.number().int().positive().default(20_000),
  })
  .refine((o) => !(o.bearerToken && o.basicAuth), 'bearerToken and basicAuth are mutually exclusive');

export type StartAlertmanagerOptions = z.input<typeof Options>;

export interface PushedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: Date | string;
  endsAt?: Date | string;
  generatorURL?: string;
}

export interface AlertmanagerServer {
  url: string;
  port: number;
  /** The alertmanager.yml that was written. */
  config: string;
  output(): string;
  /** POST /api/v2/alerts: fires (or refreshes) the alerts. */
  pushAlerts(alerts: PushedAlert[]): Promise<void>;
  /** Re-posts the alerts with endsAt = now, which resolves them. Pass the annotations again to keep them. */
  resolveAlerts(alerts: PushedAlert[]): Promise<void>;
  stop(): Promise<void>;
}

export function alertmanagerAvailable(binDir?: string): boolean {
  return findBinary(ALERTMANAGER_BINARY, binDir) !== undefined;
}

export function alertmanagerInstallHint(): string {
  return `Alertmanager is not installed: apt-get install ${ALERTMANAGER_DEBIAN_PACKAGE} (provides /usr/bin/prometheus-alertmanager and amtool)`;
}

/** alertmanager.yml: one route, one webhook receiver (send_resolved), bearer or basic auth. Pure. */
export function alertmanagerConfig(input: StartAlertmanagerOptions): string {
  const o = Options.parse(input);
  const httpConfig: Record<string, unknown> = {};
  if (o.bearerToken) httpConfig['authorization'] = { type: 'Bearer', credentials: o.bearerToken };
  if (o.basicAuth) httpConfig['basic_auth'] = { username: o.basicAuth.username, password: o.basicAuth.password };
  const webhook: Record<string, unknown> = { url: o.webhookUrl, send_resolved: true };
  if (o.maxAlerts !== undefined) webhook['max_alerts'] = o.maxAlerts;
  if (Object.keys(httpConfig).length > 0) webhook['http_config'] = httpConfig;
  const doc: Record<string, unknown> = {
    route: {
      receiver: o.receiverName,
      group_by: o.groupBy,
      group_wait: o.groupWait,
      group_interval: o.groupInterval,
      repeat_interval: o.repeatInterval,
    },
    receivers: [{ name: o.receiverName, webhook_configs: [webhook] }],
  };
  if (o.resolveTimeout) doc['global'] = { resolve_timeout: o.resolveTimeout };
  return stringify(doc);
}

function iso(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) throw new AppError('bad_request', `invalid alert time ${String(d)}`);
  return date.toISOString();
}

function postable(a: PushedAlert, endsAtOverride?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: a.labels };
  if (a.annotations) out['annotations'] = a.annotations;
  const startsAt = iso(a.startsAt);
  if (startsAt) out['startsAt'] = startsAt;
  const endsAt = endsAtOverride ?? iso(a.endsAt);
  if (endsAt) out['endsAt'] = endsAt;
  if (a.generatorURL) out['generatorURL'] = a.generatorURL;
  return out;
}

export async function startAlertmanager(input: StartAlertmanagerOptions): Promise<AlertmanagerServer> {
  const parsed = Options.safeParse(input);
  if (!parsed.success) throw new AppError('bad_request', `invalid alertmanager options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const bin = requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE, o.binDir);
  const config = alertmanagerConfig(input);
  const dir = makeTempDir('alertmanager');
  try {
    const configFile = path.join(dir, 'alertmanager.yml');
    writeFileSync(configFile, config, { mode: 0o600 });
    const { server, port } = await startOnFreePort(
      'alertmanager',
      (p) =>
        spawnServer(bin, [
          `--config.file=${configFile}`,
          `--storage.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${p}`,
          '--cluster.listen-address=',
          `--web.external-url=http://127.0.0.1:${p}`,
        ]),
      '/-/ready',
      o.readyTimeoutMs,
      o.port,
    );
    const url = `http://127.0.0.1:${port}`;
    const post = async (alerts: Record<string, unknown>[]) => {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw new AppError(res.status === 400 ? 'bad_request' : 'unavailable', `alertmanager rejected alerts (HTTP ${res.status}): ${text.slice(0, 300)}`);
    };
    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      config,
      output: server.output,
      pushAlerts: (alerts) => post(alerts.map((a) => postable(a))),
      resolveAlerts: (alerts) => {
        const now = new Date().toISOString();
        return post(alerts.map((a) => postable(a, now)));
      },
      stop() {
        stopped ??= server.stop().finally(() => removeDir(dir));
        return stopped;
      },
    };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}
