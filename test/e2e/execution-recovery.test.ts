/**
 * A worker process killed with SIGKILL after Approve, against the seed's world (web in this
 * process, the worker a real child process) with a slow Kubernetes API: the write in flight and
 * landed (answer lost), held and never processed with the target unchanged, and held while another
 * writer moves the target. After a restart the retried job inspects the HPA and completes the
 * action once, or fails it with the reason and posts a fresh proposal; the card never stays
 * "Executing" and a later click gets the truth. bench/recovery.ts measures how long it takes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Proposal } from '../../src/domain/proposal.js';
import { ACTIONS } from '../../src/integrations/slack/blocks/ids.js';
import { playScenario } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { startProc, waitFor, type Proc } from '../support/procs.js';

const HPA = { verb: 'patch', resource: 'horizontalpodautoscalers', name: 'data-service', dryRun: false } as const;

describe('a worker killed with SIGKILL after Approve', () => {
  let world: World;
  let worker: Proc | undefined;
  const procs: Proc[] = [];
  let channelId = '';
  let incidentId = '';

  const spawnWorker = (): Proc => {
    const p = startProc(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...world.env, QUEUE_LOCK_MS: '2000', SERVICES: 'worker', PORT: '0', LOG_LEVEL: 'warn' } });
    procs.push(p);
    return p;
  };
  const kill = async (p: Proc) => {
    p.child.kill('SIGKILL');
    await waitFor(() => p.child.exitCode !== null || p.child.signalCode !== null, { what: 'the worker gone' });
  };
  const ports = () => world.running.deps.ports;
  const proposal = async (id: string): Promise<Proposal> => {
    const p = await ports().proposals.get(id);
    if (!p) throw new Error(`no proposal ${id}`);
    return p;
  };
  const card = (p: Proposal) => JSON.stringify(world.slack.messages(channelId).find((m) => m.ts === p.messageTs)?.blocks ?? []);
  /** A click on the card; the ephemeral answer's text. */
  const click = async (p: Proposal, userId: string): Promise<string> => {
    const r = await world.slack.clickButton({ actionId: ACTIONS.approve, value: p.id, userId, channelId, messageTs: p.messageTs ?? '' });
    expect(r.status).toBe(200);
    const answer = await waitFor(() => world.slack.responses().find((x) => x.url === r.responseUrl), { what: `the answer to ${userId}'s click`, timeoutMs: 15_000 });
    return String(answer.body['text'] ?? '');
  };
  /** Past executing, and past `executed` (verifying, a moment later). */
  const settled = (id: string) => waitFor(async () => {
    const cur = await proposal(id);
    return cur.status === 'executing' || cur.status === 'executed' ? undefined : cur;
  }, { what: `proposal ${id} recovered`, timeoutMs: 60_000, intervalMs: 100 });
  const hpaPatches = () => world.kubernetes.requests.filter((r) => r.verb === 'patch' && r.resource === 'horizontalpodautoscalers' && !r.dryRun);
  const hpaSpec = () => world.kubernetes.get('HorizontalPodAutoscaler', 'default', 'data-service') as { spec: { minReplicas: number; maxReplicas: number } };
  /** `/incident hpa ...` by the on-call; the pending proposal it made. */
  const proposeByHand = async (args: string, field: 'minReplicas' | 'maxReplicas', value: number): Promise<Proposal> => {
    const r = await world.slack.sendSlashCommand({ command: '/incident', text: `hpa default/data-service ${args}`, userId: 'U0ONCALL01', channelId });
    expect(r.status).toBe(200);
    return waitFor(async () => (await ports().proposals.list(incidentId)).find((p) => p.status === 'pending' && p.messageTs && p.mitigation.kind === 'hpa' && p.mitigation[field] === value), { what: `the hpa ${args} card`, timeoutMs: 30_000 });
  };

  /** Proposed by hand and approved; the worker killed while the API server holds the write, which it then drops unprocessed. */
  const killedWhileHeld = async (args: string, field: 'minReplicas' | 'maxReplicas', value: number): Promise<{ p: Proposal; before: number }> => {
    const p = await proposeByHand(args, field, value);
    const before = hpaPatches().length;
    world.kubernetes.slowNext({ ...HPA, ms: 5_000, phase: 'before' });
    expect(await click(p, 'U0APPROVER')).toBe('Approved; executing now.');
    await waitFor(() => hpaPatches().length > before, { what: 'the HPA write in flight', timeoutMs: 30_000, intervalMs: 20 });
    await kill(worker as Proc);
    // The API server drops the request of a client that went away before it was processed.
    await waitFor(() => hpaPatches()[before]?.status === 499, { what: 'the held write dropped', timeoutMs: 15_000 });
    return { p, before };
  };

  beforeAll(async () => {
    world = await startWorld({ scenario: loadNamedScenario('flapping-alb-target-response-time'), redisUrl: inject('redisUrl'), services: 'web' });
    worker = spawnWorker();
    const played = await playScenario(world, { skipScript: true, stepDelayMs: 200, timeouts: { assessment: 90_000 } });
    expect(played.failure).toBeUndefined();
    channelId = played.channelId ?? '';
    incidentId = played.incidentId ?? '';
  }, 150_000);
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await world?.stop();
  });

  it('killed while the write is in flight and landed: the restarted job finds it applied and completes without writing again', async () => {
    const p = await waitFor(async () => (await ports().proposals.list(incidentId)).find((x) => x.mitigation.kind === 'hpa' && x.messageTs), { what: "the assessment's HPA card", timeoutMs: 30_000 });
    // The API server applies the write and answers 20 s later: the worker dies waiting for the answer.
    world.kubernetes.slowNext({ ...HPA, ms: 20_000, phase: 'after' });
    expect(await click(p, 'U0APPROVER')).toBe('Approved; executing now.');
    await waitFor(() => hpaPatches().some((r) => r.status === 200), { what: 'the HPA write applied', timeoutMs: 30_000, intervalMs: 20 });
    await kill(worker as Proc);
    expect((await proposal(p.id)).status).toBe('executing');
    expect(hpaSpec().spec.maxReplicas).toBe(10);
    // While nobody works on it, a click is answered with the state it is in.
    expect(await click(p, 'U0APPROVER')).toBe('This proposal is already executing.');

    worker = spawnWorker();
    const done = await settled(p.id);
    // The seed's alarm flaps: after execution it is watched through a flap cycle.
    expect(done.status).toBe('watching');
    expect(done.outcome).toMatch(/^Executed; watching until \d\d:\d\d UTC: /);
    const executed = (await ports().timeline.list(incidentId)).find((e) => e.kind === 'mitigation.executed' && e.data?.['proposalId'] === p.id);
    expect(executed?.text).toMatch(/^Executed Change HPA default\/data-service/);
    expect(hpaPatches().filter((r) => r.status === 200)).toHaveLength(1);
    await waitFor(() => card(done).includes('watching the alarm'), { what: 'the card updated' });
    expect(card(done)).not.toContain('Executing');
    expect(await click(p, 'U0APPROVER')).toBe('This proposal is already watching.');
  }, 150_000);

  it('killed while the write is held and never processed, the HPA unchanged: the restarted job makes the pinned write', async () => {
    const { p, before } = await killedWhileHeld('min=5', 'minReplicas', 5);
    expect(hpaSpec().spec.minReplicas).toBe(4);

    worker = spawnWorker();
    const done = await settled(p.id);
    expect(['watching', 'verified']).toContain(done.status);
    expect(hpaSpec().spec.minReplicas).toBe(5);
    expect(hpaPatches().slice(before).map((r) => r.status)).toEqual([499, 200]);
    const executed = (await ports().timeline.list(incidentId)).find((e) => e.kind === 'mitigation.executed' && e.data?.['proposalId'] === p.id);
    expect(executed).toBeDefined();
  }, 150_000);

  it('killed before the write landed while another writer moved the HPA: failed with the reason, a fresh card proposed, nothing written by the bot', async () => {
    const { p, before } = await killedWhileHeld('max=12', 'maxReplicas', 12);
    // Someone else sets max 11 through the API while the bot is down.
    const other = await fetch(`${world.kubernetes.url}/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/data-service`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { maxReplicas: 11 } }) });
    expect(other.status).toBe(200);

    worker = spawnWorker();
    const done = await settled(p.id);
    expect(done.status).toBe('failed');
    expect(done.outcome).toMatch(/^Failed: the execution that began at \d\d:\d\d:\d\d UTC was interrupted \(the process stopped\), nothing of it was applied, and the HPA spec changed since it was proposed$/);
    expect(done.revert).toBeUndefined();
    expect(hpaSpec().spec.maxReplicas).toBe(11);
    expect(hpaPatches().slice(before).map((r) => r.status)).toEqual([499, 200]);
    expect(hpaPatches().at(-1)?.body).toEqual({ spec: { maxReplicas: 11 } });
    // A fresh proposal, pinned to the HPA as it is now, on a new card.
    const fresh = await waitFor(async () => (await ports().proposals.list(incidentId)).find((x) => x.id !== p.id && x.because.includes(p.id) && x.messageTs), { what: 'the fresh proposal', timeoutMs: 30_000 });
    expect(fresh.status).toBe('pending');
    expect(fresh.mitigation).toEqual(p.mitigation);
    expect(fresh.diff).toContainEqual({ field: 'maxReplicas', before: '11', after: '12' });
    expect(fresh.messageTs).not.toBe(p.messageTs);
    await waitFor(() => card(done).includes(':x: Failed'), { what: 'the old card updated' });
    expect(card(done)).not.toContain('proposal_approve');
    expect(await click(p, 'U0APPROVER')).toBe('This proposal is already failed.');
  }, 150_000);
});
