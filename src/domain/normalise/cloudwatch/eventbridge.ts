/** The EventBridge "CloudWatch Alarm State Change" event (reference/protocols.md 3.2), as the same message the SNS path produces. */
import { z } from 'zod';
import { AlarmState } from '../../alert.js';
import { formatIssues, Timestamp } from '../common.js';
import type { ParseResult } from '../common.js';
import { parseAlarmArn, type AlarmArnParts } from './arn.js';
import { isoOf, looseBool, looseNumber, looseString, nonEmpty } from './lenient.js';
import type { CloudWatchAlarmMessage } from './message.js';

const EbMetric = z.object({
  id: z.string(),
  expression: z.string().nullish(),
  label: z.string().nullish(),
  returnData: looseBool.nullish(),
  metricStat: z
    .object({
      metric: z.object({
        /** A map `{InstanceId: "i-..."}` here, not the SNS list. */
        dimensions: z.record(z.string(), looseString).nullish(),
        name: z.string(),
        namespace: z.string(),
      }),
      period: looseNumber,
      stat: z.string(),
      unit: z.string().nullish(),
    })
    .nullish(),
});

const EbState = z.object({
  value: AlarmState,
  reason: z.string().nullish(),
  /** A JSON string. */
  reasonData: z.string().nullish(),
  timestamp: Timestamp,
});

export const EventBridgeAlarmEvent = z.object({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  account: looseString,
  time: Timestamp,
  /** Region code (us-east-1). */
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.object({
    alarmName: z.string().min(1),
    configuration: z
      .object({
        description: z.string().nullish(),
        metrics: z.array(EbMetric).nullish(),
        alarmRule: z.string().nullish(),
      })
      .nullish(),
    state: EbState,
    previousState: z.object({ value: AlarmState.optional().catch(undefined) }).nullish().catch(undefined),
  }),
});
export type EventBridgeAlarmEvent = z.infer<typeof EventBridgeAlarmEvent>;

export function parseEventBridgeAlarmEvent(json: unknown): ParseResult<'event', EventBridgeAlarmEvent> {
  const r = EventBridgeAlarmEvent.safeParse(json);
  if (!r.success) return { ok: false, error: `invalid EventBridge alarm event: ${formatIssues(r.error)}` };
  return { ok: true, event: r.data };
}

/** The EventBridge event as the same cleaned-up message the SNS path produces. */
export function eventBridgeToAlarmMessage(event: EventBridgeAlarmEvent): CloudWatchAlarmMessage {
  const d = event.detail;
  const fromResources = event.resources.map(parseAlarmArn).find((a) => a !== undefined);
  const arn: AlarmArnParts = fromResources ?? { partition: 'aws', region: event.region, accountId: event.account, name: d.alarmName };
  const alarmArn = fromResources
    ? (event.resources.find((r) => parseAlarmArn(r) !== undefined) ?? '')
    : `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${d.alarmName}`;
  const metrics = d.configuration?.metrics ?? [];
  const stat = metrics.find((m) => m.metricStat && (m.returnData ?? true)) ?? metrics.find((m) => m.metricStat);
  const message: CloudWatchAlarmMessage = {
    alarmName: d.alarmName,
    alarmArn,
    arn,
    region: event.region,
    accountId: event.account,
    state: d.state.value,
    stateChangeTime: isoOf(d.state.timestamp),
    okActions: [],
    alarmActions: [],
    insufficientDataActions: [],
    triggeringChildren: [],
    warnings: [],
  };
  // EventBridge carries no threshold, comparison or evaluation periods: no full trigger, only the metric.
  if (stat?.metricStat) {
    message.metric = {
      namespace: stat.metricStat.metric.namespace,
      metricName: stat.metricStat.metric.name,
      dimensions: Object.entries(stat.metricStat.metric.dimensions ?? {}).map(([name, value]) => ({ name, value })),
    };
  }
  const description = nonEmpty(d.configuration?.description);
  if (description) message.description = description;
  const reason = nonEmpty(d.state.reason);
  if (reason) message.reason = reason;
  if (d.previousState?.value) message.previousState = d.previousState.value;
  const rule = nonEmpty(d.configuration?.alarmRule);
  if (rule) message.alarmRule = rule;
  return message;
}
