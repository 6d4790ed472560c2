/**
 * CloudWatch alarms: the alarm JSON inside an SNS Notification's `Message` (protocols.md 3.1) and
 * the EventBridge "CloudWatch Alarm State Change" event (3.2), both normalised to a domain Alert.
 *
 * Parsing is defensive: real payloads carry string booleans (`"ReturnData":"True"`), a junk prefix
 * in `TreatMissingData` (`"- TreatMissingData:   missing"`), `+0000` offsets, `Dimensions: ""`,
 * actions as a string (`"[arn...]"`) or `""`, and older messages lack fields. A Trigger that cannot
 * be understood is dropped with a warning instead of losing the page.
 */
import { z } from 'zod';
import { AlarmState, AlarmTrigger } from '../alert.js';
import type { Alert, CloudWatchDetails, Dimension, TriggerMetric } from '../alert.js';
import { formatIssues, jobSafeId, parseJsonText, parseTimestamp, safeHttpUrl, Timestamp } from './common.js';
import type { ParseResult } from './common.js';
import type { SeverityOf } from './severity.js';

export { parseSnsEnvelope, SnsEnvelope } from './sns-envelope.js';
export type { SnsNotification, SnsSubscriptionConfirmation, SnsUnsubscribeConfirmation } from './sns-envelope.js';

// ---------------------------------------------------------------------------------------------
// Lenient scalars

const looseNumber = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, 'must be a number')
    .transform(Number),
]);

const looseBool = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((s) => s === 'true'),
]);

const looseString = z.union([z.string(), z.number().transform(String)]);

/** Actions: an array, or the string forms `"[arn1, arn2]"` / `""` seen in older captures. */
const Actions = z
  .union([
    z.array(z.string()),
    z.string().transform((s) =>
      s
        .trim()
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((x) => x.trim().replace(/^"|"$/g, ''))
        .filter((x) => x !== ''),
    ),
    z.null().transform((): string[] => []),
  ])
  .optional()
  .transform((v) => v ?? []);

/** `[{value, name}]`, or `""`/null when there are none. */
const SnsDimensions = z
  .union([z.array(z.object({ name: z.string(), value: looseString })), z.literal(''), z.null()])
  .optional()
  .transform((v): Dimension[] => (Array.isArray(v) ? v.map((d) => ({ name: d.name, value: d.value })) : []));

/** `"- TreatMissingData:                    missing"` -> `missing`; `""` -> undefined. */
export function cleanTreatMissingData(s: string | null | undefined): string | undefined {
  if (s === null || s === undefined) return undefined;
  const v = s.replace(/^\s*-?\s*TreatMissingData\s*:\s*/i, '').trim();
  return v === '' ? undefined : v;
}

const STATISTICS: Record<string, string> = {
  AVERAGE: 'Average',
  SUM: 'Sum',
  SAMPLE_COUNT: 'SampleCount',
  SAMPLECOUNT: 'SampleCount',
  MINIMUM: 'Minimum',
  MAXIMUM: 'Maximum',
};

/** `AVERAGE` -> `Average`, `SAMPLE_COUNT` -> `SampleCount`; extended statistics (`p99`, `tm90`) kept. */
export function normaliseStatistic(s: string): string {
  const t = s.trim();
  return STATISTICS[t.toUpperCase().replace(/[\s-]/g, '_')] ?? t;
}

// ---------------------------------------------------------------------------------------------
// ARNs and console links

const ALARM_ARN_RE = /^arn:([^:]+):cloudwatch:([^:]+):([^:]+):alarm:(.+)$/s;

export interface AlarmArnParts {
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

export function parseAlarmArn(arn: string): AlarmArnParts | undefined {
  const m = ALARM_ARN_RE.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', accountId = '', name = ''] = m;
  return { partition, region, accountId, name };
}

/** The CloudWatch console page of an alarm, in the alarm's partition and region. */
export function alarmConsoleUrl(arn: AlarmArnParts, alarmName: string): string {
  const q = `region=${encodeURIComponent(arn.region)}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
  const regionHost = /^[a-z0-9-]+$/.test(arn.region) ? `${arn.region}.` : '';
  if (arn.partition === 'aws-cn') return `https://${regionHost}console.amazonaws.cn/cloudwatch/home?${q}`;
  if (arn.partition === 'aws-us-gov') return `https://console.amazonaws-us-gov.com/cloudwatch/home?${q}`;
  return `https://${regionHost}console.aws.amazon.com/cloudwatch/home?${q}`;
}

// ---------------------------------------------------------------------------------------------
// SNS alarm message

const RawMetricStat = z.object({
  Metric: z.object({ Dimensions: SnsDimensions, MetricName: z.string(), Namespace: z.string() }),
  Period: looseNumber,
  Stat: z.string(),
  Unit: z.string().nullish(),
});

const RawTriggerMetric = z.object({
  Id: z.string(),
  Expression: z.string().nullish(),
  Label: z.string().nullish(),
  /** Defaults to true, as in MetricDataQuery. */
  ReturnData: looseBool.nullish(),
  MetricStat: RawMetricStat.nullish(),
  AccountId: z.string().nullish(),
});

const RawTrigger = z.object({
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
  StatisticType: z.string().nullish(),
  Statistic: z.string().nullish(),
  ExtendedStatistic: z.string().nullish(),
  Unit: z.string().nullish(),
  Dimensions: SnsDimensions,
  Period: looseNumber,
  EvaluationPeriods: looseNumber,
  DatapointsToAlarm: looseNumber.nullish(),
  ComparisonOperator: z.string(),
  Threshold: looseNumber,
  TreatMissingData: z.string().nullish(),
  EvaluateLowSampleCountPercentile: z.string().nullish(),
  Metrics: z.array(RawTriggerMetric).nullish(),
});
type RawTrigger = z.infer<typeof RawTrigger>;

const RawAlarmMessage = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: looseString.nullish(),
  NewStateValue: AlarmState,
  NewStateReason: z.string().nullish(),
  StateChangeTime: Timestamp,
  /** Display name ("US East (N. Virginia)"), not the code: the code comes from the ARN. */
  Region: z.string().nullish(),
  AlarmArn: z.string().regex(ALARM_ARN_RE, 'must be a CloudWatch alarm ARN (arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>)'),
  OldStateValue: AlarmState.optional().catch(undefined),
  OKActions: Actions,
  AlarmActions: Actions,
  InsufficientDataActions: Actions,
  Trigger: z.unknown().optional(),
  /** Composite alarms: the rule instead of a Trigger. */
  AlarmRule: z.string().nullish(),
  TriggeringChildren: z
    .array(z.object({ Arn: z.string(), State: z.object({ Value: z.string().optional(), Timestamp: z.string().optional() }).nullish() }))
    .nullish()
    .catch(undefined),
});

/** A CloudWatch alarm state change, cleaned up from either transport. */
export interface CloudWatchAlarmMessage {
  alarmName: string;
  alarmArn: string;
  arn: AlarmArnParts;
  /** Region code from the ARN (us-east-1). */
  region: string;
  /** Display name from the SNS message ("US East (N. Virginia)"), when given. */
  regionName?: string;
  accountId: string;
  description?: string;
  state: AlarmState;
  previousState?: AlarmState;
  reason?: string;
  /** ISO-8601 UTC. */
  stateChangeTime: string;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  trigger?: AlarmTrigger;
  /** Metric identity when there is no full Trigger (EventBridge): namespace, metric, dimensions. */
  metric?: { namespace?: string; metricName?: string; dimensions: Dimension[] };
  alarmRule?: string;
  triggeringChildren: Array<{ arn: string; state?: string; timestamp?: string }>;
  /** What was dropped while parsing (e.g. a Trigger that could not be understood). */
  warnings: string[];
}

function nonEmpty(s: string | null | undefined): string | undefined {
  return s === null || s === undefined || s.trim() === '' ? undefined : s;
}

function triggerFromRaw(raw: RawTrigger): unknown {
  const statistic =
    raw.StatisticType === 'ExtendedStatistic'
      ? (nonEmpty(raw.ExtendedStatistic) ?? nonEmpty(raw.Statistic))
      : (nonEmpty(raw.Statistic) ?? nonEmpty(raw.ExtendedStatistic));
  const metrics: TriggerMetric[] = (raw.Metrics ?? []).map((m) => {
    const out: TriggerMetric = { id: m.Id, returnData: m.ReturnData ?? true };
    if (nonEmpty(m.Expression)) out.expression = m.Expression ?? undefined;
    if (nonEmpty(m.Label)) out.label = m.Label ?? undefined;
    if (m.MetricStat) {
      out.metric = {
        namespace: m.MetricStat.Metric.Namespace,
        metricName: m.MetricStat.Metric.MetricName,
        dimensions: m.MetricStat.Metric.Dimensions,
        period: m.MetricStat.Period,
        stat: normaliseStatistic(m.MetricStat.Stat),
      };
    }
    return out;
  });
  const t: Record<string, unknown> = {
    dimensions: raw.Dimensions,
    period: raw.Period,
    evaluationPeriods: raw.EvaluationPeriods,
    comparisonOperator: raw.ComparisonOperator,
    threshold: raw.Threshold,
    metrics,
  };
  if (nonEmpty(raw.MetricName)) t.metricName = raw.MetricName;
  if (nonEmpty(raw.Namespace)) t.namespace = raw.Namespace;
  if (statistic) t.statistic = normaliseStatistic(statistic);
  if (raw.DatapointsToAlarm !== null && raw.DatapointsToAlarm !== undefined && raw.DatapointsToAlarm > 0) t.datapointsToAlarm = raw.DatapointsToAlarm;
  const tmd = cleanTreatMissingData(raw.TreatMissingData);
  if (tmd) t.treatMissingData = tmd;
  if (nonEmpty(raw.Unit)) t.unit = raw.Unit;
  return t;
}

function parseTrigger(raw: unknown, warnings: string[]): AlarmTrigger | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const r = RawTrigger.safeParse(raw);
  if (!r.success) {
    warnings.push(`Trigger dropped: ${formatIssues(r.error, ['Trigger'])}`);
    return undefined;
  }
  const t = AlarmTrigger.safeParse(triggerFromRaw(r.data));
  if (!t.success) {
    warnings.push(`Trigger dropped: ${formatIssues(t.error, ['Trigger'])}`);
    return undefined;
  }
  return t.data;
}

function isoOf(s: string): string {
  const d = parseTimestamp(s);
  if (!d) throw new Error(`not a timestamp: ${s}`); // unreachable: validated by the schema
  return d.toISOString();
}

/** Parses the alarm JSON carried in `Notification.Message`. Errors list every issue with its path. */
export function parseCloudWatchAlarmMessage(messageText: string): ParseResult<'message', CloudWatchAlarmMessage> {
  const j = parseJsonText(messageText, 'SNS Message');
  if (!j.ok) return { ok: false, error: `${j.error} (not a CloudWatch alarm)` };
  const r = RawAlarmMessage.safeParse(j.value);
  if (!r.success) return { ok: false, error: `invalid CloudWatch alarm message: ${formatIssues(r.error)}` };
  const raw = r.data;
  const arn = parseAlarmArn(raw.AlarmArn);
  if (!arn) return { ok: false, error: 'invalid CloudWatch alarm message: AlarmArn: not an alarm ARN' }; // unreachable (regex)
  const warnings: string[] = [];
  const trigger = parseTrigger(raw.Trigger, warnings);
  const message: CloudWatchAlarmMessage = {
    alarmName: raw.AlarmName,
    alarmArn: raw.AlarmArn,
    arn,
    region: arn.region,
    accountId: nonEmpty(raw.AWSAccountId) ?? arn.accountId,
    state: raw.NewStateValue,
    stateChangeTime: isoOf(raw.StateChangeTime),
    okActions: raw.OKActions,
    alarmActions: raw.AlarmActions,
    insufficientDataActions: raw.InsufficientDataActions,
    triggeringChildren: (raw.TriggeringChildren ?? []).map((c) => {
      const child: { arn: string; state?: string; timestamp?: string } = { arn: c.Arn };
      if (c.State?.Value) child.state = c.State.Value;
      const ts = c.State?.Timestamp ? parseTimestamp(c.State.Timestamp) : undefined;
      if (ts) child.timestamp = ts.toISOString();
      return child;
    }),
    warnings,
  };
  const regionName = nonEmpty(raw.Region);
  if (regionName) message.regionName = regionName;
  const description = nonEmpty(raw.AlarmDescription);
  if (description) message.description = description;
  if (raw.OldStateValue) message.previousState = raw.OldStateValue;
  const reason = nonEmpty(raw.NewStateReason);
  if (reason) message.reason = reason;
  if (trigger) message.trigger = trigger;
  const rule = nonEmpty(raw.AlarmRule);
  if (rule) message.alarmRule = rule;
  return { ok: true, message };
}

// ---------------------------------------------------------------------------------------------
// EventBridge "CloudWatch Alarm State Change"

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

// ---------------------------------------------------------------------------------------------
// Normalisation

export interface CloudWatchNormaliseOptions {
  severityOf: SeverityOf;
  /** Dedupe key of the delivery (SNS MessageId, EventBridge id), stored as Alert.groupKey. */
  groupKey?: string;
}

function metricIdentity(msg: CloudWatchAlarmMessage): { namespace?: string; metricName?: string; dimensions: Dimension[] } | undefined {
  const t = msg.trigger;
  if (t && (t.metricName || t.namespace || t.dimensions.length > 0)) {
    return { namespace: t.namespace, metricName: t.metricName, dimensions: t.dimensions };
  }
  if (t && t.metrics.length > 0) {
    const m = t.metrics.find((x) => x.metric && x.returnData) ?? t.metrics.find((x) => x.metric);
    if (m?.metric) return { namespace: m.metric.namespace, metricName: m.metric.metricName, dimensions: m.metric.dimensions };
  }
  return msg.metric;
}

/**
 * One domain Alert for a CloudWatch alarm state change.
 *
 * Status: ALARM is `firing`; OK is `resolved`. INSUFFICIENT_DATA is also `resolved` here, but the
 * workflow must look at `cloudwatch.state` first: an INSUFFICIENT_DATA alert is recorded on the
 * timeline (alert.insufficient_data) and neither opens nor resolves an incident. Keeping it out of
 * `firing` means nothing that only reads `status` can page on missing data.
 */
export function normaliseCloudWatchMessage(msg: CloudWatchAlarmMessage, opts: CloudWatchNormaliseOptions): Alert {
  const labels: Record<string, string> = { alertname: msg.alarmName, alarm_name: msg.alarmName };
  const metric = metricIdentity(msg);
  if (metric?.namespace) labels.namespace = metric.namespace;
  if (metric?.metricName) labels.metric_name = metric.metricName;
  for (const d of metric?.dimensions ?? []) {
    const key = `dim_${d.name}`;
    if (!Object.prototype.hasOwnProperty.call(labels, key)) labels[key] = d.value;
  }
  labels.region = msg.region;
  labels.account = msg.accountId;

  const annotations: Record<string, string> = {};
  if (msg.description) annotations.description = msg.description;
  if (msg.reason) annotations.reason = msg.reason;
  if (msg.alarmRule) annotations.alarm_rule = msg.alarmRule;

  const details: CloudWatchDetails = {
    alarmName: msg.alarmName,
    alarmArn: msg.alarmArn,
    accountId: msg.accountId,
    region: msg.region,
    state: msg.state,
  };
  if (msg.previousState) details.previousState = msg.previousState;
  if (msg.reason) details.reason = msg.reason;
  if (msg.trigger) details.trigger = msg.trigger;

  const link = safeHttpUrl(alarmConsoleUrl(msg.arn, msg.alarmName));
  const alert: Alert = {
    source: 'cloudwatch',
    fingerprint: msg.alarmArn,
    status: msg.state === 'ALARM' ? 'firing' : 'resolved',
    name: msg.alarmName,
    severity: opts.severityOf(labels),
    labels,
    annotations,
    startsAt: msg.stateChangeTime,
    links: link ? [{ title: 'CloudWatch alarm', url: link }] : [],
    cloudwatch: details,
  };
  if (msg.state === 'OK') alert.endsAt = msg.stateChangeTime;
  if (opts.groupKey !== undefined) alert.groupKey = opts.groupKey;
  return alert;
}

/** The SNS path: `normaliseCloudWatchAlarm(parseCloudWatchAlarmMessage(n.Message).message, ...)`. */
export function normaliseCloudWatchAlarm(msg: CloudWatchAlarmMessage, opts: CloudWatchNormaliseOptions): Alert {
  return normaliseCloudWatchMessage(msg, opts);
}

/** The EventBridge path. `groupKey` defaults to the event id. */
export function normaliseEventBridgeAlarm(event: EventBridgeAlarmEvent, opts: CloudWatchNormaliseOptions): Alert {
  return normaliseCloudWatchMessage(eventBridgeToAlarmMessage(event), { ...opts, groupKey: opts.groupKey ?? event.id });
}

/** BullMQ-safe delivery id of an SNS message (retries reuse the MessageId). */
export function snsDeliveryId(messageId: string): string {
  return jobSafeId('sns', messageId);
}

/** BullMQ-safe delivery id of an EventBridge event. */
export function eventBridgeDeliveryId(id: string): string {
  return jobSafeId('eb', id);
}
