import { describe, expect, it } from 'vitest';
import { TimelineEvent, type TimelineKind } from '../../src/domain/timeline.js';
import { isAppError } from '../../src/errors.js';
import { formatTimelineLine, pageTimeline } from '../../src/workflows/postmortem/timeline-page.js';

function ev(at: string, kind: TimelineKind, actor: string, text: string): TimelineEvent {
  return TimelineEvent.parse({ at, kind, actor, text });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAppError(e) ? e.code : 'not-an-app-error';
  }
  return undefined;
}

describe('pageTimeline', () => {
  const events = Array.from({ length: 7 }, (_, i) => ev(new Date(Date.UTC(2026, 10, 21, 9, i)).toISOString(), 'incident.note', 'U1', `n${i}`));

  it('cuts the timeline into pages of the given size, in time order', () => {
    const reversed = [...events].reverse();
    expect(pageTimeline(reversed, 1, 3)).toEqual({ events: events.slice(0, 3), page: 1, pageCount: 3 });
    expect(pageTimeline(reversed, 3, 3)).toEqual({ events: events.slice(6), page: 3, pageCount: 3 });
  });

  it('keeps events of the same second in insertion order across a page boundary', () => {
    const same = ['a', 'b', 'c', 'd'].map((t) => ev('2026-11-21T09:00:00Z', 'incident.note', 'U1', t));
    const texts = [1, 2].flatMap((p) => pageTimeline(same, p, 2).events.map((e) => e.text));
    expect(texts).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives the nearest page for a page past either end, and one empty page for an empty timeline', () => {
    expect(pageTimeline(events, 99, 3).page).toBe(3);
    expect(pageTimeline(events, 0, 3).page).toBe(1);
    expect(pageTimeline([], 1, 10)).toEqual({ events: [], page: 1, pageCount: 1 });
  });

  it('refuses a page size below 1 or a fractional page', () => {
    expect(codeOf(() => pageTimeline(events, 1, 0))).toBe('bad_request');
    expect(codeOf(() => pageTimeline(events, 1.5, 3))).toBe('bad_request');
  });
});

describe('formatTimelineLine', () => {
  it('shows UTC and the local time with its zone, the actor as a mention, and the text', () => {
    expect(formatTimelineLine(ev('2026-11-21T09:14:03Z', 'incident.acknowledged', 'U1ABC', 'acknowledged'), 'Europe/Berlin')).toBe(
      '2026-11-21 09:14 UTC (10:14 CET) · <@U1ABC> · acknowledged',
    );
    expect(formatTimelineLine(ev('2026-07-01T09:14:03Z', 'incident.acknowledged', 'U1ABC', 'acknowledged'), 'Europe/Berlin')).toBe(
      '2026-07-01 09:14 UTC (11:14 CEST) · <@U1ABC> · acknowledged',
    );
  });

  it('adds the local date when it is another day, and leaves the bracket out for UTC', () => {
    const late = ev('2026-11-21T23:30:00Z', 'incident.update', 'warroom', 'late');
    expect(formatTimelineLine(late, 'Europe/Berlin')).toBe('2026-11-21 23:30 UTC (2026-11-22 00:30 CET) · warroom · late');
    expect(formatTimelineLine(late, 'America/New_York')).toBe('2026-11-21 23:30 UTC (18:30 EST) · warroom · late');
    expect(formatTimelineLine(late, 'UTC')).toBe('2026-11-21 23:30 UTC · warroom · late');
  });

  it('escapes the text so mentions inside it cannot ping, folds newlines, and names the kind when there is no text', () => {
    const line = formatTimelineLine(ev('2026-11-21T09:14:03Z', 'alert.firing', 'alertmanager', 'team=<!channel> owner=<@U999>\nmore & more'), 'UTC');
    expect(line).toBe('2026-11-21 09:14 UTC · alertmanager · team=&lt;!channel&gt; owner=&lt;@U999&gt; more &amp; more');
    expect(formatTimelineLine(ev('2026-11-21T09:14:03Z', 'incident.mitigated', 'U1ABC', ''), 'UTC')).toBe('2026-11-21 09:14 UTC · <@U1ABC> · mitigated');
  });

  it('refuses an unknown zone with a config error', () => {
    expect(codeOf(() => formatTimelineLine(ev('2026-11-21T09:14:03Z', 'incident.note', 'U1', 'x'), 'Nowhere/Atlantis'))).toBe('config');
  });
});
