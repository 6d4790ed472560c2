/** The alarm JSON CloudWatch publishes inside an SNS Notification's `Message` (reference/protocols.md 3.1). */
import { z } from 'zod';
import { AlarmState } from '../../alert.js';
import { formatIssues, parseJsonText, parseTimestamp, Timestamp } from '../common.js';
import type { ParseResult } from '../common.js';
import { ALARM_ARN_RE, parseAlarmArn } from './arn.js';
import { Actions, isoOf, looseString, nonEmpty } from './lenient.js';
import type { CloudWatchAlarmMessage } from './message.js';
import { parseTrigger } from './trigger.js';

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
