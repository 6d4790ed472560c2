/**
 * The emulated Slack workspace: its state, what people do in it (deliveries act as a person), and
 * `call(method, args, now)`, which answers what Slack would answer, shaped like Slack's JSON
 * (docs.slack.dev/reference/methods/*, protocols 5.1-5.5). The methods themselves are in methods/
 * (one file per family, reading and changing this state), the JSON shapes in shapes.ts. No HTTP
 * here: the server adds auth, faults, rate limits and transport.
 */
import { randomBytes } from 'node:crypto';
import { BAD_JSON, decodeJsonArg } from './args.js';
import type {
  Bookmark,
  EmulatedUser,
  EmulatedUsergroup,
  Ephemeral,
  OpenedView,
  PublishedHome,
  Pin,
  SeedChannel,
  SlackChannel,
  SlackMessage,
  StoredFile,
} from './types.js';
import { WEB_API } from './methods/index.js';
import { blocksProblems } from './validate.js';

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
  /** Whether the app's Home tab is enabled (default true). */
  homeTabEnabled?: boolean;
}

export interface ChannelState {
  info: SlackChannel;
  members: Set<string>;
  /** Every message, thread replies included, in ts order. */
  messages: SlackMessage[];
  pins: Pin[];
}

export interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

/** How long a trigger_id may be used (protocols 5.4: 3 seconds). */
export const TRIGGER_TTL_MS = 3000;
export const PIN_LIMIT = 100;
export const TOPIC_MAX = 250;
/** protocols 5.2: up to 100 comma-separated user IDs per conversations.invite. */
export const INVITE_MAX = 100;


export const ok = (body: Record<string, unknown> = {}): MethodResult => ({ ok: true, body });
export const fail = (error: string, extra?: Record<string, unknown>): MethodResult => (extra ? { ok: false, error, extra } : { ok: false, error });

export function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^offset:(\d+)$/u.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m?.[1] ? Number(m[1]) : 0;
}

export function tsNum(ts: string): number {
  return Number(ts);
}

export class Workspace {
  readonly opts: WorkspaceOptions;
  // The state: read through the accessors below, changed by the deliveries below and the Web API methods in methods/.
  readonly users = new Map<string, EmulatedUser>();
  readonly usergroups = new Map<string, EmulatedUsergroup>();
  readonly channels = new Map<string, ChannelState>();
  readonly files = new Map<string, StoredFile>();
  readonly fileBytes = new Map<string, Buffer>();
  readonly triggers = new Map<string, Trigger>();
  readonly ephemerals: Ephemeral[] = [];
  readonly bookmarks: Bookmark[] = [];
  readonly views = new Map<string, OpenedView>();
  /** Each user's App Home tab (views.publish), by user id. */
  readonly homes = new Map<string, PublishedHome>();
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

  nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}${this.seq.toString(36).toUpperCase().padStart(8, '0')}`;
  }

  /** Message timestamps: "seconds.micros", strictly increasing across the workspace. */
  nextTs(now: number = Date.now()): string {
    const micros = Math.max(now * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  touch(): void {
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

  addChannel(name: string, isPrivate: boolean, creator: string, createdSec: number, id?: string, im?: string): ChannelState {
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


  isMember(ch: ChannelState): boolean {
    return ch.members.has(this.opts.botUserId);
  }

  /** A channel the bot can see: by id, or by name for methods that accept names (chat.postMessage). */
  visibleChannel(ref: string | undefined, byName = false): ChannelState | undefined {
    if (!ref) return undefined;
    let ch = this.channels.get(ref);
    if (!ch && byName) ch = this.channelByName(ref);
    if (!ch) return undefined;
    if ((ch.info.is_private || ch.info.is_im) && !this.isMember(ch)) return undefined;
    return ch;
  }

  botMessage(text: string, blocks: unknown[] | undefined, now: number): SlackMessage {
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

  appendMessage(ch: ChannelState, m: SlackMessage, threadTs: string | undefined): SlackMessage {
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

  blocksArg(args: Record<string, unknown>, max?: number): { blocks?: unknown[] } | MethodResult {
    if (args['blocks'] === undefined || args['blocks'] === '') return {};
    const decoded = decodeJsonArg(args['blocks']);
    if (decoded === BAD_JSON) return fail('invalid_blocks_format');
    const problems = blocksProblems(decoded, max);
    if (problems.length > 0) return fail('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    return { blocks: decoded as unknown[] };
  }


  permalink(channelId: string, ts: string): string {
    return `${this.opts.baseUrl()}/archives/${channelId}/p${ts.replace('.', '')}`;
  }

  // -------------------------------------------------------------------------------------------
  // the Web API: one function per method, by family, in methods/

  /** What Slack would answer to `method`; undefined for a method the emulator does not know. */
  call(method: string, args: Record<string, unknown>, now: number): MethodResult | undefined {
    return WEB_API[method]?.(this, args, now);
  }

  // -------------------------------------------------------------------------------------------
  // the Web API































  viewJson(v: OpenedView): Record<string, unknown> {
    const { user: _user, trigger_id: _t, opened_at: _o, ...rest } = v;
    return { ...structuredClone(rest), app_id: this.opts.appId, bot_id: this.opts.botId, root_view_id: v.id, previous_view_id: null };
  }

}
