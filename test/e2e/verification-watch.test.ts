/**
 * Verification of the seed's HPA change when the world does not cooperate, played by the demo
 * runner against the real bot and the CloudWatch emulator: the alarm flaps again inside the watch
 * window (not verified, with when), and the alarm cannot be read when verification starts (not
 * re-checked, with the reason). Neither marks the incident mitigated. The cooperative case is in
 * scenario-seed.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Proposal } from '../../src/domain/proposal.js';
import { ACTIONS } from '../../src/integrations/slack/blocks/ids.js';
import { playScenario, type PlayResult } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import type { Scenario } from '../../src/sandbox/scenario/schema.js';
import { waitFor } from '../support/procs.js';

const seed = loadNamedScenario('flapping-alb-target-response-time');

/** The seed, its alarm going back to ALARM at +30m (25 minutes after the change) and OK again at +35m. */
function flapsAgain(): Scenario {
  const [alarm, ...rest] = seed.cloudwatch.alarms;
  if (!alarm) throw new Error('the seed has no alarm');
  const history = [...alarm.history, { at: '+30m', from: 'OK' as const, to: 'ALARM' as const }, { at: '+35m', from: 'ALARM' as const, to: 'OK' as const }];
  return { ...seed, cloudwatch: { ...seed.cloudwatch, alarms: [{ ...alarm, history }, ...rest] } };
}

function hpaProposal(result: PlayResult): Proposal {
  const p = result.proposals.find((x) => x.mitigation.kind === 'hpa');
  if (!p) throw new Error(`no HPA proposal among ${result.proposals.map((x) => x.id).join(', ')}`);
  return p;
}

describe('the alarm flaps again while it is watched', () => {
  let world: World;
  let result: PlayResult;
  beforeAll(async () => {
    world = await startWorld({ scenario: flapsAgain(), redisUrl: inject('redisUrl') });
    result = await playScenario(world, { stepDelayMs: 200 });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('says not verified, with when it went to ALARM again, after saying it was watching', async () => {
    expect(result.failure).toMatch(/was not verified: Executed; not verified: Change HPA default\/data-service/);
    const p = hpaProposal(result);
    expect(p.status).toBe('unverified');
    expect(p.verification?.result).toBe('not-verified');
    const at = new Date(world.anchor.getTime() + 30 * 60_000).toISOString().slice(11, 16);
    expect(p.verification?.detail).toMatch(new RegExp(`^HPA now min=4 max=10 target=50% .*; alarm k8s-api-prod-core-7db0ccf2c3-target-response-time went to ALARM again at ${at} UTC, 2\\dm after the change`));
    const kinds = result.timeline.filter((e) => e.data?.['proposalId'] === p.id).map((e) => e.kind);
    expect(kinds).toEqual(['mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.watching', 'mitigation.unverified']);
    expect(result.timeline.some((e) => e.kind === 'incident.mitigated' || e.kind === 'mitigation.verified')).toBe(false);
    expect((await world.running.deps.ports.incidents.get(result.incidentId ?? ''))?.status).not.toBe('mitigated');
    expect(result.transcript.some((l) => l.includes('*watching until'))).toBe(true);
    // The verdict's message follows the verdict; under Slack's pace (chat.postMessage ~1/s per channel,
    // enforced by the emulator) it may come a moment after the play ended: read the channel itself.
    await waitFor(() => world.slack.messages(result.channelId ?? '').some((m) => m.text.includes(':warning: Change HPA default/data-service') && m.text.includes('*not verified*') && m.text.includes(`went to ALARM again at ${at} UTC`)), { timeoutMs: 15_000, what: 'the not-verified message' });
    expect(result.transcript.some((l) => l.includes('Executed; not verified'))).toBe(true);
  });
});

describe('the alarm cannot be read when verification starts', () => {
  let world: World;
  let result: PlayResult;
  beforeAll(async () => {
    world = await startWorld({ scenario: seed, redisUrl: inject('redisUrl') });
    const played = playScenario(world, { stepDelayMs: 200 });
    // Once the diagnosis is done, CloudWatch refuses the bot's next DescribeAlarms (the verification's).
    const { timeline, incidents } = world.running.deps.ports;
    await waitFor(async () => {
      const [incident] = await incidents.listAll(5);
      return incident ? (await timeline.list(incident.id)).some((e) => e.kind === 'diagnosis.assessment') : false;
    }, { timeoutMs: 90_000, what: 'the assessment' });
    world.cloudwatch.failNext('DescribeAlarms', 1, 'AccessDenied');
    result = await played;
  }, 150_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('says not re-checked with the reason, never verified, and the incident is not mitigated', async () => {
    expect(result.failure).toMatch(/was not verified: Executed; not re-checked/);
    const p = hpaProposal(result);
    expect(p.status).toBe('unverified');
    expect(p.verification?.result).toBe('not-rechecked');
    expect(p.verification?.detail).toMatch(/HPA now min=4 max=10 target=50%.*; could not read alarm k8s-api-prod-core-7db0ccf2c3-target-response-time: .*not authorized/);
    expect(world.cloudwatch.calls.some((c) => c.op === 'DescribeAlarms' && c.error === 'AccessDenied')).toBe(true);
    expect(result.timeline.some((e) => e.kind === 'incident.mitigated' || e.kind === 'mitigation.verified' || e.kind === 'mitigation.watching')).toBe(false);
    expect((await world.running.deps.ports.incidents.get(result.incidentId ?? ''))?.status).not.toBe('mitigated');
    // The verdict's message may follow the play's end by a moment under Slack's per-channel pace.
    await waitFor(() => world.slack.messages(result.channelId ?? '').some((m) => m.text.includes(':grey_question: Change HPA default/data-service') && m.text.includes('*not re-checked*')), { timeoutMs: 15_000, what: 'the not-re-checked message' });
  });
});

describe('a person approves (the interactive demo): verification is attended in the background', () => {
  let world: World;
  afterAll(async () => {
    await world?.stop();
  });

  it('the watch of the flapping alarm is skipped to its end and the verdict follows', async () => {
    world = await startWorld({ scenario: seed, redisUrl: inject('redisUrl') });
    const played = await playScenario(world, { skipScript: true, attendInBackground: true, stepDelayMs: 200 });
    expect(played.failure).toBeUndefined();
    const { proposals } = world.running.deps.ports;
    const p = await waitFor(async () => (await proposals.list(played.incidentId ?? '')).find((x) => x.mitigation.kind === 'hpa' && x.messageTs), { what: 'the HPA card', timeoutMs: 30_000 });
    const r = await world.slack.clickButton({ actionId: ACTIONS.approve, value: p.id, userId: 'U0APPROVER', channelId: played.channelId ?? '', messageTs: p.messageTs ?? '' });
    expect(r.status).toBe(200);
    const done = await waitFor(async () => {
      const cur = await proposals.get(p.id);
      return cur?.status === 'verified' || cur?.status === 'unverified' ? cur : undefined;
    }, { what: 'the verdict', timeoutMs: 60_000 });
    expect(done.status).toBe('verified');
    expect(done.verification?.detail).toMatch(/stayed OK from \d\d:\d\d UTC to \d\d:\d\d UTC/);
    expect(played.log.some((l) => l.includes('the world clock moves to the end of the watch'))).toBe(true);
  }, 120_000);
});
