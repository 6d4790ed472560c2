/**
 * Time formatting for the post-mortem and the timeline view: UTC with the date, and the same
 * instant in a configured IANA zone through Intl.DateTimeFormat (DST handled by the ICU data,
 * no extra dependency). Pure functions; the formatters are memoised per zone.
 */
import { AppError } from '../../errors.js';

/** Milliseconds since the epoch, or NaN for an unparseable timestamp. */
export function toMs(iso: string | undefined): number {
  if (iso === undefined) return Number.NaN;
  return Date.parse(iso);
}

/**
 * Items by time, ties (and unparseable or missing times, which go last) kept in input order.
 * Returns a new array; the input is not touched.
 */
export function sortByTime<T>(items: readonly T[], at: (item: T) => string | undefined): T[] {
  return items
    .map((item, index) => {
      const ms = toMs(at(item));
      return { item, index, ms: Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY };
    })
    .sort((a, b) => (a.ms !== b.ms ? (a.ms < b.ms ? -1 : 1) : a.index - b.index))
    .map((x) => x.item);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-21 09:14:03` (or `2026-11-21 09:14` without seconds), in UTC. Undefined for a bad timestamp. */
export function formatUtc(ms: number, opts: { seconds?: boolean } = {}): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return opts.seconds === false ? `${date} ${time}` : `${date} ${time}:${pad(d.getUTCSeconds())}`;
}

interface ZoneFormatters {
  parts: Intl.DateTimeFormat;
  names: Intl.DateTimeFormat[];
}

const formatterCache = new Map<string, ZoneFormatters>();

/**
 * Throws AppError('config') unless `tz` is an IANA zone Intl knows.
 * Returns the zone as given (Intl accepts it case-insensitively; we keep the configured spelling).
 */
export function assertTimeZone(tz: string): string {
  zoneFormatters(tz);
  return tz;
}

function zoneFormatters(tz: string): ZoneFormatters {
  const cached = formatterCache.get(tz);
  if (cached) return cached;
  let made: ZoneFormatters;
  try {
    made = {
      parts: new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }),
      // en-US names the American zones (EST, EDT, PST); en-GB the European ones (CET, CEST, BST).
      // Where neither has an abbreviation, ICU gives GMT+5:30 and that is what we show.
      names: ['en-US', 'en-GB'].map((locale) => new Intl.DateTimeFormat(locale, { timeZone: tz, timeZoneName: 'short' })),
    };
  } catch (e) {
    throw new AppError('config', `unknown time zone ${JSON.stringify(tz)}: use an IANA name such as Europe/Berlin`, { cause: e });
  }
  formatterCache.set(tz, made);
  return made;
}

function zoneName(f: ZoneFormatters, d: Date): string {
  let fallback = '';
  for (const names of f.names) {
    const name = names.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (name !== '' && !/^(GMT|UTC)[+\-−]/.test(name)) return name;
    if (fallback === '') fallback = name;
  }
  return fallback;
}

export interface ZonedTime {
  /** `2026-11-21` in the zone. */
  date: string;
  /** `10:14:03` in the zone. */
  time: string;
  /** `CET`, `CEST`, `EST`, `UTC`, or `GMT+5:30` where the zone has no abbreviation. */
  zone: string;
}

export function zonedTime(ms: number, tz: string): ZonedTime | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const f = zoneFormatters(tz);
  const d = new Date(ms);
  const parts: Record<string, string> = {};
  for (const p of f.parts.formatToParts(d)) parts[p.type] = p.value;
  return {
    date: `${parts.year ?? ''}-${parts.month ?? ''}-${parts.day ?? ''}`,
    time: `${parts.hour ?? ''}:${parts.minute ?? ''}:${parts.second ?? ''}`,
    zone: zoneName(f, d),
  };
}

/** `2026-11-21 10:14:03 CET` (or without seconds). Undefined for a bad timestamp. */
export function formatZoned(ms: number, tz: string, opts: { seconds?: boolean } = {}): string | undefined {
  const z = zonedTime(ms, tz);
  if (!z) return undefined;
  const time = opts.seconds === false ? z.time.slice(0, 5) : z.time;
  return `${z.date} ${time} ${z.zone}`;
}
