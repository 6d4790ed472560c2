/**
 * Relative times of a scenario. Every moment in a scenario file is written relative to the
 * anchor (the page moment): `-300m`, `-15m`, `+2m`, `0s`, `-5h`, `-1h30m`, `-2d`. Durations
 * (`every`, `step`) are the same without a sign.
 */
import { AppError } from '../../errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const TERM = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
/** A relative time: optional sign, then one or more number+unit terms. */
export const RELATIVE_TIME = /^[+-]?(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
/** A duration: like a relative time without a sign. */
export const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

export function isRelativeTime(text: string): boolean {
  return RELATIVE_TIME.test(text);
}

/** Milliseconds from the anchor ('-15m' -> -900000). Throws bad_request for a malformed value. */
export function relativeMs(rel: string): number {
  if (!RELATIVE_TIME.test(rel)) {
    throw new AppError('bad_request', `not a relative time: ${JSON.stringify(rel)} (expected e.g. -15m, +2m, 0s, -1h30m)`);
  }
  const sign = rel.startsWith('-') ? -1 : 1;
  let total = 0;
  for (const m of rel.matchAll(TERM)) {
    const n = Number(m[1]);
    const unit = m[2] as Unit;
    total += n * UNIT_MS[unit];
  }
  return sign * Math.round(total);
}

/** Milliseconds of a duration ('36m' -> 2160000). */
export function durationMs(text: string): number {
  if (!DURATION.test(text)) throw new AppError('bad_request', `not a duration: ${JSON.stringify(text)} (expected e.g. 15s, 36m, 1h)`);
  return relativeMs(text);
}

/** The absolute moment of a relative time. */
export function resolveTime(rel: string, anchor: Date): Date {
  return new Date(anchor.getTime() + relativeMs(rel));
}

/** Kubernetes RFC 3339 timestamp with second precision (what the API server writes). */
export function k8sTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Kubernetes MicroTime (eventTime): microsecond precision. */
export function k8sMicroTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Start of the period that contains `ms` (CloudWatch aligns datapoints to the period, from the epoch). */
export function alignDown(ms: number, periodSeconds: number): number {
  const p = periodSeconds * 1000;
  return Math.floor(ms / p) * p;
}
