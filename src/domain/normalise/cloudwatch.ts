/**
 * CloudWatch alarms: the alarm JSON inside an SNS Notification's `Message` (protocols.md 3.1) and
 * the EventBridge "CloudWatch Alarm State Change" event (3.2), both normalised to a domain Alert.
 *
 * Parsing is defensive: real payloads carry string booleans (`"ReturnData":"True"`), a junk prefix
 * in `TreatMissingData` (`"- TreatMissingData:   missing"`), `+0000` offsets, `Dimensions: ""`,
 * actions as a string (`"[arn...]"`) or `""`, and older messages lack fields. A Trigger that cannot
 * be understood is dropped with a warning instead of losing the page.
 *
 * One file per responsibility under ./cloudwatch/: lenient scalars, ARNs and console links, the
 * Trigger (single metric and metric math), the SNS alarm message, the EventBridge event, and the
 * normalisation to a domain Alert.
 */
export { parseSnsEnvelope, SnsEnvelope } from './sns-envelope.js';
export type { SnsNotification, SnsSubscriptionConfirmation, SnsUnsubscribeConfirmation } from './sns-envelope.js';
export { cleanTreatMissingData } from './cloudwatch/lenient.js';
export { normaliseStatistic } from './cloudwatch/trigger.js';
export { alarmConsoleUrl, parseAlarmArn, type AlarmArnParts } from './cloudwatch/arn.js';
export type { CloudWatchAlarmMessage } from './cloudwatch/message.js';
export { parseCloudWatchAlarmMessage } from './cloudwatch/sns-alarm.js';
export { EventBridgeAlarmEvent, eventBridgeToAlarmMessage, parseEventBridgeAlarmEvent } from './cloudwatch/eventbridge.js';
export {
  eventBridgeDeliveryId,
  normaliseCloudWatchAlarm,
  normaliseCloudWatchMessage,
  normaliseEventBridgeAlarm,
  snsDeliveryId,
  type CloudWatchNormaliseOptions,
} from './cloudwatch/alert.js';
