/**
 * The paced play (the runner's `person` option, what `npm run demo` uses without --exit) when the
 * person clicks Deny instead: the play stops there saying so, and nothing in the cluster changed.
 * The Approve path, through a real browser and the CLI process, is demo-paced.test.ts.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ACTIONS } from '../../src/integrations/slack/blocks/ids.js';
import { playScenario } from '../../src/sandbox/demo/runner.js';
import { scriptApprovers, startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { waitFor } from '../support/procs.js';

describe('paced play: the person denies', () => {
  let world: World | undefined;
  afterAll(async () => {
    await world?.stop();
  });

  it('waits for the person, then a Deny ends the play with the reason; the HPA is untouched', async () => {
    const scenario = loadNamedScenario('flapping-alb-target-response-time');
    world = await startWorld({ scenario, redisUrl: inject('redisUrl') });
    const w = world;
    const lines: string[] = [];
    const play = playScenario(w, { stepDelayMs: 200, person: { viewerUrl: 'http://viewer.test/', userName: (id) => id }, onLog: (l) => lines.push(l) });
    const { incidents, proposals } = w.running.deps.ports;
    const pending = await waitFor(
      async () => {
        const i = (await incidents.listAll(5)).find((x) => x.channelId);
        const p = i ? (await proposals.list(i.id)).find((x) => x.messageTs) : undefined;
        return i?.channelId && p && lines.some((l) => l.includes('YOUR TURN')) ? { channelId: i.channelId, p } : undefined;
      },
      { timeoutMs: 180_000, what: 'the proposal waiting for the person' },
    );
    expect(pending.p.status).toBe('pending');
    expect(lines.join('\n')).toContain(`Open http://viewer.test/#${pending.channelId}`);
    const before = w.kubernetes.get('HorizontalPodAutoscaler', 'default', 'data-service');
    expect(before).toBeDefined();
    const approver = scriptApprovers(scenario)[0] ?? '';
    const r = await w.slack.clickButton({ actionId: ACTIONS.deny, userId: approver, channelId: pending.channelId, messageTs: pending.p.messageTs ?? '' });
    expect(r.status).toBe(200);
    const result = await play;
    expect(result.failure).toMatch(/was denied in the viewer; nothing was changed/);
    expect(result.proposals.find((p) => p.id === pending.p.id)?.status).toBe('denied');
    expect(result.timeline.some((e) => e.kind === 'mitigation.executed')).toBe(false);
    expect(w.kubernetes.get('HorizontalPodAutoscaler', 'default', 'data-service')).toEqual(before);
  }, 120_000);
});
