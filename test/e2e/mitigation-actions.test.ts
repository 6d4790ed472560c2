/**
 * Every mitigation end to end behind approval: `/incident <action>` in the incident channel is
 * dry-run on the (emulated) Kubernetes API server, shown as a card, approved by another person with
 * a signed block_actions click, executed once, and verified after the rollout. Silences go to a
 * real Alertmanager. Also: bad arguments, no covering policy, and a failed verification offering a
 * revert.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { equalIgnoreHash } from '../../src/domain/rollout.js';
import type { Proposal } from '../../src/domain/proposal.js';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE } from '../support/alertmanager.js';
import { findBinary, requireBinary } from '../support/binaries.js';
import { waitFor } from '../support/procs.js';
import { appObjects, at, driver, hpaV1, startWorld, writeAttempts, writesTo, type Driver, type OpenIncident, type World } from '../support/world-k8s.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0APPROVER';
const REG = 'registry.example.com';

const CONFIG = `
routes:
  - name: alerts
    match: { source: alertmanager }
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
    environment: prod
  - name: manual
    match: {}
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
approvals:
  - name: prod-k8s
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER, U0LEAD], usergroups: [S0SRE] }
    protected: true
  - name: prod-silences
    match: { environments: [prod] }
    approvers: { users: [U0APPROVER] }
    actions: [silence]
diagnostics: { enabled: false }
`;


// The verifier polls the rollout; the emulator's rollouts take 300 ms, so poll faster than the default 1 s.

describe('mitigations behind approval, end to end', () => {
  let w: World;
  let d: Driver;
  let incident: OpenIncident;

  beforeAll(async () => {
    w = await startWorld({
      redisUrl: inject('redisUrl'),
      config: CONFIG,
      // Without Alertmanager the other mitigations still run; the silence test fails with the install line.
      alertmanager: findBinary(ALERTMANAGER_BINARY) !== undefined,
      kube: {
        rolloutMs: 300,
        objects: [
          ...sampleCluster(),
          ...appObjects({ namespace: 'prod', name: 'api', images: [`${REG}/api:v1`, `${REG}/api:v2`, `${REG}/api:v3`] }),
          ...appObjects({ namespace: 'prod', name: 'cart', images: [`${REG}/cart:v1`], replicas: 2 }),
          ...appObjects({ namespace: 'prod', name: 'worker', images: [`${REG}/worker:v1`] }),
          ...appObjects({ namespace: 'prod', name: 'search', images: [`${REG}/search:v1`], replicas: 3 }),
          ...appObjects({ namespace: 'prod', name: 'broken', images: [`${REG}/broken:v1`, `${REG}/broken:v2`] }),
        ],
        behaviour: { [`${REG}/broken:v1`]: 'crashloop-oom' },
      },
    });
    d = driver(w);
    incident = await d.openIncident('CheckoutErrors', 'checkout');
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** Proposes, checks the card, approves as APPROVER; resolves with the proposal once it settled. */
  async function proposeAndApprove(text: string, settled: Proposal['status'][] = ['verified', 'unverified', 'failed', 'refused']): Promise<{ proposal: Proposal; cardBefore: string; approveReply: string; done: Proposal }> {
    const { reply, proposal } = await d.propose(incident, text, REQUESTER);
    expect(reply.text).toMatch(/^Proposed: /);
    expect(proposal.status).toBe('pending');
    expect(proposal.requestedBy).toBe(REQUESTER);
    const cardBefore = d.cardText(incident.channelId, proposal.id);
    expect(d.buttons(incident.channelId, proposal.id)).toEqual([
      { actionId: 'proposal_approve', value: proposal.id },
      { actionId: 'proposal_deny', value: proposal.id },
    ]);
    const approve = await d.click('proposal_approve', proposal, APPROVER, incident.channelId);
    expect(approve.text).toBe('Approved; executing now.');
    const done = await d.waitForStatus(proposal.id, settled);
    return { proposal, cardBefore, approveReply: approve.text, done };
  }

  it('rollback to the previous revision: the card shows the dry-run image diff; afterwards the template equals revision 1’s ReplicaSet, verified after the rollout', async () => {
    const rs1 = w.kube.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e');
    const before = w.kube.get('Deployment', 'prod', 'web');
    const { proposal, cardBefore, done } = await proposeAndApprove('rollback prod/web');

    // The proposal was a server-side dry run pinned to what the API server had.
    expect(proposal.pinned.resourceVersion).toBe(at(before, 'metadata', 'resourceVersion'));
    expect(proposal.pinned.revision).toBe(2);
    expect(proposal.diff).toContainEqual({ field: 'container app image', before: `${REG}/web:v2`, after: `${REG}/web:v1` });
    expect(cardBefore).toContain(`container app image: \`${REG}/web:v2\` → \`${REG}/web:v1\``);
    expect(cardBefore).toContain('server-side dry run');
    // The requester is a mention in its own field; the free-text “Why” carries no escaped mention.
    expect(cardBefore).toContain('*Requested by*\\n<@U0ONCALL1>');
    expect(cardBefore).toContain('*Why*\\nRequested by hand with /incident rollback');
    expect(cardBefore).not.toContain('&lt;@');
    expect(w.kube.requests.some((r) => r.verb === 'patch' && r.dryRun && r.name === 'web' && r.resource === 'deployments')).toBe(true);

    expect(done.status).toBe('verified');
    expect(done.verification?.result).toBe('verified');
    expect(done.verification?.detail).toContain('deployment "web" successfully rolled out');
    expect(writesTo(w.kube, 'prod', 'deployments', 'web')).toBe(1);

    const after = w.kube.get('Deployment', 'prod', 'web');
    expect(equalIgnoreHash(at(after, 'spec', 'template'), at(rs1, 'spec', 'template'))).toBe(true);
    expect(at(after, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(`${REG}/web:v1`);
    // Verified means the rollout had finished: the controller observed it and every replica is updated.
    expect(at(after, 'status', 'observedGeneration')).toBe(at(after, 'metadata', 'generation'));
    expect(at(after, 'status', 'updatedReplicas')).toBe(at(after, 'spec', 'replicas'));

    // The status flips before the events are appended; wait for the last one. The first verified
    // mitigation also marks the incident mitigated.
    const kinds = await waitFor(async () => {
      const k = (await d.events(incident.id, proposal.id)).map((e) => e.kind);
      return k.includes('incident.mitigated') ? k : undefined;
    }, { what: 'incident.mitigated on the timeline' });
    expect(kinds).toEqual(['mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.verified', 'incident.mitigated']);
    expect((await d.store().incidents.get(incident.id))?.status).toBe('mitigated');
    const executed = (await d.events(incident.id, proposal.id)).find((e) => e.kind === 'mitigation.executed');
    expect(at(executed?.data, 'approvedBy')).toEqual([APPROVER]);
    await d.cardShows(incident.channelId, proposal.id, 'Executed and verified');
    expect(d.buttons(incident.channelId, proposal.id)).toEqual([]);
    await waitFor(() => w.slack.messages(incident.channelId).some((m) => m.text.includes(':white_check_mark: Roll back deployment prod/web to the previous revision: *verified*')), { what: 'the verification message' });
  });

  it('rollback to a named revision (3 -> 1, skipping the previous one)', async () => {
    const rs = w.kube.objects('ReplicaSet').find((o) => at(o, 'metadata', 'namespace') === 'prod' && at(o, 'metadata', 'annotations', 'deployment.kubernetes.io/revision') === '1' && String(at(o, 'metadata', 'name')).startsWith('api-'));
    expect(rs).toBeDefined();
    const { proposal, cardBefore, done } = await proposeAndApprove('rollback prod/api 1');
    expect(proposal.mitigation).toEqual({ kind: 'rollback', namespace: 'prod', deployment: 'api', toRevision: 1 });
    expect(cardBefore).toContain(`\`${REG}/api:v3\` → \`${REG}/api:v1\``);
    expect(done.status).toBe('verified');
    const after = w.kube.get('Deployment', 'prod', 'api');
    expect(equalIgnoreHash(at(after, 'spec', 'template'), at(rs, 'spec', 'template'))).toBe(true);
    // The controller re-used revision 1's ReplicaSet as revision 4.
    expect(at(after, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('4');
  });

  it('scale writes replicas through the scale subresource', async () => {
    const { proposal, cardBefore, done } = await proposeAndApprove('scale prod/cart 5');
    expect(cardBefore).toContain('replicas: `2` → `5`');
    expect(done.status).toBe('verified');
    expect(at(w.kube.get('Deployment', 'prod', 'cart'), 'spec', 'replicas')).toBe(5);
    expect(writesTo(w.kube, 'prod', 'deployments', 'cart', 'scale')).toBe(1);
    expect(writesTo(w.kube, 'prod', 'deployments', 'cart')).toBe(0);
    const write = w.kube.requests.find((r) => r.verb === 'patch' && !r.dryRun && r.name === 'cart');
    expect(write).toMatchObject({ subresource: 'scale', contentType: 'application/merge-patch+json', body: { spec: { replicas: 5 }, metadata: { resourceVersion: proposal.pinned.resourceVersion } } });
    await waitFor(() => w.kube.objects('Pod').filter((p) => at(p, 'metadata', 'labels', 'app') === 'cart').length === 5, { what: 'five cart pods' });
    expect(done.verification?.detail).toContain('replicas: 5 available of 5 approved');
  });

  it('scale to 4 is not verified when the deployment ends with 3 of 3 pods (another writer set it back): the count is compared', async () => {
    const { proposal } = await d.propose(incident, 'scale prod/search 4', REQUESTER);
    expect((await d.click('proposal_approve', proposal, APPROVER, incident.channelId)).text).toBe('Approved; executing now.');
    await waitFor(() => writesTo(w.kube, 'prod', 'deployments', 'search', 'scale') === 1, { what: 'the scale write', intervalMs: 5 });
    // An autoscaler (here: a plain client over HTTP) writes 3 back through the scale subresource while the rollout settles.
    const back = await fetch(`${w.kube.url}/apis/apps/v1/namespaces/prod/deployments/search/scale`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { replicas: 3 } }) });
    expect(back.status).toBe(200);
    const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed']);
    await waitFor(() => w.kube.objects('Pod').filter((p) => at(p, 'metadata', 'labels', 'app') === 'search').length === 3, { what: 'three search pods' });
    expect(done.status).toBe('failed');
    expect(done.verification?.result).toBe('failed');
    expect(done.verification?.detail).toMatch(/replicas: \d available of 4 approved; the deployment now asks for 3 replicas, not 4/);
    expect((await d.events(incident.id, proposal.id)).map((e) => e.kind)).not.toContain('mitigation.verified');
  });

  it('hpa on an autoscaling/v2 object (cpu target replaced, the memory metric kept) and on one written as autoscaling/v1', async () => {
    const v2 = await proposeAndApprove('hpa prod/web min=3 max=10 target=60');
    expect(v2.cardBefore).toContain('minReplicas: `2` → `3`');
    expect(v2.cardBefore).toContain('target CPU utilization: `80%` → `60%`');
    expect(v2.done.status).toBe('verified');
    const web = w.kube.get('HorizontalPodAutoscaler', 'prod', 'web');
    expect(at(web, 'spec', 'minReplicas')).toBe(3);
    expect(at(web, 'spec', 'maxReplicas')).toBe(10);
    expect(at(web, 'spec', 'metrics')).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '800Mi' } } },
    ]);
    expect(v2.done.revert).toEqual({ kind: 'hpa', namespace: 'prod', name: 'web', minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 });

    const v1 = await proposeAndApprove('hpa prod/batch max=8 target=50');
    expect(v1.cardBefore).toContain('maxReplicas: `4` → `8`');
    expect(v1.cardBefore).toContain('target CPU utilization: `70%` → `50%`');
    expect(v1.done.status).toBe('verified');
    expect(v1.done.verification?.detail).toContain('HPA now min=1 max=8 target=50%');
    const batch = w.kube.get('HorizontalPodAutoscaler', 'prod', 'batch');
    expect(at(batch, 'spec', 'maxReplicas')).toBe(8);
    expect(at(batch, 'spec', 'metrics', 0, 'resource', 'target', 'averageUtilization')).toBe(50);
    expect(writesTo(w.kube, 'prod', 'horizontalpodautoscalers', 'batch')).toBe(1);
  });

  it('restart sets the restartedAt pod-template annotation, stamped when it executes, and rolls the pods', async () => {
    const podsBefore = w.kube.objects('Pod').filter((p) => at(p, 'metadata', 'labels', 'app') === 'worker').map((p) => at(p, 'metadata', 'name'));
    const { proposal } = await d.propose(incident, 'restart prod/worker', REQUESTER);
    const dryRun = proposal.diff.find((l) => l.field === 'pod annotation kubectl.kubernetes.io/restartedAt');
    expect(dryRun?.before).toBe('(none)');
    expect(d.cardText(incident.channelId, proposal.id)).toContain('kubectl.kubernetes.io/restartedAt');
    // Approve in a later second than the dry run, so the two stamps can be told apart.
    const nextSecond = (Math.floor(Date.now() / 1000) + 1) * 1000;
    await new Promise((r) => setTimeout(r, nextSecond - Date.now() + 20));
    expect((await d.click('proposal_approve', proposal, APPROVER, incident.channelId)).text).toBe('Approved; executing now.');
    const done = await d.waitForStatus(proposal.id, ['verified', 'failed', 'refused']);
    expect(done.status).toBe('verified');
    const restartedAt = String(at(w.kube.get('Deployment', 'prod', 'worker'), 'spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'));
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(restartedAt)).toBeGreaterThanOrEqual(nextSecond);
    expect(Date.parse(restartedAt)).toBeGreaterThan(Date.parse(dryRun?.after ?? ''));
    const podsAfter = w.kube.objects('Pod').filter((p) => at(p, 'metadata', 'labels', 'app') === 'worker').map((p) => at(p, 'metadata', 'name'));
    expect(podsAfter.length).toBe(2);
    expect(podsAfter.some((n) => podsBefore.includes(n))).toBe(false);
  });

  it('silence creates a real Alertmanager silence for the incident’s labels, createdBy the approver', async () => {
    requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE);
    const { proposal, cardBefore, done } = await proposeAndApprove('silence 2h');
    expect(cardBefore).toContain('silence matchers');
    expect(done.status).toBe('verified');
    expect(done.silenceId).toBeTruthy();
    const res = await fetch(`${w.am?.url ?? ''}/api/v2/silence/${done.silenceId ?? ''}`);
    expect(res.status).toBe(200);
    const silence: unknown = await res.json();
    expect(at(silence, 'createdBy')).toBe(`slack:${APPROVER}`);
    expect(at(silence, 'status', 'state')).toBe('active');
    expect(at(silence, 'comment')).toContain(proposal.id);
    const matchers = at(silence, 'matchers');
    expect(matchers).toEqual(expect.arrayContaining([
      { name: 'alertname', value: 'CheckoutErrors', isRegex: false, isEqual: true },
      { name: 'service', value: 'checkout', isRegex: false, isEqual: true },
      { name: 'namespace', value: 'prod', isRegex: false, isEqual: true },
    ]));
    const span = Date.parse(String(at(silence, 'endsAt'))) - Date.parse(String(at(silence, 'startsAt')));
    expect(Math.abs(span - 2 * 3_600_000)).toBeLessThan(60_000);
  });

  it('a rollback whose pods crash-loop fails verification, and “Propose revert” on the card proposes the way back', async () => {
    const { proposal, done } = await proposeAndApprove('rollback prod/broken');
    expect(done.status).toBe('failed');
    expect(done.verification?.result).toBe('failed');
    expect(done.verification?.detail).toContain('exceeded its progress deadline');
    expect(done.revert).toEqual({ kind: 'rollback', namespace: 'prod', deployment: 'broken', toRevision: 2 });
    await d.cardShows(incident.channelId, proposal.id, ':x: Failed');
    expect(d.buttons(incident.channelId, proposal.id)).toEqual([{ actionId: 'proposal_revert', value: proposal.id }]);
    await waitFor(() => w.slack.messages(incident.channelId).some((m) => m.text.includes('Roll back deployment prod/broken to the previous revision: *failed*') && m.text.includes('Propose revert')), { what: 'the failure message' });
    expect((await d.events(incident.id, proposal.id)).map((e) => e.kind)).toContain('mitigation.failed');

    // A crafted Revert click from another channel with this proposal's id proposes nothing, anywhere.
    const before = new Set((await d.store().proposals.list(incident.id)).map((p) => p.id));
    const cardsBefore = w.slack.callsTo('chat.postMessage').length;
    expect((await d.click('proposal_revert', done, 'U0RANDOM', 'C0GENERAL')).text).toBe('This proposal does not belong to this channel.');
    expect((await d.store().proposals.list(incident.id)).length).toBe(before.size);
    expect(w.slack.callsTo('chat.postMessage').length).toBe(cardsBefore);

    // Propose revert: a new proposal to go back to the revision it was pinned to.
    const reply = await d.click('proposal_revert', done, REQUESTER, incident.channelId);
    expect(reply.text).toMatch(/^Proposed: Roll back deployment prod\/broken to revision 2/);
    const revert = await waitFor(async () => (await d.store().proposals.list(incident.id)).find((p) => !before.has(p.id) && p.messageTs), { what: 'the revert proposal' });
    expect(revert.mitigation).toEqual({ kind: 'rollback', namespace: 'prod', deployment: 'broken', toRevision: 2 });
    expect(revert.because).toEqual([proposal.id]);
    expect(revert.status).toBe('pending');
    expect(d.cardText(incident.channelId, revert.id)).toContain(`\`${REG}/broken:v1\` → \`${REG}/broken:v2\``);

    // And it goes through the same approval: afterwards the deployment runs v2 again and is healthy.
    expect((await d.click('proposal_approve', revert, APPROVER, incident.channelId)).text).toBe('Approved; executing now.');
    const reverted = await d.waitForStatus(revert.id, ['verified', 'failed', 'refused']);
    expect(reverted.status).toBe('verified');
    expect(at(w.kube.get('Deployment', 'prod', 'broken'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(`${REG}/broken:v2`);
  });

  it('an approval while Slack refuses every card update (429, Retry-After 15 s, as in a storm) is answered and executed; the card catches up afterwards', async () => {
    const { proposal } = await d.propose(incident, 'scale prod/worker 3', REQUESTER);
    w.slack.failNext('chat.update', 10_000, { status: 429, retryAfter: 15 });
    try {
      const approve = await d.click('proposal_approve', proposal, APPROVER, incident.channelId);
      expect(approve.text).toBe('Approved; executing now.');
      // Executed and verified while no card update got through (a deferred card update is not a failed change).
      const done = await d.waitForStatus(proposal.id, ['verified', 'failed', 'refused'], 60_000);
      expect(done.status).toBe('verified');
      expect(at(w.kube.get('Deployment', 'prod', 'worker'), 'spec', 'replicas')).toBe(3);
      expect(w.slack.callsTo('chat.update').some((c) => c.status === 429)).toBe(true);
      expect(d.cardText(incident.channelId, proposal.id)).not.toContain('Executed and verified');
    } finally {
      w.slack.clearFaults();
    }
    // The deferred update (a refresh-proposal-card job) brings the card to the proposal's state.
    await waitFor(() => d.cardText(incident.channelId, proposal.id).includes('Executed and verified'), { timeoutMs: 60_000, intervalMs: 250, what: 'the card to catch up' });
  }, 150_000);

  it('a proposal cannot be approved once its incident is resolved, and a resolved incident takes no new proposal', async () => {
    const other = await d.openIncident('ResolvedFirst', 'cart');
    const { proposal } = await d.propose(other, 'scale prod/cart 3', REQUESTER);
    const writes = writeAttempts(w.kube, 'prod', 'deployments', 'cart');
    await d.command('resolve fixed upstream', REQUESTER, other.channelId);
    await waitFor(async () => (await d.store().incidents.get(other.id))?.status === 'resolved', { what: 'resolved' });
    const r = await d.click('proposal_approve', proposal, APPROVER, other.channelId);
    expect(r.text).toBe(`Not approved: ${other.id} is resolved; reopen it before changing anything.`);
    expect((await d.proposal(proposal.id)).status).toBe('pending');
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'cart')).toBe(writes);
    expect((await d.command('scale prod/cart 4', REQUESTER, other.channelId)).text).toBe(`${other.id} is resolved; reopen it before proposing a change.`);
  });

  it('bad arguments get a clear ephemeral error with the usage; nothing is proposed or written', async () => {
    const proposalsBefore = (await d.store().proposals.list(incident.id)).length;
    const requestsBefore = w.kube.requests.length;
    const cases: [string, string][] = [
      ['rollback prod', 'expected <namespace>/<deployment>, got “prod”'],
      ['rollback', 'expected <namespace>/<deployment>, got “(nothing)”'],
      ['rollback Prod/web', 'namespace “Prod” is not a valid DNS-1123 label'],
      ['rollback prod/web zero', 'revision must be a whole number between 1 and 1000000'],
      ['rollback prod/web 0', 'revision must be between 1 and 1000000, got 0'],
      ['scale prod/web', 'replicas must be a whole number between 0 and 500'],
      ['scale prod/web 9999', 'replicas must be between 0 and 500, got 9999'],
      ['hpa prod/web', 'give at least one of min=<n> max=<n> target=<pct>'],
      ['hpa prod/web min=5 max=2', 'min (5) must not exceed max (2)'],
      ['hpa prod/web target=150', 'target must be between 1 and 100, got 150'],
      ['hpa prod/web replicas=3', 'unexpected “replicas=3”'],
      ['silence forever', 'duration must look like 30m, 2h or 1d'],
      ['silence 8d', 'silence duration must be between 1 minute and 7 days'],
    ];
    for (const [text, message] of cases) {
      const r = await d.command(text, REQUESTER, incident.channelId);
      expect(r.text, text).toContain(message);
      expect(r.text, text).toContain('Usage: `/incident ');
    }
    expect(w.kube.requests.length).toBe(requestsBefore);

    // Well-formed but impossible: explained from the dry run, nothing proposed or written.
    expect((await d.command('scale prod/nosuch 3', REQUESTER, incident.channelId)).text).toBe('Cannot propose Scale deployment prod/nosuch to 3 replicas: no Deployment prod/nosuch');
    expect((await d.command('rollback prod/api 9', REQUESTER, incident.channelId)).text).toContain('unable to find specified revision 9 in history');
    expect((await d.command('scale prod/cart 5', REQUESTER, incident.channelId)).text).toBe('Nothing to do: deployment prod/cart already has 5 replicas.');
    expect((await d.store().proposals.list(incident.id)).length).toBe(proposalsBefore);
    expect(w.kube.requests.slice(requestsBefore).filter((r) => r.verb === 'patch' && !r.dryRun)).toEqual([]);
  });

  it('a valid command that no approval rule covers is refused with an explanation, before touching the cluster', async () => {
    const manual = await d.declare('Queue backlog in the batch cluster');
    const requestsBefore = w.kube.requests.length;
    const none = await d.command('scale nowhere/web 3', REQUESTER, manual.channelId);
    expect(none.text).toBe('No approval policy covers Scale deployment nowhere/web to 3 replicas; nothing was proposed. Add an approvals rule to the config.');
    // In the prod incident the environment rule matches first, and it allows only silences.
    const narrow = await d.command('restart staging/web', REQUESTER, incident.channelId);
    expect(narrow.text).toBe('The approval policy “prod-silences” does not allow restart.');
    expect(w.kube.requests.slice(requestsBefore)).toEqual([]);
    expect(await d.store().proposals.list(manual.id)).toEqual([]);
  });
});

describe('hpa on a cluster that serves only autoscaling/v1', () => {
  let w: World;
  let d: Driver;

  beforeAll(async () => {
    w = await startWorld({
      redisUrl: inject('redisUrl'),
      config: CONFIG,
      kube: { rolloutMs: 300, hpaVersions: ['v1'], objects: [...appObjects({ namespace: 'prod', name: 'api', images: [`${REG}/api:v1`] }), hpaV1('prod', 'api', 'api', 2, 4, 75)] },
    });
    d = driver(w);
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('dry-runs and writes through autoscaling/v1', async () => {
    const incident = await d.openIncident('ApiSaturated', 'api');
    const { proposal, card } = await d.propose(incident, 'hpa prod/api min=3 target=60', REQUESTER);
    expect(JSON.stringify(card.blocks)).toContain('minReplicas: `2` → `3`');
    expect((await d.click('proposal_approve', proposal, APPROVER, incident.channelId)).text).toBe('Approved; executing now.');
    const done = await d.waitForStatus(proposal.id, ['verified', 'unverified', 'failed', 'refused']);
    // The HPA took effect; the alert that paged cannot be re-checked in this world (no Alertmanager): never "verified".
    expect(done.status).toBe('unverified');
    expect(done.verification?.result).toBe('not-rechecked');
    expect(done.verification?.detail).toMatch(/^HPA now min=3 max=4 target=60%.*; 1 Alertmanager alert\(s\) not re-checked: ALERTMANAGER_URL is not configured$/);
    expect((await d.store().incidents.get(incident.id))?.status).not.toBe('mitigated');
    const patches = w.kube.requests.filter((r) => r.verb === 'patch' && r.resource === 'horizontalpodautoscalers');
    expect(patches.map((r) => [r.version, r.dryRun, r.status])).toEqual([
      ['v1', true, 200],
      ['v1', false, 200],
    ]);
    expect(patches[1]?.body).toEqual({ spec: { minReplicas: 3, targetCPUUtilizationPercentage: 60 }, metadata: { resourceVersion: proposal.pinned.resourceVersion } });
    const hpa = w.kube.get('HorizontalPodAutoscaler', 'prod', 'api');
    expect(at(hpa, 'spec', 'minReplicas')).toBe(3);
    expect(at(hpa, 'spec', 'metrics', 0, 'resource', 'target', 'averageUtilization')).toBe(60);
  });
});
