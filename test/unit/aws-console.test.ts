import { describe, expect, it } from 'vitest';
import { cloudWatchConsoleUrl, partitionOfRegion } from '../../src/domain/aws-console.js';
import { alarmConsoleUrl, parseAlarmArn } from '../../src/domain/normalise/index.js';

describe('AWS console links', () => {
  it('derives the partition from the region code', () => {
    expect(['us-east-1', 'eu-west-1', 'cn-north-1', 'cn-northwest-1', 'us-gov-west-1', 'us-gov-east-1'].map(partitionOfRegion)).toEqual([
      'aws',
      'aws',
      'aws-cn',
      'aws-cn',
      'aws-us-gov',
      'aws-us-gov',
    ]);
  });

  it('links alarms and metric graphs to the console of the region partition', () => {
    expect(cloudWatchConsoleUrl('us-east-1', { alarmName: 'a b/c' })).toBe('https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/a%20b%2Fc');
    expect(cloudWatchConsoleUrl('cn-north-1', { alarmName: 'x' })).toBe('https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/x');
    expect(cloudWatchConsoleUrl('us-gov-west-1', { alarmName: 'x' })).toBe('https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/x');
    expect(cloudWatchConsoleUrl('cn-northwest-1', { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', stat: 'p99', period: 60 })).toBe(
      "https://cn-northwest-1.console.amazonaws.cn/cloudwatch/home?region=cn-northwest-1#metricsV2:graph=~(metrics~(~(~'AWS*2fApplicationELB~'TargetResponseTime~(stat~'p99)))~region~'cn-northwest-1~period~60)",
    );
  });

  it('gives the same link for an alarm whether it starts from the ARN (normaliser) or the region (adapter)', () => {
    for (const arn of ['arn:aws:cloudwatch:eu-west-1:1:alarm:a', 'arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a', 'arn:aws-us-gov:cloudwatch:us-gov-west-1:1:alarm:a']) {
      const parts = parseAlarmArn(arn);
      if (!parts) throw new Error(arn);
      expect(alarmConsoleUrl(parts, parts.name)).toBe(cloudWatchConsoleUrl(parts.region, { alarmName: parts.name }));
    }
  });
});
