/** Triage from the channel: declare, status updates, severity, roles, notes. */
import { escapeSlackText } from '../domain/text.js';
import { createHash } from 'node:crypto';
import type { Alert, Severity } from '../domain/alert.js';
import type { Incident, IncidentAlert, Role } from '../domain/incident.js';
import { incidentTitle } from '../domain/naming.js';
import type { Ports } from './context.js';
import { scheduleCardRefresh, scheduleReminder } from './incidents.js';
import { ingestJob } from './jobs/ingest.js';
import { PRIORITY } from './jobs/define.js';
import { openIncidentJob } from './jobs/open-incident.js';
import { incidentKey, routeOf, SEVERITY_RANK } from './routing.js';
import { isStormIncident, markSplit } from './storm.js';

export interface CommandOutcome {
  ok: boolean;
  /** Shown to the person who ran the command (ephemeral). */
  message: string;
}

/** A manual incident goes the same path as alerts: one manual Alert through the ingest queue. */
export async function declareIncident(deps: Ports, input: { title: string; severity: Severity; userId: string; requestId: string; responders?: string[] }): Promise<CommandOutcome> {
  const now = deps.clock.now().toISOString();
  const fingerprint = createHash('sha256').update(`${input.userId}\u0000${input.requestId}`).digest('hex').slice(0, 16);
  const alert: Alert = {
    source: 'manual',
    fingerprint,
    status: 'firing',
    name: input.title,
    severity: input.severity,
    labels: { alertname: 'ManualIncident', declared_by: input.userId, ...(input.responders?.length ? { responders: input.responders.join(',') } : {}) },
    // No summary annotation: the title is the alert name, and titleFor would repeat it ("X: X").
    annotations: {},
    startsAt: now,
    links: [],
  };
  await deps.queue.enqueue(ingestJob, { batch: { deliveryId: `manual-${fingerprint}`, receivedAt: now, source: 'manual', alerts: [alert] } });
  return { ok: true, message: `Declaring *${input.severity}* incident “${escapeSlackText(input.title)}”: a channel is being opened.` };
}

/** Longest note or status update kept (Slack shows at most 3,000 characters in a section). */
export const MAX_TEXT_CHARS = 3000;

function tooLong(text: string, what: string): CommandOutcome | undefined {
  return text.length > MAX_TEXT_CHARS ? { ok: false, message: `That ${what} is ${text.length.toLocaleString('en-US')} characters; keep it to ${MAX_TEXT_CHARS.toLocaleString('en-US')} (link to a document for more). Nothing was recorded.` } : undefined;
}

/** Strip broadcast mentions from people's free text posted by the bot (no @channel via the bot). */
export function tameBroadcasts(text: string): string {
  return text.replace(/<!(channel|here|everyone)(\|[^>]*)?>/g, '@$1').replace(/<!subteam\^[A-Z0-9]+(\|[^>]*)?>/g, '@group');
}

export async function postStatusUpdate(deps: Ports, incident: Incident, userId: string, text: string): Promise<CommandOutcome> {
  const clean = tameBroadcasts(text.trim());
  if (!clean) return { ok: false, message: 'Usage: `/incident update <text>`: what is known, what is being done, when the next update comes.' };
  const long = tooLong(clean, 'update');
  if (long) return long;
  const nowIso = deps.clock.now().toISOString();
  const { value: updated } = await deps.incidents.update(incident.id, (cur) => ({ ...cur, lastUpdateAt: nowIso, updatedAt: nowIso }));
  await deps.timeline.append(incident.id, { at: nowIso, kind: 'incident.update', actor: userId, text: clean });
  const msg = deps.render.announcement(updated, 'update', `${clean}\n— <@${userId}>`);
  if (updated.channelId) await deps.chat.post(updated.channelId, msg);
  const route = routeOf(deps.config, updated);
  if (route?.announce) await deps.chat.post(route.announce, msg);
  await scheduleReminder(deps, updated);
  return { ok: true, message: 'Status update posted.' };
}

export async function setSeverity(deps: Ports, incident: Incident, userId: string, severity: Severity): Promise<CommandOutcome> {
  if (incident.severity === severity) return { ok: false, message: `${incident.id} is already ${severity}.` };
  const nowIso = deps.clock.now().toISOString();
  const from = incident.severity;
  const { value: updated } = await deps.incidents.update(incident.id, (cur) => ({ ...cur, severity, updatedAt: nowIso }));
  await deps.timeline.append(incident.id, { at: nowIso, kind: 'incident.severity', actor: userId, text: `Severity ${from} → ${severity}`, data: { from, to: severity } });
  if (incident.channelId) await deps.chat.post(incident.channelId, deps.render.text(`:rotating_light: <@${userId}> changed severity ${from} → *${severity}*`));
  await scheduleCardRefresh(deps, incident.id, { person: true });
  await scheduleReminder(deps, updated);
  return { ok: true, message: `Severity set to ${severity}.` };
}

export async function assignRole(deps: Ports, incident: Incident, actor: string, role: Role, userId: string): Promise<CommandOutcome> {
  const nowIso = deps.clock.now().toISOString();
  await deps.incidents.update(incident.id, (cur) => ({ ...cur, roles: { ...cur.roles, [role]: userId }, updatedAt: nowIso }));
  await deps.timeline.append(incident.id, { at: nowIso, kind: 'incident.role', actor, text: `<@${userId}> is ${role}`, data: { role, userId } });
  if (incident.channelId) {
    await deps.chat.invite(incident.channelId, [userId]).catch(() => undefined);
    await deps.chat.post(incident.channelId, deps.render.text(`:busts_in_silhouette: <@${userId}> is now *${role}* (set by <@${actor}>)`));
  }
  await scheduleCardRefresh(deps, incident.id, { person: true });
  return { ok: true, message: `<@${userId}> is ${role}.` };
}

export async function addNote(deps: Ports, incident: Incident, userId: string, text: string): Promise<CommandOutcome> {
  const m = /^action:\s*(.+)$/is.exec(text.trim());
  const body = tameBroadcasts((m?.[1] ?? text).trim());
  if (!body) return { ok: false, message: 'Usage: `/incident note <text>` or `/incident note action: <text>`.' };
  const long = tooLong(body, m ? 'action item' : 'note');
  if (long) return long;
  await deps.timeline.append(incident.id, { at: deps.clock.now().toISOString(), kind: m ? 'incident.action_item' : 'incident.note', actor: userId, text: body });
  return { ok: true, message: m ? 'Action item recorded for the post-mortem.' : 'Note added to the timeline.' };
}

/**
 * `/incident split <key>` in a storm channel: the key's alerts get their own incident and channel (at
 * the severity of its worst alert); later alerts of the key go there, not to the storm. The storm card
 * shows where it went.
 */
export async function splitFromStorm(deps: Ports, storm: Incident, userId: string, keyArg: string): Promise<CommandOutcome> {
  if (!isStormIncident(storm)) return { ok: false, message: `${storm.id} is not a storm incident; \`/incident split\` works in a storm's channel.` };
  const route = routeOf(deps.config, storm);
  if (!route) return { ok: false, message: `The route ${storm.route} of ${storm.id} is no longer configured.` };
  const want = keyArg.trim();
  if (!want) return { ok: false, message: 'Usage: `/incident split <key>` (the keys are on the storm card).' };
  const all = await deps.incidents.listAlerts(storm.id);
  const keys = [...new Set(all.map((a) => incidentKey(route, a)))];
  const matching = keys.includes(want) ? [want] : keys.filter((k) => k.startsWith(want));
  if (matching.length !== 1) return { ok: false, message: matching.length ? `\`${escapeSlackText(want)}\` matches ${matching.length} keys; give more of it.` : `No key \`${escapeSlackText(want)}\` in ${storm.id}; the keys are on the storm card.` };
  const key = matching[0] as string;
  const alerts = all.filter((a) => incidentKey(route, a) === key);
  const first = alerts[0] as IncidentAlert;
  const worst = alerts.reduce((w, a) => (SEVERITY_RANK[a.severity] < SEVERITY_RANK[w] ? a.severity : w), first.severity);
  const now = deps.clock.now();
  const r = await deps.incidents.getOrCreate({ key, title: incidentTitle(first), severity: worst, source: first.source, route: route.name, responders: [...new Set([...route.responders.users, userId])] }, now, route.reopenWindow);
  await markSplit(deps, key, r.incident.id);
  for (const a of alerts) await deps.incidents.upsertAlert(r.incident.id, a, now);
  const at = now.toISOString();
  await deps.timeline.append(r.incident.id, { at, kind: 'incident.opened', actor: userId, text: `Split from storm ${storm.id} by <@${userId}> (${alerts.length} alerts)`, data: { key, route: route.name, storm: storm.id } }, 'opened');
  await deps.timeline.append(storm.id, { at, kind: 'incident.note', actor: userId, text: `${incidentTitle(first)} (${key}) split into ${r.incident.id} by <@${userId}>` }, `split-${key}`);
  if (r.created) await deps.queue.enqueue(openIncidentJob, { incidentId: r.incident.id }, { priority: PRIORITY.open(SEVERITY_RANK[worst]) });
  await scheduleCardRefresh(deps, storm.id, { person: true });
  return { ok: true, message: r.created ? `Split \`${key}\` into ${r.incident.id}: its channel is being opened.` : `\`${key}\` now goes to ${r.incident.id}.` };
}
