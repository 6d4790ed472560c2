/**
 * The incident lifecycle: correlate intake into incidents, open the channel, keep the card current,
 * acknowledge, resolve. Every step is idempotent: jobs can be redelivered, replicas can race.
 */
import type { Alert, IngestBatch } from '../domain/alert.js';
import { channelName, DEFAULT_CHANNEL_TEMPLATE, slugify, withSuffix } from '../domain/channel-name.js';
import type { Incident } from '../domain/incident.js';
import type { TimelineEvent } from '../domain/timeline.js';
import { AppError, isRetryable, retryAfterOf } from '../errors.js';
import type { Ports } from './context.js';
import type { IncidentView } from './ports.js';
import { diagnoseJob } from './jobs/diagnose.js';
import { incidentReopenedJob } from './jobs/incident-reopened.js';
import { incidentResolvedJob } from './jobs/incident-resolved.js';
import { openIncidentJob } from './jobs/open-incident.js';
import { refreshCardJob } from './jobs/refresh-card.js';
import { remindJob } from './jobs/remind.js';
import { scheduleHomeRefresh } from './home.js';
import { PRIORITY } from './jobs/define.js';
import { incidentKey, matchRoute, routeOf, SEVERITY_RANK, severityFor } from './routing.js';
import { alertService, alertSymptom, incidentTitle } from '../domain/naming.js';
import { doneOnce } from './once.js';
import { isStormIncident, joinStorm, memberOf, stormSummary } from './storm.js';

const BOT = 'warroom';
/** Card updates are coalesced: at most one per incident per second. */
export const CARD_UPDATE_INTERVAL_MS = 1000;
const MAX_NAME_ATTEMPTS = 20;

export interface IngestResult {
  opened: string[];
  reopened: string[];
  updated: string[];
  ignored: { fingerprint: string; reason: string }[];
}

function event(deps: Ports, kind: TimelineEvent['kind'], actor: string, text: string, data?: Record<string, unknown>, at?: string): TimelineEvent {
  return { at: at ?? deps.clock.now().toISOString(), kind, actor, text, ...(data ? { data } : {}) };
}

/**
 * The job that follows a transition of the incident (opened: the channel; reopened: the announcement)
 * is asked for by every alert of the incident until it has done its work (the channel exists; the
 * reopen is announced). The same id: a no-op while it waits or ran. An ingest attempt that made the
 * transition and then lost Redis before the enqueue would otherwise leave it undone for good: its retry
 * finds the incident already created or reopened (issue 10.9).
 */
async function askUntilDone(deps: Ports, incident: Incident, alert: Alert, key: string, route: string): Promise<void> {
  if (incident.status === 'resolved') return;
  if (!incident.channelId) {
    await deps.timeline.append(incident.id, event(deps, 'incident.opened', alert.source, `Incident opened from ${alert.source} alert ${alert.name}`, { key, route }), 'opened');
    // A higher severity is never queued behind a lower one (PRIORITY.open).
    await deps.queue.enqueue(openIncidentJob, { incidentId: incident.id }, { priority: PRIORITY.open(SEVERITY_RANK[incident.severity]) });
  } else if (incident.reopenCount > (incident.reopenAnnounced ?? 0)) {
    await deps.timeline.append(incident.id, event(deps, 'incident.reopened', alert.source, `Reopened: ${alert.name} fired again within the reopen window`, { reopenCount: incident.reopenCount }), `reopened-${incident.reopenCount}`);
    await deps.queue.enqueue(incidentReopenedJob, { incidentId: incident.id, reopenCount: incident.reopenCount });
  }
}

/** Process one delivery: each alert lands in exactly one incident. */
export async function ingestBatch(deps: Ports, batch: IngestBatch): Promise<IngestResult> {
  const result: IngestResult = { opened: [], reopened: [], updated: [], ignored: [] };
  const now = deps.clock.now();
  const touched = new Set<string>();
  for (const raw of batch.alerts) {
    const route = matchRoute(deps.config.routes, raw);
    if (!route) {
      result.ignored.push({ fingerprint: raw.fingerprint, reason: 'no route matches' });
      deps.log.warn({ fingerprint: raw.fingerprint, alert: raw.name }, 'alert matches no route; ignored');
      continue;
    }
    const alert: Alert = { ...raw, severity: raw.source === 'manual' ? raw.severity : severityFor(route, raw.labels) };
    const key = incidentKey(route, alert);
    const state = alert.cloudwatch?.state;
    const opens = alert.status === 'firing' && state !== 'INSUFFICIENT_DATA';

    let incident: Incident | undefined = await memberOf(deps, key);
    if (incident) {
      // A key of a storm: its alerts go to the storm incident (until split off or the storm resolves).
    } else if (opens) {
      const r = (await joinStorm(deps, route, key, alert, now)) ?? await deps.incidents.getOrCreate(
        {
          key,
          title: incidentTitle(alert),
          severity: alert.severity,
          source: alert.source,
          route: route.name,
          // A declared incident may name its own responders (the declare form).
          responders: [...new Set([...route.responders.users, ...(alert.source === 'manual' ? [alert.labels.declared_by ?? '', ...(alert.labels.responders ?? '').split(',')].filter((u) => /^[UW][A-Z0-9]+$/.test(u)) : [])])],
        },
        now,
        route.reopenWindow,
      );
      incident = r.incident;
      if (r.created) result.opened.push(incident.id);
      if (r.reopened) result.reopened.push(incident.id);
      await askUntilDone(deps, incident, alert, key, route.name);
    } else {
      incident = await deps.incidents.findByKey(key);
      if (!incident) {
        const reason = state === 'INSUFFICIENT_DATA' ? 'INSUFFICIENT_DATA recorded; it does not open an incident' : 'resolved alert with no incident';
        result.ignored.push({ fingerprint: alert.fingerprint, reason });
        deps.log.info({ fingerprint: alert.fingerprint, alert: alert.name, state: state ?? alert.status }, reason);
        continue;
      }
    }

    const { changed } = await deps.incidents.upsertAlert(incident.id, alert, now);
    if (!changed) continue;
    touched.add(incident.id);
    const status = state ?? alert.status;
    const kind: TimelineEvent['kind'] = state === 'INSUFFICIENT_DATA' ? 'alert.insufficient_data' : alert.status === 'firing' ? 'alert.firing' : 'alert.resolved';
    const at = alert.status === 'resolved' ? (alert.endsAt ?? now.toISOString()) : alert.startsAt;
    await deps.timeline.append(
      incident.id,
      event(deps, kind, alert.source, `${alert.name} ${status === 'firing' ? 'firing' : status}`, { fingerprint: alert.fingerprint, labels: alert.labels }, at),
      `alert-${alert.fingerprint}-${status}-${at}`,
    );
    if (!result.opened.includes(incident.id)) result.updated.push(incident.id);

    if (route.autoResolve && alert.status === 'resolved' && incident.status !== 'resolved') {
      const alerts = await deps.incidents.listAlerts(incident.id);
      if (alerts.length > 0 && alerts.every((a) => a.status === 'resolved')) {
        await resolveIncident(deps, incident.id, alert.source, 'all alerts resolved (auto-resolve)');
      }
    }
  }
  for (const id of touched) await scheduleCardRefresh(deps, id);
  return result;
}

/** Card writes of one incident start at least CARD_UPDATE_INTERVAL_MS apart (a rolling window, not calendar seconds). */
const cardWriteSlot = (incidentId: string) => `card-write-${incidentId}`;
/** The incident's refresh sequence: a refresh job stands for one number; running it moves the number on. */
const cardSeq = (incidentId: string) => `card-seq-${incidentId}`;
/** Failed card writes handed over to the next refresh before giving up (the next change asks again). */
const CARD_MAX_TRIES = 5;

/**
 * Coalesced card refresh: at most one refresh waits per incident. The job's id carries the incident's
 * refresh sequence number, so every change until that job starts is the same job (a no-op add); the
 * job moves the number on before it reads the state, so a change while it runs asks for the next one.
 * It renders the latest state when it runs: never one write per alert.
 * `person`: someone is looking at the card for their own action (an acknowledge, a resolve, a severity
 * or role change): that refresh runs at a person's priority and Slack lane, at once, so a storm's
 * refreshes do not hold it back (one such refresh waits beside the coalesced one; whichever runs first
 * writes the latest state, the other finds the sequence moved on).
 */
export async function scheduleCardRefresh(deps: Ports, incidentId: string, opts: { delayMs?: number; tries?: number; person?: boolean } = {}): Promise<void> {
  const seq = await deps.claims.count(cardSeq(incidentId));
  const person = opts.person ?? false;
  await deps.queue.enqueue(refreshCardJob, { incidentId, seq, tries: opts.tries ?? 0, person }, { delayMs: opts.delayMs ?? (person ? 0 : CARD_UPDATE_INTERVAL_MS), ...(person ? { priority: PRIORITY.person } : {}) });
  // The App Home tabs list the open incidents: refreshed with them, coalesced and behind them.
  await scheduleHomeRefresh(deps);
}

/** The incident, or AppError('not_found'). */
export async function requireIncident(deps: Pick<Ports, 'incidents'>, id: string): Promise<Incident> {
  const incident = await deps.incidents.get(id);
  if (!incident) throw new AppError('not_found', `no incident ${id}`);
  return incident;
}

async function createChannel(deps: Ports, incident: Incident): Promise<Incident> {
  if (incident.channelId) return incident;
  const route = routeOf(deps.config, incident);
  const alerts = await deps.incidents.listAlerts(incident.id);
  const first = alerts[0];
  const service = first ? alertService(first) : undefined;
  const base = channelName({
    template: route?.channel.template ?? DEFAULT_CHANNEL_TEMPLATE,
    incidentId: incident.id,
    date: new Date(incident.createdAt),
    title: incident.title,
    severity: incident.severity,
    ...(service ? { service } : {}),
    symptom: first ? alertSymptom(first) : slugify(incident.title),
  });
  for (let n = 1; n <= MAX_NAME_ATTEMPTS; n++) {
    const name = n === 1 ? base : withSuffix(base, n, incident.id);
    const r = await deps.chat.createChannel(name, { private: route?.channel.private ?? false });
    if (r.ok) {
      const { value: updated } = await deps.incidents.update(incident.id, (cur) => (cur.channelId ? undefined : { ...cur, channelId: r.id, channelName: r.name, updatedAt: deps.clock.now().toISOString() }));
      await deps.timeline.append(incident.id, event(deps, 'channel.created', BOT, `Channel #${r.name} created`, { channelId: r.id }), 'channel-created');
      return updated;
    }
  }
  throw new AppError('internal', `no free channel name after ${MAX_NAME_ATTEMPTS} attempts (base ${base})`);
}

async function responderIds(deps: Ports, incident: Incident): Promise<string[]> {
  const route = routeOf(deps.config, incident);
  const users = new Set<string>([...incident.responders, ...(route?.responders.users ?? [])]);
  const groups = await Promise.all((route?.responders.usergroups ?? []).map((g) => deps.chat.usergroupMembers(g).catch((e: unknown) => {
    deps.log.warn({ err: e, usergroup: g }, 'could not expand user group');
    return [] as string[];
  })));
  for (const g of groups) for (const u of g) users.add(u);
  return [...users];
}

/** The open-incident job: channel, card (posted and pinned), topic, responders, announcement. */
export async function openIncident(deps: Ports, incidentId: string): Promise<void> {
  let incident = await createChannel(deps, await requireIncident(deps, incidentId));
  const channelId = incident.channelId as string;
  const route = routeOf(deps.config, incident);

  const postCard = async () => {
    if (!incident.cardTs) {
      // The first post opens the card's write window, so a refresh within the next second waits.
      await deps.claims.claimOnce(cardWriteSlot(incident.id), CARD_UPDATE_INTERVAL_MS);
      const { ts } = await deps.chat.post(channelId, deps.render.incidentCard(await cardView(deps, incident)));
      incident = (await deps.incidents.update(incident.id, (cur) => (cur.cardTs ? undefined : { ...cur, cardTs: ts }))).value;
    }
    // Pinned even when the card was posted by an earlier run of the job (the pin was deferred then).
    const cardTs = incident.cardTs as string;
    await doneOnce(deps, `pin-${incident.id}`, () => deps.chat.pin(channelId, cardTs));
  };
  const topic = async () => {
    // The adapter escapes it and holds it to Slack's 250 characters.
    await doneOnce(deps, `topic-${incident.id}`, () => deps.chat.setTopic(channelId, `${incident.severity} · ${incident.id} · ${incident.title}`));
  };
  const invite = async () => {
    const ids = await responderIds(deps, incident);
    if (ids.length) await doneOnce(deps, `invite-${incident.id}`, () => deps.chat.invite(channelId, ids));
  };
  const announce = async () => {
    if (!route?.announce) return;
    const announceTo = route.announce;
    await doneOnce(deps, `announce-open-${incident.id}`, () => deps.chat.post(announceTo, deps.render.announcement(incident, 'opened')));
  };
  // Only the card chain is sequential (create -> post -> pin); the rest runs beside it.
  const results = await Promise.allSettled([postCard(), topic(), invite(), announce()]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) throw failed[0]?.reason instanceof Error ? failed[0].reason : new AppError('internal', String(failed[0]?.reason));
  await scheduleCardRefresh(deps, incident.id);
  if (deps.config.diagnostics.enabled) await deps.queue.enqueue(diagnoseJob, { incidentId: incident.id, runId: 'r1' });
  await scheduleReminder(deps, incident);
}

export async function refreshCard(deps: Ports, incidentId: string, seq = 0, tries = 0, person = false): Promise<void> {
  // A redelivered or older refresh: the one after it already runs or waits.
  if ((await deps.claims.count(cardSeq(incidentId))) !== seq) return;
  await deps.claims.increment(cardSeq(incidentId), 0);
  const incident = await requireIncident(deps, incidentId);
  if (!incident.channelId || !incident.cardTs) return; // open-incident posts the latest state and refreshes after
  // At most one card write per incident per second, even when refreshes run late together.
  if (!(await deps.claims.claimOnce(cardWriteSlot(incidentId), CARD_UPDATE_INTERVAL_MS))) return scheduleCardRefresh(deps, incidentId, { delayMs: CARD_UPDATE_INTERVAL_MS, tries, person });
  try {
    await deps.chat.update(incident.channelId, incident.cardTs, deps.render.incidentCard(await cardView(deps, incident)));
  } catch (e) {
    // The number has moved on: the next refresh writes the latest state (after Retry-After or the
    // budget's pace when throttled, else after a backoff, a bounded number of times).
    const after = retryAfterOf(e);
    if (after !== undefined) return scheduleCardRefresh(deps, incidentId, { delayMs: Math.max(after, CARD_UPDATE_INTERVAL_MS), tries, person });
    if (!isRetryable(e) || tries + 1 >= CARD_MAX_TRIES) throw e;
    deps.log.warn({ err: e, tries }, 'card refresh failed; the next refresh tries again');
    return scheduleCardRefresh(deps, incidentId, { delayMs: CARD_UPDATE_INTERVAL_MS * 2 ** (tries + 1), tries: tries + 1, person });
  }
}

/** What the card shows: the incident and its alerts (and, for a storm, its keys). */
async function cardView(deps: Ports, incident: Incident): Promise<IncidentView> {
  const alerts = await deps.incidents.listAlerts(incident.id);
  return { incident, alerts, ...(isStormIncident(incident) ? { storm: await stormSummary(deps, incident, alerts) } : {}) };
}

export async function acknowledgeIncident(deps: Ports, incidentId: string, userId: string): Promise<{ ok: boolean; message: string }> {
  const nowIso = deps.clock.now().toISOString();
  const { value: incident, changed } = await deps.incidents.update(incidentId, (cur) => {
    if (cur.status !== 'triggered') return undefined;
    return { ...cur, status: 'acknowledged', acknowledgedAt: nowIso, acknowledgedBy: userId, updatedAt: nowIso, roles: cur.roles.commander ? cur.roles : { ...cur.roles, commander: userId } };
  });
  if (!changed) return { ok: false, message: `${incident.id} is already ${incident.status}.` };
  await deps.timeline.append(incidentId, event(deps, 'incident.acknowledged', userId, `Acknowledged by <@${userId}>`), `ack-${nowIso}`);
  await scheduleCardRefresh(deps, incidentId, { person: true });
  return { ok: true, message: `${incident.id} acknowledged.` };
}

export async function resolveIncident(deps: Ports, incidentId: string, actor: string, reason?: string): Promise<{ ok: boolean; message: string }> {
  const nowIso = deps.clock.now().toISOString();
  const { value: incident, changed } = await deps.incidents.update(incidentId, (cur) => {
    if (cur.status === 'resolved') return undefined;
    return { ...cur, status: 'resolved', resolvedAt: nowIso, resolvedBy: actor, updatedAt: nowIso };
  });
  if (!changed) return { ok: false, message: `${incident.id} is already resolved.` };
  const byPerson = actor.startsWith('U');
  const who = byPerson ? `<@${actor}>` : actor;
  await deps.timeline.append(incidentId, event(deps, 'incident.resolved', actor, `Resolved by ${who}${reason ? `: ${reason}` : ''}`), `resolved-${incident.reopenCount}`);
  await scheduleCardRefresh(deps, incidentId, { person: byPerson });
  await deps.queue.enqueue(incidentResolvedJob, { incidentId, reopenCount: incident.reopenCount });
  return { ok: true, message: `${incident.id} resolved.` };
}

/**
 * Reminder job ids: slot n is due at since + n * cadence (since = the last status update, else the
 * opening). Slot 1 has the plain id; later slots carry their number, so replicas, retries and a reopen
 * all land on the same id for the same slot.
 */
export function reminderJobId(incidentId: string, sinceMs: number, slot: number): string {
  return slot <= 1 ? `remind-${incidentId}-${sinceMs}` : `remind-${incidentId}-${sinceMs}-${slot}`;
}

/**
 * Where an incident stands in its reminder cadence: slot n is due at since + n * cadence. `current`
 * is the slot whose time has come (at least 1), `next` the first one still ahead (at least 1).
 * Undefined when the incident gets no reminders (resolved, or no cadence for its severity).
 */
export function reminderSlots(deps: Pick<Ports, 'config' | 'clock'>, incident: Incident): { cadence: number; since: string; sinceMs: number; nowMs: number; current: number; next: number } | undefined {
  const cadence = deps.config.status.cadence[incident.severity];
  if (!cadence || incident.status === 'resolved') return undefined;
  const sinceMs = Date.parse(incident.lastUpdateAt ?? incident.createdAt);
  const nowMs = deps.clock.now().getTime();
  const elapsed = Math.floor((nowMs - sinceMs) / cadence);
  return { cadence, since: new Date(sinceMs).toISOString(), sinceMs, nowMs, current: Math.max(1, elapsed), next: Math.max(1, elapsed + 1) };
}

/**
 * Schedules the status-update reminder of the next slot: slot 1 right after an update or the opening,
 * a later one after a reopen or a reminder. One delayed job per slot (deterministic id: no doubles).
 */
export async function scheduleReminder(deps: Ports, incident: Incident, minDelayMs = 0): Promise<void> {
  const r = reminderSlots(deps, incident);
  if (!r) return;
  await deps.queue.enqueue(remindJob, { incidentId: incident.id, since: r.since, slot: r.next }, { delayMs: Math.max(minDelayMs, r.sinceMs + r.next * r.cadence - r.nowMs) });
}

