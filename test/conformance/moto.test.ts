/**
 * warroom's CloudWatch adapter against a second CloudWatch nobody here wrote: moto_server, seeded
 * through the SDK with raw samples (PutMetricData), an alarm (PutMetricAlarm) and its state
 * (SetAlarmState). The calls are the ones the diagnostics make: DescribeAlarms, ListMetrics for the
 * per-target-group split, GetMetricData (Average, Maximum, Sum at 60 and 300 s) per group.
 * Expected numbers are computed here from the samples that were put.
 *
 * moto's own gaps are asserted as explicit expectations (so this suite says when moto changes):
 * DescribeAlarmHistory is NotImplemented (HTML 500), GetMetricData refuses percentiles (HTML 500),
 * validation is lax (MaxRecords 101, Period 45 accepted), periods start at StartTime instead of
 * being aligned to the epoch, and a gzip-compressed request body (the SDK compresses PutMetricData
 * bodies of 10 KiB and more) fails with an HTML 500, so the seeding client turns compression off.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createCloudWatchAdapter } from '../../src/integrations/cloudwatch/adapter.js';
import type { CloudWatchPort, MetricQuery, MetricSeries } from '../../src/workflows/ports.js';
import { startMoto, type MotoServer } from '../support/aws.js';

const REGION = 'us-east-1';
const NS = 'AWS/ApplicationELB';
const LB = 'app/k8s-apiprodcore-7db0ccf2c3/4f1a9c2e8b7d6e05';
const ALARM = 'k8s-api-prod-core-target-response-time';
const MIN = 60_000;
const MINUTES = 20;
/** Minutes [BURST_FROM, BURST_TO) of the culprit's burst. */
const BURST_FROM = 10;
const BURST_TO = 15;

const GROUPS = {
  culprit: 'targetgroup/k8s-default-dataserv-88e28b4b6c/3b9e2f71c4a8d610',
  gateway: 'targetgroup/k8s-default-apigatew-1f4c7a9e2b/8c21d5e0f6a94b37',
  auth: 'targetgroup/k8s-default-authserv-6d2b8e1f0a/1e7f3a9c5b2d8064',
} as const;

/** Response times of each request of minute k. */
function samples(group: keyof typeof GROUPS, k: number): number[] {
  if (group === 'culprit') return k >= BURST_FROM && k < BURST_TO ? [2.5, 4.0, 5.5, 8.0, 29.7] : [0.3, 0.45];
  if (group === 'gateway') return [0.1, 0.2, 0.3, 0.2];
  return [0.12, 0.25, 0.18];
}

const dimsOf = (tg: string): { name: string; value: string }[] => [
  { name: 'LoadBalancer', value: LB },
  { name: 'TargetGroup', value: tg },
];
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the CloudWatch adapter against moto_server', () => {
  let moto: MotoServer | undefined;
  let client: CloudWatchClient;
  let endpoint: string;
  let cw: CloudWatchPort;
  /** Minute 0 of the seeded data: aligned to 5 minutes, within the last hour. */
  let base: number;

  beforeAll(async () => {
    moto = await startMoto(REGION);
    ({ endpoint, client } = moto);
    cw = createCloudWatchAdapter({ clientFor: () => client });
    base = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN - MINUTES * MIN;

    for (const [key, tg] of Object.entries(GROUPS) as [keyof typeof GROUPS, string][]) {
      const latency: MetricDatum[] = [];
      const requests: MetricDatum[] = [];
      for (let k = 0; k < MINUTES; k++) {
        const at = new Date(base + k * MIN + 10_000);
        const dims = dimsOf(tg).map((d) => ({ Name: d.name, Value: d.value }));
        for (const v of samples(key, k)) latency.push({ MetricName: 'TargetResponseTime', Dimensions: dims, Timestamp: at, Value: v, Unit: 'Seconds' });
        requests.push({ MetricName: 'RequestCount', Dimensions: dims, Timestamp: at, Value: samples(key, k).length, Unit: 'Count' });
      }
      await client.send(new PutMetricDataCommand({ Namespace: NS, MetricData: latency }));
      await client.send(new PutMetricDataCommand({ Namespace: NS, MetricData: requests }));
    }
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: ALARM,
        Namespace: NS,
        MetricName: 'TargetResponseTime',
        Dimensions: [{ Name: 'LoadBalancer', Value: LB }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 2,
        Threshold: 0.8,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await client.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'Threshold Crossed: seeded by the conformance test' }));
  }, 90_000);

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  const query = (id: string, tg: string, metricName: string, stat: string, period: number, optional?: boolean): MetricQuery => ({
    id,
    namespace: NS,
    metricName,
    dimensions: dimsOf(tg),
    period,
    stat,
    ...(optional ? { optional } : {}),
  });
  const times = (s: MetricSeries | undefined): number[] => (s?.timestamps ?? []).map((t) => t.getTime());

  it('DescribeAlarms: the alarm, its statistic and its state', async () => {
    const alarm = await cw.describeAlarm(REGION, ALARM);
    expect(alarm).toMatchObject({
      alarmName: ALARM,
      stateValue: 'ALARM',
      stateReason: 'Threshold Crossed: seeded by the conformance test',
      namespace: NS,
      metricName: 'TargetResponseTime',
      statistic: 'Average',
      dimensions: [{ name: 'LoadBalancer', value: LB }],
      period: 60,
      evaluationPeriods: 2,
      threshold: 0.8,
      comparisonOperator: 'GreaterThanThreshold',
    });
    expect(await cw.describeAlarm(REGION, 'no-such-alarm')).toBeUndefined();
  });

  it('ListMetrics: the target groups of the load balancer', async () => {
    const sets = await cw.listMetrics(REGION, NS, 'TargetResponseTime', [{ name: 'LoadBalancer', value: LB }, { name: 'TargetGroup' }]);
    const groups = sets.map((s) => s.find((d) => d.name === 'TargetGroup')?.value).sort();
    expect(groups).toEqual(Object.values(GROUPS).sort());
    expect(sets.every((s) => s.some((d) => d.name === 'LoadBalancer' && d.value === LB))).toBe(true);
  });

  it('GetMetricData at 60 s: Average, Maximum and Sum per minute, as computed from the samples', async () => {
    const start = new Date(base);
    const end = new Date(base + MINUTES * MIN);
    const [avg, max, sum] = await cw.getMetricData(
      REGION,
      [query('avg', GROUPS.culprit, 'TargetResponseTime', 'Average', 60), query('mx', GROUPS.culprit, 'TargetResponseTime', 'Maximum', 60), query('req', GROUPS.culprit, 'RequestCount', 'Sum', 60)],
      start,
      end,
    );
    const minutes = Array.from({ length: MINUTES }, (_, k) => k);
    for (const s of [avg, max, sum]) {
      expect(s?.status).toBe('Complete');
      expect(times(s)).toEqual(minutes.map((k) => base + k * MIN));
    }
    (avg?.values ?? []).forEach((v, k) => expect(v).toBeCloseTo(mean(samples('culprit', k)), 9));
    expect(max?.values).toEqual(minutes.map((k) => Math.max(...samples('culprit', k))));
    expect(sum?.values).toEqual(minutes.map((k) => samples('culprit', k).length));
  });

  it('GetMetricData at 300 s: Average, Maximum and Sum per five minutes (StartTime on a 5-minute boundary)', async () => {
    const [avg, max, sum] = await cw.getMetricData(
      REGION,
      [query('avg', GROUPS.culprit, 'TargetResponseTime', 'Average', 300), query('mx', GROUPS.culprit, 'TargetResponseTime', 'Maximum', 300), query('req', GROUPS.culprit, 'RequestCount', 'Sum', 300)],
      new Date(base),
      new Date(base + MINUTES * MIN),
    );
    const periods = [0, 5, 10, 15];
    const inside = (p: number): number[] => Array.from({ length: 5 }, (_, i) => p + i).flatMap((k) => samples('culprit', k));
    expect(times(avg)).toEqual(periods.map((p) => base + p * MIN));
    (avg?.values ?? []).forEach((v, i) => expect(v).toBeCloseTo(mean(inside(periods[i] as number)), 9));
    expect(max?.values).toEqual(periods.map((p) => Math.max(...inside(p))));
    expect(sum?.values).toEqual(periods.map((p) => inside(p).length));
  });

  it('the per-target-group breakdown names the culprit with its numbers against the others', async () => {
    const sets = await cw.listMetrics(REGION, NS, 'TargetResponseTime', [{ name: 'LoadBalancer', value: LB }, { name: 'TargetGroup' }]);
    const tgs = sets.map((s) => s.find((d) => d.name === 'TargetGroup')?.value ?? '');
    const burst = { start: new Date(base + BURST_FROM * MIN), end: new Date(base + BURST_TO * MIN) };
    const queries = tgs.flatMap((tg, i) => [query(`avg${i}`, tg, 'TargetResponseTime', 'Average', 60), query(`max${i}`, tg, 'TargetResponseTime', 'Maximum', 60), query(`req${i}`, tg, 'RequestCount', 'Sum', 60)]);
    const data = new Map((await cw.getMetricData(REGION, queries, burst.start, burst.end)).map((s) => [s.id, s]));
    const rows = tgs.map((tg, i) => {
      const avg = data.get(`avg${i}`)?.values ?? [];
      const req = data.get(`req${i}`)?.values ?? [];
      const weighted = avg.reduce((a, v, k) => a + v * (req[k] ?? 0), 0) / req.reduce((a, b) => a + b, 0);
      return { tg, avg: weighted, max: Math.max(...(data.get(`max${i}`)?.values ?? [])) };
    });
    rows.sort((a, b) => b.avg - a.avg);
    const burstSamples = Array.from({ length: BURST_TO - BURST_FROM }, (_, i) => samples('culprit', BURST_FROM + i)).flat();
    expect(rows[0]?.tg).toBe(GROUPS.culprit);
    expect(rows[0]?.avg).toBeCloseTo(mean(burstSamples), 9);
    expect(rows[0]?.max).toBe(29.7);
    for (const other of rows.slice(1)) expect(other.max).toBeLessThan(0.5);
  });

  describe("moto's gaps, asserted so this suite notices when moto changes", () => {
    it('DescribeAlarmHistory is not implemented: an HTML 500, which the adapter reports as unavailable', async () => {
      const err = await cw.alarmHistory(REGION, ALARM, new Date(base), new Date(base + MINUTES * MIN)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'unavailable', details: { httpStatus: 500 } });
    });

    it('percentiles are refused with an HTML 500: as an optional query it comes back Unavailable and Average/Maximum/Sum are intact', async () => {
      const start = new Date(base);
      const end = new Date(base + MINUTES * MIN);
      const required = await cw.getMetricData(REGION, [query('p99', GROUPS.culprit, 'TargetResponseTime', 'p99', 60), query('avg', GROUPS.culprit, 'TargetResponseTime', 'Average', 60)], start, end).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(required).toMatchObject({ code: 'unavailable', details: { httpStatus: 500 } });

      const [avg, max, sum, p99] = await cw.getMetricData(
        REGION,
        [
          query('avg', GROUPS.culprit, 'TargetResponseTime', 'Average', 60),
          query('mx', GROUPS.culprit, 'TargetResponseTime', 'Maximum', 60),
          query('req', GROUPS.culprit, 'RequestCount', 'Sum', 60),
          query('p99', GROUPS.culprit, 'TargetResponseTime', 'p99', 60, true),
        ],
        start,
        end,
      );
      expect([avg, max, sum].map((s) => [s?.status, s?.values.length])).toEqual([
        ['Complete', MINUTES],
        ['Complete', MINUTES],
        ['Complete', MINUTES],
      ]);
      expect(p99).toMatchObject({ status: 'Unavailable', values: [], timestamps: [] });
      expect(p99?.error).toMatch(/GetMetricData failed/);
    });

    it('validation is lax: MaxRecords 101 and Period 45 are accepted (CloudWatch answers ValidationError)', async () => {
      const alarms = await client.send(new DescribeAlarmsCommand({ MaxRecords: 101 }));
      expect(alarms.MetricAlarms?.map((a) => a.AlarmName)).toEqual([ALARM]);
      const odd = await client.send(
        new GetMetricDataCommand({
          StartTime: new Date(base),
          EndTime: new Date(base + MINUTES * MIN),
          MetricDataQueries: [{ Id: 'a', MetricStat: { Metric: { Namespace: NS, MetricName: 'RequestCount', Dimensions: [{ Name: 'LoadBalancer', Value: LB }, { Name: 'TargetGroup', Value: GROUPS.gateway }] }, Period: 45, Stat: 'Sum' } }],
        }),
      );
      expect(odd.MetricDataResults?.[0]?.Values?.length).toBeGreaterThan(0);
    });

    it('a gzip-compressed request body (the SDK compresses PutMetricData from 10 KiB) fails with an HTML 500', async () => {
      const compressing = new CloudWatchClient({ region: REGION, endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
      try {
        const dims = [{ Name: 'LoadBalancer', Value: LB }];
        const big = Array.from({ length: 200 }, (_, i) => ({ MetricName: 'Probe', Dimensions: dims, Timestamp: new Date(base + i * 1000), Value: i }));
        const err = await compressing.send(new PutMetricDataCommand({ Namespace: 'Warroom/Probe', MetricData: big })).then(
          () => undefined,
          (e: unknown) => e as { $metadata?: { httpStatusCode?: number } },
        );
        expect(err?.$metadata?.httpStatusCode).toBe(500);
      } finally {
        compressing.destroy();
      }
    });

    it('periods start at StartTime, not on the epoch-aligned boundaries CloudWatch uses', async () => {
      const start = new Date(base + MIN);
      const [sum] = await cw.getMetricData(REGION, [query('req', GROUPS.gateway, 'RequestCount', 'Sum', 300)], start, new Date(base + MINUTES * MIN));
      expect(times(sum)[0]).toBe(start.getTime());
      expect(times(sum).every((t) => t % (5 * MIN) === MIN)).toBe(true);
    });
  });
});
