/**
 * ListMetrics, GetMetricData and GetMetricStatistics over the emulator's world
 * (reference/protocols.md 4.3-4.4).
 *
 * Datapoints are aggregated into periods aligned to the epoch, at any valid period (1, 5, 10, 20,
 * 30 or a multiple of 60 seconds) and for any statistic CloudWatch knows (../scenario/statistics.ts;
 * percentiles and trimmed statistics from the samples model of ../scenario/distribution.ts).
 * GetMetricData matches the dimension set exactly, ListMetrics by subset. A period without data
 * has no datapoint: absent, never zero. Retention follows the service: 60 s data for 15 days, 300 s
 * for 63 days, 3600 s for 455 days; StartTime is rounded down as the service documents.
 */
import { z } from 'zod';
import { sameDimensionSet, type ExpandedMetric } from '../scenario/expand.js';
import { bucketize, combine, parseStat, type ParsedStat } from '../scenario/statistics.js';
import { CloudWatchFault } from './errors.js';
import { evaluate, ExpressionError, parseExpression, references, type MathNode, type MathValue, type NamedPoints, type Points } from './math.js';
import { parseInput, patterned } from './validation.js';
import { decodeToken, encodeToken, EpochSeconds, secs, visiblePoints, type World } from './world.js';

const DAY = 86_400_000;
const STANDARD_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second',
  'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;
const Namespace = patterned('[^:].*').min(1).max(255);
const MetricName = z.string().min(1).max(255);
const Dimension = z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024) });
const Unit = z.enum(STANDARD_UNITS);
const Period = z.number().int().min(1);
const HIGH_RES_PERIODS = new Set([1, 5, 10, 20, 30]);
/** GetMetricStatistics answers at most this many datapoints. */
export const MAX_STATISTICS_DATAPOINTS = 1440;

export const validPeriod = (p: number): boolean => p % 60 === 0 || HIGH_RES_PERIODS.has(p);
const periodMessage = (param: string): string => `The parameter ${param} must be 1, 5, 10, 20, 30, or a multiple of 60.`;

/** StartTime rounded down as the service documents: to the minute (< 15 days ago), 5 minutes (< 63 days), else the hour. */
export function roundStart(startMs: number, nowMs: number): number {
  const age = nowMs - startMs;
  const unit = age < 15 * DAY ? 60_000 : age < 63 * DAY ? 300_000 : 3_600_000;
  return Math.floor(startMs / unit) * unit;
}

/** Whether a datapoint of this age is still kept at this period (60 s for 15 days, 300 s for 63, 3600 s for 455). */
function retained(ageMs: number, period: number): boolean {
  if (ageMs < 15 * DAY) return true;
  if (ageMs < 63 * DAY) return period % 300 === 0;
  if (ageMs < 455 * DAY) return period % 3600 === 0;
  return false;
}

export interface MetricSpec {
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  unit?: string;
}

function findMetric(world: World, spec: MetricSpec, region: string): ExpandedMetric | undefined {
  if (region !== world.region) return undefined;
  const metric = world.metrics.find((m) => m.namespace === spec.namespace && m.metricName === spec.metricName && sameDimensionSet(m.dimensions, spec.dimensions));
  // a unit that is not the metric's own matches nothing, as in CloudWatch
  if (metric && spec.unit !== undefined && (metric.unit ?? 'None') !== spec.unit) return undefined;
  return metric;
}

/** The statistic of the metric at `period` over [startMs, endMs): period start -> value, ascending, absent where unknown. */
export function statisticSeries(metric: ExpandedMetric | undefined, stat: ParsedStat, period: number, startMs: number, endMs: number, nowMs: number): Points {
  const out: Points = new Map();
  if (!metric) return out;
  const pts = visiblePoints(metric, nowMs)
    .filter((p) => retained(nowMs - p.timestamp.getTime(), period))
    .map((p) => ({ t: p.timestamp.getTime(), stats: p.stats }));
  for (const b of bucketize(pts, period, startMs, endMs)) {
    const r = combine(b.points, stat);
    if (r.ok) out.set(b.t, r.value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ListMetrics

const ListMetricsInput = z.object({
  Namespace: Namespace.optional(),
  MetricName: MetricName.optional(),
  Dimensions: z.array(z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024).optional() })).max(10).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.enum(['PT3H']).optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().min(1).max(255).optional(),
});

export function listMetrics(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(ListMetricsInput, input);
  const offset = decodeToken('ListMetrics', q.NextToken);
  const nowMs = now.getTime();
  const since = q.RecentlyActive ? nowMs - 3 * 3_600_000 : nowMs - 14 * DAY;
  const matching = (region === world.region ? world.metrics : [])
    .filter((m) => q.Namespace === undefined || m.namespace === q.Namespace)
    .filter((m) => q.MetricName === undefined || m.metricName === q.MetricName)
    .filter((m) => (q.Dimensions ?? []).every((f) => m.dimensions.some((d) => d.name === f.Name && (f.Value === undefined || d.value === f.Value))))
    .filter((m) => visiblePoints(m, nowMs).some((pt) => pt.timestamp.getTime() >= since));
  const size = world.pageSizes.listMetrics;
  const page = matching.slice(offset, offset + size);
  return {
    Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })) })),
    ...(q.IncludeLinkedAccounts ? { OwningAccounts: page.map(() => world.scenario.accountId) } : {}),
    ...(offset + size < matching.length ? { NextToken: encodeToken('ListMetrics', offset + size) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// GetMetricData

const MetricDataQuery = z.object({
  Id: z.string().min(1).max(255),
  MetricStat: z
    .object({
      Metric: z.object({ Namespace: Namespace.optional(), MetricName: MetricName.optional(), Dimensions: z.array(Dimension).max(30).optional() }),
      Period,
      Stat: z.string(),
      Unit: Unit.optional(),
    })
    .optional(),
  Expression: z.string().min(1).max(2048).optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: Period.optional(),
  AccountId: z.string().min(1).max(255).optional(),
});
type MetricDataQuery = z.infer<typeof MetricDataQuery>;

const GetMetricDataInput = z.object({
  MetricDataQueries: z.array(MetricDataQuery).max(500),
  StartTime: EpochSeconds,
  EndTime: EpochSeconds,
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().int().optional(),
  LabelOptions: z.object({ Timezone: z.string().optional() }).optional(),
});

const QUERY_ID = /^[a-z][A-Za-z0-9_]*$/;

/** StartTime/EndTime checks shared by GetMetricData (ValidationError) and GetMetricStatistics (InvalidParameterValue). */
function timeRange(startSec: number, endSec: number, code: 'ValidationError' | 'InvalidParameterValue'): void {
  if (startSec === endSec) throw new CloudWatchFault(code, 'The parameter StartTime must not equal parameter EndTime.');
  if (startSec > endSec) throw new CloudWatchFault(code, 'The parameter StartTime must be less than the parameter EndTime.');
}

interface Prepared {
  mq: MetricDataQuery;
  member: string;
  stat?: ParsedStat;
  expression?: MathNode;
}

/** The service's checks of the queries, every problem listed (one per line, as the service does). */
function prepareQueries(queries: readonly MetricDataQuery[]): Prepared[] {
  const problems: string[] = [];
  const ids = new Set(queries.map((q) => q.Id));
  const seen = new Set<string>();
  const prepared = queries.map((mq, i): Prepared => {
    const member = `MetricDataQueries.member.${i + 1}`;
    const p: Prepared = { mq, member };
    if (!QUERY_ID.test(mq.Id)) problems.push(`The value ${mq.Id} for parameter ${member}.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores.`);
    if (seen.has(mq.Id)) problems.push(`The value ${mq.Id} for parameter ${member}.Id is duplicated.`);
    seen.add(mq.Id);
    if (mq.MetricStat && mq.Expression !== undefined) {
      problems.push(`The parameters ${member}.MetricStat and ${member}.Expression are mutually exclusive and you have specified both.`);
      return p;
    }
    if (!mq.MetricStat && mq.Expression === undefined) {
      problems.push(`Exactly one element of the ${member}.MetricStat and ${member}.Expression parameters must be specified.`);
      return p;
    }
    if (mq.Period !== undefined && !validPeriod(mq.Period)) problems.push(periodMessage(`${member}.Period`));
    const ms = mq.MetricStat;
    if (ms) {
      if (!ms.Metric.Namespace) problems.push(`The parameter ${member}.MetricStat.Metric.Namespace is required.`);
      if (!ms.Metric.MetricName) problems.push(`The parameter ${member}.MetricStat.Metric.MetricName is required.`);
      const stat = parseStat(ms.Stat);
      if (!stat) problems.push(`The value for parameter ${member}.MetricStat.Stat is not a valid statistic.`);
      else p.stat = stat;
      if (!validPeriod(ms.Period)) problems.push(periodMessage(`${member}.MetricStat.Period`));
      return p;
    }
    try {
      const expression = parseExpression(mq.Expression ?? '');
      for (const ref of references(expression).ids) {
        if (!ids.has(ref)) problems.push(`Error in ${member}.Expression: unknown metric id ${ref}.`);
        if (ref === mq.Id) problems.push(`Error in ${member}.Expression: the expression refers to itself.`);
      }
      p.expression = expression;
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      problems.push(`Error in ${member}.Expression: ${e.message}.`);
    }
    return p;
  });
  if (problems.length > 0) throw new CloudWatchFault('ValidationError', problems.join('\n'));
  return prepared;
}

export function getMetricData(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(GetMetricDataInput, input);
  if (q.MetricDataQueries.length === 0) {
    throw new CloudWatchFault('ValidationError', "1 validation error detected: Value '[]' at 'metricDataQueries' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  timeRange(q.StartTime, q.EndTime, 'ValidationError');
  const prepared = prepareQueries(q.MetricDataQueries);
  const nowMs = now.getTime();
  const startMs = roundStart(q.StartTime * 1000, nowMs);
  const endMs = Math.min(q.EndTime * 1000, Number.MAX_SAFE_INTEGER);

  const byId = new Map(prepared.map((p) => [p.mq.Id, p]));
  const values = new Map<string, MathValue>();
  const evaluating = new Set<string>();
  const metricPoints = (p: Prepared): Points => {
    const ms = p.mq.MetricStat;
    if (!ms || !p.stat) return new Map();
    const spec: MetricSpec = {
      namespace: ms.Metric.Namespace ?? '',
      metricName: ms.Metric.MetricName ?? '',
      dimensions: (ms.Metric.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
      ...(ms.Unit === undefined ? {} : { unit: ms.Unit }),
    };
    return statisticSeries(findMetric(world, spec, region), p.stat, ms.Period, startMs, endMs, nowMs);
  };
  /** An expression's period: its own, else the longest of what it reads (a cycle is reported by valueOf). */
  const periodOf = (p: Prepared, visiting: ReadonlySet<string> = new Set()): number => {
    if (p.mq.MetricStat) return p.mq.MetricStat.Period;
    if (p.mq.Period !== undefined) return p.mq.Period;
    const refs = p.expression ? references(p.expression) : { ids: new Set<string>(), usesMetrics: false };
    const used = refs.usesMetrics ? prepared.filter((x) => x.mq.MetricStat) : [...refs.ids].map((id) => byId.get(id)).filter((x): x is Prepared => x !== undefined && !visiting.has(x.mq.Id));
    const next = new Set([...visiting, p.mq.Id]);
    return Math.max(60, ...used.map((x) => periodOf(x, next)));
  };
  const gridOf = (period: number): number[] => {
    const step = period * 1000;
    const out: number[] = [];
    for (let t = Math.floor(startMs / step) * step; t < endMs && out.length <= 100_800; t += step) out.push(t);
    return out;
  };
  const valueOf = (id: string): MathValue => {
    const cached = values.get(id);
    if (cached) return cached;
    const p = byId.get(id);
    if (!p) throw new ExpressionError(`unknown metric id ${id}`);
    if (evaluating.has(id)) throw new ExpressionError(`the expressions of ${[...evaluating].join(', ')} refer to each other`);
    evaluating.add(id);
    let v: MathValue;
    if (p.expression) {
      const grid = gridOf(periodOf(p));
      v = evaluate(p.expression, {
        lookup: valueOf,
        grid,
        metrics: (filter) =>
          prepared
            .filter((x) => x.mq.MetricStat && (filter === undefined || x.mq.Id.includes(filter)))
            .map((x): NamedPoints => ({ id: x.mq.Id, points: (valueOf(x.mq.Id) as { points: Points }).points })),
      });
      if (v.kind === 'scalar') {
        // a number is drawn as a flat line over the range
        const points: Points = new Map();
        if (Number.isFinite(v.value)) for (const t of grid) points.set(t, v.value);
        v = { kind: 'series', points };
      }
    } else {
      v = { kind: 'series', points: metricPoints(p) };
    }
    evaluating.delete(id);
    values.set(id, v);
    return v;
  };

  const ascending = q.ScanBy === 'TimestampAscending';
  const series = prepared.map((p) => {
    let v: MathValue;
    try {
      v = valueOf(p.mq.Id);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      throw new CloudWatchFault('ValidationError', `Error in ${p.member}.Expression: ${e.message}.`);
    }
    if (v.kind === 'array') {
      if (v.items.length !== 1) {
        throw new CloudWatchFault(
          'ValidationError',
          `Error in ${p.member}.Expression: the expression returns ${v.items.length} time series; the warroom CloudWatch emulator answers expressions that return one time series.`,
        );
      }
      v = { kind: 'series', points: (v.items[0] as NamedPoints).points };
    }
    const points = v.kind === 'series' ? [...v.points.entries()].sort((a, b) => a[0] - b[0]).map(([t, x]) => ({ t, v: x })) : [];
    if (!ascending) points.reverse();
    return { p, points, label: p.mq.Label ?? p.mq.MetricStat?.Metric.MetricName ?? p.mq.Id };
  });

  // Pagination over the datapoints of all returned queries, in query order.
  const max = q.MaxDatapoints ?? 100_800;
  let skip = decodeToken('GetMetricData', q.NextToken);
  let budget = max;
  let consumed = skip;
  let more = false;
  const results = series
    .filter((s) => s.p.mq.ReturnData !== false)
    .map((s) => {
      const from = Math.min(skip, s.points.length);
      skip -= from;
      const take = Math.min(budget, s.points.length - from);
      budget -= take;
      consumed += take;
      const chunk = s.points.slice(from, from + take);
      const partial = from + take < s.points.length;
      if (partial) more = true;
      return {
        Id: s.p.mq.Id,
        Label: s.label,
        Timestamps: chunk.map((x) => secs(x.t)),
        Values: chunk.map((x) => x.v),
        // PartialData: more datapoints of this query on the next page (NextToken)
        StatusCode: partial ? 'PartialData' : 'Complete',
      };
    });
  return { MetricDataResults: results, Messages: [], ...(more ? { NextToken: encodeToken('GetMetricData', consumed) } : {}) };
}

// ---------------------------------------------------------------------------------------------
// GetMetricStatistics

const STATISTIC_NAMES = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;

const GetMetricStatisticsInput = z.object({
  Namespace,
  MetricName,
  Dimensions: z.array(Dimension).max(30).optional(),
  StartTime: EpochSeconds,
  EndTime: EpochSeconds,
  Period,
  Statistics: z.array(z.enum(STATISTIC_NAMES)).min(1).max(5).optional(),
  ExtendedStatistics: z.array(z.string()).min(1).max(10).optional(),
  Unit: Unit.optional(),
});

export function getMetricStatistics(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(GetMetricStatisticsInput, input);
  if (q.Statistics && q.ExtendedStatistics) {
    throw new CloudWatchFault('InvalidParameterCombination', 'The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
  }
  if (!q.Statistics && !q.ExtendedStatistics) {
    throw new CloudWatchFault('InvalidParameterCombination', 'At least one of the parameters Statistics and ExtendedStatistics must be specified.');
  }
  const extended = (q.ExtendedStatistics ?? []).map((name, i) => {
    const stat = parseStat(name);
    if (!stat || stat.kind === 'basic') throw new CloudWatchFault('InvalidParameterValue', `The value ${name} for parameter ExtendedStatistics.member.${i + 1} is not a valid extended statistic.`);
    return { name, stat };
  });
  if (!validPeriod(q.Period)) throw new CloudWatchFault('InvalidParameterValue', periodMessage('Period'));
  timeRange(q.StartTime, q.EndTime, 'InvalidParameterValue');
  const nowMs = now.getTime();
  const startMs = roundStart(q.StartTime * 1000, nowMs);
  const endMs = q.EndTime * 1000;
  const requested = Math.ceil((endMs - startMs) / (q.Period * 1000));
  if (requested > MAX_STATISTICS_DATAPOINTS) {
    throw new CloudWatchFault(
      'InvalidParameterCombination',
      `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_STATISTICS_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  const spec: MetricSpec = {
    namespace: q.Namespace,
    metricName: q.MetricName,
    dimensions: (q.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
    ...(q.Unit === undefined ? {} : { unit: q.Unit }),
  };
  const metric = findMetric(world, spec, region);
  const columns: { name: string; extended: boolean; points: Points }[] = [
    ...(q.Statistics ?? []).map((name) => ({ name, extended: false, points: statisticSeries(metric, { kind: 'basic', name }, q.Period, startMs, endMs, nowMs) })),
    ...extended.map((e) => ({ name: e.name, extended: true, points: statisticSeries(metric, e.stat, q.Period, startMs, endMs, nowMs) })),
  ];
  const times = [...new Set(columns.flatMap((c) => [...c.points.keys()]))].sort((a, b) => a - b);
  const unit = metric?.unit ?? 'None';
  const datapoints = times.map((t) => {
    const dp: Record<string, unknown> = { Timestamp: secs(t) };
    const ext: Record<string, number> = {};
    for (const c of columns) {
      const v = c.points.get(t);
      if (v === undefined) continue;
      if (c.extended) ext[c.name] = v;
      else dp[c.name] = v;
    }
    if (Object.keys(ext).length > 0) dp.ExtendedStatistics = ext;
    dp.Unit = unit;
    return dp;
  });
  return { Label: q.MetricName, Datapoints: datapoints };
}
