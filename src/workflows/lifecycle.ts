/**
 * What follows the big transitions: reopen and resolve messaging, status-update reminders,
 * post-mortem drafts, archiving, and timeline capture from Slack pins and reactions.
 */
import type { Incident } from '../domain/incident.js';
import type { Ports } from './context.js';
import { reminderSlots, requireIncident, scheduleCardRefresh, scheduleReminder } from './incidents.js';
import { archiveJob } from './jobs/archive.js';
import { postmortemDraftJob } from './jobs/postmortem-draft.js';
import { postmortemReminderJob } from './jobs/postmortem-reminder.js';
import { remindJob, type RemindData } from './jobs/remind.js';
import { computeFigures, formatDuration } from './postmortem/figures.js';
import { flappingOf, renderPostmortem } from './postmortem/render.js';
import { formatTimelineLine, pageTimeline } from './postmortem/timeline-page.js';
import type { ChatMessage } from './ports.js';
import { doneOnce } from './once.js';
import { routeOf } from './routing.js';
import type { CommandOutcome } from './triage.js';

const TIMELINE_PAGE_SIZE = 15;


async function postBoth(deps: Ports, incident: Incident, channelMsg: ChatMessage, announceMsg: ChatMessage, onceKey: string): Promise<void> {
  // Each post once, even when the job is retried (or delayed by Slack's budget) after a partial failure.
  const channel = incident.channelId;
  if (channel) await doneOnce(deps, `${onceKey}-channel`, () => deps.chat.post(channel, channelMsg));
  const announce = routeOf(deps.config, incident)?.announce;
  if (announce) await doneOnce(deps, `${onceKey}-announce`, () => deps.chat.post(announce, announceMsg));
}

/** A re-fire reopened the incident: said once here and in the announcement channel; card and reminder follow. */
export async function announceReopened(deps: Ports, incidentId: string, reopenCount: number): Promise<void> {
  const incident = await requireIncident(deps, incidentId);
  await postBoth(deps, incident, deps.render.text(`:repeat: *${incident.id} reopened*: the alert fired again within the reopen window (flapping, ${reopenCount}×).`), deps.render.announcement(incident, 'reopened'), `reopen-${incident.id}-${reopenCount}`);
  await scheduleCardRefresh(deps, incident.id);
  await scheduleReminder(deps, incident);
  // Announced: alerts of the incident stop asking for this job (askUntilDone in incidents.ts).
  await deps.incidents.update(incident.id, (cur) => ((cur.reopenAnnounced ?? 0) >= reopenCount ? undefined : { ...cur, reopenAnnounced: reopenCount }));
}

/** After the resolve numbered `reopenCount`: the summary, reminders cancelled, post-mortem and archive scheduled. */
export async function afterResolve(deps: Ports, incidentId: string, reopenCount: number): Promise<void> {
  const incident = await requireIncident(deps, incidentId);
  const [alerts, timeline, assessment] = await Promise.all([deps.incidents.listAlerts(incident.id), deps.timeline.list(incident.id), deps.diagnosis.getAssessment(incident.id)]);
  const f = computeFigures({ incident, alerts, timeline, now: deps.clock.now(), ...flappingOf(assessment) });
  const figures = [
    f.timeToAcknowledgeMs !== undefined ? `acknowledged after ${formatDuration(f.timeToAcknowledgeMs)}` : 'never acknowledged',
    f.timeToMitigateMs !== undefined ? `mitigated after ${formatDuration(f.timeToMitigateMs)}` : undefined,
    f.timeToResolveMs !== undefined ? `resolved after ${formatDuration(f.timeToResolveMs)}` : undefined,
  ].filter(Boolean).join(' · ');
  const summary = `:white_check_mark: *${incident.id} resolved* (${incident.severity}) — ${figures}. The post-mortem draft follows.`;
  await postBoth(deps, incident, deps.render.text(summary), deps.render.announcement(incident, 'resolved', figures), `resolve-${incident.id}-${reopenCount}`);
  await cancelReminders(deps, incident);
  await deps.queue.enqueue(postmortemDraftJob, { incidentId: incident.id, after: 'resolved', reopenCount });
  const reminderAfter = deps.config.postmortem.reminderAfter;
  if (reminderAfter > 0) await deps.queue.enqueue(postmortemReminderJob, { incidentId: incident.id, reopenCount }, { delayMs: reminderAfter });
  const days = deps.config.archive.afterDays;
  if (days > 0) await deps.queue.enqueue(archiveJob, { incidentId: incident.id, reopenCount }, { delayMs: days * 86_400_000 });
}

/** Resolved: the pending reminder is removed from the queue (were it to run, it would skip anyway). */
async function cancelReminders(deps: Ports, incident: Incident): Promise<void> {
  // Judged as if still open: the slots that may have a job waiting.
  const r = reminderSlots(deps, { ...incident, status: 'acknowledged' });
  if (!r) return;
  for (const slot of new Set([1, r.current, r.next])) await deps.queue.cancel(remindJob, { incidentId: incident.id, since: r.since, slot });
}

/** A status-update reminder: nudges the commander (or the channel) when no update came within the cadence. */
export async function remind(deps: Ports, job: RemindData): Promise<'sent' | 'skipped'> {
  const incident = await deps.incidents.get(job.incidentId);
  const channel = incident?.channelId;
  if (!incident || incident.status === 'resolved' || !channel) return 'skipped';
  // A newer update (or a severity change) scheduled a newer reminder: this one is stale.
  const r = reminderSlots(deps, incident);
  if (!r || r.sinceMs !== Date.parse(job.since)) return 'skipped';
  const { cadence, sinceMs, nowMs } = r;
  // The slot this reminder stands for: at most one post per slot, whatever the number of jobs for it
  // (after a backlog, the jobs of two slots may both find the same one current). The first job to claim
  // the slot posts; the claim names it, so its own run again (Slack's budget deferred the post and the
  // job was delayed) still posts. Marked done after the post succeeded.
  const slot = r.current;
  const ttl = Math.max(2 * cadence, 86_400_000);
  const key = `remind-${incident.id}-${sinceMs}-${slot}`;
  if (await deps.claims.claimOnce(key, ttl)) await deps.claims.setValue(`${key}-by`, String(job.slot), ttl);
  const mine = (await deps.claims.getValue(`${key}-by`)) === String(job.slot);
  const sent =
    mine &&
    (await doneOnce(
      deps,
      key,
      async () => {
        const who = incident.roles.commander ? `<@${incident.roles.commander}>` : 'Team';
        await deps.chat.post(channel, deps.render.text(`:alarm_clock: ${who}, no status update for ${formatDuration(cadence)} (${incident.severity} cadence). Post one with \`/incident update <text>\`.`));
        await deps.timeline.append(incident.id, { at: new Date(nowMs).toISOString(), kind: 'reminder.sent', actor: 'warroom', text: `Status-update reminder sent to ${incident.roles.commander ? `<@${incident.roles.commander}>` : 'the channel'}`, data: { slot } }, `remind-${sinceMs}-${slot}`);
      },
      ttl,
    ));
  // Next nudge one cadence later, keyed by the same "since" and the slot number so replicas never double it.
  await scheduleReminder(deps, incident, 1000);
  return sent ? 'sent' : 'skipped';
}

export async function buildPostmortem(deps: Ports, incidentId: string): Promise<{ incident: Incident; markdown: string }> {
  const incident = await requireIncident(deps, incidentId);
  const [alerts, timeline, proposals, assessment] = await Promise.all([
    deps.incidents.listAlerts(incidentId),
    deps.timeline.list(incidentId),
    deps.proposals.list(incidentId),
    deps.diagnosis.getAssessment(incidentId),
  ]);
  const markdown = renderPostmortem({
    incident,
    alerts,
    timeline,
    proposals,
    timezone: deps.config.postmortem.timezone,
    generatedAt: deps.clock.now(),
    ...(assessment ? { assessment } : {}),
    ...(deps.publicUrl ? { links: { timelineJson: `${deps.publicUrl}/incidents/${incidentId}/timeline.json` } } : {}),
  });
  return { incident, markdown };
}

/** The draft uploaded to the channel (`userId`: who asked for it with `/incident postmortem`). */
export async function draftPostmortem(deps: Ports, incidentId: string, userId?: string): Promise<void> {
  const incident = await requireIncident(deps, incidentId);
  if (!incident.channelId) return;
  const { markdown } = await buildPostmortem(deps, incident.id);
  await deps.chat.uploadFile(incident.channelId, { filename: `postmortem-${incident.id.toLowerCase()}.md`, title: `Post-mortem draft ${incident.id}`, content: markdown, initialComment: `:memo: Post-mortem draft for ${incident.id}${userId ? ` (requested by <@${userId}>)` : ''}. Edit it with the team; it is blameless by design.` });
  await deps.timeline.append(incident.id, { at: deps.clock.now().toISOString(), kind: 'postmortem.drafted', actor: userId ?? 'warroom', text: 'Post-mortem draft written' });
}

/** A while after the resolve: finish the post-mortem. */
export async function remindPostmortem(deps: Ports, incidentId: string): Promise<void> {
  const incident = await requireIncident(deps, incidentId);
  if (!incident.channelId) return;
  await deps.chat.post(incident.channelId, deps.render.text(`:memo: Reminder: the post-mortem of ${incident.id} should be finished within 48 hours of resolution. The draft is in this channel${deps.publicUrl ? ` and at ${deps.publicUrl}/incidents/${incident.id}/postmortem.md` : ''}.`));
}

export async function archiveChannel(deps: Ports, incidentId: string): Promise<void> {
  const incident = await requireIncident(deps, incidentId);
  if (incident.status !== 'resolved' || !incident.channelId) return; // reopened since: keep it
  await deps.chat.archive(incident.channelId);
}

export async function requestPostmortem(deps: Ports, incident: Incident, userId: string): Promise<CommandOutcome> {
  await deps.queue.enqueue(postmortemDraftJob, { incidentId: incident.id, after: 'command', userId, requestedAt: deps.clock.now().getTime() });
  return { ok: true, message: 'Drafting the post-mortem; it will be posted here as a file.' };
}

export async function timelineView(deps: Ports, incident: Incident, page: number): Promise<ChatMessage> {
  const events = await deps.timeline.list(incident.id);
  const p = pageTimeline(events, page, TIMELINE_PAGE_SIZE);
  const tz = deps.config.postmortem.timezone;
  return deps.render.timelinePage(p.events.map((e) => formatTimelineLine(e, tz)), p.page, p.pageCount);
}

/** Pins and the configured reaction bring a message into the timeline with its original time and author. */
export async function captureSlackEvent(
  deps: Ports,
  e: { type: 'pin_added' | 'pin_removed' | 'reaction_added' | 'reaction_removed'; user: string; channel: string; ts: string; text?: string; reaction?: string; eventTs: string; author?: string },
): Promise<void> {
  const incident = await deps.incidents.findByChannel(e.channel);
  if (!incident) return;
  if ((e.type === 'reaction_added' || e.type === 'reaction_removed') && e.reaction !== deps.config.timeline.reaction) return;
  if (e.ts === incident.cardTs) return; // the bot's own card is pinned by the bot
  const dedupe = `slack-${e.type.startsWith('pin') ? 'pin' : 'reaction'}-${e.ts}`;
  if (e.type === 'pin_removed' || e.type === 'reaction_removed') {
    await deps.timeline.remove(incident.id, dedupe);
    return;
  }
  // The message's own time is its ts (seconds.micro since the epoch); its author is the one who wrote it
  // (pin events carry the message, reactions the item_user), else the person who pinned or reacted.
  const ms = Number(e.ts) * 1000;
  if (!Number.isFinite(ms) || ms <= 0) return;
  const at = new Date(Math.round(ms)).toISOString();
  const text = e.text ? e.text.slice(0, 2000) : `message ${e.ts} marked with :${e.reaction}:`;
  await deps.timeline.append(incident.id, { at, kind: e.type === 'pin_added' ? 'slack.pinned' : 'slack.reaction', actor: e.author ?? e.user, text, data: { ts: e.ts, channel: e.channel, by: e.user } }, dedupe);
}

/**
 * The message shortcut "Add to incident timeline": the message's text, author and permalink become a
 * timeline event at the message's own time. Only in an incident channel; the same message twice is
 * one event.
 */
export async function addMessageToTimeline(
  deps: Ports,
  m: { channelId: string; userId: string; ts: string; text: string; author?: string },
): Promise<CommandOutcome> {
  const incident = await deps.incidents.findByChannel(m.channelId);
  if (!incident) return { ok: false, message: 'Add to incident timeline works on messages in an incident channel; this channel is not one. Open the incident’s channel and use the shortcut there.' };
  const ms = Number(m.ts) * 1000;
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, message: 'That message has no usable timestamp.' };
  const permalink = await deps.chat.permalink(m.channelId, m.ts).catch((e: unknown) => {
    deps.log.warn({ err: e }, 'permalink not available');
    return '';
  });
  const text = m.text.trim() ? m.text.slice(0, 2000) : `(message ${m.ts} without text)`;
  const added = await deps.timeline.append(
    incident.id,
    { at: new Date(Math.round(ms)).toISOString(), kind: 'slack.message', actor: m.author ?? m.userId, text, data: { ts: m.ts, channel: m.channelId, by: m.userId, ...(permalink ? { permalink } : {}) } },
    `slack-message-${m.ts}`,
  );
  return { ok: true, message: added ? `Added to the ${incident.id} timeline.` : `That message is already on the ${incident.id} timeline.` };
}
