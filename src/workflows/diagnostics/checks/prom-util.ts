/** Helpers shared by the Prometheus checks. */
import type { PromSample } from '../../ports.js';
import { FACT, promRegexEscape, quantile, readDate, readWindows, type CheckContext, type Window } from '../types.js';

export const STEP_SECONDS = 60;
const MAX_LOOKBACK_MS = 12 * 3600_000;
const LEAD_MS = 30 * 60_000;

/** The query range: from 30 min before the earliest onset we know of (first flap, burst, page) to now. */
export function promRange(ctx: CheckContext): { start: Date; end: Date; windows?: Window[] } {
  const windows = readWindows(ctx.facts);
  const firstFlap = readDate(ctx.facts, FACT.firstFlapAt);
  const onset = Math.min(ctx.incident.startedAt.getTime(), firstFlap?.getTime() ?? Infinity, windows?.[0]?.start.getTime() ?? Infinity);
  const start = Math.max(onset - LEAD_MS, ctx.now.getTime() - MAX_LOOKBACK_MS);
  const aligned = Math.floor(start / (STEP_SECONDS * 1000)) * STEP_SECONDS * 1000;
  return { start: new Date(aligned), end: ctx.now, ...(windows ? { windows } : {}) };
}

/** `pod=~"<deploy>-<rs hash>-<suffix>"`: the deployment's pods, not those of a longer-named sibling. */
export function podMatcher(deployment: string): string {
  return `pod=~"${promRegexEscape(deployment)}-[a-z0-9]+-[a-z0-9]+"`;
}

export function containerMatchers(namespace: string, deployment: string): string {
  return `namespace="${namespace}",${podMatcher(deployment)},container!="",container!="POD"`;
}

/** sample -> Map(unix seconds -> value), NaN dropped. */
export function series(s: PromSample): Map<number, number> {
  const m = new Map<number, number>();
  for (const [t, v] of s.values) if (Number.isFinite(v)) m.set(t, v);
  return m;
}

/** The burst timestamps: inside the alarm windows when known, else the top quartile of the fleet total. */
export function burstTimes(perPod: Map<string, Map<number, number>>, windows: Window[] | undefined): number[] {
  const totals = new Map<number, number>();
  for (const m of perPod.values()) for (const [t, v] of m) totals.set(t, (totals.get(t) ?? 0) + v);
  const times = [...totals.keys()].sort((a, b) => a - b);
  if (windows) {
    const inside = times.filter((t) => windows.some((w) => t * 1000 >= w.start.getTime() && t * 1000 < w.end.getTime()));
    if (inside.length > 0) return inside;
  }
  const q = quantile([...totals.values()], 0.75) ?? 0;
  return times.filter((t) => (totals.get(t) ?? 0) >= q);
}
