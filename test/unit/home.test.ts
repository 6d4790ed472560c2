/**
 * The Slack surfaces on fakes: the Home tab's content and its coalesced, low-priority refresh after
 * incident changes; the message shortcut's timeline entry and its refusal outside incident channels.
 * The browser test (test/e2e/viewer.test.ts) drives the same through the emulator and the viewer.
 */
import { describe, expect, it } from 'vitest';
import { createFakeDeps } from '../../src/fake-deps.js';
import { homeView } from '../../src/integrations/slack/blocks/home.js';
import { acknowledgeIncident } from '../../src/workflows/incidents.js';
import { HOME_REFRESH_INTERVAL_MS, homeAudience, scheduleHomeRefresh } from '../../src/workflows/home.js';
import { refreshHomeJob } from '../../src/workflows/jobs/refresh-home.js';
import { JOBS } from '../../src/workflows/jobs/index.js';
import { addMessageToTimeline } from '../../src/workflows/lifecycle.js';
import { amAlert, openIncident } from '../support/fake-world.js';

const CONFIG = `
routes:
  - name: default
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL], usergroups: [S0HOME] }
    announce: C0ANNOUNCE
diagnostics: { enabled: false }
`;

const fakeWith = () => createFakeDeps({ config: CONFIG, usergroups: { S0HOME: ['U0SRE2', 'U0LEAD'] } });
const json = (v: unknown) => JSON.stringify(v);

describe('App Home on fakes', () => {
  it('lists the open incidents with severity, status, commander, age and channel; Acknowledge only while triggered', async () => {
    const fake = fakeWith();
    const a = await openIncident(fake, amAlert({ alertname: 'HighErrorRate', service: 'checkout' }));
    const b = await openIncident(fake, amAlert({ alertname: 'DiskFull', service: 'db' }));
    await acknowledgeIncident(fake.ports, b.id, 'U0ONCALL');
    fake.clock.advance(90 * 60_000);
    const view = homeView({ incidents: await fake.ports.incidents.listOpen(), now: fake.clock.now() });
    expect(view['type']).toBe('home');
    const text = json(view);
    expect(text).toContain('Open incidents (2)');
    expect(text).toContain(`*${a.id}* · SEV1 · :red_circle: triggered`);
    expect(text).toContain(`*${b.id}* · SEV1 · :large_orange_circle: acknowledged`);
    expect(text).toContain(`<#${a.channelId}>`);
    expect(text).toContain('open for 1h 30m');
    const acks = (view['blocks'] as { accessory?: { action_id: string; value: string } }[]).filter((x) => x.accessory?.action_id === 'home_ack').map((x) => x.accessory?.value);
    expect(acks).toEqual([a.id]);
    expect(json(homeView({ incidents: [], now: fake.clock.now() }))).toContain('No open incidents.');
  });

  it('refreshes after changes as one low-priority job per window, published to the responders (groups expanded)', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'HighErrorRate', service: 'checkout' }));
    await fake.runFor(HOME_REFRESH_INTERVAL_MS);
    fake.chat.homes.clear();
    // Three changes inside one window: one refresh job.
    await acknowledgeIncident(fake.ports, incident.id, 'U0ONCALL');
    await fake.ports.incidents.update(incident.id, (i) => ({ ...i, title: `${i.title} (edited)` }));
    await scheduleHomeRefresh(fake.ports);
    await scheduleHomeRefresh(fake.ports);
    const pending = fake.queue.pending().filter((j) => j.name === refreshHomeJob.name);
    expect(pending).toHaveLength(1);
    // Behind every other job of its queue (card refreshes included).
    const others = JOBS.filter((j) => j.queue === refreshHomeJob.queue && j !== refreshHomeJob).map((j) => j.options.priority ?? 0);
    expect(pending[0]?.options.priority).toBeGreaterThan(Math.max(...others));
    expect(pending[0]?.id).toMatch(/^home-\d+$/);
    await fake.runFor(HOME_REFRESH_INTERVAL_MS);
    expect([...fake.chat.homes.keys()].sort()).toEqual(['U0LEAD', 'U0ONCALL', 'U0SRE2']);
    expect(json(fake.chat.homes.get('U0SRE2'))).toContain(':large_orange_circle: acknowledged');
    expect(await homeAudience(fake.ports)).toEqual(['U0LEAD', 'U0ONCALL', 'U0SRE2']);
  });
});

describe('Add to incident timeline on fakes', () => {
  it('adds the message with its author, time and permalink once; refuses outside an incident channel', async () => {
    const fake = fakeWith();
    const incident = await openIncident(fake, amAlert({ alertname: 'HighErrorRate', service: 'checkout' }));
    const ts = '1795259000.000100';
    const r = await addMessageToTimeline(fake.ports, { channelId: incident.channelId, userId: 'U0ONCALL', ts, text: 'rolled back the canary', author: 'U0SRE2' });
    expect(r).toEqual({ ok: true, message: `Added to the ${incident.id} timeline.` });
    const again = await addMessageToTimeline(fake.ports, { channelId: incident.channelId, userId: 'U0LEAD', ts, text: 'rolled back the canary', author: 'U0SRE2' });
    expect(again.message).toContain('already on the');
    const events = (await fake.ports.timeline.list(incident.id)).filter((e) => e.kind === 'slack.message');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ at: new Date(1795259000000).toISOString(), actor: 'U0SRE2', text: 'rolled back the canary', data: { ts, by: 'U0ONCALL', channel: incident.channelId } });
    expect(String(events[0]?.data?.['permalink'])).toContain(incident.channelId);

    const outside = await addMessageToTimeline(fake.ports, { channelId: 'C0ANNOUNCE', userId: 'U0ONCALL', ts, text: 'lunch?' });
    expect(outside.ok).toBe(false);
    expect(outside.message).toContain('not one');
  });
});
