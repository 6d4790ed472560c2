/**
 * hpa: the HorizontalPodAutoscaler targeting the deployment. Its CPU target is a percentage of
 * the pods' CPU request (utilisation = usage / request, averaged over pods). Works out whether it
 * can ever scale ("never scales": the peak it sees stays below its target), whether it is pinned
 * at max replicas with utilisation above target (a capacity ceiling), and notes an HPA without
 * metrics (ScalingActive False) or unable to scale (AbleToScale False).
 */
import type { K8sCondition, K8sHpa } from '../../ports.js';
import { formatCpu, sumContainerResource } from '../quantity.js';
import { FACT, makeFinding, notConfigured, readFact, round, type Check, type CheckResult, type ProposalNote } from '../types.js';
import { z } from 'zod';

const ID = 'hpa';

const cond = (h: K8sHpa, type: string): K8sCondition | undefined => h.conditions.find((c) => c.type === type);

/** A target the observed peak clears with margin: two thirds of it, down to a multiple of 5, at least 10. */
export function proposedTarget(peakPercent: number): number {
  return Math.max(10, Math.floor((peakPercent * 2) / 3 / 5 + 1e-9) * 5);
}

/** Room for bursts: 40% above the current max, and at least what the peak needs at the new target. */
export function proposedMax(h: K8sHpa, peakPercent: number, newTarget: number): number {
  const needed = Math.ceil(((h.currentReplicas ?? h.minReplicas) * peakPercent) / newTarget - 1e-9);
  return Math.min(1000, Math.max(Math.ceil(h.maxReplicas * 1.4 - 1e-9), needed, h.maxReplicas + 1));
}

export const hpaCheck: Check = {
  id: ID,
  title: 'HPA: target, utilisation, limits',
  subjectKind: 'workload',
  dependsOn: ['cpu-per-pod'],
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'the HPA', 'Kubernetes');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const [hpas, deployment] = await Promise.all([k8s.listHpas(subject.namespace, ctx.signal), k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal)]);
    const mine = hpas
      .filter((h) => h.scaleTargetRef.kind === 'Deployment' && h.scaleTargetRef.name === subject.deployment)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const requestCores = sumContainerResource(deployment?.spec.template.spec.containers ?? [], 'requests', 'cpu');
    const fleetPeak = readFact(ctx.facts, FACT.cpuFleetPeakAvgCores, z.number());
    const plateau = readFact(ctx.facts, FACT.cpuPlateauCores, z.number());
    const query = `kubectl get hpa -n ${subject.namespace} -o json (scaleTargetRef ${subject.deployment})`;
    const hpa = mine[0];
    const replicas = deployment?.status?.replicas ?? deployment?.spec.replicas;

    if (!hpa) {
      const proposals: ProposalNote[] = [];
      if (plateau !== undefined && replicas !== undefined && replicas > 0) {
        const to = Math.min(500, Math.ceil(replicas * 1.5));
        proposals.push({
          mitigation: { kind: 'scale', namespace: subject.namespace, deployment: subject.deployment, replicas: to },
          rationale: `pods plateau at ~${round(plateau)} cores each with no autoscaler; ${to} replicas instead of ${replicas} add workers for the bursts (quick relief)`,
          risk: `${to - replicas} more pods need node capacity (see the nodes check); the process-model ceiling per pod stays`,
        });
      }
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'none',
            severity: 'info',
            title: `No HPA targets ${wl}`,
            summary: `no HorizontalPodAutoscaler targets deployment ${subject.deployment}: replicas stay at ${replicas ?? '?'} whatever the load`,
            evidence: [{ query, numbers: { hpas: 0, replicas: replicas ?? 'unknown' } }],
            signals: { 'hpa-never-scales': ['neutral', 'no HPA'] },
            proposals,
          }),
        ],
        discovered: [],
      };
    }

    const name = hpa.metadata.name;
    const target = hpa.targetCPUUtilizationPercentage;
    const current = hpa.currentCPUUtilizationPercentage;
    const cur = hpa.currentReplicas ?? replicas;
    const peakFromPods = fleetPeak !== undefined && requestCores !== undefined && requestCores > 0 ? (fleetPeak / requestCores) * 100 : undefined;
    const peak = peakFromPods ?? current;
    const plateauPct = plateau !== undefined && requestCores !== undefined && requestCores > 0 ? (plateau / requestCores) * 100 : undefined;
    const scalingActive = cond(hpa, 'ScalingActive');
    const ableToScale = cond(hpa, 'AbleToScale');
    const limited = cond(hpa, 'ScalingLimited');
    const numbers: Record<string, number | string> = {
      apiVersion: hpa.apiVersion,
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      currentReplicas: cur ?? 'unknown',
    };
    if (target !== undefined) numbers.targetCPUUtilizationPercentage = target;
    if (current !== undefined) numbers.currentCPUUtilizationPercentage = current;
    if (requestCores !== undefined) numbers.cpuRequest = formatCpu(requestCores);
    if (fleetPeak !== undefined) numbers.peakAvgCoresPerPod = round(fleetPeak);
    if (peak !== undefined) numbers.peakUtilizationPercent = Math.round(peak);
    if (plateauPct !== undefined) numbers.plateauUtilizationPercent = Math.round(plateauPct);
    for (const c of [scalingActive, ableToScale, limited]) if (c) numbers[c.type] = `${c.status}${c.reason ? ` (${c.reason})` : ''}`;
    const detail = hpa.conditions.map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''}`.trim()).join('\n');
    const evidence = [{ query, numbers, ...(detail ? { detail } : {}) }];
    const bounds = `${cur ?? '?'} replicas, min ${hpa.minReplicas}, max ${hpa.maxReplicas}`;

    if (scalingActive?.status === 'False' || ableToScale?.status === 'False') {
      const c = scalingActive?.status === 'False' ? scalingActive : ableToScale;
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: scalingActive?.status === 'False' ? 'no-metrics' : 'unable',
            severity: 'warning',
            title: scalingActive?.status === 'False' ? `HPA ${name} has no metrics (${c?.reason ?? 'ScalingActive False'})` : `HPA ${name} is unable to scale (${c?.reason ?? 'AbleToScale False'})`,
            summary: `${c?.type}=False${c?.reason ? ` (${c.reason})` : ''}${c?.message ? `: ${c.message}` : ''}; the HPA cannot act on load, so ${wl} stays at ${bounds}${requestCores === undefined ? ' (no CPU request on every container: utilisation is undefined)' : ''}`,
            evidence,
            signals: { 'hpa-never-scales': ['supports', `${c?.type}=False (${c?.reason ?? 'no reason'}): it cannot scale`] },
          }),
        ],
        discovered: [],
      };
    }

    const atMax = (cur !== undefined && cur >= hpa.maxReplicas) || (limited?.status === 'True' && limited.reason === 'TooManyReplicas');
    const hot = (current !== undefined && target !== undefined && current >= target) || (peak !== undefined && target !== undefined && peak >= target);
    if (atMax && hot) {
      const newMax = Math.min(1000, Math.max(hpa.maxReplicas + 1, Math.ceil(hpa.maxReplicas * 1.5 - 1e-9)));
      const util = current ?? Math.round(peak ?? 0);
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'at-max',
            severity: 'critical',
            title: `HPA ${name} at max ${hpa.maxReplicas} replicas with ${util}% > ${target}% target`,
            summary: `HPA ${name} runs ${bounds} and still sees ${util}% of the ${requestCores !== undefined ? formatCpu(requestCores) : ''} request against a ${target}% target${limited ? ` (ScalingLimited ${limited.status} ${limited.reason ?? ''})` : ''}: it wants more pods and may not add them. Capacity ceiling: raise maxReplicas`,
            evidence,
            signals: {
              'capacity-ceiling': ['supports', `at max ${hpa.maxReplicas} replicas with ${util}% > ${target}% target`],
              'hpa-never-scales': ['refutes', `it scaled to its max of ${hpa.maxReplicas}`],
            },
            proposals: [
              {
                mitigation: { kind: 'hpa', namespace: subject.namespace, name, maxReplicas: newMax },
                rationale: `${name} is pinned at ${hpa.maxReplicas} replicas with utilisation ${util}% above its ${target}% target; max ${newMax} lets it follow the load`,
                risk: `up to ${newMax - hpa.maxReplicas} more pods need node capacity (see the nodes check) and add load on shared dependencies`,
              },
            ],
            facts: { hpaName: name, hpaAtMax: true },
          }),
        ],
        discovered: [],
      };
    }

    if (target === undefined || peakFromPods === undefined) {
      // Without a usage history only the current figure is known: too weak to call "never scales".
      const now = current !== undefined ? `currently ${current}%` : 'no utilisation figure';
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'unknown',
            severity: 'info',
            title: `HPA ${name}: ${target === undefined ? 'no CPU target' : `peak utilisation unknown (${now})`}`,
            summary: `HPA ${name} (${hpa.apiVersion}) on ${wl}: ${bounds}; ${target === undefined ? 'it scales on other metrics, not CPU' : `${now} against a ${target}% target, but no per-pod CPU history to tell what it saw at the peak${ctx.ports.prometheus ? '' : ' (Prometheus is not configured)'}`}`,
            evidence,
            signals: { 'hpa-never-scales': ['neutral', target === undefined ? 'no CPU target' : 'peak utilisation unknown'] },
          }),
        ],
        discovered: [],
      };
    }

    const peakPct = Math.round(peakFromPods);
    const neverScaled = cur === undefined || cur <= hpa.minReplicas;
    if (peakPct < target && neverScaled) {
      const newTarget = proposedTarget(peakPct);
      const newMax = proposedMax(hpa, peakPct, newTarget);
      const seen = peakFromPods !== undefined && fleetPeak !== undefined && requestCores !== undefined ? ` (${round(fleetPeak)} cores per pod on a ${formatCpu(requestCores)} request)` : '';
      const saturated = plateauPct !== undefined && plateauPct < target ? `; even saturated at ~${round(plateau ?? 0)} cores a pod shows only ${Math.round(plateauPct)}%, so the target is unreachable` : '';
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'never-scales',
            severity: 'warning',
            title: `HPA ${name} never scales: peak ${peakPct}% < ${target}% target`,
            summary: `utilisation is a percentage of the request: at the bursts the HPA saw ${peakPct}%${seen}, below its ${target}% target, so it stayed at ${bounds}${saturated}`,
            evidence,
            signals: { 'hpa-never-scales': ['supports', `peak ${peakPct}% < ${target}% target${seen}`] },
            proposals: [
              {
                mitigation: { kind: 'hpa', namespace: subject.namespace, name, targetCPUUtilizationPercentage: newTarget, maxReplicas: newMax },
                rationale: `the bursts peak at ${peakPct}% of the request; a ${newTarget}% target makes them scale the fleet out, and max ${newMax} (from ${hpa.maxReplicas}) leaves room for it`,
                risk: `more replicas during busy periods (cost, node capacity: see the nodes check); scale-out lags bursts by the pods' time-to-ready, so it is the second line of defence, not instant relief`,
              },
            ],
            facts: { hpaName: name, hpaPeakPercent: peakPct, hpaTargetPercent: target },
          }),
        ],
        discovered: [],
      };
    }
    const reaches = peakPct >= target;
    const why = reaches ? `peak ${peakPct}% reaches the ${target}% target` : `it runs ${cur ?? '?'} replicas, above its min ${hpa.minReplicas}`;
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'scales',
          severity: 'info',
          title: `HPA ${name} can scale: peak ${peakPct}% vs ${target}% target`,
          summary: `HPA ${name} on ${wl}: ${bounds}; peak utilisation ${peakPct}% against a ${target}% target: ${why}`,
          evidence,
          signals: {
            'hpa-never-scales': ['refutes', why],
            'capacity-ceiling': atMax ? ['neutral', `at max ${hpa.maxReplicas} but below target`] : ['refutes', `below max (${cur ?? '?'} of ${hpa.maxReplicas} replicas)`],
          },
        }),
      ],
      discovered: [],
    };
  },
};
