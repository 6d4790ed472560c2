/**
 * ChatPort over @slack/web-api. Every call first takes a token from the shared Slack budget
 * (budget.ts); when there is none, or Slack answers 429, the call throws AppError('throttled') with
 * `retryAfterMs` and the job is delayed that long (never slept in the worker: the WebClient's own
 * retry on 429 is off, `rejectRateLimitedCalls`). 5xx are retried with backoff; posts to one channel
 * are serialised so they land in order even across retries.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { escapeSlackText } from '../../domain/text.js';
import { ErrorCode as WebErrorCode, WebClient, WebClientEvent, type WebAPICallResult } from '@slack/web-api';
import { AppError, retryAfterOf } from '../../errors.js';
import type { ChatMessage, ChatPort, CreateChannelResult, Logger } from '../../workflows/ports.js';
import type { Metrics } from '../metrics.js';
import { currentLane, inJob, UNLIMITED_BUDGET, type SlackBudget } from './budget.js';

export interface SlackClientOptions {
  token: string;
  apiUrl?: string;
  metrics?: Metrics;
  logger: Logger;
  /** Retries for 5xx/network errors (429 waits for Retry-After separately). */
  retries?: number;
  /** The shared pace (default: none, for a Slack without limits). */
  budget?: SlackBudget;
}

interface PlatformError {
  code?: string;
  data?: { error?: string };
  /** WebAPIRateLimitedError: Slack's Retry-After in seconds. */
  retryAfter?: number;
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
    // A 429 throws (WebAPIRateLimitedError) instead of pausing the client's queue for Retry-After: the
    // job is delayed instead, so no worker sleeps (DESIGN principle 14).
    rejectRateLimitedCalls: true,
    timeout: 15_000,
  });
}

/** Escaped, then held to Slack's 250 characters without cutting an entity in half. */
export function topicText(text: string): string {
  const t = escapeSlackText(text);
  return t.length <= 250 ? t : `${t.slice(0, 249).replace(/&[a-z]*$/, '')}…`;
}

/** Outside any job there is no job to delay: the call itself waits. */
const waitsItself = () => !inJob();

/** A person's call (outside any job) waits at most this long for the budget or a 429, this many times. */
const INTERACTIVE_MAX_WAIT_MS = 10_000;
const INTERACTIVE_ATTEMPTS = 4;

/** A call the budget or Slack refused for now: the job comes back after `retryAfterMs`. */
export function throttled(method: string, retryAfterMs: number, why: 'budget' | '429', cause?: unknown): AppError {
  return new AppError('throttled', `slack ${method}: ${why === '429' ? 'rate limited (429)' : 'paced by the shared budget'}; again in ${retryAfterMs} ms`, { retryAfterMs, upstream: why === '429' ? 'slack:ratelimited' : 'slack:budget', ...(cause === undefined ? {} : { cause }) });
}

export function createSlackChat(opts: SlackClientOptions, client: WebClient = createWebClient(opts)): ChatPort & { client: WebClient } {
  const { metrics, logger } = opts;
  const budget = opts.budget ?? UNLIMITED_BUDGET;
  // The call a 429 came in (the event is emitted inside the call's async context), for the time calls
  // spend after one: sleeping on Retry-After (0 while rejectRateLimitedCalls is on).
  const inCall = new AsyncLocalStorage<{ limited: boolean }>();
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, { url }: { url: string }) => {
    const current = inCall.getStore();
    if (current) current.limited = true;
    const method = url.split('/').pop() ?? url;
    metrics?.slackRateLimited.inc({ method });
    logger.warn({ method, retryAfter }, 'slack rate limited (429); the job is delayed for Retry-After');
  });

  /** A token from the budget, or throttled. `budgetMethods`: the tiered methods one SDK call makes. */
  async function pace(method: string, channel?: string, budgetMethods: string[] = [method]): Promise<void> {
    const lane = currentLane();
    for (const m of budgetMethods) {
      const wait = await budget.take(m, { ...(channel ? { channel } : {}), lane });
      if (wait > 0) {
        metrics?.slackDeferred.inc({ method: m, lane });
        throw throttled(method, wait, 'budget');
      }
    }
  }

  /** The classified error of a failed call (a 429 becomes throttled with Slack's Retry-After, and pauses the method for every replica). */
  async function classify(method: string, e: unknown, channel?: string): Promise<AppError> {
    const pe = e as PlatformError;
    if (pe?.code === WebErrorCode.RateLimitedError) {
      const ms = Math.max(1, pe.retryAfter ?? 1) * 1000;
      metrics?.slackErrors.inc({ method, error: 'ratelimited' });
      await budget.penalise(method, ms, channel).catch(() => undefined);
      return throttled(method, ms, '429', e);
    }
    const err = slackError(e);
    metrics?.slackErrors.inc({ method, error: err ?? 'http' });
    if (err) return slackPlatformError(method, err, e);
    return new AppError('unavailable', `slack ${method}: ${(e as Error).message}`, { cause: e });
  }

  /**
   * Outside any job (a person's click or command answered in the web role) there is no job to delay:
   * the call waits for the budget or Retry-After itself, briefly and a bounded number of times, then
   * gives up (the person sees the error). Workers never take this path.
   */
  async function call<T extends WebAPICallResult>(method: string, fn: () => Promise<T>, okErrors: string[] = [], o: { channel?: string; budgetMethods?: string[] } = {}): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await callOnce(method, fn, okErrors, o);
      } catch (e) {
        const after = retryAfterOf(e);
        if (after === undefined || !waitsItself() || attempt >= INTERACTIVE_ATTEMPTS || after > INTERACTIVE_MAX_WAIT_MS) throw e;
        metrics?.slackInteractiveWaitSeconds.inc({ method }, after / 1000);
        await new Promise((r) => setTimeout(r, after));
      }
    }
  }

  async function callOnce<T extends WebAPICallResult>(method: string, fn: () => Promise<T>, okErrors: string[], o: { channel?: string; budgetMethods?: string[] }): Promise<T | undefined> {
    await pace(method, o.channel, o.budgetMethods);
    metrics?.slackCalls.inc({ method });
    const scope = { limited: false };
    const started = performance.now();
    let rejected = false;
    try {
      return await inCall.run(scope, fn);
    } catch (e) {
      const err = slackError(e);
      if (err && okErrors.includes(err)) return undefined;
      rejected = (e as PlatformError)?.code === WebErrorCode.RateLimitedError;
      throw await classify(method, e, o.channel);
    } finally {
      // A 429 came during this call and the client did not hand it back at once: it slept on Retry-After
      // (never with rejectRateLimitedCalls, where every 429 is handed back and the job is delayed).
      if (scope.limited && !rejected) metrics?.slackRetryAfterSleepSeconds.inc({ method }, (performance.now() - started) / 1000);
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
    async createChannel(name, { private: isPrivate }): Promise<CreateChannelResult> {
      // Only a taken name is the workflow's to handle (it tries the next suffix); the rest is classified.
      const r = await call('conversations.create', () => client.conversations.create({ name, is_private: isPrivate }), ['name_taken']);
      return r ? { ok: true, id: r.channel?.id ?? '', name: r.channel?.name ?? name } : { ok: false, error: 'name_taken' };
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
        // A throttled call is not a bad id: it goes back to the job (delayed), not one by one.
        const r = await call('conversations.invite', () => client.conversations.invite({ channel, users: chunk.join(',') }), ['already_in_channel', 'cant_invite_self', 'user_not_found', 'cant_invite']).catch((e: unknown) => {
          if (retryAfterOf(e) !== undefined) throw e;
          return 'retry-single' as const;
        });
        if (r === 'retry-single' || (r === undefined && chunk.length > 1)) {
          for (const u of chunk) {
            await call('conversations.invite', () => client.conversations.invite({ channel, users: u }), ['already_in_channel', 'cant_invite_self', 'user_not_found', 'cant_invite']).catch((e: unknown) => {
              if (retryAfterOf(e) !== undefined) throw e;
              logger.warn({ err: e, user: u }, 'invite failed');
            });
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
        const r = await call(
          'chat.postMessage',
          () => client.chat.postMessage({ channel, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}), ...(o?.threadTs ? { thread_ts: o.threadTs } : {}), unfurl_links: false, unfurl_media: false }),
          [],
          { channel },
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
      await call('files.uploadV2', () => client.filesUploadV2(args) as unknown as Promise<WebAPICallResult>, [], { budgetMethods: ['files.getUploadURLExternal', 'files.completeUploadExternal'] });
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
    async threadReplies(channel, ts) {
      const out: ChatMessage[] = [];
      let cursor: string | undefined;
      do {
        const page = cursor;
        const r = await call('conversations.replies', () => client.conversations.replies({ channel, ts, limit: 200, ...(page ? { cursor: page } : {}) }));
        for (const m of r?.messages ?? []) if (m.ts !== ts) out.push({ text: m.text ?? '', ...(m.blocks ? { blocks: m.blocks as unknown[] } : {}) });
        cursor = r?.response_metadata?.next_cursor || undefined;
      } while (cursor);
      return out;
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
