/**
 * The CloudWatch emulator's operations as pure functions over a scenario world: AWS's validation
 * wording, percentiles and trimmed statistics at any period, missing data absent (never zero),
 * GetMetricStatistics, metric math, and alarm reasons that agree with their numbers.
 * Expected numbers are computed here from the scenario's own values, not with the emulator's code.
 */
import { describe, expect, it } from 'vitest';
import { CloudWatchFault } from '../../src/sandbox/cloudwatch/errors.js';
import { OPERATIONS, buildWorld, type OperationName } from '../../src/sandbox/cloudwatch/operations.js';
import { loadNamedScenario, parseScenario, scenariosDir } from '../../src/sandbox/scenario/loader.js';
import { readdirSync } from 'node:fs';
import { mixturePercentile } from '../support/percentile-oracle.js';

const ANCHOR = new Date('2026-03-10T14:00:00Z');
const T0 = ANCHOR.getTime() / 1000;
const MIN = 60;

const TINY = parseScenario(
  `
name: tiny
description: metrics with gaps for math and missing data
region: us-east-1
accountId: "111122223333"
expect: { topHypothesis: x }
cloudwatch:
  metrics:
    - namespace: App
      metricName: Errors
      unit: Count
      points:
        - { at: -10m, sum: 2, sampleCount: 2 }
        - { at: -9m, sum: 4, sampleCount: 4 }
        - { at: -7m, sum: 6, sampleCount: 6 }
    - namespace: App
      metricName: Requests
      unit: Count
      points:
        - { at: -10m, sum: 100, sampleCount: 100 }
        - { at: -9m, sum: 0, sampleCount: 0 }
        - { at: -8m, sum: 50, sampleCount: 50 }
        - { at: -7m, sum: 200, sampleCount: 200 }
    - namespace: App
      metricName: Latency
      unit: Seconds
      points:
        - { at: -10m, minimum: 0, p50: 1, p90: 2, p99: 4, maximum: 10, sampleCount: 100 }
        - { at: -9m, minimum: 1, p50: 3, p90: 5, p99: 6, maximum: 8, sampleCount: 300 }
alerts: [{ at: 0s, source: alertmanager, labels: { alertname: x }, status: firing }]
`,
  'tiny',
);

function op(world: ReturnType<typeof buildWorld>, name: OperationName, input: unknown, now = ANCHOR): Record<string, unknown> {
  return OPERATIONS[name](world, input, now, 'us-east-1');
}

function fault(fn: () => unknown): CloudWatchFault {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CloudWatchFault);
    return e as CloudWatchFault;
  }
  throw new Error('expected a fault');
}

interface Result {
  Id: string;
  Timestamps: number[];
  Values: number[];
  StatusCode: string;
}

const tiny = buildWorld(TINY, ANCHOR);
const stat = (metricName: string, s: string, period = 60) => ({ Metric: { Namespace: 'App', MetricName: metricName }, Period: period, Stat: s });
const gmd = (queries: unknown[], start = T0 - 10 * MIN, end = T0): Result[] =>
  op(tiny, 'GetMetricData', { MetricDataQueries: queries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' }).MetricDataResults as Result[];

describe('CloudWatch emulator: validation as AWS words it', () => {
  const seed = buildWorld(loadNamedScenario('flapping-alb-target-response-time'), ANCHOR);

  it('lists constraint violations in the service model wording, camelCase paths, no schema-library text', () => {
    const one = fault(() => op(seed, 'DescribeAlarms', { MaxRecords: 101 }));
    expect(one.def.query).toBe('ValidationError;Sender');
    expect(one.message).toBe("1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100");
    const two = fault(() => op(seed, 'DescribeAlarmHistory', { MaxRecords: 0, ScanBy: 'Sideways', AlarmName: '' }));
    expect(two.message).toBe(
      "3 validation errors detected: Value '' at 'alarmName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '0' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        "Value 'Sideways' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]",
    );
    const nested = fault(() => op(seed, 'GetMetricData', { MetricDataQueries: [{ Id: 'a', MetricStat: { Metric: { Namespace: ':x', MetricName: 'M' }, Period: 0, Stat: 'Sum' } }], StartTime: 1, EndTime: 2 }));
    expect(nested.message).toBe(
      "2 validation errors detected: Value ':x' at 'metricDataQueries.1.member.metricStat.metric.namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*; " +
        "Value '0' at 'metricDataQueries.1.member.metricStat.period' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    const missing = fault(() => op(seed, 'GetMetricStatistics', { MetricName: 'M', StartTime: 1, EndTime: 2, Period: 60, Statistics: ['Sum'] }));
    expect(missing.message).toBe("1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null");
    for (const f of [one, two, nested, missing]) expect(f.message).not.toMatch(/Too big|Too small|Invalid input|expected/);
  });

  it('answers a member of the wrong JSON type with SerializationException', () => {
    const f = fault(() => op(seed, 'DescribeAlarms', { MaxRecords: 'ten' }));
    expect(f.def.type).toBe('com.amazon.coral.service#SerializationException');
    expect(f.message).toBe('STRING_VALUE can not be converted to a Number');
    expect(fault(() => op(seed, 'ListMetrics', { Dimensions: 'x' })).message).toBe('STRING_VALUE can not be converted to a List');
  });

  it('checks GetMetricData queries as the service does, every problem listed', () => {
    const f = fault(() =>
      gmd([
        { Id: 'Bad', MetricStat: stat('Errors', 'Avg') },
        { Id: 'ok', MetricStat: stat('Errors', 'Sum', 45) },
        { Id: 'e', Expression: 'ok + nope' },
      ]),
    );
    expect(f.def.query).toBe('ValidationError;Sender');
    expect(f.message.split('\n')).toEqual([
      'The value Bad for parameter MetricDataQueries.member.1.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores.',
      'The value for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic.',
      'The parameter MetricDataQueries.member.2.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.',
      'Error in MetricDataQueries.member.3.Expression: unknown metric id nope.',
    ]);
    expect(fault(() => gmd([{ Id: 'a', MetricStat: stat('Errors', 'Sum') }], T0, T0)).message).toBe('The parameter StartTime must not equal parameter EndTime.');
  });
});

describe('CloudWatch emulator: statistics at any period', () => {
  it('serves percentiles at 60 and 300 s, computed from the samples of the datapoints in each period', () => {
    const [p60, p300, p99_9, p0, p100] = gmd([
      { Id: 'p60', MetricStat: stat('Latency', 'p99') },
      { Id: 'p300', MetricStat: stat('Latency', 'p99', 300) },
      { Id: 'p99_9', MetricStat: stat('Latency', 'p99.9') },
      { Id: 'p0', MetricStat: stat('Latency', 'p0', 300) },
      { Id: 'p100', MetricStat: stat('Latency', 'p100', 300) },
    ]);
    // the stored value at the stored period
    expect(p60?.Values).toEqual([4, 6]);
    // both minutes fall in the 13:50 period: the mixture of 100 + 300 samples
    expect(p300?.Timestamps).toEqual([T0 - 10 * MIN]);
    const parts = [
      { knots: [[0, 0], [0.5, 1], [0.9, 2], [0.99, 4], [1, 10]] as [number, number][], n: 100 },
      { knots: [[0, 1], [0.5, 3], [0.9, 5], [0.99, 6], [1, 8]] as [number, number][], n: 300 },
    ];
    expect(p300?.Values[0]).toBeCloseTo(mixturePercentile(parts, 0.99), 9);
    // p99.9 at the stored period: between p99 and the maximum
    expect(p99_9?.Values[0]).toBeCloseTo(4 + (10 - 4) * (0.999 - 0.99) / 0.01, 9);
    expect(p0?.Values).toEqual([0]);
    expect(p100?.Values).toEqual([10]);
  });

  it('serves trimmed means, IQM, trimmed counts and percentile ranks', () => {
    const results = gmd(['tm90', 'TM(10%:90%)', 'IQM', 'tc50', 'PR(:2)', 'wm99', 'TM(:2)'].map((s, i) => ({ Id: `s${i}`, MetricStat: stat('Latency', s) })));
    const first = results.map((r) => r.Values[0] as number);
    // minute -10: quantile function through (0,0) (0.5,1) (0.9,2) (0.99,4) (1,10); 100 samples
    const area = (a: number, b: number, va: number, vb: number): number => ((va + vb) / 2) * (b - a);
    const upTo90 = area(0, 0.5, 0, 1) + area(0.5, 0.9, 1, 2);
    expect(first[0]).toBeCloseTo(upTo90 / 0.9, 12); // tm90
    expect(first[1]).toBeCloseTo((upTo90 - area(0, 0.1, 0, 0.2)) / 0.8, 12); // TM(10%:90%)
    expect(first[2]).toBeCloseTo((area(0.25, 0.5, 0.5, 1) + area(0.5, 0.75, 1, 1.625)) / 0.5, 12); // IQM
    expect(first[3]).toBe(50); // tc50: half of 100 samples
    expect(first[4]).toBeCloseTo(90, 12); // PR(:2): 90% of the samples are <= 2
    const upTo99 = upTo90 + area(0.9, 0.99, 2, 4);
    expect(first[5]).toBeCloseTo(upTo99 + 0.01 * 4, 12); // wm99: the top 1% counted as p99
    expect(first[6]).toBeCloseTo(upTo90 / 0.9, 12); // TM(:2): values <= 2 are the lower 90%
  });

  it('aggregates Sum, Average, Maximum exactly at 300 s and leaves periods without data absent, never zero', () => {
    const [sum, avg, lat] = gmd(
      [
        { Id: 'sum', MetricStat: stat('Errors', 'Sum', 300) },
        { Id: 'avg', MetricStat: stat('Latency', 'Average', 300) },
        { Id: 'lat', MetricStat: stat('Latency', 'Maximum') },
      ],
      T0 - 15 * MIN,
    );
    expect(sum?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 5 * MIN].slice(0, 1));
    expect(sum?.Values).toEqual([12]);
    // no sum or average in Latency's datapoints: unknown, so no datapoint at all
    expect(avg).toMatchObject({ Values: [], Timestamps: [], StatusCode: 'Complete' });
    // two minutes of Latency data: two datapoints, the minutes without data are simply absent
    expect(lat?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 9 * MIN]);
  });

  it('serves high-resolution periods over minute data at the minute', () => {
    const [r] = gmd([{ Id: 'r', MetricStat: stat('Requests', 'Sum', 10) }]);
    expect(r?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 9 * MIN, T0 - 8 * MIN, T0 - 7 * MIN]);
  });
});

describe('CloudWatch emulator: metric math', () => {
  it('divides series at the timestamps both have, fills gaps with FILL, and drops division by zero', () => {
    const [ratio, pct] = gmd([
      { Id: 'err', MetricStat: stat('Errors', 'Sum'), ReturnData: false },
      { Id: 'req', MetricStat: stat('Requests', 'Sum'), ReturnData: false },
      { Id: 'ratio', Expression: 'err/req' },
      { Id: 'pct', Expression: '100*FILL(err,0)/req', Label: '5xx %' },
    ]);
    // -10m 2/100; -9m 4/0 is no datapoint; -8m has no errors; -7m 6/200
    expect(ratio?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 7 * MIN]);
    expect(ratio?.Values).toEqual([0.02, 0.03]);
    expect(pct?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 8 * MIN, T0 - 7 * MIN]);
    expect(pct?.Values.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([2, 0, 3]);
  });

  it('sums arrays per timestamp with SUM(METRICS()) and SUM([..]), and a series to a flat line', () => {
    const [total, listed, flat] = gmd([
      { Id: 'm1', MetricStat: stat('Errors', 'Sum'), ReturnData: false },
      { Id: 'm2', MetricStat: stat('Requests', 'Sum'), ReturnData: false },
      { Id: 'total', Expression: 'SUM(METRICS())' },
      { Id: 'listed', Expression: 'SUM([m1, m2]) - m2' },
      { Id: 'flat', Expression: 'SUM(m1)', Period: 300 },
    ]);
    expect(total?.Values).toEqual([102, 4, 50, 206]);
    expect(listed?.Values).toEqual([2, 4, 0, 6]);
    expect(flat?.Timestamps).toEqual([T0 - 10 * MIN, T0 - 5 * MIN]);
    expect(flat?.Values).toEqual([12, 12]);
  });

  it('refuses what it does not evaluate, with the service error shape', () => {
    const f = fault(() => gmd([{ Id: 'm1', MetricStat: stat('Errors', 'Sum') }, { Id: 'e', Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }]));
    expect(f.def.query).toBe('ValidationError;Sender');
    expect(f.message).toBe('Error in MetricDataQueries.member.2.Expression: the function ANOMALY_DETECTION_BAND is not supported by the warroom CloudWatch emulator.');
    expect(fault(() => gmd([{ Id: 'a', Expression: 'b+1' }, { Id: 'b', Expression: 'a+1' }])).message).toContain('refer to each other');
    expect(fault(() => gmd([{ Id: 'm1', MetricStat: stat('Errors', 'Sum') }, { Id: 'e', Expression: 'METRICS()' }, { Id: 'm2', MetricStat: stat('Requests', 'Sum') }])).message).toContain(
      'returns 2 time series',
    );
  });
});

describe('CloudWatch emulator: GetMetricStatistics', () => {
  const seed = buildWorld(loadNamedScenario('flapping-alb-target-response-time'), ANCHOR);
  const base = { Namespace: 'App', MetricName: 'Latency', StartTime: T0 - 10 * MIN, EndTime: T0 };

  it('answers Statistics and ExtendedStatistics per period with the unit', () => {
    const stats = op(tiny, 'GetMetricStatistics', { ...base, MetricName: 'Requests', Period: 120, Statistics: ['Sum', 'SampleCount', 'Average'] });
    expect(stats).toEqual({
      Label: 'Requests',
      Datapoints: [
        { Timestamp: T0 - 10 * MIN, Sum: 100, SampleCount: 100, Average: 1, Unit: 'Count' },
        { Timestamp: T0 - 8 * MIN, Sum: 250, SampleCount: 250, Average: 1, Unit: 'Count' },
      ],
    });
    const ext = op(tiny, 'GetMetricStatistics', { ...base, Period: 60, ExtendedStatistics: ['p99', 'p50'] });
    expect(ext.Datapoints).toEqual([
      { Timestamp: T0 - 10 * MIN, ExtendedStatistics: { p99: 4, p50: 1 }, Unit: 'Seconds' },
      { Timestamp: T0 - 9 * MIN, ExtendedStatistics: { p99: 6, p50: 3 }, Unit: 'Seconds' },
    ]);
  });

  it('refuses both or neither statistic lists, bad periods and more than 1,440 datapoints', () => {
    const both = fault(() => op(tiny, 'GetMetricStatistics', { ...base, Period: 60, Statistics: ['Sum'], ExtendedStatistics: ['p99'] }));
    expect([both.def.query, both.message]).toEqual(['InvalidParameterCombination;Sender', 'The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.']);
    const neither = fault(() => op(tiny, 'GetMetricStatistics', { ...base, Period: 60 }));
    expect(neither.message).toBe('At least one of the parameters Statistics and ExtendedStatistics must be specified.');
    const period = fault(() => op(tiny, 'GetMetricStatistics', { ...base, Period: 45, Statistics: ['Sum'] }));
    expect([period.def.query, period.message]).toEqual(['InvalidParameterValue;Sender', 'The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.']);
    const many = fault(() => op(seed, 'GetMetricStatistics', { ...base, StartTime: T0 - 1441 * MIN, Period: 60, Statistics: ['Sum'] }));
    expect([many.def.query, many.message]).toEqual([
      'InvalidParameterCombination;Sender',
      'You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.',
    ]);
    expect(op(seed, 'GetMetricStatistics', { ...base, StartTime: T0 - 1440 * MIN, Period: 60, Statistics: ['Sum'] }).Datapoints).toEqual([]);
    const badExt = fault(() => op(tiny, 'GetMetricStatistics', { ...base, Period: 60, ExtendedStatistics: ['p101'] }));
    expect(badExt.def.query).toBe('InvalidParameterValue;Sender');
  });
});

describe('CloudWatch emulator: alarm reasons agree with their numbers', () => {
  const files = readdirSync(scenariosDir()).filter((f) => f.endsWith('.yaml'));
  const WORDS: Record<string, [string, (v: number, t: number) => boolean]> = {
    GreaterThanThreshold: ['greater than', (v, t) => v > t],
    GreaterThanOrEqualToThreshold: ['greater than or equal to', (v, t) => v >= t],
    LessThanThreshold: ['less than', (v, t) => v < t],
    LessThanOrEqualToThreshold: ['less than or equal to', (v, t) => v <= t],
  };

  it.each(files)('%s: every listed datapoint satisfies the stated comparison, and the count matches', (file) => {
    const world = buildWorld(loadNamedScenario(file.replace(/\.yaml$/, '')), ANCHOR);
    for (const a of world.alarms) {
      const [word, cmp] = WORDS[a.alarm.comparisonOperator] ?? ['', () => false];
      for (const t of a.transitions) {
        const m = /^Threshold Crossed: (\d+) out of the last (\d+) datapoints \[(.*)\] (?:was|were) (not )?(.+?) the threshold \(([\d.]+)\)/.exec(t.reason);
        if (!m) continue;
        const [, n, of, list, not, words, threshold] = m;
        expect(words).toBe(word);
        expect(Number(of)).toBe(a.alarm.evaluationPeriods);
        const listed = (list ?? '').split(/\), /).filter((x) => x !== '').map((x) => Number(x.split(' (')[0]));
        expect(listed).toHaveLength(Number(n));
        for (const v of listed) expect(cmp(v, Number(threshold))).toBe(!not);
        expect(not === undefined).toBe(t.to === 'ALARM');
      }
    }
  });

  it('words the seed ALARM -> OK transition with the one datapoint that is not above the threshold', () => {
    const world = buildWorld(loadNamedScenario('flapping-alb-target-response-time'), ANCHOR);
    const ok = world.alarms[0]?.transitions.find((t) => t.to === 'OK' && t.time.getTime() === ANCHOR.getTime() - 31 * 60_000);
    expect(ok?.reason).toMatch(/^Threshold Crossed: 1 out of the last 2 datapoints \[0\.2048\d* \(10\/03\/26 13:28:00\)\] was not greater than the threshold \(0\.8\)/);
    const data = JSON.parse(ok?.reasonData ?? '{}') as { recentDatapoints: number[] };
    // both evaluated datapoints are kept in the reason data: the last burst minute and the quiet one
    expect(data.recentDatapoints.map((v) => Math.round(v * 100) / 100)).toEqual([0.2, 1.18]);
  });
});
