/**
 * cpu-per-pod: per-pod CPU over time from Prometheus (never one `kubectl top` snapshot).
 * Even spread vs one hot pod (load imbalance), and a plateau below the limit near a whole number
 * of cores: a process-model ceiling (one worker, one core).
 */
import type { Finding } from '../../../domain/diagnostics.js';
import { formatCpu, sumContainerResource } from '../quantity.js';
import { FACT, makeFinding, notConfigured, quantile, round, type Check, type CheckResult } from '../types.js';
import { median } from './cw-util.js';
import { STEP_SECONDS, burstTimes, containerMatchers, promRange, series } from './prom-util.js';

const ID = 'cpu-per-pod';
/** max/mean across pods at burst times: below this the spread is even, above IMBALANCED one pod is hot. */
export const EVEN_RATIO = 1.5;
export const IMBALANCED_RATIO = 1.8;
/** A flat top: the pod's maximum within this many cores of its 75th percentile during bursts. */
const FLAT_TOP_CORES = 0.1;
/** Near a whole number of cores n: within [n - 0.2, n + 0.05]. */
const BELOW_WHOLE = 0.2;
const ABOVE_WHOLE = 0.05;
/** Below the limit by at least this many cores (else it is pinned at the limit: throttling territory). */
const LIMIT_HEADROOM = 0.25;

export function cpuQuery(namespace: string, deployment: string): string {
  return `sum by (pod) (rate(container_cpu_usage_seconds_total{${containerMatchers(namespace, deployment)}}[2m]))`;
}

export interface Plateau {
  level: number;
  max: number;
  whole: number;
}

/** A pod's plateau during bursts, if it has one (flat top near a whole number of cores, below the limit). */
export function plateauOf(values: number[], limitCores: number | undefined): Plateau | undefined {
  if (values.length < 3) return undefined;
  const level = quantile(values, 0.75) ?? 0;
  const max = Math.max(...values);
  const whole = Math.round(level);
  if (whole < 1) return undefined;
  if (max - level > FLAT_TOP_CORES) return undefined;
  if (level < whole - BELOW_WHOLE || level > whole + ABOVE_WHOLE) return undefined;
  if (limitCores !== undefined && level > limitCores - LIMIT_HEADROOM) return undefined;
  return { level, max, whole };
}

export const cpuPerPodCheck: Check = {
  id: ID,
  title: 'CPU per pod over time',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const prom = ctx.ports.prometheus;
    if (!prom) return notConfigured(ID, subject, 'per-pod CPU over time', 'Prometheus');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const deployment = ctx.ports.kubernetes ? await ctx.ports.kubernetes.getDeployment(subject.namespace, subject.deployment, ctx.signal) : undefined;
    const containers = deployment?.spec.template.spec.containers ?? [];
    const requestCores = sumContainerResource(containers, 'requests', 'cpu');
    const limitCores = sumContainerResource(containers, 'limits', 'cpu');

    const { start, end, windows } = promRange(ctx);
    const promql = cpuQuery(subject.namespace, subject.deployment);
    const samples = await prom.queryRange(promql, start, end, STEP_SECONDS, ctx.signal);
    const link = prom.graphLink(promql, start, end);
    const perPod = new Map<string, Map<number, number>>();
    for (const s of samples) {
      const pod = s.metric.pod;
      if (!pod) continue;
      const m = series(s);
      if (m.size > 0) perPod.set(pod, m);
    }
    const pods = [...perPod.keys()].sort();
    if (pods.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-data',
            severity: 'info',
            title: `No CPU series for ${wl}`,
            summary: `Prometheus returned no container_cpu_usage_seconds_total series for the pods of ${wl} between ${start.toISOString()} and ${end.toISOString()} (is cAdvisor scraped?): spread and plateau cannot be judged`,
            evidence: [{ query: promql, numbers: { series: 0 }, link }],
            signals: { 'load-imbalance': ['neutral', 'no CPU series'], 'process-model-ceiling': ['neutral', 'no CPU series'] },
          }),
        ],
        discovered: [],
      };
    }

    const times = burstTimes(perPod, windows);
    // Pods come and go across rollouts: count the pods reporting at once, not the series.
    const atOnce = Math.max(1, ...times.map((t) => pods.filter((p) => perPod.get(p)?.has(t)).length));
    const burstValues = new Map<string, number[]>(pods.map((p) => [p, times.map((t) => perPod.get(p)?.get(t)).filter((v): v is number => v !== undefined)]));
    const all = [...burstValues.values()].flat();
    const lo = all.length ? Math.min(...all) : 0;
    const hi = all.length ? Math.max(...all) : 0;
    // Fleet view: what the HPA averages (mean across pods), peak over time.
    let fleetPeak = 0;
    let fleetPeakAt = times[0] ?? 0;
    const allTimes = [...new Set([...perPod.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    for (const t of allTimes) {
      const vals = pods.map((p) => perPod.get(p)?.get(t)).filter((v): v is number => v !== undefined);
      if (vals.length === 0) continue;
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      if (mean > fleetPeak) {
        fleetPeak = mean;
        fleetPeakAt = t;
      }
    }
    const range = `${round(lo)}–${round(hi)} cores`;
    const resourceText = `${requestCores !== undefined ? `request ${formatCpu(requestCores)}` : 'no CPU request'}, ${limitCores !== undefined ? `limit ${formatCpu(limitCores)}` : 'no CPU limit'}`;
    const baseNumbers: Record<string, number | string> = {
      pods: atOnce,
      podSeries: pods.length,
      burstSamples: times.length,
      burstMinCores: round(lo),
      burstMaxCores: round(hi),
      fleetPeakAvgCores: round(fleetPeak),
      fleetPeakAt: new Date(fleetPeakAt * 1000).toISOString(),
    };
    if (requestCores !== undefined) baseNumbers.requestCores = round(requestCores);
    if (limitCores !== undefined) baseNumbers.limitCores = round(limitCores);
    const findings: Finding[] = [];

    // Spread.
    const ratios = times
      .map((t) => pods.map((p) => perPod.get(p)?.get(t)).filter((v): v is number => v !== undefined))
      .filter((vals) => vals.length >= 2)
      .map((vals) => {
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        return mean > 0 ? Math.max(...vals) / mean : 1;
      });
    const ratio = median(ratios);
    const hotCount = new Map<string, number>();
    for (const t of times) {
      let best: string | undefined;
      let bestV = -1;
      for (const p of pods) {
        const v = perPod.get(p)?.get(t);
        if (v !== undefined && v > bestV) {
          bestV = v;
          best = p;
        }
      }
      if (best) hotCount.set(best, (hotCount.get(best) ?? 0) + 1);
    }
    const hot = [...hotCount.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const perPodDetail = pods
      .map((p) => {
        const v = burstValues.get(p) ?? [];
        return `${p}: burst median ${round(median(v) ?? 0)} max ${round(v.length ? Math.max(...v) : 0)} cores`;
      })
      .join('\n');
    const spreadEvidence = [{ query: promql, numbers: { ...baseNumbers, ...(ratio !== undefined ? { maxOverMeanRatio: round(ratio) } : {}) }, link, detail: perPodDetail }];
    const even = ratio !== undefined && ratio < EVEN_RATIO;
    if (atOnce === 1 || ratio === undefined) {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'spread',
          severity: 'info',
          title: `One pod: ${range} during bursts`,
          summary: `only ${pods[0] ?? 'one pod'} reported CPU (${range} during bursts): load spread across pods is not applicable`,
          evidence: spreadEvidence,
          signals: { 'load-imbalance': ['neutral', 'a single pod: nothing to balance'] },
        }),
      );
    } else if (even) {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'spread',
          severity: 'info',
          title: `CPU even across ${atOnce} pods: ${range} during bursts`,
          summary: `all ${atOnce} pods of ${wl} moved together at ${range} during the bursts (busiest pod ${round(ratio)}× the mean): the load is spread evenly, so load imbalance is refuted`,
          evidence: spreadEvidence,
          signals: { 'load-imbalance': ['refutes', `per-pod CPU even at ${range}`] },
        }),
      );
    } else if (ratio >= IMBALANCED_RATIO && hot) {
      const hotVals = burstValues.get(hot[0]) ?? [];
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'spread',
          severity: 'warning',
          title: `One hot pod: ${hot[0]} at ${round(median(hotVals) ?? 0)} cores`,
          summary: `${hot[0]} was the busiest pod in ${hot[1]} of ${times.length} burst samples, ${round(ratio)}× the fleet mean, while the others idled: load imbalance (round-robin with uneven request cost)`,
          evidence: spreadEvidence,
          signals: { 'load-imbalance': ['supports', `${hot[0]} ran ${round(ratio)}× the fleet mean during bursts`] },
          symptoms: [{ id: 'hot-pod', scope: 'one-pod', text: `${hot[0]} at ${round(median(hotVals) ?? 0)} cores, ${round(ratio)}× the fleet mean, while the other ${atOnce - 1} idled` }],
          facts: { hotPod: hot[0] },
        }),
      );
    } else {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'spread',
          severity: 'info',
          title: `CPU moderately uneven across ${atOnce} pods (${round(ratio)}× the mean)`,
          summary: `per-pod CPU during bursts ${range}, busiest ${round(ratio)}× the mean: neither clearly even nor one hot pod`,
          evidence: spreadEvidence,
          signals: { 'load-imbalance': ['neutral', `busiest pod ${round(ratio)}× the mean`] },
        }),
      );
    }

    // Plateau.
    const plateaus = pods.map((p) => [p, plateauOf(burstValues.get(p) ?? [], limitCores)] as const);
    const flat = plateaus.filter((x): x is readonly [string, { level: number; max: number; whole: number }] => x[1] !== undefined);
    const eligible = pods.filter((p) => (burstValues.get(p) ?? []).length >= 3);
    const enough = eligible.length > 0;
    const facts: Record<string, unknown> = {
      [FACT.cpuFleetPeakAvgCores]: round(fleetPeak, 3),
      [FACT.cpuEven]: even,
      [FACT.cpuPodCount]: atOnce,
    };
    if (requestCores !== undefined) facts.cpuRequestCores = requestCores;
    if (limitCores !== undefined) facts.cpuLimitCores = limitCores;
    if (flat.length > 0 && flat.length * 2 >= eligible.length) {
      const level = median(flat.map(([, x]) => x.level)) ?? 0;
      const whole = Math.round(level);
      facts[FACT.cpuPlateauCores] = round(level, 3);
      const limitText = limitCores !== undefined ? ` against a ${round(limitCores)}-core limit` : ' (no CPU limit)';
      const ceiling = `${whole} worker${whole === 1 ? '' : 's'}, ${whole} core${whole === 1 ? '' : 's'}`;
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'plateau',
          severity: 'warning',
          title: `CPU plateau at ~${round(level)} cores${limitText}: process-model ceiling`,
          summary: `${flat.length} of ${eligible.length} pod series flattened at ~${round(level)} cores during the bursts${limitText} (${resourceText}): usage stops near ${whole} whole core${whole === 1 ? '' : 's'} although more is allowed, the signature of a process-model ceiling (${ceiling}); the rest of the limit is unusable until the worker count changes`,
          evidence: [{ query: promql, numbers: { ...baseNumbers, plateauCores: round(level), plateauPods: flat.length, wholeCores: whole }, link, detail: flat.map(([p, x]) => `${p}: p75 ${round(x.level)} max ${round(x.max)} cores`).join('\n') }],
          signals: {
            'process-model-ceiling': ['supports', `pods plateau at ~${round(level)} cores${limitText}${even ? `, evenly (${range})` : ''}: ${ceiling}`],
          },
          symptoms: [{ id: 'cpu-plateau', text: `${flat.length} of ${eligible.length} pods flat at ~${round(level)} cores${limitText}` }],
          facts,
        }),
      );
    } else if (enough) {
      const atLimit = limitCores !== undefined && hi >= limitCores - LIMIT_HEADROOM;
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'plateau',
          severity: 'info',
          title: atLimit ? `CPU reaches the ${round(limitCores ?? 0)}-core limit (${range})` : `No CPU plateau (${range})`,
          summary: atLimit
            ? `pods reach ${round(hi)} cores against a ${round(limitCores ?? 0)}-core limit: the ceiling is the CPU quota, not the process model (see throttling)`
            : `per-pod CPU during bursts ${range} (${resourceText}) shows no flat top near a whole number of cores: no process-model ceiling`,
          evidence: [{ query: promql, numbers: baseNumbers, link }],
          signals: { 'process-model-ceiling': ['refutes', atLimit ? `pods reach the ${round(limitCores ?? 0)}-core limit` : `no flat top near whole cores (${range})`] },
          facts,
        }),
      );
    }
    // Too few burst samples to judge a plateau: still hand the fleet numbers on.
    if (!findings.some((f) => f.facts[FACT.cpuFleetPeakAvgCores] !== undefined)) {
      const first = findings[0];
      if (first) first.facts = { ...first.facts, ...facts };
    }
    return { findings, discovered: [] };
  },
};
