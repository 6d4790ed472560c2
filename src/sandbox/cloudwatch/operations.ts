/**
 * The CloudWatch operations the emulator answers, as pure functions over a scenario world:
 * (world, input, now, region) -> the JSON 1.0 response body, or a CloudWatchFault. Shapes follow
 * the service (reference/protocols.md 4.1-4.4): epoch-second timestamps, NextToken pagination,
 * the service model's constraints with AWS's wording.
 */
import { describeAlarmHistory, describeAlarms } from './alarm-operations.js';
import { getMetricData, getMetricStatistics, listMetrics } from './metric-operations.js';

export { buildWorld, type HistoryItem, type World } from './world.js';

export const OPERATIONS = {
  DescribeAlarms: describeAlarms,
  DescribeAlarmHistory: describeAlarmHistory,
  ListMetrics: listMetrics,
  GetMetricData: getMetricData,
  GetMetricStatistics: getMetricStatistics,
} as const;
export type OperationName = keyof typeof OPERATIONS;
