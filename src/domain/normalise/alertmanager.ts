/**
 * Prometheus Alertmanager webhook (`webhook_config`), payload version "4" (protocols.md section 1).
 * Unknown fields (newer versions add `notification_reason`, `routeLabels`, ...) are ignored.
 */
import { z } from 'zod';
import type { Alert } from '../alert.js';
import { formatIssues, isZeroTime, jobSafeId, parseJsonText, parseTimestamp, safeHttpUrl, sha256Hex, StringMap, Timestamp } from './common.js';
import type { ParseResult } from './common.js';
import type { SeverityOf } from './severity.js';

export const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: StringMap,
  annotations: StringMap,
  startsAt: Timestamp,
  /** `0001-01-01T00:00:00Z` (Go's zero time) for firing alerts: no end. */
  endsAt: Timestamp.optional(),
  generatorURL: z.string().nullish(),
  /** 16 hex chars, a hash of the label set: one alert's identity. */
  fingerprint: z.string().min(1),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhook = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  receiver: z.string().default(''),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(AlertmanagerAlert),
  groupLabels: StringMap,
  commonLabels: StringMap,
  commonAnnotations: StringMap,
  externalURL: z.string().nullish(),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Validates a decoded webhook body; the error lists every issue with its path. */
export function parseAlertmanagerWebhook(json: unknown): ParseResult<'payload', AlertmanagerWebhook> {
  const r = AlertmanagerWebhook.safeParse(json);
  if (!r.success) return { ok: false, error: `invalid Alertmanager webhook: ${formatIssues(r.error)}` };
  return { ok: true, payload: r.data };
}

/** The same from the raw request body text. */
export function parseAlertmanagerBody(text: string): ParseResult<'payload', AlertmanagerWebhook> {
  const j = parseJsonText(text, 'Alertmanager webhook body');
  return j.ok ? parseAlertmanagerWebhook(j.value) : j;
}

function iso(s: string): string {
  const d = parseTimestamp(s);
  // The schema validated every timestamp; this is unreachable for parsed payloads.
  if (!d) throw new Error(`not a timestamp: ${s}`);
  return d.toISOString();
}

function linksOf(a: AlertmanagerAlert): Alert['links'] {
  const links: Alert['links'] = [];
  const add = (title: string, url: string | null | undefined) => {
    const safe = safeHttpUrl(url ?? undefined);
    if (safe && !links.some((l) => l.url === safe)) links.push({ title, url: safe });
  };
  add('Source', a.generatorURL);
  add('Runbook', a.annotations.runbook_url);
  add('Dashboard', a.annotations.dashboard_url);
  return links;
}

export interface NormaliseOptions {
  severityOf: SeverityOf;
}

/** One domain Alert per Alertmanager alert, in payload order. */
export function normaliseAlertmanager(payload: AlertmanagerWebhook, opts: NormaliseOptions): Alert[] {
  return payload.alerts.map((a) => {
    const endsAtDate = a.endsAt === undefined ? undefined : parseTimestamp(a.endsAt);
    const endsAt = endsAtDate && !isZeroTime(endsAtDate) ? endsAtDate.toISOString() : undefined;
    const alertname = Object.prototype.hasOwnProperty.call(a.labels, 'alertname') ? a.labels.alertname : undefined;
    const alert: Alert = {
      source: 'alertmanager',
      fingerprint: a.fingerprint,
      status: a.status,
      name: alertname && alertname.trim() !== '' ? alertname : `alert ${a.fingerprint}`,
      severity: opts.severityOf(a.labels),
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.startsAt),
      links: linksOf(a),
      groupKey: payload.groupKey,
    };
    if (endsAt !== undefined) alert.endsAt = endsAt;
    return alert;
  });
}

/**
 * Deterministic id of one delivery (used as the BullMQ job id, so no `:` and never all digits).
 * Alertmanager re-sends the whole group every group_interval: an unchanged group hashes to the same
 * id (the redelivery is dropped as a duplicate job), any change (an alert resolved, a new alert, a
 * different truncated count) to a new one. Alert order does not matter.
 */
export function alertmanagerDeliveryId(payload: AlertmanagerWebhook): string {
  const parts = payload.alerts
    .map((a) => [a.fingerprint, a.status, a.startsAt, a.endsAt ?? ''].join('|'))
    .sort();
  const text = [payload.groupKey, String(payload.truncatedAlerts), ...parts].join('\n');
  return jobSafeId('am', sha256Hex(text).slice(0, 32));
}
