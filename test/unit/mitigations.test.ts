/**
 * The mitigation workflows on createFakeDeps (no Redis, Slack, cluster or Alertmanager): propose ->
 * card -> approve -> execute job -> verify job, with the approval policy, the pinned state, expiry and
 * revert. The same paths run end to end against the emulators in test/e2e/mitigation-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Mitigation } from '../../src/domain/diagnostics.js';
import { AppError } from '../../src/errors.js';
import type { Proposal } from '../../src/domain/proposal.js';
import { createFakeDeps, type FakeDeps } from '../../src/fake-deps.js';
import { KINDS, decide, describeMitigation, propose, proposeRevert } from '../../src/workflows/mitigations/index.js';
import { buildPostmortem } from '../../src/workflows/lifecycle.js';
import type { Alert } from '../../src/domain/alert.js';
import type { AlarmDescription, AlarmHistoryItem, AlertmanagerPort, CloudWatchPort, SilenceInput } from '../../src/workflows/ports.js';
import { FakeCloudWatch } from '../support/fake-ports.js';
import { changeBehindOurBack, createFakeCluster, deployment, hpa } from '../support/fake-cluster.js';
import { openIncident, texts } from '../support/fake-world.js';

const CONFIG = `
routes:
  - name: default
    responders: { users: [U0ONCALL] }
approvals:
  - name: prod
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER, U0LEAD], usergroups: [S0SRE] }
    protected: true
    expiry: 10m
  - name: rest
    match: {}
    approvers: { users: [U0APPROVER, U0ONCALL] }
    allowSelfApproval: true
diagnostics: { enabled: false }
`;

function world(opts: { alertmanager?: AlertmanagerPort; cloudwatch?: CloudWatchPort; noCluster?: boolean } = {}) {
  const cluster = createFakeCluster({
    deployments: [deployment('prod', 'api', { replicas: 4, revision: 2, image: 'registry.example.com/api:v2' }), deployment('staging', 'web', { replicas: 2 })],
    hpas: [hpa('prod', 'api', { min: 2, max: 6, target: 80 })],
    history: [
      { namespace: 'prod', deployment: 'api', revision: 1, image: 'registry.example.com/api:v1' },
      { namespace: 'prod', deployment: 'api', revision: 2, image: 'registry.example.com/api:v2' },
    ],
  });
  const fake = createFakeDeps({ config: CONFIG, usergroups: { S0SRE: ['U0SRE2'] }, ...(opts.noCluster ? {} : { kubernetes: cluster }), ...(opts.alertmanager ? { alertmanager: opts.alertmanager } : {}), ...(opts.cloudwatch ? { cloudwatch: opts.cloudwatch } : {}) });
  return { fake, cluster };
}

async function proposed(fake: FakeDeps, text: Parameters<typeof propose>[2], by = 'U0ONCALL'): Promise<{ proposal: Proposal; channelId: string }> {
  const incident = await openIncident(fake);
  const r = await propose(fake.ports, incident, text, by);
  expect(r.ok, r.message).toBe(true);
  const proposal = await fake.ports.proposals.get(r.proposalId ?? '');
  if (!proposal) throw new Error('no proposal');
  return { proposal, channelId: incident.channelId };
}

const card = (fake: FakeDeps, channelId: string, p: Proposal) => fake.chat.channels.get(channelId)?.messages.find((m) => m.ts === p.messageTs);

/** An Alertmanager where the alert that paged is no longer active: the paging signal re-checks clear. */
const cleared: AlertmanagerPort = { createSilence: async () => ({ silenceId: 's' }), expireSilence: async () => undefined, listAlerts: async () => [] };

describe('mitigations on fakes', () => {
  it('propose -> approve -> execute -> verify: written once, verified, the incident mitigated', async () => {
    const { fake, cluster } = world({ alertmanager: cleared });
    const { proposal, channelId } = await proposed(fake, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 6 });
    expect(proposal).toMatchObject({ status: 'pending', rule: 'prod', requiredApprovals: 1, protectedEnvironment: true, diff: [{ field: 'replicas', before: '4', after: '6' }] });
    expect(proposal.revert).toEqual({ kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 4 });
    expect(card(fake, channelId, proposal)?.text).toContain('Scale deployment prod/api to 6 replicas (pending)');
    expect(cluster.state.writes).toEqual([]);

    // A double click: one approval, one execution.
    const [first, second] = await Promise.all([decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId), decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId)]);
    expect([first.message, second.message].sort()).toEqual(['Approved; executing now.', 'You have already approved this proposal; it is approved.']);
    await fake.runDue();
    expect(cluster.state.writes).toEqual(['scale prod/api']);
    const done = await fake.ports.proposals.get(proposal.id);
    expect(done?.status).toBe('verified');
    expect(card(fake, channelId, proposal)?.text).toContain('(verified)');
    expect(texts(fake, channelId).some((t) => t.startsWith(':white_check_mark: Scale deployment prod/api to 6 replicas: *verified* — rollout: deployment "api" successfully rolled out; pods: 6/6 ready'))).toBe(true);
    const incident = await fake.ports.incidents.get(proposal.incidentId);
    expect(incident?.status).toBe('mitigated');
    const kinds = (await fake.ports.timeline.list(proposal.incidentId)).map((e) => e.kind).filter((k) => k.startsWith('mitigation.') || k === 'incident.mitigated');
    expect(kinds).toEqual(['mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.verified', 'incident.mitigated']);
    // The job logs carry the job and the proposal.
    expect(fake.log.lines.some((l) => l.fields['jobName'] === 'execute-mitigation' && l.fields['proposalId'] === proposal.id)).toBe(true);
  });

  it('the paging signal cannot be read (Alertmanager errors): "not re-checked" with the reason, never verified, the incident not mitigated', async () => {
    const down: AlertmanagerPort = { ...cleared, listAlerts: async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.9:9093')) };
    const { fake } = world({ alertmanager: down });
    const { proposal, channelId } = await proposed(fake, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 6 });
    await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId);
    await fake.runDue();
    const done = await fake.ports.proposals.get(proposal.id);
    expect(done?.status).toBe('unverified');
    expect(done?.verification).toEqual({ result: 'not-rechecked', detail: 'rollout: deployment "api" successfully rolled out; pods: 6/6 ready, 0 crash-looping; replicas: 6 available of 6 approved; could not read Alertmanager: connect ECONNREFUSED 10.0.0.9:9093' });
    expect(texts(fake, channelId).some((t) => t.startsWith(':grey_question: Scale deployment prod/api to 6 replicas: *not re-checked* — '))).toBe(true);
    expect((await fake.ports.incidents.get(proposal.incidentId))?.status).not.toBe('mitigated');
    const kinds = (await fake.ports.timeline.list(proposal.incidentId)).map((e) => e.kind);
    expect(kinds).toContain('mitigation.unverified');
    expect(kinds).not.toContain('mitigation.verified');
    expect(kinds).not.toContain('incident.mitigated');
  });

  it('one description of a mitigation: the timeline, the card and the post-mortem use the same words', async () => {
    const { fake } = world();
    const m: Mitigation = { kind: 'hpa', namespace: 'prod', name: 'api', targetCPUUtilizationPercentage: 50, maxReplicas: 10 };
    const { proposal, channelId } = await proposed(fake, m);
    const words = describeMitigation(m);
    expect(words).toBe('Change HPA prod/api: CPU target to 50%, max replicas to 10');
    expect((await fake.ports.timeline.list(proposal.incidentId)).find((e) => e.kind === 'mitigation.proposed')?.text).toBe(`Proposed: ${words}`);
    expect(JSON.stringify(card(fake, channelId, proposal)?.blocks)).toContain(`Proposed: ${words}`);
    const { markdown } = await buildPostmortem(fake.ports, proposal.incidentId);
    expect(markdown).toContain('### 1. Change HPA `prod/api`: CPU target to 50%, max replicas to 10');
    // Every kind describes itself.
    expect(Object.keys(KINDS).sort()).toEqual(['hpa', 'restart', 'rollback', 'scale', 'silence']);
  });

  it('four-eyes: the requester cannot approve under a protected rule; a member of the approvers’ group can', async () => {
    const { fake, cluster } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'restart', namespace: 'prod', deployment: 'api' }, 'U0APPROVER');
    expect(await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId)).toEqual({ ok: false, message: 'Not approved: four-eyes: in a protected environment the requester cannot approve their own request' });
    expect(await decide(fake.ports, proposal.id, 'U0RANDOM', 'approve', channelId)).toEqual({ ok: false, message: 'Not approved: you are not an approver under “prod”' });
    expect(await decide(fake.ports, proposal.id, 'U0SRE2', 'approve', channelId)).toEqual({ ok: true, message: 'Approved; executing now.' });
    await fake.runDue();
    expect(cluster.state.writes).toEqual(['restart prod/api']);
    const refusals = (await fake.ports.timeline.list(proposal.incidentId)).filter((e) => e.kind === 'mitigation.refused');
    expect(refusals.map((e) => e.actor)).toEqual(['U0APPROVER', 'U0RANDOM']);
  });

  it('a click from another channel decides nothing', async () => {
    const { fake } = world();
    const { proposal } = await proposed(fake, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 3 });
    expect(await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', 'C0GENERAL')).toEqual({ ok: false, message: 'This proposal does not belong to this channel.' });
    expect((await fake.ports.proposals.get(proposal.id))?.status).toBe('pending');
  });

  it('pinned: someone scaled to 12 after the card showed 4 -> 3; Approve is refused and 12 stays', async () => {
    const { fake, cluster } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 3 });
    changeBehindOurBack(cluster, 'prod', 'api', (d) => {
      d.spec.replicas = 12;
    });
    expect(await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId)).toEqual({ ok: false, message: 'Not approved: the deployment now has 12 replicas, not the 4 the card showed; propose it again' });
    await fake.runDue();
    expect(cluster.state.writes).toEqual([]);
    expect((await fake.ports.proposals.get(proposal.id))?.status).toBe('refused');
    expect(cluster.state.deployments.find((d) => d.metadata.name === 'api')?.spec.replicas).toBe(12);
  });

  it('a label change (new resourceVersion, same spec) does not make a rollback stale; the write is pinned to what was read', async () => {
    const { fake, cluster } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'rollback', namespace: 'prod', deployment: 'api' });
    expect(proposal.diff).toEqual([{ field: 'image', before: 'registry.example.com/api:v2', after: 'registry.example.com/api:v1' }]);
    expect(proposal.revert).toEqual({ kind: 'rollback', namespace: 'prod', deployment: 'api', toRevision: 2 });
    changeBehindOurBack(cluster, 'prod', 'api', (d) => {
      d.metadata.labels = { touched: 'yes' };
    });
    expect((await decide(fake.ports, proposal.id, 'U0LEAD', 'approve', channelId)).message).toBe('Approved; executing now.');
    await fake.runDue();
    expect(cluster.state.writes).toEqual(['rollback prod/api']);
    expect(cluster.state.deployments.find((d) => d.metadata.name === 'api')?.spec.template.spec.containers[0]?.image).toBe('registry.example.com/api:v1');
  });

  it('expires at its deadline: the card says so and a late click is refused and recorded', async () => {
    const { fake } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'scale', namespace: 'staging', deployment: 'web', replicas: 3 });
    expect(proposal.rule).toBe('rest');
    // The rule's default expiry: 15 minutes.
    await fake.runFor(15 * 60_000 + 1000);
    expect((await fake.ports.proposals.get(proposal.id))?.status).toBe('expired');
    expect(card(fake, channelId, proposal)?.text).toContain('(expired)');
    expect(await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId)).toEqual({ ok: false, message: 'Not approved: the proposal has expired; propose it again' });
  });

  it('the requester withdraws; deny needs an approver or the requester', async () => {
    const { fake } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 5 });
    expect((await decide(fake.ports, proposal.id, 'U0RANDOM', 'deny', channelId)).message).toBe('Not denied: you are not an approver under “prod”');
    expect(await decide(fake.ports, proposal.id, 'U0ONCALL', 'deny', channelId)).toEqual({ ok: true, message: 'Denied.' });
    expect(await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId)).toEqual({ ok: false, message: 'This proposal is already denied.' });
  });

  it('a rollout that crash-loops fails verification; Propose revert proposes the way back, once', async () => {
    const { fake, cluster } = world();
    const { proposal, channelId } = await proposed(fake, { kind: 'rollback', namespace: 'prod', deployment: 'api' });
    cluster.state.crashLoop.add('prod/api');
    await decide(fake.ports, proposal.id, 'U0LEAD', 'approve', channelId);
    await fake.runDue();
    const failed = await fake.ports.proposals.get(proposal.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.verification?.detail).toContain('crash-looping');
    const r = await proposeRevert(fake.ports, proposal.id, 'U0ONCALL', channelId);
    expect(r.message).toMatch(/^Proposed: Roll back deployment prod\/api to revision 2;/);
    expect((await proposeRevert(fake.ports, proposal.id, 'U0ONCALL', channelId)).message).toBe('Already proposed.');
    const all = await fake.ports.proposals.list(proposal.incidentId);
    expect(all).toHaveLength(2);
    expect(all.find((p) => p.id !== proposal.id)).toMatchObject({ mitigation: { kind: 'rollback', namespace: 'prod', deployment: 'api', toRevision: 2 }, because: [proposal.id], status: 'pending' });
  });

  it('silences through Alertmanager, created by the approver', async () => {
    const silences: SilenceInput[] = [];
    const alertmanager: AlertmanagerPort = {
      createSilence: async (input) => {
        silences.push(input);
        return { silenceId: `s-${silences.length}` };
      },
      expireSilence: async () => undefined,
      listAlerts: async () => [],
    };
    const { fake } = world({ alertmanager, noCluster: true });
    const m: Mitigation = { kind: 'silence', durationMinutes: 90, matchers: [{ name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true }, { name: 'namespace', value: 'prod', isRegex: false, isEqual: true }] };
    const { proposal, channelId } = await proposed(fake, m);
    expect(describeMitigation(m)).toBe('Silence alerts matching alertname="HighErrorRate", namespace="prod" for 1h 30m');
    expect(proposal.rule).toBe('prod');
    await decide(fake.ports, proposal.id, 'U0APPROVER', 'approve', channelId);
    await fake.runDue();
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ createdBy: 'slack:U0APPROVER', matchers: m.kind === 'silence' ? m.matchers : [] });
    expect(silences[0]?.endsAt.getTime()).toBe((silences[0]?.startsAt.getTime() ?? 0) + 90 * 60_000);
    const done = await fake.ports.proposals.get(proposal.id);
    expect(done).toMatchObject({ status: 'verified', silenceId: 's-1' });
    expect(done?.verification?.detail).toBe('0 matching alert(s) still active in Alertmanager');
  });

  it('an optional port is an optional feature: without a cluster or Alertmanager, propose says so', async () => {
    const { fake } = world({ noCluster: true });
    const incident = await openIncident(fake);
    expect(await propose(fake.ports, incident, { kind: 'restart', namespace: 'prod', deployment: 'api' }, 'U0ONCALL')).toEqual({ ok: false, message: 'Mitigations are not enabled in this deployment (no Kubernetes or Alertmanager configured).' });
  });

  it('a proposal that finds nothing to change is not proposed; an unknown object is named', async () => {
    const { fake } = world();
    const incident = await openIncident(fake);
    expect((await propose(fake.ports, incident, { kind: 'scale', namespace: 'prod', deployment: 'nosuch', replicas: 3 }, 'U0ONCALL')).message).toBe('Cannot propose Scale deployment prod/nosuch to 3 replicas: no Deployment prod/nosuch');
    expect(await fake.ports.proposals.list(incident.id)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Verification that waits: the fake clock moves, delayed watch jobs run when due. The same paths run
// against the emulators in test/e2e/scenario-seed.test.ts and verification-watch.test.ts.

const ALARM = 'api-latency';
const MIN = 60_000;
/** createFakeDeps's clock starts here. */
const T0 = Date.parse('2026-11-21T09:00:00.000Z');

const cwAlert = (): Alert => ({
  source: 'cloudwatch',
  fingerprint: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`,
  status: 'firing',
  name: ALARM,
  severity: 'SEV2',
  labels: { alertname: ALARM },
  annotations: {},
  startsAt: '2026-12-05T10:00:00Z',
  links: [],
  cloudwatch: { alarmName: ALARM, alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`, accountId: '123456789012', region: 'us-east-1', state: 'ALARM' },
});

const alarm = (stateValue: AlarmDescription['stateValue']): AlarmDescription => ({ alarmName: ALARM, alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`, stateValue, dimensions: [] });
const transition = (at: number, from: string, to: string): AlarmHistoryItem => ({ timestamp: new Date(at), summary: `Alarm updated from ${from} to ${to}`, oldState: from, newState: to });

/** The mitigations world with a CloudWatch holding the alarm and its history. */
function watchWorld(opts: { alarms?: AlarmDescription[]; history?: AlarmHistoryItem[]; alertmanager?: AlertmanagerPort } = {}) {
  const cw = { alarms: opts.alarms ?? [], history: { [ALARM]: opts.history ?? [] } };
  const { fake } = world({ cloudwatch: new FakeCloudWatch(cw), ...(opts.alertmanager ? { alertmanager: opts.alertmanager } : {}) });
  return { fake, cw };
}

async function approvedHpaChange(fake: FakeDeps, alert?: Alert) {
  const incident = await openIncident(fake, alert);
  const r = await propose(fake.ports, incident, { kind: 'hpa', namespace: 'prod', name: 'api', maxReplicas: 10 }, 'U0ONCALL');
  expect(r.ok, r.message).toBe(true);
  const id = r.proposalId ?? '';
  await decide(fake.ports, id, 'U0APPROVER', 'approve', incident.channelId);
  await fake.runDue();
  return { id, incident };
}

describe('verification that waits (fakes)', () => {
  it('a flapping alarm is watched through its cycle; it went to ALARM again: not verified, with when, the incident not mitigated', async () => {
    const t0 = T0;
    // OK -> ALARM every 30 minutes over the last two hours; OK now.
    const history = [0, 1, 2, 3].flatMap((i) => [transition(t0 - (120 - 30 * i) * MIN, 'OK', 'ALARM'), transition(t0 - (115 - 30 * i) * MIN, 'ALARM', 'OK')]);
    const { fake, cw } = watchWorld({ alarms: [alarm('OK')], history });
    const { id, incident } = await approvedHpaChange(fake, cwAlert());
    const watching = await fake.ports.proposals.get(id);
    expect(watching?.status).toBe('watching');
    // 30 min cycle + 7.5 min margin, rounded up to the minute.
    expect(Date.parse(watching?.watch?.until ?? '') - Date.parse(watching?.watch?.since ?? '')).toBeGreaterThanOrEqual(37.5 * MIN);
    expect(watching?.watch?.alarm).toEqual({ region: 'us-east-1', alarmName: ALARM, cycleMs: 30 * MIN });
    expect(texts(fake, incident.channelId).some((t) => /^:eyes: Change HPA prod\/api: max replicas to 10: executed; \*watching until \d\d:\d\d UTC\* — alarm api-latency cycled OK→ALARM 4 times in the last 6 h, about every 30m/.test(t))).toBe(true);

    await fake.runFor(20 * MIN);
    expect((await fake.ports.proposals.get(id))?.status).toBe('watching');
    // It flaps again at +22m and is OK again by +27m, between two looks: the history tells.
    const again = fake.clock.now().getTime() + 2 * MIN;
    cw.history[ALARM].push(transition(again, 'OK', 'ALARM'), transition(again + 5 * MIN, 'ALARM', 'OK'));
    await fake.runFor(10 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('unverified');
    expect(done?.verification?.result).toBe('not-verified');
    expect(done?.verification?.detail).toContain(`alarm api-latency went to ALARM again at ${new Date(again).toISOString().slice(11, 16)} UTC, 22m after the change`);
    expect((await fake.ports.incidents.get(incident.id))?.status).not.toBe('mitigated');
  });

  it('a flapping alarm that stays OK through the window: verified at its end, the incident mitigated', async () => {
    const t0 = T0;
    const history = [0, 1, 2].flatMap((i) => [transition(t0 - (90 - 30 * i) * MIN, 'OK', 'ALARM'), transition(t0 - (85 - 30 * i) * MIN, 'ALARM', 'OK')]);
    const { fake } = watchWorld({ alarms: [alarm('OK')], history });
    const { id, incident } = await approvedHpaChange(fake, cwAlert());
    await fake.runFor(30 * MIN);
    expect((await fake.ports.proposals.get(id))?.status).toBe('watching');
    await fake.runFor(10 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('verified');
    expect(done?.verification?.detail).toMatch(/^HPA now min=2 max=10 target=80% .*; alarm api-latency stayed OK from \d\d:\d\d UTC to \d\d:\d\d UTC \(38m, more than one flap cycle of about 30m\)$/);
    expect((await fake.ports.incidents.get(incident.id))?.status).toBe('mitigated');
  });

  it('"watching until" deferred by Slack\'s budget (the verify job delayed) is posted when the job runs again, once; the watch goes on to its verdict', async () => {
    const t0 = T0;
    const history = [0, 1, 2].flatMap((i) => [transition(t0 - (90 - 30 * i) * MIN, 'OK', 'ALARM'), transition(t0 - (85 - 30 * i) * MIN, 'ALARM', 'OK')]);
    const { fake } = watchWorld({ alarms: [alarm('OK')], history });
    const post = fake.chat.post.bind(fake.chat);
    let refused = 0;
    fake.chat.post = async (channel, msg, opts) => {
      if (refused === 0 && msg.text.startsWith(':eyes:')) {
        refused++;
        throw new AppError('throttled', 'chat.postMessage: no token', { retryAfterMs: 20_000 });
      }
      return post(channel, msg, opts);
    };
    const { id, incident } = await approvedHpaChange(fake, cwAlert());
    expect(refused).toBe(1);
    const watching = () => texts(fake, incident.channelId).filter((t) => /^:eyes: Change HPA prod\/api: max replicas to 10: executed; \*watching until \d\d:\d\d UTC\* — alarm api-latency cycled OK→ALARM 3 times in the last 6 h, about every 30m/.test(t));
    expect(watching()).toHaveLength(0);
    await fake.runFor(MIN);
    expect(watching()).toHaveLength(1);
    await fake.runFor(40 * MIN);
    expect(watching()).toHaveLength(1);
    expect((await fake.ports.proposals.get(id))?.status).toBe('verified');
    expect((await fake.ports.timeline.list(incident.id)).filter((e) => e.kind === 'mitigation.watching')).toHaveLength(1);
  });

  it('an alarm without data is "not re-checked", never verified', async () => {
    const { fake } = watchWorld({ alarms: [alarm('INSUFFICIENT_DATA')] });
    const { id, incident } = await approvedHpaChange(fake, cwAlert());
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('unverified');
    expect(done?.verification?.result).toBe('not-rechecked');
    expect(done?.verification?.detail).toMatch(/; alarm api-latency has no data \(INSUFFICIENT_DATA\)$/);
    expect((await fake.ports.incidents.get(incident.id))?.status).not.toBe('mitigated');
  });

  it('Alertmanager alerts still active after the rollout are watched: cleared at a later look -> verified', async () => {
    let active = true;
    const alertmanager: AlertmanagerPort = { createSilence: async () => ({ silenceId: 's' }), expireSilence: async () => undefined, listAlerts: async () => (active ? [{ fingerprint: 'f', labels: {}, status: 'active' }] : []) };
    const { fake } = watchWorld({ alertmanager });
    const { id } = await approvedHpaChange(fake);
    expect((await fake.ports.proposals.get(id))?.status).toBe('watching');
    active = false;
    await fake.runFor(2 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('verified');
    expect(done?.verification?.detail).toMatch(/^HPA now min=2 max=10 target=80% .*; the alerts that paged cleared by \d\d:\d\d UTC, 1m after the change \(0 matching alert\(s\) still active in Alertmanager\)$/);
  });

  it('Alertmanager alerts still active at the end of the window: not verified', async () => {
    const alertmanager: AlertmanagerPort = { createSilence: async () => ({ silenceId: 's' }), expireSilence: async () => undefined, listAlerts: async () => [{ fingerprint: 'f', labels: {}, status: 'active' }] };
    const { fake } = watchWorld({ alertmanager });
    const { id } = await approvedHpaChange(fake);
    await fake.runFor(12 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('unverified');
    expect(done?.verification?.result).toBe('not-verified');
    expect(done?.verification?.detail).toMatch(/^HPA now min=2 max=10 target=80% .*; 1 matching alert\(s\) still active in Alertmanager at the end of the watch \(\d\d:\d\d UTC\); watched since \d\d:\d\d UTC$/);
  });
});
