/** Property tests of the normalisers and parsers (fast-check). */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Alert } from '../../src/domain/alert.js';
import { alertmanagerDeliveryId, normaliseAlertmanager, parseAlertmanagerBody, parseAlertmanagerWebhook } from '../../src/domain/normalise/alertmanager.js';
import {
  normaliseCloudWatchAlarm,
  parseCloudWatchAlarmMessage,
  parseEventBridgeAlarmEvent,
  parseSnsEnvelope,
} from '../../src/domain/normalise/cloudwatch.js';
import { parseTimestamp } from '../../src/domain/normalise/common.js';
import { makeSeverityOf } from '../../src/domain/normalise/severity.js';

const read = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');
const severityOf = makeSeverityOf({ label: 'severity', map: { critical: 'SEV1', warning: 'SEV3' }, default: 'SEV4' });

const labelMap = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 12 });
const rfc3339 = fc
  .tuple(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 999_999 }))
  .map(([d, extra]) => d.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${String(extra).padStart(6, '0')}Z`));

const amAlert = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels: labelMap,
  annotations: labelMap,
  startsAt: rfc3339,
  endsAt: fc.oneof(fc.constant('0001-01-01T00:00:00Z'), rfc3339),
  generatorURL: fc.oneof(fc.constant(''), fc.webUrl(), fc.string()),
  fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
});
const amPayload = fc.record({
  version: fc.constant('4'),
  groupKey: fc.string({ minLength: 1, maxLength: 60 }),
  truncatedAlerts: fc.nat(5),
  receiver: fc.string(),
  status: fc.constantFrom('firing', 'resolved'),
  alerts: fc.array(amAlert, { maxLength: 6 }),
  groupLabels: labelMap,
  commonLabels: labelMap,
  commonAnnotations: labelMap,
  externalURL: fc.string(),
});

/** Through the wire format, as the handler sees it. */
const wire = (v: unknown): string => JSON.stringify(v);

describe('Alertmanager normaliser properties', () => {
  it('arbitrary label maps never throw, and every label and annotation is kept', () => {
    fc.assert(
      fc.property(amPayload, (payload) => {
        const r = parseAlertmanagerBody(wire(payload));
        if (!r.ok) throw new Error(r.error);
        const alerts = normaliseAlertmanager(r.payload, { severityOf });
        expect(alerts).toHaveLength(payload.alerts.length);
        alerts.forEach((a, i) => {
          const src = payload.alerts[i];
          if (!src) throw new Error('missing source alert');
          expect(Object.entries(a.labels).sort()).toEqual(Object.entries(JSON.parse(wire(src.labels)) as Record<string, string>).sort());
          expect(Object.entries(a.annotations).sort()).toEqual(Object.entries(JSON.parse(wire(src.annotations)) as Record<string, string>).sort());
          expect(a.fingerprint).toBe(src.fingerprint);
          expect(a.status).toBe(src.status);
          expect(a.name.length).toBeGreaterThan(0);
          // UTC ISO, the same instant to the millisecond.
          expect(a.startsAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          expect(Date.parse(a.startsAt)).toBe(parseTimestamp(src.startsAt)?.getTime());
          expect(a.endsAt === undefined).toBe(src.endsAt.startsWith('0001-'));
          for (const l of a.links) expect(l.url).toMatch(/^https?:\/\//);
          // Domain schema holds, except zod's record drops a "__proto__" key, which we keep.
          if (!Object.keys(src.labels).includes('__proto__') && !Object.keys(src.annotations).includes('__proto__')) {
            expect(Alert.safeParse(a).success).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('the delivery id is BullMQ-safe and independent of alert order', () => {
    fc.assert(
      fc.property(amPayload, (payload) => {
        const r = parseAlertmanagerWebhook(JSON.parse(wire(payload)));
        const shuffled = parseAlertmanagerWebhook(JSON.parse(wire({ ...payload, alerts: [...payload.alerts].reverse() })));
        if (!r.ok || !shuffled.ok) throw new Error('valid payload refused');
        const id = alertmanagerDeliveryId(r.payload);
        expect(id).toMatch(/^am-[0-9a-f]{32}$/);
        expect(alertmanagerDeliveryId(shuffled.payload)).toBe(id);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parsers never crash on arbitrary input', () => {
  const anyJson = fc.jsonValue({ maxDepth: 4 });

  it('Alertmanager: any JSON value or text gives a result, errors are non-empty strings', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, amPayload.map((p) => ({ ...p, alerts: 'x' }))), (v) => {
        const r = parseAlertmanagerWebhook(v);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = parseAlertmanagerBody(text);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('SNS envelope, alarm message and EventBridge event: any JSON gives a result, never a throw', () => {
    fc.assert(
      fc.property(anyJson, (v) => {
        const text = wire(v);
        for (const r of [parseSnsEnvelope(text), parseCloudWatchAlarmMessage(text), parseEventBridgeAlarmEvent(v)]) {
          if (!r.ok) expect(typeof r.error).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('alarm messages with arbitrary values in each field parse or fail cleanly, and normalise when they parse', () => {
    const n = parseSnsEnvelope(read('sns/cloudwatch-alb-p99-alarm.json'));
    if (!n.ok || n.envelope.Type !== 'Notification') throw new Error('fixture');
    const base = JSON.parse(n.envelope.Message) as Record<string, unknown>;
    const trigger = base.Trigger as Record<string, unknown>;
    const keys = Object.keys(base);
    const triggerKeys = Object.keys(trigger);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.constantFrom(...triggerKeys), anyJson, anyJson, (k, tk, v, tv) => {
        const msg = { ...base, [k]: v, Trigger: k === 'Trigger' ? v : { ...trigger, [tk]: tv } };
        const r = parseCloudWatchAlarmMessage(wire(msg));
        if (!r.ok) {
          expect(r.error).toMatch(/^invalid CloudWatch alarm message: /);
          return;
        }
        const a = normaliseCloudWatchAlarm(r.message, { severityOf });
        expect(Alert.safeParse(a).success).toBe(true);
        expect(a.fingerprint).toBe(r.message.alarmArn);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary dimension lists keep every distinct dimension as a dim_ label', () => {
    const n = parseSnsEnvelope(read('sns/cloudwatch-alb-p99-alarm.json'));
    if (!n.ok || n.envelope.Type !== 'Notification') throw new Error('fixture');
    const base = JSON.parse(n.envelope.Message) as { Trigger: Record<string, unknown> } & Record<string, unknown>;
    const dims = fc.uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), value: fc.string({ maxLength: 40 }) }), { selector: (d) => d.name, maxLength: 10 });
    fc.assert(
      fc.property(dims, (ds) => {
        const msg = { ...base, Trigger: { ...base.Trigger, Dimensions: ds.map((d) => ({ value: d.value, name: d.name })) } };
        const r = parseCloudWatchAlarmMessage(wire(msg));
        if (!r.ok) throw new Error(r.error);
        const a = normaliseCloudWatchAlarm(r.message, { severityOf });
        for (const d of ds) expect(Object.getOwnPropertyDescriptor(a.labels, `dim_${d.name}`)?.value).toBe(d.value);
      }),
      { numRuns: 300 },
    );
  });
});
