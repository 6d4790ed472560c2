/**
 * Lenient scalars of CloudWatch alarm payloads. Real messages carry string booleans
 * (`"ReturnData":"True"`), numbers as strings, a junk prefix in `TreatMissingData`
 * (`"- TreatMissingData:   missing"`), `Dimensions: ""`, and actions as a string (`"[arn...]"`) or
 * `""` (reference/protocols.md 3.1).
 */
import { z } from 'zod';
import type { Dimension } from '../../alert.js';
import { parseTimestamp } from '../common.js';

export const looseNumber = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, 'must be a number')
    .transform(Number),
]);

export const looseBool = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((s) => s === 'true'),
]);

export const looseString = z.union([z.string(), z.number().transform(String)]);

/** Actions: an array, or the string forms `"[arn1, arn2]"` / `""` seen in older captures. */
export const Actions = z
  .union([
    z.array(z.string()),
    z.string().transform((s) =>
      s
        .trim()
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((x) => x.trim().replace(/^"|"$/g, ''))
        .filter((x) => x !== ''),
    ),
    z.null().transform((): string[] => []),
  ])
  .optional()
  .transform((v) => v ?? []);

/** `[{value, name}]`, or `""`/null when there are none. */
export const SnsDimensions = z
  .union([z.array(z.object({ name: z.string(), value: looseString })), z.literal(''), z.null()])
  .optional()
  .transform((v): Dimension[] => (Array.isArray(v) ? v.map((d) => ({ name: d.name, value: d.value })) : []));

/** `"- TreatMissingData:                    missing"` -> `missing`; `""` -> undefined. */
export function cleanTreatMissingData(s: string | null | undefined): string | undefined {
  if (s === null || s === undefined) return undefined;
  const v = s.replace(/^\s*-?\s*TreatMissingData\s*:\s*/i, '').trim();
  return v === '' ? undefined : v;
}

/** The string, or undefined when null, absent or blank. */
export function nonEmpty(s: string | null | undefined): string | undefined {
  return s === null || s === undefined || s.trim() === '' ? undefined : s;
}

/** ISO-8601 UTC of a timestamp the schema has already accepted. */
export function isoOf(s: string): string {
  const d = parseTimestamp(s);
  if (!d) throw new Error(`not a timestamp: ${s}`); // unreachable: validated by the schema
  return d.toISOString();
}
