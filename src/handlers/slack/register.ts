/**
 * Registers every Slack listener on the Bolt app, one surface at a time (DESIGN principle 2).
 * Every listener acks first (3-second deadline), then does its work; failures end up in one
 * ephemeral message to the person who clicked or typed.
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { declareModal } from '../../integrations/slack/blocks/declare.js';
import { ACTIONS, CALLBACKS, DECLARE_FIELDS, SHORTCUTS } from '../../integrations/slack/blocks/ids.js';
import type { Ports } from '../../workflows/context.js';
import { acknowledgeIncident, resolveIncident } from '../../workflows/incidents.js';
import { publishHome } from '../../workflows/home.js';
import { addMessageToTimeline, captureSlackEvent, timelineView } from '../../workflows/lifecycle.js';
import { decide, proposeRevert } from '../../workflows/mitigations/index.js';
import { declareIncident, tameBroadcasts } from '../../workflows/triage.js';
import { AppError, toUserReply } from '../../errors.js';
import { parseSeverity } from '../commands/parse.js';
import { runCommand } from '../commands/table.js';

// Slack payloads are validated at the boundary like every other input.
const CommandPayload = z.object({ text: z.string().default(''), user_id: z.string().min(1), channel_id: z.string().min(1), trigger_id: z.string().optional() });
const ButtonBody = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  container: z.object({ channel_id: z.string().optional() }).passthrough().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(2000).optional() })).min(1),
});
/** The declare form's view_submission (Slack's view state: block id -> action id -> element value). */
const FormValue = z.object({
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
  selected_users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/)).max(100).optional(),
});
const DeclareSubmission = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({ id: z.string().min(1), state: z.object({ values: z.record(z.string(), z.record(z.string(), FormValue)) }) }),
});
const PinEvent = z.object({
  type: z.enum(['pin_added', 'pin_removed']),
  user: z.string(),
  channel_id: z.string(),
  event_ts: z.string(),
  item_user: z.string().optional(),
  item: z.object({ message: z.object({ ts: z.string(), text: z.string().default(''), user: z.string().optional() }).passthrough().optional() }).passthrough(),
});
/** app_home_opened: the Home tab (or the Messages tab) opened by a user. */
const HomeOpenedEvent = z.object({ type: z.literal('app_home_opened'), user: z.string().regex(/^[UW][A-Z0-9]+$/), tab: z.string().default('home') });
/** A block action from the Home tab (its container is the view, not a message). */
const HomeButtonBody = z.object({
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/) }),
  view: z.object({ type: z.literal('home') }).passthrough().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(2000).optional() })).min(1),
});
/** The global shortcut "Declare incident". */
const GlobalShortcut = z.object({ type: z.literal('shortcut'), callback_id: z.string(), trigger_id: z.string().min(1), user: z.object({ id: z.string().min(1) }) });
/** The message shortcut "Add to incident timeline" (type message_action). */
const MessageShortcut = z.object({
  type: z.literal('message_action'),
  callback_id: z.string(),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  message_ts: z.string().regex(/^\d+\.\d+$/),
  message: z.object({ ts: z.string().optional(), text: z.string().max(40_000).default(''), user: z.string().optional(), bot_id: z.string().optional() }).passthrough(),
  response_url: z.string().url().optional(),
});
const ReactionEvent = z.object({ type: z.enum(['reaction_added', 'reaction_removed']), user: z.string(), reaction: z.string(), event_ts: z.string(), item_user: z.string().optional(), item: z.object({ type: z.string(), channel: z.string().optional(), ts: z.string().optional() }) });

export function registerSlackListeners(app: App, deps: Ports): void {
  const log = deps.log.child({ surface: 'slack' });

  // A signed request replayed inside Slack's five-minute window carries the same signature: act on
  // the first delivery only. (Socket Mode has no signatures and no outside replays.)
  app.use(async (args) => {
    const signature = (args.context as { slackSignature?: unknown }).slackSignature;
    if (typeof signature === 'string') {
      const first = await deps.claims.claimOnce(`slack-request:${signature}`, 10 * 60_000).catch(() => true);
      if (!first) {
        log.warn({ type: (args.body as { type?: unknown }).type }, 'replayed Slack request dropped');
        const ack = (args as { ack?: unknown }).ack;
        if (typeof ack === 'function') await (ack as () => Promise<void>)();
        return;
      }
    }
    await args.next();
  });

  app.command('/incident', async ({ ack, body, respond }) => {
    const parsed = CommandPayload.safeParse(body);
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'Malformed command payload.' });
      return;
    }
    // Control characters never reach titles, notes or replies; Slack renders none of them.
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    const p = { ...parsed.data, text: parsed.data.text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '') };
    await ack();
    try {
      const reply = await runCommand({ deps, userId: p.user_id, channelId: p.channel_id, requestId: p.trigger_id ?? `${p.user_id}-${Date.now()}`, ...(p.trigger_id ? { triggerId: p.trigger_id } : {}) }, p.text);
      // Replies echo the user's words; an echoed <!channel> must not read as a broadcast.
      if (reply.message || reply.blocks) await respond({ response_type: 'ephemeral', text: tameBroadcasts(reply.message) || ' ', ...(reply.blocks ? { blocks: reply.blocks as never } : {}) });
    } catch (e) {
      log.error({ err: e, command: p.text.split(/\s/)[0] }, 'command failed');
      await respond({ response_type: 'ephemeral', text: toUserReply(e) }).catch(() => undefined);
    }
  });

  const button = (actionId: string, fn: (d: Ports, b: z.infer<typeof ButtonBody>, value: string, channelId: string) => Promise<{ ok: boolean; message: string }>) => {
    app.action(actionId, async ({ ack, body, respond }) => {
      await ack();
      const parsed = ButtonBody.safeParse(body);
      if (!parsed.success) {
        log.warn({ actionId, issues: parsed.error.issues.length }, 'malformed block_actions payload');
        return;
      }
      const b = parsed.data;
      const value = b.actions[0]?.value ?? '';
      const channelId = b.channel?.id ?? b.container?.channel_id ?? '';
      try {
        // The workflows log with the action, the person and what was clicked bound.
        const r = await fn({ ...deps, log: log.child({ actionId, userId: b.user.id, channelId, value }) }, b, value, channelId);
        if (!r.ok || r.message) await respond({ response_type: 'ephemeral', replace_original: false, text: r.message }).catch(() => undefined);
      } catch (e) {
        log.error({ err: e, actionId }, 'action failed');
        await respond({ response_type: 'ephemeral', replace_original: false, text: toUserReply(e) }).catch(() => undefined);
      }
    });
  };

  const incidentOf = async (value: string, channelId: string) => {
    const byChannel = await deps.incidents.findByChannel(channelId);
    if (!byChannel || byChannel.id !== value) throw new AppError('bad_request', 'This button does not belong to this channel’s incident.');
    return byChannel;
  };
  button(ACTIONS.ack, async (d, b, value, channelId) => acknowledgeIncident(d, (await incidentOf(value, channelId)).id, b.user.id));
  button(ACTIONS.resolve, async (d, b, value, channelId) => resolveIncident(d, (await incidentOf(value, channelId)).id, b.user.id));
  button(ACTIONS.approve, (d, b, value, channelId) => decide(d, value, b.user.id, 'approve', channelId));
  button(ACTIONS.deny, (d, b, value, channelId) => decide(d, value, b.user.id, 'deny', channelId));
  button(ACTIONS.revert, (d, b, value, channelId) => proposeRevert(d, value, b.user.id, channelId));
  for (const dir of ['prev', 'next']) {
    app.action(`${ACTIONS.timelinePage}_${dir}`, async ({ ack, body, respond }) => {
      await ack();
      const parsed = ButtonBody.safeParse(body);
      if (!parsed.success) return;
      const channelId = parsed.data.channel?.id ?? parsed.data.container?.channel_id ?? '';
      const incident = await deps.incidents.findByChannel(channelId);
      if (!incident) return;
      const page = Number(parsed.data.actions[0]?.value ?? '1') || 1;
      const m = await timelineView(deps, incident, page);
      await respond({ response_type: 'ephemeral', replace_original: true, text: m.text, ...(m.blocks ? { blocks: m.blocks as never } : {}) }).catch(() => undefined);
    });
  }

  // ---- App Home: the open incidents, published when the tab is opened; Acknowledge from there.
  app.event('app_home_opened', async ({ event }) => {
    const e = HomeOpenedEvent.safeParse(event);
    if (!e.success || e.data.tab !== 'home') return;
    await publishHome(deps, e.data.user).catch((err: unknown) => log.error({ err, userId: e.data.user }, 'home publish failed'));
  });
  app.action(ACTIONS.homeAck, async ({ ack, body }) => {
    await ack();
    const parsed = HomeButtonBody.safeParse(body);
    if (!parsed.success) {
      log.warn({ actionId: ACTIONS.homeAck, issues: parsed.error.issues.length }, 'malformed block_actions payload');
      return;
    }
    const userId = parsed.data.user.id;
    const incidentId = parsed.data.actions[0]?.value ?? '';
    let notice: string | undefined;
    try {
      const incident = await deps.incidents.get(incidentId);
      if (!incident || incident.status === 'resolved') notice = `${incidentId || 'That incident'} is no longer open.`;
      else {
        const r = await acknowledgeIncident({ ...deps, log: log.child({ actionId: ACTIONS.homeAck, userId, incidentId }) }, incident.id, userId);
        if (!r.ok) notice = r.message;
      }
    } catch (e) {
      log.error({ err: e, actionId: ACTIONS.homeAck }, 'action failed');
      notice = toUserReply(e);
    }
    // The Home tab has no thread for an ephemeral reply: the person's own tab shows the outcome.
    await publishHome(deps, userId, notice).catch((err: unknown) => log.error({ err, userId }, 'home publish failed'));
  });

  // ---- Shortcuts: "Declare incident" (global) and "Add to incident timeline" (message).
  app.shortcut(SHORTCUTS.declare, async ({ ack, body }) => {
    await ack();
    const s = GlobalShortcut.safeParse(body);
    if (!s.success) {
      log.warn({ issues: s.error.issues.length }, 'malformed shortcut payload');
      return;
    }
    // The trigger id lives 3 seconds: the form opens right away.
    await deps.chat.openView(s.data.trigger_id, declareModal()).catch((err: unknown) => log.error({ err }, 'declare form did not open'));
  });
  app.shortcut(SHORTCUTS.addToTimeline, async ({ ack, body, respond }) => {
    await ack();
    const s = MessageShortcut.safeParse(body);
    if (!s.success) {
      log.warn({ issues: s.error.issues.length }, 'malformed message shortcut payload');
      return;
    }
    const { user, channel, message, message_ts } = s.data;
    try {
      const r = await addMessageToTimeline(deps, { channelId: channel.id, userId: user.id, ts: message_ts, text: message.text, ...(message.user ? { author: message.user } : {}) });
      await respond({ response_type: 'ephemeral', text: r.message }).catch(() => deps.chat.postEphemeral(channel.id, user.id, { text: r.message }));
    } catch (e) {
      log.error({ err: e, shortcut: SHORTCUTS.addToTimeline }, 'shortcut failed');
      await respond({ response_type: 'ephemeral', text: toUserReply(e) }).catch(() => undefined);
    }
  });

  app.view(CALLBACKS.declare, async ({ ack, body }) => {
    const parsed = DeclareSubmission.safeParse(body);
    if (!parsed.success) {
      // A submission that is not the declare form's shape: say what is wrong on the form, lose nothing silently.
      log.warn({ issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'malformed view_submission');
      await ack({ response_action: 'errors', errors: { [DECLARE_FIELDS.title.block]: 'The form arrived incomplete or malformed; please submit it again.' } });
      return;
    }
    const values = parsed.data.view.state.values;
    const title = values[DECLARE_FIELDS.title.block]?.[DECLARE_FIELDS.title.action]?.value?.trim() ?? '';
    const sevValue = values[DECLARE_FIELDS.severity.block]?.[DECLARE_FIELDS.severity.action]?.selected_option?.value;
    const responders = values[DECLARE_FIELDS.responders.block]?.[DECLARE_FIELDS.responders.action]?.selected_users ?? [];
    if (!title || title.length > 140) {
      await ack({ response_action: 'errors', errors: { [DECLARE_FIELDS.title.block]: 'A title of at most 140 characters is required.' } });
      return;
    }
    await ack();
    await declareIncident(deps, { title, severity: parseSeverity(sevValue) ?? 'SEV3', userId: parsed.data.user.id, requestId: parsed.data.view.id, responders }).catch((e: unknown) => log.error({ err: e }, 'declare from modal failed'));
  });

  app.event('pin_added', async ({ event }) => onTimelineEvent(event));
  app.event('pin_removed', async ({ event }) => onTimelineEvent(event));
  app.event('reaction_added', async ({ event }) => onTimelineEvent(event));
  app.event('reaction_removed', async ({ event }) => onTimelineEvent(event));

  async function onTimelineEvent(raw: unknown): Promise<void> {
    const pin = PinEvent.safeParse(raw);
    if (pin.success) {
      const msg = pin.data.item.message;
      if (!msg) return;
      const author = msg.user ?? pin.data.item_user;
      await captureSlackEvent(deps, { type: pin.data.type, user: pin.data.user, channel: pin.data.channel_id, ts: msg.ts, text: msg.text, eventTs: pin.data.event_ts, ...(author ? { author } : {}) });
      return;
    }
    const r = ReactionEvent.safeParse(raw);
    if (r.success && r.data.item.type === 'message' && r.data.item.channel && r.data.item.ts) {
      await captureSlackEvent(deps, { type: r.data.type, user: r.data.user, channel: r.data.item.channel, ts: r.data.item.ts, reaction: r.data.reaction, eventTs: r.data.event_ts, ...(r.data.item_user ? { author: r.data.item_user } : {}) });
    }
  }

  app.error(async (e) => {
    log.error({ err: e }, 'bolt error');
  });
}
