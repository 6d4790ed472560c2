/**
 * ChatPort over @slack/web-api. 429s are honoured through Retry-After by the WebClient, 5xx are retried
 * with backoff; posts to one channel are serialised so they land in order even across retries.
 */
import { escapeSlackText } from '../../domain/text.js';
import { WebClient, WebClientEvent, type WebAPICallResult } from '@slack/web-api';
import { AppError } from '../../errors.js';
import type { ChatMessage, ChatPort, CreateChannelResult, Logger } from '../../workflows/ports.js';
import type { Metrics } from '../metrics.js';

export interface SlackClientOptions {
  token: string;
  apiUrl?: string;
  metrics?: Metrics;
  logger: Logger;
  /** Retries for 5xx/network errors (429 waits for Retry-After separately). */
  retries?: number;
  privateChannels?: boolean;
}

interface PlatformError {
  code?: string;
  data?: { error?: string };
}

function slackError(e: unknown): string | undefined {
  const pe = e as PlatformError;
  return pe?.code === 'slack_webapi_platform_error' ? pe.data?.error : undefined;
}

/**
 * Slack errors that say "try again later" (Web API docs, per method: `internal_error`, `fatal_error`,
 * `service_unavailable`, `request_timeout`, `ratelimited`). Every other error is about the request or
 * the workspace (`channel_not_found`, `invalid_auth`, `is_archived`, `missing_scope`...): retrying the
 * same call cannot help.
 */
const TRANSIENT_SLACK_ERRORS: ReadonlySet<string> = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
/** Errors that mean the app itself is misconfigured (token, scopes): an operator has to act. */
const CONFIG_SLACK_ERRORS: ReadonlySet<string> = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'no_permission', 'not_allowed_token_type']);

/** The classified error for a Slack platform error (`{ ok: false, error }`) of `method`. */
export function slackPlatformError(method: string, error: string, cause?: unknown): AppError {
  const upstream = `slack:${error}`;
  const opts = { ...(cause === undefined ? {} : { cause }), details: { slackError: error }, upstream };
  if (error === 'ratelimited') return new AppError('throttled', `slack ${method}: ${error}`, opts);
  if (TRANSIENT_SLACK_ERRORS.has(error)) return new AppError('unavailable', `slack ${method}: ${error}`, opts);
  if (CONFIG_SLACK_ERRORS.has(error)) return new AppError('config', `slack ${method}: ${error}`, opts);
  return new AppError('internal', `slack ${method}: ${error}`, opts);
}

export function createWebClient(opts: { token: string; apiUrl?: string; retries?: number }): WebClient {
  return new WebClient(opts.token, {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    retryConfig: { retries: opts.retries ?? 8, factor: 2, minTimeout: 250, maxTimeout: 10_000, randomize: true },
    rejectRateLimitedCalls: false,
    timeout: 15_000,
  });
}

/** Escaped, then held to Slack's 250 characters without cutting an entity in half. */
export function topicText(text: string): string {
  const t = escapeSlackText(text);
  return t.length <= 250 ? t : `${t.slice(0, 249).replace(/&[a-z]*$/, '')}…`;
}

export function createSlackChat(opts: SlackClientOptions, client: WebClient = createWebClient(opts)): ChatPort & { client: WebClient } {
  const { metrics, logger } = opts;
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, { url }: { url: string }) => {
    const method = url.split('/').pop() ?? url;
    metrics?.slackRateLimited.inc({ method });
    logger.warn({ method, retryAfter }, 'slack rate limited; waiting Retry-After');
  });

  async function call<T extends WebAPICallResult>(method: string, fn: () => Promise<T>, okErrors: string[] = []): Promise<T | undefined> {
    metrics?.slackCalls.inc({ method });
    try {
      return await fn();
    } catch (e) {
      const err = slackError(e);
      if (err && okErrors.includes(err)) return undefined;
      metrics?.slackErrors.inc({ method, error: err ?? 'http' });
      if (err) throw slackPlatformError(method, err, e);
      throw new AppError('unavailable', `slack ${method}: ${(e as Error).message}`, { cause: e });
    }
  }

  // Per-channel ordering: chain writes to one channel.
  const chains = new Map<string, Promise<unknown>>();
  function inOrder<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    const prev = chains.get(channel) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    chains.set(channel, settled);
    void settled.then(() => {
      if (chains.get(channel) === settled) chains.delete(channel);
    });
    return next;
  }

  return {
    client,
    async createChannel(name): Promise<CreateChannelResult> {
      metrics?.slackCalls.inc({ method: 'conversations.create' });
      try {
        const r = await client.conversations.create({ name, is_private: opts.privateChannels ?? false });
        return { ok: true, id: r.channel?.id ?? '', name: r.channel?.name ?? name };
      } catch (e) {
        const err = slackError(e);
        metrics?.slackErrors.inc({ method: 'conversations.create', error: err ?? 'http' });
        // Only a taken name is the workflow's to handle (it tries the next suffix); the rest is classified.
        if (err === 'name_taken') return { ok: false, error: err };
        if (err) throw slackPlatformError('conversations.create', err, e);
        throw new AppError('unavailable', `slack conversations.create: ${(e as Error).message}`, { cause: e });
      }
    },
    // Topics and purposes take no formatting, but Slack still turns <!channel> and <@U..> in them
    // into mentions: the text is escaped here, where Slack's rules are known.
    async setTopic(channel, topic) {
      await call('conversations.setTopic', () => client.conversations.setTopic({ channel, topic: topicText(topic) }));
    },
    async setPurpose(channel, purpose) {
      await call('conversations.setPurpose', () => client.conversations.setPurpose({ channel, purpose: topicText(purpose) }));
    },
    async invite(channel, userIds) {
      // Invite in chunks of 100; one bad id must not block the others, so fall back to one by one.
      for (let i = 0; i < userIds.length; i += 100) {
        const chunk = userIds.slice(i, i + 100);
        const r = await call('conversations.invite', () => client.conversations.invite({ channel, users: chunk.join(',') }), ['already_in_channel', 'cant_invite_self', 'user_not_found', 'cant_invite']).catch(() => 'retry-single' as const);
        if (r === 'retry-single' || (r === undefined && chunk.length > 1)) {
          for (const u of chunk) {
            await call('conversations.invite', () => client.conversations.invite({ channel, users: u }), ['already_in_channel', 'cant_invite_self', 'user_not_found', 'cant_invite']).catch((e: unknown) => logger.warn({ err: e, user: u }, 'invite failed'));
          }
        }
      }
    },
    async usergroupMembers(usergroup) {
      const r = await call('usergroups.users.list', () => client.usergroups.users.list({ usergroup }));
      return r?.users ?? [];
    },
    post(channel, message: ChatMessage, o) {
      return inOrder(channel, async () => {
        const r = await call('chat.postMessage', () =>
          client.chat.postMessage({ channel, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}), ...(o?.threadTs ? { thread_ts: o.threadTs } : {}), unfurl_links: false, unfurl_media: false }),
        );
        return { ts: r?.ts ?? '' };
      });
    },
    update(channel, ts, message) {
      return inOrder(channel, async () => {
        await call('chat.update', () => client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) }));
      });
    },
    async postEphemeral(channel, user, message) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) }));
    },
    async pin(channel, timestamp) {
      await call('pins.add', () => client.pins.add({ channel, timestamp }), ['already_pinned']);
    },
    async uploadFile(channel, file) {
      // FilesUploadV2Arguments is a union over channel/thread combinations; build the plain object and narrow once.
      const args = {
        channel_id: channel,
        filename: file.filename,
        title: file.title,
        content: file.content,
        ...(file.threadTs ? { thread_ts: file.threadTs } : {}),
        ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
      } as Parameters<WebClient['filesUploadV2']>[0];
      await call('files.uploadV2', () => client.filesUploadV2(args) as unknown as Promise<WebAPICallResult>);
    },
    async archive(channel) {
      await call('conversations.archive', () => client.conversations.archive({ channel }), ['already_archived']);
    },
    async openView(trigger_id, view) {
      await call('views.open', () => client.views.open({ trigger_id, view: view as never }));
    },
    async publishHome(user_id, view) {
      await call('views.publish', () => client.views.publish({ user_id, view: view as never }));
    },
    async permalink(channel, message_ts) {
      const r = await call('chat.getPermalink', () => client.chat.getPermalink({ channel, message_ts }));
      return typeof r?.permalink === 'string' ? r.permalink : '';
    },
    async addBookmark(channel_id, title, link) {
      await call('bookmarks.add', () => client.bookmarks.add({ channel_id, title, type: 'link', link }));
    },
  };
}
