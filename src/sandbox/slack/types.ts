/**
 * Public shapes of the Slack emulator's state. Messages, channels and files follow the JSON that
 * Slack's Web API returns (snake_case), so what the tests inspect is what the bot would read back.
 */

export interface EmulatedUser {
  id: string;
  name: string;
  realName?: string;
  isBot?: boolean;
}

export interface EmulatedUsergroup {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

export interface SeedChannel {
  id?: string;
  name: string;
  isPrivate?: boolean;
  /** Members besides the bot. */
  members?: string[];
  /** Whether the bot is a member (default true). */
  botIsMember?: boolean;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

export interface FileRef {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
}

export interface SlackMessage {
  type: 'message';
  ts: string;
  user: string;
  team: string;
  text: string;
  blocks?: unknown[];
  bot_id?: string;
  app_id?: string;
  subtype?: string;
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  files?: FileRef[];
  upload?: boolean;
  reactions?: Reaction[];
  pinned_to?: string[];
  metadata?: unknown;
}

export interface TextValue {
  value: string;
  creator: string;
  last_set: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  name_normalized: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  created: number;
  creator: string;
  topic: TextValue;
  purpose: TextValue;
  /** The DM partner for `is_im` channels. */
  user?: string;
}

export interface Pin {
  channel: string;
  ts: string;
  created: number;
  created_by: string;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  created: number;
  user: string;
  /** Declared by files.getUploadURLExternal. */
  length: number;
  uploaded: boolean;
  completed: boolean;
  channels: string[];
  /** The bytes as UTF-8 text (post-mortems are Markdown). */
  content: string;
  url_private: string;
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  ts: string;
  thread_ts?: string;
  /** chat.postEphemeral, or a response_url post. */
  source: 'api' | 'response_url';
}

export interface Bookmark {
  id: string;
  channel_id: string;
  title: string;
  link: string;
  emoji?: string;
  type: 'link';
  date_created: number;
  created_by: string;
}

export interface OpenedView {
  id: string;
  team_id: string;
  type: string;
  callback_id?: string;
  private_metadata?: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  /** The user whose trigger opened it. */
  user: string;
  trigger_id: string;
  opened_at: number;
}

/** A user's App Home tab as last published (views.publish). */
export interface PublishedHome {
  id: string;
  team_id: string;
  type: 'home';
  user: string;
  callback_id?: string;
  private_metadata: string;
  blocks: unknown[];
  hash: string;
  published_at: number;
}

/** A response_url post as received (protocols 5.4). */
export interface ResponsePost {
  at: string;
  url: string;
  /** What the response_url was issued for. */
  origin: { kind: 'command' | 'block_actions' | 'view_submission' | 'message_action'; channel?: string; user: string; messageTs?: string };
  body: Record<string, unknown>;
  status: number;
}
