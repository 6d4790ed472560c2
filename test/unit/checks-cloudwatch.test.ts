import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { alarmHistoryCheck } from '../../src/workflows/diagnostics/checks/alarm-history.js';
import { alarmStatisticCheck } from '../../src/workflows/diagnostics/checks/alarm-statistic.js';
import { lbBreakdownCheck } from '../../src/workflows/diagnostics/checks/lb-breakdown.js';
import type { Check, CheckContext, CheckPorts } from '../../src/workflows/diagnostics/types.js';
import type { AlarmDescription, MetricQuery, MetricSeries } from '../../src/workflows/ports.js';
import { FakeCloudWatch, SEED, at, history, minutes, seedWorld, type MetricFixture } from '../support/fake-ports.js';

const alarmSubject: Subject = { kind: 'cloudwatch-alarm', alarmName: SEED.alarmName, region: SEED.region };

function ctx(ports: CheckPorts, facts: Record<string, unknown> = {}, subject: Subject = alarmSubject, now = SEED.now): CheckContext {
  return { subject, incident: { id: 'INC-1', startedAt: SEED.pageAt, alerts: [] }, now, signal: new AbortController().signal, ports, facts };
}

function only(findings: Finding[]): Finding {
  expect(findings).toHaveLength(1);
  const f = findings[0];
  if (!f) throw new Error('no finding');
  return f;
}

async function factsOf(check: Check, c: CheckContext): Promise<Record<string, unknown>> {
  const r = await check.run(c);
  return Object.assign({}, ...r.findings.map((f) => f.facts)) as Record<string, unknown>;
}

const lbDim = { name: 'LoadBalancer', value: SEED.loadBalancer };

function alarm(over: Partial<AlarmDescription> = {}): AlarmDescription {
  return {
    alarmName: SEED.alarmName,
    alarmArn: SEED.alarmArn,
    stateValue: 'ALARM',
    namespace: 'AWS/ApplicationELB',
    metricName: 'TargetResponseTime',
    statistic: 'Average',
    dimensions: [lbDim],
    period: 60,
    evaluationPeriods: 2,
    threshold: 0.8,
    comparisonOperator: 'GreaterThanThreshold',
    ...over,
  };
}

describe('alarm-history', () => {
  it('counts the seed 9 OK->ALARM cycles, flags flapping and dates the first flap', async () => {
    const w = seedWorld();
    const r = await alarmHistoryCheck.run(ctx({ cloudwatch: w.cloudwatch }));
    const f = only(r.findings);
    expect(f.id).toBe(`alarm-history:cw/${SEED.region}/${SEED.alarmName}:flapping`);
    expect(f.severity).toBe('warning');
    expect(f.title).toContain('9 OK→ALARM cycles');
    expect(f.facts.flapCycles).toBe(9);
    expect(f.facts.firstFlapAt).toBe('2025-03-14T05:52:00.000Z');
    const windows = f.facts.alarmWindows as { start: string; end: string }[];
    expect(windows).toHaveLength(9);
    expect(windows[0]).toEqual({ start: '2025-03-14T05:52:00.000Z', end: '2025-03-14T05:58:00.000Z' });
    expect(f.evidence[0]?.numbers.okToAlarmCycles).toBe(9);
    expect(f.evidence[0]?.link).toContain(encodeURIComponent(SEED.alarmName));
  });

  it('is quiet when there is no history (no datapoints): no flap time', async () => {
    const cw = new FakeCloudWatch({ alarms: [alarm()], history: {} });
    const f = only((await alarmHistoryCheck.run(ctx({ cloudwatch: cw }))).findings);
    expect(f.id.endsWith(':quiet')).toBe(true);
    expect(f.facts.flapCycles).toBe(0);
    expect(f.facts.firstFlapAt).toBeUndefined();
  });

  it('two cycles are not flapping; items with only a summary are parsed', async () => {
    const cw = new FakeCloudWatch({
      history: {
        [SEED.alarmName]: [
          { timestamp: at('2025-03-14T09:00:00Z'), summary: 'Alarm updated from OK to ALARM' },
          { timestamp: at('2025-03-14T09:05:00Z'), summary: 'Alarm updated from ALARM to OK' },
          { timestamp: at('2025-03-14T10:00:00Z'), summary: 'Alarm updated from OK to ALARM' },
        ],
      },
    });
    const f = only((await alarmHistoryCheck.run(ctx({ cloudwatch: cw }))).findings);
    expect(f.severity).toBe('info');
    expect(f.id.endsWith(':cycles')).toBe(true);
    expect(f.facts.flapCycles).toBe(2);
    // The last ALARM is still open: its window runs to now.
    expect(f.facts.alarmWindows).toEqual([
      { start: '2025-03-14T09:00:00.000Z', end: '2025-03-14T09:05:00.000Z' },
      { start: '2025-03-14T10:00:00.000Z', end: SEED.now.toISOString() },
    ]);
  });

  it('an alarm already in ALARM when the lookback starts gets a window from the lookback start', async () => {
    const cw = new FakeCloudWatch({ history: { [SEED.alarmName]: history([['2025-03-14T06:30:00Z', 'ALARM', 'OK']]) } });
    const f = only((await alarmHistoryCheck.run(ctx({ cloudwatch: cw }))).findings);
    expect(f.facts.alarmWindows).toEqual([{ start: '2025-03-14T05:00:00.000Z', end: '2025-03-14T06:30:00.000Z' }]);
    expect(f.facts.flapCycles).toBe(0);
  });

  it('says it could not check when CloudWatch is not configured', async () => {
    const f = only((await alarmHistoryCheck.run(ctx({}))).findings);
    expect(f.title).toBe('Could not check the alarm history: CloudWatch is not configured');
    expect(f.id.endsWith(':not-configured')).toBe(true);
  });
});

describe('alarm-statistic', () => {
  it('seed: rules the low-traffic artifact out with numbers (breaches carry more traffic, not less)', async () => {
    const w = seedWorld();
    const facts = await factsOf(alarmHistoryCheck, ctx({ cloudwatch: w.cloudwatch }));
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: w.cloudwatch }, facts))).findings);
    expect(f.signals['hypothesis:low-traffic-artifact']).toBe('refutes');
    const n = f.evidence[0]?.numbers ?? {};
    expect(n.medianRequestsPerPeriodBreaching).toBe(1500);
    expect(n.medianRequestsPerPeriodOtherwise).toBe(1040);
    expect(n.maximumDuringBreach).toBe(29.7);
    expect(Number(n.AverageDuringBreach)).toBeGreaterThan(0.8);
    expect(Number(n.p99DuringBreach)).toBeGreaterThan(Number(n.AverageDuringBreach));
    expect(f.summary).toContain('Maximum 29.7 s');
    // Queried on the alarm's own dimensions.
    const cw = w.cloudwatch as FakeCloudWatch;
    expect(cw.metricQueries.every((q) => q.dimensions.length === 1 && q.dimensions[0]?.name === 'LoadBalancer')).toBe(true);
    // Three calls: the alarm's own statistic with Maximum and the traffic; p99 alone; the hourly traffic baseline alone.
    const calls = cw.metricCalls.map((c) => c.map((q) => `${q.metricName}/${q.stat}/${q.period}`).sort());
    expect(calls).toEqual([['RequestCount/Sum/60', 'TargetResponseTime/Average/60', 'TargetResponseTime/Maximum/60'], ['TargetResponseTime/p99/60'], ['RequestCount/Sum/3600']]);
    expect(n.baselineRequestsPerPeriod).toBeTypeOf('number');
  });

  it('a backend that refuses percentiles (moto: HTTP 500) cannot fail the check: p99 is "no data", never 0', async () => {
    const cw = new FakeCloudWatch({ ...seedWorld().cw, refusedStats: ['p99'] });
    const facts = await factsOf(alarmHistoryCheck, ctx({ cloudwatch: cw }));
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: cw }, facts))).findings);
    expect(f.id.endsWith(':real-traffic')).toBe(true);
    expect(f.signals['hypothesis:low-traffic-artifact']).toBe('refutes');
    expect(f.evidence[0]?.numbers.p99DuringBreach).toBe('no data');
    expect(f.summary).toContain('vs p99 no data (not served) and Maximum 29.7 s');
    expect(f.summary).not.toMatch(/p99 0\b/);
    expect(f.evidence[0]?.detail).toContain('p99 is not supported by this backend');
  });

  it('a port whose whole call throws on a percentile query (no per-query status) cannot fail the check either', async () => {
    class ThrowsOnPercentiles extends FakeCloudWatch {
      override async getMetricData(region: string, queries: MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]> {
        if (queries.some((q) => /^p\d/.test(q.stat))) throw new AppError('unavailable', 'CloudWatch GetMetricData failed: 500: <html>Internal Server Error</html>');
        return super.getMetricData(region, queries, start, end);
      }
    }
    const cw = new ThrowsOnPercentiles(seedWorld().cw);
    const facts = await factsOf(alarmHistoryCheck, ctx({ cloudwatch: cw }));
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: cw }, facts))).findings);
    expect(f.id.endsWith(':real-traffic')).toBe(true);
    expect(f.summary).toContain('vs p99 no data (not served) and Maximum 29.7 s');
    expect(f.evidence[0]?.detail).toBe('p99 not available: CloudWatch GetMetricData failed: 500: <html>Internal Server Error</html>');
    expect(f.evidence[0]?.numbers.maximumDuringBreach).toBe(29.7);
  });

  it('no p99 series: "p99 no data", not "p99 0 s"; a missing Maximum likewise', async () => {
    const start = at('2025-03-14T10:00:00Z');
    const mins = minutes(start, SEED.now);
    const metric = (metricName: string, stat: string, f: (t: number) => number): MetricFixture => ({ namespace: 'AWS/ApplicationELB', metricName, stat, dimensions: [lbDim], points: mins.map((t) => [t, f(t)]) });
    const cw = new FakeCloudWatch({ alarms: [alarm()], metrics: [metric('TargetResponseTime', 'Average', () => 4.93), metric('RequestCount', 'Sum', () => 300)] });
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: cw }, { alarmWindows: [{ start: '2025-03-14T10:31:00Z', end: '2025-03-14T10:36:00Z' }] }))).findings);
    expect(f.summary).toContain('Average 4.93 s vs p99 no data and Maximum no data');
    expect(f.evidence[0]?.numbers).toMatchObject({ p99DuringBreach: 'no data', maximumDuringBreach: 'no data' });
  });

  it('wording follows the alarm period: breaching periods of 5 min, not breaching minutes', async () => {
    const start = at('2025-03-14T09:00:00Z');
    const five = minutes(start, SEED.now).filter((t) => t % 300_000 === 0);
    const metric = (metricName: string, stat: string, f: (t: number) => number): MetricFixture => ({ namespace: 'AWS/ApplicationELB', metricName, stat, dimensions: [lbDim], points: five.map((t) => [t, f(t)]) });
    const slow = (t: number): boolean => t >= at('2025-03-14T10:30:00Z').getTime();
    const cw = new FakeCloudWatch({
      alarms: [alarm({ period: 300, evaluationPeriods: 1 })],
      metrics: [metric('TargetResponseTime', 'Average', (t) => (slow(t) ? 2.4 : 0.2)), metric('TargetResponseTime', 'Maximum', (t) => (slow(t) ? 9 : 1)), metric('RequestCount', 'Sum', (t) => (slow(t) ? 15 : 2000))],
    });
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: cw }, { alarmWindows: [{ start: '2025-03-14T10:35:00Z', end: '2025-03-14T10:46:00Z' }] }))).findings);
    expect(f.summary).toMatch(/in the \d+ breaching periods of 5 min/);
    expect(f.summary).toContain('per 5 min');
    expect(`${f.title} ${f.summary}`).not.toContain('minute');
  });

  it("judges the low-traffic artifact against the service's own baseline: few requests are normal for a quiet service", async () => {
    const day = minutes(at('2025-03-13T10:00:00Z'), SEED.now);
    const slow = (t: number): boolean => t >= at('2025-03-14T10:30:00Z').getTime() && t < at('2025-03-14T10:35:00Z').getTime();
    const world = (traffic: (t: number) => number) =>
      new FakeCloudWatch({
        alarms: [alarm()],
        metrics: [
          { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', stat: 'Average', dimensions: [lbDim], points: day.map((t) => [t, slow(t) ? 2.4 : 0.2]) },
          { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', stat: 'Sum', dimensions: [lbDim], points: day.map((t) => [t, traffic(t)]) },
        ],
      });
    const c = (cw: FakeCloudWatch) => ctx({ cloudwatch: cw }, { alarmWindows: [{ start: '2025-03-14T10:31:00Z', end: '2025-03-14T10:36:00Z' }] });
    // A service that always serves ~8 requests a minute: 7 while breaching is its real traffic.
    const quiet = only((await alarmStatisticCheck.run(c(world((t) => (slow(t) ? 7 : 8))))).findings);
    expect(quiet.signals['hypothesis:low-traffic-artifact']).toBe('refutes');
    expect(quiet.evidence[0]?.numbers.baselineRequestsPerPeriod).toBe(8);
    // A busy service (~400 a minute) breaching on 30: more than the absolute floor, yet a fraction of its usual.
    const busy = only((await alarmStatisticCheck.run(c(world((t) => (slow(t) ? 30 : 400))))).findings);
    expect(busy.signals['hypothesis:low-traffic-artifact']).toBe('supports');
    expect(busy.summary).toContain('vs 400 usually (the median hour of the previous day)');
  });

  it('rules the artifact in when breaching minutes carry a handful of requests', async () => {
    const start = at('2025-03-14T10:00:00Z');
    const mins = minutes(start, SEED.now);
    const slow = (t: number): boolean => t >= at('2025-03-14T10:30:00Z').getTime() && t < at('2025-03-14T10:35:00Z').getTime();
    const metric = (metricName: string, stat: string, f: (t: number) => number): MetricFixture => ({ namespace: 'AWS/ApplicationELB', metricName, stat, dimensions: [lbDim], points: mins.map((t) => [t, f(t)]) });
    const cw = new FakeCloudWatch({
      alarms: [alarm()],
      metrics: [
        metric('TargetResponseTime', 'Average', (t) => (slow(t) ? 2.4 : 0.2)),
        metric('TargetResponseTime', 'p99', (t) => (slow(t) ? 4 : 0.5)),
        metric('TargetResponseTime', 'Maximum', (t) => (slow(t) ? 4.1 : 0.6)),
        metric('RequestCount', 'Sum', (t) => (slow(t) ? 3 : 400)),
      ],
    });
    const c = ctx({ cloudwatch: cw }, { alarmWindows: [{ start: '2025-03-14T10:31:00Z', end: '2025-03-14T10:36:00Z' }] });
    const f = only((await alarmStatisticCheck.run(c)).findings);
    expect(f.signals['hypothesis:low-traffic-artifact']).toBe('supports');
    expect(f.title).toContain('only 3 requests');
    expect(f.evidence[0]?.numbers.breachingPeriods).toBe(5);
  });

  it('no datapoints: says so, neutral', async () => {
    const cw = new FakeCloudWatch({ alarms: [alarm()], metrics: [] });
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: cw }))).findings);
    expect(f.id.endsWith(':no-data')).toBe(true);
    expect(f.signals['hypothesis:low-traffic-artifact']).toBe('neutral');
    expect(f.summary).toContain('only while requests flow');
  });

  it('a missing alarm is a warning, not a throw', async () => {
    const f = only((await alarmStatisticCheck.run(ctx({ cloudwatch: new FakeCloudWatch({}) }))).findings);
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Alarm not found');
  });
});

describe('lb-breakdown', () => {
  it('seed: names data-service at 5.83 s avg / 29.7 s max against < 0.5 s, exonerates the ALB and discovers its target group', async () => {
    const w = seedWorld();
    const facts = await factsOf(alarmHistoryCheck, ctx({ cloudwatch: w.cloudwatch }));
    const r = await lbBreakdownCheck.run(ctx({ cloudwatch: w.cloudwatch }, facts));
    const f = only(r.findings);
    expect(f.id.endsWith(':culprit')).toBe(true);
    expect(f.title).toBe('Culprit target group k8s-default-dataservice-88e28b4b6c: 5.83 s avg / 29.7 s max');
    expect(f.summary).toContain('< 0.5 s for the other 5');
    expect(f.evidence[0]?.numbers.culpritAvgSeconds).toBe(5.83);
    expect(f.evidence[0]?.numbers.culpritMaxSeconds).toBe(29.7);
    expect(Number(f.evidence[0]?.numbers.othersMaxAvgSeconds)).toBeLessThan(0.5);
    expect(f.signals['hypothesis:shared-lb']).toBe('refutes');
    expect(r.discovered).toEqual([{ kind: 'target-group', targetGroup: SEED.culpritTg, loadBalancer: SEED.loadBalancer, region: SEED.region }]);
    // Per-group queries use exactly {LoadBalancer, TargetGroup}: not TargetGroup alone, not the AZ split.
    const cw = w.cloudwatch as FakeCloudWatch;
    expect(cw.metricQueries).toHaveLength(18);
    expect(cw.metricQueries.every((q) => q.dimensions.map((d) => d.name).sort().join(',') === 'LoadBalancer,TargetGroup')).toBe(true);
  });

  it('all groups slow together supports a shared cause and discovers nothing', async () => {
    const start = at('2025-03-14T10:00:00Z');
    const mins = minutes(start, SEED.now);
    const tgs = ['targetgroup/k8s-default-a-1111111111/1', 'targetgroup/k8s-default-b-2222222222/2', 'targetgroup/k8s-default-c-3333333333/3'];
    const metrics: MetricFixture[] = tgs.flatMap((tg, i) => {
      const dims = [lbDim, { name: 'TargetGroup', value: tg }];
      return [
        { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', stat: 'Average', dimensions: dims, points: mins.map((t): [number, number] => [t, 1.5 + 0.1 * i]) },
        { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', stat: 'Maximum', dimensions: dims, points: mins.map((t): [number, number] => [t, 3]) },
        { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', stat: 'Sum', dimensions: dims, points: mins.map((t): [number, number] => [t, 100]) },
      ];
    });
    const cw = new FakeCloudWatch({ alarms: [alarm()], metrics });
    const r = await lbBreakdownCheck.run(ctx({ cloudwatch: cw }, { alarmWindows: [{ start: '2025-03-14T10:30:00Z', end: '2025-03-14T10:40:00Z' }] }));
    const f = only(r.findings);
    expect(f.id.endsWith(':all-slow')).toBe(true);
    expect(f.signals['hypothesis:shared-lb']).toBe('supports');
    expect(r.discovered).toEqual([]);
  });

  it('an alarm already on {LoadBalancer, TargetGroup} goes straight to its target group', async () => {
    const tg = 'targetgroup/k8s-default-dataserv-88e28b4b6c/73e2d6bc24d8a067';
    const cw = new FakeCloudWatch({ alarms: [alarm({ dimensions: [lbDim, { name: 'TargetGroup', value: tg }] })] });
    const r = await lbBreakdownCheck.run(ctx({ cloudwatch: cw }));
    expect(r.discovered).toEqual([{ kind: 'target-group', targetGroup: tg, loadBalancer: SEED.loadBalancer, region: SEED.region }]);
    expect(cw.metricQueries).toHaveLength(0);
  });

  it('is not applicable to non-ALB alarms', async () => {
    const cw = new FakeCloudWatch({ alarms: [alarm({ namespace: 'AWS/RDS', metricName: 'CPUUtilization', dimensions: [{ name: 'DBInstanceIdentifier', value: 'db1' }] })] });
    const r = await lbBreakdownCheck.run(ctx({ cloudwatch: cw }));
    expect(r).toEqual({ findings: [], discovered: [] });
  });

  it('no target group metrics: says it cannot split', async () => {
    const cw = new FakeCloudWatch({ alarms: [alarm()], metrics: [] });
    const f = only((await lbBreakdownCheck.run(ctx({ cloudwatch: cw }))).findings);
    expect(f.id.endsWith(':no-groups')).toBe(true);
  });

  it('uses the page window when there is no alarm history', async () => {
    const w = seedWorld();
    // No facts: the 30 minutes before the page (10:12-11:00) include the 10:42 burst only.
    const r = await lbBreakdownCheck.run(ctx({ cloudwatch: w.cloudwatch }));
    const f = only(r.findings);
    expect(f.evidence[0]?.numbers.culprit).toBe('k8s-default-dataservice-88e28b4b6c');
    expect(Number(f.evidence[0]?.numbers.culpritAvgSeconds)).toBeLessThan(5.83);
    expect(f.evidence[0]?.numbers.culpritMaxSeconds).toBe(29.7);
  });
});
