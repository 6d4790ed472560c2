import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { changeCorrelationCheck } from '../../src/workflows/diagnostics/checks/change-correlation.js';
import { hpaCheck, proposedMax, proposedTarget } from '../../src/workflows/diagnostics/checks/hpa.js';
import { nodesCheck } from '../../src/workflows/diagnostics/checks/nodes.js';
import { podsCheck } from '../../src/workflows/diagnostics/checks/pods.js';
import { schedulingCheck } from '../../src/workflows/diagnostics/checks/scheduling.js';
import { deploymentFromPodName, resolveWorkloadCheck } from '../../src/workflows/diagnostics/checks/resolve-workload.js';
import { parseControllerName, tgToWorkloadCheck } from '../../src/workflows/diagnostics/checks/tg-to-workload.js';
import { formatCpu, formatMemory, parseCpuCores, parseMemoryBytes, sumContainerResource } from '../../src/workflows/diagnostics/quantity.js';
import type { CheckContext, CheckPorts } from '../../src/workflows/diagnostics/types.js';
import type { K8sHpa, K8sPod } from '../../src/workflows/ports.js';
import { FakeKubernetes, SEED, daemonPod, hpaAtMaxWorld, node, oomAfterDeployWorld, pod, replicaSet, seedWorld, type KubeWorld } from '../support/fake-ports.js';

const seedWorkload: Subject = { kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' };

function ctx(ports: CheckPorts, subject: Subject, opts: { facts?: Record<string, unknown>; startedAt?: Date; now?: Date; alerts?: Alert[] } = {}): CheckContext {
  return {
    subject,
    incident: { id: 'INC-1', startedAt: opts.startedAt ?? SEED.pageAt, alerts: opts.alerts ?? [] },
    now: opts.now ?? SEED.now,
    signal: new AbortController().signal,
    ports,
    facts: opts.facts ?? {},
  };
}

function byDisc(findings: Finding[], disc: string): Finding {
  const f = findings.find((x) => x.id.endsWith(`:${disc}`));
  if (!f) throw new Error(`no finding ${disc} in ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

function kube(mutate: (w: KubeWorld) => void): FakeKubernetes {
  const w = seedWorld().kube;
  mutate(w);
  return new FakeKubernetes(w);
}

describe('tg-to-workload', () => {
  const tgSubject = (tg: string): Subject => ({ kind: 'target-group', targetGroup: tg, loadBalancer: SEED.loadBalancer, region: SEED.region });

  it('parses the controller name format', () => {
    expect(parseControllerName('k8s-default-dataserv-88e28b4b6c')).toEqual({ ns: 'default', svc: 'dataserv', hash: '88e28b4b6c' });
    expect(parseControllerName('my-custom-tg')).toBeUndefined();
  });

  it('seed (no TargetGroupBinding): maps by name, the exact sanitized service beating a longer prefix match', async () => {
    const w = seedWorld();
    const r = await tgToWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, tgSubject(SEED.culpritTg)));
    expect(r.discovered).toEqual([{ kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' }]);
    const f = byDisc(r.findings, 'mapped');
    expect(f.severity).toBe('info');
    expect(f.summary).toContain('controller name format');
  });

  it('truncated controller name (8 chars) is matched by prefix; two services sharing the prefix are both reported', async () => {
    const tg = 'targetgroup/k8s-default-dataserv-88e28b4b6c/73e2d6bc24d8a067';
    const w = seedWorld();
    const r = await tgToWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, tgSubject(tg)));
    expect(r.discovered.map((s) => (s.kind === 'workload' ? s.deployment : '')).sort()).toEqual(['data-service', 'dataservice-admin']);
    expect(byDisc(r.findings, 'mapped').severity).toBe('warning');
    // Without the look-alike, the match is unique.
    const k = kube((x) => {
      x.services = (x.services ?? []).filter((s) => s.metadata.name !== 'dataservice-admin');
    });
    const r2 = await tgToWorkloadCheck.run(ctx({ kubernetes: k }, tgSubject(tg)));
    expect(r2.discovered).toEqual([{ kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' }]);
  });

  it('a TargetGroupBinding wins, even for a name that does not parse', async () => {
    const tg = 'targetgroup/legacy-data/0123456789abcdef';
    const k = kube((x) => {
      x.targetGroupBindings = [
        {
          metadata: { name: 'legacy-data', namespace: 'default' },
          spec: { targetGroupARN: `arn:aws:elasticloadbalancing:us-east-1:123456789012:${tg}`, targetType: 'instance', serviceRef: { name: 'data-service', port: 80 } },
        },
      ];
    });
    const r = await tgToWorkloadCheck.run(ctx({ kubernetes: k }, tgSubject(tg)));
    expect(r.discovered).toEqual([{ kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' }]);
    expect(byDisc(r.findings, 'mapped').summary).toContain('TargetGroupBinding default/legacy-data');
  });

  it('no binding and no parseable name: an unmapped warning', async () => {
    const w = seedWorld();
    const r = await tgToWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, tgSubject('targetgroup/legacy-data/0123456789abcdef')));
    expect(r.discovered).toEqual([]);
    expect(byDisc(r.findings, 'unmapped').summary).toContain('not a controller name');
  });

  it('without Kubernetes it says so', async () => {
    const r = await tgToWorkloadCheck.run(ctx({}, tgSubject(SEED.culpritTg)));
    expect(byDisc(r.findings, 'not-configured').title).toBe('Could not check which workload serves the target group: Kubernetes is not configured');
  });
});

describe('change-correlation', () => {
  it('seed: the v1.14.3 deploy came after the flapping began: a red herring, said plainly', async () => {
    const w = seedWorld();
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload, { facts: { firstFlapAt: '2025-03-14T05:52:00.000Z' } }));
    const f = byDisc(r.findings, 'after-onset');
    expect(f.signals['hypothesis:bad-deploy']).toBe('refutes');
    expect(f.title).toBe('Deploy v1.14.3-prod is a red herring: the flapping began 4h 35m before it');
    expect(f.summary).toContain('15m before the page');
    expect(f.mitigations).toEqual([]);
    expect(f.facts.deployVersion).toBe('v1.14.3-prod');
  });

  it('without the flap fact, the page alone would make the same deploy look guilty (timing only)', async () => {
    const w = seedWorld();
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload));
    const f = byDisc(r.findings, 'before-onset');
    expect(f.signals['hypothesis:bad-deploy']).toBe('supports');
    expect(f.severity).toBe('warning');
    expect(f.mitigations).toEqual([]);
  });

  it('falls back to the incident alert history (earliest firing transition) when no flap fact is handed on', async () => {
    const w = seedWorld();
    const alert = { ...(w.incident.alerts[0] as Alert), firstSeenAt: '2025-03-14T05:52:00Z', lastSeenAt: '2025-03-14T10:42:00Z', transitions: [{ at: '2025-03-14T05:52:00Z', status: 'firing' }, { at: '2025-03-14T05:58:00Z', status: 'resolved' }] };
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload, { alerts: [alert] }));
    const f = byDisc(r.findings, 'after-onset');
    expect(f.summary).toContain('the alert first fired');
  });

  it('a deploy shortly before the alert with crashing new pods: supports a bad deploy and proposes a rollback to the previous revision', async () => {
    const w = oomAfterDeployWorld();
    const subject: Subject = { kind: 'workload', namespace: 'payments', deployment: 'payments-api' };
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: w.kubernetes }, subject, { startedAt: w.incident.startedAt, now: w.now, alerts: w.incident.alerts }));
    const f = byDisc(r.findings, 'before-onset-failing');
    expect(f.severity).toBe('critical');
    expect(f.signals['hypothesis:bad-deploy']).toBe('supports');
    expect(f.summary).toContain('2 of 2 new pods failing (CrashLoopBackOff, OOMKilled, restarting; OOMKilled (exit 137)) while the 2 older pods run');
    expect(f.symptoms?.map((x) => `${x.id}@${x.scope ?? ''}`)).toEqual(['recent-change@', 'crash-loop@new-revision', 'oom-kill@new-revision', 'restarts@new-revision']);
    expect(f.mitigations).toEqual([{ kind: 'rollback', namespace: 'payments', deployment: 'payments-api', toRevision: 4 }]);
  });

  it('a crashing first revision has nothing to roll back to', async () => {
    const w = oomAfterDeployWorld();
    w.kube.replicaSets = (w.kube.replicaSets ?? []).filter((rs) => rs.metadata.name === 'payments-api-5c8d7f9b6');
    const subject: Subject = { kind: 'workload', namespace: 'payments', deployment: 'payments-api' };
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: new FakeKubernetes(w.kube) }, subject, { startedAt: w.incident.startedAt, now: w.now }));
    const f = byDisc(r.findings, 'before-onset-failing');
    expect(f.mitigations).toEqual([]);
    expect(f.summary).toContain('no previous revision');
  });

  it('no rollout near the onset refutes a bad deploy', async () => {
    const w = hpaAtMaxWorld();
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: w.kubernetes }, { kind: 'workload', namespace: 'web', deployment: 'frontend' }, { startedAt: w.incident.startedAt, now: w.now }));
    const f = byDisc(r.findings, 'no-recent-deploy');
    expect(f.signals['hypothesis:bad-deploy']).toBe('refutes');
    expect(f.title).toContain('3d 7h before');
  });

  it('ignores ReplicaSets the deployment does not control', async () => {
    const k = kube((x) => {
      const rs = x.replicaSets?.[2];
      if (rs) rs.metadata.ownerReferences = [{ kind: 'Deployment', name: 'data-service', uid: 'another-uid', controller: true }];
    });
    const r = await changeCorrelationCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: { firstFlapAt: '2025-03-14T05:52:00.000Z' } }));
    const f = r.findings[0];
    expect(f?.facts.deployVersion).toBe('v1.14.2-prod');
  });
});

describe('pods', () => {
  it('seed: healthy pods, and the missing readiness probe is noted (info, no signal), not "fixed"', async () => {
    const w = seedWorld();
    const r = await podsCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload));
    const probe = byDisc(r.findings, 'no-readiness-probe');
    expect(probe.severity).toBe('info');
    expect(probe.signals).toEqual({});
    expect(probe.mitigations).toEqual([]);
    expect(probe.summary).toContain('startup and liveness probes but no readiness probe');
    expect(probe.summary).toContain('cannot shed load');
    expect(probe.summary).toContain('Noted, not a fix');
    const healthy = byDisc(r.findings, 'healthy');
    expect(healthy.signals['hypothesis:oom-crashloop']).toBe('refutes');
    expect(healthy.title).toBe('4/4 pods ready, 0 restarts');
  });

  it('OOM crash loop: CrashLoopBackOff, exit class, memory limit', async () => {
    const w = oomAfterDeployWorld();
    const r = await podsCheck.run(ctx({ kubernetes: w.kubernetes }, { kind: 'workload', namespace: 'payments', deployment: 'payments-api' }));
    const f = byDisc(r.findings, 'restarts');
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('2 of 4 pods in CrashLoopBackOff, OOMKilled');
    expect(f.summary).toContain('api limit 256Mi');
    expect(f.evidence[0]?.numbers.exit_oom).toBe(2);
    expect(f.signals['hypothesis:oom-crashloop']).toBe('supports');
    expect(r.findings.some((x) => x.id.endsWith(':no-readiness-probe'))).toBe(false);
  });

  function terminated(name: string, exitCode: number, reason?: string): K8sPod {
    return pod({
      name,
      namespace: 'default',
      labels: { app: 'data-service' },
      containers: [{ name: 'data-service', image: 'x' }],
      statuses: [{ name: 'data-service', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode, ...(reason ? { reason } : {}) } } }],
    });
  }

  it('classifies exit codes: 137 without OOMKilled is SIGKILL, 1 app error, 143 SIGTERM', async () => {
    const k = kube((x) => {
      x.pods = [terminated('data-service-7d9f8b6c4-aaaaa', 137, 'Error'), terminated('data-service-7d9f8b6c4-bbbbb', 1, 'Error'), terminated('data-service-7d9f8b6c4-ccccc', 143, 'Error')];
    });
    const f = byDisc((await podsCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'restarts');
    expect(f.evidence[0]?.numbers).toMatchObject({ exit_sigkill: 1, 'exit_app-error': 1, exit_sigterm: 1, restarts: 3 });
    expect(f.summary).toContain('SIGKILL (137, not OOM');
    expect(f.signals['hypothesis:oom-crashloop']).toBe('refutes');
    expect(f.severity).toBe('warning');
  });

  it('Pending pods carry the scheduler reason from FailedScheduling events (the scheduling check): Insufficient cpu is cluster capacity, not node pressure', async () => {
    const k = kube((x) => {
      x.pods = [...(x.pods ?? []), pod({ name: 'data-service-7d9f8b6c4-ppppp', namespace: 'default', labels: { app: 'data-service' }, containers: [{ name: 'data-service', image: 'x' }], phase: 'Pending', ready: false, statuses: [] })];
      x.events = [
        { metadata: { name: 'e1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'data-service-7d9f8b6c4-ppppp', namespace: 'default' }, reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient cpu.', lastTimestamp: '2025-03-14T10:50:00Z' },
        { metadata: { name: 'e0', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'other-pod', namespace: 'default' }, reason: 'FailedScheduling', message: 'unrelated', lastTimestamp: '2025-03-14T10:55:00Z' },
      ];
    });
    expect((await podsCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings.some((x) => x.id.includes('pending'))).toBe(false);
    const f = byDisc((await schedulingCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'pending-resources');
    expect(f.summary).toContain('data-service-7d9f8b6c4-ppppp cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu.');
    expect(f.signals['hypothesis:cluster-capacity']).toBe('supports');
    expect(f.signals['hypothesis:node-pressure']).toBe('refutes');
    expect(f.symptoms?.map((x) => x.id)).toEqual(['pending-resources']);
  });

  it('evictions and image pull errors: a pull failing only in a new revision is the deploy\'s, one pod of a healthy revision is not', async () => {
    const k = kube((x) => {
      // Revision 14 (the typo'd tag) rolled out at 10:50; revision 13's four pods still run.
      x.replicaSets = [
        ...(x.replicaSets ?? []),
        replicaSet({ namespace: 'default', deployment: 'data-service', deploymentUid: 'uid-data-service', hash: '8e1f2a3b4', revision: 14, createdAt: '2025-03-14T10:50:00Z', labels: { app: 'data-service' }, containers: [{ name: 'data-service', image: 'registry.example.com/data-service:v1.14.4-typo' }], replicas: 1 }),
      ];
      x.pods = [
        ...(x.pods ?? []),
        pod({ name: 'data-service-7d9f8b6c4-eeeee', namespace: 'default', labels: { app: 'data-service' }, containers: [{ name: 'data-service', image: 'x' }], phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.', ready: false, statuses: [] }),
        pod({
          name: 'data-service-8e1f2a3b4-iiiii',
          namespace: 'default',
          labels: { app: 'data-service' },
          rs: 'data-service-8e1f2a3b4',
          containers: [{ name: 'data-service', image: 'registry.example.com/data-service:v1.14.4-typo' }],
          phase: 'Pending',
          ready: false,
          statuses: [{ name: 'data-service', ready: false, restartCount: 0, image: 'registry.example.com/data-service:v1.14.4-typo', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        }),
      ];
    });
    const r = await podsCheck.run(ctx({ kubernetes: k }, seedWorkload));
    const ev = byDisc(r.findings, 'evicted');
    expect(ev.summary).toContain('The node was low on resource: memory.');
    expect(ev.signals['hypothesis:node-pressure']).toBe('supports');
    const pull = byDisc(r.findings, 'image-pull');
    expect(pull.severity).toBe('critical');
    expect(pull.summary).toContain('v1.14.4-typo');
    expect(pull.signals['hypothesis:bad-deploy']).toBe('supports');
    expect(pull.symptoms).toEqual([expect.objectContaining({ id: 'image-pull', scope: 'new-revision' })]);
    // An image pull is not also reported as an unschedulable Pending pod.
    expect((await schedulingCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings).toEqual([]);

    // The same pull failure in one pod of the current revision, whose other pods run the same image: not the deploy.
    const one = kube((x) => {
      x.pods = [
        ...(x.pods ?? []),
        pod({ name: 'data-service-7d9f8b6c4-jjjjj', namespace: 'default', labels: { app: 'data-service' }, rs: 'data-service-7d9f8b6c4', containers: [{ name: 'data-service', image: 'x' }], phase: 'Pending', ready: false, statuses: [{ name: 'data-service', ready: false, restartCount: 0, image: 'x', state: { waiting: { reason: 'ErrImagePull' } } }] }),
      ];
    });
    const single = byDisc((await podsCheck.run(ctx({ kubernetes: one }, seedWorkload))).findings, 'image-pull');
    expect(single.signals).toEqual({});
    expect(single.symptoms?.[0]?.scope).toBe('one-pod');
  });

  it('no pods: a warning', async () => {
    const k = kube((x) => {
      x.pods = [];
    });
    expect(byDisc((await podsCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'no-pods').severity).toBe('warning');
  });
});

describe('hpa', () => {
  const seedFacts = { cpuFleetPeakAvgCores: 0.9, cpuPlateauCores: 0.9 };

  it('seed: never scales, 75% peak < 80% target; proposes target 50% and max 10', async () => {
    const w = seedWorld();
    const r = await hpaCheck.run(ctx({ kubernetes: w.kubernetes, prometheus: w.prometheus }, seedWorkload, { facts: seedFacts }));
    const f = byDisc(r.findings, 'never-scales');
    expect(f.title).toBe('HPA data-service never scales: peak 75% < 80% target');
    expect(f.summary).toContain('0.9 cores per pod on a 1200m request');
    expect(f.summary).toContain('min 4, max 7');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('supports');
    expect(f.mitigations).toEqual([{ kind: 'hpa', namespace: 'default', name: 'data-service', targetCPUUtilizationPercentage: 50, maxReplicas: 10 }]);
    expect(f.evidence[0]?.numbers).toMatchObject({ apiVersion: 'autoscaling/v1', targetCPUUtilizationPercentage: 80, peakUtilizationPercent: 75, cpuRequest: '1200m' });
  });

  it('the proposal arithmetic', () => {
    expect(proposedTarget(75)).toBe(50);
    expect(proposedTarget(12)).toBe(10);
    expect(proposedTarget(90)).toBe(60);
    const h = { maxReplicas: 7, minReplicas: 4, currentReplicas: 4 } as K8sHpa;
    expect(proposedMax(h, 75, 50)).toBe(10);
    expect(proposedMax({ ...h, currentReplicas: 10, maxReplicas: 10 }, 75, 50)).toBe(15);
  });

  it('without a usage history it does not call "never scales" from the current figure', async () => {
    const w = seedWorld();
    const r = await hpaCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload));
    const f = byDisc(r.findings, 'unknown');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('neutral');
    expect(f.summary).toContain('Prometheus is not configured');
    expect(f.mitigations).toEqual([]);
  });

  it('HPA without metrics (ScalingActive False) is noted and supports never-scales', async () => {
    const k = kube((x) => {
      const h = x.hpas?.[0];
      if (h) {
        h.apiVersion = 'autoscaling/v2';
        h.conditions = [
          { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' },
          { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API' },
        ];
        delete h.currentCPUUtilizationPercentage;
      }
    });
    const f = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: seedFacts }))).findings, 'no-metrics');
    expect(f.title).toBe('HPA data-service has no metrics (FailedGetResourceMetric)');
    expect(f.summary).toContain('no metrics returned from resource metrics API');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('supports');
  });

  it('HPA at max with utilisation above target: capacity ceiling, raise max', async () => {
    const w = hpaAtMaxWorld();
    const r = await hpaCheck.run(ctx({ kubernetes: w.kubernetes }, { kind: 'workload', namespace: 'web', deployment: 'frontend' }, { now: w.now }));
    const f = byDisc(r.findings, 'at-max');
    expect(f.signals).toEqual({ 'hypothesis:capacity-ceiling': 'supports', 'hypothesis:hpa-never-scales': 'refutes' });
    expect(f.title).toBe('HPA frontend at max 6 replicas with 95% > 70% target');
    expect(f.mitigations).toEqual([{ kind: 'hpa', namespace: 'web', name: 'frontend', maxReplicas: 9 }]);
  });

  it('an HPA that grew above its minimum is refuted as "never scales"', async () => {
    const k = kube((x) => {
      const h = x.hpas?.[0];
      if (h) h.currentReplicas = 6;
    });
    const r = await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: { cpuFleetPeakAvgCores: 1.1 } }));
    const f = byDisc(r.findings, 'scales');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('refutes');
    expect(f.summary).toContain('peak 92% reaches the 80% target');
  });

  it('load above its target while it stays at its minimum: "never scales", with the HPA\'s own conditions in the evidence', async () => {
    const r = await hpaCheck.run(ctx({ kubernetes: seedWorld().kubernetes }, seedWorkload, { facts: { cpuFleetPeakAvgCores: 1.1 } }));
    const f = byDisc(r.findings, 'never-scales');
    expect(f.title).toBe('HPA data-service never scales: peak 92% ≥ 80% target, yet it stayed at its minimum');
    expect(f.symptoms?.[0]?.id).toBe('hpa-flat-under-load');
  });

  it('idle is not "never scales": at its minimum on a quiet night it rests, refutes never-scales and proposes no lower target', async () => {
    const k = kube((x) => {
      const h = x.hpas?.[0];
      if (h) {
        h.apiVersion = 'autoscaling/v2';
        h.conditions = [
          { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
          { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
          { type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' },
        ];
        h.desiredReplicas = 4;
        h.currentCPUUtilizationPercentage = 6;
      }
    });
    const f = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: { cpuFleetPeakAvgCores: 0.1 } }))).findings, 'resting');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('refutes');
    expect(f.mitigations).toEqual([]);
    expect(f.summary).toContain('peaked at 8% of their request, far below the 80% target (ScalingLimited TooFewReplicas');
    // Without a CPU history the HPA's own condition still says it is resting.
    const noHistory = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'resting');
    expect(noHistory.signals['hypothesis:hpa-never-scales']).toBe('refutes');
  });

  it('desired above current: it is scaling, not stuck', async () => {
    const k = kube((x) => {
      const h = x.hpas?.[0];
      if (h) h.desiredReplicas = 6;
    });
    const f = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: seedFacts }))).findings, 'scaling');
    expect(f.signals['hypothesis:hpa-never-scales']).toBe('refutes');
  });

  it('at max and hot but no node can host another pod: no higher max; it says what would help', async () => {
    const w = hpaAtMaxWorld();
    const help = 'every node group that can host it is at its maximum (eks-general 3/3): raise its maxSize (or add nodes) first';
    const r = await hpaCheck.run(ctx({ kubernetes: w.kubernetes }, { kind: 'workload', namespace: 'web', deployment: 'frontend' }, { now: w.now, facts: { roomForPods: 0, whatWouldHelp: help } }));
    const f = byDisc(r.findings, 'at-max');
    expect(f.signals['hypothesis:capacity-ceiling']).toBe('supports');
    expect(f.mitigations).toEqual([]);
    expect(f.summary).toContain(`A higher maxReplicas alone would not help: no node can host another frontend pod, so more replicas would only wait Pending: ${help}`);
  });

  it('without an HPA the capacity ceiling (HPA at max) is refuted', async () => {
    const k = kube((x) => {
      x.hpas = [];
    });
    const f = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'none');
    expect(f.signals['hypothesis:capacity-ceiling']).toBe('refutes');
  });

  it('no HPA: notes fixed replicas; with a CPU plateau proposes scaling out as quick relief', async () => {
    const k = kube((x) => {
      x.hpas = [];
    });
    const plain = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'none');
    expect(plain.mitigations).toEqual([]);
    const withPlateau = byDisc((await hpaCheck.run(ctx({ kubernetes: k }, seedWorkload, { facts: seedFacts }))).findings, 'none');
    expect(withPlateau.mitigations).toEqual([{ kind: 'scale', namespace: 'default', deployment: 'data-service', replicas: 6 }]);
  });
});

describe('nodes', () => {
  it('seed: no pressure; one more pod fits on 2 of 3 nodes', async () => {
    const w = seedWorld();
    const r = await nodesCheck.run(ctx({ kubernetes: w.kubernetes }, seedWorkload));
    expect(byDisc(r.findings, 'pressure').signals['hypothesis:node-pressure']).toBe('refutes');
    const h = byDisc(r.findings, 'headroom');
    expect(h.title).toBe('One more data-service pod (1200m CPU, 2.5Gi) fits on 2 of 3 nodes');
    expect(h.summary).toContain('ip-10-0-2-12, ip-10-0-3-13');
  });

  it('pressure on a node hosting the workload is critical and supports node pressure', async () => {
    const k = kube((x) => {
      x.nodes = [node('ip-10-0-1-11', { cpu: '3920m', memory: '15Gi' }, { MemoryPressure: 'True' }), node('ip-10-0-2-12', { cpu: '3920m', memory: '15Gi' }), node('ip-10-0-3-13', { cpu: '3920m', memory: '15Gi' })];
    });
    const f = byDisc((await nodesCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'pressure');
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('ip-10-0-1-11: MemoryPressure (hosts data-service)');
    expect(f.signals['hypothesis:node-pressure']).toBe('supports');
  });

  it('when one more pod fits nowhere, scale-out waits for a node', async () => {
    const k = kube((x) => {
      x.otherPods = [...(x.otherPods ?? []), daemonPod('big-1', 'ip-10-0-2-12', '2000m', '1Gi'), daemonPod('big-2', 'ip-10-0-3-13', '2000m', '1Gi')];
    });
    const f = byDisc((await nodesCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'headroom');
    expect(f.title).toBe('One more data-service pod (1200m CPU, 2.5Gi) fits on no node');
    // No room is not by itself a cause; with no autoscaler status visible the answer is "add nodes".
    expect(f.signals).toEqual({});
    expect(f.symptoms?.map((x) => x.id)).toEqual(['no-room']);
    expect(f.summary).toContain('add nodes (no cluster-autoscaler status is visible)');
    expect(f.facts).toMatchObject({ roomForPods: 0 });
  });

  it('with every node group at its maximum (cluster-autoscaler status), no room supports cluster capacity and names the limit', async () => {
    const k = kube((x) => {
      x.otherPods = [...(x.otherPods ?? []), daemonPod('big-1', 'ip-10-0-2-12', '2000m', '1Gi'), daemonPod('big-2', 'ip-10-0-3-13', '2000m', '1Gi')];
      x.configMaps = [
        {
          metadata: { name: 'cluster-autoscaler-status', namespace: 'kube-system' },
          data: {
            status:
              'Cluster-autoscaler status at 2025-03-14 10:59:00.000000 +0000 UTC:\nCluster-wide:\n  Health:      Healthy (ready=3 unready=0 notStarted=0 longNotStarted=0 registered=3 longUnregistered=0)\nNodeGroups:\n  Name:        eks-general-20250101\n  Health:      Healthy (ready=3 unready=0 notStarted=0 longNotStarted=0 registered=3 longUnregistered=0 cloudProviderTarget=3 (minSize=2, maxSize=3))\n',
          },
        },
      ];
    });
    const f = byDisc((await nodesCheck.run(ctx({ kubernetes: k }, seedWorkload))).findings, 'headroom');
    expect(f.signals['hypothesis:cluster-capacity']).toBe('supports');
    expect(f.summary).toContain('every node group is at its maximum (eks-general-20250101 3/3): raise its maxSize (or add nodes) first');
    expect(f.evidence[0]?.numbers['nodeGroup eks-general-20250101']).toBe('3/3');
  });
});

describe('resolve-workload', () => {
  const labels = (l: Record<string, string>): Subject => ({ kind: 'alert-labels', labels: l });

  it('pod -> replicaset -> deployment through owner references', async () => {
    const w = oomAfterDeployWorld();
    const r = await resolveWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, labels({ namespace: 'payments', pod: 'payments-api-5c8d7f9b6-x1k2z' })));
    expect(r.discovered).toEqual([{ kind: 'workload', namespace: 'payments', deployment: 'payments-api' }]);
  });

  it('a pod that is gone falls back to its name', async () => {
    expect(deploymentFromPodName('payments-api-5c8d7f9b6-zz9zz')).toBe('payments-api');
    const w = oomAfterDeployWorld();
    const r = await resolveWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, labels({ namespace: 'payments', pod: 'payments-api-5c8d7f9b6-zz9zz' })));
    expect(r.discovered).toEqual([{ kind: 'workload', namespace: 'payments', deployment: 'payments-api' }]);
  });

  it('an HPA label resolves through scaleTargetRef; a service through its selector', async () => {
    const hw = hpaAtMaxWorld();
    expect((await resolveWorkloadCheck.run(ctx({ kubernetes: hw.kubernetes }, labels({ namespace: 'web', horizontalpodautoscaler: 'frontend' })))).discovered).toEqual([{ kind: 'workload', namespace: 'web', deployment: 'frontend' }]);
    const sw = seedWorld();
    expect((await resolveWorkloadCheck.run(ctx({ kubernetes: sw.kubernetes }, labels({ namespace: 'default', service: 'data-service' })))).discovered).toEqual([{ kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' }]);
  });

  it('unresolvable labels give an info finding and no subject', async () => {
    const w = seedWorld();
    const r = await resolveWorkloadCheck.run(ctx({ kubernetes: w.kubernetes }, labels({ namespace: 'default', pod: 'nothing-here' })));
    expect(r.discovered).toEqual([]);
    expect(byDisc(r.findings, 'unresolved').severity).toBe('info');
  });
});

describe('quantities', () => {
  it('parses and formats CPU and memory the way the checks print them', () => {
    expect(parseCpuCores('1500m')).toBe(1.5);
    expect(parseCpuCores('2')).toBe(2);
    expect(parseCpuCores('lots')).toBeUndefined();
    expect(parseMemoryBytes('2.5Gi')).toBe(2.5 * 2 ** 30);
    expect(parseMemoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(formatCpu(1.2)).toBe('1200m');
    expect(formatMemory(2560 * 2 ** 20)).toBe('2.5Gi');
    const containers = [{ resources: { requests: { cpu: '1200m' }, limits: { cpu: '1500m' } } }, { resources: { requests: { cpu: '100m' } } }];
    expect(sumContainerResource(containers, 'requests', 'cpu')).toBe(1.3);
    // A container without a limit: the pod has no CPU limit.
    expect(sumContainerResource(containers, 'limits', 'cpu')).toBeUndefined();
  });
});
