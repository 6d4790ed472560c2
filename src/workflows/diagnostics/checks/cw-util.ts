/** Helpers shared by the CloudWatch checks. */
import type { MetricSeries } from '../../ports.js';
import { readWindows, type CheckContext, type Window } from '../types.js';

/** Series by id. */
export function byId(series: MetricSeries[]): Map<string, MetricSeries> {
  return new Map(series.map((s) => [s.id, s]));
}

/** timestamp(ms) -> value. */
export function points(s: MetricSeries | undefined): Map<number, number> {
  const m = new Map<number, number>();
  if (!s) return m;
  s.timestamps.forEach((t, i) => {
    const v = s.values[i];
    if (v !== undefined && Number.isFinite(v)) m.set(t.getTime(), v);
  });
  return m;
}

/**
 * The burst windows the CloudWatch checks look at: the ALARM intervals from alarm-history,
 * reaching back `leadMs` (the evaluation periods whose datapoints put the alarm in ALARM);
 * without history, the 30 minutes before the page up to now.
 */
export function burstWindows(ctx: CheckContext, leadMs: number): { windows: Window[]; fromHistory: boolean } {
  const w = readWindows(ctx.facts);
  if (w) return { windows: w.map((x) => ({ start: new Date(x.start.getTime() - leadMs), end: x.end })), fromHistory: true };
  return { windows: [{ start: new Date(ctx.incident.startedAt.getTime() - 30 * 60_000), end: ctx.now }], fromHistory: false };
}

/** [earliest start, latest end] of the windows, aligned down to the period. */
export function span(windows: Window[], periodSec: number): { start: Date; end: Date } {
  const p = periodSec * 1000;
  const start = Math.min(...windows.map((w) => w.start.getTime()));
  const end = Math.max(...windows.map((w) => w.end.getTime()));
  return { start: new Date(Math.floor(start / p) * p), end: new Date(Math.max(end, start + p)) };
}

export function breaches(value: number, operator: string | undefined, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
    case 'LessThanLowerThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      return value > threshold;
  }
}

/** Seconds with sensible precision ("5.83 s", "0.41 s"). */
export function secs(v: number): string {
  return `${Math.round(v * 100) / 100} s`;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
