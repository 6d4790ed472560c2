import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Alert } from '../../src/domain/alert.js';
import {
  alertmanagerDeliveryId,
  normaliseAlertmanager,
  parseAlertmanagerBody,
  parseAlertmanagerWebhook,
  type AlertmanagerWebhook,
} from '../../src/domain/normalise/alertmanager.js';
import { makeSeverityOf } from '../../src/domain/normalise/severity.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/alertmanager/${name}`, import.meta.url), 'utf8');
const severityOf = makeSeverityOf({ label: 'severity', map: { critical: 'SEV1', warning: 'SEV3' }, default: 'SEV4' });

function parsed(name: string): AlertmanagerWebhook {
  const r = parseAlertmanagerBody(fixture(name));
  if (!r.ok) throw new Error(r.error);
  return r.payload;
}

describe('parseAlertmanagerWebhook', () => {
  it('accepts the payload captured from Alertmanager 0.25', () => {
    const p = parsed('am-0.25-firing.json');
    expect(p.groupKey).toBe('{}:{alertname="HighErrorRate", service="checkout"}');
    expect(p.truncatedAlerts).toBe(1);
    expect(p.alerts.map((a) => a.fingerprint)).toEqual(['c8b017c89e4dff94', '49e4e9f4cb7806cf']);
  });

  it('ignores fields added by newer versions (notification_reason, routeLabels, per-alert extras)', () => {
    const p = parsed('am-0.32-extra-fields.json');
    expect(p.alerts).toHaveLength(1);
    expect(Object.keys(p)).not.toContain('notification_reason');
    expect(Object.keys(p)).not.toContain('routeLabels');
  });

  it('names every problem with its path', () => {
    const r = parseAlertmanagerBody(fixture('invalid-version-and-times.json'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain('version:');
    expect(r.error).toContain('alerts[0].labels.replicas: expected a string, received number');
    expect(r.error).toContain('alerts[0].startsAt: must be an RFC3339 timestamp');
    expect(r.error).toContain('alerts[1].status:');
    expect(r.error).toContain('alerts[1].fingerprint:');
  });

  it('refuses a body without alerts, naming the field', () => {
    const r = parseAlertmanagerBody(fixture('invalid-missing-alerts.json'));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) {
      expect(r.error).toMatch(/(^|; |: )alerts: /);
      // Absent label maps are empty, not errors: only the missing alerts are reported.
      expect(r.error).not.toContain('groupLabels');
    }
  });

  it('refuses malformed JSON, empty bodies and non-objects with a clear message', () => {
    const bad = parseAlertmanagerBody('{"version": "4",');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^Alertmanager webhook body is not valid JSON/);
    const empty = parseAlertmanagerBody('  ');
    if (!empty.ok) expect(empty.error).toBe('Alertmanager webhook body is empty');
    else throw new Error('empty body accepted');
    const arr = parseAlertmanagerWebhook([1, 2]);
    expect(arr.ok).toBe(false);
    if (!arr.ok) expect(arr.error).toContain('(root)');
  });

  it('treats null labels/annotations (a Go nil map) as empty', () => {
    const p = JSON.parse(fixture('am-0.25-firing.json')) as { alerts: Array<Record<string, unknown>> };
    const first = p.alerts[0];
    if (!first) throw new Error('fixture has no alerts');
    first.annotations = null;
    const r = parseAlertmanagerWebhook(p);
    expect(r.ok && r.payload.alerts[0]?.annotations).toEqual({});
  });
});

describe('normaliseAlertmanager', () => {
  it('maps the 0.25 capture to domain alerts', () => {
    const alerts = normaliseAlertmanager(parsed('am-0.25-firing.json'), { severityOf });
    expect(alerts).toHaveLength(2);
    for (const a of alerts) expect(Alert.safeParse(a).success).toBe(true);
    const [a, b] = alerts;
    expect(a).toEqual({
      source: 'alertmanager',
      fingerprint: 'c8b017c89e4dff94',
      status: 'firing',
      name: 'HighErrorRate',
      severity: 'SEV1',
      labels: { alertname: 'HighErrorRate', instance: 'a', mode: 'ok', namespace: 'prod', service: 'checkout', severity: 'critical' },
      annotations: { runbook_url: 'https://runbooks/x', summary: '5xx > 5%' },
      startsAt: '2026-11-21T08:56:53.000Z',
      links: [
        { title: 'Source', url: 'http://prometheus:9090/graph?g0.expr=x' },
        { title: 'Runbook', url: 'https://runbooks/x' },
      ],
      groupKey: '{}:{alertname="HighErrorRate", service="checkout"}',
    });
    // Nanosecond start time, zero endsAt (no end), empty generatorURL (no link).
    expect(b?.startsAt).toBe('2026-11-21T08:56:53.708Z');
    expect(b?.endsAt).toBeUndefined();
    expect(b?.links).toEqual([]);
  });

  it('carries the real endsAt of a resolved alert', () => {
    const alerts = normaliseAlertmanager(parsed('am-0.25-one-resolved.json'), { severityOf });
    expect(alerts.map((a) => [a.fingerprint, a.status, a.endsAt])).toEqual([
      ['c8b017c89e4dff94', 'resolved', '2026-11-21T08:57:18.000Z'],
      ['49e4e9f4cb7806cf', 'firing', undefined],
    ]);
  });

  it('converts offsets to UTC, keeps dashboard links, drops unsafe URLs, maps warning severity', () => {
    const [a] = normaliseAlertmanager(parsed('am-0.32-extra-fields.json'), { severityOf });
    expect(a?.startsAt).toBe('2026-11-21T08:01:02.500Z');
    expect(a?.severity).toBe('SEV3');
    expect(a?.links.map((l) => l.title)).toEqual(['Source', 'Dashboard']);
    expect(a?.annotations.runbook_url).toBe('javascript:alert(1)'); // kept as data, never as a link
  });

  it('keeps labels named like Object.prototype members (__proto__, constructor)', () => {
    const body = fixture('am-0.25-firing.json').replace('"instance": "a",', '"__proto__": "x", "constructor": "y", "instance": "a",');
    const r = parseAlertmanagerBody(body);
    if (!r.ok) throw new Error(r.error);
    const [a] = normaliseAlertmanager(r.payload, { severityOf });
    expect(Object.keys(a?.labels ?? {})).toEqual(expect.arrayContaining(['__proto__', 'constructor', 'instance']));
    expect(Object.getOwnPropertyDescriptor(a?.labels, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(a?.labels)).toBe(Object.prototype);
  });

  it('names an alert without alertname by its fingerprint', () => {
    const p = parsed('am-0.25-firing.json');
    const first = p.alerts[0];
    if (!first) throw new Error('no alert');
    delete first.labels.alertname;
    expect(normaliseAlertmanager(p, { severityOf })[0]?.name).toBe('alert c8b017c89e4dff94');
  });
});

describe('alertmanagerDeliveryId', () => {
  it('is stable for an unchanged re-send, whatever the alert order', () => {
    const first = parsed('am-0.25-firing.json');
    const again = parsed('am-0.25-firing.json');
    again.alerts.reverse();
    again.receiver = 'another-receiver-name';
    expect(alertmanagerDeliveryId(again)).toBe(alertmanagerDeliveryId(first));
  });

  it('changes when an alert resolves', () => {
    expect(alertmanagerDeliveryId(parsed('am-0.25-one-resolved.json'))).not.toBe(alertmanagerDeliveryId(parsed('am-0.25-firing.json')));
  });

  it('changes with the group and with the truncated count', () => {
    const base = parsed('am-0.25-firing.json');
    const otherGroup = { ...base, groupKey: '{}:{alertname="Other"}' };
    const moreTruncated = { ...base, truncatedAlerts: 2 };
    const ids = new Set([base, otherGroup, moreTruncated].map(alertmanagerDeliveryId));
    expect(ids.size).toBe(3);
  });

  it('is a valid BullMQ job id: no colon, not all digits', () => {
    const id = alertmanagerDeliveryId(parsed('am-0.25-firing.json'));
    expect(id).toMatch(/^am-[0-9a-f]{32}$/);
  });
});
