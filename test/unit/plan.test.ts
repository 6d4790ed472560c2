import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { CATALOGUE, checkById } from '../../src/workflows/diagnostics/catalogue.js';
import { checksFor, discover, orderChecks, planFor } from '../../src/workflows/diagnostics/plan.js';
import { findingId, subjectKey, type Check } from '../../src/workflows/diagnostics/types.js';
import { SEED, amAlert, seedWorld } from '../support/fake-ports.js';

const ids = (cs: Check[]): string[] => cs.map((c) => c.id);

describe('planFor', () => {
  it('a CloudWatch ALB alarm -> its alarm subject with history, statistic and breakdown, history first', () => {
    const w = seedWorld();
    const subjects = planFor(w.incident.alerts);
    expect(subjects).toEqual([{ kind: 'cloudwatch-alarm', alarmName: SEED.alarmName, region: SEED.region }]);
    const checks = checksFor(subjects[0]!, w.incident.alerts);
    expect(ids(checks)).toEqual(['alarm-history', 'alarm-statistic', 'lb-breakdown']);
  });

  it('a non-ALB CloudWatch alarm gets no load balancer breakdown', () => {
    const w = seedWorld();
    const base = w.incident.alerts[0] as Alert;
    const rds: Alert = { ...base, cloudwatch: { ...base.cloudwatch!, trigger: { ...base.cloudwatch!.trigger!, namespace: 'AWS/RDS', metricName: 'CPUUtilization', dimensions: [{ name: 'DBInstanceIdentifier', value: 'db1' }] } } };
    expect(ids(checksFor(planFor([rds])[0]!, [rds]))).toEqual(['alarm-history', 'alarm-statistic']);
  });

  it('Alertmanager labels: deployment -> workload; pod / hpa -> alert-labels; node-only -> nothing', () => {
    const alerts = [
      amAlert('KubeDeploymentReplicasMismatch', { namespace: 'web', deployment: 'frontend' }, '2025-03-14T10:00:00Z'),
      amAlert('KubePodCrashLooping', { namespace: 'payments', pod: 'payments-api-5c8d7f9b6-x1k2z', container: 'api', severity: 'critical' }, '2025-03-14T10:00:00Z'),
      amAlert('KubeHpaMaxedOut', { namespace: 'web', horizontalpodautoscaler: 'frontend' }, '2025-03-14T10:00:00Z'),
      amAlert('KubeNodeNotReady', { node: 'ip-10-0-1-11' }, '2025-03-14T10:00:00Z'),
    ];
    expect(planFor(alerts)).toEqual([
      { kind: 'workload', namespace: 'web', deployment: 'frontend' },
      { kind: 'alert-labels', labels: { namespace: 'payments', pod: 'payments-api-5c8d7f9b6-x1k2z' } },
      { kind: 'alert-labels', labels: { namespace: 'web', horizontalpodautoscaler: 'frontend' } },
    ]);
  });

  it('deduplicates subjects and prefers firing alerts', () => {
    const a = amAlert('X', { namespace: 'web', deployment: 'frontend' }, '2025-03-14T10:00:00Z');
    const b = { ...amAlert('Y', { namespace: 'web', deployment: 'frontend', pod: 'frontend-1-2' }, '2025-03-14T10:01:00Z') };
    const resolved: Alert = { ...amAlert('Z', { namespace: 'old', deployment: 'gone' }, '2025-03-14T09:00:00Z'), status: 'resolved' };
    expect(planFor([a, b, resolved])).toEqual([{ kind: 'workload', namespace: 'web', deployment: 'frontend' }]);
    expect(planFor([resolved])).toEqual([{ kind: 'workload', namespace: 'old', deployment: 'gone' }]);
  });
});

describe('checks and discovery', () => {
  it('workload checks: hpa after cpu-per-pod and nodes (it needs the CPU facts and the room for more pods), probes after cpu-per-pod', () => {
    const checks = checksFor({ kind: 'workload', namespace: 'default', deployment: 'data-service' });
    expect(ids(checks).sort()).toEqual(['change-correlation', 'cpu-per-pod', 'cpu-throttling', 'hpa', 'nodes', 'pods', 'probes', 'rollout', 'scheduling']);
    expect(ids(checks).indexOf('hpa')).toBeGreaterThan(ids(checks).indexOf('cpu-per-pod'));
    expect(ids(checks).indexOf('hpa')).toBeGreaterThan(ids(checks).indexOf('nodes'));
    expect(ids(checks).indexOf('probes')).toBeGreaterThan(ids(checks).indexOf('cpu-per-pod'));
  });

  it('an ALB 5xx alarm gets the 5xx breakdown instead of the latency breakdown', () => {
    const w = seedWorld();
    const base = w.incident.alerts[0] as Alert;
    const fivexx: Alert = { ...base, cloudwatch: { ...base.cloudwatch!, trigger: { ...base.cloudwatch!.trigger!, metricName: 'HTTPCode_Target_5XX_Count', statistic: 'Sum' } } };
    expect(ids(checksFor(planFor([fivexx])[0]!, [fivexx]))).toEqual(['alarm-history', 'alarm-statistic', 'http-5xx']);
    // Without a trigger to read, both run and decide from DescribeAlarms.
    expect(ids(checksFor(planFor([fivexx])[0]!, []))).toEqual(['alarm-history', 'alarm-statistic', 'lb-breakdown', 'http-5xx']);
  });

  it('an SLO burn-rate alert (Sloth labels) -> alert-labels with the SLO and workload labels: slo-burn and resolve-workload', () => {
    const slo = amAlert('CheckoutAvailabilityBurn', { sloth_id: 'checkout-availability', sloth_service: 'checkout', sloth_slo: 'availability', namespace: 'shop', service: 'checkout', severity: 'page' }, '2025-03-14T10:00:00Z');
    const subjects = planFor([slo]);
    expect(subjects).toEqual([{ kind: 'alert-labels', labels: { sloth_id: 'checkout-availability', sloth_service: 'checkout', sloth_slo: 'availability', namespace: 'shop', service: 'checkout' } }]);
    expect(ids(checksFor(subjects[0]!, [slo]))).toEqual(['slo-burn', 'resolve-workload']);
    // Other alert-labels subjects do not get the SLO check.
    expect(ids(checksFor({ kind: 'alert-labels', labels: { namespace: 'web', pod: 'x-1-2' } }))).toEqual(['resolve-workload']);
  });

  it('orderChecks puts dependencies first whatever the input order', () => {
    const reversed = [...CATALOGUE].reverse();
    const ordered = orderChecks(reversed);
    for (const c of ordered) for (const d of c.dependsOn ?? []) expect(ids(ordered).indexOf(d)).toBeLessThan(ids(ordered).indexOf(c.id));
    expect(ordered).toHaveLength(CATALOGUE.length);
  });

  it('every dependency names a check of the same subject kind', () => {
    for (const c of CATALOGUE) for (const d of c.dependsOn ?? []) expect(checkById(d)?.subjectKind).toBe(c.subjectKind);
  });

  it('discovered subjects get their own checks, deduplicated', () => {
    const tg = { kind: 'target-group' as const, targetGroup: SEED.culpritTg, loadBalancer: SEED.loadBalancer, region: SEED.region };
    const wl = { kind: 'workload' as const, namespace: 'default', deployment: 'data-service', service: 'data-service' };
    const next = discover({ findings: [], discovered: [tg, wl, { ...wl }] });
    expect(next.map((n) => [n.subject.kind, ids(n.checks)])).toEqual([
      ['target-group', ['tg-to-workload']],
      ['workload', ids(checksFor(wl))],
    ]);
  });

  it('finding ids are <check>:<subject-key>:<discriminator>', () => {
    const wl = { kind: 'workload' as const, namespace: 'default', deployment: 'data-service' };
    expect(findingId('pods', wl, 'healthy')).toBe('pods:wl/default/data-service:healthy');
    expect(subjectKey({ kind: 'alert-labels', labels: { pod: 'p', namespace: 'n' } })).toBe('labels/namespace=n,pod=p');
    expect(subjectKey({ kind: 'target-group', targetGroup: SEED.culpritTg, loadBalancer: 'x', region: 'us-east-1' })).toBe('tg/us-east-1/k8s-default-dataservice-88e28b4b6c');
  });
});
