/**
 * Slack channel names for incidents (protocols.md 5.1): lowercase letters, digits, `-` and `_`,
 * at most 80 characters. A template from the config such as `{id}-{service}-{symptom}` is filled in;
 * the incident id is never cut: the slug is shortened first, then the other placeholders, then the
 * template's literal text.
 */
import { AppError } from '../errors.js';
import type { Severity } from './alert.js';

export const CHANNEL_NAME_MAX = 80;
export const CHANNEL_NAME_RE = /^[a-z0-9_-]{1,80}$/;
export const TEMPLATE_PLACEHOLDERS = ['date', 'id', 'slug', 'sev', 'service', 'symptom'] as const;
/** `inc-42-data-service-latency`: the id, the service and the symptom (domain/naming.ts). */
export const DEFAULT_CHANNEL_TEMPLATE = '{id}-{service}-{symptom}';
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

export interface ChannelNameInput {
  /** e.g. `{id}-{service}-{symptom}`. Without `{id}`, the id is put in front. */
  template: string;
  /** INC-42: kept whole (lowercased: `inc-42`). */
  incidentId: string;
  /** `{date}` is this day in UTC as YYYYMMDD. */
  date: Date;
  /** `{slug}` is made from it. */
  title: string;
  /** `{sev}`: `sev1`. */
  severity: Severity;
  /** `{service}`; empty when absent. */
  service?: string;
  /** `{symptom}` (latency, 5xx, crashloop...); empty when absent. */
  symptom?: string;
}

/** Letters that NFKD does not decompose into ASCII. */
const FOLD: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  ı: 'i',
  ŋ: 'n',
  ħ: 'h',
};

/** Folds and replaces disallowed characters (runs -> one `-`) without trimming the ends. */
function sanitise(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[ßæœøđðþłıŋħ]/g, (c) => FOLD[c] ?? '-')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-');
}

/**
 * Lowercase, unicode folded (NFKD, diacritics stripped), only `[a-z0-9_-]`, runs of anything else
 * turned into one `-`, no `-` at either end.
 */
export function slugify(text: string): string {
  return sanitise(text).replace(/^-+|-+$/g, '');
}

/** Problems of a template, for config validation: unknown placeholders, unbalanced braces. */
export function validateChannelTemplate(template: string): string[] {
  const issues: string[] = [];
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1] ?? '';
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      issues.push(`unknown placeholder {${name}} (known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
    }
  }
  const stripped = template.replace(/\{[^{}]*\}/g, '');
  if (/[{}]/.test(stripped)) issues.push('unbalanced { or }');
  if (!template.includes('{id}')) issues.push('no {id}: the incident id will be put in front');
  return issues;
}

type Part = { kind: 'literal' | TemplatePlaceholder; text: string };

function yyyymmdd(d: Date): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new AppError('bad_request', 'channel name: invalid date');
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${y}${m}${day}`;
}

/** The sanitised id, or an error if it cannot be a channel name on its own. */
export function channelId(incidentId: string, room = 0): string {
  const id = slugify(incidentId);
  if (!/[a-z0-9]/.test(id)) throw new AppError('bad_request', `channel name: incident id ${JSON.stringify(incidentId)} has no letters or digits`);
  if (id.length + room > CHANNEL_NAME_MAX) throw new AppError('bad_request', `channel name: incident id ${JSON.stringify(incidentId)} is too long`);
  return id;
}

function parseTemplate(template: string, values: Record<TemplatePlaceholder, string>): Part[] {
  const parts: Part[] = [];
  let last = 0;
  let hasId = false;
  for (const m of template.matchAll(/\{(date|id|slug|sev|service|symptom)\}/g)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ kind: 'literal', text: sanitise(template.slice(last, at)) });
    const kind = m[1] as TemplatePlaceholder;
    if (kind === 'id') hasId = true;
    parts.push({ kind, text: values[kind] });
    last = at + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'literal', text: sanitise(template.slice(last)) });
  if (!hasId) parts.unshift({ kind: 'id', text: values.id }, { kind: 'literal', text: '-' });
  return parts;
}

/** Concatenates the parts; empty placeholders leave `--`, collapsed here, and no `-` at the ends. */
function assemble(parts: ReadonlyArray<Part>): string {
  return parts
    .map((p) => p.text)
    .join('')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Cuts `text` to at most `max` characters, at a `-` when one is near the end, without trailing `-`. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let s = text.slice(0, max);
  const dash = s.lastIndexOf('-');
  if (dash >= Math.floor(max * 0.6)) s = s.slice(0, dash);
  return s.replace(/[-_]+$/g, '');
}

const SHRINK_ORDER: ReadonlyArray<Part['kind']> = ['slug', 'date', 'sev', 'service', 'symptom', 'literal'];

/**
 * Builds the channel name. Always matches `^[a-z0-9_-]{1,80}$` and contains the sanitised incident
 * id (`INC-42` -> `inc-42`); throws AppError('bad_request') only when the id alone cannot fit.
 */
export function channelName(input: ChannelNameInput, room = 0): string {
  const max = CHANNEL_NAME_MAX - room;
  const id = channelId(input.incidentId, room);
  const parts = parseTemplate(input.template, {
    date: slugify(yyyymmdd(input.date)),
    id,
    slug: slugify(input.title),
    sev: slugify(input.severity),
    service: slugify(input.service ?? ''),
    symptom: slugify(input.symptom ?? ''),
  });
  let name = assemble(parts);
  // Shrink in order until it fits; each step strictly shortens one part, so this terminates.
  while (name.length > max) {
    const excess = name.length - max;
    const victim = SHRINK_ORDER.flatMap((k) => parts.filter((p) => p.kind === k && p.text !== '')).find((p) => p.kind !== 'id');
    if (!victim) break; // only the id is left, and it fits (checked by channelId)
    victim.text = cut(victim.text, Math.max(0, victim.text.length - excess));
    name = assemble(parts);
  }
  return name;
}

/**
 * The name to retry with after `name_taken`: `-2`, `-3`, ... appended, still at most 80 characters,
 * the id intact (the text around it is cut first, from the end).
 */
export function withSuffix(name: string, n: number, incidentId: string): string {
  if (!Number.isSafeInteger(n) || n < 2) throw new AppError('bad_request', `channel name suffix must be an integer >= 2, got ${n}`);
  const suffix = `-${n}`;
  const id = channelId(incidentId, suffix.length);
  const max = CHANNEL_NAME_MAX - suffix.length;
  const base = slugify(name);
  const at = base.indexOf(id);
  if (at < 0) {
    // Not a name built for this id: put the id in front of whatever fits.
    const rest = cut(base, max - id.length - 1);
    return `${rest === '' ? id : `${id}-${rest}`}${suffix}`;
  }
  if (base.length <= max) return `${base}${suffix}`;
  let before = base.slice(0, at);
  let after = base.slice(at + id.length);
  let excess = base.length - max;
  if (excess > 0 && after !== '') {
    const keep = Math.max(0, after.length - excess);
    const next = keep === 0 ? '' : after.slice(0, keep).replace(/[-_]+$/g, '');
    excess -= after.length - next.length;
    after = next;
  }
  if (excess > 0) {
    // Cut the text in front of the id from its end, keeping a `-` before the id.
    const keep = before.length - excess;
    const head = keep <= 1 ? '' : before.slice(0, keep - 1).replace(/[-_]+$/g, '');
    before = head === '' ? '' : `${head}-`;
  }
  const joined = `${before}${id}${after}`.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  return `${joined}${suffix}`;
}
