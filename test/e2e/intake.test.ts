import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { amAuth, amPayload, postJson, startBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

describe('alert intake end to end (Alertmanager webhook -> channel with pinned card)', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startBot({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => bot?.stop());

  it('opens exactly one channel with a pinned incident card, invites responders, announces, and ignores redelivery', async () => {
    const payload = amPayload({ alertname: 'HighErrorRate', service: 'checkout' });
    const first = await postJson(`${bot.url}/webhooks/alertmanager`, payload, amAuth);
    expect(first.status).toBe(202);
    const channel = await waitFor(() => bot.slack.channels().find((c) => c.name.includes('checkout-errors') && bot.slack.pins(c.id).length > 0), { what: 'pinned card' });
    expect(channel.name).toMatch(/^inc-\d+-checkout-errors$/);
    expect(channel.name.length).toBeLessThanOrEqual(80);
    const card = bot.slack.messages(channel.id).find((m) => m.ts === bot.slack.pins(channel.id)[0]?.ts);
    expect(JSON.stringify(card?.blocks)).toContain('HighErrorRate');
    expect(JSON.stringify(card?.blocks)).toContain('incident_ack');
    expect(bot.slack.members(channel.id)).toContain('U0ONCALL1');
    expect(channel.topic.value).toContain('SEV1');
    await waitFor(() => bot.slack.messages('C0ANNOUNCE').some((m) => m.text.includes('opened')), { what: 'announcement' });

    // Alertmanager re-sends the same group every group_interval: nothing changes.
    const again = await postJson(`${bot.url}/webhooks/alertmanager`, payload, amAuth);
    expect(again.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect(bot.slack.callsTo('conversations.create')).toHaveLength(1);
    expect(bot.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel.id)).toHaveLength(1);
  });

  it('answers 401 for bad credentials, 400 with the reason for bad bodies, 413 above 1 MiB, and stores nothing', async () => {
    const before = bot.slack.callsTo('conversations.create').length;
    const bad = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'Nope1' }), { authorization: 'Bearer wrong' });
    expect(bad.status).toBe(401);
    const none = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'Nope2' }));
    expect(none.status).toBe(401);
    const malformed = await postJson(`${bot.url}/webhooks/alertmanager`, '{"version":"4", "alerts": [', amAuth);
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/JSON/i);
    const wrongSchema = await postJson(`${bot.url}/webhooks/alertmanager`, { version: '4', alerts: [{ status: 'burning' }] }, amAuth);
    expect(wrongSchema.status).toBe(400);
    expect(wrongSchema.text).toMatch(/alerts/);
    const huge = await postJson(`${bot.url}/webhooks/alertmanager`, { ...amPayload({ alertname: 'Nope3' }), pad: 'x'.repeat(1_100_000) }, amAuth);
    expect(huge.status).toBe(413);
    await new Promise((r) => setTimeout(r, 800));
    expect(bot.slack.callsTo('conversations.create').length).toBe(before);
  });

  it('a resolve through the webhook updates the card in place', async () => {
    const firing = amPayload({ alertname: 'DiskFull', service: 'db' });
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, firing, amAuth)).status).toBe(202);
    const channel = await waitFor(() => bot.slack.channels().find((c) => c.name.includes('db-disk') && bot.slack.pins(c.id).length > 0), { what: 'card' });
    const cardTs = bot.slack.pins(channel.id)[0]?.ts;
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'DiskFull', service: 'db', status: 'resolved' }), amAuth)).status).toBe(202);
    await waitFor(() => bot.slack.callsTo('chat.update').some((c) => c.args.channel === channel.id && c.args.ts === cardTs && String(c.args.text).length > 0 && JSON.stringify(c.args.blocks).includes('white_check_mark')), { what: 'card update', timeoutMs: 8000 });
    expect(bot.slack.messages(channel.id).filter((m) => !m.thread_ts)).toHaveLength(1);
  });

  it('serves health, readiness and metrics', async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toMatch(/warroom_alerts_received_total\{source="alertmanager",status="firing"\} \d+/);
    expect(metrics).toMatch(/warroom_incidents_opened_total [1-9]\d*/);
    expect(metrics).toMatch(/warroom_slack_calls_total\{method="conversations.create"\} \d+/);
    expect(metrics).toMatch(/warroom_queue_jobs\{queue="ingest",state="waiting"\}/);
  });
});
