/**
 * The AWS CLI (botocore, its own protocol code) against the sandbox CloudWatch loaded with the seed
 * scenario. Every expected number is computed here from the scenario FILE (read with the yaml
 * package, not the scenario loader), using the samples model docs/sandbox.md documents for
 * percentiles: a datapoint stands for sampleCount samples spread piecewise-uniformly between its
 * minimum, p50, p90, p99 and maximum; a longer period is the count-weighted mixture.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../../src/sandbox/cloudwatch/server.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { mixturePercentile } from '../support/percentile-oracle.js';
import { AWS_CLI_INSTALL, awsCloudWatch, errorLine, jsonOf, requireTool, type CliResult } from '../support/aws.js';

const ANCHOR = new Date('2026-03-10T14:00:00Z');
const T0 = ANCHOR.getTime() / 1000;
const SEED_FILE = path.join(import.meta.dirname, '../../scenarios/flapping-alb-target-response-time.yaml');
const NS = 'AWS/ApplicationELB';

// ------------------------------------------------------------------------------------------------
// The scenario file, read independently

interface RawStats {
  average?: number;
  maximum?: number;
  minimum?: number;
  sum?: number;
  sampleCount?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}
interface RawMetric {
  metricName: string;
  dimensions: { name: string; value: string }[];
  aggregate?: unknown;
  pattern: { from: string; to: string; every: string; offset: string; burstMinutes: number; base: RawStats; burst: RawStats };
}
interface RawAlarm {
  name: string;
  statistic: string;
  threshold: number;
  period: number;
  evaluationPeriods: number;
  comparisonOperator: string;
  dimensions: { name: string; value: string }[];
  state: string;
  history: { at: string; from: string; to: string }[];
}
const file = parse(readFileSync(SEED_FILE, 'utf8'), { merge: true }) as { cloudwatch: { alarms: RawAlarm[]; metrics: RawMetric[] } };
const ALARM = file.cloudwatch.alarms[0] as RawAlarm;
const LB = (ALARM.dimensions[0] as { value: string }).value;
const TGS = file.cloudwatch.metrics.filter((m) => m.metricName === 'TargetResponseTime' && m.dimensions.length === 2);
const DATA = TGS.find((m) => m.dimensions.some((d) => d.value.includes('dataserv'))) as RawMetric;
const DATA_TG = (DATA.dimensions.find((d) => d.name === 'TargetGroup') as { value: string }).value;
const requestsOf = (tg: string): RawMetric => file.cloudwatch.metrics.find((m) => m.metricName === 'RequestCount' && m.dimensions.some((d) => d.value === tg)) as RawMetric;
const LB_LATENCY = file.cloudwatch.metrics.find((m) => m.metricName === 'TargetResponseTime' && m.dimensions.length === 1) as RawMetric;

/** '-360m' -> -360 (the seed writes its pattern times in minutes), '-41d' in minutes too. */
function minutes(rel: string): number {
  const m = /^([+-]?)(\d+)(m|h|d|s)$/.exec(rel);
  if (!m) throw new Error(`unexpected time ${rel}`);
  const n = Number(m[2]) * { s: 1 / 60, m: 1, h: 60, d: 1440 }[m[3] as 's' | 'm' | 'h' | 'd'];
  return m[1] === '-' ? -n : n;
}

/** The stats of a metric's datapoint at minute `t` (relative to the anchor). */
function statsAt(m: RawMetric, t: number): RawStats {
  const p = m.pattern;
  const from = minutes(p.from);
  for (let s = from + minutes(p.offset); s < minutes(p.to); s += minutes(p.every)) if (t >= s && t < s + p.burstMinutes) return p.burst;
  return p.base;
}

/** The whole-LB datapoint: count-weighted average of the groups, max of maxima, min of minima; percentiles as the file gives them. */
function lbStatsAt(t: number): RawStats {
  const parts = TGS.map((g) => statsAt(g, t));
  const count = parts.reduce((a, s) => a + (s.sampleCount ?? 0), 0);
  const given = statsAt(LB_LATENCY, t);
  return {
    ...given,
    sampleCount: count,
    average: parts.reduce((a, s) => a + (s.average ?? 0) * (s.sampleCount ?? 0), 0) / count,
    maximum: Math.max(...parts.map((s) => s.maximum ?? -Infinity)),
    minimum: Math.min(...parts.map((s) => s.minimum ?? Infinity)),
  };
}

/** p-quantile of the samples of several datapoints (the samples model of docs/sandbox.md). */
function percentile(points: RawStats[], p: number): number {
  const knots = (s: RawStats): [number, number][] =>
    (
      [
        [0, s.minimum],
        [0.5, s.p50],
        [0.9, s.p90],
        [0.99, s.p99],
        [1, s.maximum],
      ] as [number, number | undefined][]
    ).filter((k): k is [number, number] => k[1] !== undefined);
  return mixturePercentile(points.map((s) => ({ knots: knots(s), n: s.sampleCount ?? 0 })), p);
}

const minuteRange = (fromMin: number, toMin: number): number[] => Array.from({ length: toMin - fromMin }, (_, i) => fromMin + i);
const iso = (minute: number): string => new Date(ANCHOR.getTime() + minute * 60_000).toISOString();

// ------------------------------------------------------------------------------------------------

describe('AWS CLI against the sandbox CloudWatch', () => {
  let emu: CloudWatchEmulator;
  let bin: string;
  const cw = (...args: string[]): Promise<CliResult> => awsCloudWatch(bin, emu.endpoint, args);

  beforeAll(async () => {
    bin = requireTool('aws', AWS_CLI_INSTALL);
    emu = await startCloudWatchEmulator({ scenario: loadNamedScenario('flapping-alb-target-response-time'), anchor: ANCHOR });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('speaks the protocol the installed CLI sends (JSON 1.0, query-compatible) and signs for the region', async () => {
    jsonOf(await cw('describe-alarms', '--max-records', '1'));
    const call = emu.calls.at(-1);
    expect(call).toMatchObject({ op: 'DescribeAlarms', status: 200, region: 'us-east-1', input: { MaxRecords: 1 } });
  });

  it('describe-alarms: the alarm as the scenario defines it, in its state at the page', async () => {
    const out = jsonOf<{ MetricAlarms: Record<string, unknown>[] }>(await cw('describe-alarms', '--alarm-names', ALARM.name));
    expect(out.MetricAlarms).toHaveLength(1);
    expect(out.MetricAlarms[0]).toMatchObject({
      AlarmName: ALARM.name,
      StateValue: ALARM.state,
      Statistic: ALARM.statistic,
      Threshold: ALARM.threshold,
      Period: ALARM.period,
      EvaluationPeriods: ALARM.evaluationPeriods,
      ComparisonOperator: ALARM.comparisonOperator,
      Dimensions: [{ Name: 'LoadBalancer', Value: LB }],
    });
  });

  it('describe-alarm-history: every StateUpdate up to now, across pages, with reasons that agree with the scenario numbers', async () => {
    const visible = ALARM.history.filter((h) => minutes(h.at) <= 0);
    const before = emu.calls.length;
    const out = jsonOf<{ AlarmHistoryItems: { Timestamp: number; HistorySummary: string; HistoryData: string }[] }>(
      await cw('describe-alarm-history', '--alarm-name', ALARM.name, '--history-item-type', 'StateUpdate', '--scan-by', 'TimestampAscending', '--page-size', '4'),
    );
    // the CLI followed NextToken page by page
    expect(emu.calls.length - before).toBe(Math.ceil(visible.length / 4));
    expect(out.AlarmHistoryItems.map((i) => i.Timestamp)).toEqual(visible.map((h) => T0 + minutes(h.at) * 60));
    expect(out.AlarmHistoryItems.map((i) => i.HistorySummary)).toEqual(visible.map((h) => `Alarm updated from ${h.from} to ${h.to}`));
    // the ALARM -> OK of the last full cycle (-31m): the alarm evaluated 13:27 (last burst minute) and 13:28 (quiet)
    const ok = out.AlarmHistoryItems.find((i) => i.Timestamp === T0 - 31 * 60);
    const reason = (JSON.parse(ok?.HistoryData ?? '{}') as { newState: { stateReason: string } }).newState.stateReason;
    const quiet = lbStatsAt(-32).average ?? NaN;
    expect(quiet).toBeLessThanOrEqual(ALARM.threshold);
    expect(lbStatsAt(-33).average).toBeGreaterThan(ALARM.threshold);
    expect(reason).toBe(
      `Threshold Crossed: 1 out of the last 2 datapoints [${Number(quiet.toPrecision(12))} (10/03/26 13:28:00)] was not greater than the threshold (0.8) (minimum 1 datapoint for ALARM -> OK transition).`,
    );
  });

  it('describe-alarm-history: --max-items hands out a NextToken the CLI resumes from', async () => {
    const first = jsonOf<{ AlarmHistoryItems: { Timestamp: number }[]; NextToken: string }>(await cw('describe-alarm-history', '--alarm-name', ALARM.name, '--max-items', '3'));
    expect(first.AlarmHistoryItems).toHaveLength(3);
    const rest = jsonOf<{ AlarmHistoryItems: { Timestamp: number }[] }>(await cw('describe-alarm-history', '--alarm-name', ALARM.name, '--max-items', '3', '--starting-token', first.NextToken));
    const times = [...first.AlarmHistoryItems, ...rest.AlarmHistoryItems].map((i) => i.Timestamp);
    // newest first (TimestampDescending is the default), no item twice
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(rest.AlarmHistoryItems).toHaveLength(3);
  });

  it('list-metrics: every dimension set of the load balancer, from the scenario', async () => {
    const out = jsonOf<{ Metrics: { Dimensions: { Name: string; Value: string }[] }[] }>(
      await cw('list-metrics', '--namespace', NS, '--metric-name', 'TargetResponseTime', '--dimensions', `Name=LoadBalancer,Value=${LB}`),
    );
    const expected = file.cloudwatch.metrics.filter((m) => m.metricName === 'TargetResponseTime' && m.dimensions.some((d) => d.value === LB));
    expect(out.Metrics).toHaveLength(expected.length);
    const groups = out.Metrics.flatMap((m) => m.Dimensions.filter((d) => d.Name === 'TargetGroup').map((d) => d.Value)).sort();
    expect(groups).toEqual(TGS.map((g) => (g.dimensions.find((d) => d.name === 'TargetGroup') as { value: string }).value).sort());
  });

  describe('get-metric-data', () => {
    const dims = [
      { Name: 'LoadBalancer', Value: LB },
      { Name: 'TargetGroup', Value: DATA_TG },
    ];
    const q = (id: string, metricName: string, stat: string, period: number, dimensions: unknown = dims): unknown => ({ Id: id, MetricStat: { Metric: { Namespace: NS, MetricName: metricName, Dimensions: dimensions }, Period: period, Stat: stat } });
    type Results = { MetricDataResults: { Id: string; Timestamps: number[]; Values: number[]; StatusCode: string }[] };
    const fetch = async (queries: unknown[], from: number, to = 0): Promise<Map<string, { Timestamps: number[]; Values: number[]; StatusCode: string }>> => {
      const out = jsonOf<Results>(await cw('get-metric-data', '--start-time', iso(from), '--end-time', iso(to), '--scan-by', 'TimestampAscending', '--metric-data-queries', JSON.stringify(queries)));
      return new Map(out.MetricDataResults.map((r) => [r.Id, r]));
    };

    it('Average, Maximum, Sum and p99 at 60 s: the stored values, minute by minute', async () => {
      const r = await fetch([q('avg', 'TargetResponseTime', 'Average', 60), q('mx', 'TargetResponseTime', 'Maximum', 60), q('req', 'RequestCount', 'Sum', 60), q('p99', 'TargetResponseTime', 'p99', 60)], -30);
      const mins = minuteRange(-30, 0);
      for (const id of ['avg', 'mx', 'req', 'p99']) {
        expect(r.get(id)?.Timestamps).toEqual(mins.map((m) => T0 + m * 60));
        expect(r.get(id)?.StatusCode).toBe('Complete');
      }
      expect(r.get('avg')?.Values).toEqual(mins.map((m) => statsAt(DATA, m).average));
      expect(r.get('mx')?.Values).toEqual(mins.map((m) => statsAt(DATA, m).maximum));
      expect(r.get('p99')?.Values).toEqual(mins.map((m) => statsAt(DATA, m).p99));
      expect(r.get('req')?.Values).toEqual(mins.map((m) => statsAt(requestsOf(DATA_TG), m).sum));
    });

    it('Average, Maximum, Sum and p99 at 300 s: periods aligned to the epoch, computed from the minutes inside them', async () => {
      const r = await fetch(
        [
          q('avg', 'TargetResponseTime', 'Average', 300),
          q('mx', 'TargetResponseTime', 'Maximum', 300),
          q('req', 'RequestCount', 'Sum', 300),
          q('p99', 'TargetResponseTime', 'p99', 300),
          q('lbp99', 'TargetResponseTime', 'p99', 300, [{ Name: 'LoadBalancer', Value: LB }]),
        ],
        -60,
      );
      const periods = [-60, -55, -50, -45, -40, -35, -30, -25, -20, -15, -10, -5];
      const inside = (start: number): number[] => minuteRange(start, start + 5);
      expect(r.get('p99')?.Timestamps).toEqual(periods.map((m) => T0 + m * 60));
      const avg = periods.map((s) => {
        const pts = inside(s).map((m) => statsAt(DATA, m));
        return pts.reduce((a, p) => a + (p.average ?? 0) * (p.sampleCount ?? 0), 0) / pts.reduce((a, p) => a + (p.sampleCount ?? 0), 0);
      });
      (r.get('avg')?.Values ?? []).forEach((v, i) => expect(v).toBeCloseTo(avg[i] as number, 9));
      expect(r.get('mx')?.Values).toEqual(periods.map((s) => Math.max(...inside(s).map((m) => statsAt(DATA, m).maximum ?? NaN))));
      expect(r.get('req')?.Values).toEqual(periods.map((s) => inside(s).reduce((a, m) => a + (statsAt(requestsOf(DATA_TG), m).sum ?? 0), 0)));
      const p99 = periods.map((s) => percentile(inside(s).map((m) => statsAt(DATA, m)), 0.99));
      (r.get('p99')?.Values ?? []).forEach((v, i) => expect(v).toBeCloseTo(p99[i] as number, 6));
      // the period of the page: three quiet minutes and two of the burst
      expect(r.get('p99')?.Values.at(-1)).toBeGreaterThan(statsAt(DATA, -5).p99 ?? Infinity);
      expect(r.get('p99')?.Values.at(-1)).toBeLessThan(statsAt(DATA, -1).p99 ?? -Infinity);
      const lb = periods.map((s) => percentile(inside(s).map(lbStatsAt), 0.99));
      (r.get('lbp99')?.Values ?? []).forEach((v, i) => expect(v).toBeCloseTo(lb[i] as number, 6));
    });

    it('missing data is absent: a dimension set nobody publishes answers empty Values, not zeros', async () => {
      const r = await fetch([q('tgonly', 'TargetResponseTime', 'p99', 300, [{ Name: 'TargetGroup', Value: DATA_TG }])], -60);
      expect(r.get('tgonly')).toMatchObject({ Timestamps: [], Values: [], StatusCode: 'Complete' });
    });

    it('metric math: the culprit group share of the requests, 100*FILL(m1,0)/m2', async () => {
      const r = await fetch(
        [
          { ...(q('m1', 'RequestCount', 'Sum', 60) as object), ReturnData: false },
          { ...(q('m2', 'RequestCount', 'Sum', 60, [{ Name: 'LoadBalancer', Value: LB }]) as object), ReturnData: false },
          { Id: 'share', Expression: '100*FILL(m1,0)/m2', Label: 'data-service share %' },
        ],
        -10,
      );
      const total = (m: number): number => TGS.reduce((a, g) => a + (statsAt(requestsOf((g.dimensions[1] as { value: string }).value), m).sum ?? 0), 0);
      const want = minuteRange(-10, 0).map((m) => (100 * (statsAt(requestsOf(DATA_TG), m).sum ?? 0)) / total(m));
      (r.get('share')?.Values ?? []).forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 9));
      expect(r.get('share')?.Values).toHaveLength(10);
      expect(r.has('m1')).toBe(false);
    });
  });

  it('get-metric-statistics: Statistics and ExtendedStatistics per 300 s period, with the unit', async () => {
    const base = ['--namespace', NS, '--metric-name', 'TargetResponseTime', '--dimensions', `Name=LoadBalancer,Value=${LB}`, `Name=TargetGroup,Value=${DATA_TG}`, '--start-time', iso(-10), '--end-time', iso(0), '--period', '300'];
    type Out = { Label: string; Datapoints: (Record<string, number | string> & { Timestamp: number; ExtendedStatistics?: Record<string, number> })[] };
    const stats = jsonOf<Out>(await cw('get-metric-statistics', ...base, '--statistics', 'Average', 'Maximum', 'Sum', 'SampleCount'));
    expect(stats.Label).toBe('TargetResponseTime');
    const sorted = [...stats.Datapoints].sort((a, b) => a.Timestamp - b.Timestamp);
    expect(sorted.map((d) => d.Timestamp)).toEqual([T0 - 600, T0 - 300]);
    for (const [i, start] of [-10, -5].entries()) {
      const pts = minuteRange(start, start + 5).map((m) => statsAt(DATA, m));
      const n = pts.reduce((a, p) => a + (p.sampleCount ?? 0), 0);
      const sum = pts.reduce((a, p) => a + (p.average ?? 0) * (p.sampleCount ?? 0), 0);
      const dp = sorted[i] as Out['Datapoints'][number];
      expect(dp.Unit).toBe('Seconds');
      expect(dp.SampleCount).toBe(n);
      expect(dp.Sum as number).toBeCloseTo(sum, 9);
      expect(dp.Average as number).toBeCloseTo(sum / n, 9);
      expect(dp.Maximum).toBe(Math.max(...pts.map((p) => p.maximum ?? NaN)));
    }
    const ext = jsonOf<Out>(await cw('get-metric-statistics', ...base, '--extended-statistics', 'p99', 'p50'));
    const extSorted = [...ext.Datapoints].sort((a, b) => a.Timestamp - b.Timestamp);
    for (const [i, start] of [-10, -5].entries()) {
      const pts = minuteRange(start, start + 5).map((m) => statsAt(DATA, m));
      expect(extSorted[i]?.ExtendedStatistics?.p99).toBeCloseTo(percentile(pts, 0.99), 6);
      expect(extSorted[i]?.ExtendedStatistics?.p50).toBeCloseTo(percentile(pts, 0.5), 6);
    }
  });

  describe('errors in AWS wording', () => {
    it('MaxRecords 101', async () => {
      const r = await cw('describe-alarms', '--max-records', '101');
      expect(r.code).not.toBe(0);
      expect(errorLine(r)).toBe(
        "An error occurred (ValidationError) when calling the DescribeAlarms operation: 1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
      );
    });

    it('a period that is neither high-resolution nor a multiple of 60', async () => {
      const gms = await cw('get-metric-statistics', '--namespace', NS, '--metric-name', 'RequestCount', '--start-time', iso(-10), '--end-time', iso(0), '--period', '45', '--statistics', 'Sum');
      expect(errorLine(gms)).toBe('An error occurred (InvalidParameterValue) when calling the GetMetricStatistics operation: The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.');
      const gmd = await cw('get-metric-data', '--start-time', iso(-10), '--end-time', iso(0), '--metric-data-queries', JSON.stringify([{ Id: 'a', MetricStat: { Metric: { Namespace: NS, MetricName: 'RequestCount' }, Period: 45, Stat: 'Sum' } }]));
      expect(errorLine(gmd)).toBe('An error occurred (ValidationError) when calling the GetMetricData operation: The parameter MetricDataQueries.member.1.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.');
    });

    it('Statistics and ExtendedStatistics together, and too many datapoints', async () => {
      const args = ['get-metric-statistics', '--namespace', NS, '--metric-name', 'RequestCount', '--end-time', iso(0), '--period', '60'];
      const both = await cw(...args, '--start-time', iso(-10), '--statistics', 'Sum', '--extended-statistics', 'p99');
      expect(errorLine(both)).toBe('An error occurred (InvalidParameterCombination) when calling the GetMetricStatistics operation: The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
      const many = await cw(...args, '--start-time', iso(-1441), '--statistics', 'Sum');
      expect(errorLine(many)).toBe(
        'An error occurred (InvalidParameterCombination) when calling the GetMetricStatistics operation: You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.',
      );
    });

    it('a metric math function the emulator does not evaluate is refused, not guessed', async () => {
      const r = await cw('get-metric-data', '--start-time', iso(-10), '--end-time', iso(0), '--metric-data-queries', JSON.stringify([{ Id: 'e', Expression: 'SEARCH(\'{AWS/ApplicationELB} MetricName="RequestCount"\', \'Sum\', 60)' }]));
      expect(errorLine(r)).toBe('An error occurred (ValidationError) when calling the GetMetricData operation: Error in MetricDataQueries.member.1.Expression: the function SEARCH is not supported by the warroom CloudWatch emulator.');
    });
  });
});
