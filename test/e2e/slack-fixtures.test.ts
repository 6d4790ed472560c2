/**
 * Slack's own payloads, not ours: request bodies taken from Slack's SDK test suites
 * (test/fixtures/slack, sources in test/fixtures/README.md), signed the way Slack signs (v0 HMAC over
 * the raw body, a current timestamp) and sent over real HTTP to the running bot. Each must be accepted
 * and acted on (the effect is read back from the store or the sandbox workspace), and each, altered
 * after signing, must be refused with nothing done.
 *
 * Only fields that must point into this world are changed (channel ids, action and callback ids, the
 * response_url and trigger_id the sandbox issues, placeholders Slack's sample left empty); every change
 * is listed next to its payload below and in test/fixtures/README.md. The fixtures' own user W111
 * ("primary-owner") and channel C111 ("random") are members of the sandbox workspace, so their ids stay.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTIONS, CALLBACKS, DECLARE_FIELDS } from '../../src/integrations/slack/blocks/ids.js';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import type { DeliveryResult } from '../../src/sandbox/slack/emulator-types.js';
import { startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';
import { readManifest } from '../support/slack-manifest.js';

const FIXTURES = path.resolve('test/fixtures/slack');
const FIXTURE_USER = 'W111';
const FIXTURE_CHANNEL = 'C111';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/**
 * A copy of `payload` with the values at the given dotted paths replaced. Every path must already exist
 * in Slack's payload: an adaptation replaces what Slack sent, it never adds a field Slack did not send.
 */
function adapt<T extends Record<string, unknown>>(payload: T, changes: Record<string, unknown>): T {
  const copy = structuredClone(payload);
  for (const [dotted, value] of Object.entries(changes)) {
    const keys = dotted.split('.');
    const last = keys.pop() ?? '';
    let node: unknown = copy;
    for (const k of keys) node = (node as Record<string, unknown>)[k];
    if (typeof node !== 'object' || node === null || !(last in node)) throw new Error(`fixture has no field ${dotted}`);
    (node as Record<string, unknown>)[last] = value;
  }
  return copy;
}

/** Interactive payloads travel as `payload=<json>`, form-encoded, as Slack sends them. */
const asForm = (payload: unknown): string => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const FORM = 'application/x-www-form-urlencoded';
const JSON_CT = 'application/json';

describe("Slack's own payloads (SDK test fixtures), signed and sent to the running bot", () => {
  let slack: SlackEmulator;
  let bot: TestBot;
  let incident: Incident & { channelId: string; cardTs: string };

  beforeAll(async () => {
    slack = await startSlack({
      users: [
        { id: FIXTURE_USER, name: 'primary-owner' },
        { id: 'U0ONCALL1', name: 'oncall' },
        { id: 'U0LEAD', name: 'lead' },
      ],
      channels: [
        { id: 'C0ANNOUNCE', name: 'incidents' },
        { id: FIXTURE_CHANNEL, name: 'random' },
      ],
    });
    bot = await startBot({ redisUrl: inject('redisUrl'), slack });
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
  });

  const store = () => bot.running.deps.ports;
  const reaction = () => bot.running.deps.ports.config.timeline.reaction;

  /** Sends the body twice: altered after signing (must be refused, 401), then as signed (returned). */
  async function refusedTamperedThenSent(body: string, contentType: string, tamper: (raw: string) => string): Promise<DeliveryResult> {
    const tampered = await slack.deliver(body, contentType, { tamperBody: tamper });
    expect(tampered.sent.body).not.toBe(body);
    expect(tampered.status).toBe(401);
    const sent = await slack.deliver(body, contentType);
    expect(sent.status).toBe(200);
    return sent;
  }

  it('url_verification (bolt-python): the challenge is echoed; altered after signing, refused', async () => {
    const body = JSON.stringify(fixture('url-verification.json'));
    const r = await refusedTamperedThenSent(body, JSON_CT, (raw) => raw.replace('3eZbrw1a', '3eZbrw1b'));
    expect(r.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it('a slash command (bolt-python, text "Hi" kept): answered on its response_url with the help for an unknown subcommand', async () => {
    const form = new URLSearchParams(readFileSync(path.join(FIXTURES, 'slash-command.form'), 'utf8').trim());
    expect(form.get('user_id')).toBe(FIXTURE_USER);
    expect(form.get('channel_id')).toBe(FIXTURE_CHANNEL);
    // Adapted: the command is ours; the response_url and trigger_id are the sandbox's (Slack issues both).
    const responseUrl = slack.issueResponseUrl({ kind: 'command', channel: FIXTURE_CHANNEL, user: FIXTURE_USER });
    form.set('command', '/incident');
    form.set('response_url', responseUrl);
    form.set('trigger_id', slack.issueTriggerId(FIXTURE_USER));
    const body = form.toString();

    await refusedTamperedThenSent(body, FORM, (raw) => raw.replace('text=Hi', 'text=declare+sev1+forged'));
    const reply = await waitFor(() => slack.responses().find((p) => p.url === responseUrl), { what: 'the reply on the response_url' });
    expect(reply.status).toBe(200);
    expect(String(reply.body['text'])).toContain('Unknown subcommand “hi”');
    expect(slack.ephemerals().some((e) => e.source === 'response_url' && e.channel === FIXTURE_CHANNEL && e.user === FIXTURE_USER && e.text.includes('Unknown subcommand “hi”'))).toBe(true);
    // The altered one declared nothing.
    expect((await store().incidents.listAll(100)).some((i) => i.title.includes('forged'))).toBe(false);
  });

  it('view_submission (bolt-python, title "test" kept): the declare form opens an incident channel', async () => {
    // Adapted: callback_id and the block/action ids of the one input are the declare form's.
    const payload = fixture('view-submission.json');
    const view = payload['view'] as Record<string, unknown>;
    const adapted = adapt(payload, {
      'view.callback_id': CALLBACKS.declare,
      'view.state.values': { [DECLARE_FIELDS.title.block]: { [DECLARE_FIELDS.title.action]: (view['state'] as { values: { hspI: { maBWU: unknown } } }).values.hspI.maBWU } },
    });
    await refusedTamperedThenSent(asForm(adapted), FORM, (raw) => raw.replace('%22test%22', '%22forged%22'));
    incident = await waitFor(
      async () => {
        const i = (await store().incidents.listAll(100)).find((x) => x.title === 'test');
        return i?.channelId && i.cardTs && slack.pins(i.channelId).some((p) => p.ts === i.cardTs) ? (i as typeof incident) : undefined;
      },
      { what: 'the incident declared from the view_submission', timeoutMs: 15_000 },
    );
    expect(incident.source).toBe('manual');
    const alerts = await store().incidents.listAlerts(incident.id);
    expect(alerts[0]?.labels['declared_by']).toBe(FIXTURE_USER);
    expect(slack.channels().find((c) => c.id === incident.channelId)?.name).toMatch(/^inc-\d+-test$/);
    expect((await store().incidents.listAll(100)).some((i) => i.title === 'forged')).toBe(false);
  });

  it('block_actions (bolt-python): the Acknowledge button acknowledges the incident as the clicking user', async () => {
    // Adapted: the button is our Acknowledge (action_id, value = incident id), clicked in the incident
    // channel on the card; the response_url and trigger_id are the sandbox's.
    const adapted = adapt(fixture('block-actions.json'), {
      'channel.id': incident.channelId,
      'container.channel_id': incident.channelId,
      'container.message_ts': incident.cardTs,
      'actions.0.action_id': ACTIONS.ack,
      'actions.0.value': incident.id,
      response_url: slack.issueResponseUrl({ kind: 'block_actions', channel: incident.channelId, user: FIXTURE_USER }),
      trigger_id: slack.issueTriggerId(FIXTURE_USER),
    });
    const tampered = await slack.deliver(asForm(adapted), FORM, { tamperBody: (raw) => raw.replace('W111', 'U0LEAD') });
    expect(tampered.status).toBe(401);
    expect((await store().incidents.get(incident.id))?.status).toBe('triggered');
    await slack.deliver(asForm(adapted), FORM).then((r) => expect(r.status).toBe(200));
    const acked = await waitFor(async () => {
      const i = await store().incidents.get(incident.id);
      return i?.status === 'acknowledged' ? i : undefined;
    }, { what: 'the incident acknowledged' });
    expect(acked.acknowledgedBy).toBe(FIXTURE_USER);
    expect(acked.roles.commander).toBe(FIXTURE_USER);
  });

  it('event_callback pin_added (java-slack-sdk sample): the pinned message joins the incident timeline', async () => {
    // Slack's sample leaves every id and text empty: filled with the incident channel, the person who
    // pinned and the message they pinned.
    const pinnedTs = `${Math.floor(Date.now() / 1000) - 60}.000100`;
    const adapted = adapt(fixture('event-pin-added.json'), {
      'event.user': FIXTURE_USER,
      'event.channel_id': incident.channelId,
      'event.item.channel': incident.channelId,
      'event.item.created_by': FIXTURE_USER,
      'event.item.message.user': 'U0ONCALL1',
      'event.item.message.text': 'Rolled checkout back to v41; errors falling',
      'event.item.message.ts': pinnedTs,
      'event.item_user': 'U0ONCALL1',
      'event.pinned_info.channel': incident.channelId,
      'event.pinned_info.pinned_by': FIXTURE_USER,
    });
    await refusedTamperedThenSent(JSON.stringify(adapted), JSON_CT, (raw) => raw.replace('errors falling', 'all fine now'));
    const entry = await waitFor(async () => (await store().timeline.list(incident.id)).find((e) => e.kind === 'slack.pinned'), { what: 'the pin in the timeline' });
    expect(entry.text).toBe('Rolled checkout back to v41; errors falling');
    expect(entry.actor).toBe('U0ONCALL1');
    expect(entry.at).toBe(new Date(Number(pinnedTs) * 1000).toISOString());
  });

  it('event_callback reaction_added (bolt-python): the timeline reaction marks the message in the timeline', async () => {
    // Adapted: the reacted message is in the incident channel, and the reaction is the configured marker.
    const adapted = adapt(fixture('event-reaction-added.json'), { 'event.item.channel': incident.channelId, 'event.reaction': reaction() });
    await refusedTamperedThenSent(JSON.stringify(adapted), JSON_CT, (raw) => raw.replace('1599529504.000400', '1599529504.000401'));
    const entry = await waitFor(async () => (await store().timeline.list(incident.id)).find((e) => e.kind === 'slack.reaction'), { what: 'the reaction in the timeline' });
    expect(entry.data).toMatchObject({ ts: '1599529504.000400', by: FIXTURE_USER });
    expect(entry.actor).toBe(FIXTURE_USER);
    expect((await store().timeline.list(incident.id)).filter((e) => e.kind === 'slack.reaction')).toHaveLength(1);
  });

  it('shortcuts (bolt-python global and message shortcut payloads): each shortcut the manifest declares is acted on; none declared, none answered', async () => {
    const declared = readManifest().features.shortcuts ?? [];
    const cases = [
      { type: 'global' as const, file: 'shortcut-global.json' },
      { type: 'message' as const, file: 'shortcut-message.json' },
    ];
    for (const c of cases) {
      const shortcut = declared.find((s) => s.type === c.type);
      const triggerId = slack.issueTriggerId(FIXTURE_USER);
      // Adapted: our callback_id and a trigger_id the sandbox issued; a message shortcut also gets a
      // response_url of the sandbox's and is used on the incident's card.
      const adapted = adapt(fixture(c.file), {
        callback_id: shortcut?.callback_id ?? 'test-shortcut',
        trigger_id: triggerId,
        ...(c.type === 'message'
          ? {
              'channel.id': incident.channelId,
              message_ts: incident.cardTs,
              'message.ts': incident.cardTs,
              response_url: slack.issueResponseUrl({ kind: 'message_action', channel: incident.channelId, user: FIXTURE_USER }),
            }
          : {}),
      });
      const tampered = await slack.deliver(asForm(adapted), FORM, { tamperBody: (raw) => raw.replace('W111', 'U0LEAD') });
      expect(tampered.status).toBe(401);
      const callsBefore = slack.calls.length;
      const r = await slack.deliver(asForm(adapted), FORM);
      if (!shortcut) {
        // Nothing listens: Bolt answers 404 once its three seconds pass, and the trigger_id is not used.
        expect(r.status, `${c.type} shortcut not in the manifest`).toBe(404);
        expect(slack.calls.slice(callsBefore).filter((x) => x.args['trigger_id'] === triggerId)).toEqual([]);
        continue;
      }
      expect(r.status).toBe(200);
      // Acted on: the shortcut's trigger_id opens a view, or the person gets an answer in the channel.
      await waitFor(
        () => slack.calls.slice(callsBefore).some((x) => x.args['trigger_id'] === triggerId || (x.method === 'chat.postEphemeral' && x.args['user'] === FIXTURE_USER)) || slack.responses().some((p) => p.origin.kind === 'message_action' && p.status === 200),
        { what: `the ${c.type} shortcut acted on`, timeoutMs: 15_000 },
      );
    }
  });
});
