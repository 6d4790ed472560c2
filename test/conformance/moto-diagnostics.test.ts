/**
 * The alarm-statistic check through the real CloudWatch adapter against moto_server, a backend
 * nobody here wrote that refuses percentiles with an HTML 500: the check must still judge the
 * alarm's own statistic and the traffic, and say "p99 no data" (never 0, never a failed check).
 */
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAdapter } from '../../src/integrations/cloudwatch/adapter.js';
import { alarmStatisticCheck } from '../../src/workflows/diagnostics/checks/alarm-statistic.js';
import { startMoto, type MotoServer } from '../support/aws.js';

const REGION = 'us-east-1';
const NS = 'AWS/ApplicationELB';
const LB = 'app/k8s-ordersprod-5c1d2e3f4a/9b8a7c6d5e4f3a2b';
const ALARM = 'orders-target-response-time';
const MIN = 60_000;

describe('alarm-statistic against moto_server (percentiles refused with an HTML 500)', () => {
  let moto: MotoServer | undefined;
  let client: CloudWatchClient;
  let now: Date;

  beforeAll(async () => {
    moto = await startMoto(REGION);
    client = moto.client;
    now = new Date(Math.floor(Date.now() / MIN) * MIN);
    // The last 25 minutes: 300 requests a minute, slow (2 s average) in the last 10.
    const dims = [{ Name: 'LoadBalancer', Value: LB }];
    const latency: MetricDatum[] = [];
    const requests: MetricDatum[] = [];
    for (let k = 25; k >= 1; k--) {
      const at = new Date(now.getTime() - k * MIN + 5_000);
      latency.push({ MetricName: 'TargetResponseTime', Dimensions: dims, Timestamp: at, StatisticValues: { SampleCount: 300, Sum: (k <= 10 ? 2 : 0.2) * 300, Minimum: 0.01, Maximum: k <= 10 ? 14 : 0.9 }, Unit: 'Seconds' });
      requests.push({ MetricName: 'RequestCount', Dimensions: dims, Timestamp: at, Value: 300, Unit: 'Count' });
    }
    await client.send(new PutMetricDataCommand({ Namespace: NS, MetricData: latency }));
    await client.send(new PutMetricDataCommand({ Namespace: NS, MetricData: requests }));
    await client.send(
      new PutMetricAlarmCommand({ AlarmName: ALARM, Namespace: NS, MetricName: 'TargetResponseTime', Dimensions: dims, Statistic: 'Average', Period: 60, EvaluationPeriods: 2, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }),
    );
  }, 90_000);

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('judges the Average and the traffic, with p99 "no data (not served)"', async () => {
    const cw = createCloudWatchAdapter({ clientFor: () => client });
    const r = await alarmStatisticCheck.run({
      subject: { kind: 'cloudwatch-alarm', alarmName: ALARM, region: REGION },
      incident: { id: 'INC-M', startedAt: new Date(now.getTime() - 5 * MIN), alerts: [] },
      now,
      signal: new AbortController().signal,
      ports: { cloudwatch: cw },
      facts: {},
    });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f?.id.endsWith(':real-traffic')).toBe(true);
    expect(f?.signals['hypothesis:low-traffic-artifact']).toBe('refutes');
    expect(f?.summary).toMatch(/^Average 2 s vs p99 no data \(not served\) and Maximum 14 s in the \d+ breaching periods of 1 min/);
    expect(f?.evidence[0]?.numbers).toMatchObject({ p99DuringBreach: 'no data', maximumDuringBreach: 14 });
    expect(f?.evidence[0]?.detail).toMatch(/^p99 not available: .*GetMetricData failed/);
  });
});
