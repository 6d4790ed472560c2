/**
 * Names people read: titles that fit without cutting a word, channels from the service and the
 * symptom (`inc-42-data-service-latency`), for every alert source.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { channelName, DEFAULT_CHANNEL_TEMPLATE } from '../../src/domain/channel-name.js';
import { alertService, alertSymptom, incidentTitle, TITLE_MAX } from '../../src/domain/naming.js';
import { cutAtWord } from '../../src/domain/text.js';

const cloudwatch = (name: string, metricName: string, extra: Partial<Alert> = {}): Alert => ({
  source: 'cloudwatch',
  fingerprint: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
  status: 'firing',
  name,
  severity: 'SEV2',
  labels: { alertname: name, namespace: 'AWS/ApplicationELB', metric_name: metricName },
  annotations: {},
  startsAt: '2026-12-05T10:00:00Z',
  links: [],
  cloudwatch: {
    alarmName: name,
    alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    accountId: '123456789012',
    region: 'us-east-1',
    state: 'ALARM',
    trigger: { metricName, namespace: 'AWS/ApplicationELB', statistic: 'Average', dimensions: [{ name: 'LoadBalancer', value: 'app/k8s-apiprodcore-7db0ccf2c3/4f1a9c2e8b7d6e05' }], period: 60, evaluationPeriods: 3, comparisonOperator: 'GreaterThanThreshold', threshold: 0.8, metrics: [] },
  },
  ...extra,
});

const am = (labels: Record<string, string>, annotations: Record<string, string> = {}): Alert => ({
  source: 'alertmanager',
  fingerprint: 'f00dfeed12345678',
  status: 'firing',
  name: labels.alertname ?? 'X',
  severity: 'SEV1',
  labels,
  annotations,
  startsAt: '2026-12-05T10:00:00Z',
  links: [],
});

const name = (alert: Alert, id = 'INC-42') =>
  channelName({ template: DEFAULT_CHANNEL_TEMPLATE, incidentId: id, date: new Date('2026-12-05T10:00:00Z'), title: incidentTitle(alert), severity: alert.severity, ...(alertService(alert) ? { service: alertService(alert) } : {}), symptom: alertSymptom(alert) });

describe('channel names from the service and the symptom', () => {
  it('the seed alarm: the load balancer’s name and "latency", no hash, no date, no metric words', () => {
    const alert = cloudwatch('k8s-api-prod-core-7db0ccf2c3-target-response-time', 'TargetResponseTime');
    expect(name(alert)).toBe('inc-42-api-prod-core-latency');
  });

  it.each([
    [am({ alertname: 'HighLatency', service: 'data-service', namespace: 'prod' }), 'inc-42-data-service-latency'],
    [am({ alertname: 'KubePodCrashLooping', namespace: 'prod', deployment: 'checkout-api' }), 'inc-42-checkout-api-crashloop'],
    [am({ alertname: 'CheckoutErrorBudgetBurn', service: 'checkout' }), 'inc-42-checkout-slo-burn'],
    [am({ alertname: 'HTTP5xxRate', job: 'payments' }), 'inc-42-payments-5xx'],
    [am({ alertname: 'SomethingOdd' }), 'inc-42-something-odd'],
    [cloudwatch('orders-queue-age', 'ApproximateAgeOfOldestMessage'), 'inc-42-orders-queue-backlog'],
  ])('%# %j', (alert, expected) => {
    expect(name(alert)).toBe(expected);
  });

  it('a declared incident keeps the person’s words', () => {
    const manual: Alert = { ...am({ alertname: 'ManualIncident' }), source: 'manual', name: 'Payments latency high in EU' };
    expect(name(manual, 'INC-7')).toBe('inc-7-payments-latency-high-in-eu');
  });

  it('the id is never cut, whatever the length', () => {
    const long = am({ alertname: 'A'.repeat(200), service: 'b'.repeat(200) });
    const n = name(long, 'INC-123456');
    expect(n.length).toBeLessThanOrEqual(80);
    expect(n.startsWith('inc-123456-')).toBe(true);
  });
});

describe('titles fit without cutting a word; the alarm name stays whole elsewhere', () => {
  it('a CloudWatch title reads as service, symptom and condition, not "(AWS/Ap…"', () => {
    const t = incidentTitle(cloudwatch('k8s-api-prod-core-7db0ccf2c3-target-response-time', 'TargetResponseTime'));
    expect(t).toBe('api-prod-core latency: TargetResponseTime Average > 0.8');
    expect(t).not.toContain('AWS/');
  });

  it('a long summary is cut at a word with an ellipsis', () => {
    const t = incidentTitle(am({ alertname: 'HighErrorRate', service: 'checkout' }, { summary: 'the checkout service answers with 5xx for more than five percent of requests '.repeat(4) }));
    expect(t.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(t.endsWith('…')).toBe(true);
    const lastWord = t.slice(0, -1).split(' ').pop() ?? '';
    expect(['the', 'checkout', 'service', 'answers', 'with', '5xx', 'for', 'more', 'than', 'five', 'percent', 'of', 'requests']).toContain(lastWord);
  });

  it('cutAtWord', () => {
    expect(cutAtWord('short', 10)).toBe('short');
    expect(cutAtWord('alpha beta gamma delta', 15)).toBe('alpha beta…');
    expect(cutAtWord('supercalifragilistic', 10)).toBe('supercali…');
  });
});
