/** The cleaned-up CloudWatch alarm state change both transports (SNS, EventBridge) produce. */
import type { AlarmState, AlarmTrigger, Dimension } from '../../alert.js';
import type { AlarmArnParts } from './arn.js';

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
