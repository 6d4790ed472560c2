/** chat.*, pins.* and reactions.*: messages, threads, ephemeral replies, permalinks, pins and reactions. */
import { decodeJsonArg, parseArgs, schemas } from '../args.js';
import { POST_TEXT_MAX, UPDATE_TEXT_MAX } from '../validate.js';
import { PIN_LIMIT, fail, ok, type MethodResult, type ChannelState, type Workspace } from '../workspace.js';
import { imWith } from './conversations.js';

/** chat.postMessage: a channel ID, a #name, or a user ID (opens the DM). */
export function resolvePostTarget(ws: Workspace, ref: string | undefined, now: number): ChannelState | undefined {
  if (!ref) return undefined;
  const ch = ws.visibleChannel(ref, true);
  if (ch) return ch;
  if (ws.users.has(ref) && ref !== ws.opts.botUserId) return imWith(ws, ref, now);
  return undefined;
}

export function chatPostMessage(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['chat.postMessage'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = resolvePostTarget(ws, a.value.channel, now);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  // A public channel the bot is not in is fine: chat:write.public (protocols 5.2).
  const b = ws.blocksArg(args);
  if ('ok' in b) return b;
  const text = a.value.text ?? '';
  if (text === '' && !b.blocks && args['attachments'] === undefined) return fail('no_text');
  if ([...text].length > POST_TEXT_MAX) return fail('msg_too_long');
  const m = ws.botMessage(text, b.blocks, now);
  if (a.value.metadata !== undefined) m.metadata = decodeJsonArg(a.value.metadata);
  if (a.value.thread_ts && a.value.reply_broadcast) m.subtype = 'thread_broadcast';
  ws.appendMessage(ch, m, a.value.thread_ts);
  return ok({ channel: ch.info.id, ts: m.ts, message: structuredClone(m) });
}

export function chatUpdate(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['chat.update'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  const m = a.value.ts ? ch.messages.find((x) => x.ts === a.value.ts) : undefined;
  if (!m) return fail('message_not_found');
  if (m.user !== ws.opts.botUserId) return fail('cant_update_message');
  if (ch.info.is_archived) return fail('is_archived');
  const b = ws.blocksArg(args);
  if ('ok' in b) return b;
  if (a.value.text === undefined && !b.blocks && args['attachments'] === undefined) return fail('no_text');
  if (a.value.text !== undefined && [...a.value.text].length > UPDATE_TEXT_MAX) return fail('msg_too_long');
  if (a.value.text !== undefined) m.text = a.value.text;
  if (b.blocks) m.blocks = b.blocks;
  m.edited = { user: ws.opts.botUserId, ts: ws.nextTs(now) };
  ws.touch();
  return ok({ channel: ch.info.id, ts: m.ts, text: m.text, message: structuredClone({ text: m.text, user: m.user, bot_id: m.bot_id, ...(m.blocks ? { blocks: m.blocks } : {}) }) });
}

export function chatDelete(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['chat.delete'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  const m = a.value.ts ? ch.messages.find((x) => x.ts === a.value.ts) : undefined;
  if (!m) return fail('message_not_found');
  if (m.user !== ws.opts.botUserId) return fail('cant_delete_message');
  ws.deleteMessage(ch.info.id, m.ts);
  return ok({ channel: ch.info.id, ts: m.ts });
}

export function chatPostEphemeral(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['chat.postEphemeral'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = resolvePostTarget(ws, a.value.channel, now);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  const user = a.value.user;
  if (!user || !ws.users.has(user)) return fail('user_not_found');
  if (!ch.members.has(user)) return fail('user_not_in_channel');
  const b = ws.blocksArg(args);
  if ('ok' in b) return b;
  const text = a.value.text ?? '';
  if (text === '' && !b.blocks && args['attachments'] === undefined) return fail('no_text');
  if ([...text].length > POST_TEXT_MAX) return fail('msg_too_long');
  const ts = ws.nextTs(now);
  ws.addEphemeral({ channel: ch.info.id, user, text, ...(b.blocks ? { blocks: b.blocks } : {}), ts, ...(a.value.thread_ts ? { thread_ts: a.value.thread_ts } : {}), source: 'api' });
  return ok({ message_ts: ts });
}

export function chatGetPermalink(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['chat.getPermalink'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  const ts = a.value.message_ts;
  if (!ts || !ch.messages.some((m) => m.ts === ts)) return fail('message_not_found');
  return ok({ channel: ch.info.id, permalink: ws.permalink(ch.info.id, ts) });
}

export function pinsChange(ws: Workspace, method: 'pins.add' | 'pins.remove', args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['pins.item'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  if (!ws.isMember(ch)) return fail('not_in_channel');
  if (ch.info.is_archived) return fail('is_archived');
  const ts = a.value.timestamp;
  if (!ts) return fail('no_item_specified');
  if (method === 'pins.remove') return ws.unpinAsUser(ch.info.id, ts) ? ok() : fail('no_pin');
  if (ch.pins.length >= PIN_LIMIT && !ch.pins.some((p) => p.ts === ts)) return fail('too_many_pins');
  const r = ws.pinAsUser(ch.info.id, ts, ws.opts.botUserId, now);
  return r === 'ok' ? ok() : fail(r);
}

export function pinsList(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['pins.list'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  const items = [...ch.pins].reverse().map((p) => ({
    type: 'message',
    created: p.created,
    created_by: p.created_by,
    channel: p.channel,
    message: structuredClone(ch.messages.find((m) => m.ts === p.ts)),
  }));
  return ok({ items });
}

export function reactionsChange(ws: Workspace, method: 'reactions.add' | 'reactions.remove', args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['reactions.item'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  const name = (a.value.name ?? '').replace(/^:|:$/gu, '');
  if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/u.test(name)) return fail('invalid_name');
  if (!a.value.timestamp) return fail('no_item_specified');
  const r = method === 'reactions.add' ? ws.react(ch.info.id, a.value.timestamp, ws.opts.botUserId, name) : ws.unreact(ch.info.id, a.value.timestamp, ws.opts.botUserId, name);
  return r === 'ok' ? ok() : fail(r);
}
