/**
 * Input validation as CloudWatch words it. The request body is checked with zod, and its issues are
 * rewritten into the service's own messages, never the schema library's:
 *
 * - a member of the wrong JSON type is a SerializationException (the body cannot be deserialised),
 *   e.g. `STRING_VALUE can not be converted to a Number`;
 * - every constraint violation (the model's min/max/length/enum/pattern, a missing required member)
 *   is listed in one ValidationError, as the service's model validation does:
 *   `1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must
 *   have value less than or equal to 100` (several: `2 validation errors detected: ...; ...`).
 *   Member paths are camelCase, list elements `metricDataQueries.1.member.id`.
 *
 * Constraints are those of the service model (botocore `data/cloudwatch/2010-08-01/service-2.json`).
 */
import { z } from 'zod';
import { CloudWatchFault } from './errors.js';

/** A string member with the model's `pattern` (matched against the whole value, as the service does). */
export function patterned(pattern: string): z.ZodString {
  // The issue message carries the model's pattern; validationMessage() prints it.
  return z.string().regex(new RegExp(`^(?:${pattern})$`, 's'), pattern);
}

function memberPath(path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  for (const p of path) {
    if (typeof p === 'number') parts.push(`${p + 1}`, 'member');
    else {
      const s = String(p);
      parts.push(s.charAt(0).toLowerCase() + s.slice(1));
    }
  }
  return parts.join('.');
}

function renderValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(renderValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${renderValue(x)}`).join(', ')}}`;
  return String(v);
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'Start of list';
  if (v !== null && typeof v === 'object') return 'Start of structure or map';
  if (typeof v === 'string') return 'STRING_VALUE';
  if (typeof v === 'number') return 'NUMBER_VALUE';
  if (typeof v === 'boolean') return v ? 'VALUE_TRUE' : 'VALUE_FALSE';
  return 'VALUE';
}

const TYPE_NAMES: Record<string, string> = { number: 'a Number', string: 'a String', boolean: 'a Boolean', array: 'a List', object: 'a Structure' };

function serializationMessage(issue: z.core.$ZodIssueInvalidType): string {
  const kind = jsonKind(issue.input);
  if (kind.startsWith('Start of')) return `${kind} found where not expected.`;
  return `${kind} can not be converted to ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}`;
}

function constraint(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'bigint'
        ? `Member must have value less than or equal to ${String(issue.maximum)}`
        : `Member must have length less than or equal to ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'bigint'
        ? `Member must have value greater than or equal to ${String(issue.minimum)}`
        : `Member must have length greater than or equal to ${String(issue.minimum)}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    case 'invalid_format':
      return `Member must satisfy regular expression pattern: ${issue.message}`;
    default:
      return issue.message;
  }
}

/** Drops null members (the service treats a JSON null as an absent member). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}

/** `N validation error(s) detected: ...` for a list of `Value ... at ... failed to satisfy constraint: ...` parts. */
export function validationMessage(parts: readonly string[]): string {
  return `${parts.length} validation error${parts.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

/** One part of a validation message. `value` undefined renders as `null` (a missing member). */
export function violation(value: unknown, path: string, constraintText: string): string {
  return `Value ${value === undefined ? 'null' : `'${renderValue(value)}'`} at '${path}' failed to satisfy constraint: ${constraintText}`;
}

/** Parses a request body, or throws the CloudWatchFault the service would answer with. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CloudWatchFault('Serialization', `${jsonKind(input)} found where not expected.`);
  }
  const r = schema.safeParse(withoutNulls(input), { reportInput: true });
  if (r.success) return r.data;
  const issues = r.error.issues;
  const wrongType = issues.find((i): i is z.core.$ZodIssueInvalidType => i.code === 'invalid_type' && i.input !== undefined);
  if (wrongType) throw new CloudWatchFault('Serialization', serializationMessage(wrongType));
  const parts = issues.map((i) => {
    const path = memberPath(i.path);
    if (i.code === 'invalid_type') return violation(undefined, path, 'Member must not be null');
    return violation(i.input, path, constraint(i));
  });
  throw new CloudWatchFault('ValidationError', validationMessage(parts));
}
