/**
 * slo-burn: an SLO burn-rate alert read from the SLO's own recording rules (Sloth's conventions:
 * `slo:sli_error:ratio_rate<window>`, `slo:objective:ratio`, `slo:time_period:days`,
 * `slo:period_error_budget_remaining:ratio`, labelled `sloth_id`): the error ratio per window, the
 * burn rate (error ratio / error budget: 1x spends the budget exactly over the period, 14.4x
 * spends a 30-day budget in ~2 days), the budget left, and the time to exhaustion at the current
 * burn. One instant query fetches every series of the SLO. The errors are a symptom; the workload
 * checks (the alert's namespace and service labels) look for their cause.
 */
import type { PromSample } from '../../ports.js';
import { duration, notConfigured, round, single, type Check, type CheckResult } from '../types.js';

const ID = 'slo-burn';
const WINDOW = /^slo:sli_error:ratio_rate(\d+[mhd])$/;
/** Burn rates the multi-window alerts page on (Google SRE workbook): fast and slow. */
export const FAST_BURN = 14.4;
export const SLOW_BURN = 6;

const WINDOW_ORDER = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

function windowMs(w: string): number {
  const n = Number.parseInt(w, 10);
  const unit = w.slice(-1);
  return n * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
}

const pct = (r: number): string => `${round(r * 100, r < 0.01 ? 3 : 2)}%`;

/** The SLO an alert is about: its `sloth_id` (or `sloth_service` + `sloth_slo`). */
export function sloIdOf(labels: Record<string, string>): string | undefined {
  if (labels.sloth_id) return labels.sloth_id;
  if (labels.sloth_service && labels.sloth_slo) return `${labels.sloth_service}-${labels.sloth_slo}`;
  return undefined;
}

export const sloBurnCheck: Check = {
  id: ID,
  title: 'SLO burn rate and error budget',
  subjectKind: 'alert-labels',
  appliesTo: (subject) => subject.kind === 'alert-labels' && sloIdOf(subject.labels) !== undefined,
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'alert-labels') return { findings: [], discovered: [] };
    const slo = sloIdOf(subject.labels);
    if (!slo) return { findings: [], discovered: [] };
    const prom = ctx.ports.prometheus;
    if (!prom) return notConfigured(ID, subject, 'the error budget', 'Prometheus');
    const promql = `{__name__=~"slo:.+",sloth_id="${slo.replace(/["\\]/g, (c) => `\\${c}`)}"}`;
    const samples: PromSample[] = await prom.query(promql, ctx.now, ctx.signal);
    const link = prom.graphLink(promql, new Date(ctx.now.getTime() - 6 * 3_600_000), ctx.now);
    const value = (s: PromSample): number | undefined => {
      const v = s.values[s.values.length - 1]?.[1];
      return v !== undefined && Number.isFinite(v) ? v : undefined;
    };
    const byName = (name: string): number | undefined => {
      const s = samples.find((x) => x.metric.__name__ === name);
      return s ? value(s) : undefined;
    };
    const ratios = new Map<string, number>();
    for (const s of samples) {
      const m = WINDOW.exec(s.metric.__name__ ?? '');
      const v = value(s);
      if (m?.[1] && v !== undefined) ratios.set(m[1], v);
    }
    const objective = byName('slo:objective:ratio');
    const periodDays = byName('slo:time_period:days') ?? 30;
    if (objective === undefined || ratios.size === 0) {
      return single({
        check: ID,
        subject,
        discriminator: 'no-data',
        severity: 'info',
        title: `No SLO series for ${slo}`,
        summary: `Prometheus returned no ${objective === undefined ? 'slo:objective:ratio' : 'slo:sli_error:ratio_rate<window>'} series for sloth_id="${slo}": the burn rate and the budget left cannot be computed here`,
        evidence: [{ query: promql, numbers: { series: samples.length }, link }],
        cannotSee: [`the error budget of SLO ${slo} (no recording rules found)`],
      });
    }
    const budget = 1 - objective;
    const windows = [...ratios.keys()].sort((a, b) => windowMs(a) - windowMs(b) || WINDOW_ORDER.indexOf(a) - WINDOW_ORDER.indexOf(b));
    const periodWindow = windows.find((w) => windowMs(w) >= periodDays * 86_400_000);
    const shortWindows = windows.filter((w) => w !== periodWindow);
    const burn = (w: string): number => (budget > 0 ? (ratios.get(w) ?? 0) / budget : Infinity);
    const current = shortWindows.find((w) => w === '1h') ?? shortWindows[0];
    const currentBurn = current ? burn(current) : undefined;
    const recorded = byName('slo:period_error_budget_remaining:ratio');
    const remaining = recorded ?? (periodWindow && budget > 0 ? 1 - (ratios.get(periodWindow) ?? 0) / budget : undefined);
    const periodMs = periodDays * 86_400_000;
    // At burn rate b the whole budget lasts period / b; what is left lasts remaining x that.
    const exhaustMs = remaining !== undefined && currentBurn !== undefined && currentBurn > 0 ? (Math.max(0, remaining) * periodMs) / currentBurn : undefined;
    const numbers: Record<string, number | string> = { sloth_id: slo, objective: pct(objective), errorBudget: pct(budget), periodDays };
    for (const w of windows) {
      numbers[`errorRatio_${w}`] = pct(ratios.get(w) ?? 0);
      if (w !== periodWindow) numbers[`burnRate_${w}`] = round(burn(w), 1);
    }
    numbers.budgetRemaining = remaining === undefined ? 'no data' : pct(remaining);
    numbers.timeToExhaustion = exhaustMs === undefined ? 'no data' : remaining !== undefined && remaining <= 0 ? 'exhausted' : duration(exhaustMs);
    const exhausted = remaining !== undefined && remaining <= 0;
    const fast = currentBurn !== undefined && currentBurn >= FAST_BURN;
    const burnText = current && currentBurn !== undefined ? `${round(currentBurn, 1)}× over ${current}` : 'unknown';
    const left = remaining === undefined ? 'budget left unknown' : exhausted ? `the ${periodDays}-day budget is exhausted (${pct(remaining)})` : `${pct(remaining)} of the ${periodDays}-day budget left`;
    const when = exhausted ? '' : exhaustMs !== undefined ? `, gone in ${duration(exhaustMs)} at this rate` : '';
    const errText = current ? `${pct(ratios.get(current) ?? 0)} of requests failing over ${current}` : 'errors';
    return single({
      check: ID,
      subject,
      discriminator: 'burn',
      severity: exhausted || fast ? 'critical' : 'warning',
      title: `SLO ${slo}: burning ${burnText}; ${left}${when}`,
      summary: `${errText} against a ${pct(objective)} objective (budget ${pct(budget)}): burn rate ${shortWindows.map((w) => `${round(burn(w), 1)}× over ${w}`).join(', ')}${fast ? ` (≥ ${FAST_BURN}×: a ${periodDays}-day budget would last ${duration(periodMs / FAST_BURN)})` : currentBurn !== undefined && currentBurn >= SLOW_BURN ? ` (≥ ${SLOW_BURN}×)` : ''}; ${left}${when}`,
      evidence: [{ query: promql, numbers, link }],
      symptoms: [{ id: 'errors', text: `${errText}, burning the ${slo} budget at ${burnText}` }],
      facts: { sloBurnRate: currentBurn === undefined ? null : round(currentBurn, 2), sloBudgetRemaining: remaining === undefined ? null : round(remaining, 4) },
    });
  },
};
