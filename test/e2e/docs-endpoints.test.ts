import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { Incident } from '../../src/domain/incident.js';
import { TimelineEvent } from '../../src/domain/timeline.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const TOKEN = 'docs-api-token-0123456789';
const TimelineDoc = z.object({ incident: Incident, timeline: z.array(TimelineEvent) });

async function get(url: string, token?: string): Promise<{ status: number; type: string; text: string; auth: string | null }> {
  const res = await fetch(url, token === undefined ? {} : { headers: { authorization: token } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), auth: res.headers.get('www-authenticate') };
}

describe('incident documents over HTTP (postmortem.md, timeline.json)', () => {
  let slack: SlackEmulator;
  let bot: TestBot;
  let plain: TestBot;
  let incidentId = '';

  beforeAll(async () => {
    slack = await startSlack();
    const redisUrl = inject('redisUrl');
    bot = await startBot({ redisUrl, slack, env: { WARROOM_API_TOKEN: TOKEN } });
    // A second bot on the same data without the token: the endpoints are off there.
    plain = await startBot({ redisUrl, slack, prefix: bot.prefix, env: { NO_BOT_URL: '1', SERVICES: 'web' } });
    slack.setBotUrl(`${bot.url}/slack/events`);
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'DocsCheck', service: 'web' }), amAuth)).status).toBe(202);
    const incident = await waitFor(async () => (await bot.running.deps.ports.incidents.listAll(10)).find((i) => i.channelId && i.cardTs), { what: 'incident' });
    incidentId = incident.id;
    const r = await slack.sendSlashCommand({ command: '/incident', text: 'note action: add an SLO alert for the web tier', userId: 'U0ONCALL1', channelId: incident.channelId ?? '' });
    await waitFor(() => slack.responses().some((p) => p.url === r.responseUrl), { what: 'note recorded' });
  });
  afterAll(async () => {
    await plain?.stop();
    await bot?.stop();
    await slack?.stop();
  });

  it('answer 401 without a token or with a wrong one', async () => {
    for (const doc of ['postmortem.md', 'timeline.json']) {
      const url = `${bot.url}/incidents/${incidentId}/${doc}`;
      const none = await get(url);
      expect(none.status).toBe(401);
      expect(none.auth).toBe('Bearer');
      expect(none.text).not.toContain('DocsCheck');
      for (const bad of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', TOKEN, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]) {
        const r = await get(url, bad);
        expect(r.status, bad).toBe(401);
        expect(r.text).not.toContain('DocsCheck');
      }
    }
  });

  it('serve the Markdown post-mortem and the JSON timeline with the right token', async () => {
    const md = await get(`${bot.url}/incidents/${incidentId}/postmortem.md`, `Bearer ${TOKEN}`);
    expect(md.status).toBe(200);
    expect(md.type).toContain('text/markdown');
    expect(md.text).toMatch(new RegExp(`^# Post-mortem: ${incidentId} DocsCheck`));
    for (const h of ['## Summary', '## Impact', '## Timeline', '## Alerts', '## Action items']) expect(md.text).toContain(`\n${h}`);
    expect(md.text).toContain('add an SLO alert for the web tier');

    const js = await get(`${bot.url}/incidents/${incidentId}/timeline.json`, `bearer ${TOKEN}`);
    expect(js.status).toBe(200);
    expect(js.type).toContain('application/json');
    const doc = TimelineDoc.parse(JSON.parse(js.text));
    expect(doc.incident.id).toBe(incidentId);
    const kinds = doc.timeline.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['incident.opened', 'alert.firing', 'channel.created', 'incident.action_item']));
    expect(doc.timeline.find((e) => e.kind === 'incident.action_item')?.actor).toBe('U0ONCALL1');
    const times = doc.timeline.map((e) => e.at);
    expect([...times].sort()).toEqual(times);
  });

  it('answer 404 for an unknown incident and 400 for a malformed id', async () => {
    for (const doc of ['postmortem.md', 'timeline.json']) {
      const unknown = await get(`${bot.url}/incidents/INC-999999/${doc}`, `Bearer ${TOKEN}`);
      expect(unknown.status).toBe(404);
      expect(unknown.text).toContain('INC-999999');
      for (const id of ['inc-1', 'INC-', 'INC-1x', '42', 'INC-1234567890123', '..%2F..%2Fetc']) {
        const r = await get(`${bot.url}/incidents/${id}/${doc}`, `Bearer ${TOKEN}`);
        expect(r.status, id).toBe(400);
        expect(r.text).toContain('INC-42');
      }
    }
  });

  it('answer 404 when WARROOM_API_TOKEN is not set, whatever the token', async () => {
    for (const doc of ['postmortem.md', 'timeline.json']) {
      for (const auth of [undefined, `Bearer ${TOKEN}`, 'Bearer ']) {
        const r = await get(`${plain.url}/incidents/${incidentId}/${doc}`, auth);
        expect(r.status).toBe(404);
        expect(r.text).not.toContain('DocsCheck');
      }
    }
    // The same incident is there: the bot with the token serves it.
    expect((await get(`${bot.url}/incidents/${incidentId}/timeline.json`, `Bearer ${TOKEN}`)).status).toBe(200);
  });
});
