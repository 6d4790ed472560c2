/**
 * The OOM crash loop after a deploy, played end to end by the demo runner against the real bot:
 * diagnosis (bad deploy on top), the rollback proposed with a dry-run card, approved by a signed
 * click of an authorised user, executed exactly once on the (emulated) cluster, verified by the
 * rollout, resolved by command, and the post-mortem drafted. A second world shows the policy is
 * checked against the clicking user: a non-approver's click changes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Proposal } from '../../src/domain/proposal.js';
import { matchesRef, playScenario, writeArtifacts, type PlayResult } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { expectedProposals } from '../../src/sandbox/scenario/schema.js';
import { tmpDir } from '../support/procs.js';

const scenario = loadNamedScenario('oom-crashloop-after-deploy');
const ref = expectedProposals(scenario.expect)[0];
if (!ref) throw new Error('the OOM scenario expects a proposal');

function deploymentImage(world: World): string | undefined {
  const d = world.kubernetes.get('Deployment', 'payments', 'checkout-api') as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } } | undefined;
  return d?.spec?.template?.spec?.containers?.[0]?.image;
}

/** Writes to the Deployment that are not dry runs (the rollback itself). */
function realDeploymentWrites(world: World) {
  return world.kubernetes.requests.filter((r) => r.resource === 'deployments' && r.name === 'checkout-api' && !['get', 'list', 'watch'].includes(r.verb) && !r.dryRun && r.status < 300);
}

describe('scenario oom-crashloop-after-deploy: rollback approved, executed once, verified, post-mortem', () => {
  let world: World;
  let result: PlayResult;
  const out = tmpDir('demo-oom');
  beforeAll(async () => {
    world = await startWorld({ scenario, redisUrl: inject('redisUrl') });
    result = await playScenario(world, { stepDelayMs: 200 });
    writeArtifacts(result, out.dir);
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
    out.cleanup();
  });

  const proposal = (): Proposal => {
    const p = result.proposals.find((x) => matchesRef(x, ref));
    if (!p) throw new Error(`no proposal matching ${JSON.stringify(ref)} among ${JSON.stringify(result.proposals.map((x) => x.mitigation))}`);
    return p;
  };

  it('plays to the end without a failed milestone', () => {
    expect(result.failure).toBeUndefined();
    expect(result.log.some((l) => l.includes('post-mortem draft written'))).toBe(true);
  });

  it('ranks the bad deploy first, refutes node pressure and names the OOM kill of v2.8.0', () => {
    const a = result.assessment;
    expect(a?.hypotheses[0]?.id).toBe(`hypothesis:${scenario.expect.topHypothesis}`);
    expect(a?.hypotheses[0]?.verdict).toBe('supported');
    for (const id of scenario.expect.refuted) expect(a?.hypotheses.find((h) => h.id === `hypothesis:${id}`)?.verdict, id).toBe('refuted');
    const text = JSON.stringify(a);
    for (const s of scenario.expect.mustInclude) expect(text, s).toContain(s);
  });

  it('proposes the rollback to the healthy revision, approved by the authorised user through a signed click', () => {
    const p = proposal();
    expect(p.mitigation).toMatchObject({ kind: 'rollback', namespace: 'payments', deployment: 'checkout-api', toRevision: 11 });
    expect(p.requestedBy).toBe('warroom');
    expect(p.approvals.map((x) => x.userId)).toEqual(['U0APPROVER']);
    expect(p.diff.length).toBeGreaterThan(0);
    // The click reached the bot as a signed block_actions delivery (Bolt refuses unsigned ones) and was recorded with the clicker's identity.
    const approved = result.timeline.filter((e) => e.kind === 'mitigation.approved' && e.data?.['proposalId'] === p.id);
    expect(approved.map((e) => e.actor)).toEqual(['U0APPROVER']);
    expect(result.timeline.some((e) => e.kind === 'mitigation.refused')).toBe(false);
  });

  it('executes once on the cluster and verifies the rollout', () => {
    const p = proposal();
    expect(p.status).toBe('verified');
    expect(p.verification?.result).toBe('verified');
    expect(result.timeline.filter((e) => e.kind === 'mitigation.executed' && e.data?.['proposalId'] === p.id)).toHaveLength(1);
    expect(result.timeline.filter((e) => e.kind === 'mitigation.verified' && e.data?.['proposalId'] === p.id)).toHaveLength(1);
    expect(realDeploymentWrites(world)).toHaveLength(1);
    expect(deploymentImage(world)).toBe('registry.example.com/payments/checkout-api:v2.7.4');
    expect(result.transcript.join('\n')).toMatch(/Roll back deployment payments\/checkout-api to revision 11: \*verified\*/);
  });

  it('transcript.json holds the proposal card with Approve and Deny buttons carrying the proposal id', () => {
    const p = proposal();
    const file = path.join(out.dir, 'transcript.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { calls: { method: string; args: Record<string, unknown> }[] };
    const card = doc.calls.find((c) => c.method === 'chat.postMessage' && JSON.stringify(c.args['blocks'] ?? []).includes('proposal_approve'));
    expect(card, 'a chat.postMessage with the proposal card').toBeDefined();
    const blocks = JSON.stringify(card?.args['blocks']);
    expect(blocks).toContain(`"action_id":"proposal_approve"`);
    expect(blocks).toContain(`"action_id":"proposal_deny"`);
    expect(blocks.match(new RegExp(`"value":"${p.id}"`, 'g'))?.length).toBeGreaterThanOrEqual(2);
    // The call log is in order and complete: the channel was created before the card was posted.
    const seqs = doc.calls.map((c) => c.method);
    expect(seqs.indexOf('conversations.create')).toBeLessThan(seqs.indexOf('chat.postMessage'));
  });

  it('resolves and writes the post-mortem with the rollback and its approver', () => {
    expect(result.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.verified', 'incident.resolved', 'postmortem.drafted']));
    const file = path.join(out.dir, 'postmortem.md');
    expect(existsSync(file)).toBe(true);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('checkout-api');
    expect(md).toContain('U0APPROVER');
    expect(md).toMatch(/roll ?back/i);
  });
});

describe('scenario oom-crashloop-after-deploy: a click by someone who is not an approver', () => {
  let world: World;
  let result: PlayResult;
  beforeAll(async () => {
    // U0DEVELOP1 is a responder but not an approver; only U0APPROVER may approve.
    const variant = { ...scenario, script: [{ after: 'proposal' as const, action: 'approve' as const, proposal: ref, user: 'U0DEVELOP1' }] };
    world = await startWorld({ scenario: variant, redisUrl: inject('redisUrl'), approvers: ['U0APPROVER'] });
    result = await playScenario(world, { stepDelayMs: 200, timeouts: { decision: 5000 } });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('is refused with the reason, and nothing is executed', () => {
    expect(result.failure).toMatch(/approve was refused: .*not an approver/);
    const p = result.proposals.find((x) => matchesRef(x, ref));
    expect(p?.status).toBe('pending');
    expect(p?.approvals).toEqual([]);
    expect(result.timeline.filter((e) => e.kind === 'mitigation.refused').map((e) => e.actor)).toEqual(['U0DEVELOP1']);
    expect(result.timeline.some((e) => e.kind === 'mitigation.executed')).toBe(false);
    expect(realDeploymentWrites(world)).toHaveLength(0);
    expect(deploymentImage(world)).toBe('registry.example.com/payments/checkout-api:v2.8.0');
  });
});
