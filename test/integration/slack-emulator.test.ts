/**
 * Contract tests of the Slack emulator, driven by the real @slack/web-api WebClient (what the bot
 * uses) and, for deliveries, by a real Bolt 5 app and an independent HMAC computation. Each
 * assertion is Slack's documented behaviour (protocols section 5).
 */
import { createHmac } from 'node:crypto';
import { App, LogLevel } from '@slack/bolt';
import { WebClientEvent } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../../src/sandbox/slack/index.js';
import { freePort, waitFor } from '../support/procs.js';
import { slackError, startCaptureServer, webClientFor } from '../support/slack.js';

const SECRET = 'test-signing-secret';
const users = [
  { id: 'UALICE', name: 'alice', realName: 'Alice A' },
  { id: 'UBOB', name: 'bob' },
  { id: 'UCAROL', name: 'carol' },
  { id: 'UDAVE', name: 'dave' },
];

let emu: SlackEmulator;
let n = 0;
const uniq = (p: string): string => `${p}-${Date.now().toString(36)}-${(n += 1)}`;

beforeAll(async () => {
  emu = await startSlackEmulator({
    signingSecret: SECRET,
    users,
    usergroups: [{ id: 'SONCALL', handle: 'oncall', users: ['UALICE', 'UBOB'] }],
    channels: [
      { id: 'CANNOUNCE', name: 'incidents' },
      { id: 'COUTSIDE', name: 'random', botIsMember: false },
    ],
  });
});
afterAll(async () => {
  await emu.stop();
});

async function newChannel(prefix = 'inc'): Promise<string> {
  const r = await webClientFor(emu).conversations.create({ name: uniq(prefix) });
  return r.channel?.id ?? '';
}

describe('auth', () => {
  it('auth.test answers the bot identity; other tokens are invalid_auth; no token is not_authed', async () => {
    const r = await webClientFor(emu).auth.test();
    expect(r).toMatchObject({ ok: true, user_id: emu.botUserId, team_id: emu.teamId });
    expect(typeof r.bot_id).toBe('string');
    expect(await slackError(webClientFor(emu, { token: 'xoxb-someone-else' }).auth.test())).toBe('invalid_auth');
    const raw = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST' });
    expect(await raw.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(emu.calls.at(-1)).toMatchObject({ method: 'auth.test', ok: false, error: 'not_authed', status: 200 });
  });

  it('unknown methods answer unknown_method', async () => {
    expect(await slackError(webClientFor(emu).apiCall('channels.history'))).toBe('unknown_method');
  });

  it('accepts JSON bodies as well as form bodies', async () => {
    const name = uniq('json');
    const res = await fetch(`${emu.apiUrl}conversations.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name, is_private: true }),
    });
    const body = (await res.json()) as { ok: boolean; channel: { name: string; is_private: boolean } };
    expect(body).toMatchObject({ ok: true, channel: { name, is_private: true } });
  });
});

describe('conversations', () => {
  it('creates a channel the bot is a member of; the name is then taken, even once archived', async () => {
    const client = webClientFor(emu);
    const name = uniq('inc-checkout');
    const created = await client.conversations.create({ name });
    const id = created.channel?.id ?? '';
    expect(created.channel).toMatchObject({ name, is_channel: true, is_private: false, is_member: true, creator: emu.botUserId });
    expect(emu.members(id)).toEqual([emu.botUserId]);
    expect(emu.channelByName(name)?.id).toBe(id);
    expect((await client.conversations.info({ channel: id })).channel?.name).toBe(name);
    expect(await slackError(client.conversations.create({ name }))).toBe('name_taken');
    await client.conversations.archive({ channel: id });
    expect(await slackError(client.conversations.create({ name }))).toBe('name_taken');
    expect(await slackError(client.chat.postMessage({ channel: id, text: 'x' }))).toBe('is_archived');
  });

  it('refuses invalid names with the documented errors', async () => {
    const client = webClientFor(emu);
    expect(await slackError(client.conversations.create({ name: 'Inc-Upper' }))).toBe('invalid_name_specials');
    expect(await slackError(client.conversations.create({ name: 'inc checkout' }))).toBe('invalid_name_specials');
    expect(await slackError(client.conversations.create({ name: 'a'.repeat(81) }))).toBe('invalid_name_maxlength');
    expect(await slackError(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
    expect(await slackError(client.conversations.create({ name: '--_' }))).toBe('invalid_name_punctuation');
    const eighty = `${uniq('x')}-`.padEnd(80, 'z');
    expect((await client.conversations.create({ name: eighty })).channel?.name).toBe(eighty);
  });

  it('invites all or nobody unless force; already_in_channel, cant_invite_self, user_not_found', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    await client.conversations.invite({ channel: id, users: 'UALICE,UBOB' });
    expect(emu.members(id).sort()).toEqual(['UALICE', 'UBOB', emu.botUserId].sort());

    const mixed = client.conversations.invite({ channel: id, users: 'UALICE,UCAROL' });
    await expect(mixed).rejects.toMatchObject({ data: { ok: false, error: 'already_in_channel', errors: [{ user: 'UALICE', ok: false, error: 'already_in_channel' }] } });
    expect(emu.members(id)).not.toContain('UCAROL');

    expect(await slackError(client.conversations.invite({ channel: id, users: emu.botUserId }))).toBe('cant_invite_self');
    expect(await slackError(client.conversations.invite({ channel: id, users: 'UNOBODY' }))).toBe('user_not_found');
    expect(await slackError(client.conversations.invite({ channel: 'CNOPE', users: 'UCAROL' }))).toBe('channel_not_found');
    expect(await slackError(client.conversations.invite({ channel: 'COUTSIDE', users: 'UCAROL' }))).toBe('not_in_channel');

    const forced = await client.conversations.invite({ channel: id, users: `UALICE,${emu.botUserId},UCAROL`, force: true });
    expect(forced.ok).toBe(true);
    expect(emu.members(id)).toContain('UCAROL');
  });

  it('sets topic (250 chars max) and purpose', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    expect(await slackError(client.conversations.setTopic({ channel: id, topic: 't'.repeat(251) }))).toBe('too_long');
    await client.conversations.setTopic({ channel: id, topic: 't'.repeat(250) });
    await client.conversations.setPurpose({ channel: id, purpose: 'checkout 5xx' });
    const info = await client.conversations.info({ channel: id });
    expect(info.channel?.topic?.value).toHaveLength(250);
    expect(info.channel?.purpose?.value).toBe('checkout 5xx');
  });

  it('lists users and user groups', async () => {
    const client = webClientFor(emu);
    expect((await client.users.info({ user: 'UALICE' })).user).toMatchObject({ id: 'UALICE', name: 'alice', real_name: 'Alice A', is_bot: false });
    expect(await slackError(client.users.info({ user: 'UNOBODY' }))).toBe('user_not_found');
    expect((await client.usergroups.users.list({ usergroup: 'SONCALL' })).users).toEqual(['UALICE', 'UBOB']);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'SNOPE' }))).toBe('no_such_subteam');
  });
});

describe('messages', () => {
  it('posts, replies in a thread and updates in place', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const card = await client.chat.postMessage({ channel: id, text: 'card v1', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*v1*' } }] });
    expect(card.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({ channel: id, text: 'finding 1', thread_ts: card.ts ?? '' });
    const replyToReply = await client.chat.postMessage({ channel: id, text: 'finding 2', thread_ts: reply.ts ?? '' });
    expect(Number(reply.ts)).toBeGreaterThan(Number(card.ts));

    const history = await client.conversations.history({ channel: id });
    expect(history.messages?.map((m) => m.text)).toEqual(['card v1']);
    expect(history.messages?.[0]).toMatchObject({ reply_count: 2, thread_ts: card.ts });
    const thread = await client.conversations.replies({ channel: id, ts: card.ts ?? '' });
    expect(thread.messages?.map((m) => m.text)).toEqual(['card v1', 'finding 1', 'finding 2']);
    expect(emu.messages(id).find((m) => m.ts === replyToReply.ts)?.thread_ts).toBe(card.ts);

    const upd = await client.chat.update({ channel: id, ts: card.ts ?? '', text: 'card v2' });
    expect(upd).toMatchObject({ ok: true, ts: card.ts, text: 'card v2' });
    const stored = emu.messages(id).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ text: 'card v2', edited: { user: emu.botUserId } });
    expect(stored[0]?.blocks).toHaveLength(1);

    expect(await slackError(client.chat.update({ channel: id, ts: '1.000001', text: 'x' }))).toBe('message_not_found');
    const human = await emu.userPosts({ userId: 'UALICE', channelId: 'CANNOUNCE', text: 'hello' });
    expect(await slackError(client.chat.update({ channel: 'CANNOUNCE', ts: human.ts, text: 'x' }))).toBe('cant_update_message');
    expect((await client.chat.getPermalink({ channel: id, message_ts: card.ts ?? '' })).permalink).toContain(`/archives/${id}/p`);
  });

  it('posts to public channels it is not in (chat:write.public) but not to unknown ones', async () => {
    const client = webClientFor(emu);
    await client.chat.postMessage({ channel: 'COUTSIDE', text: 'fyi' });
    expect(emu.messages('COUTSIDE').map((m) => m.text)).toContain('fyi');
    expect(await slackError(client.chat.postMessage({ channel: 'CNOPE', text: 'x' }))).toBe('channel_not_found');
  });

  it('refuses messages without text or blocks, and text over 40,000 characters', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    expect(await slackError(client.apiCall('chat.postMessage', { channel: id }))).toBe('no_text');
    expect(await slackError(client.chat.postMessage({ channel: id, text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
    await client.chat.postMessage({ channel: id, text: 'x'.repeat(40_000) });
    expect(emu.messages(id)).toHaveLength(1);
  });

  it('enforces the Block Kit limits with invalid_blocks', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const button = (i: number, text = `b${i}`) => ({ type: 'button', action_id: `a${i}`, text: { type: 'plain_text', text } });
    const ctx = (i: number) => ({ type: 'mrkdwn', text: `c${i}` });
    const bad: unknown[][] = [
      Array.from({ length: 51 }, (_, i) => section(`s${i}`)),
      [section('s'.repeat(3001))],
      [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      [{ type: 'actions', elements: [button(1, 'b'.repeat(76))] }],
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(i)) }],
      [{ type: 'context', elements: Array.from({ length: 11 }, (_, i) => ctx(i)) }],
      [{ type: 'section', fields: Array.from({ length: 11 }, (_, i) => ctx(i)) }],
      [{ type: 'no_such_block' }],
    ];
    for (const blocks of bad) {
      expect(await slackError(client.chat.postMessage({ channel: id, text: 'fallback', blocks: blocks as never }))).toBe('invalid_blocks');
    }
    const good: unknown[][] = [
      Array.from({ length: 50 }, (_, i) => section(`s${i}`)),
      [section('s'.repeat(3000)), { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } }],
      [{ type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button(i, 'b'.repeat(75))) }],
      [{ type: 'context', elements: Array.from({ length: 10 }, (_, i) => ctx(i)) }, { type: 'section', fields: Array.from({ length: 10 }, (_, i) => ctx(i)) }],
    ];
    for (const blocks of good) await client.chat.postMessage({ channel: id, text: 'fallback', blocks: blocks as never });
    expect(emu.messages(id)).toHaveLength(good.length);
    const card = emu.messages(id)[0];
    expect(await slackError(client.chat.update({ channel: id, ts: card?.ts ?? '', text: 'x', blocks: bad[0] as never }))).toBe('invalid_blocks');
  });

  it('pins once: already_pinned, message_not_found, not_in_channel', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const { ts } = await client.chat.postMessage({ channel: id, text: 'card' });
    await client.pins.add({ channel: id, timestamp: ts ?? '' });
    expect(emu.pins(id).map((p) => p.ts)).toEqual([ts]);
    expect(await slackError(client.pins.add({ channel: id, timestamp: ts ?? '' }))).toBe('already_pinned');
    expect(await slackError(client.pins.add({ channel: id, timestamp: '1.000001' }))).toBe('message_not_found');
    const outside = await client.chat.postMessage({ channel: 'COUTSIDE', text: 'x' });
    expect(await slackError(client.pins.add({ channel: 'COUTSIDE', timestamp: outside.ts ?? '' }))).toBe('not_in_channel');
    const list = await client.pins.list({ channel: id });
    expect(list.items?.[0]).toMatchObject({ type: 'message', created_by: emu.botUserId, message: { ts, text: 'card' } });
    await client.reactions.add({ channel: id, timestamp: ts ?? '', name: 'eyes' });
    expect(await slackError(client.reactions.add({ channel: id, timestamp: ts ?? '', name: 'eyes' }))).toBe('already_reacted');
  });

  it('adds link bookmarks and posts ephemerals to channel members', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    await client.conversations.invite({ channel: id, users: 'UALICE' });
    await client.bookmarks.add({ channel_id: id, title: 'Post-mortem', type: 'link', link: 'http://127.0.0.1/pm/1' });
    expect(emu.bookmarks().filter((b) => b.channel_id === id)).toMatchObject([{ title: 'Post-mortem', link: 'http://127.0.0.1/pm/1', type: 'link' }]);
    expect(await slackError(client.bookmarks.add({ channel_id: id, title: 'x', type: 'link', link: 'javascript:alert(1)' }))).toBe('invalid_link');
    await client.chat.postEphemeral({ channel: id, user: 'UALICE', text: 'only you' });
    expect(emu.ephemerals().filter((e) => e.channel === id)).toMatchObject([{ user: 'UALICE', text: 'only you', source: 'api' }]);
    expect(await slackError(client.chat.postEphemeral({ channel: id, user: 'UBOB', text: 'x' }))).toBe('user_not_in_channel');
  });
});

describe('files', () => {
  it('files.uploadV2 (getUploadURLExternal, upload POST, completeUploadExternal) ends as a file message', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const { ts } = await client.chat.postMessage({ channel: id, text: 'card' });
    const content = '# Post-mortem\n\nÜmlaut and 5xx.\n';
    await client.files.uploadV2({ channel_id: id, filename: 'postmortem.md', title: 'Post-mortem', content, initial_comment: 'Draft', thread_ts: ts ?? '' });
    expect(emu.callsTo('files.getUploadURLExternal')).not.toHaveLength(0);
    const msg = emu.messages(id).find((m) => m.files !== undefined);
    expect(msg).toMatchObject({ text: 'Draft', thread_ts: ts, upload: true, files: [{ name: 'postmortem.md', title: 'Post-mortem', mimetype: 'text/markdown' }] });
    const file = emu.files().find((f) => f.id === msg?.files?.[0]?.id);
    expect(file).toMatchObject({ content, size: Buffer.byteLength(content), channels: [id], completed: true });
    const served = await fetch(file?.url_private ?? '');
    expect(await served.text()).toBe(content);
    expect(await slackError(client.files.completeUploadExternal({ files: [{ id: 'FNOPE' }], channel_id: id }))).toBe('file_not_found');
  });
});

describe('rate limits and faults', () => {
  it('a 429 with Retry-After is retried by the WebClient and the message lands once', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const limited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (sec: number) => limited.push(sec));
    emu.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
    const r = await client.chat.postMessage({ channel: id, text: 'after 429' });
    expect(r.ok).toBe(true);
    expect(limited).toEqual([1]);
    const attempts = emu.callsTo('chat.postMessage').filter((c) => c.args['channel'] === id);
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(emu.messages(id).map((m) => m.text)).toEqual(['after 429']);
  });

  it('a burst of 5xx is retried until success, and nothing is written by the failed attempts', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    emu.failNext('chat.postMessage', 2, { status: 500 });
    emu.failNext('chat.postMessage', 1, { status: 503 });
    await client.chat.postMessage({ channel: id, text: 'after 5xx' });
    expect(emu.callsTo('chat.postMessage').filter((c) => c.args['channel'] === id).map((c) => c.status)).toEqual([500, 500, 503, 200]);
    expect(emu.messages(id)).toHaveLength(1);
    emu.failNext('pins.add', 1, { error: 'internal_error' });
    expect(await slackError(client.pins.add({ channel: id, timestamp: emu.messages(id)[0]?.ts ?? '' }))).toBe('internal_error');
    expect(emu.pins(id)).toEqual([]);
  });

  it('limits chat.postMessage per channel and per method, answering 429 + Retry-After', async () => {
    const limited = await startSlackEmulator({ signingSecret: SECRET, rateLimits: { postMessagePerChannel: { perSecond: 1, burst: 2 }, methods: { 'conversations.create': { perMinute: 2 } } } });
    try {
      const client = webClientFor(limited, { rejectRateLimitedCalls: true });
      const a = (await client.conversations.create({ name: 'a' })).channel?.id ?? '';
      const b = (await client.conversations.create({ name: 'b' })).channel?.id ?? '';
      await expect(client.conversations.create({ name: 'c' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => client.chat.postMessage({ channel: a, text: `m${i}` })));
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThanOrEqual(2);
      for (const r of rejected) expect(r.reason).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: expect.any(Number) });
      expect(limited.messages(a)).toHaveLength(4 - rejected.length);
      // Another channel has its own budget.
      await client.chat.postMessage({ channel: b, text: 'other channel' });
      const raw = await fetch(`${limited.apiUrl}conversations.create`, { method: 'POST', headers: { authorization: `Bearer ${limited.botToken}` }, body: new URLSearchParams({ name: 'd' }) });
      expect(raw.status).toBe(429);
      expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
    } finally {
      await limited.stop();
    }
  });

  it('adds latencyMs to every call', async () => {
    const slow = await startSlackEmulator({ signingSecret: SECRET, latencyMs: 120 });
    try {
      const t0 = performance.now();
      await webClientFor(slow).auth.test();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.stop();
    }
  });
});

describe('signed delivery', () => {
  it('signs slash commands exactly as Slack does (independent HMAC); a tampered body does not verify', async () => {
    const bot = await startCaptureServer(() => ({ status: 200, body: JSON.stringify({ response_type: 'ephemeral', text: 'ack' }) }));
    emu.setBotUrl(bot.url);
    try {
      const r = await emu.sendSlashCommand({ command: '/incident', text: 'declare sev2 checkout 5xx', userId: 'UALICE', channelId: 'CANNOUNCE' });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ response_type: 'ephemeral', text: 'ack' });
      const req = bot.requests.at(-1);
      expect(req?.path).toBe('/slack/events');
      expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const ts = String(req?.headers['x-slack-request-timestamp']);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
      const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${req?.body ?? ''}`).digest('hex')}`;
      expect(req?.headers['x-slack-signature']).toBe(expected);
      const tampered = (req?.body ?? '').replace('sev2', 'sev1');
      expect(`v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${tampered}`).digest('hex')}`).not.toBe(expected);

      const form = new URLSearchParams(req?.body ?? '');
      for (const field of ['token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name', 'command', 'text', 'api_app_id', 'is_enterprise_install', 'response_url', 'trigger_id']) {
        expect(form.has(field), field).toBe(true);
      }
      expect(Object.fromEntries(form)).toMatchObject({ command: '/incident', text: 'declare sev2 checkout 5xx', user_id: 'UALICE', user_name: 'alice', channel_id: 'CANNOUNCE', channel_name: 'incidents', team_id: emu.teamId });
      expect(form.get('response_url')?.startsWith(emu.baseUrl)).toBe(true);

      // Hostile variants: a stale timestamp, a wrong secret, a body changed after signing.
      await emu.sendSlashCommand({ command: '/incident', userId: 'UALICE', channelId: 'CANNOUNCE' }, { staleBySeconds: 600 });
      expect(Number(bot.requests.at(-1)?.headers['x-slack-request-timestamp'])).toBeLessThan(Date.now() / 1000 - 590);
      await emu.sendSlashCommand({ command: '/incident', userId: 'UALICE', channelId: 'CANNOUNCE' }, { badSignature: true });
      const bad = bot.requests.at(-1);
      expect(bad?.headers['x-slack-signature']).not.toBe(`v0=${createHmac('sha256', SECRET).update(`v0:${String(bad?.headers['x-slack-request-timestamp'])}:${bad?.body ?? ''}`).digest('hex')}`);
      await emu.sendSlashCommand({ command: '/incident', text: 'a', userId: 'UALICE', channelId: 'CANNOUNCE' }, { tamperBody: (b) => b.replace('text=a', 'text=b') });
      const t = bot.requests.at(-1);
      expect(t?.body).toContain('text=b');
      expect(t?.headers['x-slack-signature']).not.toBe(`v0=${createHmac('sha256', SECRET).update(`v0:${String(t?.headers['x-slack-request-timestamp'])}:${t?.body ?? ''}`).digest('hex')}`);
    } finally {
      emu.setBotUrl(undefined);
      await bot.stop();
    }
  });

  it('delivers Events API callbacks for pins and reactions made by people', async () => {
    const bot = await startCaptureServer();
    emu.setBotUrl(bot.url);
    try {
      const client = webClientFor(emu);
      const id = await newChannel();
      const { ts } = await client.chat.postMessage({ channel: id, text: 'finding' });
      await emu.userPins({ userId: 'UALICE', channelId: id, ts: ts ?? '' });
      await emu.userReacts({ userId: 'UBOB', channelId: id, ts: ts ?? '', reaction: 'white_check_mark' });
      expect(emu.pins(id)).toMatchObject([{ ts, created_by: 'UALICE' }]);
      expect(emu.messages(id)[0]?.reactions).toEqual([{ name: 'white_check_mark', users: ['UBOB'], count: 1 }]);
      const [pin, reaction] = bot.requests.slice(-2).map((r) => JSON.parse(r.body) as Record<string, unknown>);
      expect(pin).toMatchObject({ type: 'event_callback', team_id: emu.teamId, event: { type: 'pin_added', user: 'UALICE', channel_id: id, item: { type: 'message', message: { ts } } } });
      expect(typeof pin?.['event_id']).toBe('string');
      expect(typeof pin?.['event_time']).toBe('number');
      expect(reaction).toMatchObject({ event: { type: 'reaction_added', user: 'UBOB', reaction: 'white_check_mark', item: { type: 'message', channel: id, ts } } });
      const last = bot.requests.at(-1);
      expect(last?.headers['x-slack-signature']).toBe(`v0=${createHmac('sha256', SECRET).update(`v0:${String(last?.headers['x-slack-request-timestamp'])}:${last?.body ?? ''}`).digest('hex')}`);
      await emu.sendEvent({ type: 'reaction_removed', user: 'UBOB', reaction: 'x', item: { type: 'message', channel: id, ts } }, { retryNum: 1, retryReason: 'http_timeout' });
      expect(bot.requests.at(-1)?.headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    } finally {
      emu.setBotUrl(undefined);
      await bot.stop();
    }
  });
});

describe('with a real Bolt app', () => {
  let app: App;
  const seen: { command?: Record<string, unknown>; action?: Record<string, unknown>; view?: Record<string, unknown> } = {};
  let viewsOpen: { first?: string; second?: string } = {};

  beforeAll(async () => {
    const port = await freePort();
    app = new App({ token: emu.botToken, signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: emu.apiUrl } });
    app.command('/incident', async ({ command, ack, respond, client }) => {
      seen.command = { ...command };
      await ack({ response_type: 'ephemeral', text: 'working on it' });
      if (command.text === 'modal') {
        const view = { type: 'modal' as const, callback_id: 'declare', title: { type: 'plain_text' as const, text: 'Declare' }, blocks: [{ type: 'input', block_id: 'title', label: { type: 'plain_text', text: 'Title' }, element: { type: 'plain_text_input', action_id: 'v' } }] };
        viewsOpen = {};
        viewsOpen.first = (await client.views.open({ trigger_id: command.trigger_id, view })).view?.id;
        viewsOpen.second = await slackError(client.views.open({ trigger_id: command.trigger_id, view }));
        return;
      }
      await respond({ response_type: 'in_channel', text: `declared: ${command.text}` });
      await respond({ response_type: 'ephemeral', text: 'only for you' });
    });
    app.action('approve', async ({ ack, body, respond }) => {
      await ack();
      seen.action = body as unknown as Record<string, unknown>;
      await respond({ replace_original: true, text: 'approved by alice' });
    });
    app.view('declare', async ({ ack, view }) => {
      seen.view = view.state.values;
      await ack({ response_action: 'errors', errors: { title: 'too short' } });
    });
    await app.start(port);
    emu.setBotUrl(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    emu.setBotUrl(undefined);
    await app.stop();
  });

  it('Bolt verifies the signature, acks the command, and response_url posts are recorded', async () => {
    const id = await newChannel();
    await webClientFor(emu).conversations.invite({ channel: id, users: 'UALICE' });
    const r = await emu.sendSlashCommand({ command: '/incident', text: 'sev2 checkout', userId: 'UALICE', channelId: id });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ response_type: 'ephemeral', text: 'working on it' });
    expect(seen.command).toMatchObject({ command: '/incident', text: 'sev2 checkout', user_id: 'UALICE', channel_id: id });
    await waitFor(() => emu.responses().filter((x) => x.origin.channel === id).length === 2, { timeoutMs: 5000, what: 'response_url posts' });
    expect(emu.messages(id).map((m) => ({ text: m.text, user: m.user }))).toEqual([{ text: 'declared: sev2 checkout', user: emu.botUserId }]);
    expect(emu.ephemerals().filter((e) => e.channel === id)).toMatchObject([{ user: 'UALICE', text: 'only for you', source: 'response_url' }]);
  });

  it('Bolt refuses a stale timestamp, a wrong signature and a tampered body with 401', async () => {
    const before = seen.command;
    seen.command = undefined;
    for (const opts of [{ staleBySeconds: 301 }, { badSignature: true }, { tamperBody: (b: string) => b.replace('hostile', 'friendly') }, { unsigned: true }]) {
      const r = await emu.sendSlashCommand({ command: '/incident', text: 'hostile', userId: 'UALICE', channelId: 'CANNOUNCE' }, opts);
      expect(r.status).toBe(401);
    }
    expect(seen.command).toBeUndefined();
    seen.command = before;
  });

  it('delivers block_actions with the stored message; replace_original updates it', async () => {
    const client = webClientFor(emu);
    const id = await newChannel();
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'Roll back checkout to revision 41?' } },
      { type: 'actions', block_id: 'proposal:p1', elements: [{ type: 'button', action_id: 'approve', value: 'p1', style: 'primary', text: { type: 'plain_text', text: 'Approve' } }] },
    ];
    const { ts } = await client.chat.postMessage({ channel: id, text: 'proposal', blocks });
    const r = await emu.clickButton({ actionId: 'approve', userId: 'UALICE', channelId: id, messageTs: ts ?? '' });
    expect(r.status).toBe(200);
    expect(seen.action).toMatchObject({
      type: 'block_actions',
      user: { id: 'UALICE', username: 'alice' },
      channel: { id },
      container: { type: 'message', message_ts: ts, channel_id: id },
      message: { ts, text: 'proposal' },
      actions: [{ action_id: 'approve', block_id: 'proposal:p1', value: 'p1', type: 'button' }],
    });
    expect(typeof seen.action?.['trigger_id']).toBe('string');
    await waitFor(() => emu.messages(id)[0]?.text === 'approved by alice', { timeoutMs: 5000, what: 'replace_original' });
    expect(emu.messages(id)).toHaveLength(1);
  });

  it('views.open takes a fresh trigger_id once; view_submission carries the state', async () => {
    const id = await newChannel();
    await webClientFor(emu).conversations.invite({ channel: id, users: 'UBOB' });
    await emu.sendSlashCommand({ command: '/incident', text: 'modal', userId: 'UBOB', channelId: id });
    await waitFor(() => viewsOpen.second, { timeoutMs: 5000, what: 'views.open' });
    expect(viewsOpen.second).toBe('exchanged_trigger_id');
    const view = emu.views().find((v) => v.id === viewsOpen.first);
    expect(view).toMatchObject({ type: 'modal', callback_id: 'declare', user: 'UBOB' });
    const r = await emu.submitView({ viewId: view?.id ?? '', values: { title: { v: { type: 'plain_text_input', value: 'x' } } } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ response_action: 'errors', errors: { title: 'too short' } });
    expect(seen.view).toEqual({ title: { v: { type: 'plain_text_input', value: 'x' } } });
  });
});

describe('App Home and shortcuts', () => {
  const home = { type: 'home' as const, blocks: [{ type: 'section', block_id: 'row', text: { type: 'mrkdwn', text: 'INC-1' }, accessory: { type: 'button', action_id: 'home_ack', value: 'INC-1', text: { type: 'plain_text', text: 'Acknowledge' } } }] };

  it('views.publish stores one Home tab per user: a new hash each time, hash_conflict on a stale one, Slack\'s refusals', async () => {
    const client = webClientFor(emu);
    const first = await client.views.publish({ user_id: 'UCAROL', view: home });
    expect(first.view).toMatchObject({ type: 'home', blocks: home.blocks });
    const second = await client.views.publish({ user_id: 'UCAROL', view: home, hash: first.view?.hash ?? '' });
    expect(second.view?.id).toBe(first.view?.id);
    expect(second.view?.hash).not.toBe(first.view?.hash);
    expect(emu.home('UCAROL')).toMatchObject({ id: first.view?.id, user: 'UCAROL', hash: second.view?.hash });
    expect(await slackError(client.views.publish({ user_id: 'UCAROL', view: home, hash: first.view?.hash ?? '' }))).toBe('hash_conflict');
    expect(await slackError(client.views.publish({ user_id: 'UNOBODY', view: home }))).toBe('user_not_found');
    expect(await slackError(client.views.publish({ user_id: 'UCAROL', view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } }))).toBe('invalid_arguments');
    expect(await slackError(client.views.publish({ user_id: 'UCAROL', view: { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) } }))).toBe('invalid_arguments');
    const big = { type: 'home' as const, blocks: Array.from({ length: 90 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(2990) } })) };
    expect(await slackError(client.views.publish({ user_id: 'UCAROL', view: big }))).toBe('view_too_large');
    const off = await startSlackEmulator({ signingSecret: SECRET, users, homeTabEnabled: false });
    try {
      expect(await slackError(webClientFor(off).views.publish({ user_id: 'UALICE', view: home }))).toBe('not_enabled');
    } finally {
      await off.stop();
    }
  });

  describe('delivered to a real Bolt app', () => {
    let app: App;
    const seen: Record<string, Record<string, unknown>> = {};
    let opened: string | undefined;

    beforeAll(async () => {
      const port = await freePort();
      app = new App({ token: emu.botToken, signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: emu.apiUrl } });
      app.event('app_home_opened', async ({ event }) => {
        seen['home'] = event as unknown as Record<string, unknown>;
      });
      app.action('home_ack', async ({ ack, body }) => {
        await ack();
        seen['homeClick'] = body as unknown as Record<string, unknown>;
      });
      app.shortcut('declare_shortcut', async ({ ack, body, client }) => {
        await ack();
        seen['global'] = body as unknown as Record<string, unknown>;
        opened = (await client.views.open({ trigger_id: body.trigger_id, view: { type: 'modal', title: { type: 'plain_text', text: 'Declare' }, blocks: [] } })).view?.id;
      });
      app.shortcut('add_to_timeline', async ({ ack, body, respond }) => {
        await ack();
        seen['message'] = body as unknown as Record<string, unknown>;
        await respond({ response_type: 'ephemeral', text: 'added' });
      });
      await app.start(port);
      emu.setBotUrl(`http://127.0.0.1:${port}`);
    });
    afterAll(async () => {
      emu.setBotUrl(undefined);
      await app.stop();
    });

    it('app_home_opened carries the published view; a Home button is a block_actions with a view container', async () => {
      await webClientFor(emu).views.publish({ user_id: 'UDAVE', view: home });
      const r = await emu.openHome('UDAVE');
      expect(r.status).toBe(200);
      expect(seen['home']).toMatchObject({ type: 'app_home_opened', user: 'UDAVE', tab: 'home', view: { type: 'home', id: emu.home('UDAVE')?.id } });
      const c = await emu.clickHomeButton({ userId: 'UDAVE', actionId: 'home_ack', value: 'INC-1' });
      expect(c.status).toBe(200);
      expect(seen['homeClick']).toMatchObject({ type: 'block_actions', user: { id: 'UDAVE' }, container: { type: 'view', view_id: emu.home('UDAVE')?.id }, view: { type: 'home' }, actions: [{ action_id: 'home_ack', value: 'INC-1', block_id: 'row' }] });
      expect(seen['homeClick']?.['response_url']).toBeUndefined();
      // Only buttons that are on the published tab can be clicked.
      await expect(emu.clickHomeButton({ userId: 'UDAVE', actionId: 'home_ack', value: 'INC-9' })).rejects.toThrow(/no home_ack button/);
      await expect(emu.clickHomeButton({ userId: 'UALICE', actionId: 'home_ack' })).rejects.toThrow(/no published Home tab/);
    });

    it('a global shortcut brings a trigger_id views.open accepts; a message shortcut brings the message and a response_url', async () => {
      const r = await emu.globalShortcut({ userId: 'UBOB', callbackId: 'declare_shortcut' });
      expect(r.status).toBe(200);
      expect(seen['global']).toMatchObject({ type: 'shortcut', callback_id: 'declare_shortcut', user: { id: 'UBOB' }, trigger_id: r.triggerId });
      await waitFor(() => opened, { timeoutMs: 5000, what: 'views.open from the shortcut' });
      expect(emu.views().find((v) => v.id === opened)).toMatchObject({ user: 'UBOB', type: 'modal' });

      const id = await newChannel();
      await webClientFor(emu).conversations.invite({ channel: id, users: 'UBOB' });
      const { ts } = await emu.userPosts({ userId: 'UBOB', channelId: id, text: 'the cache is cold' });
      const m = await emu.messageShortcut({ userId: 'UALICE', callbackId: 'add_to_timeline', channelId: id, messageTs: ts });
      expect(m.status).toBe(200);
      expect(seen['message']).toMatchObject({ type: 'message_action', callback_id: 'add_to_timeline', user: { id: 'UALICE' }, channel: { id }, message_ts: ts, message: { ts, text: 'the cache is cold', user: 'UBOB' } });
      expect(typeof seen['message']?.['response_url']).toBe('string');
      await waitFor(() => emu.ephemerals().find((e) => e.channel === id && e.user === 'UALICE' && e.text === 'added'), { timeoutMs: 5000, what: 'the ephemeral reply' });
      await expect(emu.messageShortcut({ userId: 'UALICE', callbackId: 'add_to_timeline', channelId: id, messageTs: '1.000001' })).rejects.toThrow(/no message/);
    });
  });
});

describe('trigger ids and response urls age', () => {
  it('expired_trigger_id after 3 s, invalid_trigger_id when unknown; a response_url takes 5 posts', async () => {
    let offset = 0;
    const aging = await startSlackEmulator({ signingSecret: SECRET, users, channels: [{ id: 'CGEN', name: 'general' }], now: () => Date.now() + offset });
    const bot = await startCaptureServer();
    aging.setBotUrl(bot.url);
    try {
      const client = webClientFor(aging);
      const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'T' }, blocks: [] };
      const trigger = aging.issueTriggerId('UALICE');
      offset = 3001;
      expect(await slackError(client.views.open({ trigger_id: trigger, view }))).toBe('expired_trigger_id');
      expect(await slackError(client.views.open({ trigger_id: 'made.up.trigger', view }))).toBe('invalid_trigger_id');
      offset = 0;

      const { responseUrl } = await aging.sendSlashCommand({ command: '/incident', userId: 'UALICE', channelId: 'CGEN' });
      const post = (text: string) => fetch(responseUrl ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      for (let i = 1; i <= 5; i += 1) expect((await post(`r${i}`)).status).toBe(200);
      const sixth = await post('r6');
      expect(sixth.status).toBe(404);
      expect(aging.ephemerals().map((e) => e.text)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);

      const late = await aging.sendSlashCommand({ command: '/incident', userId: 'UALICE', channelId: 'CGEN' });
      offset = 31 * 60 * 1000;
      expect((await fetch(late.responseUrl ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"late"}' })).status).toBe(404);
    } finally {
      await bot.stop();
      await aging.stop();
    }
  });
});

describe('GET /_sandbox/state', () => {
  it('returns channels with messages, threads, pins and files, and the users', async () => {
    const client = webClientFor(emu);
    const id = await newChannel('state');
    const { ts } = await client.chat.postMessage({ channel: id, text: 'root' });
    await client.chat.postMessage({ channel: id, text: 'reply', thread_ts: ts ?? '' });
    await client.pins.add({ channel: id, timestamp: ts ?? '' });
    await client.files.uploadV2({ channel_id: id, filename: 'pm.md', content: 'pm' });
    const res = await fetch(`${emu.baseUrl}/_sandbox/state`);
    expect(res.headers.get('content-type')).toContain('application/json');
    const state = (await res.json()) as {
      users: { id: string }[];
      channels: { id: string; messages: { text: string; replies: { text: string }[]; files?: unknown[] }[]; pins: { ts: string }[] }[];
      files: { channels: string[] }[];
    };
    const ch = state.channels.find((c) => c.id === id);
    expect(ch?.messages.map((m) => m.text)).toEqual(['root', '']);
    expect(ch?.messages[0]?.replies.map((r) => r.text)).toEqual(['reply']);
    expect(ch?.messages[1]?.files).toHaveLength(1);
    expect(ch?.pins.map((p) => p.ts)).toEqual([ts]);
    expect(state.files.some((f) => f.channels.includes(id))).toBe(true);
    expect(state.users.map((u) => u.id)).toEqual(expect.arrayContaining(['UALICE', emu.botUserId]));
  });
});
