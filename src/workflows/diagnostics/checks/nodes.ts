/**
 * nodes: node pressure conditions (MemoryPressure, DiskPressure, PIDPressure), allocatable vs the
 * sum of the requests of the pods bound to each node, and whether one more pod of this deployment
 * fits anywhere (scale-out that fits nowhere waits for a new node).
 */
import type { Finding } from '../../../domain/diagnostics.js';
import type { K8sContainer, K8sNode, K8sPod } from '../../ports.js';
import { formatCpu, formatMemory, parseCpuCores, parseMemoryBytes } from '../quantity.js';
import { makeFinding, notConfigured, round, type Check, type CheckResult } from '../types.js';
import { deploymentSelector } from './k8s-util.js';

const ID = 'nodes';
const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;
const MAX_NODES = 200;
const NODE_BATCH = 10;

function requestsOf(containers: K8sContainer[]): { cpu: number; mem: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of containers) {
    cpu += parseCpuCores(c.resources?.requests?.cpu) ?? 0;
    mem += parseMemoryBytes(c.resources?.requests?.memory) ?? 0;
  }
  return { cpu, mem };
}

interface NodeView {
  name: string;
  pressure: string[];
  ready: boolean;
  schedulable: boolean;
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
      views.push({
        name: n.metadata.name,
        pressure: PRESSURE.filter((t) => conds.some((c) => c.type === t && c.status === 'True')),
        ready: conds.some((c) => c.type === 'Ready' && c.status === 'True'),
        schedulable: n.spec?.unschedulable !== true,
        freeCpu: allocCpu - used.cpu,
        freeMem: allocMem - used.mem,
        allocCpu,
        allocMem,
        hostsWorkload: hosting.has(n.metadata.name),
      });
    }
    const detail = views
      .map((v) => `${v.name}: ${v.ready ? 'Ready' : 'NotReady'}${v.schedulable ? '' : ' cordoned'}${v.pressure.length ? ` ${v.pressure.join(',')}` : ''} free ${formatCpu(Math.max(0, v.freeCpu))}/${formatCpu(v.allocCpu)} CPU, ${formatMemory(Math.max(0, v.freeMem))}/${formatMemory(v.allocMem)}${v.hostsWorkload ? ` (hosts ${subject.deployment})` : ''}`)
      .join('\n');
    const query = 'kubectl get nodes -o json (conditions, allocatable); kubectl get pods -A --field-selector spec.nodeName=<node> (requests)';
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

    // Room for one more pod of this deployment.
    if (deployment) {
      const fits = views.filter((v) => v.ready && v.schedulable && v.pressure.length === 0 && v.freeCpu >= podReq.cpu && v.freeMem >= podReq.mem);
      const roomiest = [...views].sort((a, b) => b.freeCpu - a.freeCpu || a.name.localeCompare(b.name))[0];
      const pod = `${formatCpu(podReq.cpu)} CPU, ${formatMemory(podReq.mem)}`;
      const perNode = fits.map((v) => Math.min(podReq.cpu > 0 ? Math.floor(v.freeCpu / podReq.cpu + 1e-9) : 99, podReq.mem > 0 ? Math.floor(v.freeMem / podReq.mem + 1e-9) : 99));
      const room = perNode.reduce((a, b) => a + b, 0);
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'headroom',
          severity: fits.length === 0 ? 'warning' : 'info',
          title: fits.length === 0 ? `One more ${subject.deployment} pod (${pod}) fits on no node` : `One more ${subject.deployment} pod (${pod}) fits on ${fits.length} of ${views.length} nodes`,
          summary:
            fits.length === 0
              ? `no ready, schedulable node without pressure has ${pod} free (roomiest: ${roomiest?.name ?? '-'} with ${formatCpu(Math.max(0, roomiest?.freeCpu ?? 0))} CPU free): any scale-out of ${wl} waits for a new node (cluster autoscaler), minutes behind a burst`
              : `${fits.map((v) => v.name).join(', ')} can take a pod of ${pod} now (room for about ${room} more): scale-out does not wait for new nodes`,
          evidence: [{ query, numbers: { podCpuRequest: formatCpu(podReq.cpu), podMemoryRequest: formatMemory(podReq.mem), nodesThatFit: fits.length, roomForPods: room, maxFreeCpuCores: round(Math.max(0, roomiest?.freeCpu ?? 0)) }, detail }],
          signals: fits.length === 0 ? { 'capacity-ceiling': ['supports', `one more pod (${pod}) fits on no node`] } : {},
          facts: { nodesThatFit: fits.length, roomForPods: room },
        }),
      );
    }
    return { findings, discovered: [] };
  },
};
