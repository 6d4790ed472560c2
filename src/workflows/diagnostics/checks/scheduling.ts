/**
 * scheduling: Pending pods by the scheduler's own reason (the FailedScheduling event, "0/6 nodes
 * are available: 3 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector"), and
 * what the cluster autoscaler said about them (TriggeredScaleUp, NotTriggerScaleUp "max node group
 * size reached"). Lack of resources is a cluster-capacity problem, not node pressure; a selector,
 * affinity or taint no node satisfies, confined to the new revision, is the deploy's doing.
 */
import type { K8sEvent, K8sPod } from '../../ports.js';
import { makeFinding, notConfigured, type Check, type CheckResult, type SymptomInput } from '../types.js';
import { deploymentSelector, failureScope, podsByRevision, scopeText, waitingReasons } from './k8s-util.js';

const ID = 'scheduling';

export type PendingCause = 'resources' | 'pressure' | 'constraints' | 'unschedulable' | 'other';

/** "0/6 nodes are available: 3 Insufficient cpu, 3 node(s) didn't match ..." -> [[3, 'Insufficient cpu'], ...]. */
export function schedulerReasons(message: string): [number, string][] {
  const head = message.split(/\.\s*preemption:/i)[0] ?? message;
  const colon = head.indexOf('available:');
  const body = colon >= 0 ? head.slice(colon + 'available:'.length) : head;
  const out: [number, string][] = [];
  for (const part of body.split(/,\s*/)) {
    const m = /^\s*(\d+)\s+(.+?)\.?\s*$/.exec(part);
    if (m?.[1] && m[2]) out.push([Number(m[1]), m[2]]);
  }
  return out;
}

export function causeOf(reason: string): PendingCause {
  if (/^Insufficient |Too many pods|didn't have free ports/i.test(reason)) return 'resources';
  if (/(memory|disk|pid)-pressure/i.test(reason)) return 'pressure';
  if (/were unschedulable/i.test(reason)) return 'unschedulable';
  if (/node affinity|selector|taint|didn't tolerate|anti-affinity|affinity rules|topology spread|volume node affinity/i.test(reason)) return 'constraints';
  return 'other';
}

/** The pod's cause: resources when any node lacks only resources, else pressure, constraints... */
export function podCause(reasons: [number, string][]): PendingCause {
  const causes = new Set(reasons.map(([, r]) => causeOf(r)));
  for (const c of ['resources', 'pressure', 'constraints', 'unschedulable'] as const) if (causes.has(c)) return c;
  return 'other';
}

const ts = (e: K8sEvent): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
function latest(events: K8sEvent[]): K8sEvent | undefined {
  return [...events].sort((a, b) => ts(b).localeCompare(ts(a)) || (a.message ?? '').localeCompare(b.message ?? ''))[0];
}

export const schedulingCheck: Check = {
  id: ID,
  title: 'Scheduling: Pending pods by the scheduler reason',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'Pending pods', 'Kubernetes');
    const deployment = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    if (!deployment) return { findings: [], discovered: [] };
    const pods = (await k8s.listPods(subject.namespace, deploymentSelector(deployment), ctx.signal)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const pending = pods.filter((p) => p.status.phase === 'Pending' && waitingReasons(p).length === 0 && p.spec.nodeName === undefined);
    if (pending.length === 0) return { findings: [], discovered: [] };

    const [failed, notScaled, scaled] = await Promise.all([
      k8s.listEvents(subject.namespace, 'reason=FailedScheduling', ctx.signal),
      k8s.listEvents(subject.namespace, 'reason=NotTriggerScaleUp', ctx.signal),
      k8s.listEvents(subject.namespace, 'reason=TriggeredScaleUp', ctx.signal),
    ]);
    const of = (events: K8sEvent[], p: K8sPod): K8sEvent | undefined => latest(events.filter((e) => e.involvedObject.name === p.metadata.name));
    const rows = pending.map((p) => {
      const cond = (p.status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
      const message = of(failed, p)?.message ?? cond?.message ?? p.status.message ?? '';
      const reasons = schedulerReasons(message);
      return { pod: p, message: message || 'no scheduler event yet', reasons, cause: podCause(reasons), autoscaler: of(notScaled, p)?.message ?? of(scaled, p)?.message };
    });
    const rev = await podsByRevision(k8s, deployment, pods, ctx.signal);
    const query = `kubectl get events -n ${subject.namespace} --field-selector reason=FailedScheduling (and reason=NotTriggerScaleUp, TriggeredScaleUp)`;
    const atMax = rows.some((r) => /max node group size reached|max cluster (cpu|memory|nodes?)/i.test(r.autoscaler ?? ''));
    const scalingUp = rows.find((r) => /triggered scale-up/i.test(r.autoscaler ?? ''))?.autoscaler;
    const detail = rows.map((r) => `${r.pod.metadata.name}: ${r.message}${r.autoscaler ? `\n  cluster-autoscaler: ${r.autoscaler}` : ''}`).join('\n');
    const byCause = new Map<PendingCause, typeof rows>();
    for (const r of rows) byCause.set(r.cause, [...(byCause.get(r.cause) ?? []), r]);

    const findings = [...byCause.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([cause, rs]) => {
        const podsOf = rs.map((r) => r.pod);
        const scope = failureScope(podsOf, rev, pods.length, ctx.now);
        const where = scopeText(scope, rev);
        const first = rs[0]?.message ?? '';
        const numbers: Record<string, number | string> = { pending: rs.length, pods: pods.length };
        for (const [n, reason] of rs[0]?.reasons ?? []) numbers[reason] = n;
        const list = podsOf.map((p) => p.metadata.name).join(', ');
        const evidence = [{ query, numbers, detail }];
        if (cause === 'resources') {
          const autoscaler = atMax
            ? 'the cluster autoscaler will not add a node: max node group size reached'
            : scalingUp
              ? `the cluster autoscaler is adding capacity (${scalingUp})`
              : 'no cluster-autoscaler event: nodes are added by hand or by another provisioner';
          const symptom: SymptomInput = { id: 'pending-resources', text: `${rs.length} pod(s) Pending: ${first}` };
          return makeFinding({
            check: ID,
            subject,
            discriminator: 'pending-resources',
            severity: 'critical',
            title: `${rs.length} pod(s) Pending for lack of node resources${atMax ? ' (node group at its maximum)' : ''}`,
            summary: `${list} cannot be scheduled: ${first}; ${autoscaler}. This is cluster capacity (room on the nodes), not node pressure: more replicas or a higher HPA max would only add Pending pods`,
            evidence,
            signals: { 'cluster-capacity': ['supports', `${rs.length} pod(s) Pending: ${first}`], 'node-pressure': ['refutes', 'the scheduler reports missing resources, not pressure'] },
            symptoms: [symptom],
            facts: { pendingForResources: rs.length, nodeGroupAtMax: atMax },
          });
        }
        if (cause === 'pressure') {
          return makeFinding({
            check: ID,
            subject,
            discriminator: 'pending-pressure',
            severity: 'warning',
            title: `${rs.length} pod(s) Pending: nodes under pressure`,
            summary: `${list}: ${first}: the scheduler avoids nodes tainted for memory, disk or PID pressure`,
            evidence,
            signals: { 'node-pressure': ['supports', `pods cannot schedule: ${first}`] },
            symptoms: [{ id: 'node-pressure', text: `scheduler: ${first}` }],
          });
        }
        const constraint = cause === 'constraints' || cause === 'unschedulable';
        return makeFinding({
          check: ID,
          subject,
          discriminator: `pending-${cause}`,
          severity: 'warning',
          title: `${rs.length} pod(s) Pending: ${constraint ? 'no node matches their constraints' : 'not scheduled'}`,
          summary: `${list} (${where}): ${first}${constraint ? ': more nodes of the same kind would not help; the pod template\'s nodeSelector, affinity or tolerations (or the nodes\' labels and taints) must change' : ''}`,
          evidence,
          signals: constraint && scope === 'new-revision' ? { 'bad-deploy': ['supports', `new pods match no node: ${first}`] } : {},
          symptoms: constraint ? [{ id: 'pending-constraints', scope, text: `${rs.length} pod(s) Pending (${where}): ${first}` }] : [],
        });
      });
    return { findings, discovered: [] };
  },
};
