/**
 * The incident lifecycle on createFakeDeps: ingest -> channel, card, pin, topic, responders,
 * announcement; acknowledge, resolve, reopen; reminders; coalesced card refreshes; the post-mortem
 * and the archive after a resolve. No Redis, no Slack: the e2e suites run the same through the emulators.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createFakeDeps } from '../../src/fake-deps.js';
import { PRIORITY } from '../../src/workflows/jobs/define.js';
import { acknowledgeIncident, resolveIncident } from '../../src/workflows/incidents.js';
import { postStatusUpdate } from '../../src/workflows/triage.js';
import { amAlert, deliver, openIncident, texts } from '../support/fake-world.js';

const CONFIG = `
routes:
  - name: default
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL], usergroups: [S0SRE] }
    announce: C0ANNOUNCE
    reopenWindow: 30m
    autoResolve: true
status:
  cadence: { SEV1: 15m, SEV2: 30m, SEV3: 60m }
archive: { afterDays: 2 }
diagnostics: { enabled: false }
`;

const fakeWith = () => createFakeDeps({ config: CONFIG, usergroups: { S0SRE: ['U0SRE2', 'U0LEAD'] } });

describe('incidents on fakes', () => {
  it('an alert opens one channel: card posted and pinned, topic, responders and group members invited, announced', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'HighErrorRate', service: 'checkout' }));
    const ch = fake.chat.channels.get(incident.channelId);
    expect(ch?.name).toMatch(/^inc-1-/);
    expect(ch?.pins).toEqual([incident.cardTs]);
    expect(ch?.topic).toContain(`SEV1 · ${incident.id}`);
    expect([...(ch?.members ?? [])].sort()).toEqual(['U0LEAD', 'U0ONCALL', 'U0SRE2']);
    expect(texts(fake, 'C0ANNOUNCE')).toHaveLength(1);
    const kinds = (await fake.ports.timeline.list(incident.id)).map((e) => e.kind);
    expect(kinds).toEqual(['alert.firing', 'incident.opened', 'channel.created']);
    // The same alert again (a redelivery, Alertmanager's group_interval): nothing new.
    const calls = fake.chat.calls.length;
    await deliver(fake, [amAlert({ alertname: 'HighErrorRate', service: 'checkout' })]);
    await fake.runFor(5_000);
    expect(fake.chat.channels.size).toBe(2);
    expect(fake.chat.calls.slice(calls).filter((c) => c !== 'chat.update')).toEqual([]);
  });

  it('a taken channel name gets the next suffix', async () => {
    // The name INC-1 gets in a workspace of its own...
    const alone = fakeWith();
    const name = alone.chat.channels.get((await openIncident(alone, amAlert({ alertname: 'DiskFull', service: 'db' }))).channelId)?.name ?? '';
    expect(name).toMatch(/^inc-1-/);
    // ...is already taken by another channel here.
    const fake = fakeWith();
    await fake.chat.createChannel(name, { private: false });
    const incident = await openIncident(fake, amAlert({ alertname: 'DiskFull', service: 'db' }));
    expect(fake.chat.channels.get(incident.channelId)?.name).toBe(`${name}-2`);
  });

  it("a route's channel.private opens a private channel; other routes stay public", async () => {
    const fake = createFakeDeps({
      config: CONFIG.replace('routes:\n', 'routes:\n  - name: security\n    match: { labels: { team: security } }\n    key: { by: labels, labels: [alertname] }\n    channel: { private: true }\n    responders: { users: [U0SEC] }\n'),
    });
    const secret = await openIncident(fake, amAlert({ alertname: 'CredentialLeak', service: 'auth', labels: { team: 'security' } }));
    const open = await openIncident(fake, amAlert({ alertname: 'DiskFull', service: 'db' }));
    expect(fake.chat.channels.get(secret.channelId)?.private).toBe(true);
    expect(fake.chat.channels.get(open.channelId)?.private).toBe(false);
  });

  it('card refreshes are coalesced: many changes within a second are one update, rendered from the latest state', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Flappy', service: 'edge', labels: { instance: 'a' } }));
    await fake.runFor(2_000);
    const before = fake.chat.calls.filter((c) => c === 'chat.update').length;
    for (const instance of ['b', 'c', 'd', 'e']) await deliver(fake, [amAlert({ alertname: 'Flappy', service: 'edge', labels: { instance } })]);
    await fake.runFor(2_000);
    expect(fake.chat.calls.filter((c) => c === 'chat.update').length - before).toBe(1);
    const cardMsg = fake.chat.channels.get(incident.channelId)?.messages.find((m) => m.ts === incident.cardTs);
    expect(cardMsg?.edits).toBeGreaterThanOrEqual(1);
  });

  it('at most one refresh waits per incident, however many changes arrive, and a change while one runs asks for the next', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Busy', service: 'edge', labels: { instance: 'a' } }));
    const waiting = () => fake.queue.pending().filter((j) => j.name === 'refresh-card' && j.data['incidentId'] === incident.id).length;
    for (let i = 0; i < 30; i++) {
      await deliver(fake, [amAlert({ alertname: 'Busy', service: 'edge', labels: { instance: `i${i}` } })]);
      expect(waiting()).toBeLessThanOrEqual(1);
      if (i % 7 === 0) await fake.runFor(1_100);
    }
    await fake.runFor(5_000);
    expect(waiting()).toBe(0);
    // The last write shows every alert (rendered from the latest state, not from the alert that asked).
    const card = fake.chat.channels.get(incident.channelId)?.messages.find((m) => m.ts === incident.cardTs);
    expect(JSON.stringify(card)).toContain('31 firing / 31');
  });

  it("a person's acknowledge is on the card at once, at a person's priority, ahead of the refreshes alerts asked for", async () => {
    const fake = fakeWith();
    const noisy = await openIncident(fake, amAlert({ alertname: 'Noisy', service: 'edge', labels: { instance: 'a' } }));
    const mine = await openIncident(fake, amAlert({ alertname: 'Mine', service: 'db' }));
    await fake.runFor(2_000);
    for (let i = 0; i < 5; i++) await deliver(fake, [amAlert({ alertname: 'Noisy', service: 'edge', labels: { instance: `i${i}` } })]);
    await deliver(fake, [amAlert({ alertname: 'Mine', service: 'db', labels: { instance: 'x' } })]);
    await acknowledgeIncident(fake.ports, mine.id, 'U0LEAD');
    const refreshes = fake.queue.pending().filter((j) => j.name === 'refresh-card');
    const forPerson = refreshes.filter((j) => j.data['person'] === true);
    expect(forPerson.map((j) => [j.data['incidentId'], j.options.priority])).toEqual([[mine.id, PRIORITY.person]]);
    // What is due now is the person's refresh alone; the refreshes the alerts asked for wait their second.
    const ran = await fake.runDue();
    expect(ran.map((j) => j.name)).toEqual(['refresh-card']);
    const card = fake.chat.channels.get(mine.channelId)?.messages.find((m) => m.ts === mine.cardTs);
    expect(JSON.stringify(card)).toContain('acknowledged');
    expect(fake.queue.pending().some((j) => j.name === 'refresh-card' && j.data['incidentId'] === noisy.id)).toBe(true);
    // The coalesced refresh of the same incident then finds nothing new to ask for: one write for the ack.
    const updates = fake.chat.calls.filter((c) => c === 'chat.update').length;
    await fake.runFor(3_000);
    const mineUpdates = fake.chat.calls.filter((c) => c === 'chat.update').length - updates;
    expect(mineUpdates).toBeLessThanOrEqual(1);
  });

  it('acknowledge once; resolve posts the summary to both channels, then the post-mortem draft and the archive', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake);
    expect(await acknowledgeIncident(fake.ports, incident.id, 'U0LEAD')).toEqual({ ok: true, message: `${incident.id} acknowledged.` });
    expect(await acknowledgeIncident(fake.ports, incident.id, 'U0SRE2')).toEqual({ ok: false, message: `${incident.id} is already acknowledged.` });
    expect((await fake.ports.incidents.get(incident.id))?.roles.commander).toBe('U0LEAD');
    fake.clock.advance(10 * 60_000);
    expect(await resolveIncident(fake.ports, incident.id, 'U0LEAD')).toEqual({ ok: true, message: `${incident.id} resolved.` });
    await fake.runDue();
    expect(texts(fake, incident.channelId).some((t) => t.includes(`*${incident.id} resolved* (SEV1) — acknowledged after`))).toBe(true);
    expect(texts(fake, 'C0ANNOUNCE')).toHaveLength(2);
    expect(fake.chat.files.map((f) => f.filename)).toEqual([`postmortem-${incident.id.toLowerCase()}.md`]);
    // 48 hours later the post-mortem reminder; two days after the resolve the channel is archived.
    await fake.runFor(2 * 86_400_000 + 1000);
    expect(texts(fake, incident.channelId).some((t) => t.startsWith(':memo: Reminder: the post-mortem'))).toBe(true);
    expect(fake.chat.channels.get(incident.channelId)?.archived).toBe(true);
  });

  it('a re-fire within the reopen window reopens the same channel and says so', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Flap', service: 'edge' }));
    await resolveIncident(fake.ports, incident.id, 'U0ONCALL');
    await fake.runDue();
    fake.clock.advance(5 * 60_000);
    await deliver(fake, [amAlert({ alertname: 'Flap', service: 'edge', startsAt: '2026-11-21T09:04:00.000Z' })]);
    const again = await fake.ports.incidents.get(incident.id);
    expect(again).toMatchObject({ status: 'triggered', reopenCount: 1 });
    expect(fake.chat.channels.size).toBe(2);
    expect(texts(fake, incident.channelId).some((t) => t.includes(`*${incident.id} reopened*`))).toBe(true);
  });

  it('auto-resolve: the route resolves the incident once every alert has resolved', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Auto', service: 'x' }));
    await deliver(fake, [amAlert({ alertname: 'Auto', service: 'x', status: 'resolved' })]);
    expect((await fake.ports.incidents.get(incident.id))?.status).toBe('resolved');
  });

  it('reminders nudge on the cadence; a status update resets the clock; none after the resolve', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Slow', service: 'api' }));
    const reminders = () => texts(fake, incident.channelId).filter((t) => t.startsWith(':alarm_clock:'));
    await fake.runFor(15 * 60_000 - 1000);
    expect(reminders()).toHaveLength(0);
    await fake.runFor(2000);
    expect(reminders()).toHaveLength(1);
    expect(reminders()[0]).toContain('no status update for 15m (SEV1 cadence)');
    await postStatusUpdate(fake.ports, incident, 'U0LEAD', 'rolling back');
    await fake.runFor(14 * 60_000);
    expect(reminders()).toHaveLength(1);
    await fake.runFor(2 * 60_000);
    expect(reminders()).toHaveLength(2);
    await resolveIncident(fake.ports, incident.id, 'U0LEAD');
    await fake.runFor(60 * 60_000);
    expect(reminders()).toHaveLength(2);
    expect((await fake.ports.timeline.list(incident.id)).filter((e) => e.kind === 'reminder.sent')).toHaveLength(2);
  });

  it('a reminder Slack defers (throttled: the job is delayed) is posted when the job runs again, once', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'Slow', service: 'api' }));
    const reminders = () => texts(fake, incident.channelId).filter((t) => t.startsWith(':alarm_clock:'));
    // Slack's budget refuses the first reminder post: the remind job is moved to delayed for 30 s.
    const post = fake.chat.post.bind(fake.chat);
    let refused = 0;
    fake.chat.post = async (channel, msg) => {
      if (refused === 0 && msg.text.startsWith(':alarm_clock:')) {
        refused++;
        throw new AppError('throttled', 'chat.postMessage: no token', { retryAfterMs: 30_000 });
      }
      return post(channel, msg);
    };
    await fake.runFor(15 * 60_000 + 1000);
    expect(refused).toBe(1);
    expect(reminders()).toHaveLength(0);
    await fake.runFor(60_000);
    expect(reminders()).toHaveLength(1);
    expect((await fake.ports.timeline.list(incident.id)).filter((e) => e.kind === 'reminder.sent')).toHaveLength(1);
    // The next slot's reminder follows on the cadence, once.
    await fake.runFor(15 * 60_000);
    expect(reminders()).toHaveLength(2);
  });

  it('a job logs with the job bound: a resolved alert with no incident is logged by its ingest job', async () => {
    const fake = fakeWith();
    await deliver(fake, [amAlert({ alertname: 'Ghost', service: 'x', status: 'resolved' })]);
    const line = fake.log.lines.find((l) => l.msg === 'resolved alert with no incident');
    expect(line?.fields).toMatchObject({ jobName: 'ingest', job: expect.stringMatching(/^d-\d+$/), attempt: 1, alert: 'Ghost' });
    expect(await fake.ports.incidents.listAll(10)).toEqual([]);
  });
});

describe('Redis lost between creating an incident and enqueueing its open job (issue 10.9)', () => {
  it('the ingest retry (or the next alert) still opens the channel', async () => {
    const fake = fakeWith();
    const enqueue = fake.ports.queue.enqueue.bind(fake.ports.queue);
    let failed = 0;
    fake.ports.queue.enqueue = async (job, data, opts) => {
      if (job.name === 'open-incident' && failed === 0) {
        failed++;
        throw new AppError('unavailable', 'enqueue open-incident: Redis did not answer');
      }
      return enqueue(job, data, opts);
    };
    await deliver(fake, [amAlert({ alertname: 'LostOpen', service: 'edge' })]);
    await fake.runFor(5_000);
    expect(failed).toBe(1);
    const [incident] = await fake.ports.incidents.listAll(10);
    expect(incident?.channelId).toBeDefined();
    expect(fake.chat.channels.get(incident?.channelId ?? '')?.pins).toHaveLength(1);
  });

  it('the same between reopening an incident and enqueueing its incident-reopened job: the retry still announces the reopen, once', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'LostReopen', service: 'edge' }));
    await resolveIncident(fake.ports, incident.id, 'U0ONCALL');
    await fake.runDue();
    fake.clock.advance(5 * 60_000);
    const enqueue = fake.ports.queue.enqueue.bind(fake.ports.queue);
    let failed = 0;
    let asked = 0;
    fake.ports.queue.enqueue = async (job, data, opts) => {
      if (job.name === 'incident-reopened') asked++;
      if (job.name === 'incident-reopened' && failed === 0) {
        failed++;
        throw new AppError('unavailable', 'enqueue incident-reopened: Redis did not answer');
      }
      return enqueue(job, data, opts);
    };
    await deliver(fake, [amAlert({ alertname: 'LostReopen', service: 'edge', startsAt: '2026-11-21T09:04:00.000Z' })]);
    await fake.runFor(5_000);
    expect(failed).toBe(1);
    const reopened = () => texts(fake, incident.channelId).filter((t) => t.includes(`*${incident.id} reopened*`));
    expect(reopened()).toHaveLength(1);
    expect(texts(fake, 'C0ANNOUNCE').filter((t) => t.includes('reopened'))).toHaveLength(1);
    expect(await fake.ports.incidents.get(incident.id)).toMatchObject({ status: 'triggered', reopenCount: 1, reopenAnnounced: 1 });
    // Announced: a later alert of the incident does not ask for it again.
    const askedBefore = asked;
    await deliver(fake, [amAlert({ alertname: 'LostReopen', service: 'edge', startsAt: '2026-11-21T09:06:00.000Z', labels: { pod: 'edge-2' } })]);
    await fake.runFor(5_000);
    expect(asked).toBe(askedBefore);
    expect(reopened()).toHaveLength(1);
  });
});
