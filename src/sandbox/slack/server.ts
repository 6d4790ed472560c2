/**
 * The Slack emulator: an HTTP server on loopback that answers the Web API methods warroom uses
 * (`POST /api/<method>`, form-encoded or JSON, `Authorization: Bearer`), with Slack's errors,
 * rate limits (HTTP 429 + Retry-After) and injectable faults; and that delivers signed slash
 * commands, block_actions, view_submissions and Events API callbacks to the bot, the way Slack
 * does (protocols 5.3, 5.4). Its state is inspectable in-process and at `GET /_sandbox/state`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { zBool } from './args.js';
import { RateLimiter } from './rate-limit.js';
import { signedHeaders } from './signing.js';
import type { PublishedHome, ResponsePost } from './types.js';
import { blocksProblems } from './validate.js';
import { KNOWN_METHODS } from './methods/index.js';
import { Workspace, type MethodResult } from './workspace.js';
import type { SlackEmulatorOptions, Fault, ApiCall, DeliveryOptions, DeliveryResult, ChannelView, SandboxState, SlackEmulator } from './emulator-types.js';
import { decodeForLog, findElement, parseArgsBody, readBody, requestUrl, send, sleep, uploadBytes } from './http-util.js';

/** response_url: up to 5 uses within 30 minutes (protocols 5.4). */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

interface ResponseUrlState {
  origin: ResponsePost['origin'];
  issuedAt: number;
  uses: number;
}

const responseBodySchema = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: zBool.optional(),
  delete_original: zBool.optional(),
  thread_ts: z.string().optional(),
});

export async function startSlackEmulator(opts: SlackEmulatorOptions): Promise<SlackEmulator> {
  const botToken = opts.botToken ?? 'xoxb-test';
  const botUserId = opts.botUserId ?? 'UWARROOM';
  const teamId = opts.teamId ?? 'TSANDBOX';
  const teamDomain = opts.teamDomain ?? 'warroom-sandbox';
  const appId = opts.appId ?? 'AWARROOM';
  const botPath = opts.botPath ?? '/slack/events';
  let botUrl = opts.botUrl;
  let baseUrl = '';
  const clock = opts.now ?? (() => Date.now());

  const ws = new Workspace({
    teamId,
    teamDomain,
    botUserId,
    botId: opts.botId ?? 'BWARROOM',
    appId,
    users: opts.users ?? [],
    usergroups: opts.usergroups ?? [],
    channels: opts.channels ?? [],
    baseUrl: () => baseUrl,
    ...(opts.homeTabEnabled !== undefined ? { homeTabEnabled: opts.homeTabEnabled } : {}),
  });
  const limiter = new RateLimiter(opts.rateLimits);
  const calls: ApiCall[] = [];
  const responses: ResponsePost[] = [];
  const responseUrls = new Map<string, ResponseUrlState>();
  const faults = new Map<string, Fault[]>();
  const waiters = new Set<{ match: (c: ApiCall) => boolean; resolve: (c: ApiCall) => void }>();

  function record(method: string, args: Record<string, unknown>, status: number, result: { ok: boolean; error?: string }): void {
    const call: ApiCall = {
      seq: calls.length + 1,
      at: new Date().toISOString(),
      method,
      args: decodeForLog(args),
      ok: result.ok,
      ...(result.error !== undefined ? { error: result.error } : {}),
      status,
    };
    calls.push(call);
    for (const w of [...waiters]) {
      if (w.match(call)) {
        waiters.delete(w);
        w.resolve(call);
      }
    }
  }

  function takeFault(method: string): Fault | undefined {
    for (const key of [method, '*']) {
      const q = faults.get(key);
      const f = q?.shift();
      if (q && q.length === 0) faults.delete(key);
      if (f) return f;
    }
    return undefined;
  }

  function issueResponseUrl(origin: ResponsePost['origin']): string {
    const id = randomBytes(12).toString('hex');
    responseUrls.set(id, { origin, issuedAt: clock(), uses: 0 });
    return `${baseUrl}/_sandbox/respond/${id}`;
  }

  async function handleApi(method: string, req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): Promise<void> {
    if (opts.latencyMs) await sleep(opts.latencyMs);
    const raw = await readBody(req);
    const parsed = await parseArgsBody(raw, String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded'));
    const args: Record<string, unknown> = { ...Object.fromEntries(query), ...(parsed ?? {}) };
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      const okValue = body['ok'] === true;
      record(method, args, status, { ok: okValue, ...(typeof body['error'] === 'string' ? { error: body['error'] } : {}) });
      send(res, status, body, headers);
    };
    if (parsed === undefined) return answer(200, { ok: false, error: 'invalid_json' });
    if (!KNOWN_METHODS.has(method)) return answer(200, { ok: false, error: 'unknown_method', req_method: method });

    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
    const token = bearer ?? (typeof args['token'] === 'string' ? args['token'] : undefined);
    if (method !== 'api.test') {
      if (!token) return answer(200, { ok: false, error: 'not_authed' });
      if (token !== botToken) return answer(200, { ok: false, error: 'invalid_auth' });
    }

    const fault = takeFault(method);
    if (fault) {
      if ('error' in fault) return answer(200, { ok: false, error: fault.error });
      if (fault.status === 429) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
      record(method, args, fault.status, { ok: false, error: `http_${fault.status}` });
      return send(res, fault.status, 'upstream error');
    }

    const channel = typeof args['channel'] === 'string' ? args['channel'] : undefined;
    const wait = limiter.check(method, clock(), channel);
    if (wait > 0) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(wait) });

    const result: MethodResult | undefined = ws.call(method, args, clock());
    if (!result) return answer(200, { ok: false, error: 'unknown_method', req_method: method });
    if (result.ok) return answer(200, { ok: true, ...result.body });
    return answer(200, { ok: false, error: result.error, ...(result.extra ?? {}) });
  }

  async function handleRespond(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const entry = responseUrls.get(id);
    const url = `${baseUrl}/_sandbox/respond/${id}`;
    if (!entry) return send(res, 404, { ok: false, error: 'invalid_url' });
    if (clock() - entry.issuedAt > RESPONSE_URL_TTL_MS) return send(res, 404, { ok: false, error: 'expired_url' });
    if (entry.uses >= RESPONSE_URL_USES) return send(res, 404, { ok: false, error: 'used_url' });
    const ct = String(req.headers['content-type'] ?? 'application/json');
    let body: unknown;
    try {
      const text = raw.toString('utf8');
      body = ct.startsWith('application/x-www-form-urlencoded') ? JSON.parse(new URLSearchParams(text).get('payload') ?? '{}') : JSON.parse(text);
    } catch {
      return send(res, 400, { ok: false, error: 'invalid_json' });
    }
    const parsed = responseBodySchema.safeParse(body);
    const bodyRecord = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const post = (status: number): void => {
      responses.push({ at: new Date().toISOString(), url, origin: entry.origin, body: bodyRecord, status });
    };
    if (!parsed.success) {
      post(400);
      return send(res, 400, { ok: false, error: 'invalid_payload' });
    }
    const p = parsed.data;
    if (p.blocks && blocksProblems(p.blocks).length > 0) {
      post(400);
      return send(res, 400, { ok: false, error: 'invalid_blocks' });
    }
    const text = p.text ?? '';
    if (!p.delete_original && text === '' && !p.blocks) {
      post(400);
      return send(res, 400, { ok: false, error: 'no_text' });
    }
    entry.uses += 1;
    const { origin } = entry;
    const now = clock();
    if (p.delete_original && origin.messageTs && origin.channel) {
      ws.deleteMessage(origin.channel, origin.messageTs);
    } else if (p.replace_original && origin.messageTs && origin.channel) {
      ws.replaceMessage(origin.channel, origin.messageTs, text, p.blocks);
    } else if (origin.channel && p.response_type === 'in_channel') {
      ws.postAsApp(origin.channel, text, p.blocks, p.thread_ts, now);
    } else if (origin.channel) {
      ws.addEphemeral({ channel: origin.channel, user: origin.user, text, ...(p.blocks ? { blocks: p.blocks } : {}), ts: ws.nextTs(now), source: 'response_url' });
    }
    post(200);
    return send(res, 200, { ok: true });
  }

  function channelView(id: string): ChannelView | undefined {
    const c = ws.channelState(id);
    if (!c) return undefined;
    return { ...structuredClone(c.info), is_member: c.members.has(botUserId), members: [...c.members], pins: structuredClone(c.pins) };
  }

  function state(): SandboxState {
    return {
      version: ws.version,
      team: { id: teamId, domain: teamDomain },
      bot: { userId: botUserId, botId: ws.opts.botId, appId },
      users: ws.userList(),
      usergroups: ws.usergroupList(),
      channels: ws.channelList().map((c) => {
        const st = ws.channelState(c.id);
        const all = st ? structuredClone(st.messages) : [];
        const top = all.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast');
        return {
          ...c,
          is_member: c.members.includes(botUserId),
          messages: top.map((m) => ({ ...m, replies: all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts) })),
          bookmarks: ws.bookmarks.filter((b) => b.channel_id === c.id).map((b) => ({ ...b })),
        };
      }),
      files: ws.fileList().map(({ content: _c, ...f }) => f),
      ephemerals: structuredClone(ws.ephemerals),
      views: structuredClone([...ws.views.values()]),
      homes: structuredClone([...ws.homes.values()]),
      responses: structuredClone(responses),
      calls: calls.slice(-500),
    };
  }

  const server = http.createServer((req, res) => {
    const url = requestUrl(req, res);
    if (!url) return;
    const path = url.pathname;
    const route = async (): Promise<void> => {
      const api = /^\/api\/([A-Za-z0-9._]+)$/u.exec(path);
      if (api?.[1] && (req.method === 'POST' || req.method === 'GET')) return handleApi(api[1], req, res, url.searchParams);
      const upload = /^\/_upload\/([A-Z0-9]+)$/u.exec(path);
      if (upload?.[1] && req.method === 'POST') {
        const raw = await readBody(req);
        const bytes = await uploadBytes(raw, String(req.headers['content-type'] ?? 'application/octet-stream'));
        return ws.receiveUpload(upload[1], bytes) ? send(res, 200, `OK - ${bytes.length}`) : send(res, 404, 'file not found');
      }
      const respond = /^\/_sandbox\/respond\/([a-f0-9]+)$/u.exec(path);
      if (respond?.[1] && req.method === 'POST') return handleRespond(respond[1], req, res);
      if (path === '/_sandbox/state' && req.method === 'GET') return send(res, 200, state(), { 'cache-control': 'no-store' });
      const file = /^\/_sandbox\/files\/([A-Z0-9]+)$/u.exec(path);
      if (file?.[1] && req.method === 'GET') {
        const f = ws.fileContent(file[1]);
        if (!f) return send(res, 404, 'file not found');
        res.writeHead(200, { 'content-type': f.file.mimetype, 'content-disposition': `inline; filename="${f.file.name.replace(/"/gu, '')}"` });
        res.end(f.bytes);
        return;
      }
      send(res, 404, { ok: false, error: 'not_found' });
    };
    route().catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof AppError && e.code === 'payload_too_large') return send(res, 413, { ok: false, error: 'request_too_large' });
      send(res, 500, { ok: false, error: 'internal_error', detail: e instanceof Error ? e.message : String(e) });
    });
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  async function deliver(rawBody: string, contentType: string, d: DeliveryOptions = {}): Promise<DeliveryResult> {
    if (!botUrl) throw new AppError('config', 'slack emulator: no bot URL to deliver to (setBotUrl)');
    const ts = Math.floor(clock() / 1000) - (d.staleBySeconds ?? 0);
    const sentBody = d.tamperBody ? d.tamperBody(rawBody) : rawBody;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...(d.unsigned ? {} : signedHeaders(d.badSignature ? `${opts.signingSecret}-wrong` : opts.signingSecret, rawBody, ts)),
      ...(d.retryNum !== undefined ? { 'x-slack-retry-num': String(d.retryNum), 'x-slack-retry-reason': d.retryReason ?? 'http_timeout' } : {}),
    };
    const target = new URL(d.path ?? botPath, botUrl).toString();
    const res = await fetch(target, { method: 'POST', headers, body: sentBody, signal: AbortSignal.timeout(d.timeoutMs ?? 10_000) });
    const text = await res.text();
    let body: unknown = text === '' ? undefined : text;
    if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    return { status: res.status, body, text, headers: Object.fromEntries(res.headers.entries()), sent: { body: sentBody, headers } };
  }

  function userRef(userId: string): { id: string; username: string; name: string; team_id: string } {
    const u = ws.user(userId);
    return { id: userId, username: u?.name ?? userId, name: u?.name ?? userId, team_id: teamId };
  }

  function channelName(channelId: string): string {
    const c = ws.channelState(channelId);
    if (!c) return channelId;
    return c.info.is_im ? 'directmessage' : c.info.is_private ? 'privategroup' : c.info.name;
  }

  async function sendEvent(event: Record<string, unknown>, d?: DeliveryOptions): Promise<DeliveryResult> {
    const now = clock();
    const eventTs = typeof event['event_ts'] === 'string' ? event['event_ts'] : ws.nextTs(now);
    const envelope = {
      token: 'sandbox-verification-token',
      team_id: teamId,
      api_app_id: appId,
      event: { ...event, event_ts: eventTs },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now / 1000),
      authorizations: [{ enterprise_id: null, team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(12).toString('base64url')}`,
    };
    return deliver(JSON.stringify(envelope), 'application/json', d);
  }

  /** An interactive payload as Slack posts it: form-encoded `payload=<json>`, signed. */
  function deliverInteractive(payload: Record<string, unknown>, d?: DeliveryOptions): Promise<DeliveryResult> {
    return deliver(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', d);
  }

  /** What global and message shortcut payloads share. */
  function shortcutEnvelope(callbackId: string, triggerId: string, now: number): Record<string, unknown> {
    return { token: 'sandbox-verification-token', action_ts: ws.nextTs(now), team: { id: teamId, domain: teamDomain }, is_enterprise_install: false, enterprise: null, callback_id: callbackId, trigger_id: triggerId };
  }

  /** A published Home tab as Slack shows it in payloads (the view object). */
  function homeJson(h: PublishedHome): Record<string, unknown> {
    const { user: _u, published_at: _p, ...view } = h;
    return { ...structuredClone(view), state: { values: {} }, app_id: appId, bot_id: ws.opts.botId, root_view_id: h.id, previous_view_id: null };
  }

  const emulator: SlackEmulator = {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    port,
    botToken,
    botUserId,
    teamId,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const w of waiters) waiters.delete(w);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    setBotUrl(url) {
      botUrl = url;
    },
    channels: () => ws.channelList().map((c) => channelView(c.id)).filter((c): c is ChannelView => c !== undefined),
    channelByName(name) {
      const c = ws.channelByName(name);
      return c ? channelView(c.info.id) : undefined;
    },
    messages: (channelId) => structuredClone(ws.channelState(channelId)?.messages ?? []),
    thread(channelId, ts) {
      const all = ws.channelState(channelId)?.messages ?? [];
      return structuredClone(all.filter((m) => m.ts === ts || m.thread_ts === ts));
    },
    pins: (channelId) => structuredClone(ws.channelState(channelId)?.pins ?? []),
    members: (channelId) => [...(ws.channelState(channelId)?.members ?? [])],
    files: () => ws.fileList(),
    ephemerals: () => structuredClone(ws.ephemerals),
    views: () => structuredClone([...ws.views.values()]),
    bookmarks: () => ws.bookmarks.map((b) => ({ ...b })),
    responses: () => structuredClone(responses),
    users: () => ws.userList(),
    state,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitForCall(match, timeoutMs = 5000) {
      const found = calls.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<ApiCall>((resolve, reject) => {
        const w = {
          match,
          resolve: (c: ApiCall) => {
            clearTimeout(t);
            resolve(c);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new AppError('timeout', `slack emulator: no matching call within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    failNext(method, n, fault) {
      const q = faults.get(method) ?? [];
      for (let i = 0; i < n; i += 1) q.push(fault);
      faults.set(method, q);
    },
    clearFaults: () => faults.clear(),
    issueTriggerId: (userId) => ws.issueTrigger(userId, clock()),
    issueResponseUrl,

    async sendSlashCommand(input, d) {
      const triggerId = ws.issueTrigger(input.userId, clock());
      const responseUrl = issueResponseUrl({ kind: 'command', channel: input.channelId, user: input.userId });
      const form = new URLSearchParams({
        token: 'sandbox-verification-token',
        team_id: teamId,
        team_domain: teamDomain,
        channel_id: input.channelId,
        channel_name: channelName(input.channelId),
        user_id: input.userId,
        user_name: ws.user(input.userId)?.name ?? input.userId,
        command: input.command,
        text: input.text ?? '',
        api_app_id: appId,
        is_enterprise_install: 'false',
        response_url: responseUrl,
        trigger_id: triggerId,
      });
      const r = await deliver(form.toString(), 'application/x-www-form-urlencoded', d);
      return { ...r, triggerId, responseUrl };
    },

    async clickButton(input, d) {
      const now = clock();
      const message = input.ephemeral ? undefined : ws.findMessage(input.channelId, input.messageTs);
      const found = findElement(message?.blocks, input.actionId);
      const triggerId = ws.issueTrigger(input.userId, now);
      const responseUrl = issueResponseUrl({
        kind: 'block_actions',
        channel: input.channelId,
        user: input.userId,
        ...(input.ephemeral ? {} : { messageTs: input.messageTs }),
      });
      const el = found?.element;
      const payload = {
        type: 'block_actions',
        user: userRef(input.userId),
        api_app_id: appId,
        token: 'sandbox-verification-token',
        container: { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: Boolean(input.ephemeral) },
        trigger_id: triggerId,
        team: { id: teamId, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: input.channelId, name: channelName(input.channelId) },
        ...(message ? { message: structuredClone(message) } : {}),
        state: { values: {} },
        response_url: responseUrl,
        actions: [
          {
            action_id: input.actionId,
            block_id: input.blockId ?? found?.blockId ?? randomBytes(3).toString('base64url'),
            text: el?.['text'] ?? { type: 'plain_text', text: input.actionId, emoji: true },
            value: input.value ?? (typeof el?.['value'] === 'string' ? el['value'] : ''),
            ...(typeof el?.['style'] === 'string' ? { style: el['style'] } : {}),
            type: typeof el?.['type'] === 'string' ? el['type'] : 'button',
            action_ts: ws.nextTs(now),
          },
        ],
      };
      const form = new URLSearchParams({ payload: JSON.stringify(payload) });
      const r = await deliver(form.toString(), 'application/x-www-form-urlencoded', d);
      return { ...r, triggerId, responseUrl };
    },

    async submitView(input, d) {
      const view = ws.views.get(input.viewId);
      if (!view) throw new AppError('not_found', `slack emulator: no view ${input.viewId}`);
      const userId = input.userId ?? view.user;
      const values = input.values ?? {};
      view.state = { values: structuredClone(values) };
      const triggerId = ws.issueTrigger(userId, clock());
      const payload = {
        type: 'view_submission',
        team: { id: teamId, domain: teamDomain },
        user: userRef(userId),
        api_app_id: appId,
        token: 'sandbox-verification-token',
        trigger_id: triggerId,
        view: ws.viewJson(view),
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
      const form = new URLSearchParams({ payload: JSON.stringify(payload) });
      const r = await deliver(form.toString(), 'application/x-www-form-urlencoded', d);
      return { ...r, triggerId };
    },

    sendEvent,
    deliver,

    home: (userId) => structuredClone(ws.homes.get(userId)),

    async openHome(userId, d) {
      if (!ws.user(userId)) throw new AppError('not_found', `slack emulator: no user ${userId}`);
      const home = ws.homes.get(userId);
      // The app's direct-message channel with the user carries the event (Slack sends its D id).
      const channel = `D${userId.slice(1)}`;
      return sendEvent({ type: 'app_home_opened', user: userId, channel, tab: 'home', ...(home ? { view: homeJson(home) } : {}) }, d);
    },

    async clickHomeButton(input, d) {
      const home = ws.homes.get(input.userId);
      if (!home) throw new AppError('not_found', `slack emulator: ${input.userId} has no published Home tab`);
      const found = findElement(home.blocks, input.actionId, input.value);
      if (!found) throw new AppError('bad_request', `slack emulator: no ${input.actionId} button${input.value !== undefined ? ` with value ${input.value}` : ''} on ${input.userId}'s Home tab`);
      const now = clock();
      const triggerId = ws.issueTrigger(input.userId, now);
      const el = found.element;
      const payload = {
        type: 'block_actions',
        user: userRef(input.userId),
        api_app_id: appId,
        token: 'sandbox-verification-token',
        container: { type: 'view', view_id: home.id },
        trigger_id: triggerId,
        team: { id: teamId, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        view: homeJson(home),
        actions: [
          {
            action_id: input.actionId,
            block_id: found.blockId ?? randomBytes(3).toString('base64url'),
            text: el['text'] ?? { type: 'plain_text', text: input.actionId, emoji: true },
            value: typeof el['value'] === 'string' ? el['value'] : '',
            ...(typeof el['style'] === 'string' ? { style: el['style'] } : {}),
            type: typeof el['type'] === 'string' ? el['type'] : 'button',
            action_ts: ws.nextTs(now),
          },
        ],
      };
      const r = await deliverInteractive(payload, d);
      return { ...r, triggerId };
    },

    async globalShortcut(input, d) {
      if (!ws.user(input.userId)) throw new AppError('not_found', `slack emulator: no user ${input.userId}`);
      const now = clock();
      const triggerId = ws.issueTrigger(input.userId, now);
      const payload = { type: 'shortcut', ...shortcutEnvelope(input.callbackId, triggerId, now), user: { id: input.userId, username: ws.user(input.userId)?.name ?? input.userId, team_id: teamId } };
      const r = await deliverInteractive(payload, d);
      return { ...r, triggerId };
    },

    async messageShortcut(input, d) {
      const message = ws.findMessage(input.channelId, input.messageTs);
      if (!message) throw new AppError('not_found', `slack emulator: no message ${input.messageTs} in ${input.channelId}`);
      const now = clock();
      const triggerId = ws.issueTrigger(input.userId, now);
      const responseUrl = issueResponseUrl({ kind: 'message_action', channel: input.channelId, user: input.userId });
      const payload = {
        type: 'message_action',
        ...shortcutEnvelope(input.callbackId, triggerId, now),
        user: { id: input.userId, name: ws.user(input.userId)?.name ?? input.userId, team_id: teamId },
        channel: { id: input.channelId, name: channelName(input.channelId) },
        response_url: responseUrl,
        message_ts: input.messageTs,
        message: structuredClone(message),
      };
      const r = await deliverInteractive(payload, d);
      return { ...r, triggerId, responseUrl };
    },

    async userPosts(input, d) {
      const m = ws.postAsUser(input.channelId, input.userId, input.text, input.threadTs, clock());
      if (!m) throw new AppError('not_found', `slack emulator: no channel ${input.channelId}`);
      if (!botUrl) return { ts: m.ts };
      const delivery = await sendEvent(
        { type: 'message', channel: input.channelId, user: input.userId, text: input.text, ts: m.ts, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), channel_type: 'channel', event_ts: m.ts },
        d,
      );
      return { ts: m.ts, delivery };
    },

    async userPins(input, d) {
      const r = ws.pinAsUser(input.channelId, input.ts, input.userId, clock());
      if (r !== 'ok') throw new AppError('bad_request', `slack emulator: cannot pin: ${r}`);
      if (!botUrl) return undefined;
      const message = ws.findMessage(input.channelId, input.ts);
      const pins = ws.channelState(input.channelId)?.pins.length ?? 0;
      return sendEvent(
        {
          type: 'pin_added',
          user: input.userId,
          channel_id: input.channelId,
          item: { type: 'message', channel: input.channelId, message: structuredClone(message), created: Math.floor(clock() / 1000), created_by: input.userId },
          item_user: message?.user,
          pin_count: pins,
          pinned_info: { channel: input.channelId, pinned_by: input.userId, pinned_ts: Math.floor(clock() / 1000) },
        },
        d,
      );
    },

    async userUnpins(input, d) {
      const message = ws.findMessage(input.channelId, input.ts);
      if (!ws.unpinAsUser(input.channelId, input.ts)) throw new AppError('bad_request', 'slack emulator: cannot unpin: no_pin');
      if (!botUrl) return undefined;
      return sendEvent(
        {
          type: 'pin_removed',
          user: input.userId,
          channel_id: input.channelId,
          item: { type: 'message', channel: input.channelId, message: structuredClone(message), created_by: input.userId },
          item_user: message?.user,
          pin_count: ws.channelState(input.channelId)?.pins.length ?? 0,
          has_pins: (ws.channelState(input.channelId)?.pins.length ?? 0) > 0,
        },
        d,
      );
    },

    async userReacts(input, d) {
      const r = ws.react(input.channelId, input.ts, input.userId, input.reaction);
      if (r !== 'ok') throw new AppError('bad_request', `slack emulator: cannot react: ${r}`);
      if (!botUrl) return undefined;
      const message = ws.findMessage(input.channelId, input.ts);
      return sendEvent(
        { type: 'reaction_added', user: input.userId, reaction: input.reaction, item_user: message?.user, item: { type: 'message', channel: input.channelId, ts: input.ts } },
        d,
      );
    },

    async userUnreacts(input, d) {
      const r = ws.unreact(input.channelId, input.ts, input.userId, input.reaction);
      if (r !== 'ok') throw new AppError('bad_request', `slack emulator: cannot remove reaction: ${r}`);
      if (!botUrl) return undefined;
      const message = ws.findMessage(input.channelId, input.ts);
      return sendEvent(
        { type: 'reaction_removed', user: input.userId, reaction: input.reaction, item_user: message?.user, item: { type: 'message', channel: input.channelId, ts: input.ts } },
        d,
      );
    },
  };
  return emulator;
}
