/**
 * nodes: node pressure conditions (MemoryPressure, DiskPressure, PIDPressure), allocatable vs the
 * sum of the requests of the pods bound to each node, and whether one more pod of this deployment
 * fits anywhere, as the scheduler would judge it: the pod's nodeSelector, its required node
 * affinity and its tolerations against the nodes' labels and taints, then free CPU and memory.
 * When nothing fits, it says what would: the cluster autoscaler's node groups and their maximum
 * (from its status ConfigMap, when visible), else "add nodes".
 */
import { z } from 'zod';
import type { Finding } from '../../../domain/diagnostics.js';
import type { K8sContainer, K8sNode, K8sPod, KubernetesPort } from '../../ports.js';
import { formatCpu, formatMemory, parseCpuCores, parseMemoryBytes } from '../quantity.js';
import { makeFinding, notConfigured, round, type Check, type CheckResult } from '../types.js';
import { deploymentSelector } from './k8s-util.js';

const ID = 'nodes';
const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;
const MAX_NODES = 200;
const NODE_BATCH = 10;
export const AUTOSCALER_STATUS = { namespace: 'kube-system', name: 'cluster-autoscaler-status' } as const;

function requestsOf(containers: K8sContainer[]): { cpu: number; mem: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of containers) {
    cpu += parseCpuCores(c.resources?.requests?.cpu) ?? 0;
    mem += parseMemoryBytes(c.resources?.requests?.memory) ?? 0;
  }
  return { cpu, mem };
}

// ------------------------------------------------------------------------------------------
// Scheduling constraints (the subset the scheduler's filters apply that a template carries)

const Requirement = z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() });
const Term = z.object({ matchExpressions: z.array(Requirement).optional(), matchFields: z.array(Requirement).optional() });
const Toleration = z.object({ key: z.string().optional(), operator: z.string().optional(), value: z.string().optional(), effect: z.string().optional() });
const Constraints = z.looseObject({
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(Toleration).optional(),
  affinity: z
    .looseObject({
      nodeAffinity: z.looseObject({ requiredDuringSchedulingIgnoredDuringExecution: z.looseObject({ nodeSelectorTerms: z.array(Term) }).optional() }).optional(),
    })
    .optional(),
});
export type Constraints = z.infer<typeof Constraints>;

export function constraintsOf(podSpec: unknown): Constraints {
  const r = Constraints.safeParse(podSpec);
  return r.success ? r.data : {};
}

function requirementHolds(req: z.infer<typeof Requirement>, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number.parseInt(value ?? '', 10);
      const bound = Number.parseInt(values[0] ?? '', 10);
      if (!Number.isFinite(n) || !Number.isFinite(bound)) return false;
      return req.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** Terms are ORed, expressions within a term ANDed; an empty term matches nothing (as the API defines). */
function affinityHolds(terms: z.infer<typeof Term>[], node: K8sNode): boolean {
  const labels = node.metadata.labels ?? {};
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementHolds(r, labels[r.key])) && fields.every((r) => requirementHolds(r, r.key === 'metadata.name' ? node.metadata.name : undefined));
  });
}

function tolerates(tols: z.infer<typeof Toleration>[], taint: { key: string; value?: string; effect: string }): boolean {
  return tols.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why the pod may not go on this node, before resources (undefined: it may). */
export function constraintMismatch(c: Constraints, node: K8sNode): string | undefined {
  const labels = node.metadata.labels ?? {};
  const sel = Object.entries(c.nodeSelector ?? {}).filter(([k, v]) => labels[k] !== v);
  if (sel.length > 0) return `nodeSelector ${sel.map(([k, v]) => `${k}=${v}`).join(',')} not matched`;
  const terms = c.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !affinityHolds(terms, node)) return 'required node affinity not matched';
  const untolerated = (node.spec?.taints ?? []).filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(c.tolerations ?? [], t));
  if (untolerated[0]) return `untolerated taint ${untolerated[0].key}${untolerated[0].value ? `=${untolerated[0].value}` : ''}:${untolerated[0].effect}`;
  return undefined;
}

// ------------------------------------------------------------------------------------------
// The cluster autoscaler's status ConfigMap

export interface NodeGroup {
  name: string;
  target: number;
  min: number;
  max: number;
}

/** Node groups from cluster-autoscaler-status, in its text format (before 1.30) or its YAML one. */
export function parseAutoscalerStatus(status: string): NodeGroup[] {
  const out: NodeGroup[] = [];
  // Text: "Name: <group>" then "Health: ... cloudProviderTarget=3 (minSize=1, maxSize=3))".
  const text = /Name:\s+(\S+)\s*\n\s*Health:[^\n]*?cloudProviderTarget=(\d+)\s*\(minSize=(\d+),\s*maxSize=(\d+)\)/g;
  for (let m = text.exec(status); m; m = text.exec(status)) out.push({ name: m[1] ?? '', target: Number(m[2]), min: Number(m[3]), max: Number(m[4]) });
  if (out.length > 0) return out;
  // YAML: "nodeGroups:" then "- name: <group>" blocks with cloudProviderTarget, minSize, maxSize.
  const groups = status.split(/\n\s*-\s+name:\s*/).slice(1);
  for (const g of groups) {
    const name = /^(\S+)/.exec(g)?.[1];
    const num = (k: string): number | undefined => {
      const v = new RegExp(`\\b${k}:\\s*(\\d+)`).exec(g)?.[1];
      return v === undefined ? undefined : Number(v);
    };
    const target = num('cloudProviderTarget');
    const max = num('maxSize');
    if (name && target !== undefined && max !== undefined) out.push({ name, target, min: num('minSize') ?? 0, max });
  }
  return out;
}

async function nodeGroups(k8s: KubernetesPort, signal: AbortSignal): Promise<NodeGroup[] | undefined> {
  try {
    const cm = await k8s.getConfigMap(AUTOSCALER_STATUS.namespace, AUTOSCALER_STATUS.name, signal);
    const status = cm?.data['status'];
    return status === undefined ? undefined : parseAutoscalerStatus(status);
  } catch {
    // Not allowed or not there: the autoscaler's limits are simply not visible.
    return undefined;
  }
}

/** Node labels naming the group a node belongs to (EKS, eksctl, Karpenter, GKE, AKS). */
const GROUP_LABELS = ['eks.amazonaws.com/nodegroup', 'alpha.eksctl.io/nodegroup-name', 'karpenter.sh/nodepool', 'cloud.google.com/gke-nodepool', 'kubernetes.azure.com/agentpool'];

/**
 * The node groups that can host the pod: those whose name contains the group label of a node the
 * pod may run on (the autoscaler names groups after the cloud's groups: `eks-<nodegroup>-<id>`).
 * Undefined when no group can be tied to an eligible node.
 */
export function groupsForNodes(groups: NodeGroup[], eligible: K8sNode[]): NodeGroup[] | undefined {
  const hints = [...new Set(eligible.flatMap((n) => GROUP_LABELS.map((l) => n.metadata.labels?.[l]).filter((v): v is string => v !== undefined && v !== '')))];
  const matched = groups.filter((g) => hints.some((h) => g.name.includes(h)));
  return matched.length > 0 ? matched : undefined;
}

/** What would let another pod run when none fits. `relevant`: the groups known to be able to host it. */
export function whatWouldHelp(groups: NodeGroup[] | undefined, relevant?: NodeGroup[]): string {
  if (!groups || groups.length === 0) return 'add nodes (no cluster-autoscaler status is visible)';
  const pool = relevant ?? groups;
  const which = relevant ? 'node group that can host it' : 'node group';
  const full = pool.filter((g) => g.target >= g.max);
  const room = pool.filter((g) => g.target < g.max);
  if (room.length > 0) return `the cluster autoscaler can still grow ${room.map((g) => `${g.name} (${g.target} of max ${g.max})`).join(', ')}${relevant ? '' : ' (which group can host this pod is not visible)'}: new pods wait for a node, minutes behind a burst`;
  return `every ${which} is at its maximum (${full.map((g) => `${g.name} ${g.target}/${g.max}`).join(', ')}): raise ${full.length === 1 ? 'its' : 'a'} maxSize (or add nodes) first`;
}

interface NodeView {
  name: string;
  pressure: string[];
  ready: boolean;
  schedulable: boolean;
  mismatch?: string;
  freeCpu: number;
  freeMem: number;
  allocCpu: number;
  allocMem: number;
  hostsWorkload: boolean;
}

export const nodesCheck: Check = {
  id: ID,
  title: 'Nodes: pressure and room for one more pod',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'the nodes', 'Kubernetes');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const deployment = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    const podReq = requestsOf(deployment?.spec.template.spec.containers ?? []);
    const constraints = constraintsOf(deployment?.spec.template.spec);
    const workloadPods = deployment ? await k8s.listPods(subject.namespace, deploymentSelector(deployment), ctx.signal) : [];
    const hosting = new Set(workloadPods.map((p) => p.spec.nodeName).filter((n): n is string => n !== undefined));
    const nodes: K8sNode[] = (await k8s.listNodes(ctx.signal)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).slice(0, MAX_NODES);
    if (nodes.length === 0) {
      return {
        findings: [
          makeFinding({ check: ID, subject, discriminator: 'no-nodes', severity: 'info', title: 'No nodes visible', summary: 'listing nodes returned none (RBAC or a managed/virtual node pool): node pressure cannot be judged', evidence: [{ query: 'kubectl get nodes', numbers: { nodes: 0 } }] }),
        ],
        discovered: [],
      };
    }
    // Pods per node, a few nodes at a time.
    const podsByNode = new Map<string, K8sPod[]>();
    for (let i = 0; i < nodes.length; i += NODE_BATCH) {
      const batch = nodes.slice(i, i + NODE_BATCH);
      const lists = await Promise.all(batch.map((n) => k8s.listPodsOnNode(n.metadata.name, ctx.signal)));
      batch.forEach((n, j) => podsByNode.set(n.metadata.name, lists[j] ?? []));
    }
    const views: NodeView[] = [];
    for (const n of nodes) {
      const conds = n.status.conditions ?? [];
      const pods: K8sPod[] = podsByNode.get(n.metadata.name) ?? [];
      const used = pods
        .filter((p) => p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed')
        .reduce((acc, p) => {
          const r = requestsOf(p.spec.containers);
          return { cpu: acc.cpu + r.cpu, mem: acc.mem + r.mem };
        }, { cpu: 0, mem: 0 });
      const allocCpu = parseCpuCores(n.status.allocatable?.cpu) ?? 0;
      const allocMem = parseMemoryBytes(n.status.allocatable?.memory) ?? 0;
      const mismatch = constraintMismatch(constraints, n);
      views.push({
        name: n.metadata.name,
        pressure: PRESSURE.filter((t) => conds.some((c) => c.type === t && c.status === 'True')),
        ready: conds.some((c) => c.type === 'Ready' && c.status === 'True'),
        schedulable: n.spec?.unschedulable !== true,
        ...(mismatch ? { mismatch } : {}),
        freeCpu: allocCpu - used.cpu,
        freeMem: allocMem - used.mem,
        allocCpu,
        allocMem,
        hostsWorkload: hosting.has(n.metadata.name),
      });
    }
    const detail = views
      .map((v) => `${v.name}: ${v.ready ? 'Ready' : 'NotReady'}${v.schedulable ? '' : ' cordoned'}${v.pressure.length ? ` ${v.pressure.join(',')}` : ''} free ${formatCpu(Math.max(0, v.freeCpu))}/${formatCpu(v.allocCpu)} CPU, ${formatMemory(Math.max(0, v.freeMem))}/${formatMemory(v.allocMem)}${v.mismatch ? ` (not eligible: ${v.mismatch})` : ''}${v.hostsWorkload ? ` (hosts ${subject.deployment})` : ''}`)
      .join('\n');
    const query = 'kubectl get nodes -o json (labels, taints, conditions, allocatable); kubectl get pods -A --field-selector spec.nodeName=<node> (requests)';
    const findings: Finding[] = [];

    const pressured = views.filter((v) => v.pressure.length > 0);
    const notReady = views.filter((v) => !v.ready);
    if (pressured.length > 0) {
      const onWorkload = pressured.filter((v) => v.hostsWorkload);
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'pressure',
          severity: onWorkload.length > 0 ? 'critical' : 'warning',
          title: `${pressured.length} node(s) under pressure${onWorkload.length ? `, ${onWorkload.length} hosting ${subject.deployment}` : ''}`,
          summary: `${pressured.map((v) => `${v.name}: ${v.pressure.join(', ')}${v.hostsWorkload ? ` (hosts ${subject.deployment})` : ''}`).join('; ')}: the kubelet evicts pods and the scheduler avoids these nodes`,
          evidence: [{ query, numbers: { nodes: views.length, underPressure: pressured.length, hostingWorkload: onWorkload.length, notReady: notReady.length }, detail }],
          signals: { 'node-pressure': [onWorkload.length > 0 ? 'supports' : 'neutral', `${pressured.map((v) => `${v.name} ${v.pressure.join('/')}`).join(', ')}`] },
          symptoms: onWorkload.length > 0 ? [{ id: 'node-pressure', text: `${onWorkload.map((v) => `${v.name} ${v.pressure.join('/')}`).join(', ')} (hosting ${subject.deployment})` }] : [],
        }),
      );
    } else {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'pressure',
          severity: notReady.length > 0 ? 'warning' : 'info',
          title: `No node pressure (${views.length} nodes${notReady.length ? `, ${notReady.length} NotReady` : ''})`,
          summary: `no node reports MemoryPressure, DiskPressure or PIDPressure${notReady.length ? `; NotReady: ${notReady.map((v) => v.name).join(', ')}` : ''}`,
          evidence: [{ query, numbers: { nodes: views.length, underPressure: 0, notReady: notReady.length }, detail }],
          signals: { 'node-pressure': ['refutes', `none of ${views.length} nodes reports pressure`] },
        }),
      );
    }

    // Room for one more pod of this deployment, as the scheduler would judge it.
    if (deployment) {
      const eligible = views.filter((v) => v.ready && v.schedulable && v.pressure.length === 0 && v.mismatch === undefined);
      const fits = eligible.filter((v) => v.freeCpu >= podReq.cpu && v.freeMem >= podReq.mem);
      const roomiest = [...eligible].sort((a, b) => b.freeCpu - a.freeCpu || a.name.localeCompare(b.name))[0];
      const pod = `${formatCpu(podReq.cpu)} CPU, ${formatMemory(podReq.mem)}`;
      const perNode = fits.map((v) => Math.min(podReq.cpu > 0 ? Math.floor(v.freeCpu / podReq.cpu + 1e-9) : 99, podReq.mem > 0 ? Math.floor(v.freeMem / podReq.mem + 1e-9) : 99));
      const room = perNode.reduce((a, b) => a + b, 0);
      const constrained = views.length - eligible.length;
      const constraintText = constrained > 0 ? ` (${eligible.length} of ${views.length} nodes are eligible for its nodeSelector, affinity, tolerations and state)` : '';
      const groups = fits.length === 0 ? await nodeGroups(k8s, ctx.signal) : undefined;
      const eligibleNames = new Set(eligible.map((v) => v.name));
      const relevant = groups ? groupsForNodes(groups, nodes.filter((n) => eligibleNames.has(n.metadata.name))) : undefined;
      const help = whatWouldHelp(groups, relevant);
      const pool = relevant ?? groups ?? [];
      const groupsAtMax = pool.length > 0 && pool.every((g) => g.target >= g.max);
      const numbers: Record<string, number | string> = { podCpuRequest: formatCpu(podReq.cpu), podMemoryRequest: formatMemory(podReq.mem), eligibleNodes: eligible.length, nodesThatFit: fits.length, roomForPods: room, maxFreeCpuCores: round(Math.max(0, roomiest?.freeCpu ?? 0)) };
      if (groups) for (const g of groups) numbers[`nodeGroup ${g.name}`] = `${g.target}/${g.max}`;
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'headroom',
          severity: fits.length === 0 ? 'warning' : 'info',
          title: fits.length === 0 ? `One more ${subject.deployment} pod (${pod}) fits on no node` : `One more ${subject.deployment} pod (${pod}) fits on ${fits.length} of ${views.length} nodes`,
          summary:
            fits.length === 0
              ? `no eligible node has ${pod} free${constraintText} (roomiest: ${roomiest?.name ?? '-'} with ${formatCpu(Math.max(0, roomiest?.freeCpu ?? 0))} CPU free): any scale-out of ${wl} waits; ${help}`
              : `${fits.map((v) => v.name).join(', ')} can take a pod of ${pod} now (room for about ${room} more)${constraintText}: scale-out does not wait for new nodes`,
          evidence: [{ query: `${query}${groups ? `; kubectl get configmap -n ${AUTOSCALER_STATUS.namespace} ${AUTOSCALER_STATUS.name}` : ''}`, numbers, detail }],
          signals: fits.length === 0 && groupsAtMax ? { 'cluster-capacity': ['supports', `no node can host one more pod and ${help}`] } : {},
          symptoms: fits.length === 0 ? [{ id: 'no-room', text: `one more ${subject.deployment} pod (${pod}) fits on no eligible node` }] : [],
          facts: { nodesThatFit: fits.length, roomForPods: room, whatWouldHelp: help, nodeGroupsAtMax: groupsAtMax },
        }),
      );
    }
    return { findings, discovered: [] };
  },
};
