/**
 * The emulated Slack workspace: its state and the Web API methods that read and change it.
 * No HTTP here: `call(method, args, now)` answers what Slack would answer, shaped like Slack's JSON
 * (docs.slack.dev/reference/methods/*, protocols 5.1-5.5). The server adds auth, faults, rate limits
 * and transport.
 */
import { randomBytes } from 'node:crypto';
import { BAD_JSON, decodeJsonArg, parseArgs, schemas } from './args.js';
import type {
  Bookmark,
  EmulatedUser,
  EmulatedUsergroup,
  Ephemeral,
  FileRef,
  OpenedView,
  Pin,
  SeedChannel,
  SlackChannel,
  SlackMessage,
  StoredFile,
} from './types.js';
import { blocksProblems, channelNameError, POST_TEXT_MAX, UPDATE_TEXT_MAX, viewProblems } from './validate.js';

export type MethodResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: string; extra?: Record<string, unknown> };

export interface WorkspaceOptions {
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  users: EmulatedUser[];
  usergroups: EmulatedUsergroup[];
  channels: SeedChannel[];
  /** Where files and permalinks point (the emulator's base URL, no trailing slash). */
  baseUrl: () => string;
}

interface ChannelState {
  info: SlackChannel;
  members: Set<string>;
  /** Every message, thread replies included, in ts order. */
  messages: SlackMessage[];
  pins: Pin[];
}

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

/** How long a trigger_id may be used (protocols 5.4: 3 seconds). */
export const TRIGGER_TTL_MS = 3000;
const PIN_LIMIT = 100;
const TOPIC_MAX = 250;
/** protocols 5.2: up to 100 comma-separated user IDs per conversations.invite. */
const INVITE_MAX = 100;

/** Every Web API method the emulator serves. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'api.test',
  'auth.test',
  'bookmarks.add',
  'bookmarks.list',
  'chat.delete',
  'chat.getPermalink',
  'chat.postEphemeral',
  'chat.postMessage',
  'chat.update',
  'conversations.archive',
  'conversations.create',
  'conversations.history',
  'conversations.info',
  'conversations.invite',
  'conversations.join',
  'conversations.list',
  'conversations.members',
  'conversations.open',
  'conversations.replies',
  'conversations.setPurpose',
  'conversations.setTopic',
  'conversations.unarchive',
  'files.completeUploadExternal',
  'files.getUploadURLExternal',
  'pins.add',
  'pins.list',
  'pins.remove',
  'reactions.add',
  'reactions.remove',
  'usergroups.list',
  'usergroups.users.list',
  'users.info',
  'views.open',
  'views.update',
]);

const ok = (body: Record<string, unknown> = {}): MethodResult => ({ ok: true, body });
const fail = (error: string, extra?: Record<string, unknown>): MethodResult => (extra ? { ok: false, error, extra } : { ok: false, error });

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}
function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^offset:(\d+)$/u.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m?.[1] ? Number(m[1]) : 0;
}

function tsNum(ts: string): number {
  return Number(ts);
}

export class Workspace {
  readonly opts: WorkspaceOptions;
  private readonly users = new Map<string, EmulatedUser>();
  private readonly usergroups = new Map<string, EmulatedUsergroup>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly files = new Map<string, StoredFile>();
  private readonly fileBytes = new Map<string, Buffer>();
  private readonly triggers = new Map<string, Trigger>();
  readonly ephemerals: Ephemeral[] = [];
  readonly bookmarks: Bookmark[] = [];
  readonly views = new Map<string, OpenedView>();
  private seq = 0;
  private lastMicros = 0;
  /** Bumped on every change: lets a viewer poll cheaply. */
  version = 0;

  constructor(opts: WorkspaceOptions) {
    this.opts = opts;
    for (const u of opts.users) this.users.set(u.id, { ...u });
    if (!this.users.has(opts.botUserId)) this.users.set(opts.botUserId, { id: opts.botUserId, name: 'warroom', realName: 'warroom', isBot: true });
    for (const g of opts.usergroups) this.usergroups.set(g.id, { ...g, users: [...g.users] });
    const humans = opts.users.filter((u) => !u.isBot).map((u) => u.id);
    for (const c of opts.channels) {
      const ch = this.addChannel(c.name, c.isPrivate ?? false, opts.botUserId, Math.floor(Date.now() / 1000), c.id);
      for (const m of c.members ?? humans) ch.members.add(m);
      if (c.botIsMember === false) ch.members.delete(opts.botUserId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // ids and timestamps

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}${this.seq.toString(36).toUpperCase().padStart(8, '0')}`;
  }

  /** Message timestamps: "seconds.micros", strictly increasing across the workspace. */
  nextTs(now: number = Date.now()): string {
    const micros = Math.max(now * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private touch(): void {
    this.version += 1;
  }

  // -------------------------------------------------------------------------------------------
  // read access (copies)

  channelList(): (SlackChannel & { members: string[]; pins: Pin[] })[] {
    return [...this.channels.values()].map((c) => structuredClone({ ...c.info, members: [...c.members], pins: c.pins }));
  }
  channelState(id: string): ChannelState | undefined {
    return this.channels.get(id);
  }
  channelByName(name: string): ChannelState | undefined {
    const n = name.replace(/^#/u, '');
    return [...this.channels.values()].find((c) => c.info.name === n);
  }
  userList(): EmulatedUser[] {
    return [...this.users.values()].map((u) => ({ ...u }));
  }
  user(id: string): EmulatedUser | undefined {
    return this.users.get(id);
  }
  usergroupList(): EmulatedUsergroup[] {
    return [...this.usergroups.values()].map((g) => ({ ...g, users: [...g.users] }));
  }
  fileList(): StoredFile[] {
    return [...this.files.values()].map((f) => ({ ...f, channels: [...f.channels] }));
  }
  fileContent(id: string): { file: StoredFile; bytes: Buffer } | undefined {
    const file = this.files.get(id);
    const bytes = this.fileBytes.get(id);
    return file && bytes ? { file, bytes } : undefined;
  }
  findMessage(channelId: string, ts: string): SlackMessage | undefined {
    return this.channels.get(channelId)?.messages.find((m) => m.ts === ts);
  }

  // -------------------------------------------------------------------------------------------
  // mutations used by deliveries (acting as a person)

  issueTrigger(user: string, now: number): string {
    const id = `${Math.floor(now / 1000)}.${randomBytes(4).readUInt32BE(0)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, issuedAt: now, used: false });
    return id;
  }

  postAsUser(channelId: string, user: string, text: string, threadTs: string | undefined, now: number): SlackMessage | undefined {
    const ch = this.channels.get(channelId);
    if (!ch) return undefined;
    return this.appendMessage(ch, { type: 'message', ts: this.nextTs(now), user, team: this.opts.teamId, text }, threadTs);
  }

  /** The bot's message posted through a response_url (`in_channel`). */
  postAsApp(channelId: string, text: string, blocks: unknown[] | undefined, threadTs: string | undefined, now: number): SlackMessage | undefined {
    const ch = this.channels.get(channelId);
    if (!ch) return undefined;
    return this.appendMessage(ch, this.botMessage(text, blocks, now), threadTs);
  }

  replaceMessage(channelId: string, ts: string, text: string, blocks: unknown[] | undefined): boolean {
    const m = this.findMessage(channelId, ts);
    if (!m) return false;
    m.text = text;
    if (blocks) m.blocks = blocks;
    else delete m.blocks;
    this.touch();
    return true;
  }

  deleteMessage(channelId: string, ts: string): boolean {
    const ch = this.channels.get(channelId);
    if (!ch) return false;
    const i = ch.messages.findIndex((m) => m.ts === ts);
    if (i < 0) return false;
    ch.messages.splice(i, 1);
    ch.pins = ch.pins.filter((p) => p.ts !== ts);
    this.touch();
    return true;
  }

  addEphemeral(e: Ephemeral): void {
    this.ephemerals.push(e);
    this.touch();
  }

  pinAsUser(channelId: string, ts: string, user: string, now: number): 'ok' | 'already_pinned' | 'message_not_found' {
    const ch = this.channels.get(channelId);
    const m = ch?.messages.find((x) => x.ts === ts);
    if (!ch || !m) return 'message_not_found';
    if (ch.pins.some((p) => p.ts === ts)) return 'already_pinned';
    ch.pins.push({ channel: channelId, ts, created: Math.floor(now / 1000), created_by: user });
    m.pinned_to = [channelId];
    this.touch();
    return 'ok';
  }

  unpinAsUser(channelId: string, ts: string): boolean {
    const ch = this.channels.get(channelId);
    if (!ch || !ch.pins.some((p) => p.ts === ts)) return false;
    ch.pins = ch.pins.filter((p) => p.ts !== ts);
    const m = ch.messages.find((x) => x.ts === ts);
    if (m) delete m.pinned_to;
    this.touch();
    return true;
  }

  react(channelId: string, ts: string, user: string, name: string): 'ok' | 'already_reacted' | 'message_not_found' {
    const m = this.findMessage(channelId, ts);
    if (!m) return 'message_not_found';
    const reactions = (m.reactions ??= []);
    let r = reactions.find((x) => x.name === name);
    if (!r) {
      r = { name, users: [], count: 0 };
      reactions.push(r);
    }
    if (r.users.includes(user)) return 'already_reacted';
    r.users.push(user);
    r.count = r.users.length;
    this.touch();
    return 'ok';
  }

  unreact(channelId: string, ts: string, user: string, name: string): 'ok' | 'no_reaction' | 'message_not_found' {
    const m = this.findMessage(channelId, ts);
    if (!m) return 'message_not_found';
    const r = m.reactions?.find((x) => x.name === name);
    if (!r || !r.users.includes(user)) return 'no_reaction';
    r.users = r.users.filter((u) => u !== user);
    r.count = r.users.length;
    if (r.count === 0) m.reactions = (m.reactions ?? []).filter((x) => x.name !== name);
    if (m.reactions?.length === 0) delete m.reactions;
    this.touch();
    return 'ok';
  }

  receiveUpload(fileId: string, bytes: Buffer): boolean {
    const f = this.files.get(fileId);
    if (!f || f.completed) return false;
    this.fileBytes.set(fileId, bytes);
    f.uploaded = true;
    f.size = bytes.length;
    f.content = bytes.toString('utf8');
    this.touch();
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  private addChannel(name: string, isPrivate: boolean, creator: string, createdSec: number, id?: string, im?: string): ChannelState {
    const info: SlackChannel = {
      id: id ?? this.nextId(im ? 'D' : 'C'),
      name,
      name_normalized: name,
      is_channel: !im,
      is_group: false,
      is_im: Boolean(im),
      is_mpim: false,
      is_private: isPrivate,
      is_archived: false,
      is_general: name === 'general',
      created: createdSec,
      creator,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: '', creator: '', last_set: 0 },
      ...(im ? { user: im } : {}),
    };
    const st: ChannelState = { info, members: new Set([creator]), messages: [], pins: [] };
    this.channels.set(info.id, st);
    this.touch();
    return st;
  }

  private channelJson(ch: ChannelState): Record<string, unknown> {
    return {
      ...structuredClone(ch.info),
      is_member: ch.members.has(this.opts.botUserId),
      is_shared: false,
      is_ext_shared: false,
      is_org_shared: false,
      unlinked: 0,
      num_members: ch.members.size,
    };
  }

  private isMember(ch: ChannelState): boolean {
    return ch.members.has(this.opts.botUserId);
  }

  /** A channel the bot can see: by id, or by name for methods that accept names (chat.postMessage). */
  private visibleChannel(ref: string | undefined, byName = false): ChannelState | undefined {
    if (!ref) return undefined;
    let ch = this.channels.get(ref);
    if (!ch && byName) ch = this.channelByName(ref);
    if (!ch) return undefined;
    if ((ch.info.is_private || ch.info.is_im) && !this.isMember(ch)) return undefined;
    return ch;
  }

  private botMessage(text: string, blocks: unknown[] | undefined, now: number): SlackMessage {
    return {
      type: 'message',
      ts: this.nextTs(now),
      user: this.opts.botUserId,
      bot_id: this.opts.botId,
      app_id: this.opts.appId,
      team: this.opts.teamId,
      text,
      ...(blocks ? { blocks } : {}),
    };
  }

  private appendMessage(ch: ChannelState, m: SlackMessage, threadTs: string | undefined): SlackMessage {
    if (threadTs) {
      const parent = ch.messages.find((x) => x.ts === threadTs);
      // Replying to a reply threads under its parent, as Slack does.
      const rootTs = parent?.thread_ts ?? threadTs;
      const root = ch.messages.find((x) => x.ts === rootTs);
      m.thread_ts = rootTs;
      if (root) {
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
        const users = new Set(root.reply_users ?? []);
        users.add(m.user);
        root.reply_users = [...users];
        root.reply_users_count = users.size;
        root.latest_reply = m.ts;
      }
    }
    ch.messages.push(m);
    this.touch();
    return m;
  }

  private blocksArg(args: Record<string, unknown>, max?: number): { blocks?: unknown[] } | MethodResult {
    if (args['blocks'] === undefined || args['blocks'] === '') return {};
    const decoded = decodeJsonArg(args['blocks']);
    if (decoded === BAD_JSON) return fail('invalid_blocks_format');
    const problems = blocksProblems(decoded, max);
    if (problems.length > 0) return fail('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    return { blocks: decoded as unknown[] };
  }

  private userJson(u: EmulatedUser): Record<string, unknown> {
    const realName = u.realName ?? u.name;
    return {
      id: u.id,
      team_id: this.opts.teamId,
      name: u.name,
      deleted: false,
      real_name: realName,
      tz: 'Etc/UTC',
      tz_offset: 0,
      is_admin: false,
      is_owner: false,
      is_bot: Boolean(u.isBot),
      is_app_user: false,
      profile: { real_name: realName, real_name_normalized: realName, display_name: u.name, display_name_normalized: u.name, team: this.opts.teamId },
    };
  }

  permalink(channelId: string, ts: string): string {
    return `${this.opts.baseUrl()}/archives/${channelId}/p${ts.replace('.', '')}`;
  }

  // -------------------------------------------------------------------------------------------
  // the Web API

  call(method: string, args: Record<string, unknown>, now: number): MethodResult | undefined {
    switch (method) {
      case 'api.test':
        return ok({ args });
      case 'auth.test':
        return ok({
          url: `https://${this.opts.teamDomain}.slack.com/`,
          team: this.opts.teamDomain,
          user: this.users.get(this.opts.botUserId)?.name ?? 'warroom',
          team_id: this.opts.teamId,
          user_id: this.opts.botUserId,
          bot_id: this.opts.botId,
          is_enterprise_install: false,
        });
      case 'conversations.create':
        return this.conversationsCreate(args, now);
      case 'conversations.invite':
        return this.conversationsInvite(args);
      case 'conversations.setTopic':
      case 'conversations.setPurpose':
        return this.setTopicOrPurpose(method, args, now);
      case 'conversations.info':
        return this.conversationsInfo(args);
      case 'conversations.history':
        return this.conversationsHistory(args);
      case 'conversations.replies':
        return this.conversationsReplies(args);
      case 'conversations.archive':
      case 'conversations.unarchive':
      case 'conversations.join':
      case 'conversations.members':
        return this.channelOp(method, args);
      case 'conversations.list':
        return this.conversationsList(args);
      case 'conversations.open':
        return this.conversationsOpen(args, now);
      case 'chat.postMessage':
        return this.chatPostMessage(args, now);
      case 'chat.update':
        return this.chatUpdate(args, now);
      case 'chat.delete':
        return this.chatDelete(args);
      case 'chat.postEphemeral':
        return this.chatPostEphemeral(args, now);
      case 'chat.getPermalink':
        return this.chatGetPermalink(args);
      case 'pins.add':
      case 'pins.remove':
        return this.pinsChange(method, args, now);
      case 'pins.list':
        return this.pinsList(args);
      case 'reactions.add':
      case 'reactions.remove':
        return this.reactionsChange(method, args);
      case 'users.info':
        return this.usersInfo(args);
      case 'usergroups.list':
        return this.usergroupsList(args);
      case 'usergroups.users.list':
        return this.usergroupsUsersList(args);
      case 'files.getUploadURLExternal':
        return this.filesGetUploadUrl(args, now);
      case 'files.completeUploadExternal':
        return this.filesComplete(args, now);
      case 'bookmarks.add':
        return this.bookmarksAdd(args, now);
      case 'bookmarks.list':
        return this.bookmarksList(args);
      case 'views.open':
        return this.viewsOpen(args, now);
      case 'views.update':
        return this.viewsUpdate(args, now);
      default:
        return undefined;
    }
  }

  private conversationsCreate(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['conversations.create'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const name = a.value.name ?? '';
    const bad = channelNameError(name);
    if (bad) return fail(bad);
    // Archived channels keep their names (protocols 5.1).
    if (this.channelByName(name)) return fail('name_taken');
    const ch = this.addChannel(name, a.value.is_private ?? false, this.opts.botUserId, Math.floor(now / 1000));
    return ok({ channel: this.channelJson(ch) });
  }

  private conversationsInvite(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.invite'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    if (ch.info.is_im) return fail('method_not_supported_for_channel_type');
    if (!this.isMember(ch)) return fail('not_in_channel');
    const ids = (a.value.users ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length === 0) return fail('no_user');
    if (ids.length > INVITE_MAX) return fail('too_many_users');
    const errors: { user: string; ok: false; error: string }[] = [];
    const valid: string[] = [];
    for (const id of ids) {
      const error = id === this.opts.botUserId ? 'cant_invite_self' : !this.users.has(id) ? 'user_not_found' : ch.members.has(id) ? 'already_in_channel' : undefined;
      if (error) errors.push({ user: id, ok: false, error });
      else valid.push(id);
    }
    // docs.slack.dev conversations.invite "Partially failed calls": without `force`, nobody is
    // invited when any invite fails; the error names the first failure and `errors` lists each.
    const first = errors[0];
    if (first && !a.value.force) return fail(first.error, { errors });
    for (const id of valid) ch.members.add(id);
    if (valid.length > 0) this.touch();
    return ok({ channel: this.channelJson(ch), ...(errors.length > 0 ? { errors } : {}) });
  }

  private setTopicOrPurpose(method: 'conversations.setTopic' | 'conversations.setPurpose', args: Record<string, unknown>, now: number): MethodResult {
    const isTopic = method === 'conversations.setTopic';
    const a = isTopic ? parseArgs(schemas['conversations.setTopic'], args) : parseArgs(schemas['conversations.setPurpose'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const value = 'topic' in a.value ? a.value.topic : a.value.purpose;
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    if (!this.isMember(ch)) return fail('not_in_channel');
    if ([...value].length > TOPIC_MAX) return fail('too_long');
    const tv = { value, creator: this.opts.botUserId, last_set: Math.floor(now / 1000) };
    if (isTopic) ch.info.topic = tv;
    else ch.info.purpose = tv;
    this.touch();
    return ok({ channel: this.channelJson(ch) });
  }

  private conversationsInfo(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.info'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    return ok({ channel: this.channelJson(ch) });
  }

  private conversationsHistory(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.history'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    if (!this.isMember(ch)) return fail('not_in_channel');
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

  private conversationsReplies(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.replies'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
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

  private channelOp(method: 'conversations.archive' | 'conversations.unarchive' | 'conversations.join' | 'conversations.members', args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.channel'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    switch (method) {
      case 'conversations.members':
        return ok({ members: [...ch.members], response_metadata: { next_cursor: '' } });
      case 'conversations.join':
        if (ch.info.is_private || ch.info.is_im) return fail('method_not_supported_for_channel_type');
        if (ch.info.is_archived) return fail('is_archived');
        if (this.isMember(ch)) return ok({ channel: this.channelJson(ch), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } });
        ch.members.add(this.opts.botUserId);
        this.touch();
        return ok({ channel: this.channelJson(ch) });
      case 'conversations.archive':
        if (ch.info.is_general) return fail('cant_archive_general');
        if (ch.info.is_archived) return fail('already_archived');
        if (!this.isMember(ch)) return fail('not_in_channel');
        ch.info.is_archived = true;
        this.touch();
        return ok();
      case 'conversations.unarchive':
        if (!ch.info.is_archived) return fail('not_archived');
        ch.info.is_archived = false;
        this.touch();
        return ok();
    }
  }

  private conversationsList(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['conversations.list'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const types = new Set((a.value.types ?? 'public_channel').split(',').map((s) => s.trim()));
    const all = [...this.channels.values()].filter((c) => {
      if (a.value.exclude_archived && c.info.is_archived) return false;
      if (c.info.is_im) return types.has('im') && this.isMember(c);
      if (c.info.is_private) return types.has('private_channel') && this.isMember(c);
      return types.has('public_channel');
    });
    const limit = Math.min(Math.max(a.value.limit ?? 100, 1), 1000);
    const start = decodeCursor(a.value.cursor);
    const page = all.slice(start, start + limit);
    const hasMore = start + limit < all.length;
    return ok({ channels: page.map((c) => this.channelJson(c)), response_metadata: { next_cursor: hasMore ? encodeCursor(start + limit) : '' } });
  }

  private imWith(user: string, now: number): ChannelState {
    const existing = [...this.channels.values()].find((c) => c.info.is_im && c.info.user === user);
    if (existing) return existing;
    const ch = this.addChannel(user, true, this.opts.botUserId, Math.floor(now / 1000), undefined, user);
    ch.members.add(user);
    return ch;
  }

  private conversationsOpen(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['conversations.open'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    if (a.value.channel) {
      const ch = this.visibleChannel(a.value.channel);
      return ch ? ok({ channel: { id: ch.info.id } }) : fail('channel_not_found');
    }
    const users = (a.value.users ?? '').split(',').filter((s) => s !== '');
    const u = users[0];
    if (!u) return fail('users_list_not_supplied');
    if (users.length > 1) return fail('not_enough_users');
    if (!this.users.has(u)) return fail('user_not_found');
    return ok({ channel: { id: this.imWith(u, now).info.id } });
  }

  /** chat.postMessage: a channel ID, a #name, or a user ID (opens the DM). */
  private resolvePostTarget(ref: string | undefined, now: number): ChannelState | undefined {
    if (!ref) return undefined;
    const ch = this.visibleChannel(ref, true);
    if (ch) return ch;
    if (this.users.has(ref) && ref !== this.opts.botUserId) return this.imWith(ref, now);
    return undefined;
  }

  private chatPostMessage(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['chat.postMessage'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.resolvePostTarget(a.value.channel, now);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    // A public channel the bot is not in is fine: chat:write.public (protocols 5.2).
    const b = this.blocksArg(args);
    if ('ok' in b) return b;
    const text = a.value.text ?? '';
    if (text === '' && !b.blocks && args['attachments'] === undefined) return fail('no_text');
    if ([...text].length > POST_TEXT_MAX) return fail('msg_too_long');
    const m = this.botMessage(text, b.blocks, now);
    if (a.value.metadata !== undefined) m.metadata = decodeJsonArg(a.value.metadata);
    if (a.value.thread_ts && a.value.reply_broadcast) m.subtype = 'thread_broadcast';
    this.appendMessage(ch, m, a.value.thread_ts);
    return ok({ channel: ch.info.id, ts: m.ts, message: structuredClone(m) });
  }

  private chatUpdate(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['chat.update'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    const m = a.value.ts ? ch.messages.find((x) => x.ts === a.value.ts) : undefined;
    if (!m) return fail('message_not_found');
    if (m.user !== this.opts.botUserId) return fail('cant_update_message');
    if (ch.info.is_archived) return fail('is_archived');
    const b = this.blocksArg(args);
    if ('ok' in b) return b;
    if (a.value.text === undefined && !b.blocks && args['attachments'] === undefined) return fail('no_text');
    if (a.value.text !== undefined && [...a.value.text].length > UPDATE_TEXT_MAX) return fail('msg_too_long');
    if (a.value.text !== undefined) m.text = a.value.text;
    if (b.blocks) m.blocks = b.blocks;
    m.edited = { user: this.opts.botUserId, ts: this.nextTs(now) };
    this.touch();
    return ok({ channel: ch.info.id, ts: m.ts, text: m.text, message: structuredClone({ text: m.text, user: m.user, bot_id: m.bot_id, ...(m.blocks ? { blocks: m.blocks } : {}) }) });
  }

  private chatDelete(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['chat.delete'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    const m = a.value.ts ? ch.messages.find((x) => x.ts === a.value.ts) : undefined;
    if (!m) return fail('message_not_found');
    if (m.user !== this.opts.botUserId) return fail('cant_delete_message');
    this.deleteMessage(ch.info.id, m.ts);
    return ok({ channel: ch.info.id, ts: m.ts });
  }

  private chatPostEphemeral(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['chat.postEphemeral'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.resolvePostTarget(a.value.channel, now);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    const user = a.value.user;
    if (!user || !this.users.has(user)) return fail('user_not_found');
    if (!ch.members.has(user)) return fail('user_not_in_channel');
    const b = this.blocksArg(args);
    if ('ok' in b) return b;
    const text = a.value.text ?? '';
    if (text === '' && !b.blocks && args['attachments'] === undefined) return fail('no_text');
    if ([...text].length > POST_TEXT_MAX) return fail('msg_too_long');
    const ts = this.nextTs(now);
    this.addEphemeral({ channel: ch.info.id, user, text, ...(b.blocks ? { blocks: b.blocks } : {}), ts, ...(a.value.thread_ts ? { thread_ts: a.value.thread_ts } : {}), source: 'api' });
    return ok({ message_ts: ts });
  }

  private chatGetPermalink(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['chat.getPermalink'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    const ts = a.value.message_ts;
    if (!ts || !ch.messages.some((m) => m.ts === ts)) return fail('message_not_found');
    return ok({ channel: ch.info.id, permalink: this.permalink(ch.info.id, ts) });
  }

  private pinsChange(method: 'pins.add' | 'pins.remove', args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['pins.item'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    if (!this.isMember(ch)) return fail('not_in_channel');
    if (ch.info.is_archived) return fail('is_archived');
    const ts = a.value.timestamp;
    if (!ts) return fail('no_item_specified');
    if (method === 'pins.remove') return this.unpinAsUser(ch.info.id, ts) ? ok() : fail('no_pin');
    if (ch.pins.length >= PIN_LIMIT && !ch.pins.some((p) => p.ts === ts)) return fail('too_many_pins');
    const r = this.pinAsUser(ch.info.id, ts, this.opts.botUserId, now);
    return r === 'ok' ? ok() : fail(r);
  }

  private pinsList(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['pins.list'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
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

  private reactionsChange(method: 'reactions.add' | 'reactions.remove', args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['reactions.item'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    const name = (a.value.name ?? '').replace(/^:|:$/gu, '');
    if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/u.test(name)) return fail('invalid_name');
    if (!a.value.timestamp) return fail('no_item_specified');
    const r = method === 'reactions.add' ? this.react(ch.info.id, a.value.timestamp, this.opts.botUserId, name) : this.unreact(ch.info.id, a.value.timestamp, this.opts.botUserId, name);
    return r === 'ok' ? ok() : fail(r);
  }

  private usersInfo(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['users.info'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const u = a.value.user ? this.users.get(a.value.user) : undefined;
    return u ? ok({ user: this.userJson(u) }) : fail('user_not_found');
  }

  private usergroupsList(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['usergroups.list'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    return ok({
      usergroups: [...this.usergroups.values()].map((g) => ({
        id: g.id,
        team_id: this.opts.teamId,
        is_usergroup: true,
        name: g.name ?? g.handle,
        handle: g.handle,
        user_count: g.users.length,
        ...(a.value.include_users ? { users: [...g.users] } : {}),
      })),
    });
  }

  private usergroupsUsersList(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['usergroups.users.list'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const g = a.value.usergroup ? this.usergroups.get(a.value.usergroup) : undefined;
    return g ? ok({ users: [...g.users] }) : fail('no_such_subteam');
  }

  private filesGetUploadUrl(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['files.getUploadURLExternal'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    if (a.value.length <= 0) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] length must be positive'] } });
    const id = this.nextId('F');
    const ext = /\.([A-Za-z0-9]+)$/u.exec(a.value.filename)?.[1]?.toLowerCase() ?? 'text';
    const mimetype = ext === 'md' || ext === 'markdown' ? 'text/markdown' : ext === 'json' ? 'application/json' : ext === 'png' ? 'image/png' : 'text/plain';
    this.files.set(id, {
      id,
      name: a.value.filename,
      title: a.value.filename,
      mimetype,
      filetype: ext,
      size: 0,
      created: Math.floor(now / 1000),
      user: this.opts.botUserId,
      length: a.value.length,
      uploaded: false,
      completed: false,
      channels: [],
      content: '',
      url_private: `${this.opts.baseUrl()}/_sandbox/files/${id}`,
    });
    this.touch();
    return ok({ upload_url: `${this.opts.baseUrl()}/_upload/${id}`, file_id: id });
  }

  private fileRef(f: StoredFile): FileRef {
    return { id: f.id, name: f.name, title: f.title, mimetype: f.mimetype, filetype: f.filetype, size: f.size, url_private: f.url_private };
  }

  private filesComplete(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['files.completeUploadExternal'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const files: StoredFile[] = [];
    for (const entry of a.value.files) {
      const f = this.files.get(entry.id);
      // An id that was never uploaded is as unknown to Slack as one that was never issued.
      if (!f || !f.uploaded || f.completed) return fail('file_not_found');
      files.push(f);
    }
    const channelRef = a.value.channel_id ?? a.value.channels;
    let ch: ChannelState | undefined;
    if (channelRef) {
      ch = this.visibleChannel(channelRef);
      if (!ch) return fail('channel_not_found');
      if (ch.info.is_archived) return fail('is_archived');
      if (!this.isMember(ch)) return fail('not_in_channel');
    }
    const b = this.blocksArg(args);
    if ('ok' in b) return b;
    a.value.files.forEach((entry, i) => {
      const f = files[i];
      if (!f) return;
      if (entry.title) f.title = entry.title;
      f.completed = true;
      if (ch) f.channels.push(ch.info.id);
    });
    if (ch) {
      const m = this.botMessage(a.value.initial_comment ?? '', b.blocks, now);
      m.files = files.map((f) => this.fileRef(f));
      m.upload = true;
      this.appendMessage(ch, m, a.value.thread_ts);
    }
    this.touch();
    return ok({ files: files.map((f) => ({ id: f.id, title: f.title })) });
  }

  private bookmarksAdd(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['bookmarks.add'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel_id);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    if (a.value.type !== 'link') return fail('invalid_bookmark_type');
    const link = a.value.link ?? '';
    if (!/^https?:\/\/\S+$/u.test(link)) return fail('invalid_link');
    if (this.bookmarks.filter((x) => x.channel_id === ch.info.id).length >= 100) return fail('too_many_bookmarks');
    const bm: Bookmark = {
      id: this.nextId('Bk'),
      channel_id: ch.info.id,
      title: a.value.title,
      link,
      ...(a.value.emoji ? { emoji: a.value.emoji } : {}),
      type: 'link',
      date_created: Math.floor(now / 1000),
      created_by: this.opts.botUserId,
    };
    this.bookmarks.push(bm);
    this.touch();
    return ok({ bookmark: { ...bm } });
  }

  private bookmarksList(args: Record<string, unknown>): MethodResult {
    const a = parseArgs(schemas['bookmarks.list'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const ch = this.visibleChannel(a.value.channel_id);
    if (!ch) return fail('channel_not_found');
    return ok({ bookmarks: this.bookmarks.filter((x) => x.channel_id === ch.info.id).map((x) => ({ ...x })) });
  }

  private viewArg(args: Record<string, unknown>): { view: Record<string, unknown> } | MethodResult {
    const view = decodeJsonArg(args['view']);
    if (view === BAD_JSON || view === undefined) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] failed to match all allowed schemas [json-pointer:/view]'] } });
    const problems = viewProblems(view);
    if (problems.length > 0) return fail('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    return { view: view as Record<string, unknown> };
  }

  private viewsOpen(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['views.open'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const trigger = a.value.trigger_id ? this.triggers.get(a.value.trigger_id) : undefined;
    if (!trigger || !a.value.trigger_id) return fail('invalid_trigger_id');
    if (trigger.used) return fail('exchanged_trigger_id');
    if (now - trigger.issuedAt > TRIGGER_TTL_MS) return fail('expired_trigger_id');
    const v = this.viewArg(args);
    if ('ok' in v) return v;
    trigger.used = true;
    const id = this.nextId('V');
    const view: OpenedView = {
      id,
      team_id: this.opts.teamId,
      type: String(v.view['type']),
      ...(typeof v.view['callback_id'] === 'string' ? { callback_id: v.view['callback_id'] } : {}),
      private_metadata: typeof v.view['private_metadata'] === 'string' ? v.view['private_metadata'] : '',
      title: v.view['title'],
      submit: v.view['submit'],
      close: v.view['close'],
      blocks: Array.isArray(v.view['blocks']) ? (v.view['blocks'] as unknown[]) : [],
      state: { values: {} },
      hash: `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`,
      user: trigger.user,
      trigger_id: a.value.trigger_id,
      opened_at: now,
    };
    this.views.set(id, view);
    this.touch();
    return ok({ view: this.viewJson(view) });
  }

  viewJson(v: OpenedView): Record<string, unknown> {
    const { user: _user, trigger_id: _t, opened_at: _o, ...rest } = v;
    return { ...structuredClone(rest), app_id: this.opts.appId, bot_id: this.opts.botId, root_view_id: v.id, previous_view_id: null };
  }

  private viewsUpdate(args: Record<string, unknown>, now: number): MethodResult {
    const a = parseArgs(schemas['views.update'], args);
    if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
    const existing = a.value.view_id ? this.views.get(a.value.view_id) : undefined;
    if (!existing) return fail('not_found');
    if (a.value.hash && a.value.hash !== existing.hash) return fail('hash_conflict');
    const v = this.viewArg(args);
    if ('ok' in v) return v;
    existing.blocks = Array.isArray(v.view['blocks']) ? (v.view['blocks'] as unknown[]) : [];
    existing.title = v.view['title'];
    if (typeof v.view['private_metadata'] === 'string') existing.private_metadata = v.view['private_metadata'];
    existing.hash = `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`;
    this.touch();
    return ok({ view: this.viewJson(existing) });
  }
}
