/**
 * The approval policy at click time, end to end through signed block_actions: who may approve
 * (users, user-group members), four-eyes, self-approval, two approvals, expiry, a stale pinned
 * resourceVersion, deny; every refusal answered ephemerally and recorded on the timeline as
 * `mitigation.refused`. And exactly once: a double click, and the same click delivered to two bot
 * processes sharing one Redis.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Proposal } from '../../src/domain/proposal.js';
import type { TimelineEvent } from '../../src/domain/timeline.js';
import { startBot, type TestBot } from '../support/bot.js';
import { appObjects, at, driver, startWorld, writeAttempts, writesTo, type Driver, type OpenIncident, type World } from '../support/world-k8s.js';

const REG = 'registry.example.com';
const CONFIG = `
routes:
  - name: alerts
    match: { source: alertmanager }
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
    environment: prod
approvals:
  - name: prod
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER], usergroups: [S0SRE] }
    protected: true
  - name: two-keys
    match: { namespaces: [staging] }
    approvers: { users: [U0APPROVER, U0LEAD, U0ONCALL1] }
    requiredApprovals: 2
  - name: quick
    match: { namespaces: [qa] }
    approvers: { users: [U0APPROVER] }
    expiry: 1500ms
  - name: self-service
    match: { namespaces: [dev] }
    approvers: { users: [U0ONCALL1] }
    allowSelfApproval: true
diagnostics: { enabled: false }
`;


// This world has no Alertmanager: the alert that paged cannot be re-checked, so an executed change
// whose rollout finished ends "unverified" (not re-checked), never "verified" (verification-watch.test.ts).
const EXECUTED = 'unverified';

// One deployment per scenario, so each starts from a settled object with its own resourceVersion.
const APPS = ['unauth', 'foureyes', 'stale', 'denied', 'double', 'replicas'].map((name) => appObjects({ namespace: 'prod', name, images: [`${REG}/${name}:v1`, `${REG}/${name}:v2`] }));

describe('approval policy at click time', () => {
  let w: World;
  let d: Driver;
  let incident: OpenIncident;
  let ch: string;

  beforeAll(async () => {
    w = await startWorld({
      redisUrl: inject('redisUrl'),
      config: CONFIG,
      kube: {
        rolloutMs: 300,
        objects: [
          ...APPS.flat(),
          ...appObjects({ namespace: 'staging', name: 'web', images: [`${REG}/web:v1`, `${REG}/web:v2`] }),
          ...appObjects({ namespace: 'staging', name: 'own', images: [`${REG}/own:v1`] }),
          ...appObjects({ namespace: 'qa', name: 'web', images: [`${REG}/web:v1`, `${REG}/web:v2`] }),
          ...appObjects({ namespace: 'dev', name: 'web', images: [`${REG}/web:v1`] }),
        ],
      },
    });
    d = driver(w);
    incident = await d.openIncident('PolicyMatrix', 'checkout');
    ch = incident.channelId;
  });
  afterAll(async () => {
    await w?.stop();
  });

  const refusals = async (p: Proposal): Promise<TimelineEvent[]> => (await d.events(incident.id, p.id)).filter((e) => e.kind === 'mitigation.refused');

  /** A click that must be refused: the ephemeral reply names the reason, the timeline records it. */
  async function expectRefused(action: 'proposal_approve' | 'proposal_deny', p: Proposal, userId: string, reason: string): Promise<void> {
    const n = (await refusals(p)).length;
    const r = await d.click(action, p, userId, ch);
    expect(r.text).toBe(`Not ${action === 'proposal_approve' ? 'approved' : 'denied'}: ${reason}`);
    const events = await refusals(p);
    expect(events.length).toBe(n + 1);
    const last = events.at(-1);
    expect(last?.actor).toBe(userId);
    expect(at(last?.data, 'reason')).toBe(reason);
    expect(at(last?.data, 'decision')).toBe(action === 'proposal_approve' ? 'approve' : 'deny');
    const eph = w.slack.ephemerals().find((e) => e.source === 'response_url' && e.user === userId && e.channel === ch && e.text === r.text);
    expect(eph).toBeDefined();
  }

  it('a user who is neither a listed approver nor in an approver group is refused; a member of the approver user group may approve', async () => {
    const { proposal } = await d.propose(incident, 'rollback prod/unauth', 'U0ONCALL1');
    await expectRefused('proposal_approve', proposal, 'U0RANDOM', 'you are not an approver under “prod”');
    await expectRefused('proposal_deny', proposal, 'U0RANDOM', 'you are not an approver under “prod”');
    expect((await d.proposal(proposal.id)).status).toBe('pending');
    expect(d.buttons(ch, proposal.id).map((b) => b.actionId)).toEqual(['proposal_approve', 'proposal_deny']);
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'unauth')).toBe(0);

    // U0SRE2 is listed nowhere but is a member of @sre (S0SRE), looked up at click time.
    expect((await d.click('proposal_approve', proposal, 'U0SRE2', ch)).text).toBe('Approved; executing now.');
    const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused']);
    expect(done.status).toBe(EXECUTED);
    expect(done.approvals.map((a) => [a.userId, a.rule])).toEqual([['U0SRE2', 'prod']]);
    expect(writesTo(w.kube, 'prod', 'deployments', 'unauth')).toBe(1);
  });

  it('four-eyes: in a protected rule the requester cannot approve their own request, even as an approver; another approver can', async () => {
    const { proposal, card } = await d.propose(incident, 'rollback prod/foureyes', 'U0APPROVER');
    expect(JSON.stringify(card.blocks)).toContain('protected environment: four-eyes');
    await expectRefused('proposal_approve', proposal, 'U0APPROVER', 'four-eyes: in a protected environment the requester cannot approve their own request');
    expect((await d.proposal(proposal.id)).status).toBe('pending');
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'foureyes')).toBe(0);
    expect((await d.click('proposal_approve', proposal, 'U0LEAD', ch)).text).toBe('Approved; executing now.');
    expect((await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused'])).status).toBe(EXECUTED);
  });

  it('self-approval: refused when the rule does not allow it, allowed when it does (not protected)', async () => {
    const own = await d.propose(incident, 'restart staging/own', 'U0ONCALL1');
    await expectRefused('proposal_approve', own.proposal, 'U0ONCALL1', 'you cannot approve your own request under this policy');
    expect((await d.proposal(own.proposal.id)).approvals).toEqual([]);

    const dev = await d.propose(incident, 'scale dev/web 3', 'U0ONCALL1');
    expect((await d.click('proposal_approve', dev.proposal, 'U0ONCALL1', ch)).text).toBe('Approved; executing now.');
    expect((await d.waitForStatus(dev.proposal.id, ['verified', 'unverified', 'failed', 'refused'])).status).toBe(EXECUTED);
    expect(at(w.kube.get('Deployment', 'dev', 'web'), 'spec', 'replicas')).toBe(3);
  });

  it('two approvals required: the first leaves it pending (and the same person cannot count twice), the second executes', async () => {
    const { proposal } = await d.propose(incident, 'rollback staging/web', 'U0ONCALL1');
    expect(proposal.requiredApprovals).toBe(2);
    const first = await d.click('proposal_approve', proposal, 'U0APPROVER', ch);
    expect(first.text).toBe('Approval recorded (1/2); waiting for another approver.');
    const pending = await d.proposal(proposal.id);
    expect(pending.status).toBe('pending');
    expect(pending.approvals.map((a) => a.userId)).toEqual(['U0APPROVER']);
    expect(d.cardText(ch, proposal.id)).toContain('*Approvals*\\n1/2 (<@U0APPROVER>)');
    expect(d.buttons(ch, proposal.id).map((b) => b.actionId)).toEqual(['proposal_approve', 'proposal_deny']);

    await expectRefused('proposal_approve', proposal, 'U0APPROVER', 'you have already approved this proposal');
    // Give a wrongly enqueued execution time to show up: nothing may be written yet.
    await new Promise((r) => setTimeout(r, 400));
    expect(writeAttempts(w.kube, 'staging', 'deployments', 'web')).toBe(0);

    expect((await d.click('proposal_approve', proposal, 'U0LEAD', ch)).text).toBe('Approved; executing now.');
    const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused']);
    expect(done.status).toBe(EXECUTED);
    expect(done.approvals.map((a) => a.userId)).toEqual(['U0APPROVER', 'U0LEAD']);
    expect(done.decidedBy).toBe('U0LEAD');
    expect(writesTo(w.kube, 'staging', 'deployments', 'web')).toBe(1);
  });

  it('an expired proposal cannot be approved: the card loses its buttons, a late click is refused and recorded', async () => {
    const { proposal } = await d.propose(incident, 'rollback qa/web', 'U0ONCALL1');
    const expired = await d.waitForStatus(proposal.id, ['expired'], 10_000);
    expect(Date.parse(expired.expiresAt) - Date.parse(expired.requestedAt)).toBe(1500);
    await d.cardShows(ch, proposal.id, 'Expired');
    expect(d.buttons(ch, proposal.id)).toEqual([]);
    expect((await d.events(incident.id, proposal.id)).map((e) => e.kind)).toContain('mitigation.expired');
    // A Slack client still showing the old card sends the click anyway.
    await expectRefused('proposal_approve', proposal, 'U0APPROVER', 'the proposal has expired; propose it again');
    expect((await d.proposal(proposal.id)).status).toBe('expired');
    expect(writeAttempts(w.kube, 'qa', 'deployments', 'web')).toBe(0);
  });

  it('stale: the deployment spec changed after the proposal, so the approval is refused and nothing is written', async () => {
    const { proposal } = await d.propose(incident, 'rollback prod/stale', 'U0ONCALL1');
    expect(proposal.pinned.specHash).toBeTruthy();
    // Someone edits the pod template by hand: the spec the proposal was made against is gone.
    const current = w.kube.get('Deployment', 'prod', 'stale') as Record<string, unknown>;
    const spec = current['spec'] as Record<string, unknown>;
    const template = spec['template'] as Record<string, unknown>;
    const tmd = (template['metadata'] ?? {}) as Record<string, unknown>;
    w.kube.upsert({ ...current, spec: { ...spec, template: { ...template, metadata: { ...tmd, annotations: { ...(tmd['annotations'] as Record<string, string>), 'example.com/hotfix': 'by hand' } } } } });

    await expectRefused('proposal_approve', proposal, 'U0APPROVER', 'the deployment spec changed since it was proposed; propose it again');
    const p = await d.proposal(proposal.id);
    expect(p.status).toBe('refused');
    expect(p.approvals).toEqual([]);
    await d.cardShows(ch, proposal.id, 'Refused');
    expect(d.buttons(ch, proposal.id)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'stale')).toBe(0);
    expect(at(w.kube.get('Deployment', 'prod', 'stale'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(`${REG}/stale:v2`);
  });

  it('deny: the proposal is denied, nothing executes, and a later approve is turned away', async () => {
    const { proposal } = await d.propose(incident, 'rollback prod/denied', 'U0ONCALL1');
    expect((await d.click('proposal_deny', proposal, 'U0APPROVER', ch)).text).toBe('Denied.');
    const p = await d.proposal(proposal.id);
    expect(p.status).toBe('denied');
    expect(p.decidedBy).toBe('U0APPROVER');
    await d.cardShows(ch, proposal.id, 'Denied');
    expect(d.buttons(ch, proposal.id)).toEqual([]);
    expect((await d.click('proposal_approve', proposal, 'U0LEAD', ch)).text).toBe('This proposal is already denied.');
    await new Promise((r) => setTimeout(r, 300));
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'denied')).toBe(0);
    const kinds = (await d.events(incident.id, proposal.id)).map((e) => e.kind);
    expect(kinds).toEqual(['mitigation.proposed', 'mitigation.denied']);
  });

  it('exactly once: the same Approve clicked twice at once executes one write', async () => {
    const { proposal } = await d.propose(incident, 'rollback prod/double', 'U0ONCALL1');
    const replies = await Promise.all([d.click('proposal_approve', proposal, 'U0APPROVER', ch), d.click('proposal_approve', proposal, 'U0APPROVER', ch)]);
    const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused']);
    expect(done.status).toBe(EXECUTED);
    expect(replies.filter((r) => r.text === 'Approved; executing now.').length).toBe(1);
    // The other click learns it was already taken care of, not that it is waiting for someone.
    expect(replies.find((r) => r.text !== 'Approved; executing now.')?.text).toMatch(/already approved/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'double')).toBe(1);
    expect(done.approvals.length).toBe(1);
    expect((await d.events(incident.id, proposal.id)).filter((e) => e.kind === 'mitigation.executed').length).toBe(1);
  });

  describe('two bot processes on one Redis', () => {
    let second: TestBot;

    beforeAll(async () => {
      second = await startBot({
        redisUrl: inject('redisUrl'),
        slack: w.slack,
        prefix: w.bot.prefix,
        config: CONFIG,
        env: { KUBERNETES: 'kubeconfig', KUBECONFIG: w.kubeconfigPath },
        overrides: { verify: { pollMs: 150 } },
      });
      // Deliveries below name their target explicitly.
      w.slack.setBotUrl(`${w.bot.url}/slack/events`);
    });
    afterAll(async () => {
      await second?.stop();
    });

    it('the same click delivered to each process executes once', async () => {
      const { proposal } = await d.propose(incident, 'rollback prod/replicas', 'U0ONCALL1');
      const replies = await Promise.all([
        d.click('proposal_approve', proposal, 'U0APPROVER', ch, { botUrl: w.bot.url }),
        d.click('proposal_approve', proposal, 'U0APPROVER', ch, { botUrl: second.url }),
      ]);
      const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused']);
      expect(done.status).toBe(EXECUTED);
      expect(replies.filter((r) => r.text === 'Approved; executing now.').length).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(writeAttempts(w.kube, 'prod', 'deployments', 'replicas')).toBe(1);
      const kinds = (await d.events(incident.id, proposal.id)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'mitigation.executed').length).toBe(1);
      expect(kinds.filter((k) => k === 'mitigation.approved').length).toBe(1);
    });
  });
});
