/**
 * cpu-throttling: per container, the share of CFS periods in which it was throttled
 * (container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total). Above 25% the
 * container is throttled at its limit (the classic case: a sidecar with a small limit).
 */
import type { Finding } from '../../../domain/diagnostics.js';
import { formatCpu, parseCpuCores } from '../quantity.js';
import type { Scope } from '../causes.js';
import { makeFinding, notConfigured, quantile, round, type Check, type CheckResult } from '../types.js';
import { STEP_SECONDS, containerMatchers, promRange, series } from './prom-util.js';

const ID = 'cpu-throttling';
export const THROTTLED_RATIO = 0.25;
const CRITICAL_RATIO = 0.5;

export function throttlingQuery(namespace: string, deployment: string): string {
  const m = containerMatchers(namespace, deployment);
  return `sum by (pod, container) (rate(container_cpu_cfs_throttled_periods_total{${m}}[2m])) / sum by (pod, container) (rate(container_cpu_cfs_periods_total{${m}}[2m]))`;
}

const pct = (r: number): string => `${Math.round(r * 100)}%`;

export const cpuThrottlingCheck: Check = {
  id: ID,
  title: 'CPU throttling per container',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const prom = ctx.ports.prometheus;
    if (!prom) return notConfigured(ID, subject, 'CPU throttling', 'Prometheus');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const deployment = ctx.ports.kubernetes ? await ctx.ports.kubernetes.getDeployment(subject.namespace, subject.deployment, ctx.signal) : undefined;
    const containers = deployment?.spec.template.spec.containers ?? [];
    const limitOf = (name: string): number | undefined => parseCpuCores(containers.find((c) => c.name === name)?.resources?.limits?.cpu);

    const { start, end } = promRange(ctx);
    const promql = throttlingQuery(subject.namespace, subject.deployment);
    const samples = await prom.queryRange(promql, start, end, STEP_SECONDS, ctx.signal);
    const link = prom.graphLink(promql, start, end);
    // container -> worst pod's p90 ratio, and which of its pods are throttled
    const worst = new Map<string, { ratio: number; pod: string; peak: number; pods: Set<string>; throttledPods: Set<string> }>();
    for (const s of samples) {
      const container = s.metric.container;
      const pod = s.metric.pod ?? '';
      if (!container) continue;
      const values = [...series(s).values()];
      const p90 = quantile(values, 0.9);
      if (p90 === undefined) continue;
      const cur = worst.get(container) ?? { ratio: -1, pod: '', peak: 0, pods: new Set<string>(), throttledPods: new Set<string>() };
      cur.pods.add(pod);
      if (p90 > THROTTLED_RATIO) cur.throttledPods.add(pod);
      if (p90 > cur.ratio || (p90 === cur.ratio && pod < cur.pod)) Object.assign(cur, { ratio: p90, pod, peak: Math.max(...values) });
      worst.set(container, cur);
    }
    if (worst.size === 0) {
      const anyLimit = containers.some((c) => c.resources?.limits?.cpu !== undefined);
      const noLimits = deployment !== undefined && !anyLimit;
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-data',
            severity: 'info',
            title: noLimits ? `No CPU limits on ${wl}: nothing to throttle` : `No CFS throttling series for ${wl}`,
            summary: noLimits
              ? `no container of ${wl} has a CPU limit, so the CFS quota never throttles it`
              : `Prometheus returned no container_cpu_cfs_periods_total series for ${wl}: throttling cannot be judged`,
            evidence: [{ query: promql, numbers: { series: 0 }, link }],
            signals: { 'cpu-throttling': noLimits ? ['refutes', 'no CPU limits set'] : ['neutral', 'no CFS series'] },
          }),
        ],
        discovered: [],
      };
    }
    const rows = [...worst.entries()].sort((a, b) => b[1].ratio - a[1].ratio || a[0].localeCompare(b[0]));
    const detail = rows.map(([c, w]) => `${c}: p90 ${pct(w.ratio)} throttled (peak ${pct(w.peak)}, worst pod ${w.pod}), limit ${limitOf(c) !== undefined ? formatCpu(limitOf(c) ?? 0) : 'unknown'}`).join('\n');
    const findings: Finding[] = [];
    const throttledContainers = rows.filter(([, w]) => w.ratio > THROTTLED_RATIO).length;
    for (const [container, w] of rows) {
      if (w.ratio <= THROTTLED_RATIO) continue;
      const limit = limitOf(container);
      // Where it is confined: one pod of several (how an imbalance shows), one container of each pod, or everywhere.
      const scope: Scope = w.throttledPods.size === 1 && w.pods.size > 1 ? 'one-pod' : throttledContainers < rows.length ? 'container' : 'all-pods';
      const where = scope === 'one-pod' ? `only in ${w.pod} (1 of ${w.pods.size} pods)` : `in ${w.throttledPods.size} of ${w.pods.size} pods`;
      const limitText = limit !== undefined ? `its ${formatCpu(limit)} limit` : 'its CPU limit';
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: `throttled-${container}`,
          severity: w.ratio >= CRITICAL_RATIO ? 'critical' : 'warning',
          title: `Container ${container} throttled ${pct(w.ratio)} of CFS periods at ${limitText}`,
          summary: `${container} in ${wl} was throttled in ${pct(w.ratio)} of its CFS periods (p90; peak ${pct(w.peak)} on ${w.pod}) at ${limitText}, ${where}: every request through it waits for quota${scope === 'one-pod' ? '; confined to one pod, it is more likely how an uneven load shows than a limit too low for the service' : '; raise or remove that limit'}`,
          evidence: [{ query: promql, numbers: { container, throttledRatioP90: round(w.ratio, 3), throttledRatioPeak: round(w.peak, 3), ...(limit !== undefined ? { limitCores: limit } : {}) }, link, detail }],
          signals: { 'cpu-throttling': ['supports', `${container} throttled ${pct(w.ratio)} of periods at ${limitText}, ${where}`] },
          symptoms: [{ id: 'throttling', scope, text: `${container} throttled in ${pct(w.ratio)} of CFS periods at ${limitText}, ${where}` }],
          facts: { throttledContainer: container, throttledRatio: round(w.ratio, 3) },
        }),
      );
    }
    if (findings.length === 0) {
      const top = rows[0];
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'no-throttling',
          severity: 'info',
          title: `No CPU throttling (worst ${top ? `${top[0]} ${pct(top[1].ratio)}` : '0%'})`,
          summary: `no container of ${wl} was throttled in more than ${pct(THROTTLED_RATIO)} of CFS periods (worst p90: ${top ? `${top[0]} ${pct(top[1].ratio)}` : 'none'}): the CPU limit is not what caps it`,
          evidence: [{ query: promql, numbers: { containers: rows.length, worstThrottledRatioP90: round(top?.[1].ratio ?? 0, 3) }, link, detail }],
          signals: { 'cpu-throttling': ['refutes', `worst container throttled ${top ? pct(top[1].ratio) : '0%'} of periods`] },
        }),
      );
    }
    return { findings, discovered: [] };
  },
};
