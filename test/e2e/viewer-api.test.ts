import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { parseCommandLine, startViewer, type Viewer } from '../../src/sandbox/viewer/index.js';
import { startSlack } from '../support/bot.js';
import { startCaptureServer, type CapturedRequest } from '../support/slack.js';

/** The viewer's HTTP API against a real emulator whose deliveries land on a capture server. */
describe('sandbox viewer API', () => {
  let slack: SlackEmulator;
  let viewer: Viewer;
  let capture: Awaited<ReturnType<typeof startCaptureServer>>;

  beforeAll(async () => {
    slack = await startSlack();
    capture = await startCaptureServer();
    slack.setBotUrl(capture.url);
    viewer = await startViewer({ slack, actAs: 'U0ONCALL1' });
  });
  afterAll(async () => {
    await viewer?.stop();
    await capture?.stop();
    await slack?.stop();
  });

  const api = (p: string, body: unknown, contentType = 'application/json') =>
    fetch(new URL(p, viewer.url), { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const lastPayload = (r: CapturedRequest): Record<string, unknown> => JSON.parse(new URLSearchParams(r.body).get('payload') ?? '{}') as Record<string, unknown>;

  it('a request target that does not parse is answered 400 by the viewer and the Slack emulator, which go on serving', async () => {
    /** One raw request line (fetch cannot send these), the status line that came back. */
    const statusOf = (base: string, target: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const u = new URL(base);
        const sock = net.connect(Number(u.port), u.hostname);
        let data = '';
        sock.on('data', (c: Buffer) => (data += c.toString('latin1')));
        sock.on('error', reject);
        sock.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
        sock.write(`GET ${target} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`, 'latin1');
      });
    for (const base of [viewer.url, slack.baseUrl]) {
      for (const target of ['http://[::1/', 'http://']) expect(await statusOf(base, target)).toBe('HTTP/1.1 400 Bad Request');
    }
    expect((await fetch(new URL('/', viewer.url))).status).toBe(200);
    expect((await (await fetch(new URL('api.test', slack.apiUrl), { method: 'POST' })).json()) as unknown).toMatchObject({ ok: true });
  });

  it('serves the page with a strict CSP and the state without the call log', async () => {
    const page = await fetch(viewer.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/app.js"');
    const state = (await (await fetch(new URL('/api/state', viewer.url))).json()) as Record<string, unknown>;
    expect(state['actAs']).toBe('U0ONCALL1');
    expect(state['calls']).toBeUndefined();
    expect((state['channels'] as { name: string }[]).map((c) => c.name)).toContain('incidents');
  });

  it('clicks a button as the chosen user: a signed block_actions reaches the bot', async () => {
    const { ts } = await slack.userPosts({ userId: 'U0LEAD', channelId: 'C0ANNOUNCE', text: 'hello' });
    const before = capture.requests.length;
    const r = await api('/api/click', { actionId: 'incident_ack', value: 'INC-9', channelId: 'C0ANNOUNCE', messageTs: ts, blockId: 'b1', userId: 'U0SRE2' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
    const delivered = capture.requests.slice(before).find((q) => q.body.startsWith('payload='));
    expect(delivered?.headers['x-slack-signature']).toMatch(/^v0=/);
    const p = lastPayload(delivered as CapturedRequest);
    expect(p['type']).toBe('block_actions');
    expect((p['user'] as { id: string }).id).toBe('U0SRE2');
    expect((p['actions'] as { action_id: string; value: string; block_id: string }[])[0]).toMatchObject({ action_id: 'incident_ack', value: 'INC-9', block_id: 'b1' });

    // Without a user the default acting user clicks.
    const before2 = capture.requests.length;
    expect((await api('/api/click', { actionId: 'x', channelId: 'C0ANNOUNCE', messageTs: ts })).status).toBe(200);
    expect((lastPayload(capture.requests[before2] as CapturedRequest)['user'] as { id: string }).id).toBe('U0ONCALL1');
  });

  it('sends a typed slash command line as command + text', async () => {
    const before = capture.requests.length;
    const r = await api('/api/command', { line: '/incident  status now', channelId: 'C0ANNOUNCE', userId: 'U0LEAD' });
    expect(r.status).toBe(200);
    const form = new URLSearchParams((capture.requests[before] as CapturedRequest).body);
    expect(form.get('command')).toBe('/incident');
    expect(form.get('text')).toBe('status now');
    expect(form.get('user_id')).toBe('U0LEAD');
    expect(form.get('channel_id')).toBe('C0ANNOUNCE');
    expect(parseCommandLine('incident status')).toBeUndefined();
    expect(parseCommandLine('/Incident')).toEqual({ command: '/incident', text: '' });
  });

  it('refuses bad bodies, unknown users and channels, non-JSON posts and foreign Host headers, delivering nothing', async () => {
    const before = capture.requests.length;
    expect((await api('/api/click', { actionId: 'x', channelId: 'C0ANNOUNCE', messageTs: 'nope' })).status).toBe(400);
    expect((await api('/api/click', { actionId: 'x', channelId: 'C0ANNOUNCE', messageTs: '1.2', userId: 'U0NOBODY' })).status).toBe(400);
    expect((await api('/api/click', { actionId: 'x', channelId: 'C0MISSING', messageTs: '1.2' })).status).toBe(400);
    expect((await api('/api/command', { line: 'status', channelId: 'C0ANNOUNCE' })).status).toBe(400);
    expect((await api('/api/command', '{"line":', 'application/json')).status).toBe(400);
    // A cross-site form post (no preflight) is not JSON: refused.
    expect((await api('/api/command', 'line=%2Fincident+ack&channelId=C0ANNOUNCE', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await api('/api/command', { line: `/incident ${'x'.repeat(70_000)}`, channelId: 'C0ANNOUNCE' })).status).toBe(413);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.request(new URL('/api/state', viewer.url), { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);
    expect(capture.requests.length).toBe(before);
  });

  it('refuses to start acting as a user the workspace does not have', async () => {
    await expect(startViewer({ slack, actAs: 'U0GHOST' })).rejects.toThrow(/unknown user/);
  });

  it('offers the manifest\'s shortcuts and delivers them; Home opens and Home clicks; malformed or unknown requests are 400s', async () => {
    const state = (await (await fetch(new URL('/api/state', viewer.url))).json()) as { shortcuts: { type: string; callbackId: string; name: string }[] };
    expect(state.shortcuts.map((x) => [x.type, x.callbackId, x.name]).sort()).toEqual([
      ['global', 'declare_incident_shortcut', 'Declare incident'],
      ['message', 'add_to_timeline', 'Add to incident timeline'],
    ]);
    let before = capture.requests.length;
    expect((await api('/api/shortcut', { callbackId: 'declare_incident_shortcut', userId: 'U0LEAD' })).status).toBe(200);
    expect(lastPayload(capture.requests[before] as CapturedRequest)).toMatchObject({ type: 'shortcut', callback_id: 'declare_incident_shortcut', user: { id: 'U0LEAD' } });
    const { ts } = await slack.userPosts({ userId: 'U0LEAD', channelId: 'C0ANNOUNCE', text: 'note this' });
    before = capture.requests.length;
    expect((await api('/api/shortcut', { callbackId: 'add_to_timeline', channelId: 'C0ANNOUNCE', messageTs: ts })).status).toBe(200);
    expect(lastPayload(capture.requests[before] as CapturedRequest)).toMatchObject({ type: 'message_action', message_ts: ts, channel: { id: 'C0ANNOUNCE' }, user: { id: 'U0ONCALL1' } });
    before = capture.requests.length;
    expect((await api('/api/home', {})).status).toBe(200);
    expect(JSON.parse(capture.requests[before]?.body ?? '{}')).toMatchObject({ type: 'event_callback', event: { type: 'app_home_opened', user: 'U0ONCALL1', tab: 'home' } });

    const bad = async (p: string, body: unknown) => {
      const r = await api(p, body);
      expect(r.status, `${p} ${JSON.stringify(body)}`).toBe(400);
    };
    await bad('/api/shortcut', { callbackId: 'not_in_the_manifest' });
    await bad('/api/shortcut', { callbackId: 'add_to_timeline' });
    await bad('/api/shortcut', { callbackId: 'add_to_timeline', channelId: 'CNOPE', messageTs: ts });
    await bad('/api/shortcut', { callbackId: 7 });
    await bad('/api/home', { userId: 'UNOBODY' });
    await bad('/api/home-click', { value: 'x' });
    await bad('/api/submit', { viewId: 'VNOPE', values: {} });
    await bad('/api/submit', { viewId: 'V1', values: 'title' });
    // A Home click on a tab nobody published is the emulator refusing: an error answer, no crash.
    const r = await api('/api/home-click', { actionId: 'home_ack', value: 'INC-1', userId: 'U0RANDOM' });
    expect(r.status).toBe(502);
    expect((await fetch(new URL('/api/state', viewer.url))).status).toBe(200);
  });
});
