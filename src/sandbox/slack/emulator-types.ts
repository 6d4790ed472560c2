/** What the Slack emulator takes, records and offers (src/sandbox/slack/server.ts implements it). */
import type { RateLimitOptions } from './rate-limit.js';
import type { Bookmark, EmulatedUser, EmulatedUsergroup, Ephemeral, OpenedView, Pin, PublishedHome, ResponsePost, SeedChannel, SlackChannel, SlackMessage, StoredFile } from './types.js';

export interface SlackEmulatorOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Signs what the emulator delivers to the bot. */
  signingSecret: string;
  /** The only bearer token accepted (default `xoxb-test`). */
  botToken?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  teamId?: string;
  teamDomain?: string;
  users?: EmulatedUser[];
  usergroups?: EmulatedUsergroup[];
  /** Channels that exist before the bot starts (e.g. the announcement channel). */
  channels?: SeedChannel[];
  /** Added to every Web API call (benchmarks). */
  latencyMs?: number;
  /** Slack's documented limits unless said otherwise (`UNLIMITED` for a test that needs none). */
  rateLimits?: RateLimitOptions;
  /** Base URL of the bot's HTTP receiver, e.g. `http://127.0.0.1:3000`; can be set later. */
  botUrl?: string;
  /** Path Slack posts to (default `/slack/events`, Bolt's default endpoint). */
  botPath?: string;
  /** Clock in epoch ms (default Date.now): lets tests age trigger_ids and response_urls. */
  now?: () => number;
  /** The app's Home tab is enabled (manifest features.app_home.home_tab_enabled; default true): else views.publish of a home view answers not_enabled. */
  homeTabEnabled?: boolean;
}

export type Fault = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

export interface ApiCall {
  seq: number;
  /** ISO-8601 UTC. */
  at: string;
  method: string;
  /** The arguments as received, token removed, JSON-encoded values (blocks, view...) decoded. */
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  status: number;
}

export interface DeliveryOptions {
  /** Sign with a timestamp this many seconds in the past (Bolt refuses more than 300). */
  staleBySeconds?: number;
  /** Send a signature computed with the wrong secret. */
  badSignature?: boolean;
  /** Sign the body, then send this body instead (a tampered request). */
  tamperBody?: (rawBody: string) => string;
  /** Omit the signature headers altogether. */
  unsigned?: boolean;
  /** Events API retries: `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`. */
  retryNum?: number;
  retryReason?: string;
  /** Override the bot path for this delivery. */
  path?: string;
  /** Abort after this long (default 10 s). */
  timeoutMs?: number;
}

export interface DeliveryResult {
  status: number;
  /** Parsed JSON when the ack had a JSON body, else the text, or undefined when empty. */
  body: unknown;
  text: string;
  headers: Record<string, string>;
  /** The raw body that was sent, and the headers (for signature checks). */
  sent: { body: string; headers: Record<string, string> };
  triggerId?: string;
  responseUrl?: string;
}

export interface SlashCommandInput {
  command: string;
  text?: string;
  userId: string;
  channelId: string;
}

export interface ClickButtonInput {
  actionId: string;
  /** Defaults to the clicked element's value in the stored message. */
  value?: string;
  userId: string;
  channelId: string;
  messageTs: string;
  /** Defaults to the block that holds the element. */
  blockId?: string;
  /** The button sits on an ephemeral message (no `message` in the payload). */
  ephemeral?: boolean;
}

export interface SubmitViewInput {
  viewId: string;
  userId?: string;
  /** `state.values`: block_id -> action_id -> element state, e.g. `{ type: 'plain_text_input', value: 'x' }`. */
  values?: Record<string, Record<string, unknown>>;
}

export interface ChannelView extends SlackChannel {
  is_member: boolean;
  members: string[];
  pins: Pin[];
}

export interface SandboxState {
  version: number;
  team: { id: string; domain: string };
  bot: { userId: string; botId: string; appId: string };
  users: EmulatedUser[];
  usergroups: EmulatedUsergroup[];
  channels: (ChannelView & { messages: (SlackMessage & { replies: SlackMessage[] })[]; bookmarks: Bookmark[] })[];
  files: Omit<StoredFile, 'content'>[];
  ephemerals: Ephemeral[];
  views: OpenedView[];
  /** The App Home tab of each user who has one. */
  homes: PublishedHome[];
  responses: ResponsePost[];
  calls: ApiCall[];
}

export interface SlackEmulator {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly port: number;
  readonly botToken: string;
  readonly botUserId: string;
  readonly teamId: string;
  /** Every Web API call in order (live array: read, do not write). */
  readonly calls: readonly ApiCall[];
  stop(): Promise<void>;
  setBotUrl(url: string | undefined): void;

  channels(): ChannelView[];
  channelByName(name: string): ChannelView | undefined;
  /** Every message of the channel, thread replies included (with `thread_ts`), oldest first. */
  messages(channelId: string): SlackMessage[];
  /** A thread: the parent then its replies. */
  thread(channelId: string, ts: string): SlackMessage[];
  pins(channelId: string): Pin[];
  members(channelId: string): string[];
  files(): StoredFile[];
  ephemerals(): Ephemeral[];
  views(): OpenedView[];
  bookmarks(): Bookmark[];
  responses(): ResponsePost[];
  users(): EmulatedUser[];
  state(): SandboxState;
  callsTo(method: string): ApiCall[];
  /** Resolves with the first call (already made or future) that matches. */
  waitForCall(match: (c: ApiCall) => boolean, timeoutMs?: number): Promise<ApiCall>;

  /** The next `n` calls of `method` (or `*` for any) fail with `fault`, before touching state. */
  failNext(method: string, n: number, fault: Fault): void;
  clearFaults(): void;

  /** A trigger_id as Slack issues with a command or a click (valid 3 s, single use). */
  issueTriggerId(userId: string): string;
  /**
   * A response_url as Slack puts into a command, click or shortcut payload (up to 5 uses within 30 minutes),
   * for payloads built outside the emulator (Slack's own SDK fixtures): what is posted to it lands as an
   * ephemeral to `origin.user` in `origin.channel`, or replaces `origin.messageTs`.
   */
  issueResponseUrl(origin: ResponsePost['origin']): string;
  sendSlashCommand(input: SlashCommandInput, opts?: DeliveryOptions): Promise<DeliveryResult>;
  clickButton(input: ClickButtonInput, opts?: DeliveryOptions): Promise<DeliveryResult>;
  submitView(input: SubmitViewInput, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** The user's App Home tab as last published. */
  home(userId: string): PublishedHome | undefined;
  /** The user opens the app's Home tab: an `app_home_opened` event (with the published view, if any). */
  openHome(userId: string, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** A click on a button of the user's published Home tab (block_actions with a view container). */
  clickHomeButton(input: { userId: string; actionId: string; value?: string }, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** A global shortcut (type `shortcut`), with a fresh trigger_id. */
  globalShortcut(input: { userId: string; callbackId: string }, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** A message shortcut (type `message_action`) on a message, with a trigger_id and a response_url. */
  messageShortcut(input: { userId: string; callbackId: string; channelId: string; messageTs: string }, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** An Events API `event_callback` around `event` (event_ts added when absent). */
  sendEvent(event: Record<string, unknown>, opts?: DeliveryOptions): Promise<DeliveryResult>;
  /** Low level: POST any raw body, signed, to the bot. */
  deliver(rawBody: string, contentType: string, opts?: DeliveryOptions): Promise<DeliveryResult>;

  // A person acting in the workspace: the state changes, then the event is delivered when a bot URL is set.
  userPosts(input: { userId: string; channelId: string; text: string; threadTs?: string }, opts?: DeliveryOptions): Promise<{ ts: string; delivery?: DeliveryResult }>;
  userPins(input: { userId: string; channelId: string; ts: string }, opts?: DeliveryOptions): Promise<DeliveryResult | undefined>;
  userUnpins(input: { userId: string; channelId: string; ts: string }, opts?: DeliveryOptions): Promise<DeliveryResult | undefined>;
  userReacts(input: { userId: string; channelId: string; ts: string; reaction: string }, opts?: DeliveryOptions): Promise<DeliveryResult | undefined>;
  userUnreacts(input: { userId: string; channelId: string; ts: string; reaction: string }, opts?: DeliveryOptions): Promise<DeliveryResult | undefined>;
}
