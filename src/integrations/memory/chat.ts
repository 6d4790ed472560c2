/**
 * An in-memory ChatPort for unit tests and createFakeDeps: channels, messages (threads, updates in
 * place), pins, ephemeral replies, files, views and bookmarks, as the workflows would leave them in
 * Slack. Channel names are unique (a taken name answers name_taken, as Slack does); an unknown channel
 * is Slack's channel_not_found. For Slack's own behaviour (Block Kit validation, rate limits, signed
 * delivery) the sandbox emulator (src/sandbox/slack) is the twin.
 */
import { AppError } from '../../errors.js';
import type { ChatMessage, ChatPort, CreateChannelResult } from '../../workflows/ports.js';

export interface MemoryMessage extends ChatMessage {
  ts: string;
  threadTs?: string;
  /** How many times it was updated in place. */
  edits: number;
}

export interface MemoryChannel {
  id: string;
  name: string;
  topic?: string;
  purpose?: string;
  members: Set<string>;
  messages: MemoryMessage[];
  pins: string[];
  bookmarks: { title: string; link: string }[];
  archived: boolean;
  private: boolean;
}

export interface MemoryChat extends ChatPort {
  channels: Map<string, MemoryChannel>;
  /** A channel by id, or one whose name contains the given text. */
  channel(idOrName: string): MemoryChannel | undefined;
  ephemerals: { channel: string; user: string; message: ChatMessage }[];
  files: { channel: string; filename: string; title: string; content: string; initialComment?: string }[];
  views: { triggerId: string; view: unknown }[];
  /** The App Home view last published per user. */
  homes: Map<string, unknown>;
  /** Every call, by method name, in order. */
  calls: string[];
}

export function createMemoryChat(opts: { usergroups?: Record<string, string[]>; now?: () => number } = {}): MemoryChat {
  const now = opts.now ?? Date.now;
  const channels = new Map<string, MemoryChannel>();
  const calls: string[] = [];
  let seq = 0;
  let lastTs = 0;
  const nextTs = () => {
    // Slack ts: seconds.microseconds, unique and increasing per workspace.
    lastTs = Math.max(lastTs + 1, now() * 1000);
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
  };
  const get = (id: string) => {
    const ch = channels.get(id);
    if (!ch) throw new AppError('internal', `slack: channel_not_found (${id})`, { upstream: 'slack:channel_not_found' });
    return ch;
  };
  const ensure = (id: string) => {
    let ch = channels.get(id);
    // Channels the bot did not create (the announcement channel) exist on first use.
    if (!ch) channels.set(id, (ch = { id, name: id.toLowerCase(), members: new Set(), messages: [], pins: [], bookmarks: [], archived: false, private: false }));
    return ch;
  };
  const chat: MemoryChat = {
    channels,
    calls,
    ephemerals: [],
    files: [],
    views: [],
    homes: new Map(),
    channel: (idOrName) => channels.get(idOrName) ?? [...channels.values()].find((c) => c.name.includes(idOrName)),
    async createChannel(name, opts): Promise<CreateChannelResult> {
      calls.push('conversations.create');
      if ([...channels.values()].some((c) => c.name === name)) return { ok: false, error: 'name_taken' };
      const id = `C${String(++seq).padStart(8, '0')}`;
      channels.set(id, { id, name, members: new Set(), messages: [], pins: [], bookmarks: [], archived: false, private: opts.private });
      return { ok: true, id, name };
    },
    async setTopic(channelId, topic) {
      calls.push('conversations.setTopic');
      get(channelId).topic = topic;
    },
    async setPurpose(channelId, purpose) {
      calls.push('conversations.setPurpose');
      get(channelId).purpose = purpose;
    },
    async invite(channelId, userIds) {
      calls.push('conversations.invite');
      const ch = get(channelId);
      for (const u of userIds) ch.members.add(u);
    },
    async usergroupMembers(groupId) {
      calls.push('usergroups.users.list');
      return [...(opts.usergroups?.[groupId] ?? [])];
    },
    async post(channelId, message, o) {
      calls.push('chat.postMessage');
      const ch = ensure(channelId);
      const ts = nextTs();
      ch.messages.push({ ...message, ts, ...(o?.threadTs ? { threadTs: o.threadTs } : {}), edits: 0 });
      return { ts };
    },
    async update(channelId, ts, message) {
      calls.push('chat.update');
      const ch = get(channelId);
      const i = ch.messages.findIndex((m) => m.ts === ts);
      const cur = ch.messages[i];
      if (!cur) throw new AppError('internal', 'slack: message_not_found', { upstream: 'slack:message_not_found' });
      ch.messages[i] = { ...message, ts, ...(cur.threadTs ? { threadTs: cur.threadTs } : {}), edits: cur.edits + 1 };
    },
    async postEphemeral(channelId, userId, message) {
      calls.push('chat.postEphemeral');
      chat.ephemerals.push({ channel: channelId, user: userId, message });
    },
    async pin(channelId, ts) {
      calls.push('pins.add');
      const ch = get(channelId);
      if (!ch.pins.includes(ts)) ch.pins.push(ts);
    },
    async uploadFile(channelId, file) {
      calls.push('files.uploadV2');
      get(channelId);
      chat.files.push({ channel: channelId, filename: file.filename, title: file.title, content: file.content, ...(file.initialComment ? { initialComment: file.initialComment } : {}) });
    },
    async archive(channelId) {
      calls.push('conversations.archive');
      get(channelId).archived = true;
    },
    async openView(triggerId, view) {
      calls.push('views.open');
      chat.views.push({ triggerId, view });
    },
    async publishHome(userId, view) {
      calls.push('views.publish');
      chat.homes.set(userId, view);
    },
    async threadReplies(channelId, threadTs) {
      calls.push('conversations.replies');
      return get(channelId).messages.filter((m) => m.threadTs === threadTs && m.ts !== threadTs).map((m) => ({ text: m.text, ...(m.blocks ? { blocks: m.blocks } : {}) }));
    },
    async permalink(channelId, ts) {
      calls.push('chat.getPermalink');
      get(channelId);
      return `https://memory.slack.test/archives/${channelId}/p${ts.replace('.', '')}`;
    },
    async addBookmark(channelId, title, link) {
      calls.push('bookmarks.add');
      get(channelId).bookmarks.push({ title, link });
    },
  };
  return chat;
}
