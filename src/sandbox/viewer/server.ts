/**
 * The sandbox viewer: a loopback web page that shows the emulated Slack workspace (channels,
 * Block Kit messages, threads, pins, files, ephemerals) and lets a person act in it: buttons are
 * clicked and slash commands typed as a chosen workspace user, through the emulator's signed
 * deliveries to the bot. One static page plus a small vanilla script (`static/`), read at start.
 *
 * Routes: `GET /` (page), `GET /app.js`, `GET /style.css`, `GET /api/state` (the emulator's state
 * without the call log, with the app's shortcuts), `POST /api/click`, `POST /api/command`,
 * `POST /api/home` (the user opens the App Home tab), `POST /api/home-click` (a button there),
 * `POST /api/shortcut` (a global or message shortcut), `POST /api/submit` (a modal's submission)
 * (JSON bodies only). The shortcuts are the ones the Slack app manifest declares
 * (infra/slack/manifest.yaml), as Slack would offer them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { DeliveryResult, SandboxState, SlackEmulator } from '../slack/index.js';
import { readBody, requestUrl } from '../slack/http-util.js';

export interface ViewerOptions {
  slack: SlackEmulator;
  /** 0 or absent: a free port. */
  port?: number;
  /** The user the page acts as until another is picked (default: the first non-bot user). */
  actAs?: string;
  /** The Slack app manifest whose shortcuts the page offers (default infra/slack/manifest.yaml). */
  manifestPath?: string;
}

/** A shortcut of the app, as the manifest declares it. */
export interface AppShortcut {
  name: string;
  type: 'global' | 'message';
  callbackId: string;
  description: string;
}

const ManifestShortcuts = z.object({
  features: z.object({ shortcuts: z.array(z.object({ name: z.string().min(1), type: z.enum(['global', 'message']), callback_id: z.string().min(1), description: z.string() })).default([]) }),
});

export const DEFAULT_MANIFEST = new URL('../../../infra/slack/manifest.yaml', import.meta.url);

/** The shortcuts the manifest declares (none when it has no shortcuts or is absent). */
export function manifestShortcuts(file: string | URL = DEFAULT_MANIFEST): AppShortcut[] {
  if (!existsSync(file)) return [];
  const parsed = ManifestShortcuts.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new AppError('config', `viewer: the manifest's shortcuts do not parse: ${parsed.error.message}`);
  return parsed.data.features.shortcuts.map((s) => ({ name: s.name, type: s.type, callbackId: s.callback_id, description: s.description }));
}

export interface Viewer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** What `GET /api/state` answers: the emulator's state (call log and response posts left out). */
export type ViewerState = Omit<SandboxState, 'calls' | 'responses'> & { actAs: string; fileBase: string; shortcuts: AppShortcut[] };

const BODY_LIMIT = 64 * 1024;

export const ClickBody = z.object({
  actionId: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
  channelId: z.string().min(1).max(64),
  messageTs: z.string().regex(/^\d+\.\d+$/u),
  blockId: z.string().max(255).optional(),
  userId: z.string().min(1).max(64).optional(),
  ephemeral: z.boolean().optional(),
});

const UserId = z.string().min(1).max(64);
export const HomeBody = z.object({ userId: UserId.optional() });
export const HomeClickBody = z.object({ actionId: z.string().min(1).max(255), value: z.string().max(2000).optional(), userId: UserId.optional() });
export const ShortcutBody = z.object({
  callbackId: z.string().min(1).max(255),
  /** A message shortcut: the message it is used on. */
  channelId: z.string().min(1).max(64).optional(),
  messageTs: z.string().regex(/^\d+\.\d+$/u).optional(),
  userId: UserId.optional(),
});
/** A modal's state values as Slack sends them: block id -> action id -> element state. */
export const SubmitBody = z.object({
  viewId: z.string().min(1).max(64),
  values: z.record(z.string().max(255), z.record(z.string().max(255), z.record(z.string(), z.unknown()))),
  userId: UserId.optional(),
});

export const CommandBody = z.object({
  /** The whole line as typed, e.g. `/incident status`. */
  line: z.string().min(2).max(4000),
  channelId: z.string().min(1).max(64),
  userId: z.string().min(1).max(64).optional(),
});

/** `/incident status now` -> `{ command: '/incident', text: 'status now' }`; undefined when not a command. */
export function parseCommandLine(line: string): { command: string; text: string } | undefined {
  const m = /^\s*(\/[a-z0-9_-]+)(?:\s+([\s\S]*))?$/iu.exec(line);
  if (!m?.[1]) return undefined;
  return { command: m[1].toLowerCase(), text: (m[2] ?? '').trim() };
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function loadStatic(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const { file } of Object.values(STATIC)) {
    if (!out.has(file)) out.set(file, readFileSync(new URL(`./static/${file}`, import.meta.url)));
  }
  return out;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const ct = String(req.headers['content-type'] ?? '');
  // A JSON content type cannot be sent cross-origin without a preflight: no CSRF from other pages.
  if (!ct.toLowerCase().startsWith('application/json')) throw new AppError('bad_request', 'content-type must be application/json');
  const body = await readBody(req, BODY_LIMIT);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new AppError('bad_request', 'invalid JSON');
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

function deliverySummary(r: DeliveryResult): { ok: boolean; status: number; body: string } {
  return { ok: r.status >= 200 && r.status < 300, status: r.status, body: r.text.slice(0, 2000) };
}

export async function startViewer(opts: ViewerOptions): Promise<Viewer> {
  const { slack } = opts;
  const files = loadStatic();
  const shortcuts = manifestShortcuts(opts.manifestPath ?? DEFAULT_MANIFEST);
  const humans = (): string[] => slack.users().filter((u) => !u.isBot && u.id !== slack.botUserId).map((u) => u.id);
  const defaultUser = opts.actAs ?? humans()[0] ?? slack.users()[0]?.id;
  if (!defaultUser) throw new AppError('config', 'viewer: the workspace has no users to act as');
  if (opts.actAs !== undefined && !slack.users().some((u) => u.id === opts.actAs)) throw new AppError('config', `viewer: unknown user ${opts.actAs}`);

  const actor = (userId: string | undefined): string => {
    const id = userId ?? defaultUser;
    if (!slack.users().some((u) => u.id === id)) throw new AppError('bad_request', `unknown user ${id}`);
    return id;
  };
  const requireChannel = (channelId: string): void => {
    if (!slack.channels().some((c) => c.id === channelId)) throw new AppError('bad_request', `unknown channel ${channelId}`);
  };

  function viewState(): ViewerState {
    const { calls: _calls, responses: _responses, ...rest } = slack.state();
    return { ...rest, actAs: defaultUser as string, fileBase: slack.baseUrl, shortcuts };
  }

  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const server = http.createServer((req, res) => {
    const url = requestUrl(req, res);
    if (!url) return;
    const route = async (): Promise<void> => {
      // DNS rebinding: only answer requests addressed to the loopback origin.
      if (!allowedHosts().includes(String(req.headers.host ?? ''))) return sendJson(res, 421, { ok: false, error: 'misdirected_request' });
      const asset = STATIC[url.pathname];
      if (asset && req.method === 'GET') {
        res.writeHead(200, { 'content-type': asset.type, ...SECURITY_HEADERS });
        res.end(files.get(asset.file));
        return;
      }
      if (url.pathname === '/api/state' && req.method === 'GET') return sendJson(res, 200, viewState());
      if (url.pathname === '/api/click' && req.method === 'POST') {
        const parsed = ClickBody.safeParse(await readJson(req));
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const b = parsed.data;
        requireChannel(b.channelId);
        const r = await slack.clickButton({
          actionId: b.actionId,
          userId: actor(b.userId),
          channelId: b.channelId,
          messageTs: b.messageTs,
          ...(b.value !== undefined ? { value: b.value } : {}),
          ...(b.blockId !== undefined ? { blockId: b.blockId } : {}),
          ...(b.ephemeral ? { ephemeral: true } : {}),
        });
        return sendJson(res, 200, deliverySummary(r));
      }
      const body = <T>(schema: z.ZodType<T>, raw: unknown): T => {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        return parsed.data;
      };
      if (url.pathname === '/api/home' && req.method === 'POST') {
        const b = body(HomeBody, await readJson(req));
        return sendJson(res, 200, deliverySummary(await slack.openHome(actor(b.userId))));
      }
      if (url.pathname === '/api/home-click' && req.method === 'POST') {
        const b = body(HomeClickBody, await readJson(req));
        return sendJson(res, 200, deliverySummary(await slack.clickHomeButton({ userId: actor(b.userId), actionId: b.actionId, ...(b.value !== undefined ? { value: b.value } : {}) })));
      }
      if (url.pathname === '/api/shortcut' && req.method === 'POST') {
        const b = body(ShortcutBody, await readJson(req));
        const s = shortcuts.find((x) => x.callbackId === b.callbackId);
        if (!s) throw new AppError('bad_request', `the app declares no shortcut ${b.callbackId}`);
        if (s.type === 'global') return sendJson(res, 200, deliverySummary(await slack.globalShortcut({ userId: actor(b.userId), callbackId: s.callbackId })));
        if (!b.channelId || !b.messageTs) throw new AppError('bad_request', 'a message shortcut needs channelId and messageTs');
        requireChannel(b.channelId);
        return sendJson(res, 200, deliverySummary(await slack.messageShortcut({ userId: actor(b.userId), callbackId: s.callbackId, channelId: b.channelId, messageTs: b.messageTs })));
      }
      if (url.pathname === '/api/submit' && req.method === 'POST') {
        const b = body(SubmitBody, await readJson(req));
        if (!slack.views().some((v) => v.id === b.viewId)) throw new AppError('bad_request', `unknown view ${b.viewId}`);
        const r = await slack.submitView({ viewId: b.viewId, userId: actor(b.userId), values: b.values });
        // The bot's ack: empty (the modal closes) or response_action errors (shown on the form).
        return sendJson(res, 200, { ...deliverySummary(r), ack: typeof r.body === 'object' && r.body !== null ? r.body : null });
      }
      if (url.pathname === '/api/command' && req.method === 'POST') {
        const parsed = CommandBody.safeParse(await readJson(req));
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const cmd = parseCommandLine(parsed.data.line);
        if (!cmd) throw new AppError('bad_request', 'a slash command starts with /, e.g. /incident status');
        requireChannel(parsed.data.channelId);
        const r = await slack.sendSlashCommand({ command: cmd.command, text: cmd.text, userId: actor(parsed.data.userId), channelId: parsed.data.channelId });
        return sendJson(res, 200, deliverySummary(r));
      }
      sendJson(res, 404, { ok: false, error: 'not_found' });
    };
    route().catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof AppError && e.code === 'payload_too_large') return sendJson(res, 413, { ok: false, error: 'payload_too_large' });
      if (e instanceof AppError && e.code === 'bad_request') return sendJson(res, 400, { ok: false, error: 'bad_request', detail: e.message });
      sendJson(res, 502, { ok: false, error: 'delivery_failed', detail: e instanceof Error ? e.message : String(e) });
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
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
