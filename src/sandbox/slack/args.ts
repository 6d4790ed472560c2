/**
 * Argument coercion for the emulated Web API. Slack accepts the same method arguments form-encoded
 * (every value a string, arrays and objects JSON-encoded, which is what @slack/web-api sends) and as
 * a JSON body; these zod helpers accept both.
 */
import { z } from 'zod';

const BOOL_STRINGS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false, '': false };

export const zBool = z.preprocess((v) => (typeof v === 'string' && v in BOOL_STRINGS ? BOOL_STRINGS[v] : typeof v === 'number' ? v !== 0 : v), z.boolean());

export const zInt = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int());

/** A string argument; numbers are accepted and stringified (ts values are sometimes sent as numbers). */
export const zStr = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());

/** Marks a JSON-encoded argument that does not parse. */
export const BAD_JSON = Symbol('bad_json');

/** A JSON-valued argument: decoded when it arrived as a form string. */
export function decodeJsonArg(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return BAD_JSON;
  }
}

export type ArgsResult<T> = { ok: true; value: T } | { ok: false; error: 'invalid_arguments'; messages: string[] };

export function parseArgs<S extends z.ZodType>(schema: S, args: Record<string, unknown>): ArgsResult<z.output<S>> {
  const r = schema.safeParse(args);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    error: 'invalid_arguments',
    messages: r.error.issues.map((i) => `[ERROR] ${i.message} [json-pointer:/${i.path.map(String).join('/')}]`),
  };
}

const optStr = zStr.optional();

export const schemas = {
  'conversations.create': z.object({ name: optStr, is_private: zBool.optional() }),
  'conversations.invite': z.object({ channel: optStr, users: optStr, force: zBool.optional() }),
  'conversations.setTopic': z.object({ channel: optStr, topic: zStr.default('') }),
  'conversations.setPurpose': z.object({ channel: optStr, purpose: zStr.default('') }),
  'conversations.info': z.object({ channel: optStr, include_num_members: zBool.optional() }),
  'conversations.history': z.object({
    channel: optStr,
    latest: optStr,
    oldest: optStr,
    inclusive: zBool.optional(),
    limit: zInt.optional(),
    cursor: optStr,
  }),
  'conversations.replies': z.object({ channel: optStr, ts: optStr, limit: zInt.optional(), cursor: optStr }),
  'conversations.channel': z.object({ channel: optStr }),
  'conversations.list': z.object({
    types: optStr,
    exclude_archived: zBool.optional(),
    limit: zInt.optional(),
    cursor: optStr,
  }),
  'conversations.open': z.object({ users: optStr, channel: optStr }),
  'chat.postMessage': z.object({
    channel: optStr,
    text: optStr,
    thread_ts: optStr,
    reply_broadcast: zBool.optional(),
    metadata: z.unknown().optional(),
  }),
  'chat.update': z.object({ channel: optStr, ts: optStr, text: optStr }),
  'chat.delete': z.object({ channel: optStr, ts: optStr }),
  'chat.postEphemeral': z.object({ channel: optStr, user: optStr, text: optStr, thread_ts: optStr }),
  'chat.getPermalink': z.object({ channel: optStr, message_ts: optStr }),
  'pins.item': z.object({ channel: optStr, timestamp: optStr }),
  'pins.list': z.object({ channel: optStr }),
  'reactions.item': z.object({ channel: optStr, timestamp: optStr, name: optStr }),
  'users.info': z.object({ user: optStr }),
  'usergroups.list': z.object({ include_users: zBool.optional() }),
  'usergroups.users.list': z.object({ usergroup: optStr }),
  'files.getUploadURLExternal': z.object({ filename: zStr, length: zInt, alt_text: optStr, snippet_type: optStr }),
  'files.completeUploadExternal': z.object({
    files: z.preprocess(decodeJsonArg, z.array(z.object({ id: zStr, title: optStr })).min(1)),
    channel_id: optStr,
    channels: optStr,
    thread_ts: optStr,
    initial_comment: optStr,
  }),
  'bookmarks.add': z.object({ channel_id: optStr, title: zStr, type: zStr, link: optStr, emoji: optStr }),
  'bookmarks.list': z.object({ channel_id: optStr }),
  'views.open': z.object({ trigger_id: optStr }),
  'views.update': z.object({ view_id: optStr, external_id: optStr, hash: optStr }),
  'views.publish': z.object({ user_id: optStr, hash: optStr }),
};
