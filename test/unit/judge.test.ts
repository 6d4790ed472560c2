/**
 * The demo's judgement of a diagnosis against a scenario's expectations (src/sandbox/demo/judge.ts),
 * on assessments the real assess() makes, and the Slack card of a tied assessment.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, Subject } from '../../src/domain/diagnostics.js';
import { assessment as renderAssessment } from '../../src/integrations/slack/blocks/diagnostics.js';
import { judge } from '../../src/sandbox/demo/judge.js';
import { Expectation } from '../../src/sandbox/scenario/schema.js';
import { assess } from '../../src/workflows/diagnostics/assessment.js';
import { makeFinding, type FindingInput } from '../../src/workflows/diagnostics/types.js';

const wl: Subject = { kind: 'workload', namespace: 'payments', deployment: 'checkout-api' };
const f = (discriminator: string, over: Partial<FindingInput>): Finding =>
  makeFinding({ check: 'test', subject: wl, discriminator, severity: 'critical', title: `title ${discriminator}`, summary: `summary ${discriminator}`, ...over });

const rollback = { kind: 'rollback' as const, namespace: 'payments', deployment: 'checkout-api', toRevision: 11 };
const deploy = f('deploy', {
  signals: { 'bad-deploy': ['supports', 'new pods OOMKilled'] },
  symptoms: [{ id: 'recent-change', text: 'v2.8.0 8m before' }, { id: 'oom-kill', scope: 'new-revision', text: '3 new pods OOMKilled' }],
  proposals: [{ mitigation: rollback, rationale: 'r', risk: 'k' }],
});
const nodesOk = f('nodes', { severity: 'info', signals: { 'node-pressure': ['refutes', 'no pressure'] } });
const expectation = (e: unknown): Expectation => Expectation.parse(e);

describe('judge', () => {
  it('passes when the top hypothesis, refuted ones, text and proposals all match', () => {
    const v = judge(expectation({ topHypothesis: 'bad-deploy', refuted: ['node-pressure'], mustInclude: ['OOMKilled'], proposal: { kind: 'rollback', namespace: 'payments', deployment: 'checkout-api' } }), assess('I', [deploy, nodesOk]));
    expect(v).toEqual({ ok: true, lines: ['ok top hypothesis: bad-deploy', 'ok refuted: node-pressure', 'ok must include: 1 item(s)', 'ok proposal: rollback payments/checkout-api'] });
  });

  it('a wrong top hypothesis, a missing refutation, missing text and a missing proposal are each a mismatch with expected and got', () => {
    const v = judge(expectation({ topHypothesis: 'capacity-ceiling', refuted: ['bad-deploy'], mustInclude: ['TooManyReplicas'], proposal: { kind: 'hpa', name: 'checkout-api' } }), assess('I', [deploy, nodesOk]));
    expect(v.ok).toBe(false);
    expect(v.lines).toEqual([
      'MISMATCH top hypothesis: expected capacity-ceiling, got bad-deploy (score 203)',
      'MISMATCH refuted: expected bad-deploy refuted, got supported (bad deploy: supported, new pods OOMKilled)',
      'MISMATCH must include: "TooManyReplicas" not in the assessment',
      'MISMATCH proposal: expected hpa */checkout-api, got rollback payments/checkout-api {"toRevision":11}',
      'MISMATCH proposal: unexpected rollback payments/checkout-api {"toRevision":11}',
    ]);
  });

  it('no proposal expected (none, or left out): any proposal is a mismatch', () => {
    for (const proposal of ['none', undefined]) {
      const v = judge(expectation({ topHypothesis: 'bad-deploy', ...(proposal ? { proposal } : {}) }), assess('I', [deploy]));
      expect(v.lines).toContain('MISMATCH proposal: unexpected rollback payments/checkout-api {"toRevision":11} (expected none)');
    }
    expect(judge(expectation({ topHypothesis: 'node-pressure', proposal: 'none' }), assess('I', [f('evicted', { signals: { 'node-pressure': ['supports', 'evictions'] } })])).ok).toBe(true);
  });

  it('a tie is not a top hypothesis', () => {
    const a = assess('I', [
      f('one', { signals: { 'node-pressure': ['supports', 'evictions'] }, symptoms: [{ id: 'eviction', text: '3 evicted' }] }),
      f('two', { signals: { 'cluster-capacity': ['supports', 'pending'] }, symptoms: [{ id: 'pending-resources', text: '2 Pending' }] }),
    ]);
    const v = judge(expectation({ topHypothesis: 'cluster-capacity' }), a);
    expect(v.lines[0]).toBe('MISMATCH top hypothesis: expected cluster-capacity, got a tie between cluster-capacity and node-pressure');
  });

  it('inconclusive: nothing may be supported', () => {
    const errors = f('5xx', { severity: 'warning', symptoms: [{ id: 'errors', text: '9% 5xx' }], cannotSee: ["the application's logs"] });
    expect(judge(expectation({ topHypothesis: 'inconclusive' }), assess('I', [errors, nodesOk]))).toEqual({ ok: true, lines: ["ok top hypothesis: inconclusive (not checked: the application's logs)", 'ok proposal: none'] });
    expect(judge(expectation({ topHypothesis: 'inconclusive' }), assess('I', [deploy])).lines[0]).toBe('MISMATCH top hypothesis: expected inconclusive (nothing supported), got bad-deploy (score 203)');
    expect(judge(expectation({ topHypothesis: 'bad-deploy' }), undefined)).toEqual({ ok: false, lines: ['MISMATCH no assessment was posted'] });
  });
});

describe('the assessment card', () => {
  it('says a tie is a tie, names what each cause explains and how a symptom shows, and what could not be checked', () => {
    const tie = assess('INC-3', [
      f('one', { signals: { 'node-pressure': ['supports', 'evictions'] }, symptoms: [{ id: 'eviction', text: '3 evicted' }] }),
      f('two', { signals: { 'cluster-capacity': ['supports', 'pending'] }, symptoms: [{ id: 'pending-resources', text: '2 Pending' }] }),
      f('skipped', { severity: 'info', facts: { skipped: 'Prometheus' } }),
    ]);
    const text = JSON.stringify(renderAssessment(tie).blocks);
    expect(text).toContain('*Tie:* *cluster capacity (no node can host another pod)* and *node pressure* explain the evidence equally well');
    expect(text).toContain('supported, tied for first');
    expect(text).toContain('_Explains:_ 3 evicted');
    expect(text).toContain('Not checked: test (Prometheus is not configured)');

    const shows = assess('INC-4', [
      f('hot', { severity: 'warning', signals: { 'load-imbalance': ['supports', 'one hot pod'] }, symptoms: [{ id: 'hot-pod', scope: 'one-pod', text: 'api-1 hot' }] }),
      f('throttled', { signals: { 'cpu-throttling': ['supports', 'throttled'] }, symptoms: [{ id: 'throttling', scope: 'one-pod', text: 'api-1 throttled' }] }),
    ]);
    const card = JSON.stringify(renderAssessment(shows).blocks);
    expect(card).toContain('*CPU throttling* — supported, how the load imbalance shows');
    expect(card).not.toContain('Tie:');
  });
});
