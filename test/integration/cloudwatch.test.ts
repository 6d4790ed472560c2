/**
 * Contract tests: the real @aws-sdk/client-cloudwatch CloudWatchClient, through the adapter, against
 * the CloudWatch emulator serving the seed scenario.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { cloudWatchConsoleUrl } from '../../src/domain/aws-console.js';
import { createCloudWatchAdapter } from '../../src/integrations/cloudwatch/adapter.js';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../../src/sandbox/cloudwatch/server.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import type { CloudWatchPort, MetricQuery } from '../../src/workflows/ports.js';

const ANCHOR = new Date('2026-03-10T14:00:00Z');
const MIN = 60_000;
const REGION = 'us-east-1';
const ALARM = 'k8s-api-prod-core-7db0ccf2c3-target-response-time';
const LB = 'app/k8s-apiprodcore-7db0ccf2c3/4f1a9c2e8b7d6e05';
const DATA_TG = 'targetgroup/k8s-default-dataserv-88e28b4b6c/3b9e2f71c4a8d610';
const NS = 'AWS/ApplicationELB';
const scenario = loadNamedScenario('flapping-alb-target-response-time');

const clients: CloudWatchClient[] = [];
function client(endpoint: string, maxAttempts = 1, region = REGION): CloudWatchClient {
  const c = new CloudWatchClient({ region, endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describe('CloudWatch adapter against the emulator', () => {
  let emu: CloudWatchEmulator;
  let cw: CloudWatchPort;

  beforeAll(async () => {
    emu = await startCloudWatchEmulator({ scenario, anchor: ANCHOR, pageSizes: { listMetrics: 2 } });
    const perRegion = new Map<string, CloudWatchClient>();
    const clientFor = (region: string): CloudWatchClient => {
      const c = perRegion.get(region) ?? client(emu.endpoint, 1, region);
      perRegion.set(region, c);
      return c;
    };
    cw = createCloudWatchAdapter({ clientFor, historyPageSize: 4, maxDatapointsPerCall: 25 });
  });
  afterAll(async () => {
    await emu.stop();
    for (const c of clients) c.destroy();
  });
  afterEach(() => {
    emu.calls.length = 0;
  });

  it('describes the alarm', async () => {
    const a = await cw.describeAlarm(REGION, ALARM);
    expect(a).toMatchObject({
      alarmName: ALARM,
      alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`,
      stateValue: 'ALARM',
      namespace: NS,
      metricName: 'TargetResponseTime',
      statistic: 'Average',
      dimensions: [{ name: 'LoadBalancer', value: LB }],
      period: 60,
      evaluationPeriods: 2,
      threshold: 0.8,
      comparisonOperator: 'GreaterThanThreshold',
    });
    expect(a?.stateUpdatedAt?.getTime()).toBe(ANCHOR.getTime());
    expect(a?.stateReason).toContain('were greater than the threshold (0.8)');
    const call = emu.calls[0];
    expect(call?.op).toBe('DescribeAlarms');
    expect(call?.region).toBe(REGION);
    expect(call?.input).toEqual({ AlarmNames: [ALARM], AlarmTypes: ['MetricAlarm'] });
    expect(await cw.describeAlarm(REGION, 'no-such-alarm')).toBeUndefined();
  });

  it('reads the history over several pages, ascending, state updates only', async () => {
    const items = await cw.alarmHistory(REGION, ALARM, new Date(ANCHOR.getTime() - 5 * 60 * MIN), new Date(ANCHOR.getTime() + 1000));
    const historyCalls = emu.calls.filter((c) => c.op === 'DescribeAlarmHistory');
    expect(historyCalls.length).toBeGreaterThanOrEqual(5);
    for (const c of historyCalls) {
      expect(c.input).toMatchObject({ AlarmName: ALARM, HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending', MaxRecords: 4 });
      // timestamps go over the wire as epoch seconds
      expect(typeof (c.input as { StartDate: unknown }).StartDate).toBe('number');
    }
    expect(historyCalls.slice(1).every((c) => typeof (c.input as { NextToken?: unknown }).NextToken === 'string')).toBe(true);
    const times = items.map((i) => i.timestamp.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(items).toHaveLength(17);
    const flaps = items.filter((i) => i.oldState === 'OK' && i.newState === 'ALARM');
    expect(flaps).toHaveLength(9);
    expect(flaps[0]?.timestamp.toISOString()).toBe('2026-03-10T09:12:00.000Z');
    expect(items.every((i) => /^Alarm updated from (OK|ALARM) to (OK|ALARM)$/.test(i.summary))).toBe(true);
  });

  it('treats the history window as [start, end)', async () => {
    const items = await cw.alarmHistory(REGION, ALARM, new Date(ANCHOR.getTime() - 36 * MIN), ANCHOR);
    expect(items.map((i) => `${i.oldState}->${i.newState}`)).toEqual(['OK->ALARM', 'ALARM->OK']);
  });

  it('lists the six target groups of the load balancer, following NextToken', async () => {
    const sets = await cw.listMetrics(REGION, NS, 'TargetResponseTime', [{ name: 'LoadBalancer', value: LB }]);
    expect(emu.calls.filter((c) => c.op === 'ListMetrics').length).toBe(4);
    expect(sets).toHaveLength(7);
    expect(sets.filter((s) => s.length === 1)).toEqual([[{ name: 'LoadBalancer', value: LB }]]);
    const groups = sets.flatMap((s) => s.filter((d) => d.name === 'TargetGroup').map((d) => d.value)).sort();
    expect(groups).toHaveLength(6);
    for (const g of groups) expect(g).toMatch(/^targetgroup\/k8s-default-[a-z0-9]{1,8}-[0-9a-f]{10}\/[0-9a-f]{16}$/);
    expect(groups).toContain(DATA_TG);
    // a name-only filter finds every set that has the dimension
    const byName = await cw.listMetrics(REGION, NS, 'TargetResponseTime', [{ name: 'TargetGroup' }]);
    expect(byName).toHaveLength(6);
    // another region has nothing
    expect(await cw.listMetrics('eu-west-1', NS, 'TargetResponseTime', [])).toEqual([]);
  });

  it('gets p99, Average, Maximum and Sum per target group with exact dimension matching', async () => {
    const sets = await cw.listMetrics(REGION, NS, 'TargetResponseTime', [{ name: 'TargetGroup' }]);
    const queries: MetricQuery[] = sets.flatMap((dims, i) => [
      { id: `avg${i}`, namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 60, stat: 'Average' },
      { id: `max${i}`, namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 60, stat: 'Maximum' },
      { id: `p99_${i}`, namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 60, stat: 'p99' },
      { id: `req${i}`, namespace: NS, metricName: 'RequestCount', dimensions: dims, period: 60, stat: 'Sum' },
    ]);
    queries.push({ id: 'tgonly', namespace: NS, metricName: 'TargetResponseTime', dimensions: [{ name: 'TargetGroup', value: DATA_TG }], period: 60, stat: 'Average' });
    queries.push({ id: 'lb', namespace: NS, metricName: 'TargetResponseTime', dimensions: [{ name: 'LoadBalancer', value: LB }], period: 60, stat: 'Average', label: 'whole ALB' });
    const start = new Date(ANCHOR.getTime() - 10 * MIN);
    const result = await cw.getMetricData(REGION, queries, start, ANCHOR);
    const gmd = emu.calls.filter((c) => c.op === 'GetMetricData');
    expect(gmd.length).toBeGreaterThan(1); // 26 queries x 10 minutes over pages of 25 datapoints
    expect(gmd.every((c) => (c.input as { ScanBy?: string }).ScanBy === 'TimestampAscending')).toBe(true);
    const byId = new Map(result.map((r) => [r.id, r]));
    expect(result.map((r) => r.id)).toEqual(queries.map((q) => q.id));

    const dataIdx = sets.findIndex((s) => s.some((d) => d.value === DATA_TG));
    const avg = byId.get(`avg${dataIdx}`);
    expect(avg?.timestamps).toHaveLength(10);
    expect(avg?.timestamps.map((t) => t.getTime())).toEqual(Array.from({ length: 10 }, (_, k) => start.getTime() + k * MIN));
    expect(avg?.status).toBe('Complete');
    // the burst that paged started at -2m
    expect(avg?.values.slice(-2)).toEqual([5.83, 5.83]);
    expect(Math.max(...(byId.get(`max${dataIdx}`)?.values ?? []))).toBe(29.7);
    expect(byId.get(`p99_${dataIdx}`)?.values.slice(-1)).toEqual([26.8]);
    expect(byId.get(`req${dataIdx}`)?.values.slice(-2)).toEqual([480, 480]);
    sets.forEach((_, i) => {
      if (i === dataIdx) return;
      expect(Math.max(...(byId.get(`max${i}`)?.values ?? [Infinity]))).toBeLessThan(0.5);
    });
    // TargetGroup alone is not a published dimension set: no data
    expect(byId.get('tgonly')?.values).toEqual([]);
    // the whole-ALB series is the request-weighted average the alarm sees
    const lb = byId.get('lb');
    expect(lb?.label).toBe('whole ALB');
    expect(lb?.values.slice(-1)[0]).toBeCloseTo(3264.9 / 2770, 9);
  });

  it('aggregates 60 s datapoints to a 300 s period as CloudWatch does', async () => {
    const dims = [{ name: 'LoadBalancer', value: LB }, { name: 'TargetGroup', value: DATA_TG }];
    const [avg, sum, max] = await cw.getMetricData(
      REGION,
      [
        { id: 'a', namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 300, stat: 'Average' },
        { id: 's', namespace: NS, metricName: 'RequestCount', dimensions: dims, period: 300, stat: 'Sum' },
        { id: 'm', namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 300, stat: 'Maximum' },
      ],
      new Date(ANCHOR.getTime() - 5 * MIN),
      ANCHOR,
    );
    // 13:55..13:59: three baseline minutes (90 req at 0.42 s) and two burst minutes (480 req at 5.83 s)
    expect(sum?.values).toEqual([3 * 90 + 2 * 480]);
    expect(avg?.values[0]).toBeCloseTo((3 * 90 * 0.42 + 2 * 480 * 5.83) / (3 * 90 + 2 * 480), 9);
    expect(max?.values).toEqual([29.7]);
  });

  it('fetches optional queries apart: a refused one comes back Unavailable and the required series are intact', async () => {
    const dims = [{ name: 'LoadBalancer', value: LB }, { name: 'TargetGroup', value: DATA_TG }];
    const base = { namespace: NS, metricName: 'TargetResponseTime', dimensions: dims, period: 300 };
    const start = new Date(ANCHOR.getTime() - 10 * MIN);
    const [avg, p99, bad] = await cw.getMetricData(
      REGION,
      [
        { id: 'avg', ...base, stat: 'Average' },
        { id: 'p99', ...base, stat: 'p99', optional: true },
        // a statistic the service refuses: the whole optional call fails, then each optional query is retried alone
        { id: 'bad', ...base, stat: 'p99x', optional: true },
      ],
      start,
      ANCHOR,
    );
    expect(avg).toMatchObject({ status: 'Complete' });
    expect(avg?.values).toHaveLength(2);
    expect(p99?.status).toBe('Complete');
    expect(p99?.values).toHaveLength(2);
    expect(bad).toMatchObject({ status: 'Unavailable', values: [], timestamps: [] });
    expect(bad?.error).toContain('is not a valid statistic');
    const calls = emu.calls.filter((c) => c.op === 'GetMetricData');
    const statsOf = (c: (typeof calls)[number]): string[] => (c.input as { MetricDataQueries: { MetricStat: { Stat: string } }[] }).MetricDataQueries.map((q) => q.MetricStat.Stat);
    expect(calls.map(statsOf).sort()).toEqual([['Average'], ['p99'], ['p99', 'p99x'], ['p99x']].sort());
    // a required query the service refuses still fails the call
    const err = await rejection(cw.getMetricData(REGION, [{ id: 'x', ...base, stat: 'p99x' }, { id: 'y', ...base, stat: 'p99', optional: true }], start, ANCHOR));
    expect(err.code).toBe('bad_request');
  });

  it('maps an invalid query Id (ValidationError) to bad_request', async () => {
    const err = await rejection(cw.getMetricData(REGION, [{ id: 'Bad-Id', namespace: NS, metricName: 'RequestCount', dimensions: [], period: 60, stat: 'Sum' }], new Date(ANCHOR.getTime() - MIN), ANCHOR));
    expect(err.code).toBe('bad_request');
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ awsCode: 'ValidationError', httpStatus: 400 });
    expect(err.message).toContain('The value Bad-Id for parameter MetricDataQueries.member.1.Id is not valid.');
    expect(emu.calls.at(-1)).toMatchObject({ op: 'GetMetricData', status: 400, error: 'ValidationError' });
  });

  it('maps an invalid statistic to bad_request', async () => {
    const err = await rejection(cw.getMetricData(REGION, [{ id: 'x', namespace: NS, metricName: 'RequestCount', dimensions: [], period: 60, stat: 'Avg' }], new Date(ANCHOR.getTime() - MIN), ANCHOR));
    expect(err.code).toBe('bad_request');
  });

  it('maps throttling to a retryable throttled error', async () => {
    emu.failNext('DescribeAlarms', 1, 'Throttling');
    const err = await rejection(cw.describeAlarm(REGION, ALARM));
    expect(err.code).toBe('throttled');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ awsCode: 'Throttling' });
  });

  it('maps 5xx to unavailable and access denied to forbidden', async () => {
    emu.failNext('ListMetrics', 1, 'InternalFailure');
    const e5 = await rejection(cw.listMetrics(REGION, NS, 'RequestCount', []));
    expect(e5.code).toBe('unavailable');
    expect(e5.retryable).toBe(true);
    emu.failNext('*', 1, 'AccessDenied');
    const e403 = await rejection(cw.describeAlarm(REGION, ALARM));
    expect(e403.code).toBe('forbidden');
    emu.failNext('*', 1, 'ResourceNotFound');
    expect((await rejection(cw.describeAlarm(REGION, ALARM))).code).toBe('not_found');
  });

  it('throttles every Nth request when configured, and the SDK retries it', async () => {
    const throttling = await startCloudWatchEmulator({ scenario, anchor: ANCHOR, throttle: { everyNth: 2 } });
    try {
      const retrying = createCloudWatchAdapter({ clientFor: () => client(throttling.endpoint, 3) });
      expect((await retrying.describeAlarm(REGION, ALARM))?.stateValue).toBe('ALARM');
      expect((await retrying.describeAlarm(REGION, ALARM))?.stateValue).toBe('ALARM');
      // the second request was throttled and retried by the SDK
      expect(throttling.calls.map((c) => c.status)).toEqual([200, 400, 200]);
      expect(throttling.calls[1]?.error).toBe('Throttling');
    } finally {
      await throttling.stop();
    }
  });

  it('cancels a call when the AbortSignal fires', async () => {
    const slow = await startCloudWatchEmulator({ scenario, anchor: ANCHOR, latencyMs: 20_000 });
    try {
      const adapter = createCloudWatchAdapter({ clientFor: () => client(slow.endpoint) });
      const ac = new AbortController();
      const pending = adapter.describeAlarm(REGION, ALARM, ac.signal);
      setTimeout(() => ac.abort(new Error('deadline')), 100);
      const err = await rejection(pending);
      expect(err.code).toBe('timeout');
      expect(err.details).toMatchObject({ aborted: true });
      // the emulator never answered: the client gave up
      expect(slow.calls.every((c) => c.status === 0)).toBe(true);
      // an already aborted signal never reaches the service
      const before = slow.calls.length;
      await rejection(adapter.describeAlarm(REGION, ALARM, AbortSignal.abort()));
      expect(slow.calls.length).toBe(before);
    } finally {
      await slow.stop();
    }
  });

  it('serves the world as of its clock', async () => {
    const early = await startCloudWatchEmulator({ scenario, anchor: ANCHOR, now: () => new Date(ANCHOR.getTime() - 40 * MIN) });
    try {
      const adapter = createCloudWatchAdapter({ clientFor: () => client(early.endpoint) });
      expect((await adapter.describeAlarm(REGION, ALARM))?.stateValue).toBe('OK');
      const hist = await adapter.alarmHistory(REGION, ALARM, new Date(ANCHOR.getTime() - 5 * 60 * MIN), new Date(ANCHOR.getTime() + 60 * MIN));
      expect(hist.filter((h) => h.newState === 'ALARM')).toHaveLength(7);
      const [avg] = await adapter.getMetricData(REGION, [{ id: 'a', namespace: NS, metricName: 'TargetResponseTime', dimensions: [{ name: 'LoadBalancer', value: LB }], period: 60, stat: 'Average' }], new Date(ANCHOR.getTime() - 60 * MIN), ANCHOR);
      expect(avg?.timestamps.at(-1)?.getTime()).toBe(ANCHOR.getTime() - 41 * MIN);
    } finally {
      await early.stop();
    }
  });

  it('builds console links', () => {
    expect(cw.consoleLink(REGION, { alarmName: ALARM })).toBe(`https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/${ALARM}`);
    expect(cw.consoleLink('eu-west-1', { alarmName: 'a b/c' })).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/a%20b%2Fc');
    // China and GovCloud evidence links go to their own consoles
    expect(cw.consoleLink('cn-north-1', { alarmName: ALARM })).toBe(`https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/${ALARM}`);
    expect(cw.consoleLink('us-gov-west-1', { alarmName: ALARM })).toBe(`https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/${ALARM}`);
    expect(cloudWatchConsoleUrl(REGION, { namespace: NS, metricName: 'TargetResponseTime', dimensions: [{ name: 'LoadBalancer', value: LB }], stat: 'p99' })).toBe(
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#metricsV2:graph=~(metrics~(~(~'AWS*2fApplicationELB~'TargetResponseTime~'LoadBalancer~'app*2fk8s-apiprodcore-7db0ccf2c3*2f4f1a9c2e8b7d6e05~(stat~'p99)))~region~'us-east-1)",
    );
  });
});

describe('CloudWatch emulator wire protocol', () => {
  let emu: CloudWatchEmulator;
  beforeAll(async () => {
    emu = await startCloudWatchEmulator({ scenario, anchor: ANCHOR });
  });
  afterAll(async () => {
    await emu.stop();
  });

  const post = (target: string | undefined, body: string, auth = true): Promise<Response> =>
    fetch(emu.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        ...(target ? { 'x-amz-target': target } : {}),
        ...(auth ? { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260310/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=abc' } : {}),
      },
      body,
    });

  it('answers epoch-second timestamps and JSON 1.0 errors with the query-compatible header', async () => {
    const ok = await post('GraniteServiceVersion20100801.DescribeAlarms', '{}');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    const body = (await ok.json()) as { MetricAlarms: { StateUpdatedTimestamp: number }[] };
    expect(body.MetricAlarms[0]?.StateUpdatedTimestamp).toBe(ANCHOR.getTime() / 1000);

    const bad = await post('GraniteServiceVersion20100801.GetMetricData', JSON.stringify({ MetricDataQueries: [{ Id: '1x', MetricStat: { Metric: { Namespace: NS, MetricName: 'RequestCount' }, Period: 60, Stat: 'Sum' } }], StartTime: 1, EndTime: 2 }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-query-error')).toBe('ValidationError;Sender');
    expect(((await bad.json()) as { __type: string }).__type).toBe('com.amazon.coral.validate#ValidationException');

    const unknown = await post('GraniteServiceVersion20100801.PutDashboard', '{}');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toBe('com.amazon.coral.service#UnknownOperationException');

    const unsigned = await post('GraniteServiceVersion20100801.DescribeAlarms', '{}', false);
    expect(unsigned.status).toBe(403);

    const garbage = await post('GraniteServiceVersion20100801.DescribeAlarms', '{not json');
    expect(((await garbage.json()) as { __type: string }).__type).toBe('com.amazon.coral.service#SerializationException');

    const range = await post('GraniteServiceVersion20100801.DescribeAlarmHistory', JSON.stringify({ MaxRecords: 0 }));
    expect(range.headers.get('x-amzn-query-error')).toBe('ValidationError;Sender');

    const missing = await post('GraniteServiceVersion20100801.GetMetricData', JSON.stringify({ MetricDataQueries: [] }));
    expect(missing.headers.get('x-amzn-query-error')).toBe('ValidationError;Sender');
    const wrongType = await post('GraniteServiceVersion20100801.GetMetricData', JSON.stringify({ MetricDataQueries: [], StartTime: 'yesterday', EndTime: 2 }));
    expect(((await wrongType.json()) as { __type: string }).__type).toBe('com.amazon.coral.service#SerializationException');

    const token = await post('GraniteServiceVersion20100801.ListMetrics', JSON.stringify({ NextToken: 'garbage' }));
    expect(token.headers.get('x-amzn-query-error')).toBe('InvalidNextToken;Sender');
  });

  it('records Action and ConfigurationUpdate history items beside state updates', async () => {
    const res = await post('GraniteServiceVersion20100801.DescribeAlarmHistory', JSON.stringify({ AlarmName: ALARM, MaxRecords: 3 }));
    const body = (await res.json()) as { AlarmHistoryItems: { HistoryItemType: string; HistoryData: string; Timestamp: number }[]; NextToken?: string };
    expect(body.NextToken).toBeDefined();
    // default ScanBy is TimestampDescending: the newest first (the ALARM at the page and its SNS action)
    expect(body.AlarmHistoryItems.map((i) => i.HistoryItemType)).toEqual(['Action', 'StateUpdate', 'Action']);
    const action = JSON.parse(body.AlarmHistoryItems[0]?.HistoryData ?? '{}') as { publishedMessage: string; actionState: string };
    expect(action.actionState).toBe('Succeeded');
    expect(JSON.parse(action.publishedMessage)).toMatchObject({ AlarmName: ALARM, NewStateValue: 'ALARM', OldStateValue: 'OK' });
    const state = JSON.parse(body.AlarmHistoryItems[1]?.HistoryData ?? '{}') as { oldState: { stateValue: string }; newState: { stateValue: string; stateReasonData: { recentDatapoints: number[] } } };
    expect(state.oldState.stateValue).toBe('OK');
    expect(state.newState.stateReasonData.recentDatapoints).toHaveLength(2);
    const config = await post('GraniteServiceVersion20100801.DescribeAlarmHistory', JSON.stringify({ AlarmName: ALARM, HistoryItemType: 'ConfigurationUpdate' }));
    expect(((await config.json()) as { AlarmHistoryItems: unknown[] }).AlarmHistoryItems).toHaveLength(1);
  });
});
