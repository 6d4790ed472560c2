/**
 * The other shipped scenarios, played end to end by the demo runner against the real bot: the
 * assessment ranks each scenario's expected hypothesis first, refutes what it says is refuted,
 * names what it must include, posts each finding once; the HPA scenario's change is approved,
 * applied to the (emulated) cluster and verified.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { matchesRef, playScenario, type PlayResult } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { expectedProposals } from '../../src/sandbox/scenario/schema.js';
import { postedFindingBlocks, timesPosted } from '../support/findings.js';
import { waitFor } from '../support/procs.js';

/** Each finding of the assessment posted once in the diagnosis thread (they follow the assessment at Slack's pace). */
async function findingsPostedOnce(world: World, result: PlayResult): Promise<void> {
  const findings = result.assessment?.findings ?? [];
  expect(findings.length).toBeGreaterThan(0);
  const replies = () => world.slack.messages(result.channelId ?? '').filter((m) => m.thread_ts !== undefined && m.thread_ts !== m.ts);
  await waitFor(() => postedFindingBlocks(replies()).length >= findings.length, { timeoutMs: 30_000, what: 'every finding posted' });
  expect(timesPosted(findings, replies())).toEqual(Object.fromEntries(findings.map((f) => [f.id, 1])));
  expect(postedFindingBlocks(replies())).toHaveLength(findings.length);
}

for (const name of ['hpa-pinned-at-max', 'sidecar-cpu-throttling']) {
  const scenario = loadNamedScenario(name);
  describe(`scenario ${name} end to end`, () => {
    let world: World;
    let result: PlayResult;
    beforeAll(async () => {
      world = await startWorld({ scenario, redisUrl: inject('redisUrl') });
      result = await playScenario(world, { stepDelayMs: 200 });
    }, 120_000);
    afterAll(async () => {
      await world?.stop();
    });

    it('plays to the end without a failed milestone', () => {
      expect(result.failure).toBeUndefined();
      expect(result.incidentId).toBeDefined();
    });

    it(`ranks ${scenario.expect.topHypothesis} first, refutes ${scenario.expect.refuted.join(', ')}`, () => {
      const a = result.assessment;
      expect(a?.hypotheses[0]?.id).toBe(`hypothesis:${scenario.expect.topHypothesis}`);
      expect(a?.hypotheses[0]?.verdict).toBe('supported');
      for (const id of scenario.expect.refuted) expect(a?.hypotheses.find((h) => h.id === `hypothesis:${id}`)?.verdict, id).toBe('refuted');
      const text = JSON.stringify(a);
      expect(scenario.expect.mustInclude.filter((s) => !text.includes(s))).toEqual([]);
    });

    it('posts each finding once', async () => {
      await findingsPostedOnce(world, result);
    });

    const ref = expectedProposals(scenario.expect)[0];
    if (ref) {
      it('applies the expected proposal after approval and verifies it', () => {
        const p = result.proposals.find((x) => matchesRef(x, ref));
        expect(p, JSON.stringify(result.proposals.map((x) => x.mitigation))).toBeDefined();
        expect(p?.status).toBe('verified');
        expect(p?.approvals.map((x) => x.userId)).toEqual(['U0APPROVER']);
        expect(result.timeline.filter((e) => e.kind === 'mitigation.executed')).toHaveLength(1);
        if (p?.mitigation.kind === 'hpa' && p.mitigation.maxReplicas !== undefined) {
          const hpa = world.kubernetes.get('HorizontalPodAutoscaler', p.mitigation.namespace, p.mitigation.name) as { spec?: { maxReplicas?: number } } | undefined;
          expect(hpa?.spec?.maxReplicas).toBe(p.mitigation.maxReplicas);
        }
        expect(result.postmortem).toContain(result.incidentId ?? '?');
      });
    } else {
      it('proposes nothing it was not asked to', () => {
        expect(result.proposals).toEqual([]);
        expect(result.timeline.some((e) => e.kind === 'mitigation.executed')).toBe(false);
      });
    }
  });
}
