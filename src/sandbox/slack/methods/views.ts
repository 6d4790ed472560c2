/** views.open and views.update: modals opened with a trigger_id; views.publish: a user's App Home tab. */
import { randomBytes } from 'node:crypto';
import { BAD_JSON, decodeJsonArg, parseArgs, schemas } from '../args.js';
import { viewProblems } from '../validate.js';
import type { OpenedView, PublishedHome } from '../types.js';
import { TRIGGER_TTL_MS, fail, ok, type MethodResult, type Workspace } from '../workspace.js';

export function viewArg(ws: Workspace, args: Record<string, unknown>): { view: Record<string, unknown> } | MethodResult {
  const view = decodeJsonArg(args['view']);
  if (view === BAD_JSON || view === undefined) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] failed to match all allowed schemas [json-pointer:/view]'] } });
  const problems = viewProblems(view);
  if (problems.length > 0) return fail('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
  return { view: view as Record<string, unknown> };
}

export function viewsOpen(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['views.open'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const trigger = a.value.trigger_id ? ws.triggers.get(a.value.trigger_id) : undefined;
  if (!trigger || !a.value.trigger_id) return fail('invalid_trigger_id');
  if (trigger.used) return fail('exchanged_trigger_id');
  if (now - trigger.issuedAt > TRIGGER_TTL_MS) return fail('expired_trigger_id');
  const v = viewArg(ws, args);
  if ('ok' in v) return v;
  trigger.used = true;
  const id = ws.nextId('V');
  const view: OpenedView = {
    id,
    team_id: ws.opts.teamId,
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
  ws.views.set(id, view);
  ws.touch();
  return ok({ view: ws.viewJson(view) });
}

export function viewsUpdate(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['views.update'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const existing = a.value.view_id ? ws.views.get(a.value.view_id) : undefined;
  if (!existing) return fail('not_found');
  if (a.value.hash && a.value.hash !== existing.hash) return fail('hash_conflict');
  const v = viewArg(ws, args);
  if ('ok' in v) return v;
  existing.blocks = Array.isArray(v.view['blocks']) ? (v.view['blocks'] as unknown[]) : [];
  existing.title = v.view['title'];
  if (typeof v.view['private_metadata'] === 'string') existing.private_metadata = v.view['private_metadata'];
  existing.hash = `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`;
  ws.touch();
  return ok({ view: ws.viewJson(existing) });
}

/** Slack: a view payload of at most 250 kB. */
const VIEW_MAX_BYTES = 250 * 1024;

/**
 * views.publish: replaces the user's Home tab. Slack's errors: not_enabled (the app's Home tab is
 * off), hash_conflict (a hash that is not the current one), view_too_large, invalid_arguments (no
 * user_id, or a view that is not a valid `home` view), user_not_found.
 */
export function viewsPublish(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['views.publish'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const userId = a.value.user_id;
  if (!userId) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: user_id'] } });
  const user = ws.user(userId);
  if (!user || user.isBot) return fail('user_not_found');
  const raw = typeof args['view'] === 'string' ? args['view'] : JSON.stringify(args['view'] ?? null);
  if (Buffer.byteLength(raw, 'utf8') > VIEW_MAX_BYTES) return fail('view_too_large');
  const v = viewArg(ws, args);
  if ('ok' in v) return v;
  if (v.view['type'] !== 'home') return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] views.publish takes a view of type home [json-pointer:/view/type]'] } });
  if (ws.opts.homeTabEnabled === false) return fail('not_enabled');
  const existing = ws.homes.get(userId);
  if (a.value.hash && a.value.hash !== existing?.hash) return fail('hash_conflict');
  const home: PublishedHome = {
    id: existing?.id ?? ws.nextId('V'),
    team_id: ws.opts.teamId,
    type: 'home',
    user: userId,
    ...(typeof v.view['callback_id'] === 'string' ? { callback_id: v.view['callback_id'] } : {}),
    private_metadata: typeof v.view['private_metadata'] === 'string' ? v.view['private_metadata'] : '',
    blocks: Array.isArray(v.view['blocks']) ? (v.view['blocks'] as unknown[]) : [],
    hash: `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`,
    published_at: now,
  };
  ws.homes.set(userId, home);
  ws.touch();
  const { user: _u, published_at: _p, ...view } = home;
  return ok({ view: { ...view, state: { values: {} }, app_id: ws.opts.appId, bot_id: ws.opts.botId } });
}
