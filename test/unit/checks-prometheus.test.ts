import { describe, expect, it } from 'vitest';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { alarmHistoryCheck } from '../../src/workflows/diagnostics/checks/alarm-history.js';
import { cpuPerPodCheck, cpuQuery, plateauOf } from '../../src/workflows/diagnostics/checks/cpu-per-pod.js';
import { cpuThrottlingCheck } from '../../src/workflows/diagnostics/checks/cpu-throttling.js';
import type { CheckContext, CheckPorts } from '../../src/workflows/diagnostics/types.js';
import { FakeKubernetes, FakePrometheus, MIN, SEED, minutes, seedWorld, throttledSidecarWorld, type PromFixtureSeries } from '../support/fake-ports.js';

const seedWorkload: Subject = { kind: 'workload', namespace: 'default', deployment: 'data-service', service: 'data-service' };

function ctx(ports: CheckPorts, subject: Subject, opts: { facts?: Record<string, unknown>; now?: Date; startedAt?: Date } = {}): CheckContext {
  return { subject, incident: { id: 'INC-1', startedAt: opts.startedAt ?? SEED.pageAt, alerts: [] }, now: opts.now ?? SEED.now, signal: new AbortController().signal, ports, facts: opts.facts ?? {} };
}

function byDisc(findings: Finding[], disc: string): Finding {
  const f = findings.find((x) => x.id.endsWith(`:${disc}`));
  if (!f) throw new Error(`no finding ${disc} in ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

async function seedFlapFacts(): Promise<Record<string, unknown>> {
  const w = seedWorld();
  const r = await alarmHistoryCheck.run({ ...ctx({ cloudwatch: w.cloudwatch }, { kind: 'cloudwatch-alarm', alarmName: SEED.alarmName, region: SEED.region }) });
  return r.findings[0]?.facts ?? {};
}

/** Per-pod CPU rate series for a deployment: `values(podIndex, t)` cores. */
function cpuSeries(ns: string, deploy: string, pods: number, from: Date, to: Date, values: (i: number, t: number) => number): PromFixtureSeries[] {
  return Array.from({ length: pods }, (_, i) => ({
    name: 'container_cpu_usage_seconds_total',
    labels: { namespace: ns, pod: `${deploy}-7d9f8b6c4-pod${i}x`, container: 'app' },
    rate: minutes(from, to).map((t): [number, number] => [t / 1000, values(i, t)]),
  }));
}

describe('cpu-per-pod', () => {
  it('seed: even at 0.5-0.95 cores (imbalance refuted) and a plateau near one core below the 1.5-core limit', async () => {
    const w = seedWorld();
    const facts = await seedFlapFacts();
    const r = await cpuPerPodCheck.run(ctx({ prometheus: w.prometheus, kubernetes: w.kubernetes }, seedWorkload, { facts }));
    const spread = byDisc(r.findings, 'spread');
    expect(spread.signals['hypothesis:load-imbalance']).toBe('refutes');
    expect(spread.title).toBe('CPU even across 4 pods: 0.5–0.95 cores during bursts');
    const plateau = byDisc(r.findings, 'plateau');
    expect(plateau.signals['hypothesis:process-model-ceiling']).toBe('supports');
    expect(plateau.title).toBe('CPU plateau at ~0.9 cores against a 1.5-core limit: process-model ceiling');
    expect(plateau.summary).toContain('1 worker, 1 core');
    expect(plateau.facts).toMatchObject({ cpuFleetPeakAvgCores: 0.9, cpuPlateauCores: 0.9, cpuEven: true, cpuPodCount: 4, cpuRequestCores: 1.2, cpuLimitCores: 1.5 });
    // The sibling deployment (data-service-worker), the pod cgroup (container="") and the pause container are not counted.
    expect(spread.evidence[0]?.numbers.podSeries).toBe(8);
    expect(spread.evidence[0]?.numbers.burstMaxCores).toBe(0.95);
    expect(spread.evidence[0]?.query).toBe(cpuQuery('default', 'data-service'));
    expect(spread.evidence[0]?.link).toContain('prometheus.test/graph');
  });

  it('one hot pod supports load imbalance and names it', async () => {
    const from = new Date(SEED.now.getTime() - 2 * 3600_000);
    const series = cpuSeries('default', 'data-service', 4, from, new Date(SEED.now.getTime() + MIN), (i, t) => (i === 2 ? 0.997 : 0.05 + 0.01 * ((t / MIN) % 3)));
    const r = await cpuPerPodCheck.run(ctx({ prometheus: new FakePrometheus(series), kubernetes: seedWorld().kubernetes }, seedWorkload));
    const f = byDisc(r.findings, 'spread');
    expect(f.signals['hypothesis:load-imbalance']).toBe('supports');
    expect(f.facts.hotPod).toBe('data-service-7d9f8b6c4-pod2x');
  });

  it('a single pod: spread not applicable', async () => {
    const from = new Date(SEED.now.getTime() - 2 * 3600_000);
    const series = cpuSeries('default', 'data-service', 1, from, new Date(SEED.now.getTime() + MIN), () => 0.4);
    const r = await cpuPerPodCheck.run(ctx({ prometheus: new FakePrometheus(series) }, seedWorkload));
    expect(byDisc(r.findings, 'spread').signals['hypothesis:load-imbalance']).toBe('neutral');
  });

  it('usage at the CPU limit is not a process-model plateau', async () => {
    const from = new Date(SEED.now.getTime() - 2 * 3600_000);
    const series = cpuSeries('default', 'data-service', 3, from, new Date(SEED.now.getTime() + MIN), () => 1.48);
    const r = await cpuPerPodCheck.run(ctx({ prometheus: new FakePrometheus(series), kubernetes: seedWorld().kubernetes }, seedWorkload));
    const f = byDisc(r.findings, 'plateau');
    expect(f.signals['hypothesis:process-model-ceiling']).toBe('refutes');
    expect(f.title).toContain('reaches the 1.5-core limit');
  });

  it('plateau detection', () => {
    expect(plateauOf([0.5, 0.7, 0.93, 0.93, 0.92, 0.94], 1.5)?.whole).toBe(1);
    expect(plateauOf([0.5, 0.7, 1.93, 1.95, 1.92, 1.94], 3)?.whole).toBe(2);
    expect(plateauOf([0.2, 0.5, 0.9, 0.4, 0.95, 0.3], 1.5)).toBeUndefined(); // spiky, no flat top
    expect(plateauOf([0.93, 0.93, 0.93], 1)).toBeUndefined(); // at the limit
    expect(plateauOf([0.45, 0.45, 0.45], 1.5)).toBeUndefined(); // half a core: not near a whole core
  });

  it('no series: says so', async () => {
    const r = await cpuPerPodCheck.run(ctx({ prometheus: new FakePrometheus([]) }, seedWorkload));
    expect(byDisc(r.findings, 'no-data').summary).toContain('is cAdvisor scraped?');
  });

  it('Prometheus missing: a finding, not a throw', async () => {
    const r = await cpuPerPodCheck.run(ctx({ kubernetes: seedWorld().kubernetes }, seedWorkload));
    expect(byDisc(r.findings, 'not-configured').title).toBe('Could not check per-pod CPU over time: Prometheus is not configured');
  });
});

describe('cpu-throttling', () => {
  it('flags the throttled sidecar with its limit, not the app container', async () => {
    const w = throttledSidecarWorld();
    const subject: Subject = { kind: 'workload', namespace: 'checkout', deployment: 'checkout-api' };
    const r = await cpuThrottlingCheck.run(ctx({ prometheus: w.prometheus, kubernetes: w.kubernetes }, subject, { now: w.now, startedAt: w.incident.startedAt }));
    expect(r.findings).toHaveLength(1);
    const f = byDisc(r.findings, 'throttled-istio-proxy');
    expect(f.title).toBe('Container istio-proxy throttled 62% of CFS periods at its 200m limit');
    expect(f.severity).toBe('critical');
    expect(f.signals['hypothesis:cpu-throttling']).toBe('supports');
    expect(f.evidence[0]?.detail).toContain('app: p90 1% throttled');
  });

  it('seed: no container above 25%: throttling refuted', async () => {
    const w = seedWorld();
    const r = await cpuThrottlingCheck.run(ctx({ prometheus: w.prometheus, kubernetes: w.kubernetes }, seedWorkload, { facts: await seedFlapFacts() }));
    const f = byDisc(r.findings, 'no-throttling');
    expect(f.signals['hypothesis:cpu-throttling']).toBe('refutes');
    expect(Number(f.evidence[0]?.numbers.worstThrottledRatioP90)).toBeLessThan(0.25);
  });

  it('no CFS series and no CPU limits: nothing to throttle', async () => {
    const w = seedWorld();
    for (const d of w.kube.deployments ?? []) for (const c of d.spec.template.spec.containers) delete c.resources?.limits;
    const r = await cpuThrottlingCheck.run(ctx({ prometheus: new FakePrometheus([]), kubernetes: new FakeKubernetes(w.kube) }, seedWorkload));
    const f = byDisc(r.findings, 'no-data');
    expect(f.signals['hypothesis:cpu-throttling']).toBe('refutes');
  });

  it('no CFS series with limits set: cannot judge', async () => {
    const w = seedWorld();
    const r = await cpuThrottlingCheck.run(ctx({ prometheus: new FakePrometheus([]), kubernetes: w.kubernetes }, seedWorkload));
    expect(byDisc(r.findings, 'no-data').signals['hypothesis:cpu-throttling']).toBe('neutral');
  });

  it('Prometheus missing: a finding, not a throw', async () => {
    const r = await cpuThrottlingCheck.run(ctx({}, seedWorkload));
    expect(byDisc(r.findings, 'not-configured').summary).toBe('could not check CPU throttling: Prometheus is not configured');
  });
});
