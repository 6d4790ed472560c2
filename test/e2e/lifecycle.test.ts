import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import type { SlackMessage } from '../../src/sandbox/slack/types.js';
import { remindJob } from '../../src/workflows/jobs/remind.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const GENERAL = 'C0GENERAL';
const ANNOUNCE = 'C0ANNOUNCE';
const CADENCE_MS = 2000;

const CONFIG = `
routes:
  - name: auto
    match: { labels: { autoresolve: "yes" } }
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
    autoResolve: true
  - name: default
    match: {}
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
    announce: C0ANNOUNCE
status:
  cadence: { SEV3: 2s }
postmortem: { reminderAfter: 0 }
diagnostics: { enabled: false }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tsMs = (ts: string) => Math.round(Number(ts) * 1000);

describe('incident lifecycle end to end: reminders, Slack timeline capture, auto-resolve', () => {
  let slack: SlackEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    slack = await startSlack({ channels: [{ id: ANNOUNCE, name: 'incidents' }, { id: GENERAL, name: 'general' }] });
    bot = await startBot({ redisUrl: inject('redisUrl'), slack, config: CONFIG });
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
  });

  const store = () => bot.running.deps.ports;

  async function cmd(text: string, channelId: string, userId = 'U0ONCALL1'): Promise<string> {
    const r = await slack.sendSlashCommand({ command: '/incident', text, userId, channelId });
    expect(r.status).toBe(200);
    const reply = await waitFor(() => slack.responses().find((p) => p.url === r.responseUrl), { what: `reply to “/incident ${text}”` });
    return String(reply.body['text']);
  }

  async function declare(title: string, sev: string): Promise<Incident & { channelId: string; cardTs: string }> {
    await cmd(`declare ${sev} ${title}`, GENERAL);
    return waitFor(
      async () => {
        const i = (await store().incidents.listAll(100)).find((x) => x.title === title);
        return i?.channelId && i.cardTs ? (i as Incident & { channelId: string; cardTs: string }) : undefined;
      },
      { what: `channel for ${title}` },
    );
  }

  const reminders = (channel: string): SlackMessage[] => slack.messages(channel).filter((m) => m.text.includes(':alarm_clock:'));

  it('reminders nudge the commander on the cadence, an update resets them, one per slot, none after resolve', async () => {
    const incident = await declare('Reminder drill', 'sev3');
    const ch = incident.channelId;
    await cmd('ack', ch, 'U0SRE2'); // U0SRE2 becomes commander
    const createdMs = Date.parse(incident.createdAt);

    // The first reminder: one cadence after the incident opened, mentioning the commander.
    const first = await waitFor(() => reminders(ch)[0], { what: 'first reminder', timeoutMs: 8000 });
    expect(first.text).toContain('<@U0SRE2>');
    expect(first.text).toContain('SEV3 cadence');
    expect(tsMs(first.ts)).toBeGreaterThanOrEqual(createdMs + CADENCE_MS - 50);

    // The next reminder is a delayed BullMQ job with a deterministic id (since + slot number).
    const incidentQueue = bot.running.deps.queues.queues.incident;
    const delayed = await waitFor(async () => (await incidentQueue.getDelayed()).find((j) => j.name === 'remind' && (j.data as { incidentId?: string }).incidentId === incident.id), { what: 'delayed reminder job' });
    expect(delayed.id).toBe(`remind-${incident.id}-${createdMs}-2`);
    // A duplicate job for the same slot (another replica, a retry) does not post a second reminder.
    const before = reminders(ch).length;
    await incidentQueue.add('remind', { incidentId: incident.id, since: incident.createdAt }, { jobId: `dup-${incident.id}` });
    await sleep(400);
    expect(reminders(ch).length).toBe(before);
    // Adding the same deterministic id again is a no-op: still one delayed job for the slot.
    await bot.running.deps.queues.enqueue(remindJob, { incidentId: incident.id, since: incident.createdAt, slot: 2 });
    expect((await incidentQueue.getDelayed()).filter((j) => j.id === delayed.id)).toHaveLength(1);

    // A status update resets the clock: no reminder until one cadence after it.
    await cmd('update mitigation under way', ch, 'U0SRE2');
    const updatedAt = Date.parse((await store().incidents.get(incident.id))?.lastUpdateAt ?? '');
    const sinceUpdate = () => reminders(ch).filter((m) => tsMs(m.ts) > updatedAt);
    const afterUpdate = await waitFor(() => sinceUpdate()[0], { what: 'reminder after the update', timeoutMs: 6000 });
    // Nothing in between: the first reminder after the update comes one cadence after it.
    expect(tsMs(afterUpdate.ts)).toBeGreaterThanOrEqual(updatedAt + CADENCE_MS - 50);
    await waitFor(() => sinceUpdate().length >= 2, { what: 'second reminder after the update', timeoutMs: 6000 });

    // Never two reminders for the same slot (slots counted from the last update / opening).
    const slots = reminders(ch).map((m) => {
      const since = tsMs(m.ts) >= updatedAt ? updatedAt : createdMs;
      return `${since}-${Math.floor((tsMs(m.ts) - since) / CADENCE_MS)}`;
    });
    expect(new Set(slots).size).toBe(slots.length);
    // Each reminder is posted, then recorded: the two counts meet once the job that posted last has finished.
    await waitFor(async () => (await store().timeline.list(incident.id)).filter((e) => e.kind === 'reminder.sent').length === reminders(ch).length, { what: 'every reminder recorded in the timeline' });

    // Resolve: the pending reminder is cancelled and no more reminders come.
    await cmd('resolve', ch, 'U0SRE2');
    await waitFor(() => slack.messages(ch).some((m) => m.text.includes(`${incident.id} resolved`)), { what: 'resolution' });
    const finalCount = reminders(ch).length;
    await waitFor(async () => !(await incidentQueue.getDelayed()).some((j) => j.name === 'remind' && (j.data as { incidentId?: string }).incidentId === incident.id), { what: 'reminder job cancelled' });
    await sleep(CADENCE_MS * 2 + 500);
    expect(reminders(ch).length).toBe(finalCount);
  });

  it('a reopened incident (re-fire within the reopen window) gets reminders again', async () => {
    const fire = (startsAt: string) => postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'FlappyCheck', service: 'edge', startsAt, extraLabels: { severity: 'warning' } }), amAuth);
    expect((await fire('2026-11-21T08:00:00Z')).status).toBe(202);
    const incident = await waitFor(async () => (await store().incidents.listAll(100)).find((i) => i.title.startsWith('FlappyCheck') && i.channelId && i.cardTs), { what: 'flappy incident' });
    expect(incident.severity).toBe('SEV3');
    const ch = incident.channelId ?? '';
    await waitFor(() => reminders(ch).length >= 1, { what: 'reminder before resolve', timeoutMs: 8000 });
    await cmd('resolve', ch);
    await waitFor(() => slack.messages(ch).some((m) => m.text.includes(`${incident.id} resolved`)), { what: 'resolved' });
    await sleep(CADENCE_MS + 300);
    const atReopen = reminders(ch).length;
    expect((await fire('2026-11-21T08:30:00Z')).status).toBe(202);
    await waitFor(() => slack.messages(ch).some((m) => m.text.includes(`${incident.id} reopened`)), { what: 'reopened message' });
    expect((await store().incidents.get(incident.id))?.status).toBe('triggered');
    const next = await waitFor(() => reminders(ch)[atReopen], { what: 'reminder after reopen', timeoutMs: CADENCE_MS * 3 });
    expect(next.text).toContain('SEV3 cadence');
    await cmd('resolve', ch);
  });

  it('pins and the :pushpin: reaction join the timeline with the message time and author; removal takes them out; other reactions are ignored', async () => {
    const incident = await declare('Timeline capture drill', 'sev4'); // SEV4: no reminders in this config
    const ch = incident.channelId;
    await slack.userPosts({ userId: 'U0ONCALL1', channelId: ch, text: 'joining' });
    const posted = await slack.userPosts({ userId: 'U0LEAD', channelId: ch, text: 'deploy of api v42 started at 10:02' });
    await sleep(1100); // the pin comes later than the message: the timeline keeps the message's time
    const pinnedBy = 'U0SRE2';
    const pin = await slack.userPins({ userId: pinnedBy, channelId: ch, ts: posted.ts });
    expect(pin?.status).toBe(200);
    const pinned = await waitFor(async () => (await store().timeline.list(incident.id)).find((e) => e.kind === 'slack.pinned'), { what: 'pinned event' });
    expect(pinned.text).toBe('deploy of api v42 started at 10:02');
    expect(pinned.actor).toBe('U0LEAD');
    expect(pinned.at).toBe(new Date(tsMs(posted.ts)).toISOString());
    expect(pinned.data).toMatchObject({ ts: posted.ts, channel: ch, by: pinnedBy });

    // Another reaction is ignored; :pushpin: is captured.
    const other = await slack.userPosts({ userId: 'U0APPROVER', channelId: ch, text: 'error rate back under 1%' });
    await slack.userReacts({ userId: 'U0ONCALL1', channelId: ch, ts: other.ts, reaction: 'eyes' });
    await slack.userReacts({ userId: 'U0ONCALL1', channelId: ch, ts: other.ts, reaction: 'pushpin' });
    const reacted = await waitFor(async () => (await store().timeline.list(incident.id)).find((e) => e.kind === 'slack.reaction'), { what: 'reaction event' });
    expect(reacted.actor).toBe('U0APPROVER');
    expect(reacted.at).toBe(new Date(tsMs(other.ts)).toISOString());
    expect(reacted.data).toMatchObject({ ts: other.ts, by: 'U0ONCALL1' });
    const captured = (await store().timeline.list(incident.id)).filter((e) => e.kind.startsWith('slack.'));
    expect(captured).toHaveLength(2);
    // A redelivered reaction_added (Slack retries) is not recorded twice.
    const retry = await slack.sendEvent({ type: 'reaction_added', user: 'U0ONCALL1', reaction: 'pushpin', item_user: 'U0APPROVER', item: { type: 'message', channel: ch, ts: other.ts } }, { retryNum: 1 });
    expect(retry.status).toBe(200);
    await sleep(300);
    expect((await store().timeline.list(incident.id)).filter((e) => e.kind === 'slack.reaction')).toHaveLength(1);
    // The timeline view shows both in time order.
    const view = await cmd('timeline', ch);
    expect(view.indexOf('deploy of api v42')).toBeLessThan(view.indexOf(`message ${other.ts}`));

    // Unpin and unreact remove them.
    await slack.userUnpins({ userId: pinnedBy, channelId: ch, ts: posted.ts });
    await waitFor(async () => !(await store().timeline.list(incident.id)).some((e) => e.kind === 'slack.pinned'), { what: 'pin removed' });
    await slack.userUnreacts({ userId: 'U0ONCALL1', channelId: ch, ts: other.ts, reaction: 'eyes' });
    await sleep(300);
    expect((await store().timeline.list(incident.id)).filter((e) => e.kind === 'slack.reaction')).toHaveLength(1);
    await slack.userUnreacts({ userId: 'U0ONCALL1', channelId: ch, ts: other.ts, reaction: 'pushpin' });
    await waitFor(async () => !(await store().timeline.list(incident.id)).some((e) => e.kind === 'slack.reaction'), { what: 'reaction removed' });

    // Pins outside an incident channel are ignored.
    const outside = await slack.userPosts({ userId: 'U0LEAD', channelId: GENERAL, text: 'lunch?' });
    await slack.userPins({ userId: 'U0LEAD', channelId: GENERAL, ts: outside.ts });
    await sleep(300);
    for (const i of await store().incidents.listAll(100)) expect((await store().timeline.list(i.id)).some((e) => e.text === 'lunch?')).toBe(false);
  });

  it('auto-resolve: an autoResolve route resolves the incident once every alert has resolved', async () => {
    const labels = { autoresolve: 'yes' };
    // One alert per instance (amPayload's fingerprint would cut the instance off: set it here).
    const body = (instance: string, status: 'firing' | 'resolved') => {
      const p = amPayload({ alertname: 'QueueStuck', service: 'billing', instance, status, extraLabels: labels });
      return { ...p, alerts: p.alerts.map((a) => ({ ...a, fingerprint: `0000000000queue${instance}` })) };
    };
    const fire = (instance: string) => postJson(`${bot.url}/webhooks/alertmanager`, body(instance, 'firing'), amAuth);
    const clear = (instance: string) => postJson(`${bot.url}/webhooks/alertmanager`, body(instance, 'resolved'), amAuth);
    expect((await fire('a')).status).toBe(202);
    const incident = await waitFor(async () => (await store().incidents.listAll(100)).find((i) => i.title.startsWith('QueueStuck') && i.channelId), { what: 'auto-resolve incident' });
    expect(incident.route).toBe('auto');
    expect((await fire('b')).status).toBe(202);
    await waitFor(async () => (await store().incidents.listAlerts(incident.id)).length === 2, { what: 'second alert' });

    expect((await clear('a')).status).toBe(202);
    await waitFor(async () => (await store().incidents.listAlerts(incident.id)).filter((a) => a.status === 'resolved').length === 1, { what: 'first alert resolved' });
    await sleep(300);
    expect((await store().incidents.get(incident.id))?.status).toBe('triggered');

    expect((await clear('b')).status).toBe(202);
    const resolved = await waitFor(async () => {
      const i = await store().incidents.get(incident.id);
      return i?.status === 'resolved' ? i : undefined;
    }, { what: 'auto-resolved' });
    expect(resolved.resolvedBy).toBe('alertmanager');
    expect((await store().timeline.list(incident.id)).find((e) => e.kind === 'incident.resolved')?.text).toContain('auto-resolve');
    await waitFor(() => slack.messages(ANNOUNCE).some((m) => m.text.includes(`${incident.id} resolved`)), { what: 'resolution announced' });

    // The default route (autoResolve off) keeps the incident open when its alert resolves.
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'ManualOnly', service: 'x' }), amAuth)).status).toBe(202);
    const manual = await waitFor(async () => (await store().incidents.listAll(100)).find((i) => i.title.startsWith('ManualOnly') && i.channelId), { what: 'default-route incident' });
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'ManualOnly', service: 'x', status: 'resolved' }), amAuth)).status).toBe(202);
    await waitFor(async () => (await store().incidents.listAlerts(manual.id)).every((a) => a.status === 'resolved'), { what: 'alert resolved' });
    await sleep(300);
    expect((await store().incidents.get(manual.id))?.status).toBe('triggered');
  });
});
