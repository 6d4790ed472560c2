/**
 * Hostile text from alerts and people stays inert wherever warroom repeats it (issue 10, items 10 and
 * 11): `/incident list` and `/incident status` replies, the channel topic, and the post-mortem served
 * over HTTP. A disguised link, a user-group ping, a user ping, a Markdown link to javascript:, a
 * tracking image and a plain link must not become live.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const TOKEN = 'hostile-text-token-0123456789';
const HOSTILE = '<https://evil.example/login|Open the runbook> <!subteam^S0SRE> <@U0LEAD> [click](javascript:alert(1)) ![x](http://evil.example/t.png) see http://evil.example/plain and www.evil.example';

/** Markdown with its code spans removed: what is left is what a renderer would turn into links. */
function outsideCode(md: string): string {
  return md.replace(/(`+)[^`]*?\1/g, '');
}

describe('hostile text stays inert in replies, topics and the post-mortem', () => {
  let slack: SlackEmulator;
  let bot: TestBot;
  let incidentId = '';
  let channelId = '';

  beforeAll(async () => {
    slack = await startSlack({ channels: [{ id: 'C0ANNOUNCE', name: 'incidents' }, { id: 'C0GENERAL', name: 'general' }] });
    bot = await startBot({ redisUrl: inject('redisUrl'), slack, env: { WARROOM_API_TOKEN: TOKEN } });
    const payload = amPayload({ alertname: 'HostileText', service: 'web' });
    for (const a of payload.alerts) a.annotations.summary = HOSTILE;
    payload.commonAnnotations.summary = HOSTILE;
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, payload, amAuth)).status).toBe(202);
    const incident = await waitFor(async () => (await bot.running.deps.ports.incidents.listAll(10)).find((i) => i.channelId && i.cardTs && i.title.includes('evil')), { what: 'incident', timeoutMs: 15_000 });
    incidentId = incident.id;
    channelId = incident.channelId ?? '';
    const r = await slack.sendSlashCommand({ command: '/incident', text: `note ${HOSTILE}`, userId: 'U0ONCALL1', channelId });
    await waitFor(() => slack.responses().some((p) => p.url === r.responseUrl), { what: 'note recorded' });
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
  });

  async function reply(text: string, channel: string): Promise<string> {
    const r = await slack.sendSlashCommand({ command: '/incident', text, userId: 'U0ONCALL1', channelId: channel });
    const p = await waitFor(() => slack.responses().find((x) => x.url === r.responseUrl), { what: `reply to ${text}` });
    return String(p.body['text'] ?? '');
  }

  it('/incident list and /incident status show the title escaped: no link, no ping', async () => {
    for (const text of [await reply('list', 'C0GENERAL'), await reply('status', channelId)]) {
      expect(text).toContain('&lt;https://evil.example/login|Open the runbook&gt;');
      expect(text).not.toContain('<https://evil.example');
      expect(text).not.toContain('<!subteam');
      expect(text).not.toContain('<@U0LEAD>');
    }
  });

  it('the channel topic is escaped, also for a declared title of broadcasts', async () => {
    const own = slack.callsTo('conversations.setTopic').find((c) => c.args['channel'] === channelId);
    expect(String(own?.args['topic'])).toContain('&lt;!subteam^S0SRE&gt;');
    await reply(`declare sev3 ${'<!channel> '.repeat(12)}`, 'C0GENERAL');
    const call = await slack.waitForCall((c) => c.method === 'conversations.setTopic' && String(c.args['topic']).includes('&lt;!channel&gt;'), 15_000);
    expect(String(call.args['topic'])).not.toContain('<!channel>');
    expect(String(call.args['topic']).length).toBeLessThanOrEqual(250);
  });

  it('the post-mortem keeps every link, image and ping from alert text and notes inert', async () => {
    const res = await fetch(`${bot.url}/incidents/${incidentId}/postmortem.md`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const md = await res.text();
    // The hostile text is there (heading, alerts, notes), as text.
    expect(md.split('evil.example').length).toBeGreaterThan(3);
    const live = outsideCode(md);
    expect(live).not.toMatch(/evil\.example/);
    // Brackets are escaped (`\[click\](...)` renders as text): no unescaped `](` may remain.
    expect(live).not.toMatch(/(?<!\\)\]\(javascript:/i);
    expect(live).not.toMatch(/!(?<!\\)\[x(?<!\\)\]\(/);
    expect(live).toContain('\\[click\\](javascript:alert(1))');
    expect(live).not.toMatch(/<!subteam|<@U0LEAD>/);
  });
});
