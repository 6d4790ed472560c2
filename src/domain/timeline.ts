import { z } from 'zod';

export const TimelineKind = z.enum([
  'alert.firing',
  'alert.resolved',
  'alert.insufficient_data',
  'incident.opened',
  'incident.reopened',
  'incident.acknowledged',
  'incident.mitigated',
  'incident.resolved',
  'incident.severity',
  'incident.role',
  'incident.update',
  'incident.note',
  'incident.action_item',
  'channel.created',
  'slack.pinned',
  'slack.unpinned',
  'slack.reaction',
  'slack.reaction_removed',
  /** A message added with the message shortcut "Add to incident timeline". */
  'slack.message',
  'diagnosis.started',
  'diagnosis.finding',
  'diagnosis.assessment',
  'mitigation.proposed',
  'mitigation.approved',
  'mitigation.denied',
  'mitigation.refused',
  'mitigation.expired',
  'mitigation.executed',
  'mitigation.failed',
  'mitigation.watching',
  'mitigation.verified',
  'mitigation.unverified',
  'reminder.sent',
  'postmortem.drafted',
]);
export type TimelineKind = z.infer<typeof TimelineKind>;

export const TimelineEvent = z.object({
  /** ISO-8601 UTC. */
  at: z.string(),
  kind: TimelineKind,
  /** "warroom" for the bot, "alertmanager"/"cloudwatch" for senders, a Slack user id for people. */
  actor: z.string(),
  text: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;
