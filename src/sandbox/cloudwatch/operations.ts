/**
 * The CloudWatch operations of the emulator as pure functions over a scenario world:
 * (world, input, now) -> the JSON 1.0 response body, or a CloudWatchFault. Shapes follow the
 * service (reference/protocols.md 4.1-4.4): epoch-second timestamps, NextToken pagination,
 * exact dimension-set matching for GetMetricData and subset matching for ListMetrics.
 */
import { z } from 'zod';
import { alarmArn, alarmStateAtOffset, alarmTransitions, cloudWatchAlarmNotification, type ResolvedTransition } from '../scenario/alarms.js';
import { expandMetricPoints, sameDimensionSet, type ExpandedMetric } from '../scenario/expand.js';
import type { Scenario, ScenarioAlarm } from '../scenario/schema.js';
import { bucketize, combine, parseStat } from '../scenario/statistics.js';
import { relativeMs } from '../scenario/time.js';
import { CloudWatchFault } from './errors.js';

export interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm';
  /** epoch ms (serialised as epoch seconds). */
  time: number;
  HistoryItemType: 'StateUpdate' | 'Action' | 'ConfigurationUpdate';
  HistorySummary: string;
  HistoryData: string;
}

export interface World {
  scenario: Scenario;
  anchor: Date;
  region: string;
  metrics: ExpandedMetric[];
  alarms: { alarm: ScenarioAlarm; arn: string; created: number; transitions: ResolvedTransition[] }[];
  history: HistoryItem[];
  pageSizes: { describeAlarms: number; listMetrics: number };
}

export function buildWorld(scenario: Scenario, anchor: Date, pageSizes: Partial<World['pageSizes']> = {}): World {
  const metrics = expandMetricPoints(scenario, anchor);
  const alarms = scenario.cloudwatch.alarms.map((alarm) => {
    const transitions = alarmTransitions(alarm, metrics, anchor);
    const firstAt = transitions[0]?.time.getTime() ?? anchor.getTime();
    const created = alarm.createdAt ? anchor.getTime() + relativeMs(alarm.createdAt) : firstAt - 60_000;
    return { alarm, arn: alarmArn(scenario, alarm.name), created: Math.min(created, firstAt), transitions };
  });
  const history: HistoryItem[] = [];
  for (const a of alarms) {
    history.push({
      AlarmName: a.alarm.name,
      AlarmType: 'MetricAlarm',
      time: a.created,
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${a.alarm.name}" created`,
      HistoryData: JSON.stringify({ version: '1.0', type: 'Create', createdAlarm: configurationOf(a.alarm, a.arn, scenario.accountId) }),
    });
    a.transitions.forEach((t, i) => {
      const prev = a.transitions[i - 1];
      history.push({
        AlarmName: a.alarm.name,
        AlarmType: 'MetricAlarm',
        time: t.time.getTime(),
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${t.from} to ${t.to}`,
        HistoryData: JSON.stringify({
          version: '1.0',
          oldState: { stateValue: t.from, stateReason: prev?.reason ?? 'Unchecked: Initial alarm creation', ...(prev?.reasonData ? { stateReasonData: JSON.parse(prev.reasonData) as unknown } : {}) },
          newState: { stateValue: t.to, stateReason: t.reason, ...(t.reasonData ? { stateReasonData: JSON.parse(t.reasonData) as unknown } : {}) },
        }),
      });
      const actions = t.to === 'ALARM' ? a.alarm.actions?.alarm : t.to === 'OK' ? a.alarm.actions?.ok : a.alarm.actions?.insufficientData;
      for (const arn of actions ?? []) {
        const published = cloudWatchAlarmNotification(scenario, metrics, anchor, { alarm: a.alarm.name, state: t.to, time: t.time, reason: t.reason });
        history.push({
          AlarmName: a.alarm.name,
          AlarmType: 'MetricAlarm',
          time: t.time.getTime(),
          HistoryItemType: 'Action',
          HistorySummary: `Successfully executed action ${arn}`,
          HistoryData: JSON.stringify({ actionState: 'Succeeded', stateUpdateTimestamp: t.time.getTime(), notificationResource: arn, publishedMessage: published.message, error: null }),
        });
      }
    });
  }
  // stable: at equal times a state update precedes the action it triggered
  history.sort((x, y) => x.time - y.time);
  return {
    scenario,
    anchor,
    region: scenario.region,
    metrics,
    alarms,
    history,
    pageSizes: { describeAlarms: pageSizes.describeAlarms ?? 100, listMetrics: pageSizes.listMetrics ?? 500 },
  };
}

function configurationOf(alarm: ScenarioAlarm, arn: string, accountId: string): Record<string, unknown> {
  return {
    alarmName: alarm.name,
    alarmArn: arn,
    alarmDescription: alarm.description,
    actionsEnabled: true,
    okactions: alarm.actions?.ok ?? [],
    alarmActions: alarm.actions?.alarm ?? [],
    insufficientDataActions: alarm.actions?.insufficientData ?? [],
    metricName: alarm.metricName,
    namespace: alarm.namespace,
    statistic: alarm.statistic,
    extendedStatistic: alarm.extendedStatistic,
    dimensions: alarm.dimensions,
    period: alarm.period,
    evaluationPeriods: alarm.evaluationPeriods,
    threshold: alarm.threshold,
    comparisonOperator: alarm.comparisonOperator,
    treatMissingData: alarm.treatMissingData,
    accountId,
  };
}

// ---------------------------------------------------------------------------------------------
// Input validation (zod at the boundary). Type errors are SerializationException, range errors
// ValidationError, as the service does.

const EpochSeconds = z.number().finite();

function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first ? first.path.join('.') : '';
  if (first && first.code === 'invalid_type' && first.input === undefined) {
    throw new CloudWatchFault('ValidationError', `1 validation error detected: Value null at '${where}' failed to satisfy constraint: Member must not be null`);
  }
  if (first && (first.code === 'too_small' || first.code === 'too_big' || first.code === 'invalid_value')) {
    throw new CloudWatchFault('ValidationError', `1 validation error detected: Value at '${where}' failed to satisfy constraint: ${first.message}`);
  }
  throw new CloudWatchFault('Serialization', `Cannot deserialize ${where || 'input'}: ${first?.message ?? 'invalid'}`);
}

interface PageToken {
  op: string;
  o: number;
}

function encodeToken(op: string, offset: number): string {
  return Buffer.from(JSON.stringify({ op, o: offset } satisfies PageToken)).toString('base64');
}

function decodeToken(op: string, token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed = z.object({ op: z.literal(op), o: z.number().int().nonnegative() }).parse(JSON.parse(Buffer.from(token, 'base64').toString('utf8')));
    return parsed.o;
  } catch {
    throw new CloudWatchFault('InvalidNextToken', 'The service cannot decode the NextToken');
  }
}

const secs = (ms: number): number => ms / 1000;
const offsetOf = (world: World, now: Date): number => now.getTime() - world.anchor.getTime();

// ---------------------------------------------------------------------------------------------
// DescribeAlarms

const DescribeAlarmsInput = z.object({
  AlarmNames: z.array(z.string().min(1).max(255)).max(100).optional(),
  AlarmNamePrefix: z.string().min(1).max(255).optional(),
  AlarmTypes: z.array(z.enum(['CompositeAlarm', 'MetricAlarm'])).optional(),
  ChildrenOfAlarmName: z.string().optional(),
  ParentsOfAlarmName: z.string().optional(),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
  ActionPrefix: z.string().min(1).max(1024).optional(),
  MaxRecords: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().optional(),
});

export function describeAlarms(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(DescribeAlarmsInput, input);
  if (q.AlarmNames && q.AlarmNamePrefix) throw new CloudWatchFault('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be used together.');
  const offset = decodeToken('DescribeAlarms', q.NextToken);
  const wantMetric = !q.AlarmTypes || q.AlarmTypes.includes('MetricAlarm');
  const nowOffset = offsetOf(world, now);
  const all = region !== world.region || !wantMetric ? [] : world.alarms;
  const matching = all
    .filter((a) => a.created <= now.getTime())
    .filter((a) => !q.AlarmNames || q.AlarmNames.includes(a.alarm.name))
    .filter((a) => !q.AlarmNamePrefix || a.alarm.name.startsWith(q.AlarmNamePrefix))
    .filter((a) => !q.StateValue || alarmStateAtOffset(a.alarm, nowOffset) === q.StateValue)
    .filter((a) => !q.ActionPrefix || [...(a.alarm.actions?.alarm ?? []), ...(a.alarm.actions?.ok ?? []), ...(a.alarm.actions?.insufficientData ?? [])].some((x) => x.startsWith(q.ActionPrefix ?? '')))
    .sort((x, y) => (x.alarm.name < y.alarm.name ? -1 : x.alarm.name > y.alarm.name ? 1 : 0));
  const size = q.MaxRecords ?? world.pageSizes.describeAlarms;
  const page = matching.slice(offset, offset + size);
  const more = offset + size < matching.length;
  return {
    ...(q.AlarmTypes?.includes('CompositeAlarm') ? { CompositeAlarms: [] } : {}),
    MetricAlarms: page.map((a) => metricAlarm(world, a, now)),
    ...(more ? { NextToken: encodeToken('DescribeAlarms', offset + size) } : {}),
  };
}

function metricAlarm(world: World, a: World['alarms'][number], now: Date): Record<string, unknown> {
  const { alarm } = a;
  const past = a.transitions.filter((t) => t.time.getTime() <= now.getTime());
  const last = past[past.length - 1];
  const state = alarmStateAtOffset(alarm, offsetOf(world, now));
  const updated = last ? last.time.getTime() : a.created;
  return {
    AlarmName: alarm.name,
    AlarmArn: a.arn,
    ...(alarm.description === undefined ? {} : { AlarmDescription: alarm.description }),
    AlarmConfigurationUpdatedTimestamp: secs(a.created),
    ActionsEnabled: true,
    OKActions: alarm.actions?.ok ?? [],
    AlarmActions: alarm.actions?.alarm ?? [],
    InsufficientDataActions: alarm.actions?.insufficientData ?? [],
    StateValue: state,
    StateReason: last?.reason ?? 'Unchecked: Initial alarm creation',
    ...(last?.reasonData ? { StateReasonData: last.reasonData } : {}),
    StateUpdatedTimestamp: secs(updated),
    MetricName: alarm.metricName,
    Namespace: alarm.namespace,
    ...(alarm.statistic ? { Statistic: alarm.statistic } : {}),
    ...(alarm.extendedStatistic ? { ExtendedStatistic: alarm.extendedStatistic } : {}),
    Dimensions: alarm.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
    Period: alarm.period,
    ...(alarm.unit ? { Unit: alarm.unit } : {}),
    EvaluationPeriods: alarm.evaluationPeriods,
    ...(alarm.datapointsToAlarm === undefined ? {} : { DatapointsToAlarm: alarm.datapointsToAlarm }),
    Threshold: alarm.threshold,
    ComparisonOperator: alarm.comparisonOperator,
    TreatMissingData: alarm.treatMissingData,
    StateTransitionedTimestamp: secs(updated),
  };
}

// ---------------------------------------------------------------------------------------------
// DescribeAlarmHistory

const DescribeAlarmHistoryInput = z.object({
  AlarmName: z.string().min(1).max(255).optional(),
  AlarmContributorId: z.string().optional(),
  AlarmTypes: z.array(z.enum(['CompositeAlarm', 'MetricAlarm'])).optional(),
  HistoryItemType: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction']).optional(),
  StartDate: EpochSeconds.optional(),
  EndDate: EpochSeconds.optional(),
  MaxRecords: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
});

export function describeAlarmHistory(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(DescribeAlarmHistoryInput, input);
  if (q.StartDate !== undefined && q.EndDate !== undefined && q.StartDate > q.EndDate) {
    throw new CloudWatchFault('InvalidParameterValue', 'The parameter StartDate must be less than or equal to the parameter EndDate.');
  }
  const offset = decodeToken('DescribeAlarmHistory', q.NextToken);
  const wantMetric = !q.AlarmTypes || q.AlarmTypes.includes('MetricAlarm');
  const items = (region === world.region && wantMetric ? world.history : [])
    .filter((h) => h.time <= now.getTime())
    .filter((h) => q.AlarmName === undefined || h.AlarmName === q.AlarmName)
    .filter((h) => q.HistoryItemType === undefined || h.HistoryItemType === q.HistoryItemType)
    .filter((h) => q.StartDate === undefined || h.time >= q.StartDate * 1000)
    .filter((h) => q.EndDate === undefined || h.time <= q.EndDate * 1000);
  if (q.ScanBy !== 'TimestampAscending') items.reverse();
  const size = q.MaxRecords ?? 100;
  const page = items.slice(offset, offset + size);
  return {
    AlarmHistoryItems: page.map(({ time, ...h }) => ({ ...h, Timestamp: secs(time) })),
    ...(offset + size < items.length ? { NextToken: encodeToken('DescribeAlarmHistory', offset + size) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// ListMetrics

const ListMetricsInput = z.object({
  Namespace: z.string().min(1).max(255).optional(),
  MetricName: z.string().min(1).max(255).optional(),
  Dimensions: z.array(z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024).optional() })).max(10).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.enum(['PT3H']).optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().optional(),
});

/** Datapoints published by `nowMs`: a period's datapoint appears once the period is over. */
function visiblePoints(m: ExpandedMetric, nowMs: number): ExpandedMetric['points'] {
  const p = m.period * 1000;
  return m.points.filter((pt) => pt.timestamp.getTime() + p <= nowMs);
}

export function listMetrics(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(ListMetricsInput, input);
  const offset = decodeToken('ListMetrics', q.NextToken);
  const nowMs = now.getTime();
  const since = q.RecentlyActive ? nowMs - 3 * 3_600_000 : nowMs - 14 * 86_400_000;
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
      Metric: z.object({
        Namespace: z.string().min(1).max(255).optional(),
        MetricName: z.string().min(1).max(255).optional(),
        Dimensions: z.array(z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024) })).max(30).optional(),
      }),
      Period: z.number().int().min(1),
      Stat: z.string().min(1),
      Unit: z.string().optional(),
    })
    .optional(),
  Expression: z.string().min(1).max(2048).optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().int().min(1).optional(),
  AccountId: z.string().optional(),
});

const GetMetricDataInput = z.object({
  MetricDataQueries: z.array(MetricDataQuery).max(500),
  StartTime: EpochSeconds,
  EndTime: EpochSeconds,
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().int().min(1).optional(),
  LabelOptions: z.object({ Timezone: z.string().optional() }).optional(),
});

const QUERY_ID = /^[a-z][A-Za-z0-9_]*$/;
const HIGH_RES_PERIODS = new Set([1, 5, 10, 20, 30]);

export function getMetricData(world: World, input: unknown, now: Date, region: string): Record<string, unknown> {
  const q = parseInput(GetMetricDataInput, input);
  if (q.MetricDataQueries.length === 0) {
    throw new CloudWatchFault('ValidationError', "1 validation error detected: Value '[]' at 'metricDataQueries' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  if (q.StartTime >= q.EndTime) throw new CloudWatchFault('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
  const ids = new Set<string>();
  q.MetricDataQueries.forEach((mq, i) => {
    const member = `MetricDataQueries.member.${i + 1}`;
    if (!QUERY_ID.test(mq.Id)) {
      throw new CloudWatchFault('InvalidParameterValue', `The value ${mq.Id} for parameter ${member}.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores.`);
    }
    if (ids.has(mq.Id)) throw new CloudWatchFault('InvalidParameterValue', `The value ${mq.Id} for parameter ${member}.Id is duplicated.`);
    ids.add(mq.Id);
    if ((mq.MetricStat === undefined) === (mq.Expression === undefined)) {
      throw new CloudWatchFault('InvalidParameterCombination', `Exactly one element of the ${member}.MetricStat and ${member}.Expression parameters must be specified.`);
    }
    if (mq.Expression !== undefined) {
      throw new CloudWatchFault('InvalidParameterValue', `${member}.Expression: the warroom CloudWatch emulator does not evaluate metric math expressions.`);
    }
    const ms = mq.MetricStat;
    if (ms) {
      if (!ms.Metric.Namespace || !ms.Metric.MetricName) throw new CloudWatchFault('MissingParameter', `The parameter ${member}.MetricStat.Metric.Namespace and MetricName are required.`);
      if (!parseStat(ms.Stat)) throw new CloudWatchFault('InvalidParameterValue', `The value ${ms.Stat} for parameter ${member}.MetricStat.Stat is not a valid statistic.`);
      if (!(ms.Period % 60 === 0 || HIGH_RES_PERIODS.has(ms.Period))) {
        throw new CloudWatchFault('InvalidParameterValue', `The parameter ${member}.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.`);
      }
    }
  });
  const startMs = q.StartTime * 1000;
  const endMs = Math.min(q.EndTime * 1000, Number.MAX_SAFE_INTEGER);
  const ascending = q.ScanBy === 'TimestampAscending';
  const series = q.MetricDataQueries.map((mq) => {
    const ms = mq.MetricStat;
    const values: { t: number; v: number }[] = [];
    const messages: { Code: string; Value: string }[] = [];
    if (ms && region === world.region) {
      const stat = parseStat(ms.Stat);
      const dims = (ms.Metric.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value }));
      const metric = world.metrics.find((m) => m.namespace === ms.Metric.Namespace && m.metricName === ms.Metric.MetricName && sameDimensionSet(m.dimensions, dims));
      const unitOk = !ms.Unit || !metric?.unit || ms.Unit === metric.unit;
      if (metric && stat && unitOk) {
        const pts = visiblePoints(metric, now.getTime()).map((p) => ({ t: p.timestamp.getTime(), stats: p.stats }));
        let unsupported: string | undefined;
        for (const b of bucketize(pts, ms.Period, startMs, endMs)) {
          const r = combine(b.points, stat);
          if (r.ok) values.push({ t: b.t, v: r.value });
          else if (r.reason === 'unsupported') unsupported = r.message;
        }
        if (unsupported) messages.push({ Code: 'Unsupported', Value: unsupported });
      }
    }
    if (!ascending) values.reverse();
    return { mq, values, messages, label: mq.Label ?? ms?.Metric.MetricName ?? mq.Id };
  });

  // Pagination over the datapoints of all queries, in query order.
  const max = q.MaxDatapoints ?? 100_800;
  let skip = decodeToken('GetMetricData', q.NextToken);
  let budget = max;
  let consumed = skip;
  let more = false;
  const results = series
    .filter((s) => s.mq.ReturnData !== false)
    .map((s) => {
      const from = Math.min(skip, s.values.length);
      skip -= from;
      const take = Math.min(budget, s.values.length - from);
      budget -= take;
      consumed += take;
      const chunk = s.values.slice(from, from + take);
      const partial = from + take < s.values.length;
      if (partial) more = true;
      return {
        Id: s.mq.Id,
        Label: s.label,
        Timestamps: chunk.map((x) => secs(x.t)),
        Values: chunk.map((x) => x.v),
        StatusCode: partial || s.messages.length > 0 ? 'PartialData' : 'Complete',
        ...(s.messages.length > 0 ? { Messages: s.messages } : {}),
      };
    });
  return { MetricDataResults: results, Messages: [], ...(more ? { NextToken: encodeToken('GetMetricData', consumed) } : {}) };
}

export const OPERATIONS = {
  DescribeAlarms: describeAlarms,
  DescribeAlarmHistory: describeAlarmHistory,
  ListMetrics: listMetrics,
  GetMetricData: getMetricData,
} as const;
export type OperationName = keyof typeof OPERATIONS;

