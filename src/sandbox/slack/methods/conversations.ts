/** conversations.*: create, invite, topic and purpose, info, history, replies, archive/join/members, list, open. */
import { parseArgs, schemas } from '../args.js';
import { channelNameError } from '../validate.js';
import { INVITE_MAX, TOPIC_MAX, decodeCursor, encodeCursor, fail, ok, tsNum, type MethodResult, type ChannelState, type Workspace } from '../workspace.js';
import { channelJson } from '../shapes.js';

export function conversationsCreate(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['conversations.create'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const name = a.value.name ?? '';
  const bad = channelNameError(name);
  if (bad) return fail(bad);
  // Archived channels keep their names (protocols 5.1).
  if (ws.channelByName(name)) return fail('name_taken');
  const ch = ws.addChannel(name, a.value.is_private ?? false, ws.opts.botUserId, Math.floor(now / 1000));
  return ok({ channel: channelJson(ws, ch) });
}

export function conversationsInvite(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.invite'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  if (ch.info.is_im) return fail('method_not_supported_for_channel_type');
  if (!ws.isMember(ch)) return fail('not_in_channel');
  const ids = (a.value.users ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) return fail('no_user');
  if (ids.length > INVITE_MAX) return fail('too_many_users');
  const errors: { user: string; ok: false; error: string }[] = [];
  const valid: string[] = [];
  for (const id of ids) {
    const error = id === ws.opts.botUserId ? 'cant_invite_self' : !ws.users.has(id) ? 'user_not_found' : ch.members.has(id) ? 'already_in_channel' : undefined;
    if (error) errors.push({ user: id, ok: false, error });
    else valid.push(id);
  }
  // docs.slack.dev conversations.invite "Partially failed calls": without `force`, nobody is
  // invited when any invite fails; the error names the first failure and `errors` lists each.
  const first = errors[0];
  if (first && !a.value.force) return fail(first.error, { errors });
  for (const id of valid) ch.members.add(id);
  if (valid.length > 0) ws.touch();
  return ok({ channel: channelJson(ws, ch), ...(errors.length > 0 ? { errors } : {}) });
}

export function setTopicOrPurpose(ws: Workspace, method: 'conversations.setTopic' | 'conversations.setPurpose', args: Record<string, unknown>, now: number): MethodResult {
  const isTopic = method === 'conversations.setTopic';
  const a = isTopic ? parseArgs(schemas['conversations.setTopic'], args) : parseArgs(schemas['conversations.setPurpose'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const value = 'topic' in a.value ? a.value.topic : a.value.purpose;
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  if (!ws.isMember(ch)) return fail('not_in_channel');
  if ([...value].length > TOPIC_MAX) return fail('too_long');
  const tv = { value, creator: ws.opts.botUserId, last_set: Math.floor(now / 1000) };
  if (isTopic) ch.info.topic = tv;
  else ch.info.purpose = tv;
  ws.touch();
  return ok({ channel: channelJson(ws, ch) });
}

export function conversationsInfo(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.info'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  return ok({ channel: channelJson(ws, ch) });
}

export function conversationsHistory(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.history'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  if (!ws.isMember(ch)) return fail('not_in_channel');
  const latest = a.value.latest ? tsNum(a.value.latest) : Infinity;
  const oldest = a.value.oldest ? tsNum(a.value.oldest) : 0;
  const inclusive = a.value.inclusive ?? false;
  const top = ch.messages
    .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
    .filter((m) => {
      const t = tsNum(m.ts);
      return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
    })
    .reverse();
  const limit = Math.min(Math.max(a.value.limit ?? 100, 1), 999);
  const start = decodeCursor(a.value.cursor);
  const page = top.slice(start, start + limit);
  const hasMore = start + limit < top.length;
  return ok({
    messages: structuredClone(page),
    has_more: hasMore,
    pin_count: ch.pins.length,
    response_metadata: { next_cursor: hasMore ? encodeCursor(start + limit) : '' },
  });
}

export function conversationsReplies(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.replies'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  const m = a.value.ts ? ch.messages.find((x) => x.ts === a.value.ts) : undefined;
  if (!m) return fail('thread_not_found');
  const rootTs = m.thread_ts ?? m.ts;
  const thread = ch.messages.filter((x) => x.ts === rootTs || x.thread_ts === rootTs);
  const limit = Math.min(Math.max(a.value.limit ?? 1000, 1), 1000);
  const start = decodeCursor(a.value.cursor);
  const page = thread.slice(start, start + limit);
  const hasMore = start + limit < thread.length;
  return ok({ messages: structuredClone(page), has_more: hasMore, response_metadata: { next_cursor: hasMore ? encodeCursor(start + limit) : '' } });
}

export function channelOp(ws: Workspace, method: 'conversations.archive' | 'conversations.unarchive' | 'conversations.join' | 'conversations.members', args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.channel'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel);
  if (!ch) return fail('channel_not_found');
  switch (method) {
    case 'conversations.members':
      return ok({ members: [...ch.members], response_metadata: { next_cursor: '' } });
    case 'conversations.join':
      if (ch.info.is_private || ch.info.is_im) return fail('method_not_supported_for_channel_type');
      if (ch.info.is_archived) return fail('is_archived');
      if (ws.isMember(ch)) return ok({ channel: channelJson(ws, ch), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } });
      ch.members.add(ws.opts.botUserId);
      ws.touch();
      return ok({ channel: channelJson(ws, ch) });
    case 'conversations.archive':
      if (ch.info.is_general) return fail('cant_archive_general');
      if (ch.info.is_archived) return fail('already_archived');
      if (!ws.isMember(ch)) return fail('not_in_channel');
      ch.info.is_archived = true;
      ws.touch();
      return ok();
    case 'conversations.unarchive':
      if (!ch.info.is_archived) return fail('not_archived');
      ch.info.is_archived = false;
      ws.touch();
      return ok();
  }
}

export function conversationsList(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['conversations.list'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const types = new Set((a.value.types ?? 'public_channel').split(',').map((s) => s.trim()));
  const all = [...ws.channels.values()].filter((c) => {
    if (a.value.exclude_archived && c.info.is_archived) return false;
    if (c.info.is_im) return types.has('im') && ws.isMember(c);
    if (c.info.is_private) return types.has('private_channel') && ws.isMember(c);
    return types.has('public_channel');
  });
  const limit = Math.min(Math.max(a.value.limit ?? 100, 1), 1000);
  const start = decodeCursor(a.value.cursor);
  const page = all.slice(start, start + limit);
  const hasMore = start + limit < all.length;
  return ok({ channels: page.map((c) => channelJson(ws, c)), response_metadata: { next_cursor: hasMore ? encodeCursor(start + limit) : '' } });
}

export function imWith(ws: Workspace, user: string, now: number): ChannelState {
  const existing = [...ws.channels.values()].find((c) => c.info.is_im && c.info.user === user);
  if (existing) return existing;
  const ch = ws.addChannel(user, true, ws.opts.botUserId, Math.floor(now / 1000), undefined, user);
  ch.members.add(user);
  return ch;
}

export function conversationsOpen(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['conversations.open'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  if (a.value.channel) {
    const ch = ws.visibleChannel(a.value.channel);
    return ch ? ok({ channel: { id: ch.info.id } }) : fail('channel_not_found');
  }
  const users = (a.value.users ?? '').split(',').filter((s) => s !== '');
  const u = users[0];
  if (!u) return fail('users_list_not_supplied');
  if (users.length > 1) return fail('not_enough_users');
  if (!ws.users.has(u)) return fail('user_not_found');
  return ok({ channel: { id: imWith(ws, u, now).info.id } });
}
