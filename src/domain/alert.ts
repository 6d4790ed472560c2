import { z } from 'zod';

export const AlertSource = z.enum(['alertmanager', 'cloudwatch', 'manual']);
export type AlertSource = z.infer<typeof AlertSource>;

export const AlertStatus = z.enum(['firing', 'resolved']);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** CloudWatch alarm state, kept beside the normalised status (INSUFFICIENT_DATA is recorded, never opens). */
export const AlarmState = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof AlarmState>;

export const Dimension = z.object({ name: z.string(), value: z.string() });
export type Dimension = z.infer<typeof Dimension>;

/** One metric of a metric-math alarm (Trigger.Metrics[] / configuration.metrics[]). */
export const TriggerMetric = z.object({
  id: z.string(),
  expression: z.string().optional(),
  label: z.string().optional(),
  returnData: z.boolean(),
  metric: z
    .object({
      namespace: z.string(),
      metricName: z.string(),
      dimensions: z.array(Dimension),
      period: z.number().int().positive(),
      stat: z.string(),
    })
    .optional(),
});
export type TriggerMetric = z.infer<typeof TriggerMetric>;

/** The CloudWatch alarm's trigger: what it measures and when it fires. */
export const AlarmTrigger = z.object({
  metricName: z.string().optional(),
  namespace: z.string().optional(),
  /** "Average", "Maximum", "Sum", "SampleCount", "Minimum" or an extended statistic such as "p99". */
  statistic: z.string().optional(),
  dimensions: z.array(Dimension).default([]),
  period: z.number().int().positive(),
  evaluationPeriods: z.number().int().positive(),
  datapointsToAlarm: z.number().int().positive().optional(),
  comparisonOperator: z.string(),
  threshold: z.number(),
  treatMissingData: z.string().optional(),
  unit: z.string().optional(),
  metrics: z.array(TriggerMetric).default([]),
});
export type AlarmTrigger = z.infer<typeof AlarmTrigger>;

export const CloudWatchDetails = z.object({
  alarmName: z.string(),
  alarmArn: z.string(),
  accountId: z.string(),
  /** Region code (us-east-1), taken from the alarm ARN. */
  region: z.string(),
  state: AlarmState,
  previousState: AlarmState.optional(),
  reason: z.string().optional(),
  trigger: AlarmTrigger.optional(),
});
export type CloudWatchDetails = z.infer<typeof CloudWatchDetails>;

export const Severity = z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4']);
export type Severity = z.infer<typeof Severity>;

export const Alert = z.object({
  source: AlertSource,
  /** Stable id of this alert's identity: Alertmanager fingerprint, or the CloudWatch alarm ARN. */
  fingerprint: z.string().min(1),
  status: AlertStatus,
  name: z.string().min(1),
  severity: Severity,
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  /** ISO-8601 UTC. */
  startsAt: z.string(),
  endsAt: z.string().optional(),
  links: z.array(z.object({ title: z.string(), url: z.string() })).default([]),
  /** Dedupe key of the delivery this alert came in (Alertmanager groupKey, SNS MessageId). */
  groupKey: z.string().optional(),
  cloudwatch: CloudWatchDetails.optional(),
});
export type Alert = z.infer<typeof Alert>;

/** One durable unit of intake work: the alerts of one delivery. */
export const IngestBatch = z.object({
  deliveryId: z.string().min(1),
  receivedAt: z.string(),
  source: AlertSource,
  alerts: z.array(Alert),
});
export type IngestBatch = z.infer<typeof IngestBatch>;
