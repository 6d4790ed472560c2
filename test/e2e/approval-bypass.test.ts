/**
 * Regressions of the policy bypasses an adversarial run found (issue 10, items 2 and 3), through signed
 * Slack requests against the real bot, the Kubernetes emulator and a real Alertmanager, under the
 * shipped example config:
 * - an Alertmanager incident carries no environment, and `/incident rollback prod/checkout` was
 *   self-approved under the catch-all: the object's namespace now governs;
 * - a 7-day silence has no namespace and was self-approved: its namespace matcher governs;
 * - a declared incident: the same;
 * - a scale card showed `replicas 4 → 3`; someone scaled to 12; Approve wrote 3: the replica count is
 *   pinned now and the approval is refused as stale.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appObjects, driver, startWorld, writeAttempts, writesTo, type Driver, type World } from '../support/world-k8s.js';

const REG = 'registry.example.com';
// The example an operator copies, with the sandbox's announcement channel and no diagnostics.
const CONFIG = readFileSync(path.resolve(import.meta.dirname, '../../config/warroom.example.yaml'), 'utf8')
  .replaceAll('C0INCIDENTS', 'C0ANNOUNCE')
  .replace(/diagnostics:\n {2}enabled: true/, 'diagnostics:\n  enabled: false');


describe('the example config’s four-eyes rule holds for every way an action is proposed', () => {
  let w: World;
  let d: Driver;

  beforeAll(async () => {
    w = await startWorld({
      redisUrl: inject('redisUrl'),
      config: CONFIG,
      alertmanager: true,
      kube: {
        rolloutMs: 200,
        objects: [
          ...appObjects({ namespace: 'prod', name: 'checkout', images: [`${REG}/checkout:v1`, `${REG}/checkout:v2`] }),
          ...appObjects({ namespace: 'prod', name: 'payments', images: [`${REG}/payments:v1`, `${REG}/payments:v2`] }),
          ...appObjects({ namespace: 'prod', name: 'cart', images: [`${REG}/cart:v1`], replicas: 4 }),
          ...appObjects({ namespace: 'staging', name: 'web', images: [`${REG}/web:v1`], replicas: 2 }),
        ],
      },
    });
    d = driver(w);
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('Alertmanager incident: a responder’s rollback of prod/checkout goes to the protected rule; their own Approve is refused, nothing is written', async () => {
    const incident = await d.openIncident('CheckoutErrors', 'checkout');
    const { proposal } = await d.propose(incident, 'rollback prod/checkout', 'U0ONCALL1');
    expect(proposal.rule).toBe('production');
    expect(proposal.protectedEnvironment).toBe(true);
    const r = await d.click('proposal_approve', proposal, 'U0ONCALL1', incident.channelId);
    expect(r.text).toMatch(/^Not approved: /);
    expect((await d.proposal(proposal.id)).status).toBe('pending');
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'checkout')).toBe(0);
    // Another approver can.
    expect((await d.click('proposal_approve', proposal, 'U0APPROVER', incident.channelId)).text).toBe('Approved; executing now.');
    expect((await d.waitForStatus(proposal.id, ['verified', 'failed', 'refused'])).status).toBe('verified');
    expect(writesTo(w.kube, 'prod', 'deployments', 'checkout')).toBe(1);
  });

  it('Alertmanager incident: a 7-day silence of namespace prod goes to the protected rule; the requester who is an approver cannot approve it', async () => {
    const incident = await d.openIncident('PaymentsLatency', 'payments');
    const { proposal } = await d.propose(incident, 'silence 7d', 'U0APPROVER');
    expect(proposal.rule).toBe('production');
    const r = await d.click('proposal_approve', proposal, 'U0APPROVER', incident.channelId);
    expect(r.text).toBe('Not approved: four-eyes: in a protected environment the requester cannot approve their own request');
    expect((await d.proposal(proposal.id)).status).toBe('pending');
    const silences = (await (await fetch(`${w.am!.url}/api/v2/silences`)).json()) as unknown[];
    expect(silences).toEqual([]);
  });

  it('declared incident: a rollback in prod is protected; one in staging falls to the catch-all and may be self-approved', async () => {
    const incident = await d.declare('Checkout looks wrong');
    const prod = await d.propose(incident, 'rollback prod/payments', 'U0ONCALL1');
    expect(prod.proposal.rule).toBe('production');
    const staging = await d.propose(incident, 'scale staging/web 3', 'U0ONCALL1');
    expect(staging.proposal.rule).toBe('everything-else');
    expect((await d.click('proposal_approve', staging.proposal, 'U0ONCALL1', incident.channelId)).text).toBe('Approved; executing now.');
    // Declared by hand: no paging signal to re-check, so the executed change is "unverified", not refused.
    const done = await d.waitForStatus(staging.proposal.id, ['verified', 'unverified', 'failed', 'refused']);
    expect(done.status).toBe('unverified');
    expect(done.verification?.detail).toContain('no paging signal to re-check (declared by hand)');
  });

  it('a scale card showing 4 → 3 is refused as stale after someone scaled to 12; the deployment keeps 12', async () => {
    const incident = await d.openIncident('CartSaturation', 'cart');
    const { proposal } = await d.propose(incident, 'scale prod/cart 3', 'U0ONCALL1');
    expect(proposal.diff).toContainEqual({ field: 'replicas', before: '4', after: '3' });
    // Someone else scales the deployment meanwhile (a merge patch on the scale subresource, as kubectl scale does).
    const res = await fetch(`${w.kube.url}/apis/apps/v1/namespaces/prod/deployments/cart/scale`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { replicas: 12 } }),
    });
    expect(res.status).toBe(200);
    const r = await d.click('proposal_approve', proposal, 'U0APPROVER', incident.channelId);
    expect(r.text).toBe('Not approved: the deployment now has 12 replicas, not the 4 the card showed; propose it again');
    expect((await d.proposal(proposal.id)).status).toBe('refused');
    const dep = (await (await fetch(`${w.kube.url}/apis/apps/v1/namespaces/prod/deployments/cart`, { headers: { authorization: 'Bearer emulator' } })).json()) as { spec: { replicas: number } };
    expect(dep.spec.replicas).toBe(12);
  });
});
