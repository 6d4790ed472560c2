/**
 * The whole catalogue, in plan order with subject discovery, on fixture worlds; then the
 * assessment. The seed must reproduce the expert path of
 * domain/investigation-flapping-alb-alarm.txt.
 */
import { describe, expect, it } from 'vitest';
import { Assessment, Finding } from '../../src/domain/diagnostics.js';
import { AppError } from '../../src/errors.js';
import { checksFor, planFor } from '../../src/workflows/diagnostics/plan.js';
import { factsFor } from '../../src/workflows/diagnostics/engine.js';
import { factsForDiscovered, type CheckResult } from '../../src/workflows/diagnostics/types.js';
import type { K8sHpa } from '../../src/workflows/ports.js';
import { diagnose } from '../support/diagnose-fake.js';
import { FakeKubernetes, SEED, hpaAtMaxWorld, oomAfterDeployWorld, seedWorld, throttledSidecarWorld, type World } from '../support/fake-ports.js';

/** The real engine (jobs, flow, stored outcomes) on fakes; `ran` in the order the checks finished. */
async function run(w: World): Promise<{ findings: Finding[]; ran: string[]; assessment: Assessment }> {
  const d = await diagnose(w);
  return { findings: d.findings, ran: d.ran, assessment: d.assessment };
}

function find(findings: Finding[], idSuffix: string): Finding {
  const f = findings.find((x) => x.id.endsWith(idSuffix));
  if (!f) throw new Error(`no finding *${idSuffix} among ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

describe('the seed investigation, end to end through the catalogue', () => {
  it('reproduces the expert conclusions and ranks the process-model ceiling / HPA above the deploy', async () => {
    const { findings, ran, assessment } = await run(seedWorld());
    // Every finding is a valid domain Finding; the assessment is a valid Assessment.
    for (const f of findings) expect(Finding.safeParse(f).success).toBe(true);
    expect(Assessment.safeParse(assessment).success).toBe(true);

    // Plan order with discovery: alarm -> target group -> workload; on a subject, a check after the ones it depends on.
    const alarmKey = `cw/${SEED.region}/${SEED.alarmName}`;
    expect(ran).toEqual([
      `alarm-history@${alarmKey}`,
      `alarm-statistic@${alarmKey}`,
      `lb-breakdown@${alarmKey}`,
      'tg-to-workload@tg/us-east-1/k8s-default-dataservice-88e28b4b6c',
      'change-correlation@wl/default/data-service',
      'rollout@wl/default/data-service',
      'pods@wl/default/data-service',
      'scheduling@wl/default/data-service',
      'cpu-per-pod@wl/default/data-service',
      'cpu-throttling@wl/default/data-service',
      'nodes@wl/default/data-service',
      // Dependants run once what they depend on has finished (the engine adds them then).
      'probes@wl/default/data-service',
      'hpa@wl/default/data-service',
    ]);

    // 9 flaps.
    expect(find(findings, ':flapping').facts.flapCycles).toBe(9);
    // The culprit target group: data-service with 5.83 s / 29.7 s; the shared ALB exonerated.
    const culprit = find(findings, ':culprit');
    expect(culprit.evidence[0]?.numbers).toMatchObject({ culprit: 'k8s-default-dataservice-88e28b4b6c', culpritAvgSeconds: 5.83, culpritMaxSeconds: 29.7 });
    expect(find(findings, 'tg-to-workload:tg/us-east-1/k8s-default-dataservice-88e28b4b6c:mapped').title).toContain('default/data-service');
    // The deploy v1.14.3 a red herring (the first flap reached the workload's check through discovery).
    const deploy = find(findings, 'change-correlation:wl/default/data-service:after-onset');
    expect(deploy.title).toContain('v1.14.3');
    expect(deploy.title).toContain('red herring');
    // Load imbalance refuted; the plateau flagged.
    expect(find(findings, 'cpu-per-pod:wl/default/data-service:spread').signals['hypothesis:load-imbalance']).toBe('refutes');
    expect(find(findings, 'cpu-per-pod:wl/default/data-service:plateau').signals['hypothesis:process-model-ceiling']).toBe('supports');
    // The HPA never-scales arithmetic.
    expect(find(findings, 'hpa:wl/default/data-service:never-scales').title).toBe('HPA data-service never scales: peak 75% < 80% target');
    // The missing readiness probe noted.
    expect(find(findings, 'pods:wl/default/data-service:no-readiness-probe').severity).toBe('info');

    // The assessment.
    const [top, second] = assessment.hypotheses;
    expect(top?.id).toBe('hypothesis:process-model-ceiling');
    expect(top?.verdict).toBe('supported');
    expect(second?.id).toBe('hypothesis:hpa-never-scales');
    expect(second?.verdict).toBe('supported');
    // The HPA that never scales is how the ceiling shows: a saturated pod cannot reach the target.
    expect(second?.causedBy).toBe('hypothesis:process-model-ceiling');
    expect(top?.explains).toHaveLength(3);
    const h = (id: string): Assessment['hypotheses'][number] => {
      const x = assessment.hypotheses.find((y) => y.id === `hypothesis:${id}`);
      if (!x) throw new Error(id);
      return x;
    };
    expect(h('bad-deploy').verdict).toBe('refuted');
    expect(h('bad-deploy').explanation).toBe('deploy v1.14.3-prod: refuted, the flapping began 4h 35m before it (05:52Z vs deploy 10:27Z)');
    expect(h('bad-deploy').refutedBy).toEqual(['change-correlation:wl/default/data-service:after-onset']);
    expect(h('load-imbalance').explanation).toBe('load imbalance: refuted, per-pod CPU even at 0.5–0.95 cores');
    expect(h('shared-lb').verdict).toBe('refuted');
    expect(h('low-traffic-artifact').verdict).toBe('refuted');
    expect(h('cpu-throttling').verdict).toBe('refuted');
    expect(h('oom-crashloop').verdict).toBe('refuted');
    expect(h('node-pressure').verdict).toBe('refuted');
    expect(h('capacity-ceiling').verdict).toBe('inconclusive');
    expect(h('process-model-ceiling').supportedBy).toEqual(['cpu-per-pod:wl/default/data-service:plateau']);
    expect(h('process-model-ceiling').explanation).toContain('pods plateau at ~0.9 cores against a 1.5-core limit');
    expect(assessment.ties).toBeUndefined();

    // Proposal: lower the HPA target to 50% and raise max to 10, because of the never-scales finding.
    expect(assessment.proposals).toEqual([
      expect.objectContaining({
        mitigation: { kind: 'hpa', namespace: 'default', name: 'data-service', targetCPUUtilizationPercentage: 50, maxReplicas: 10 },
        because: ['hpa:wl/default/data-service:never-scales'],
      }),
    ]);
    expect(assessment.proposals.some((p) => p.mitigation.kind === 'rollback')).toBe(false);
    expect(assessment.summary).toMatch(/^Most likely: process-model ceiling \(one worker, one core\) \(shows as HPA never scales\)\./);
    expect(assessment.summary).toContain('Ruled out: deploy v1.14.3-prod');
  });

  it('without Prometheus the catalogue still runs: CPU checks say so, the HPA is not judged from one snapshot', async () => {
    const { findings, assessment } = await run(seedWorld({ prometheus: false }));
    expect(find(findings, 'cpu-per-pod:wl/default/data-service:not-configured').title).toContain('Prometheus is not configured');
    expect(find(findings, 'cpu-throttling:wl/default/data-service:not-configured').title).toContain('Prometheus is not configured');
    expect(find(findings, 'hpa:wl/default/data-service:unknown').signals['hypothesis:hpa-never-scales']).toBe('neutral');
    expect(assessment.hypotheses.find((x) => x.id === 'hypothesis:bad-deploy')?.verdict).toBe('refuted');
  });

  it('a check that fails becomes an error finding; the others still run', async () => {
    const w = seedWorld();
    class BrokenHpas extends FakeKubernetes {
      override async listHpas(): Promise<K8sHpa[]> {
        throw new AppError('unavailable', 'apiserver: connection refused');
      }
    }
    const { findings, ran, assessment } = await run({ ...w, kubernetes: new BrokenHpas(w.kube) });
    const e = find(findings, 'hpa:wl/default/data-service:error');
    expect(e.severity).toBe('error');
    expect(e.summary).toContain('connection refused (unavailable)');
    expect(ran).toContain('nodes@wl/default/data-service');
    expect(assessment.summary).toContain('1 check failed.');
  });
});

describe('fact hand-on', () => {
  it('the first flap reaches the workload even when only the inherited facts (not the dependency facts) are handed on', async () => {
    // The queued engine hands discovered subjects `factsForDiscovered(job.inherited, result)`.
    const w = seedWorld();
    const ports = { cloudwatch: w.cloudwatch!, kubernetes: w.kubernetes!, prometheus: w.prometheus! };
    const base = { incident: w.incident, now: w.now, signal: new AbortController().signal, ports };
    const alarm = planFor(w.incident.alerts)[0]!;
    const results = new Map<string, CheckResult>();
    for (const c of checksFor(alarm)) results.set(c.id, await c.run({ ...base, subject: alarm, facts: factsFor({}, c.dependsOn, results) }));
    const lb = results.get('lb-breakdown')!;
    const tgHandOn = factsForDiscovered({}, lb);
    expect(tgHandOn.firstFlapAt).toBe('2025-03-14T05:52:00.000Z');
    const tgSubject = lb.discovered[0]!;
    const tg = await checksFor(tgSubject)[0]!.run({ ...base, subject: tgSubject, facts: tgHandOn });
    const wlHandOn = factsForDiscovered(tgHandOn, tg);
    const workload = tg.discovered[0]!;
    const cc = checksFor(workload).find((c) => c.id === 'change-correlation')!;
    const r = await cc.run({ ...base, subject: workload, facts: wlHandOn });
    expect(r.findings[0]?.id).toBe('change-correlation:wl/default/data-service:after-onset');
  });
});

describe('other incidents through the catalogue', () => {
  it('an OOM crash loop right after a deploy: bad deploy on top, with a rollback proposal', async () => {
    const { assessment } = await run(oomAfterDeployWorld());
    const [top, second] = assessment.hypotheses;
    expect(top?.id).toBe('hypothesis:bad-deploy');
    expect(top?.verdict).toBe('supported');
    expect(second?.id).toBe('hypothesis:oom-crashloop');
    expect(second?.causedBy).toBe('hypothesis:bad-deploy');
    expect(assessment.proposals[0]?.mitigation).toEqual({ kind: 'rollback', namespace: 'payments', deployment: 'payments-api', toRevision: 4 });
    expect(assessment.proposals[0]?.because).toEqual(['change-correlation:wl/payments/payments-api:before-onset-failing']);
    expect(assessment.proposals[0]?.risk).toContain('v2.2.9');
  });

  it('a throttled sidecar: CPU throttling on top', async () => {
    const { assessment } = await run(throttledSidecarWorld());
    expect(assessment.hypotheses[0]?.id).toBe('hypothesis:cpu-throttling');
    expect(assessment.hypotheses[0]?.explanation).toBe('CPU throttling: supported, istio-proxy throttled 62% of periods at its 200m limit, in 3 of 3 pods');
    expect(assessment.hypotheses.find((h) => h.id === 'hypothesis:process-model-ceiling')?.verdict).toBe('refuted');
  });

  it('an HPA at max: capacity ceiling on top, raise max', async () => {
    const { assessment } = await run(hpaAtMaxWorld());
    expect(assessment.hypotheses[0]?.id).toBe('hypothesis:capacity-ceiling');
    expect(assessment.hypotheses.find((h) => h.id === 'hypothesis:hpa-never-scales')?.verdict).toBe('refuted');
    expect(assessment.proposals.map((p) => p.mitigation)).toEqual([{ kind: 'hpa', namespace: 'web', name: 'frontend', maxReplicas: 9 }]);
  });
});
