/**
 * hpa: the HorizontalPodAutoscaler targeting the deployment. Its CPU target is a percentage of
 * the pods' CPU request (utilisation = usage / request, averaged over pods). It reads the HPA's own
 * conditions (AbleToScale, ScalingActive, ScalingLimited TooFewReplicas / TooManyReplicas) and its
 * desired vs current replicas, and tells apart:
 * - resting: at its minimum because load is far below the target (idle is not "never scales");
 * - never scales: load near or above the target (or pods saturated below it) while the replicas
 *   stay at the minimum; proposes a lower target;
 * - at max with utilisation above target: a capacity ceiling; proposes a higher max;
 * - asking for more than it has (desired > current): scaling is under way or blocked elsewhere.
 * A proposal that adds pods is made only when the nodes check found room for them; otherwise it
 * says what would help (the node groups' limits) and proposes nothing.
 */
import type { K8sCondition, K8sHpa } from '../../ports.js';
import { formatCpu, sumContainerResource } from '../quantity.js';
import { FACT, makeFinding, notConfigured, readFact, round, single, type Check, type CheckResult, type FindingInput, type ProposalNote } from '../types.js';
import { z } from 'zod';

const ID = 'hpa';
/** "Near the target": a peak at or above this share of it. */
export const NEAR_TARGET = 0.85;

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

/** What the nodes check learnt about room for more pods (undefined: it did not run or could not tell). */
function roomFacts(facts: Record<string, unknown>): { room?: number; help?: string } {
  const room = readFact(facts, 'roomForPods', z.number());
  const help = readFact(facts, 'whatWouldHelp', z.string());
  return { ...(room !== undefined ? { room } : {}), ...(help !== undefined ? { help } : {}) };
}

export const hpaCheck: Check = {
  id: ID,
  title: 'HPA: target, utilisation, limits',
  subjectKind: 'workload',
  dependsOn: ['cpu-per-pod', 'nodes'],
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
    const { room, help } = roomFacts(ctx.facts);
    const noRoom = room !== undefined && room < 1;
    const blocked = `no node can host another ${subject.deployment} pod, so more replicas would only wait Pending: ${help ?? 'add nodes'}`;
    const query = `kubectl get hpa -n ${subject.namespace} -o json (scaleTargetRef ${subject.deployment})`;
    const hpa = mine[0];
    const replicas = deployment?.status?.replicas ?? deployment?.spec.replicas;

    if (!hpa) {
      const proposals: ProposalNote[] = [];
      let note = '';
      if (plateau !== undefined && replicas !== undefined && replicas > 0) {
        const to = Math.min(500, Math.ceil(replicas * 1.5));
        if (noRoom || (room !== undefined && room < to - replicas)) note = `; scaling out would not help now: ${noRoom ? blocked : `room for only ${room} more pod(s): ${help ?? 'add nodes'}`}`;
        else {
          proposals.push({
            mitigation: { kind: 'scale', namespace: subject.namespace, deployment: subject.deployment, replicas: to },
            rationale: `pods plateau at ~${round(plateau)} cores each with no autoscaler; ${to} replicas instead of ${replicas} add workers for the bursts (quick relief)`,
            risk: `${to - replicas} more pods need node capacity (${room !== undefined ? `room for ${room} now` : 'see the nodes check'}); the process-model ceiling per pod stays`,
          });
        }
      }
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'none',
            severity: 'info',
            title: `No HPA targets ${wl}`,
            summary: `no HorizontalPodAutoscaler targets deployment ${subject.deployment}: replicas stay at ${replicas ?? '?'} whatever the load${note}`,
            evidence: [{ query, numbers: { hpas: 0, replicas: replicas ?? 'unknown' } }],
            signals: { 'hpa-never-scales': ['neutral', 'no HPA'], 'capacity-ceiling': ['refutes', `no HPA targets ${subject.deployment}: there is no HPA maximum to hit`] },
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
    const desired = hpa.desiredReplicas;
    const peakFromPods = fleetPeak !== undefined && requestCores !== undefined && requestCores > 0 ? (fleetPeak / requestCores) * 100 : undefined;
    const peak = peakFromPods ?? current;
    const plateauPct = plateau !== undefined && requestCores !== undefined && requestCores > 0 ? (plateau / requestCores) * 100 : undefined;
    const scalingActive = cond(hpa, 'ScalingActive');
    const ableToScale = cond(hpa, 'AbleToScale');
    const limited = cond(hpa, 'ScalingLimited');
    const limitedBy = limited?.status === 'True' ? limited.reason : undefined;
    const numbers: Record<string, number | string> = {
      apiVersion: hpa.apiVersion,
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      currentReplicas: cur ?? 'unknown',
      desiredReplicas: desired ?? 'unknown',
    };
    if (target !== undefined) numbers.targetCPUUtilizationPercentage = target;
    if (current !== undefined) numbers.currentCPUUtilizationPercentage = current;
    if (requestCores !== undefined) numbers.cpuRequest = formatCpu(requestCores);
    if (fleetPeak !== undefined) numbers.peakAvgCoresPerPod = round(fleetPeak);
    if (peak !== undefined) numbers.peakUtilizationPercent = Math.round(peak);
    if (plateauPct !== undefined) numbers.plateauUtilizationPercent = Math.round(plateauPct);
    if (room !== undefined) numbers.roomForPods = room;
    for (const c of [scalingActive, ableToScale, limited]) if (c) numbers[c.type] = `${c.status}${c.reason ? ` (${c.reason})` : ''}`;
    const detail = hpa.conditions.map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''}`.trim()).join('\n');
    const evidence = [{ query, numbers, ...(detail ? { detail } : {}) }];
    const bounds = `${cur ?? '?'} replicas, min ${hpa.minReplicas}, max ${hpa.maxReplicas}`;
    const finding = (input: Omit<FindingInput, 'check' | 'subject' | 'evidence'>): CheckResult => single({ check: ID, subject, evidence, ...input });

    if (scalingActive?.status === 'False' || ableToScale?.status === 'False') {
      const c = scalingActive?.status === 'False' ? scalingActive : ableToScale;
      return finding({
        discriminator: scalingActive?.status === 'False' ? 'no-metrics' : 'unable',
        severity: 'warning',
        title: scalingActive?.status === 'False' ? `HPA ${name} has no metrics (${c?.reason ?? 'ScalingActive False'})` : `HPA ${name} is unable to scale (${c?.reason ?? 'AbleToScale False'})`,
        summary: `${c?.type}=False${c?.reason ? ` (${c.reason})` : ''}${c?.message ? `: ${c.message}` : ''}; the HPA cannot act on load, so ${wl} stays at ${bounds}${requestCores === undefined ? ' (no CPU request on every container: utilisation is undefined)' : ''}`,
        signals: { 'hpa-never-scales': ['supports', `${c?.type}=False (${c?.reason ?? 'no reason'}): it cannot scale`] },
        symptoms: [{ id: 'hpa-flat-under-load', text: `HPA ${name} ${c?.type}=False (${c?.reason ?? 'no reason'}): it cannot add replicas` }],
      });
    }

    const atMax = (cur !== undefined && cur >= hpa.maxReplicas) || limitedBy === 'TooManyReplicas';
    const hot = (current !== undefined && target !== undefined && current >= target) || (peak !== undefined && target !== undefined && peak >= target);
    if (atMax && hot) {
      const newMax = Math.min(1000, Math.max(hpa.maxReplicas + 1, Math.ceil(hpa.maxReplicas * 1.5 - 1e-9)));
      const util = current ?? Math.round(peak ?? 0);
      const canGrow = !noRoom;
      return finding({
        discriminator: 'at-max',
        severity: 'critical',
        title: `HPA ${name} at max ${hpa.maxReplicas} replicas with ${util}% > ${target}% target`,
        summary: `HPA ${name} runs ${bounds} and still sees ${util}% of the ${requestCores !== undefined ? formatCpu(requestCores) : ''} request against a ${target}% target${limited ? ` (ScalingLimited ${limited.status} ${limited.reason ?? ''})` : ''}: it wants more pods and may not add them. ${canGrow ? 'Capacity ceiling: raise maxReplicas' : `A higher maxReplicas alone would not help: ${blocked}`}`,
        signals: {
          'capacity-ceiling': ['supports', `at max ${hpa.maxReplicas} replicas with ${util}% > ${target}% target`],
          'hpa-never-scales': ['refutes', `it scaled to its max of ${hpa.maxReplicas}`],
        },
        symptoms: [{ id: 'hpa-at-max', text: `HPA ${name} at max ${hpa.maxReplicas} with ${util}% of request against a ${target}% target` }],
        proposals: canGrow
          ? [
              {
                mitigation: { kind: 'hpa', namespace: subject.namespace, name, maxReplicas: newMax },
                rationale: `${name} is pinned at ${hpa.maxReplicas} replicas with utilisation ${util}% above its ${target}% target; max ${newMax} lets it follow the load`,
                risk: `up to ${newMax - hpa.maxReplicas} more pods need node capacity (${room !== undefined ? `room for about ${room} now` : 'see the nodes check'}) and add load on shared dependencies`,
              },
            ]
          : [],
        facts: { hpaName: name, hpaAtMax: true },
      });
    }

    if (desired !== undefined && cur !== undefined && desired > cur && cur < hpa.maxReplicas) {
      return finding({
        discriminator: 'scaling',
        severity: 'info',
        title: `HPA ${name} wants ${desired} replicas, has ${cur}`,
        summary: `HPA ${name} asks for ${desired} replicas and runs ${cur} (max ${hpa.maxReplicas}): it is scaling, not stuck; if the new pods do not arrive, look at scheduling${noRoom ? ` (${blocked})` : ''}`,
        signals: { 'hpa-never-scales': ['refutes', `it asks for ${desired} replicas (has ${cur})`] },
      });
    }

    if (target === undefined || peakFromPods === undefined) {
      // Without a usage history only the current figure is known: too weak to call "never scales".
      const resting = limitedBy === 'TooFewReplicas';
      const nowText = current !== undefined ? `currently ${current}%` : 'no utilisation figure';
      return finding({
        discriminator: resting ? 'resting' : 'unknown',
        severity: 'info',
        title: resting ? `HPA ${name} resting at its minimum ${hpa.minReplicas} (ScalingLimited TooFewReplicas)` : `HPA ${name}: ${target === undefined ? 'no CPU target' : `peak utilisation unknown (${nowText})`}`,
        summary: resting
          ? `HPA ${name} would go below its minimum ${hpa.minReplicas} if it could (ScalingLimited TooFewReplicas, ${nowText}): the load is low, it is idle, not failing to scale`
          : `HPA ${name} (${hpa.apiVersion}) on ${wl}: ${bounds}; ${target === undefined ? 'it scales on other metrics, not CPU' : `${nowText} against a ${target}% target, but no per-pod CPU history to tell what it saw at the peak${ctx.ports.prometheus ? '' : ' (Prometheus is not configured)'}`}`,
        signals: resting ? { 'hpa-never-scales': ['refutes', `resting at its minimum: ScalingLimited TooFewReplicas`] } : { 'hpa-never-scales': ['neutral', target === undefined ? 'no CPU target' : 'peak utilisation unknown'] },
      });
    }

    const peakPct = Math.round(peakFromPods);
    const atMin = cur === undefined || cur <= hpa.minReplicas;
    const hotPod = readFact(ctx.facts, 'hotPod', z.string());
    if (atMin && hotPod !== undefined && peakPct < target) {
      // The HPA averages over pods: one hot pod among idle ones reads as a fleet near its target.
      return finding({
        discriminator: 'uneven',
        severity: 'info',
        title: `HPA ${name}: its average hides one hot pod (${hotPod})`,
        summary: `HPA ${name} runs ${bounds} and sees a ${peakPct}% average against its ${target}% target, but the load is not spread: ${hotPod} carries most of it. More replicas or a lower target would add idle pods, not relieve the hot one`,
        signals: { 'hpa-never-scales': ['neutral', `the ${peakPct}% average hides one hot pod`] },
      });
    }
    const saturatedBelow = plateauPct !== undefined && plateauPct < target;
    const nearTarget = peakPct >= NEAR_TARGET * target;
    if (atMin && (nearTarget || saturatedBelow)) {
      const newTarget = proposedTarget(peakPct);
      const newMax = proposedMax(hpa, peakPct, newTarget);
      const seen = fleetPeak !== undefined && requestCores !== undefined ? ` (${round(fleetPeak)} cores per pod on a ${formatCpu(requestCores)} request)` : '';
      const saturated = saturatedBelow ? `; even saturated at ~${round(plateau ?? 0)} cores a pod shows only ${Math.round(plateauPct ?? 0)}%, so the target is unreachable` : '';
      const why = peakPct >= target ? `peak ${peakPct}% ≥ ${target}% target, yet it stayed at its minimum${limitedBy ? ` (ScalingLimited ${limitedBy})` : ''}` : `peak ${peakPct}% < ${target}% target`;
      return finding({
        discriminator: 'never-scales',
        severity: 'warning',
        title: `HPA ${name} never scales: ${why}`,
        summary: `utilisation is a percentage of the request: at the bursts the HPA saw ${peakPct}%${seen}, ${peakPct >= target ? 'above' : 'just below'} its ${target}% target, and it stayed at ${bounds}${saturated}${noRoom ? `; a lower target would not help now: ${blocked}` : ''}`,
        signals: { 'hpa-never-scales': ['supports', `${why}${seen}`] },
        symptoms: [{ id: 'hpa-flat-under-load', text: `HPA ${name} stayed at ${cur ?? hpa.minReplicas} replicas while the pods peaked at ${peakPct}% against its ${target}% target` }],
        proposals: noRoom
          ? []
          : [
              {
                mitigation: { kind: 'hpa', namespace: subject.namespace, name, targetCPUUtilizationPercentage: newTarget, maxReplicas: newMax },
                rationale: `the bursts peak at ${peakPct}% of the request; a ${newTarget}% target makes them scale the fleet out, and max ${newMax} (from ${hpa.maxReplicas}) leaves room for it`,
                risk: `more replicas during busy periods (cost, node capacity: ${room !== undefined ? `room for about ${room} pods now` : 'see the nodes check'}); scale-out lags bursts by the pods' time-to-ready, so it is the second line of defence, not instant relief`,
              },
            ],
        facts: { hpaName: name, hpaPeakPercent: peakPct, hpaTargetPercent: target },
      });
    }
    if (atMin) {
      return finding({
        discriminator: 'resting',
        severity: 'info',
        title: `HPA ${name} resting at its minimum: peak ${peakPct}% vs ${target}% target`,
        summary: `HPA ${name} runs ${bounds}; the pods peaked at ${peakPct}% of their request, far below the ${target}% target${limitedBy === 'TooFewReplicas' ? ' (ScalingLimited TooFewReplicas: it would go lower if it could)' : ''}: the service is quiet, so staying at the minimum is the HPA working, not failing. No change to its target is warranted`,
        signals: {
          'hpa-never-scales': ['refutes', `resting at its minimum: peak ${peakPct}% is far below the ${target}% target`],
          'capacity-ceiling': ['refutes', `at its minimum ${hpa.minReplicas}, not its maximum ${hpa.maxReplicas}`],
        },
      });
    }
    const reaches = peakPct >= target;
    const why = reaches ? `peak ${peakPct}% reaches the ${target}% target` : `it runs ${cur ?? '?'} replicas, above its min ${hpa.minReplicas}`;
    return finding({
      discriminator: 'scales',
      severity: 'info',
      title: `HPA ${name} can scale: peak ${peakPct}% vs ${target}% target`,
      summary: `HPA ${name} on ${wl}: ${bounds}; peak utilisation ${peakPct}% against a ${target}% target: ${why}`,
      signals: {
        'hpa-never-scales': ['refutes', why],
        'capacity-ceiling': atMax ? ['neutral', `at max ${hpa.maxReplicas} but below target`] : ['refutes', `below max (${cur ?? '?'} of ${hpa.maxReplicas} replicas)`],
      },
    });
  },
};
