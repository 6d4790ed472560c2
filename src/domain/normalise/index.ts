/** Alert normalisers: Alertmanager webhook v4, CloudWatch alarms via SNS or EventBridge, severity mapping. */
export * from './alertmanager.js';
export * from './cloudwatch.js';
export * from './severity.js';
export type { ParseResult } from './common.js';
export { formatIssues, parseJsonText, parseTimestamp } from './common.js';
