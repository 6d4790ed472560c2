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
    expect(h('oom-crashloop')?.explanation).toBe('OOM crash loop: inconclusive, no finding speaks to it');
    expect(a.hypotheses[0]?.id).toBe('hypothesis:cpu-throttling');
  });

  it('error findings weigh nothing and are counted in the summary', () => {
    const a = assess('I', [f('e', { severity: 'error', signals: { 'bad-deploy': ['supports', 'x'] } })]);
    expect(a.hypotheses.find((h) => h.id === 'hypothesis:bad-deploy')?.verdict).toBe('inconclusive');
    expect(a.summary).toBe('No hypothesis is supported yet. No mitigation proposed. 1 check failed.');
  });

  it('corroboration counts only once the plateau itself supports the process-model ceiling', () => {
    const culprit = f('culprit', { signals: { 'shared-lb': ['refutes', 'only data-service slow'] } });
    const even = f('even', { severity: 'info', signals: { 'load-imbalance': ['refutes', 'even'] } });
    const without = assess('I', [culprit, even]).hypotheses.find((h) => h.id === 'hypothesis:process-model-ceiling');
    expect(without?.verdict).toBe('inconclusive');
    const plateau = f('plateau', { signals: { 'process-model-ceiling': ['supports', 'plateau at 0.9 cores'] } });
    const withIt = assess('I', [culprit, even, plateau]).hypotheses.find((h) => h.id === 'hypothesis:process-model-ceiling');
    expect(withIt?.score).toBe(4);
    expect(withIt?.supportedBy).toHaveLength(3);
  });

  it('a supported bad deploy ranks above the OOM crash loop it explains', () => {
    const a = assess('I', [
      f('oom', { severity: 'critical', signals: { 'oom-crashloop': ['supports', 'OOMKilled'] } }),
      f('deploy', { severity: 'critical', signals: { 'bad-deploy': ['supports', 'deployed 8m before'] } }),
    ]);
    expect(a.hypotheses.slice(0, 2).map((h) => h.id)).toEqual(['hypothesis:bad-deploy', 'hypothesis:oom-crashloop']);
    expect(a.hypotheses[1]?.explanation).toContain('how the bad deploy shows');
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
