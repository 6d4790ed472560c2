import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Incident, IncidentAlert } from '../../src/domain/incident.js';
import { TimelineEvent, type TimelineKind } from '../../src/domain/timeline.js';
import { computeFigures, formatDuration } from '../../src/workflows/postmortem/figures.js';

const T0 = Date.parse('2026-11-21T09:00:00Z');
const iso = (offsetSec: number): string => new Date(T0 + offsetSec * 1000).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;

function incident(extra: Partial<Incident> = {}): Incident {
  return Incident.parse({
    id: 'INC-7',
    key: 'k',
    title: 't',
    severity: 'SEV2',
    status: 'triggered',
    source: 'alertmanager',
    route: 'default',
    createdAt: iso(0),
    updatedAt: iso(0),
    ...extra,
  });
}

function alert(fingerprint: string, extra: Partial<IncidentAlert>): IncidentAlert {
  return IncidentAlert.parse({
    source: 'alertmanager',
    fingerprint,
    status: 'firing',
    name: `Alert-${fingerprint}`,
    severity: 'SEV2',
    labels: {},
    annotations: {},
    startsAt: iso(0),
    firstSeenAt: iso(0),
    lastSeenAt: iso(0),
    ...extra,
  });
}

function ev(offsetSec: number, kind: TimelineKind, actor = 'warroom'): TimelineEvent {
  return TimelineEvent.parse({ at: iso(offsetSec), kind, actor, text: kind });
}

describe('computeFigures', () => {
  it('measures detect, acknowledge, mitigate and resolve from the timeline when they happen in order', () => {
    const timeline = [
      ev(-90, 'alert.firing', 'alertmanager'),
      ev(30, 'incident.opened'),
      ev(5 * 60, 'incident.acknowledged', 'U1'),
      ev(40 * 60, 'incident.mitigated', 'U1'),
      ev(2 * 3600, 'incident.resolved', 'U1'),
    ];
    const alerts = [alert('a', { startsAt: iso(-90), status: 'resolved', endsAt: iso(3600) })];
    const f = computeFigures({ incident: incident({ status: 'resolved' }), alerts, timeline });

    expect(f.timeToDetectMs).toBe(2 * M);
    expect(f.timeToAcknowledgeMs).toBe(4 * M + 30 * S);
    expect(f.timeToMitigateMs).toBe(39 * M + 30 * S);
    expect(f.timeToResolveMs).toBe(H + 59 * M + 30 * S);
    expect(f.openedAt).toBe(iso(30));
    expect(f.acknowledgedAt).toBe(iso(300));
    expect(f.resolvedAt).toBe(iso(7200));
    expect(f.impact).toEqual({ startAt: iso(-90), endAt: iso(3600), open: false, durationMs: H + 90 * S, elapsedMs: undefined });
    expect(f.firingCount).toBe(1);
    expect(f.reopenCount).toBe(0);
  });

  it('takes the first acknowledgement and the earlier of mitigated and verified mitigation', () => {
    const timeline = [
      ev(0, 'incident.opened'),
      ev(60, 'incident.acknowledged', 'U1'),
      ev(120, 'incident.acknowledged', 'U2'),
      ev(600, 'mitigation.verified'),
      ev(900, 'incident.mitigated', 'U1'),
    ];
    const f = computeFigures({ incident: incident(), alerts: [], timeline });
    expect(f.timeToAcknowledgeMs).toBe(M);
    expect(f.timeToMitigateMs).toBe(10 * M);

    const manual = computeFigures({ incident: incident(), alerts: [], timeline: [ev(0, 'incident.opened'), ev(300, 'incident.mitigated', 'U1'), ev(600, 'mitigation.verified')] });
    expect(manual.timeToMitigateMs).toBe(5 * M);
  });

  it('orders the timeline by time itself: events stored out of order give the same figures', () => {
    const ordered = [ev(0, 'incident.opened'), ev(120, 'incident.acknowledged', 'U1'), ev(300, 'incident.acknowledged', 'U2'), ev(900, 'incident.resolved', 'U1')];
    const shuffled = [ordered[3], ordered[2], ordered[0], ordered[1]].filter((e): e is TimelineEvent => e !== undefined);
    const a = computeFigures({ incident: incident(), alerts: [], timeline: ordered });
    const b = computeFigures({ incident: incident(), alerts: [], timeline: shuffled });
    expect(b).toEqual(a);
    expect(b.timeToAcknowledgeMs).toBe(2 * M);
  });

  it('leaves acknowledge undefined for an incident nobody acknowledged', () => {
    const timeline = [ev(0, 'alert.firing', 'alertmanager'), ev(5, 'incident.opened'), ev(3600, 'incident.resolved', 'warroom')];
    const f = computeFigures({ incident: incident({ status: 'resolved' }), alerts: [], timeline });
    expect(f.acknowledgedAt).toBeUndefined();
    expect(f.timeToAcknowledgeMs).toBeUndefined();
    expect(f.timeToMitigateMs).toBeUndefined();
    expect(f.timeToResolveMs).toBe(3600 * S - 5 * S);
  });

  it("falls back to the incident's own timestamps when the timeline lacks the event", () => {
    const inc = incident({ createdAt: iso(10), acknowledgedAt: iso(70), mitigatedAt: iso(610), status: 'resolved', resolvedAt: iso(1210) });
    const f = computeFigures({ incident: inc, alerts: [], timeline: [] });
    expect(f.openedAt).toBe(iso(10));
    expect(f.timeToAcknowledgeMs).toBe(M);
    expect(f.timeToMitigateMs).toBe(10 * M);
    expect(f.timeToResolveMs).toBe(20 * M);
  });

  it('measures resolve to the last resolve of a reopened incident', () => {
    const timeline = [
      ev(0, 'incident.opened'),
      ev(60, 'incident.acknowledged', 'U1'),
      ev(600, 'incident.resolved', 'U1'),
      ev(900, 'incident.reopened', 'warroom'),
      ev(2400, 'incident.resolved', 'U1'),
    ];
    const f = computeFigures({ incident: incident({ status: 'resolved', reopenCount: 1 }), alerts: [], timeline });
    expect(f.resolvedAt).toBe(iso(2400));
    expect(f.timeToResolveMs).toBe(40 * M);
    expect(f.reopenCount).toBe(1);
  });

  it('has no resolve time while a reopened incident is open again', () => {
    const timeline = [ev(0, 'incident.opened'), ev(600, 'incident.resolved', 'U1'), ev(900, 'incident.reopened', 'warroom')];
    const f = computeFigures({ incident: incident({ status: 'triggered', reopenCount: 1, resolvedAt: iso(600) }), alerts: [], timeline });
    expect(f.resolvedAt).toBeUndefined();
    expect(f.timeToResolveMs).toBeUndefined();
    expect(f.reopenCount).toBe(1);
  });

  it('keeps the impact window open while any alert still fires, and reports how long so far', () => {
    const alerts = [
      alert('a', { startsAt: iso(0), status: 'resolved', endsAt: iso(600) }),
      alert('b', { startsAt: iso(300), status: 'firing' }),
    ];
    const f = computeFigures({ incident: incident(), alerts, timeline: [ev(10, 'incident.opened')], now: new Date(T0 + 2 * H) });
    expect(f.impact.open).toBe(true);
    expect(f.impact.startAt).toBe(iso(0));
    expect(f.impact.endAt).toBeUndefined();
    expect(f.impact.durationMs).toBeUndefined();
    expect(f.impact.elapsedMs).toBe(2 * H);

    const closed = computeFigures({ incident: incident(), alerts: [alerts[0] as IncidentAlert, alert('b', { startsAt: iso(300), status: 'resolved', endsAt: iso(1800) })], timeline: [] });
    expect(closed.impact).toMatchObject({ open: false, endAt: iso(1800), durationMs: 30 * M });
  });

  it('starts the impact window at the first firing transition of a flapping alert, not its latest startsAt', () => {
    const flapping = alert('cw', {
      source: 'cloudwatch',
      status: 'resolved',
      startsAt: iso(3000),
      endsAt: iso(3300),
      transitions: [
        { at: iso(0), status: 'firing' },
        { at: iso(300), status: 'resolved' },
        { at: iso(1200), status: 'ALARM' },
        { at: iso(1500), status: 'OK' },
        { at: iso(3000), status: 'firing' },
        { at: iso(3300), status: 'resolved' },
      ],
    });
    const f = computeFigures({ incident: incident(), alerts: [flapping], timeline: [ev(20, 'incident.opened')] });
    expect(f.impact.startAt).toBe(iso(0));
    expect(f.impact.durationMs).toBe(55 * M);
    expect(f.firingCount).toBe(3);
    expect(f.timeToDetectMs).toBe(20 * S);
  });

  it('reads the impact window from alert events when no alerts are recorded', () => {
    const timeline = [ev(0, 'alert.firing', 'alertmanager'), ev(5, 'incident.opened'), ev(600, 'alert.resolved', 'alertmanager'), ev(700, 'alert.firing', 'alertmanager')];
    const open = computeFigures({ incident: incident(), alerts: [], timeline });
    expect(open.impact).toMatchObject({ startAt: iso(0), open: true });
    expect(open.firingCount).toBe(2);
    const closed = computeFigures({ incident: incident(), alerts: [], timeline: [...timeline, ev(900, 'alert.resolved', 'alertmanager')] });
    expect(closed.impact).toMatchObject({ startAt: iso(0), endAt: iso(900), open: false, durationMs: 15 * M });
  });

  it('reports 0 rather than a negative figure when a sender clock ran ahead', () => {
    const f = computeFigures({ incident: incident(), alerts: [alert('a', { startsAt: iso(60) })], timeline: [ev(0, 'incident.opened'), ev(-30, 'incident.acknowledged', 'U1')] });
    expect(f.timeToDetectMs).toBe(0);
    expect(f.timeToAcknowledgeMs).toBe(0);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [12 * M + 5 * S, '12m 5s'],
    [5 * M, '5m'],
    [H + 23 * M + 59 * S, '1h 23m'],
    [H, '1h'],
    [H + 30 * S, '1h'],
    [26 * H + 5 * M, '1d 2h'],
    [-5 * S, '0s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('never overstates and drops less than one unit below the largest shown', () => {
    const unit: Record<string, number> = { d: 24 * H, h: H, m: M, s: S };
    const below: Record<string, number> = { d: H, h: M, m: S, s: S };
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 40 * 24 * H }), (ms) => {
        const text = formatDuration(ms);
        expect(text).toMatch(/^\d+[dhms]( \d+[dhms])?$/);
        const parts = text.split(' ').map((p) => ({ n: Number(p.slice(0, -1)), u: p.slice(-1) }));
        const shown = parts.reduce((sum, p) => sum + p.n * (unit[p.u] ?? Number.NaN), 0);
        const largest = parts[0]?.u ?? 's';
        expect(shown).toBeLessThanOrEqual(ms);
        expect(ms - shown).toBeLessThan(below[largest] ?? Number.NaN);
      }),
    );
  });
});

describe('a flapping alarm: the problem began at the first flap, not at the page', () => {
  const page = alert('cw', { startsAt: iso(0), status: 'resolved', endsAt: iso(20 * 60), transitions: [{ status: 'firing', at: iso(0) }, { status: 'resolved', at: iso(20 * 60) }] });
  const events = [ev(4, 'incident.opened'), ev(20 * 60, 'incident.resolved')];

  it('the window and time to detect start at the first flap, 4h 35m before the page, with the flaps counted', () => {
    const f = computeFigures({ incident: incident(), alerts: [page], timeline: events, flapping: { firstAt: iso(-(4 * 3600 + 35 * 60)), cycles: 9 } });
    expect(f.impact.startAt).toBe(iso(-(4 * 3600 + 35 * 60)));
    expect(f.impact.beforePage).toEqual({ pageAt: iso(0), flaps: 9, spanMs: 4 * H + 35 * M });
    expect(f.impact.durationMs).toBe(4 * H + 55 * M);
    expect(f.timeToDetectMs).toBe(4 * H + 35 * M + 4 * S);
  });

  it('without flapping before the page, the page starts the window as before', () => {
    const f = computeFigures({ incident: incident(), alerts: [page], timeline: events });
    expect(f.impact.startAt).toBe(iso(0));
    expect(f.impact.beforePage).toBeUndefined();
    expect(f.impact.durationMs).toBe(20 * M);
  });
});
