/**
 * Verification that waits, on createFakeDeps (the fake clock moves, delayed watch jobs run when due):
 * a flapping alarm watched through its cycle (not verified when it flaps again, with when), an alarm
 * without data (not re-checked), Alertmanager alerts still active after the rollout watched until
 * they clear (verified) or to the end of the window (not verified). The same paths run against the
 * emulators in test/e2e/scenario-seed.test.ts and verification-watch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import { createFakeDeps } from '../../src/fake-deps.js';
import { decide, propose } from '../../src/workflows/mitigations/index.js';
import type { AlarmDescription, AlarmHistoryItem, AlertmanagerPort } from '../../src/workflows/ports.js';
import { createFakeCluster, deployment, hpa } from '../support/fake-cluster.js';
import { FakeCloudWatch } from '../support/fake-ports.js';
import { openIncident, texts } from '../support/fake-world.js';

const CONFIG = `
routes:
  - name: default
    responders: { users: [U0ONCALL] }
approvals:
  - name: prod
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER] }
diagnostics: { enabled: false }
`;
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

function world(opts: { alarms?: AlarmDescription[]; history?: AlarmHistoryItem[]; alertmanager?: AlertmanagerPort } = {}) {
  const cluster = createFakeCluster({ deployments: [deployment('prod', 'api', { replicas: 4 })], hpas: [hpa('prod', 'api', { min: 2, max: 6, target: 80 })] });
  const cw = { alarms: opts.alarms ?? [], history: { [ALARM]: opts.history ?? [] } };
  const fake = createFakeDeps({ config: CONFIG, kubernetes: cluster, cloudwatch: new FakeCloudWatch(cw), ...(opts.alertmanager ? { alertmanager: opts.alertmanager } : {}) });
  return { fake, cw };
}

async function approvedHpaChange(fake: ReturnType<typeof world>['fake'], alert?: Alert) {
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
    const { fake, cw } = world({ alarms: [alarm('OK')], history });
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
    const { fake } = world({ alarms: [alarm('OK')], history });
    const { id, incident } = await approvedHpaChange(fake, cwAlert());
    await fake.runFor(30 * MIN);
    expect((await fake.ports.proposals.get(id))?.status).toBe('watching');
    await fake.runFor(10 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('verified');
    expect(done?.verification?.detail).toMatch(/^HPA now min=2 max=10 target=80% .*; alarm api-latency stayed OK from \d\d:\d\d UTC to \d\d:\d\d UTC \(38m, more than one flap cycle of about 30m\)$/);
    expect((await fake.ports.incidents.get(incident.id))?.status).toBe('mitigated');
  });

  it('an alarm without data is "not re-checked", never verified', async () => {
    const { fake } = world({ alarms: [alarm('INSUFFICIENT_DATA')] });
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
    const { fake } = world({ alertmanager });
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
    const { fake } = world({ alertmanager });
    const { id } = await approvedHpaChange(fake);
    await fake.runFor(12 * MIN);
    const done = await fake.ports.proposals.get(id);
    expect(done?.status).toBe('unverified');
    expect(done?.verification?.result).toBe('not-verified');
    expect(done?.verification?.detail).toMatch(/^HPA now min=2 max=10 target=80% .*; 1 matching alert\(s\) still active in Alertmanager at the end of the watch \(\d\d:\d\d UTC\); watched since \d\d:\d\d UTC$/);
  });
});
