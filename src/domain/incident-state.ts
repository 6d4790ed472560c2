/**
 * How stored incidents and alerts change, as pure functions: both the Redis store and its in-memory
 * twin apply exactly these rules (and pass the same contract tests).
 */
import type { Alert } from './alert.js';
import { Incident, IncidentAlert } from './incident.js';

/** What a new incident is made from. */
export type NewIncident = Pick<Incident, 'key' | 'title' | 'severity' | 'source' | 'route' | 'responders'>;

/** The state an alert is compared by: a CloudWatch alarm's own state, else firing/resolved. */
export const alertState = (a: { status: string; cloudwatch?: { state: string } | undefined }) => a.cloudwatch?.state ?? a.status;

/** The stored alert after `alert` was seen at `now`, and whether that is a change (first sight, state or start). */
export function nextAlert(previous: IncidentAlert | undefined, alert: Alert, nowIso: string): { changed: boolean; current: IncidentAlert } {
  if (previous && alertState(previous) === alertState(alert) && previous.startsAt === alert.startsAt) return { changed: false, current: previous };
  const current = IncidentAlert.parse({
    ...alert,
    firstSeenAt: previous?.firstSeenAt ?? nowIso,
    lastSeenAt: nowIso,
    transitions: [...(previous?.transitions ?? []), { at: alert.status === 'resolved' ? (alert.endsAt ?? nowIso) : alert.startsAt, status: alertState(alert) }],
  });
  return { changed: true, current };
}

/** The incident `getOrCreate` writes for a new key (the id is filled in by the store). */
export function newIncident(input: NewIncident, id: string, nowIso: string): Incident {
  return Incident.parse({ id, key: input.key, title: input.title, severity: input.severity, status: 'triggered', source: input.source, route: input.route, responders: input.responders, roles: {}, createdAt: nowIso, updatedAt: nowIso, reopenCount: 0 });
}

/** A resolved incident brought back by a re-fire; undefined when it is not resolved (someone else reopened it). */
export const reopen = (nowIso: string) => (cur: Incident): Incident | undefined => {
  if (cur.status !== 'resolved') return undefined;
  const { resolvedAt: _r, resolvedBy: _b, ...rest } = cur;
  return { ...rest, status: 'triggered', reopenCount: cur.reopenCount + 1, updatedAt: nowIso };
};

/** Whether a resolved incident is still within its reopen window at `now`. */
export const withinReopenWindow = (incident: Incident, now: Date, reopenWindowMs: number) => now.getTime() - (incident.resolvedAt ? Date.parse(incident.resolvedAt) : 0) <= reopenWindowMs;

/** Alerts in the order they were first seen (ties by fingerprint). */
export const byFirstSeen = (a: IncidentAlert, b: IncidentAlert) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.fingerprint.localeCompare(b.fingerprint);
