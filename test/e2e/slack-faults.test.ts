import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

describe('Slack 429 and 5xx bursts', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startBot({ redisUrl: inject('redisUrl'), slack: await startSlack() });
  });
  afterAll(async () => {
    await bot?.stop();
    await bot?.slack.stop();
  });

  it('honours Retry-After and retries 5xx: the channel, the card and the pin all land, once, in order', async () => {
    const { slack } = bot;
    slack.failNext('conversations.create', 2, { status: 429, retryAfter: 1 });
    slack.failNext('chat.postMessage', 2, { status: 503 });
    slack.failNext('pins.add', 1, { status: 500 });
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'FaultyNetwork', service: 'edge' }), amAuth)).status).toBe(202);
    const channel = await waitFor(() => slack.channels().find((c) => c.name.includes('faulty-network') && slack.pins(c.id).length > 0), { timeoutMs: 25_000, what: 'pinned card despite faults' });
    expect(slack.channels().filter((c) => c.name.includes('faulty-network'))).toHaveLength(1);
    const cards = slack.messages(channel.id).filter((m) => !m.thread_ts);
    expect(cards).toHaveLength(1);
    expect(slack.pins(channel.id)[0]?.ts).toBe(cards[0]?.ts);
    const failed = slack.calls.filter((c) => c.status === 429 || c.status >= 500).map((c) => c.method);
    expect(failed.filter((m) => m === 'conversations.create')).toHaveLength(2);
    expect(failed.filter((m) => m === 'pins.add')).toHaveLength(1);
  });

  it('keeps the order of messages posted to one channel through retries', async () => {
    const { slack } = bot;
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'OrderedUpdates', service: 'ord' }), amAuth)).status).toBe(202);
    const channel = await waitFor(() => slack.channels().find((c) => c.name.includes('ordered-updates') && slack.pins(c.id).length > 0), { timeoutMs: 15_000, what: 'channel' });
    slack.failNext('chat.postMessage', 3, { status: 429, retryAfter: 1 });
    for (const n of [1, 2, 3, 4]) {
      const r = await slack.sendSlashCommand({ command: '/incident', text: `update step ${n}`, userId: 'U0ONCALL1', channelId: channel.id });
      expect(r.status).toBe(200);
    }
    await waitFor(() => slack.messages(channel.id).filter((m) => /step \d/.test(m.text)).length >= 4, { timeoutMs: 25_000, what: 'four updates' });
    const steps = slack.messages(channel.id).map((m) => /step (\d)/.exec(m.text)?.[1]).filter(Boolean);
    expect(steps).toEqual(['1', '2', '3', '4']);
  });
});
