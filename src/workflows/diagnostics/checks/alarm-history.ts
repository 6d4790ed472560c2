/**
 * alarm-history: the alarm's state transitions in the last 6 hours; flapping when it cycled
 * OK -> ALARM at least 3 times. Facts: firstFlapAt, flapCycles, alarmWindows (the ALARM intervals,
 * the "burst windows" the other CloudWatch checks look at).
 */
import type { AlarmHistoryItem } from '../../ports.js';
import { FACT, duration, hhmm, makeFinding, notConfigured, type Check, type CheckResult, type Window } from '../types.js';

export const ALARM_HISTORY_LOOKBACK_MS = 6 * 3600_000;
export const FLAPPING_MIN_CYCLES = 3;

export interface Transition {
  at: Date;
  from?: string;
  to?: string;
}

function transitionOf(item: AlarmHistoryItem): Transition {
  let from = item.oldState;
  let to = item.newState;
  if (!from || !to) {
    const m = /from (OK|ALARM|INSUFFICIENT_DATA) to (OK|ALARM|INSUFFICIENT_DATA)/.exec(item.summary);
    if (m) {
      from = from ?? m[1];
      to = to ?? m[2];
    }
  }
  return { at: item.timestamp, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** The alarm's state transitions among DescribeAlarmHistory items, within [start, end), in time order. */
export function transitionsOf(items: AlarmHistoryItem[], start: Date, end: Date): Transition[] {
  return items
    .map(transitionOf)
    .filter((t) => t.at.getTime() >= start.getTime() && t.at.getTime() < end.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/**
 * The OK -> ALARM cycles among transitions (in time order), whether that is flapping (at least
 * FLAPPING_MIN_CYCLES), and the flap cycle: the median time between successive cycles (undefined
 * with fewer than two). Verification watches a flapping alarm through one cycle (mitigations/watch.ts).
 */
export function flapCycle(transitions: Transition[]): { cycles: Transition[]; flapping: boolean; cycleMs?: number } {
  const cycles = transitions.filter((t) => t.from === 'OK' && t.to === 'ALARM');
  const gaps = cycles.slice(1).map((c, i) => c.at.getTime() - (cycles[i]?.at.getTime() ?? c.at.getTime()));
  const cycleMs = gaps.length > 0 ? [...gaps].sort((a, b) => a - b)[Math.floor((gaps.length - 1) / 2)] : undefined;
  return { cycles, flapping: cycles.length >= FLAPPING_MIN_CYCLES, ...(cycleMs !== undefined ? { cycleMs } : {}) };
}

/** The ALARM intervals: from entering ALARM until leaving it (or `now`). */
export function alarmWindows(transitions: Transition[], from: Date, now: Date): Window[] {
  const out: Window[] = [];
  // Already in ALARM when the lookback starts.
  let open: Date | undefined = transitions[0]?.from === 'ALARM' ? from : undefined;
  for (const t of transitions) {
    if (t.to === 'ALARM' && open === undefined) open = t.at;
    else if (t.to !== 'ALARM' && open !== undefined) {
      out.push({ start: open, end: t.at });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ start: open, end: now });
  return out;
}

const ID = 'alarm-history';

export const alarmHistoryCheck: Check = {
  id: ID,
  title: 'Alarm history',
  subjectKind: 'cloudwatch-alarm',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'cloudwatch-alarm') return { findings: [], discovered: [] };
    const cw = ctx.ports.cloudwatch;
    if (!cw) return notConfigured(ID, subject, 'the alarm history', 'CloudWatch');
    const start = new Date(ctx.now.getTime() - ALARM_HISTORY_LOOKBACK_MS);
    const items = await cw.alarmHistory(subject.region, subject.alarmName, start, ctx.now, ctx.signal);
    const transitions = transitionsOf(items, start, ctx.now);
    const { cycles, flapping, cycleMs } = flapCycle(transitions);
    const windows = alarmWindows(transitions, start, ctx.now);
    const first = cycles[0];
    const last = cycles[cycles.length - 1];
    const link = cw.consoleLink(subject.region, { alarmName: subject.alarmName });
    const query = `DescribeAlarmHistory AlarmName=${subject.alarmName} HistoryItemType=StateUpdate StartDate=${start.toISOString()} EndDate=${ctx.now.toISOString()}`;
    const detail = transitions.map((t) => `${t.at.toISOString()}  ${t.from ?? '?'} -> ${t.to ?? '?'}`).join('\n');
    const facts: Record<string, unknown> = {
      [FACT.flapCycles]: cycles.length,
      [FACT.alarmWindows]: windows.map((w) => ({ start: w.start.toISOString(), end: w.end.toISOString() })),
    };
    if (first) facts[FACT.firstFlapAt] = first.at.toISOString();
    if (cycleMs !== undefined) facts[FACT.flapCycleMs] = cycleMs;

    if (transitions.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'quiet',
            severity: 'info',
            title: 'No state changes in the last 6 h',
            summary: `${subject.alarmName} did not change state between ${hhmm(start)} and ${hhmm(ctx.now)}: not flapping`,
            evidence: [{ query, numbers: { transitions: 0, okToAlarmCycles: 0 }, link }],
            facts,
          }),
        ],
        discovered: [],
      };
    }

    const span = first && last ? last.at.getTime() - first.at.getTime() : 0;
    const numbers: Record<string, number | string> = { transitions: transitions.length, okToAlarmCycles: cycles.length, lookbackHours: 6 };
    if (first) numbers.firstFlapAt = first.at.toISOString();
    if (last) numbers.lastFlapAt = last.at.toISOString();
    if (cycleMs !== undefined) numbers.flapCycleMinutes = Math.round(cycleMs / 60_000);
    const title = flapping
      ? `Flapping: ${cycles.length} OK→ALARM cycles in ${duration(span)}`
      : `${cycles.length} OK→ALARM cycle${cycles.length === 1 ? '' : 's'} in the last 6 h`;
    const summary = flapping
      ? `${subject.alarmName} cycled OK→ALARM ${cycles.length} times since ${hhmm(first?.at ?? start, true)} (${duration(span)}${cycleMs !== undefined ? `, about every ${duration(cycleMs)}` : ''}): it is flapping, and the problem predates anything that happened after ${hhmm(first?.at ?? start)}`
      : first
        ? `${subject.alarmName} went OK→ALARM ${cycles.length} time${cycles.length === 1 ? '' : 's'} in 6 h, first at ${hhmm(first.at, true)}: not flapping`
        : `${subject.alarmName} changed state ${transitions.length} times in 6 h without an OK→ALARM cycle`;
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: flapping ? 'flapping' : 'cycles',
          severity: flapping ? 'warning' : 'info',
          title,
          summary,
          evidence: [{ query, numbers, link, detail }],
          facts,
        }),
      ],
      discovered: [],
    };
  },
};
