/**
 * THE SEED, played end to end by the demo runner against the real bot: a flapping CloudWatch
 * TargetResponseTime alarm on a shared ALB (signed SNS), diagnosed through the CloudWatch and
 * Kubernetes emulators and Prometheus (the real binary when installed, else the sandbox's stand-in,
 * held equal to it by prometheus-standin-contract.test.ts); the assessment must reach the expert's conclusions
 * (shared/domain/investigation-flapping-alb-alarm.txt), each finding posted once; the HPA change is
 * approved, executed, verified, and the incident resolved with a post-mortem.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Finding } from '../../src/domain/diagnostics.js';
import { matchesRef, playScenario, type PlayResult } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { expectedProposals } from '../../src/sandbox/scenario/schema.js';
import { postedFindingBlocks, timesPosted } from '../support/findings.js';
import { waitFor } from '../support/procs.js';

const scenario = loadNamedScenario('flapping-alb-target-response-time');

function finding(result: PlayResult, idSuffix: string): Finding {
  const f = result.assessment?.findings.find((x) => x.id.endsWith(idSuffix));
  if (!f) throw new Error(`no finding *${idSuffix} among ${result.assessment?.findings.map((x) => x.id).join(', ')}`);
  return f;
}

const verdict = (result: PlayResult, id: string) => result.assessment?.hypotheses.find((h) => h.id === `hypothesis:${id}`)?.verdict;

describe('the seed scenario end to end', () => {
  let world: World;
  let result: PlayResult;
  beforeAll(async () => {
    world = await startWorld({ scenario, redisUrl: inject('redisUrl') });
    result = await playScenario(world, { stepDelayMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('plays to the end: channel, assessment, proposal, approval, execution, verification, resolve, post-mortem', () => {
    expect(result.failure).toBeUndefined();
    expect(result.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['incident.opened', 'diagnosis.assessment', 'mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.verified', 'incident.acknowledged', 'incident.resolved', 'postmortem.drafted']),
    );
    expect(result.postmortem).toContain('data-service');
    // The page is not the problem: the alarm had flapped for hours before it paged.
    expect(result.postmortem).toMatch(/- \*\*Problem began:\*\* [^\n]*the alarm's first flap; \d+ OK→ALARM cycles over \dh \d+m before the page/);
    expect(result.postmortem).toMatch(/\| Detect \| first flap to incident opened \| \dh \d+m \|/);
  });

  it('ranks the expected hypothesis first and refutes the expected ones', () => {
    const top = result.assessment?.hypotheses[0];
    expect(top?.id).toBe(`hypothesis:${scenario.expect.topHypothesis}`);
    expect(top?.verdict).toBe('supported');
    for (const id of scenario.expect.refuted) expect(verdict(result, id), id).toBe('refuted');
  });

  it('counts 9 flaps of the alarm', () => {
    expect(finding(result, ':flapping').facts['flapCycles']).toBe(9);
  });

  it('names the culprit target group data-service with 5.83 s average / 29.7 s maximum in its evidence', () => {
    const culprit = finding(result, ':culprit');
    expect(culprit.evidence[0]?.numbers).toMatchObject({ culprit: 'k8s-default-dataserv-88e28b4b6c', culpritMaxSeconds: 29.7 });
    expect(culprit.evidence[0]?.numbers['culpritAvgSeconds']).toBe(5.83);
    expect(finding(result, ':mapped').title).toContain('default/data-service');
    expect(verdict(result, 'shared-lb')).toBe('refuted');
  });

  it('holds every string the scenario says the assessment must include', () => {
    const text = JSON.stringify(result.assessment);
    const missing = scenario.expect.mustInclude.filter((s) => !text.includes(s));
    expect(missing).toEqual([]);
  });

  it('refutes the v1.14.3 deploy as a red herring: the flapping began hours before it', () => {
    const deploy = finding(result, 'change-correlation:wl/default/data-service:after-onset');
    expect(deploy.title).toContain('v1.14.3');
    expect(deploy.title).toContain('red herring');
    const h = result.assessment?.hypotheses.find((x) => x.id === 'hypothesis:bad-deploy');
    expect(h?.verdict).toBe('refuted');
    expect(h?.refutedBy).toEqual(['change-correlation:wl/default/data-service:after-onset']);
    expect(h?.explanation).toMatch(/the flapping began 4h 3\dm before it/);
    expect(result.assessment?.proposals.some((p) => p.mitigation.kind === 'rollback')).toBe(false);
  });

  it('refutes load imbalance and flags the CPU plateau below the limit', () => {
    expect(finding(result, 'cpu-per-pod:wl/default/data-service:spread').signals['hypothesis:load-imbalance']).toBe('refutes');
    expect(verdict(result, 'load-imbalance')).toBe('refuted');
    const plateau = finding(result, 'cpu-per-pod:wl/default/data-service:plateau');
    expect(plateau.signals['hypothesis:process-model-ceiling']).toBe('supports');
    expect(plateau.evidence[0]?.numbers).toMatchObject({ wholeCores: 1, limitCores: 1.5 });
    expect(Number(plateau.evidence[0]?.numbers['plateauCores'])).toBeLessThan(1.5);
  });

  it('does the HPA never-scales arithmetic: the peak stays below the 80% target of the 1200m request', () => {
    const f = finding(result, 'hpa:wl/default/data-service:never-scales');
    const m = /^HPA data-service never scales: peak (\d+)% < 80% target$/.exec(f.title);
    expect(m, f.title).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(80);
    expect(f.evidence[0]?.numbers).toMatchObject({ targetCPUUtilizationPercentage: 80, cpuRequest: '1200m', currentCPUUtilizationPercentage: 75 });
    expect(verdict(result, 'hpa-never-scales')).toBe('supported');
  });

  it('notes the missing readiness probe without proposing to "fix" it', () => {
    const f = finding(result, 'pods:wl/default/data-service:no-readiness-probe');
    expect(f.severity).toBe('info');
    expect(f.mitigations).toEqual([]);
  });

  it('posts each finding once, in replies in the progress thread (bundled, at most 50 blocks each)', async () => {
    const channel = result.channelId ?? '';
    const messages = () => world.slack.messages(channel);
    const progress = messages().find((m) => m.text.includes('Diagnosis') && m.thread_ts === undefined) ?? messages().find((m) => (m.reply_count ?? 0) > 0);
    expect(progress).toBeDefined();
    const replies = () => messages().filter((m) => m.thread_ts === progress?.ts && m.ts !== progress?.ts);
    const findings = result.assessment?.findings ?? [];
    expect(findings.length).toBeGreaterThan(0);
    // The findings follow the assessment at Slack's pace: wait until every one is out.
    await waitFor(() => postedFindingBlocks(replies()).length >= findings.length, { timeoutMs: 30_000, what: 'every finding posted' });
    expect(timesPosted(findings, replies())).toEqual(Object.fromEntries(findings.map((f) => [f.id, 1])));
    expect(postedFindingBlocks(replies())).toHaveLength(findings.length);
    for (const r of replies()) expect(r.blocks?.length ?? 0).toBeLessThanOrEqual(50);
    expect(world.slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === progress?.ts)).toHaveLength(replies().length);
  });

  it('changes the HPA as proposed, after the approver clicked, and verifies it against the alarm', () => {
    const ref = expectedProposals(scenario.expect)[0];
    const p = result.proposals.find((x) => ref && matchesRef(x, ref));
    expect(p?.mitigation).toEqual({ kind: 'hpa', namespace: 'default', name: 'data-service', maxReplicas: 10, targetCPUUtilizationPercentage: 50 });
    expect(p?.approvals.map((a) => a.userId)).toEqual(['U0APPROVER']);
    expect(p?.status).toBe('verified');
    expect(p?.verification?.result).toBe('verified');
    expect(p?.verification?.detail).toMatch(/^HPA now min=4 max=10 target=50% .*; alarm k8s-api-prod-core-7db0ccf2c3-target-response-time stayed OK from \d\d:\d\d UTC to \d\d:\d\d UTC \(\d+m, more than one flap cycle of about 36m\)$/);
    const hpa = world.kubernetes.get('HorizontalPodAutoscaler', 'default', 'data-service') as { spec?: { maxReplicas?: number; metrics?: unknown[] } } | undefined;
    expect(hpa?.spec?.maxReplicas).toBe(10);
    expect(JSON.stringify(hpa?.spec?.metrics)).toContain('"averageUtilization":50');
  });

  it('watches the flapping alarm through a flap cycle before saying verified; only then is the incident mitigated', () => {
    const ref = expectedProposals(scenario.expect)[0];
    const p = result.proposals.find((x) => ref && matchesRef(x, ref));
    const events = result.timeline.filter((e) => e.data?.['proposalId'] === p?.id || e.kind === 'incident.mitigated');
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k !== 'mitigation.proposed' && k !== 'mitigation.approved')).toEqual(['mitigation.executed', 'mitigation.watching', 'mitigation.verified', 'incident.mitigated']);
    const executed = events.find((e) => e.kind === 'mitigation.executed');
    const watching = events.find((e) => e.kind === 'mitigation.watching');
    const verified = events.find((e) => e.kind === 'mitigation.verified');
    // The alarm cycled every 36 minutes: the watch covers a cycle plus a margin, measured from the history.
    expect(watching?.data?.['cycleMs']).toBe(36 * 60_000);
    const until = Date.parse(String(watching?.data?.['until']));
    expect(until - Date.parse(String(executed?.at))).toBeGreaterThanOrEqual(36 * 60_000);
    expect(Date.parse(String(verified?.at))).toBeGreaterThanOrEqual(until);
    const hhmm = new Date(until).toISOString().slice(11, 16);
    expect(result.transcript.some((l) => l.includes(`watching until ${hhmm} UTC`))).toBe(true);
    expect(result.transcript.some((l) => l.includes(':white_check_mark: Change HPA') && l.includes('*verified*') && l.includes('stayed OK'))).toBe(true);
    expect(result.log.some((l) => l.includes('the world clock moves to the end of the watch'))).toBe(true);
  });
});

describe('the seed scenario without Prometheus', () => {
  let world: World;
  let result: PlayResult;
  beforeAll(async () => {
    // Only up to the assessment: the rest of the story is covered above.
    const { proposal: _proposal, ...expectation } = scenario.expect;
    world = await startWorld({ scenario: { ...scenario, script: [], expect: expectation }, redisUrl: inject('redisUrl'), prometheus: false });
    result = await playScenario(world, { stepDelayMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('still diagnoses: the CPU checks say they could not check, the deploy is still a red herring', () => {
    expect(result.log.some((l) => l.includes('Prometheus disabled'))).toBe(true);
    expect(finding(result, 'cpu-per-pod:wl/default/data-service:not-configured').title).toContain('Prometheus is not configured');
    expect(finding(result, 'cpu-throttling:wl/default/data-service:not-configured').title).toContain('Prometheus is not configured');
    expect(verdict(result, 'bad-deploy')).toBe('refuted');
    expect(finding(result, ':flapping').facts['flapCycles']).toBe(9);
  });
});
