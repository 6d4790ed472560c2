/**
 * Small helpers shared by the normalisers: zod issue formatting, lenient timestamps, string maps
 * that keep every key, safe links and short hashes. Pure; `node:crypto` only for hashing.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export type ParseResult<K extends string, T> = ({ ok: true } & { [P in K]: T }) | { ok: false; error: string };

/** `alerts[0].labels.severity`; the root is `(root)`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Every issue of a zod error, each with its path: `version: expected "4"; alerts[0].startsAt: ...`. */
export function formatIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): string {
  return error.issues.map((i) => `${formatPath([...prefix, ...i.path])}: ${i.message}`).join('; ');
}

/** JSON.parse with an error that says what went wrong instead of throwing. */
export function parseJsonText(text: string, what: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: `${what} is empty` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: `${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A string-to-string map (Prometheus labels, annotations). `null`/absent means empty (Go marshals a
 * nil map as null). Unlike `z.record`, every key is kept, `__proto__` included (copied with
 * Object.fromEntries, which defines own properties).
 */
export const StringMap = z.unknown().optional().transform((v, ctx): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) {
    ctx.addIssue({ code: 'custom', message: `expected an object of strings, received ${Array.isArray(v) ? 'array' : typeof v}` });
    return z.NEVER;
  }
  const entries: Array<[string, string]> = [];
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      ctx.addIssue({ code: 'custom', path: [k], message: `expected a string, received ${val === null ? 'null' : Array.isArray(val) ? 'array' : typeof val}` });
      continue;
    }
    entries.push([k, val]);
  }
  return Object.fromEntries(entries) as Record<string, string>;
});

/** A copy of a string map that keeps every key (see StringMap). */
export function copyMap(m: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(m)) as Record<string, string>;
}

const TIME_RE = /^(\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Parses RFC3339 (with any fraction, nanoseconds included) and the CloudWatch variant with a
 * `+0000` offset without a colon. Returns undefined for anything else or an impossible date.
 */
export function parseTimestamp(s: string): Date | undefined {
  const m = TIME_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Math.min(Number(sec), 59); // a leap second (60) is clamped
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || Number(sec) > 60) return undefined;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined; // 31 February
  let offsetMin = 0;
  if (!z) {
    const oH = Number(oh);
    const oM = Number(om);
    if (oH > 23 || oM > 59) return undefined;
    offsetMin = (oH * 60 + oM) * (sign === '-' ? -1 : 1);
  }
  const t = date.getTime() - offsetMin * 60_000;
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) return undefined;
  return new Date(t);
}

/** Go's zero time (`0001-01-01T00:00:00Z`): Alertmanager's "no endsAt". Anything in year 1 counts. */
export function isZeroTime(d: Date): boolean {
  return d.getUTCFullYear() <= 1;
}

/** A zod string that must be a timestamp parseTimestamp understands. */
export const Timestamp = z.string().refine((s) => parseTimestamp(s) !== undefined, { message: 'must be an RFC3339 timestamp' });

/** ISO-8601 UTC with milliseconds, or undefined when the text is not a time. */
export function toIsoUtc(s: string): string | undefined {
  const d = parseTimestamp(s);
  return d ? d.toISOString() : undefined;
}

/** An http(s) URL, or undefined (links shown in Slack must not be javascript:, file: ...). */
export function safeHttpUrl(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A BullMQ-safe job id: BullMQ forbids `:` in custom ids and ids that are all digits (they clash
 * with its own numeric ids). Keeps `[A-Za-z0-9._-]`, maps anything else to `_`; the prefix ensures
 * the id is never all digits.
 */
export function jobSafeId(prefix: string, raw: string): string {
  return `${prefix}-${raw.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
