/**
 * DescribeAlarms and DescribeAlarmHistory over the emulator's world (reference/protocols.md 4.2):
 * the alarms and history items visible at the world's clock, NextToken pagination, and the
 * service's validation (constraints of the service model, AWS wording: ./validation.ts).
 */
import { z } from 'zod';
import { alarmStateAtOffset } from '../scenario/alarms.js';
import { CloudWatchFault } from './errors.js';
import { parseInput } from './validation.js';
import { decodeToken, encodeToken, EpochSeconds, offsetOf, secs, type World, type WorldAlarm } from './world.js';

const AlarmName = z.string().min(1).max(255);
const AlarmTypes = z.array(z.enum(['CompositeAlarm', 'MetricAlarm']));
const MaxRecords = z.number().int().min(1).max(100);
const STATES = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const DescribeAlarmsInput = z.object({
  AlarmNames: z.array(AlarmName).max(100).optional(),
  AlarmNamePrefix: AlarmName.optional(),
  AlarmTypes: AlarmTypes.optional(),
  ChildrenOfAlarmName: AlarmName.optional(),
  ParentsOfAlarmName: AlarmName.optional(),
  StateValue: STATES.optional(),
  ActionPrefix: z.string().min(1).max(1024).optional(),
  MaxRecords: MaxRecords.optional(),
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

function metricAlarm(world: World, a: WorldAlarm, now: Date): Record<string, unknown> {
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

const DescribeAlarmHistoryInput = z.object({
  AlarmName: AlarmName.optional(),
  AlarmContributorId: z.string().min(1).max(16).optional(),
  AlarmTypes: AlarmTypes.optional(),
  HistoryItemType: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction']).optional(),
  StartDate: EpochSeconds.optional(),
  EndDate: EpochSeconds.optional(),
  MaxRecords: MaxRecords.optional(),
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
