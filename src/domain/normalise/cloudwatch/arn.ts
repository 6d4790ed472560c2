/** CloudWatch alarm ARNs (`arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`) and the alarm's console link. */
import { cloudWatchConsoleUrl } from '../../aws-console.js';

export const ALARM_ARN_RE = /^arn:([^:]+):cloudwatch:([^:]+):([^:]+):alarm:(.+)$/s;

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
  return cloudWatchConsoleUrl(arn.region, { alarmName }, arn.partition);
}
