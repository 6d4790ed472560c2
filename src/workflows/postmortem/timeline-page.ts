/**
 * The timeline's canonical order and the paged, one-line-per-event view behind the ephemeral
 * `/incident timeline` command. Pure functions.
 */
import type { TimelineEvent, TimelineKind } from '../../domain/timeline.js';
import { AppError } from '../../errors.js';
import { formatUtc, sortByTime, toMs, zonedTime } from './time.js';

/** Events by time, ties (and unparseable times, which go last) kept in insertion order. */
export function orderTimeline(events: readonly TimelineEvent[]): TimelineEvent[] {
  return sortByTime(events, (e) => e.at);
}

export interface TimelinePage {
  events: TimelineEvent[];
  /** 1-based, clamped into [1, pageCount]. */
  page: number;
  /** At least 1 (an empty timeline has one empty page). */
  pageCount: number;
}

/**
 * One page of the timeline in time order. `page` is 1-based; a page past either end gives the
 * nearest page. A non-integer page or a page size below 1 is a bad request.
 */
export function pageTimeline(events: readonly TimelineEvent[], page: number, pageSize: number): TimelinePage {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new AppError('bad_request', `page size must be a whole number of at least 1, got ${pageSize}`);
  if (!Number.isInteger(page)) throw new AppError('bad_request', `page must be a whole number, got ${page}`);
  const ordered = orderTimeline(events);
  const pageCount = Math.max(1, Math.ceil(ordered.length / pageSize));
  const current = Math.min(Math.max(page, 1), pageCount);
  const start = (current - 1) * pageSize;
  return { events: ordered.slice(start, start + pageSize), page: current, pageCount };
}

const KIND_LABELS: Record<TimelineKind, string> = {
  'alert.firing': 'alert firing',
  'alert.resolved': 'alert resolved',
  'alert.insufficient_data': 'alarm has insufficient data',
  'incident.opened': 'incident opened',
  'incident.reopened': 'incident reopened',
  'incident.acknowledged': 'acknowledged',
  'incident.mitigated': 'mitigated',
  'incident.resolved': 'resolved',
  'incident.severity': 'severity changed',
  'incident.role': 'role assigned',
  'incident.update': 'status update',
  'incident.note': 'note',
  'incident.action_item': 'action item',
  'channel.created': 'channel created',
  'slack.pinned': 'pinned',
  'slack.unpinned': 'unpinned',
  'slack.reaction': 'reaction',
  'slack.reaction_removed': 'reaction removed',
  'slack.message': 'added from Slack',
  'diagnosis.started': 'diagnosis started',
  'diagnosis.finding': 'finding',
  'diagnosis.assessment': 'assessment',
  'mitigation.proposed': 'mitigation proposed',
  'mitigation.approved': 'mitigation approved',
  'mitigation.denied': 'mitigation denied',
  'mitigation.refused': 'mitigation refused',
  'mitigation.expired': 'mitigation expired',
  'mitigation.executed': 'mitigation executed',
  'mitigation.failed': 'mitigation failed',
  'mitigation.watching': 'mitigation watched',
  'mitigation.verified': 'mitigation verified',
  'mitigation.unverified': 'mitigation not verified',
  'reminder.sent': 'reminder sent',
  'postmortem.drafted': 'post-mortem drafted',
};

/** A short human label for an event kind ("acknowledged", "mitigation approved"). */
export function kindLabel(kind: TimelineKind): string {
  return KIND_LABELS[kind];
}

/** Slack user (U...) or enterprise user (W...) id: the only actors rendered as mentions. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

export function isSlackUserId(actor: string): boolean {
  return SLACK_USER_ID.test(actor);
}

/** Slack mrkdwn escaping: `<!channel>` and `<@U1>` in the text become literal characters, never pings. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One line of the `/incident timeline` view (Slack mrkdwn):
 * `2026-11-21 09:14 UTC (10:14 CET) · <@U1> · acknowledged`.
 * The local date is shown too when it differs from the UTC date; with `tz` UTC the bracket is left out.
 * Free text is escaped so nothing in it pings; only the actor, when it is a Slack user id, is a mention.
 */
export function formatTimelineLine(event: TimelineEvent, tz: string): string {
  const ms = toMs(event.at);
  const utc = formatUtc(ms, { seconds: false });
  let when: string;
  if (utc === undefined) {
    when = `${escapeSlack(event.at)} (unreadable time)`;
  } else {
    const local = zonedTime(ms, tz);
    when = `${utc} UTC`;
    if (local && local.zone !== 'UTC') {
      const localDate = local.date === utc.slice(0, 10) ? '' : `${local.date} `;
      when += ` (${localDate}${local.time.slice(0, 5)} ${local.zone})`;
    }
  }
  const who = isSlackUserId(event.actor) ? `<@${event.actor}>` : escapeSlack(event.actor);
  const text = event.text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const what = text === '' ? kindLabel(event.kind) : escapeSlack(text);
  return `${when} · ${who} · ${what}`;
}
