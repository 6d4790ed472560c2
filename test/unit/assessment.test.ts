import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { assess } from '../../src/workflows/diagnostics/assessment.js';
import { HYPOTHESES, makeFinding, type FindingInput } from '../../src/workflows/diagnostics/types.js';
import { diagnose } from '../support/diagnose-fake.js';
import { oomAfterDeployWorld, seedWorld } from '../support/fake-ports.js';

const wl: Subject = { kind: 'workload', namespace: 'default', deployment: 'api' };
const f = (discriminator: string, over: Partial<FindingInput>): Finding =>
  makeFinding({ check: 'test', subject: wl, discriminator, severity: 'warning', title: `title ${discriminator}`, summary: `summary ${discriminator}`, ...over });

async function seedFindings(): Promise<Finding[]> {
  const w = seedWorld();
  return (await diagnose(w)).findings;
}

describe('assess: determinism', () => {
  it('shuffled findings (and duplicates) give the identical assessment', async () => {
    const findings = [...(await seedFindings()), ...(await (async () => {
      const { cloudwatch: _cw, prometheus: _prom, ...kubernetesOnly } = oomAfterDeployWorld();
      return (await diagnose(kubernetesOnly)).findings;
    })())];
    const reference = assess('INC-7', findings);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(findings, { minLength: findings.length, maxLength: findings.length }), fc.array(fc.nat({ max: findings.length - 1 }), { maxLength: 5 }), async (shuffled, dupes) => {
        const withDupes = [...shuffled, ...dupes.map((i) => structuredClone(findings[i] as Finding))];
        expect(assess('INC-7', withDupes)).toEqual(reference);
      }),
      { numRuns: 50 },
    );
  });

  it('random findings with signals and symptoms: any order, any duplicates, the same assessment; ties only between equal scores; a symptom never outranks its cause', () => {
    const names = ['bad-deploy', 'config-change', 'oom-crashloop', 'probe-kills', 'load-imbalance', 'cpu-throttling', 'capacity-ceiling', 'cluster-capacity', 'node-pressure', 'hpa-never-scales'] as const;
    const symptomIds = ['recent-change', 'crash-loop', 'oom-kill', 'restarts', 'throttling', 'hot-pod', 'hpa-at-max', 'pending-resources', 'no-room', 'eviction', 'latency', 'errors', 'liveness-kill'] as const;
    const scopes = [undefined, 'new-revision', 'all-pods', 'one-pod', 'under-load'] as const;
    const arbFinding = fc.record({
      d: fc.string({ minLength: 1, maxLength: 4 }),
      severity: fc.constantFrom('info', 'warning', 'critical', 'error'),
      signals: fc.dictionary(fc.constantFrom(...names), fc.constantFrom('supports', 'refutes', 'neutral'), { maxKeys: 2 }),
      symptoms: fc.array(fc.record({ id: fc.constantFrom(...symptomIds), scope: fc.constantFrom(...scopes) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbFinding, { minLength: 1, maxLength: 12 }), fc.nat(), (raw, seed) => {
        const findings = raw.map((r) =>
          f(r.d, {
            severity: r.severity,
            signals: Object.fromEntries(Object.entries(r.signals).map(([k, v]) => [k, [v, `${k} ${v}`]])),
            symptoms: r.symptoms.map((s) => ({ id: s.id, ...(s.scope ? { scope: s.scope } : {}), text: `${s.id} ${s.scope ?? ''}` })),
          }),
        );
        const reference = assess('P', findings);
        const shuffled = [...findings].sort((a, b) => ((a.id.length * 31 + seed) % 7) - ((b.id.length * 31 + seed) % 7));
        expect(assess('P', [...shuffled, ...findings.slice(0, seed % 3)].reverse())).toEqual(reference);
        const top = reference.hypotheses[0];
        for (const id of reference.ties ?? []) expect(reference.hypotheses.find((h) => h.id === id)?.score).toBe(top?.score);
        const rank = new Map(reference.hypotheses.map((h, i) => [h.id, i]));
        for (const h of reference.hypotheses) if (h.causedBy) expect(rank.get(h.causedBy) ?? Infinity).toBeLessThan(rank.get(h.id) ?? -1);
        // Nothing refutes the first-ranked cause while an unrefuted supported one exists.
        const supported = reference.hypotheses.filter((h) => h.verdict === 'supported');
        if (supported.some((h) => h.refutedBy.length === 0)) expect(supported[0]?.refutedBy).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('lists every known hypothesis, findings sorted by id', async () => {
    const a = assess('INC-1', [...(await seedFindings())].reverse());
    expect(a.hypotheses.map((h) => h.id).sort()).toEqual(HYPOTHESES.map((h) => `hypothesis:${h}`).sort());
    const ids = a.findings.map((x) => x.id);
    expect(ids).toEqual([...ids].sort());
  });

  it('a duplicate id keeps one finding, chosen independently of order', () => {
    const a = f('x', { summary: 'first' });
    const b = { ...a, summary: 'second' };
    expect(assess('I', [a, b]).findings).toEqual(assess('I', [b, a]).findings);
    expect(assess('I', [a, b]).findings).toHaveLength(1);
  });
});

describe('assess: verdicts and explanations', () => {
  it('supported / refuted / inconclusive by weighted signals', () => {
    const a = assess('I', [
      f('a', { severity: 'critical', signals: { 'cpu-throttling': ['supports', 'sidecar throttled 60%'] } }),
      f('b', { severity: 'info', signals: { 'cpu-throttling': ['refutes', 'app not throttled'], 'node-pressure': ['refutes', 'no pressure on 3 nodes'] } }),
      f('c', { severity: 'info', signals: { 'load-imbalance': ['supports', 'one hot pod'] } }),
      f('d', { severity: 'info', signals: { 'load-imbalance': ['refutes', 'even spread'] } }),
    ]);
    const h = (id: string) => a.hypotheses.find((x) => x.id === `hypothesis:${id}`);
    expect(h('cpu-throttling')).toMatchObject({ verdict: 'supported', score: 2, supportedBy: ['test:wl/default/api:a'], refutedBy: ['test:wl/default/api:b'] });
    expect(h('cpu-throttling')?.explanation).toBe('CPU throttling: supported, sidecar throttled 60%; against it: app not throttled');
    expect(h('node-pressure')).toMatchObject({ verdict: 'refuted', score: -1 });
    expect(h('node-pressure')?.explanation).toBe('node pressure: refuted, no pressure on 3 nodes');
    expect(h('load-imbalance')?.verdict).toBe('inconclusive');
    expect(h('load-imbalance')?.explanation).toBe('load imbalance: inconclusive, evidence both ways: one hot pod; but even spread');
    expect(h('oom-crashloop')?.explanation).toBe('OOM crash loop (memory limit too low): inconclusive, no finding speaks to it');
    expect(a.hypotheses[0]?.id).toBe('hypothesis:cpu-throttling');
  });

  it('error findings weigh nothing and are counted in the summary', () => {
    const a = assess('I', [f('e', { severity: 'error', signals: { 'bad-deploy': ['supports', 'x'] } })]);
    expect(a.hypotheses.find((h) => h.id === 'hypothesis:bad-deploy')?.verdict).toBe('inconclusive');
    expect(a.summary).toBe('Inconclusive: no hypothesis is supported. Not checked: test (failed: summary e). No mitigation proposed. 1 check failed.');
    expect(a.notChecked).toEqual(['test (failed: summary e)']);
  });

  it('a cause ranks by the observed symptoms it explains: the throttling of one hot pod is how the imbalance shows', () => {
    const a = assess('I', [
      // The throttling finding is critical and the hot-pod one only a warning: severity does not rank causes.
      f('throttled', { severity: 'critical', signals: { 'cpu-throttling': ['supports', 'app throttled 70%'] }, symptoms: [{ id: 'throttling', scope: 'one-pod', text: 'app throttled in 1 of 4 pods' }] }),
      f('hot', { severity: 'warning', signals: { 'load-imbalance': ['supports', 'api-1 at 4x the mean'] }, symptoms: [{ id: 'hot-pod', scope: 'one-pod', text: 'api-1 at 4x the mean' }] }),
    ]);
    const [top, second] = a.hypotheses;
    expect(top).toMatchObject({ id: 'hypothesis:load-imbalance', verdict: 'supported', score: 202, explains: ['api-1 at 4x the mean', 'app throttled in 1 of 4 pods'] });
    expect(second).toMatchObject({ id: 'hypothesis:cpu-throttling', verdict: 'supported', causedBy: 'hypothesis:load-imbalance' });
    expect(second?.explanation).toContain('(how the load imbalance shows)');
    expect(a.ties).toBeUndefined();
    expect(a.summary).toBe('Most likely: load imbalance (shows as CPU throttling). No mitigation proposed.');
  });

  it('throttling in every pod is a cause of its own: with an unrelated hot pod the two tie, reported as a tie', () => {
    const a = assess('I', [
      f('throttled', { signals: { 'cpu-throttling': ['supports', 'sidecar throttled 85%'] }, symptoms: [{ id: 'throttling', scope: 'container', text: 'sidecar throttled in 4 of 4 pods' }] }),
      f('hot', { signals: { 'load-imbalance': ['supports', 'api-1 hot'] }, symptoms: [{ id: 'hot-pod', scope: 'one-pod', text: 'api-1 hot' }] }),
    ]);
    expect(a.ties).toEqual(['hypothesis:cpu-throttling', 'hypothesis:load-imbalance']);
    expect(a.hypotheses.slice(0, 2).map((h) => h.causedBy)).toEqual([undefined, undefined]);
    expect(a.summary).toBe('Tied: CPU throttling and load imbalance explain the same evidence equally well; no single cause stands out. No mitigation proposed.');
    expect(a.hypotheses[0]?.explanation).toContain('(tied for first with load imbalance)');
  });

  it('a tie is never broken by name: renaming nothing, reordering the input changes nothing', () => {
    const one = f('one', { signals: { 'node-pressure': ['supports', 'evictions'] }, symptoms: [{ id: 'eviction', text: '3 evicted' }] });
    const two = f('two', { signals: { 'cluster-capacity': ['supports', 'pending'] }, symptoms: [{ id: 'pending-resources', text: '2 Pending: Insufficient cpu' }] });
    expect(assess('I', [one, two]).ties).toEqual(['hypothesis:cluster-capacity', 'hypothesis:node-pressure']);
    expect(assess('I', [two, one])).toEqual(assess('I', [one, two]));
  });

  it('scope matters: a crash loop confined to the new revision is the deploy; one across revisions is not', () => {
    const deploy = f('deploy', { severity: 'critical', signals: { 'bad-deploy': ['supports', 'deployed 8m before, new pods crash'] }, symptoms: [{ id: 'recent-change', text: 'v2 rolled out 8m before' }, { id: 'crash-loop', scope: 'new-revision', text: '3 of 3 new pods crash' }, { id: 'oom-kill', scope: 'new-revision', text: '3 of 3 new pods OOMKilled' }] });
    const oomNew = f('oom', { severity: 'critical', signals: { 'oom-crashloop': ['supports', 'OOMKilled'] }, symptoms: [{ id: 'oom-kill', scope: 'new-revision', text: '3 of 3 new pods OOMKilled' }, { id: 'crash-loop', scope: 'new-revision', text: '3 of 3 new pods crash' }] });
    const confined = assess('I', [deploy, oomNew]);
    expect(confined.hypotheses.slice(0, 2).map((h) => h.id)).toEqual(['hypothesis:bad-deploy', 'hypothesis:oom-crashloop']);
    expect(confined.hypotheses[1]?.causedBy).toBe('hypothesis:bad-deploy');
    expect(confined.hypotheses[1]?.explanation).toContain('how the bad deploy shows');

    const oomAll = f('oom', { severity: 'critical', signals: { 'oom-crashloop': ['supports', 'OOMKilled'] }, symptoms: [{ id: 'oom-kill', scope: 'all-pods', text: '6 of 6 pods OOMKilled' }, { id: 'crash-loop', scope: 'all-pods', text: '6 of 6 pods crash' }, { id: 'restarts', scope: 'all-pods', text: '40 restarts' }] });
    const timing = f('deploy', { signals: { 'bad-deploy': ['supports', 'deployed 30m before (timing only)'] }, symptoms: [{ id: 'recent-change', text: 'v2 rolled out 30m before' }] });
    const fleet = assess('I', [timing, oomAll]);
    expect(fleet.hypotheses[0]?.id).toBe('hypothesis:oom-crashloop');
    expect(fleet.hypotheses.find((h) => h.id === 'hypothesis:bad-deploy')?.causedBy).toBeUndefined();
  });

  it('nothing supported: inconclusive, the unexplained symptoms and what could not be seen listed, no proposal', () => {
    const a = assess('I', [
      f('5xx', { signals: { 'shared-lb': ['refutes', 'only payments fails'] }, symptoms: [{ id: 'errors', text: 'payments: 8% of requests answered 5xx by the targets' }], cannotSee: ["the application's logs"] }),
      f('pods', { severity: 'info', signals: { 'oom-crashloop': ['refutes', '0 restarts'] } }),
      { ...f('cpu', { severity: 'info', title: 'Could not check CPU', facts: { skipped: 'Prometheus' } }) },
    ]);
    expect(a.hypotheses.some((h) => h.verdict === 'supported')).toBe(false);
    expect(a.unexplained).toEqual(['payments: 8% of requests answered 5xx by the targets']);
    expect(a.notChecked).toEqual(["test (Prometheus is not configured)", "the application's logs"]);
    expect(a.summary).toBe(
      "Inconclusive: no hypothesis is supported. Ruled out: OOM crash loop (memory limit too low), shared load balancer / ingress. Unexplained: payments: 8% of requests answered 5xx by the targets. Not checked: test (Prometheus is not configured); the application's logs. No mitigation proposed.",
    );
  });

  it('unknown hypotheses named by findings are assessed too', () => {
    const a = assess('I', [f('x', { signals: {} }), { ...f('y', {}), signals: { 'hypothesis:dns': 'supports' } }]);
    expect(a.hypotheses.find((h) => h.id === 'hypothesis:dns')).toMatchObject({ verdict: 'supported', title: 'dns' });
  });
});

describe('assess: proposals', () => {
  const rollback = { kind: 'rollback' as const, namespace: 'default', deployment: 'api', toRevision: 3 };
  const hpa = { kind: 'hpa' as const, namespace: 'default', name: 'api', maxReplicas: 10 };

  it('carries rationale and risk, merges the same mitigation from two findings', () => {
    const a = assess('I', [
      f('one', { signals: { 'capacity-ceiling': ['supports', 'at max'] }, proposals: [{ mitigation: hpa, rationale: 'pinned at max', risk: 'more pods' }] }),
      f('two', { signals: { 'capacity-ceiling': ['supports', 'fits'] }, proposals: [{ mitigation: { ...hpa }, rationale: 'other', risk: 'other' }] }),
    ]);
    expect(a.proposals).toEqual([{ mitigation: hpa, because: ['test:wl/default/api:one', 'test:wl/default/api:two'], rationale: 'pinned at max', risk: 'more pods' }]);
    expect(a.summary).toBe('Most likely: capacity ceiling (HPA at max). 1 mitigation proposed.');
  });

  it('drops a proposal whose finding only supports refuted hypotheses', () => {
    const a = assess('I', [
      f('timing', { severity: 'info', signals: { 'bad-deploy': ['supports', 'timing only'] }, proposals: [{ mitigation: rollback, rationale: 'r', risk: 'k' }] }),
      f('after', { severity: 'critical', signals: { 'bad-deploy': ['refutes', 'flapping began before it'] } }),
    ]);
    expect(a.hypotheses.find((h) => h.id === 'hypothesis:bad-deploy')?.verdict).toBe('refuted');
    expect(a.proposals).toEqual([]);
  });

  it('orders proposals by the score of the hypothesis behind them', () => {
    const a = assess('I', [
      f('weak', { severity: 'warning', signals: { 'hpa-never-scales': ['supports', 'x'] }, proposals: [{ mitigation: hpa, rationale: 'r', risk: 'k' }] }),
      f('strong', { severity: 'critical', signals: { 'bad-deploy': ['supports', 'y'] }, proposals: [{ mitigation: rollback, rationale: 'r', risk: 'k' }] }),
    ]);
    expect(a.proposals.map((p) => p.mitigation.kind)).toEqual(['rollback', 'hpa']);
  });
});
