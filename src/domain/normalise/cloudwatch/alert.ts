/** One domain Alert for a CloudWatch alarm state change, from either transport. */
import type { Alert, CloudWatchDetails, Dimension } from '../../alert.js';
import { jobSafeId, safeHttpUrl } from '../common.js';
import type { SeverityOf } from '../severity.js';
import { alarmConsoleUrl } from './arn.js';
import { eventBridgeToAlarmMessage, type EventBridgeAlarmEvent } from './eventbridge.js';
import type { CloudWatchAlarmMessage } from './message.js';

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
