/**
 * The incident's figures (detect, acknowledge, mitigate, resolve, impact window), computed from
 * the timeline and the alerts. Pure: the same input gives the same figures.
 *
 * Where a figure starts:
 * - "opened" is the first `incident.opened` event, else the first `alert.firing` event, else the
 *   incident's createdAt. Acknowledge, mitigate and resolve are measured from it.
 * - detect is measured from the first alert's start (the earliest `startsAt` or firing transition of
 *   any alert) to "opened".
 * Where a figure ends:
 * - acknowledged: the first `incident.acknowledged` (else the incident's acknowledgedAt);
 * - mitigated: the earlier of the first `incident.mitigated` and the first `mitigation.verified`
 *   (else the incident's mitigatedAt);
 * - resolved: the last `incident.resolved`, unless an `incident.reopened` came after it (then the
 *   incident is open again and has no resolve time); with no resolve event, the incident's resolvedAt
 *   when its status is resolved.
 * - the impact window runs from the first alert's start to the last resolved alert's end, and is open
 *   while any alert still fires. With no alerts recorded it is read from the alert events of the timeline.
 *   When the diagnosis found the paging alarm flapping long before the page (its history), the problem
 *   began at the first flap, not at the page: the window and time to detect start there, and the page
 *   is kept beside it.
 * A figure whose end comes before its start (clock skew between senders) is reported as 0.
 */
import type { Incident, IncidentAlert } from '../../domain/incident.js';
import type { TimelineEvent, TimelineKind } from '../../domain/timeline.js';
import { toMs } from './time.js';
import { orderTimeline } from './timeline-page.js';

export interface FiguresInput {
  incident: Incident;
  alerts: readonly IncidentAlert[];
  timeline: readonly TimelineEvent[];
  /** For an open impact window: how long it has lasted so far (elapsedMs). */
  now?: Date;
  /** The paging alarm's history before the page: its first OK→ALARM flap and how many cycles since. */
  flapping?: { firstAt: string; cycles: number };
}

export interface ImpactWindow {
  /** ISO-8601 UTC: the first alert's start, or the first flap when the alarm flapped before the page. */
  startAt?: string;
  /** Set when the problem began before the page: the page (first alert's start) and the flaps before it. */
  beforePage?: { pageAt: string; flaps: number; spanMs: number };
  /** ISO-8601 UTC: the last resolved alert's end; absent while the window is open. */
  endAt?: string;
  /** Something still fires. */
  open: boolean;
  /** Closed windows only. */
  durationMs?: number;
  /** Open windows with `now` given: start to now. */
  elapsedMs?: number;
}

export interface Figures {
  firstAlertAt?: string;
  openedAt?: string;
  acknowledgedAt?: string;
  mitigatedAt?: string;
  resolvedAt?: string;
  /** First alert start -> opened. */
  timeToDetectMs?: number;
  /** Opened -> first acknowledged. */
  timeToAcknowledgeMs?: number;
  /** Opened -> first mitigated or verified mitigation. */
  timeToMitigateMs?: number;
  /** Opened -> last resolved. */
  timeToResolveMs?: number;
  impact: ImpactWindow;
  /** How many times an alert went (back) to firing. */
  firingCount: number;
  /** `incident.reopened` events, or the incident's reopenCount when higher. */
  reopenCount: number;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

function finite(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

function span(from: number | undefined, to: number | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return Math.max(0, to - from);
}

function minOf(values: Iterable<number | undefined>): number | undefined {
  let best: number | undefined;
  for (const v of values) if (v !== undefined && Number.isFinite(v) && (best === undefined || v < best)) best = v;
  return best;
}

function maxOf(values: Iterable<number | undefined>): number | undefined {
  let best: number | undefined;
  for (const v of values) if (v !== undefined && Number.isFinite(v) && (best === undefined || v > best)) best = v;
  return best;
}

/** A transition status as firing/resolved (Alertmanager words or CloudWatch states). */
export function transitionState(status: string): 'firing' | 'resolved' | 'other' {
  const s = status.toLowerCase();
  if (s === 'firing' || s === 'alarm') return 'firing';
  if (s === 'resolved' || s === 'ok') return 'resolved';
  return 'other';
}

/** The alert's first start: the earliest of startsAt and its firing transitions. */
export function alertStartMs(alert: IncidentAlert): number | undefined {
  return minOf([finite(toMs(alert.startsAt)), ...alert.transitions.filter((t) => transitionState(t.status) === 'firing').map((t) => finite(toMs(t.at)))]);
}

/** The alert's end when it is resolved: endsAt, else its last resolved transition, else lastSeenAt. */
function alertEndMs(alert: IncidentAlert): number | undefined {
  const endsAt = finite(toMs(alert.endsAt));
  if (endsAt !== undefined) return endsAt;
  const resolved = maxOf(alert.transitions.filter((t) => transitionState(t.status) === 'resolved').map((t) => finite(toMs(t.at))));
  return resolved ?? finite(toMs(alert.lastSeenAt));
}

function firingsOf(alert: IncidentAlert): number {
  const n = alert.transitions.filter((t) => transitionState(t.status) === 'firing').length;
  return n > 0 ? n : 1;
}

export function computeFigures(input: FiguresInput): Figures {
  const { incident, alerts } = input;
  const timeline = orderTimeline(input.timeline);
  const firstOf = (...kinds: TimelineKind[]): number | undefined => {
    const e = timeline.find((ev) => kinds.includes(ev.kind) && Number.isFinite(toMs(ev.at)));
    return e ? toMs(e.at) : undefined;
  };
  const lastIndexOf = (kind: TimelineKind): number => {
    for (let i = timeline.length - 1; i >= 0; i--) {
      const ev = timeline[i];
      if (ev && ev.kind === kind && Number.isFinite(toMs(ev.at))) return i;
    }
    return -1;
  };

  const alertEvents = timeline.filter((e) => e.kind === 'alert.firing' || e.kind === 'alert.resolved');

  // Impact window.
  let impactStart: number | undefined;
  let impactEnd: number | undefined;
  let open: boolean;
  let firingCount: number;
  if (alerts.length > 0) {
    impactStart = minOf(alerts.map(alertStartMs));
    open = alerts.some((a) => a.status === 'firing');
    impactEnd = open ? undefined : maxOf(alerts.map(alertEndMs));
    firingCount = alerts.reduce((n, a) => n + firingsOf(a), 0);
  } else {
    impactStart = firstOf('alert.firing');
    const last = alertEvents.at(-1);
    open = last?.kind === 'alert.firing';
    impactEnd = open || last === undefined ? undefined : toMs(last.at);
    firingCount = alertEvents.filter((e) => e.kind === 'alert.firing').length;
  }

  // A flapping alarm: the problem began at its first flap, hours before the page perhaps.
  let beforePage: ImpactWindow['beforePage'];
  const firstFlap = finite(toMs(input.flapping?.firstAt));
  if (input.flapping && firstFlap !== undefined && impactStart !== undefined && firstFlap < impactStart) {
    beforePage = { pageAt: new Date(impactStart).toISOString(), flaps: input.flapping.cycles, spanMs: impactStart - firstFlap };
    impactStart = firstFlap;
  }

  const openedAt = firstOf('incident.opened') ?? firstOf('alert.firing') ?? finite(toMs(incident.createdAt));
  const acknowledgedAt = firstOf('incident.acknowledged') ?? finite(toMs(incident.acknowledgedAt));
  const mitigatedAt = minOf([firstOf('incident.mitigated'), firstOf('mitigation.verified')]) ?? finite(toMs(incident.mitigatedAt));

  let resolvedAt: number | undefined;
  const lastResolved = lastIndexOf('incident.resolved');
  const lastReopened = lastIndexOf('incident.reopened');
  if (lastResolved >= 0) {
    const ev = timeline[lastResolved];
    resolvedAt = lastReopened > lastResolved || ev === undefined ? undefined : toMs(ev.at);
  } else if (incident.status === 'resolved') {
    resolvedAt = finite(toMs(incident.resolvedAt));
  }

  const reopenEvents = timeline.filter((e) => e.kind === 'incident.reopened').length;
  const now = input.now?.getTime();

  return {
    firstAlertAt: iso(impactStart),
    openedAt: iso(openedAt),
    acknowledgedAt: iso(acknowledgedAt),
    mitigatedAt: iso(mitigatedAt),
    resolvedAt: iso(resolvedAt),
    timeToDetectMs: span(impactStart, openedAt),
    timeToAcknowledgeMs: span(openedAt, acknowledgedAt),
    timeToMitigateMs: span(openedAt, mitigatedAt),
    timeToResolveMs: span(openedAt, resolvedAt),
    impact: {
      startAt: iso(impactStart),
      ...(beforePage ? { beforePage } : {}),
      endAt: iso(impactEnd),
      open,
      durationMs: open ? undefined : span(impactStart, impactEnd),
      elapsedMs: open && now !== undefined && Number.isFinite(now) ? span(impactStart, now) : undefined,
    },
    firingCount,
    reopenCount: Math.max(reopenEvents, incident.reopenCount),
  };
}

/**
 * Human duration, the two largest units: `1h 23m`, `12m 5s`, `45s`, `2d 3h`, `0s`.
 * Sub-second remainders are dropped; negative durations read as 0s.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return '0s';
  const total = Math.floor(ms / 1000);
  const units: [string, number][] = [
    ['d', Math.floor(total / 86_400)],
    ['h', Math.floor((total % 86_400) / 3600)],
    ['m', Math.floor((total % 3600) / 60)],
    ['s', total % 60],
  ];
  const first = units.findIndex(([, v]) => v > 0);
  const shown = units.slice(first, first + 2).filter(([, v]) => v > 0);
  return shown.map(([u, v]) => `${v}${u}`).join(' ');
}
