import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { requireBinary } from '../support/binaries.js';
import { AM_TOKEN, startBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

describe('the real Alertmanager (Debian prometheus-alertmanager) delivering to the bot', () => {
  let bot: TestBot;
  let am: AlertmanagerServer;
  beforeAll(async () => {
    requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE);
    bot = await startBot({ redisUrl: inject('redisUrl') });
    am = await startAlertmanager({ webhookUrl: `${bot.url}/webhooks/alertmanager`, bearerToken: AM_TOKEN, groupWait: '1s', groupInterval: '2s' });
  });
  afterAll(async () => {
    await am?.stop();
    await bot?.stop();
  });

  it('a firing alert opens exactly one channel with a pinned card; resolving it through Alertmanager updates the card', async () => {
    const alert = { labels: { alertname: 'CheckoutErrors', service: 'checkout', namespace: 'prod', severity: 'critical' }, annotations: { summary: '5xx above 5%' } };
    await am.pushAlerts([alert]);
    const channel = await waitFor(() => bot.slack.channels().find((c) => c.name.includes('checkout-errors') && bot.slack.pins(c.id).length > 0), { timeoutMs: 20_000, what: 'channel from the real Alertmanager' });
    // Alertmanager re-sends the group every group_interval: still one channel, one card.
    await new Promise((r) => setTimeout(r, 5000));
    expect(bot.slack.channels().filter((c) => c.name.includes('checkout-errors'))).toHaveLength(1);
    expect(bot.slack.messages(channel.id).filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes('incident_ack'))).toHaveLength(1);
    const cardTs = bot.slack.pins(channel.id)[0]?.ts;
    await am.resolveAlerts([alert]);
    await waitFor(
      () => bot.slack.callsTo('chat.update').some((c) => c.args.channel === channel.id && c.args.ts === cardTs && JSON.stringify(c.args.blocks).includes('white_check_mark')),
      { timeoutMs: 20_000, what: 'card updated with the resolved alert' },
    );
    const incident = await bot.running.deps.ports.incidents.findByChannel(channel.id);
    const alerts = await bot.running.deps.ports.incidents.listAlerts(incident?.id ?? '');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.status).toBe('resolved');
    expect(alerts[0]?.transitions.map((t) => t.status)).toEqual(['firing', 'resolved']);
  });
});
