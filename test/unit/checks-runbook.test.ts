/**
 * The runbook classes as checks (scheduling, probes, rollout, slo-burn, http-5xx, config changes in
 * change correlation) and the rules that check proposals against the world (node fit, node groups),
 * on fixture worlds built from the fakes.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { changeCorrelationCheck, configLabel, configRefs, templateChange } from '../../src/workflows/diagnostics/checks/change-correlation.js';
import { http5xxCheck } from '../../src/workflows/diagnostics/checks/http-5xx.js';
import { constraintMismatch, constraintsOf, groupsForNodes, nodesCheck, parseAutoscalerStatus, whatWouldHelp } from '../../src/workflows/diagnostics/checks/nodes.js';
import { probesCheck } from '../../src/workflows/diagnostics/checks/probes.js';
import { rolloutCheck } from '../../src/workflows/diagnostics/checks/rollout.js';
import { causeOf, podCause, schedulerReasons, schedulingCheck } from '../../src/workflows/diagnostics/checks/scheduling.js';
import { sloBurnCheck } from '../../src/workflows/diagnostics/checks/slo-burn.js';
import type { CheckContext, CheckPorts } from '../../src/workflows/diagnostics/types.js';
import type { K8sConfigMap, K8sNode, K8sPod } from '../../src/workflows/ports.js';
import { FakeCloudWatch, FakeKubernetes, FakePrometheus, at, minutes, node, oomAfterDeployWorld, pod, type KubeWorld } from '../support/fake-ports.js';

const payments: Subject = { kind: 'workload', namespace: 'payments', deployment: 'payments-api' };
const NOW = at('2025-03-14T10:20:00Z');

function ctx(ports: CheckPorts, subject: Subject = payments, facts: Record<string, unknown> = {}, startedAt = at('2025-03-14T10:00:00Z')): CheckContext {
  return { subject, incident: { id: 'INC-9', startedAt, alerts: [] }, now: NOW, signal: new AbortController().signal, ports, facts };
}

function byDisc(findings: Finding[], disc: string): Finding {
  const f = findings.find((x) => x.id.endsWith(`:${disc}`));
  if (!f) throw new Error(`no finding ${disc} in ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

/** The OOM world (revision 5 at 09:52 crashing, revision 4's two pods healthy) with the new pods' state replaced. */
function paymentsWorld(mutate: (w: KubeWorld) => void = () => undefined): KubeWorld {
  const w = oomAfterDeployWorld().kube;
  mutate(w);
  return w;
}

const newPods = (w: KubeWorld): K8sPod[] => (w.pods ?? []).filter((p) => p.metadata.name.startsWith('payments-api-5c8d7f9b6-'));

function waitingNewPods(w: KubeWorld, reason: string, message?: string): void {
  for (const p of newPods(w)) {
    p.status.phase = 'Pending';
    p.status.containerStatuses = [{ name: 'api', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } }];
  }
}

describe('change correlation: a rollback whenever a failure is confined to the new revision, if a rollback restores the old state', () => {
  it.each([
    ['ImagePullBackOff', 'image pull failing'],
    ['ErrImagePull', 'image pull failing'],
    ['CreateContainerConfigError', 'CreateContainerConfigError'],
  ])('%s in the new pods only: supports the deploy and proposes the rollback', async (reason, text) => {
    const k = new FakeKubernetes(paymentsWorld((w) => waitingNewPods(w, reason)));
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-failing');
    expect(f.signals['hypothesis:bad-deploy']).toBe('supports');
    expect(f.summary).toContain(`2 of 2 new pods failing (${text})`);
    expect(f.mitigations).toEqual([{ kind: 'rollback', namespace: 'payments', deployment: 'payments-api', toRevision: 4 }]);
  });

  it('running but never ready in the new revision: rollback too', async () => {
    const k = new FakeKubernetes(
      paymentsWorld((w) => {
        for (const p of newPods(w)) {
          p.status = { phase: 'Running', startTime: '2025-03-14T09:53:00Z', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'api', ready: false, restartCount: 0, state: { running: { startedAt: '2025-03-14T09:53:00Z' } } }] };
        }
      }),
    );
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-failing');
    expect(f.symptoms?.map((s) => `${s.id}@${s.scope ?? ''}`)).toEqual(['recent-change@', 'readiness-failing@new-revision']);
    expect(f.mitigations).toHaveLength(1);
  });

  it('older pods failing the same way: the change does not explain it', async () => {
    const k = new FakeKubernetes(
      paymentsWorld((w) => {
        for (const p of (w.pods ?? []).filter((x) => x.metadata.name.startsWith('payments-api-84b5c6d7e-'))) {
          p.status.containerStatuses = [{ name: 'api', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }];
        }
      }),
    );
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-all-failing');
    expect(f.signals['hypothesis:bad-deploy']).toBe('refutes');
    expect(f.mitigations).toEqual([]);
  });

  const configMap = (name: string, at?: string): K8sConfigMap => ({ metadata: { name, namespace: 'payments', creationTimestamp: '2025-01-01T00:00:00Z' }, data: {}, ...(at ? { updatedAt: at } : {}) });
  /** Revision 4 references `oldCm`, revision 5 `newCm`, with the given checksum annotations; images equal. */
  function configWorld(oldCm: string, newCm: string, checksums: [string, string] | undefined, configMaps: K8sConfigMap[]): KubeWorld {
    return paymentsWorld((w) => {
      const image = 'registry.example.com/payments-api:v2.2.9';
      for (const rs of w.replicaSets ?? []) {
        const isNew = rs.metadata.name.endsWith('5c8d7f9b6');
        rs.spec.template.spec.containers = rs.spec.template.spec.containers.map((c) => ({ ...c, image, envFrom: [{ configMapRef: { name: isNew ? newCm : oldCm } }] }));
        if (checksums) rs.spec.template.metadata = { ...rs.spec.template.metadata, annotations: { 'checksum/config': isNew ? checksums[1] : checksums[0] } };
      }
      const d = w.deployments?.[0];
      if (d) d.spec.template.spec.containers = d.spec.template.spec.containers.map((c) => ({ ...c, image, envFrom: [{ configMapRef: { name: newCm } }] }));
      for (const p of newPods(w)) p.status.containerStatuses = [{ name: 'api', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }];
      w.configMaps = configMaps;
    });
  }

  it('a ConfigMap edited in place (only checksum/config changed): config change, and no rollback, because it would not restore the content', async () => {
    const k = new FakeKubernetes(configWorld('payments-config', 'payments-config', ['aaa', 'bbb'], [configMap('payments-config', '2025-03-14T09:50:00Z')]));
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-failing');
    expect(f.signals['hypothesis:config-change']).toBe('supports');
    expect(f.signals['hypothesis:bad-deploy']).toBeUndefined();
    expect(f.facts.configChange).toBe('payments-config (checksum/config)');
    expect(f.mitigations).toEqual([]);
    expect(f.summary).toContain('no rollback proposed: only checksum/config changed');
    expect(f.summary).toContain('restore the previous content');
  });

  it('a renamed (hash-suffixed) ConfigMap whose predecessor still exists: rollback', async () => {
    const k = new FakeKubernetes(configWorld('payments-config-5f7d8', 'payments-config-9c2b1', undefined, [configMap('payments-config-5f7d8'), configMap('payments-config-9c2b1')]));
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-failing');
    expect(f.signals['hypothesis:config-change']).toBe('supports');
    expect(f.summary).toContain('config change (ConfigMap payments-config-5f7d8 -> payments-config-9c2b1)');
    expect(f.mitigations).toEqual([{ kind: 'rollback', namespace: 'payments', deployment: 'payments-api', toRevision: 4 }]);
  });

  it('a rollback whose revision references a ConfigMap that is gone would fail its pods: not proposed', async () => {
    const k = new FakeKubernetes(configWorld('payments-config-5f7d8', 'payments-config-9c2b1', undefined, [configMap('payments-config-9c2b1')]));
    const f = byDisc((await changeCorrelationCheck.run(ctx({ kubernetes: k }))).findings, 'before-onset-failing');
    expect(f.mitigations).toEqual([]);
    expect(f.summary).toContain('revision 4 references ConfigMap payments-config-5f7d8, which no longer exists');
  });

  it('a ConfigMap written after the last rollout, shortly before the onset, with no rollout at all: a config change', async () => {
    const w = oomAfterDeployWorld().kube;
    // Only the old revision, long ago; its ConfigMap written 25 minutes before the alert.
    w.replicaSets = (w.replicaSets ?? []).filter((rs) => rs.metadata.name.endsWith('84b5c6d7e'));
    w.pods = (w.pods ?? []).filter((p) => p.metadata.name.startsWith('payments-api-84b5c6d7e-'));
    const d = w.deployments?.[0];
    if (d) d.spec.template.spec.containers = d.spec.template.spec.containers.map((c) => ({ ...c, image: 'registry.example.com/payments-api:v2.2.9', envFrom: [{ configMapRef: { name: 'payments-config' } }] }));
    w.configMaps = [configMap('payments-config', '2025-03-14T09:35:00Z')];
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }));
    const f = byDisc(r.findings, 'config-edited');
    expect(f.title).toBe('ConfigMap payments-config edited in place 25m before the onset');
    expect(f.signals['hypothesis:config-change']).toBe('supports');
    expect(f.mitigations).toEqual([]);
    // The old rollout itself still refutes a bad deploy, but not the config change.
    expect(byDisc(r.findings, 'no-recent-deploy').signals).toEqual({ 'hypothesis:bad-deploy': 'refutes' });
  });

  it('reads ConfigMap and Secret references from volumes, projected volumes, envFrom and env', () => {
    const refs = configRefs({
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x',
            envFrom: [{ configMapRef: { name: 'cm-env' } }, { secretRef: { name: 's-env' } }],
            env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm-key', key: 'k' } } }, { name: 'S', valueFrom: { secretKeyRef: { name: 's-key', key: 'k' } } }],
          } as never,
        ],
        volumes: [{ name: 'v', configMap: { name: 'cm-vol' } }, { name: 'w', secret: { secretName: 's-vol' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 's-proj' } }] } }],
      },
    });
    expect(refs).toEqual({ configMaps: ['cm-env', 'cm-key', 'cm-proj', 'cm-vol'], secrets: ['s-env', 's-key', 's-proj', 's-vol'] });
    const change = templateChange({ spec: { containers: [] }, metadata: { annotations: { 'checksum/secret': '1' } } }, { spec: { containers: [], volumes: [{ name: 's', secret: { secretName: 'tls-v2' } }] }, metadata: { annotations: { 'checksum/secret': '2' } } });
    expect(configLabel(change)).toBe('tls-v2 (checksum/secret)');
  });
});

describe('scheduling: Pending pods by the scheduler reason', () => {
  it('parses the scheduler message and classifies each reason', () => {
    const reasons = schedulerReasons("0/6 nodes are available: 3 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.");
    expect(reasons).toEqual([
      [3, 'Insufficient cpu'],
      [2, "node(s) didn't match Pod's node affinity/selector"],
      [1, 'node(s) had untolerated taint {dedicated: gpu}'],
    ]);
    expect(podCause(reasons)).toBe('resources');
    expect(causeOf("node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }")).toBe('pressure');
    expect(podCause([[3, "node(s) didn't match Pod's node affinity/selector"]])).toBe('constraints');
    expect(causeOf('node(s) were unschedulable')).toBe('unschedulable');
  });

  it('a selector no node matches, only for the new revision: the deploy; the autoscaler at its maximum named for resources', async () => {
    const w = paymentsWorld((x) => {
      for (const p of newPods(x)) {
        delete p.spec.nodeName;
        p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] };
      }
      x.events = newPods(x).map((p, i) => ({
        metadata: { name: `e${i}`, namespace: 'payments' },
        involvedObject: { kind: 'Pod', name: p.metadata.name, namespace: 'payments' },
        reason: 'FailedScheduling',
        message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
        lastTimestamp: '2025-03-14T10:10:00Z',
      }));
    });
    const f = byDisc((await schedulingCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }))).findings, 'pending-constraints');
    expect(f.signals['hypothesis:bad-deploy']).toBe('supports');
    expect(f.symptoms).toEqual([expect.objectContaining({ id: 'pending-constraints', scope: 'new-revision' })]);
    expect(f.summary).toContain('more nodes of the same kind would not help');

    const full = paymentsWorld((x) => {
      const p = newPods(x)[0];
      if (!p) return;
      delete p.spec.nodeName;
      p.status = { phase: 'Pending' };
      x.pods = [...(x.pods ?? []).filter((q) => !newPods(x).includes(q)), p];
      x.events = [
        { metadata: { name: 'a', namespace: 'payments' }, involvedObject: { kind: 'Pod', name: p.metadata.name }, reason: 'FailedScheduling', message: '0/2 nodes are available: 2 Insufficient memory.', lastTimestamp: '2025-03-14T10:10:00Z' },
        { metadata: { name: 'b', namespace: 'payments' }, involvedObject: { kind: 'Pod', name: p.metadata.name }, reason: 'NotTriggerScaleUp', message: "pod didn't trigger scale-up: 1 max node group size reached", lastTimestamp: '2025-03-14T10:11:00Z' },
      ];
    });
    const r = byDisc((await schedulingCheck.run(ctx({ kubernetes: new FakeKubernetes(full) }))).findings, 'pending-resources');
    expect(r.title).toBe('1 pod(s) Pending for lack of node resources (node group at its maximum)');
    expect(r.summary).toContain('the cluster autoscaler will not add a node: max node group size reached');
    expect(r.facts).toMatchObject({ pendingForResources: 1, nodeGroupAtMax: true });
  });
});

describe('node fit as the scheduler judges it', () => {
  const gpuNode = (name: string): K8sNode => ({ ...node(name, { cpu: '8', memory: '32Gi' }), metadata: { name, labels: { 'kubernetes.io/hostname': name, workload: 'gpu', 'node.kubernetes.io/instance-type': 'g5.2xlarge', 'eks.amazonaws.com/nodegroup': 'gpu-a10g' } }, spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] } });
  const plain = node('general-1', { cpu: '8', memory: '32Gi' });

  it('nodeSelector, required node affinity (In, NotIn, Exists, DoesNotExist, Gt, Lt) and taints with tolerations', () => {
    const gpu = gpuNode('gpu-1');
    expect(constraintMismatch(constraintsOf({ nodeSelector: { workload: 'gpu' } }), plain)).toBe('nodeSelector workload=gpu not matched');
    expect(constraintMismatch(constraintsOf({ nodeSelector: { workload: 'gpu' } }), gpu)).toBe('untolerated taint nvidia.com/gpu=present:NoSchedule');
    expect(constraintMismatch(constraintsOf({ nodeSelector: { workload: 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }), gpu)).toBeUndefined();
    expect(constraintMismatch(constraintsOf({ tolerations: [{ operator: 'Exists' }] }), gpu)).toBeUndefined();
    expect(constraintMismatch(constraintsOf({ tolerations: [{ key: 'nvidia.com/gpu', value: 'absent' }] }), gpu)).toContain('untolerated taint');
    const affinity = (expr: { key: string; operator: string; values?: string[] }) => constraintsOf({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr] }] } } }, tolerations: [{ operator: 'Exists' }] });
    expect(constraintMismatch(affinity({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g5.2xlarge', 'g5.4xlarge'] }), gpu)).toBeUndefined();
    expect(constraintMismatch(affinity({ key: 'node.kubernetes.io/instance-type', operator: 'NotIn', values: ['g5.2xlarge'] }), gpu)).toBe('required node affinity not matched');
    expect(constraintMismatch(affinity({ key: 'workload', operator: 'Exists' }), plain)).toBe('required node affinity not matched');
    expect(constraintMismatch(affinity({ key: 'workload', operator: 'DoesNotExist' }), plain)).toBeUndefined();
    const numbered: K8sNode = { ...plain, metadata: { name: 'n', labels: { cores: '16' } } };
    expect(constraintMismatch(affinity({ key: 'cores', operator: 'Gt', values: ['8'] }), numbered)).toBeUndefined();
    expect(constraintMismatch(affinity({ key: 'cores', operator: 'Lt', values: ['8'] }), numbered)).toBe('required node affinity not matched');
    // An empty term matches nothing.
    expect(constraintMismatch(constraintsOf({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }), plain)).toBe('required node affinity not matched');
  });

  it('room counts only the nodes the pod may run on: idle general nodes do not make room for a GPU pod', async () => {
    const w = paymentsWorld((x) => {
      const d = x.deployments?.[0];
      if (d) d.spec.template.spec = { ...d.spec.template.spec, nodeSelector: { workload: 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] };
      x.nodes = [plain, gpuNode('gpu-1')];
      x.otherPods = [pod({ name: 'gpu-hog', namespace: 'ml', labels: {}, node: 'gpu-1', containers: [{ name: 'x', image: 'x', resources: { requests: { cpu: '7900m', memory: '1Gi' } } }] })];
      x.configMaps = [
        {
          metadata: { name: 'cluster-autoscaler-status', namespace: 'kube-system' },
          data: { status: 'nodeGroups:\n- name: eks-general-m6i-1cc5\n  health:\n    cloudProviderTarget: 1\n    minSize: 1\n    maxSize: 10\n- name: eks-gpu-a10g-6ec5\n  health:\n    cloudProviderTarget: 1\n    minSize: 1\n    maxSize: 1\n' },
        },
      ];
    });
    const f = byDisc((await nodesCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }))).findings, 'headroom');
    expect(f.title).toBe('One more payments-api pod (250m CPU, 256Mi) fits on no node');
    expect(f.summary).toContain('(1 of 2 nodes are eligible for its nodeSelector, affinity, tolerations and state)');
    expect(f.summary).toContain('every node group that can host it is at its maximum (eks-gpu-a10g-6ec5 1/1)');
    expect(f.signals['hypothesis:cluster-capacity']).toBe('supports');
    expect(f.evidence[0]?.detail).toContain('general-1: Ready free 8000m/8000m CPU, 32Gi/32Gi (not eligible: nodeSelector workload=gpu not matched)');
  });

  it('reads the autoscaler status in its text and YAML formats, and says what would help', () => {
    const text = 'NodeGroups:\n  Name:        eks-a\n  Health:      Healthy (ready=2 unready=0 notStarted=0 longNotStarted=0 registered=2 longUnregistered=0 cloudProviderTarget=2 (minSize=1, maxSize=5))\n  ScaleUp:     NoActivity (ready=2 cloudProviderTarget=2)\n';
    expect(parseAutoscalerStatus(text)).toEqual([{ name: 'eks-a', target: 2, min: 1, max: 5 }]);
    const yaml = 'autoscalerStatus: Running\nnodeGroups:\n- name: eks-b\n  health:\n    status: Healthy\n    cloudProviderTarget: 3\n    minSize: 3\n    maxSize: 3\n';
    expect(parseAutoscalerStatus(yaml)).toEqual([{ name: 'eks-b', target: 3, min: 3, max: 3 }]);
    expect(whatWouldHelp(undefined)).toBe('add nodes (no cluster-autoscaler status is visible)');
    expect(whatWouldHelp(parseAutoscalerStatus(text))).toBe('the cluster autoscaler can still grow eks-a (2 of max 5) (which group can host this pod is not visible): new pods wait for a node, minutes behind a burst');
    const groups = [...parseAutoscalerStatus(text), ...parseAutoscalerStatus(yaml)];
    expect(groupsForNodes(groups, [{ ...plain, metadata: { name: 'n', labels: { 'eks.amazonaws.com/nodegroup': 'b' } } }])?.map((g) => g.name)).toEqual(['eks-b']);
  });
});

describe('probes: readiness failures and liveness kills', () => {
  const events = (w: KubeWorld, pods: K8sPod[]): void => {
    w.events = pods.flatMap((p, i) => [
      { metadata: { name: `u${i}`, namespace: 'payments' }, involvedObject: { kind: 'Pod', name: p.metadata.name }, reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.0.0.1:8080/health": context deadline exceeded', count: 4, lastTimestamp: '2025-03-14T10:15:00Z' },
      { metadata: { name: `k${i}`, namespace: 'payments' }, involvedObject: { kind: 'Pod', name: p.metadata.name }, reason: 'Killing', message: 'Container api failed liveness probe, will be restarted', count: 2, lastTimestamp: '2025-03-14T10:15:00Z' },
    ]);
  };

  it('liveness kills across revisions while the pods are busy: probe failures under load', async () => {
    const w = paymentsWorld((x) => events(x, x.pods ?? []));
    const f = byDisc((await probesCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }, payments, { cpuFleetPeakAvgCores: 0.9, cpuLimitCores: 1, cpuRequestCores: 0.25 }))).findings, 'failures');
    expect(f.signals['hypothesis:probe-kills']).toBe('supports');
    expect(f.symptoms).toEqual([expect.objectContaining({ id: 'liveness-kill', scope: 'under-load' })]);
    expect(f.summary).toContain('Liveness probe failed');
    expect(f.evidence[0]?.numbers).toMatchObject({ livenessKills: 8, underLoad: 'yes' });
  });

  it('probe failures only in the new revision are the deploy\'s: no signal of their own', async () => {
    const w = paymentsWorld((x) => events(x, newPods(x)));
    const f = byDisc((await probesCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }))).findings, 'failures');
    expect(f.signals).toEqual({});
    expect(f.symptoms?.[0]?.scope).toBe('new-revision');
    expect(f.title).toContain('of the new revision');
  });

  it('no probe events: nothing to say', async () => {
    expect((await probesCheck.run(ctx({ kubernetes: new FakeKubernetes(paymentsWorld()) }))).findings).toEqual([]);
  });
});

describe('rollout: progress against the deadline', () => {
  it('ProgressDeadlineExceeded: a stuck rollout, with how far it got', async () => {
    const w = paymentsWorld((x) => {
      const d = x.deployments?.[0];
      if (d) {
        d.spec.progressDeadlineSeconds = 600;
        d.status = { ...d.status, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "payments-api-5c8d7f9b6" has timed out progressing.', lastTransitionTime: '2025-03-14T10:02:00Z' }] };
      }
    });
    const f = byDisc((await rolloutCheck.run(ctx({ kubernetes: new FakeKubernetes(w) }))).findings, 'stuck');
    expect(f.title).toBe('Rollout of payments/payments-api stuck: ProgressDeadlineExceeded (600 s)');
    expect(f.summary).toContain('2 updated, 2 ready, 2 available of 3 desired');
    expect(f.symptoms?.[0]?.id).toBe('rollout-stuck');
  });

  it('past the deadline before the controller says so; a finished rollout or a scale-up with Pending pods is not stuck', async () => {
    const past = await rolloutCheck.run(ctx({ kubernetes: new FakeKubernetes(paymentsWorld()) }));
    expect(byDisc(past.findings, 'stuck').title).toBe('Rollout of payments/payments-api past its 600 s progress deadline');
    const scaled = paymentsWorld((x) => {
      const d = x.deployments?.[0];
      if (d) d.status = { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] };
    });
    expect((await rolloutCheck.run(ctx({ kubernetes: new FakeKubernetes(scaled) }))).findings).toEqual([]);
  });
});

describe('slo-burn: the error budget from the SLO recording rules', () => {
  const slo: Subject = { kind: 'alert-labels', labels: { sloth_id: 'cart-availability', namespace: 'cart', service: 'cart' } };
  const t = Math.floor(NOW.getTime() / 1000);
  const gauge = (name: string, value: number, extra: Record<string, string> = {}) => ({ name, labels: { sloth_id: 'cart-availability', sloth_service: 'cart', sloth_slo: 'availability', ...extra }, rate: [[t - 60, value] as [number, number]] });

  it('burn rate per window, budget left and time to exhaustion, from one query', async () => {
    const prom = new FakePrometheus([
      gauge('slo:sli_error:ratio_rate5m', 0.062, { sloth_window: '5m' }),
      gauge('slo:sli_error:ratio_rate1h', 0.038, { sloth_window: '1h' }),
      gauge('slo:sli_error:ratio_rate6h', 0.0071, { sloth_window: '6h' }),
      gauge('slo:sli_error:ratio_rate30d', 0.00058, { sloth_window: '30d' }),
      gauge('slo:objective:ratio', 0.999),
      gauge('slo:time_period:days', 30),
      gauge('slo:period_error_budget_remaining:ratio', 0.42),
      { ...gauge('slo:objective:ratio', 0.99), labels: { sloth_id: 'other-slo' } },
    ]);
    const f = byDisc((await sloBurnCheck.run(ctx({ prometheus: prom }, slo))).findings, 'burn');
    expect(prom.queries).toEqual(['{__name__=~"slo:.+",sloth_id="cart-availability"}']);
    expect(f.title).toBe('SLO cart-availability: burning 38× over 1h; 42% of the 30-day budget left, gone in 7h 57m at this rate');
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]?.numbers).toMatchObject({ objective: '99.9%', burnRate_5m: 62, burnRate_1h: 38, burnRate_6h: 7.1, budgetRemaining: '42%', errorRatio_30d: '0.058%' });
    expect(f.symptoms?.[0]?.id).toBe('errors');
  });

  it('budget computed from the period window when not recorded; exhausted said plainly; no series: says what it cannot see', async () => {
    const exhausted = new FakePrometheus([gauge('slo:sli_error:ratio_rate1h', 0.002, { sloth_window: '1h' }), gauge('slo:sli_error:ratio_rate30d', 0.0012, { sloth_window: '30d' }), gauge('slo:objective:ratio', 0.999)]);
    const f = byDisc((await sloBurnCheck.run(ctx({ prometheus: exhausted }, slo))).findings, 'burn');
    expect(f.title).toBe('SLO cart-availability: burning 2× over 1h; the 30-day budget is exhausted (-20%)');
    const none = byDisc((await sloBurnCheck.run(ctx({ prometheus: new FakePrometheus([]) }, slo))).findings, 'no-data');
    expect(none.facts.cannotSee).toEqual(['the error budget of SLO cart-availability (no recording rules found)']);
  });
});

describe('http-5xx: who answered the 5xx', () => {
  const lb = 'app/k8s-shop-1a2b3c4d5e/0123456789abcdef';
  const tgA = 'targetgroup/k8s-shop-checkout-aaaaaaaaaa/1111111111111111';
  const tgB = 'targetgroup/k8s-shop-catalog-bbbbbbbbbb/2222222222222222';
  const alarmSubject: Subject = { kind: 'cloudwatch-alarm', alarmName: 'shop-5xx', region: 'us-east-1' };
  const mins = minutes(at('2025-03-14T10:00:00Z'), NOW);
  const series = (metricName: string, stat: string, dims: { name: string; value: string }[], v: number) => ({ namespace: 'AWS/ApplicationELB', metricName, stat, dimensions: dims, points: mins.map((m) => [m, v] as [number, number]) });
  const dims = (tg?: string) => [{ name: 'LoadBalancer', value: lb }, ...(tg ? [{ name: 'TargetGroup', value: tg }] : [])];
  const alarm = (metricName: string) => ({ alarmName: 'shop-5xx', alarmArn: 'arn:aws:cloudwatch:us-east-1:1:alarm:shop-5xx', stateValue: 'ALARM' as const, namespace: 'AWS/ApplicationELB', metricName, statistic: 'Sum', dimensions: dims(), period: 60, evaluationPeriods: 3, threshold: 10, comparisonOperator: 'GreaterThanThreshold' });
  const facts = { alarmWindows: [{ start: '2025-03-14T10:05:00Z', end: '2025-03-14T10:20:00Z' }] };

  it('target 5xx of one group: names it (ratio, healthy hosts), refutes the shared LB, follows it, and says what it cannot see', async () => {
    const cw = new FakeCloudWatch({
      alarms: [alarm('HTTPCode_Target_5XX_Count')],
      metrics: [
        series('RequestCount', 'Sum', dims(tgA), 500),
        series('RequestCount', 'Sum', dims(tgB), 300),
        series('RequestCount', 'Sum', dims(), 800),
        series('HTTPCode_Target_5XX_Count', 'Sum', dims(tgA), 40),
        series('HTTPCode_Target_5XX_Count', 'Sum', dims(), 40),
        series('HealthyHostCount', 'Minimum', dims(tgA), 3),
        series('HealthyHostCount', 'Minimum', dims(tgB), 2),
      ],
    });
    const r = await http5xxCheck.run(ctx({ cloudwatch: cw }, alarmSubject, facts));
    const f = byDisc(r.findings, 'target');
    expect(f.title).toBe('5xx from the targets: k8s-shop-checkout-aaaaaaaaaa 8% of its requests');
    expect(f.signals['hypothesis:shared-lb']).toBe('refutes');
    expect(f.facts.cannotSee).toEqual(["the application's logs", 'its dependencies (databases, caches, downstream APIs) and traces']);
    expect(r.discovered).toEqual([{ kind: 'target-group', targetGroup: tgA, loadBalancer: lb, region: 'us-east-1' }]);
  });

  it('ELB 5xx with a group that had no healthy target: the load balancer answered 503 for it', async () => {
    const cw = new FakeCloudWatch({
      alarms: [alarm('HTTPCode_ELB_5XX_Count')],
      metrics: [series('RequestCount', 'Sum', dims(tgA), 500), series('RequestCount', 'Sum', dims(tgB), 300), series('HTTPCode_ELB_5XX_Count', 'Sum', dims(), 120), series('HealthyHostCount', 'Minimum', dims(tgA), 0), series('HealthyHostCount', 'Minimum', dims(tgB), 2)],
    });
    const r = await http5xxCheck.run(ctx({ cloudwatch: cw }, alarmSubject, facts));
    const f = byDisc(r.findings, 'elb');
    expect(f.summary).toContain('k8s-shop-checkout-aaaaaaaaaa had no healthy target (HealthyHostCount 0): the load balancer answers 503 itself');
    expect(f.symptoms?.[0]?.id).toBe('elb-errors');
    expect(r.discovered[0]).toMatchObject({ targetGroup: tgA });
  });

  it('is not about latency alarms', async () => {
    const cw = new FakeCloudWatch({ alarms: [{ ...alarm('TargetResponseTime'), statistic: 'Average' }] });
    expect((await http5xxCheck.run(ctx({ cloudwatch: cw }, alarmSubject, facts))).findings).toEqual([]);
  });
});
