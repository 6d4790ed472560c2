/**
 * The CloudWatch emulator's world: a scenario's alarms, their history (state updates with reasons,
 * SNS actions, the creation) and its metrics' datapoints, resolved at the anchor; plus the helpers
 * every operation shares (NextToken paging, epoch seconds, what is visible at the world's clock).
 */
import { z } from 'zod';
import { alarmArn, alarmTransitions, cloudWatchAlarmNotification, type ResolvedTransition } from '../scenario/alarms.js';
import { expandMetricPoints, type ExpandedMetric } from '../scenario/expand.js';
import type { Scenario, ScenarioAlarm } from '../scenario/schema.js';
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

export interface WorldAlarm {
  alarm: ScenarioAlarm;
  arn: string;
  created: number;
  transitions: ResolvedTransition[];
}

export interface World {
  scenario: Scenario;
  anchor: Date;
  region: string;
  metrics: ExpandedMetric[];
  alarms: WorldAlarm[];
  history: HistoryItem[];
  pageSizes: { describeAlarms: number; listMetrics: number };
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

export function buildWorld(scenario: Scenario, anchor: Date, pageSizes: Partial<World['pageSizes']> = {}): World {
  const metrics = expandMetricPoints(scenario, anchor);
  const alarms: WorldAlarm[] = scenario.cloudwatch.alarms.map((alarm) => {
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

// ---------------------------------------------------------------------------------------------
// Shared by the operations

/** Epoch seconds as the JSON 1.0 protocol carries timestamps. */
export const EpochSeconds = z.number().finite();

export const secs = (ms: number): number => ms / 1000;

/** The world clock's offset from the anchor. */
export const offsetOf = (world: World, now: Date): number => now.getTime() - world.anchor.getTime();

/** Datapoints published by `nowMs`: a period's datapoint appears once the period is over. */
export function visiblePoints(m: ExpandedMetric, nowMs: number): ExpandedMetric['points'] {
  const p = m.period * 1000;
  return m.points.filter((pt) => pt.timestamp.getTime() + p <= nowMs);
}

const PageToken = z.object({ op: z.string(), o: z.number().int().nonnegative() });

export function encodeToken(op: string, offset: number): string {
  return Buffer.from(JSON.stringify({ op, o: offset } satisfies z.infer<typeof PageToken>)).toString('base64');
}

/** The offset a NextToken of `op` carries; InvalidNextToken for anything else. */
export function decodeToken(op: string, token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed = PageToken.parse(JSON.parse(Buffer.from(token, 'base64').toString('utf8')));
    if (parsed.op === op) return parsed.o;
  } catch {
    // fall through
  }
  throw new CloudWatchFault('InvalidNextToken', 'The service cannot decode the NextToken');
}
