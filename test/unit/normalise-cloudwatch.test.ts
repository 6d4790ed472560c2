import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Alert } from '../../src/domain/alert.js';
import {
  cleanTreatMissingData,
  eventBridgeDeliveryId,
  normaliseCloudWatchAlarm,
  normaliseEventBridgeAlarm,
  normaliseStatistic,
  parseCloudWatchAlarmMessage,
  parseEventBridgeAlarmEvent,
  parseSnsEnvelope,
  snsDeliveryId,
  type CloudWatchAlarmMessage,
  type SnsNotification,
} from '../../src/domain/normalise/cloudwatch.js';
import { makeSeverityOf } from '../../src/domain/normalise/severity.js';

const read = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const severityOf = makeSeverityOf({
  label: 'severity',
  map: {},
  default: 'SEV3',
  namePatterns: [{ pattern: 'p99|latency', severity: 'SEV2' }],
});

function notification(path: string): SnsNotification {
  const r = parseSnsEnvelope(read(path));
  if (!r.ok) throw new Error(r.error);
  if (r.envelope.Type !== 'Notification') throw new Error(`not a notification: ${r.envelope.Type}`);
  return r.envelope;
}

function alarm(path: string): CloudWatchAlarmMessage {
  const r = parseCloudWatchAlarmMessage(notification(path).Message);
  if (!r.ok) throw new Error(r.error);
  return r.message;
}

describe('parseSnsEnvelope', () => {
  it('parses the three SNS types', () => {
    expect(notification('sns/cloudwatch-alb-p99-alarm.json').Subject).toBe('ALARM: "checkout-p99-latency" in US East (N. Virginia)');
    const sub = parseSnsEnvelope(read('sns/subscription-confirmation.json'));
    expect(sub.ok && sub.envelope.Type).toBe('SubscriptionConfirmation');
    const unsub = parseSnsEnvelope(read('sns/unsubscribe-confirmation.json'));
    expect(unsub.ok && unsub.envelope.Type).toBe('UnsubscribeConfirmation');
  });

  it('accepts the Lambda spelling SigningCertUrl/UnsubscribeUrl and a null Subject', () => {
    const n = notification('sns/cloudwatch-route53-ok-lambda-spelling.json');
    expect(n.SigningCertURL).toBe('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-56e67fcb41f6fec09b0196692625d385.pem');
    expect(n.UnsubscribeURL).toMatch(/^https:\/\/sns\.us-east-1\.amazonaws\.com\/\?Action=Unsubscribe/);
    const withNull = JSON.parse(read('sns/cloudwatch-route53-ok-lambda-spelling.json')) as Record<string, unknown>;
    withNull.Subject = null;
    const r = parseSnsEnvelope(JSON.stringify(withNull));
    expect(r.ok && r.envelope.Type === 'Notification' && 'Subject' in r.envelope).toBe(false);
  });

  it('names what is wrong', () => {
    const bad = parseSnsEnvelope('{"Type":"Notification","MessageId":"x"}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      for (const field of ['TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL']) expect(bad.error).toContain(`${field}:`);
    }
    const unknownType = parseSnsEnvelope('{"Type":"Hello"}');
    if (unknownType.ok) throw new Error('accepted');
    expect(unknownType.error).toContain('Type must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation');
    const notJson = parseSnsEnvelope('Hello world');
    if (notJson.ok) throw new Error('accepted');
    expect(notJson.error).toMatch(/^SNS message body is not valid JSON/);
  });
});

describe('parseCloudWatchAlarmMessage', () => {
  it('reads a single-metric percentile alarm', () => {
    const m = alarm('sns/cloudwatch-alb-p99-alarm.json');
    expect(m.region).toBe('us-east-1');
    expect(m.regionName).toBe('US East (N. Virginia)');
    expect(m.stateChangeTime).toBe('2026-11-21T08:59:12.345Z');
    expect(m.trigger).toEqual({
      metricName: 'TargetResponseTime',
      namespace: 'AWS/ApplicationELB',
      statistic: 'p99',
      dimensions: [
        { name: 'TargetGroup', value: 'targetgroup/k8s-prod-checkout-0a1b2c3d4e/73e2d6bc24d8a067' },
        { name: 'LoadBalancer', value: 'app/k8s-prod-web-9f8e7d6c5b/50dc6c495c0c9188' },
      ],
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 1.5,
      treatMissingData: 'notBreaching',
      metrics: [],
    });
    expect(m.warnings).toEqual([]);
  });

  it('reads a metric-math alarm with string booleans and the TreatMissingData junk prefix', () => {
    const m = alarm('sns/cloudwatch-metric-math-alarm.json');
    expect(m.trigger?.treatMissingData).toBe('missing');
    expect(m.trigger?.metricName).toBeUndefined();
    expect(m.trigger?.metrics).toEqual([
      { id: 'e1', expression: 'FILL(m1, 0)', label: 'Expression1', returnData: true },
      {
        id: 'm1',
        returnData: false,
        metric: {
          namespace: 'AWS/Usage',
          metricName: 'CallCount',
          dimensions: [
            { name: 'Type', value: 'API' },
            { name: 'Resource', value: 'DescribeAlarms' },
            { name: 'Service', value: 'CloudWatch' },
            { name: 'Class', value: 'None' },
          ],
          period: 60,
          stat: 'Average',
        },
      },
    ]);
  });

  it('reads the route53 OK capture: SAMPLE_COUNT normalised, region code from the ARN', () => {
    const m = alarm('sns/cloudwatch-route53-ok-lambda-spelling.json');
    expect(m.state).toBe('OK');
    expect(m.previousState).toBe('ALARM');
    expect(m.trigger?.statistic).toBe('SampleCount');
    expect(m.trigger?.unit).toBeUndefined();
    expect(m.okActions).toEqual(['arn:aws:sns:us-east-1:951708231033:guardian']);
  });

  it('copes with the older-capture quirks: actions as strings, Dimensions "", numbers as strings', () => {
    const m = alarm('sns/cloudwatch-insufficient-data-quirks.json');
    expect(m.state).toBe('INSUFFICIENT_DATA');
    expect(m.okActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:warroom']);
    expect(m.insufficientDataActions).toEqual([]);
    expect(m.description).toBeUndefined();
    expect(m.trigger).toMatchObject({ statistic: 'Average', dimensions: [], evaluationPeriods: 2, threshold: 1000, unit: 'Count', treatMissingData: 'missing' });
  });

  it('accepts a composite alarm (AlarmRule, no Trigger)', () => {
    const m = alarm('sns/cloudwatch-composite-alarm.json');
    expect(m.trigger).toBeUndefined();
    expect(m.alarmRule).toMatch(/^ALARM\(arn:aws:cloudwatch:us-east-1:427809481713:alarm:.*metric_emitting_node_failure\) OR ALARM\(/);
    expect(m.triggeringChildren).toEqual([
      {
        arn: 'arn:aws:cloudwatch:us-east-1:427809481713:alarm:if-sim-app_427809481713_us-east-1-metric_emitting_node_failure',
        state: 'ALARM',
        timestamp: '2021-11-10T02:45:55.640Z',
      },
    ]);
    expect(m.description).toBeUndefined(); // "" is no description
  });

  it('keeps the alarm and warns when the Trigger cannot be understood', () => {
    const raw = JSON.parse(notification('sns/cloudwatch-alb-p99-alarm.json').Message) as Record<string, unknown>;
    raw.Trigger = { MetricName: 'X', Period: 'soon', ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, Threshold: 1 };
    const r = parseCloudWatchAlarmMessage(JSON.stringify(raw));
    if (!r.ok) throw new Error(r.error);
    expect(r.message.trigger).toBeUndefined();
    expect(r.message.warnings).toEqual([expect.stringContaining('Trigger.Period')]);
  });

  it('refuses a message that is not an alarm, naming the fields', () => {
    const text = parseCloudWatchAlarmMessage('Hello world!');
    if (text.ok) throw new Error('accepted');
    expect(text.error).toContain('not a CloudWatch alarm');
    const wrong = parseCloudWatchAlarmMessage(JSON.stringify({ AlarmName: 'x', NewStateValue: 'PANIC', StateChangeTime: 'now', AlarmArn: 'arn:aws:sns:us-east-1:1:topic' }));
    if (wrong.ok) throw new Error('accepted');
    expect(wrong.error).toContain('NewStateValue:');
    expect(wrong.error).toContain('StateChangeTime: must be an RFC3339 timestamp');
    expect(wrong.error).toContain('AlarmArn: must be a CloudWatch alarm ARN');
  });

  it('normalises statistics and TreatMissingData', () => {
    expect(['AVERAGE', 'SUM', 'SAMPLE_COUNT', 'MINIMUM', 'MAXIMUM', 'p99', 'p99.9', 'tm90', 'Average'].map(normaliseStatistic)).toEqual([
      'Average',
      'Sum',
      'SampleCount',
      'Minimum',
      'Maximum',
      'p99',
      'p99.9',
      'tm90',
      'Average',
    ]);
    expect(cleanTreatMissingData('- TreatMissingData:                    missing')).toBe('missing');
    expect(cleanTreatMissingData('breaching')).toBe('breaching');
    expect(cleanTreatMissingData('')).toBeUndefined();
  });
});

describe('normaliseCloudWatchAlarm', () => {
  it('maps an ALARM to a firing alert with labels, annotations, trigger and console link', () => {
    const n = notification('sns/cloudwatch-alb-p99-alarm.json');
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-alb-p99-alarm.json'), { severityOf, groupKey: n.MessageId });
    expect(Alert.safeParse(a).success).toBe(true);
    expect(a).toMatchObject({
      source: 'cloudwatch',
      fingerprint: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-p99-latency',
      status: 'firing',
      name: 'checkout-p99-latency',
      severity: 'SEV2',
      startsAt: '2026-11-21T08:59:12.345Z',
      groupKey: '9a3c1bd4-6f1e-5b8e-9c0a-2f7d3e4b5a61',
    });
    expect(a.endsAt).toBeUndefined();
    expect(a.labels).toEqual({
      alertname: 'checkout-p99-latency',
      alarm_name: 'checkout-p99-latency',
      namespace: 'AWS/ApplicationELB',
      metric_name: 'TargetResponseTime',
      dim_TargetGroup: 'targetgroup/k8s-prod-checkout-0a1b2c3d4e/73e2d6bc24d8a067',
      dim_LoadBalancer: 'app/k8s-prod-web-9f8e7d6c5b/50dc6c495c0c9188',
      region: 'us-east-1',
      account: '123456789012',
    });
    expect(a.annotations).toEqual({
      description: 'p99 latency of the checkout target group',
      reason: expect.stringMatching(/^Threshold Crossed: 3 out of the last 5 datapoints/),
    });
    expect(a.links).toEqual([
      { title: 'CloudWatch alarm', url: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/checkout-p99-latency' },
    ]);
    expect(a.cloudwatch).toMatchObject({ state: 'ALARM', previousState: 'OK', region: 'us-east-1', accountId: '123456789012' });
    expect(a.cloudwatch?.trigger?.statistic).toBe('p99');
  });

  it('takes the labels of a metric-math alarm from its MetricStat', () => {
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-metric-math-alarm.json'), { severityOf });
    expect(a.labels).toMatchObject({ namespace: 'AWS/Usage', metric_name: 'CallCount', dim_Type: 'API', dim_Resource: 'DescribeAlarms', dim_Service: 'CloudWatch', dim_Class: 'None' });
    expect(a.links[0]?.url).toBe('https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/Test%20LocalTime');
  });

  it('resolves on OK, with endsAt at the state change', () => {
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-route53-ok-lambda-spelling.json'), { severityOf });
    expect(a.status).toBe('resolved');
    expect(a.endsAt).toBe('2023-02-18T16:43:21.231Z');
    expect(a.cloudwatch?.state).toBe('OK');
  });

  it('keeps INSUFFICIENT_DATA in cloudwatch.state and never reports it as firing', () => {
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-insufficient-data-quirks.json'), { severityOf });
    expect(a.status).toBe('resolved');
    expect(a.cloudwatch?.state).toBe('INSUFFICIENT_DATA');
    expect(a.endsAt).toBeUndefined();
    expect(a.labels.region).toBe('eu-west-1');
    expect(a.annotations.description).toBeUndefined();
  });

  it('normalises a composite alarm with its rule as an annotation', () => {
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-composite-alarm.json'), { severityOf });
    expect(Alert.safeParse(a).success).toBe(true);
    expect(a.status).toBe('firing');
    expect(a.annotations.alarm_rule).toContain(' OR ');
    expect(a.labels.namespace).toBeUndefined();
    expect(a.cloudwatch?.trigger).toBeUndefined();
  });

  it('reads an ExtendedStatistic of "Average" (real capture) and the us-east-2 region code', () => {
    const a = normaliseCloudWatchAlarm(alarm('sns/cloudwatch-extended-average-us-east-2.json'), { severityOf });
    expect(a.cloudwatch?.trigger?.statistic).toBe('Average');
    expect(a.cloudwatch?.trigger?.treatMissingData).toBeUndefined();
    expect(a.labels.region).toBe('us-east-2');
    expect(a.severity).toBe('SEV2'); // name pattern "latency"
  });

  it('links China and GovCloud alarms to their own consoles', () => {
    const base = alarm('sns/cloudwatch-alb-p99-alarm.json');
    const cn = normaliseCloudWatchAlarm({ ...base, arn: { ...base.arn, partition: 'aws-cn', region: 'cn-north-1' }, region: 'cn-north-1' }, { severityOf });
    expect(cn.links[0]?.url).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#/);
    const gov = normaliseCloudWatchAlarm({ ...base, arn: { ...base.arn, partition: 'aws-us-gov', region: 'us-gov-west-1' } }, { severityOf });
    expect(gov.links[0]?.url).toMatch(/^https:\/\/console\.amazonaws-us-gov\.com\/cloudwatch\/home\?region=us-gov-west-1#/);
  });
});

describe('EventBridge', () => {
  it('normalises the documented "CloudWatch Alarm State Change" event', () => {
    const r = parseEventBridgeAlarmEvent(JSON.parse(read('eventbridge/alarm-state-change.json')));
    if (!r.ok) throw new Error(r.error);
    const a = normaliseEventBridgeAlarm(r.event, { severityOf });
    expect(Alert.safeParse(a).success).toBe(true);
    expect(a).toMatchObject({
      source: 'cloudwatch',
      fingerprint: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      status: 'firing',
      name: 'ServerCpuTooHigh',
      startsAt: '2019-10-02T17:04:40.989Z',
      groupKey: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    });
    expect(a.labels).toEqual({
      alertname: 'ServerCpuTooHigh',
      alarm_name: 'ServerCpuTooHigh',
      namespace: 'AWS/EC2',
      metric_name: 'CPUUtilization',
      dim_InstanceId: 'i-12345678901234567',
      region: 'us-east-1',
      account: '123456789012',
    });
    expect(a.annotations.description).toBe('Goes into alarm when server CPU utilization is too high!');
    expect(a.cloudwatch).toMatchObject({ state: 'ALARM', previousState: 'OK', region: 'us-east-1' });
    // No threshold/comparison in the event: no trigger rather than a made-up one.
    expect(a.cloudwatch?.trigger).toBeUndefined();
  });

  it('builds the ARN from region, account and name when resources lack it', () => {
    const ev = JSON.parse(read('eventbridge/alarm-state-change.json')) as Record<string, unknown>;
    ev.resources = [];
    const r = parseEventBridgeAlarmEvent(ev);
    if (!r.ok) throw new Error(r.error);
    expect(normaliseEventBridgeAlarm(r.event, { severityOf }).fingerprint).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh');
  });

  it('refuses other detail types, naming the field', () => {
    const ev = JSON.parse(read('eventbridge/alarm-state-change.json')) as Record<string, unknown>;
    ev['detail-type'] = 'CloudWatch Alarm Configuration Change';
    const r = parseEventBridgeAlarmEvent(ev);
    if (r.ok) throw new Error('accepted');
    expect(r.error).toContain('detail-type: Invalid input: expected "CloudWatch Alarm State Change"');
  });
});

describe('delivery ids', () => {
  it('are BullMQ-safe and stable per message', () => {
    expect(snsDeliveryId('22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324')).toBe('sns-22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324');
    expect(snsDeliveryId('a:b')).toBe('sns-a_b');
    expect(eventBridgeDeliveryId('c4c1c1c9-6542-e61b-6ef0-8c4d36933a92')).toBe('eb-c4c1c1c9-6542-e61b-6ef0-8c4d36933a92');
    expect(eventBridgeDeliveryId('123')).not.toMatch(/^\d+$/);
  });
});
