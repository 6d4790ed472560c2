import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import { COMMANDS } from '../../src/handlers/commands/table.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

const GENERAL = 'C0GENERAL';
const ANNOUNCE = 'C0ANNOUNCE';

describe('/incident commands end to end (slash commands, modal, buttons)', () => {
  let slack: SlackEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    slack = await startSlack({ channels: [{ id: ANNOUNCE, name: 'incidents' }, { id: GENERAL, name: 'general' }] });
    bot = await startBot({ redisUrl: inject('redisUrl'), slack });
  });
  afterAll(async () => {
    await bot?.stop();
    await slack?.stop();
  });

  const store = () => bot.running.deps.ports;

  /** Runs a slash command and returns the text of the ephemeral reply sent to its response_url. */
  async function cmd(text: string, channelId: string, userId = 'U0ONCALL1'): Promise<{ text: string; blocks?: unknown[] }> {
    const r = await slack.sendSlashCommand({ command: '/incident', text, userId, channelId });
    expect(r.status).toBe(200);
    const reply = await waitFor(() => slack.responses().find((p) => p.url === r.responseUrl), { what: `reply to “/incident ${text}”` });
    expect(reply.status).toBe(200);
    expect(reply.body['response_type']).toBe('ephemeral');
    const ephemeral = slack.ephemerals().find((e) => e.source === 'response_url' && e.channel === channelId && e.user === userId && e.text === reply.body['text']);
    expect(ephemeral).toBeDefined();
    return { text: String(reply.body['text']), ...(Array.isArray(reply.body['blocks']) ? { blocks: reply.body['blocks'] } : {}) };
  }

  async function incidentWithChannel(match: (i: Incident) => boolean, what: string): Promise<Incident & { channelId: string; cardTs: string }> {
    return waitFor(
      async () => {
        const all = await store().incidents.listAll(500);
        const i = all.find(match);
        return i?.channelId && i.cardTs && slack.pins(i.channelId).some((p) => p.ts === i.cardTs) ? (i as Incident & { channelId: string; cardTs: string }) : undefined;
      },
      { what, timeoutMs: 10_000 },
    );
  }

  async function declare(title: string, sev = 'sev2'): Promise<Incident & { channelId: string; cardTs: string }> {
    const r = await cmd(`declare ${sev} ${title}`, GENERAL);
    expect(r.text).toContain(title);
    return incidentWithChannel((i) => i.title === title, `channel for “${title}”`);
  }

  const posted = (channel: string, needle: string) => slack.messages(channel).filter((m) => m.text.includes(needle));

  it('help lists every command of the table; an unknown subcommand and an empty one answer with help', async () => {
    const help = await cmd('help', GENERAL);
    for (const c of COMMANDS) expect(help.text).toContain(`/incident ${c.usage}`);
    const unknown = await cmd('frobnicate now', GENERAL);
    expect(unknown.text).toContain('Unknown subcommand “frobnicate”');
    for (const c of COMMANDS) expect(unknown.text).toContain(`/incident ${c.name}`);
    const empty = await cmd('', GENERAL);
    expect(empty.text).toContain('/incident declare');
    expect(empty.text).not.toContain('Unknown');
  });

  it('declare sev2 <title> opens a manual incident channel the same way alerts do', async () => {
    const incident = await declare('Checkout is down');
    expect(incident.severity).toBe('SEV2');
    expect(incident.source).toBe('manual');
    expect(incident.status).toBe('triggered');
    const channel = slack.channels().find((c) => c.id === incident.channelId);
    expect(channel?.name).toMatch(/^inc-\d+-checkout-is-down$/);
    expect(channel?.topic.value).toContain('SEV2');
    expect(slack.members(incident.channelId)).toContain('U0ONCALL1');
    const card = slack.messages(incident.channelId).find((m) => m.ts === incident.cardTs);
    expect(JSON.stringify(card?.blocks)).toContain('Checkout is down');
    await waitFor(() => posted(ANNOUNCE, incident.id).length > 0, { what: 'announcement' });
    const alerts = await store().incidents.listAlerts(incident.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.labels['declared_by']).toBe('U0ONCALL1');
    const timeline = await store().timeline.list(incident.id);
    expect(timeline.map((e) => e.kind)).toContain('incident.opened');

    // Bad arguments: a title over 140 characters is refused; nothing is opened.
    const before = slack.callsTo('conversations.create').length;
    const tooLong = await cmd(`declare sev2 ${'x'.repeat(141)}`, GENERAL);
    expect(tooLong.text).toContain('too long');
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.callsTo('conversations.create').length).toBe(before);
  });

  it('declare without a title opens the modal; submitting it declares, an empty title is refused', async () => {
    const r = await slack.sendSlashCommand({ command: '/incident', text: 'declare', userId: 'U0LEAD', channelId: GENERAL });
    expect(r.status).toBe(200);
    const open = await slack.waitForCall((c) => c.method === 'views.open' && c.args['trigger_id'] === r.triggerId);
    expect(open.ok).toBe(true);
    const view = slack.views().find((v) => v.trigger_id === r.triggerId);
    expect(view?.callback_id).toBe('declare_incident');

    const empty = await slack.submitView({ viewId: view?.id ?? '', values: { declare_title: { title: { type: 'plain_text_input', value: '  ' } } } });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { declare_title: expect.stringContaining('title') } });

    const ok = await slack.submitView({
      viewId: view?.id ?? '',
      values: {
        declare_title: { title: { type: 'plain_text_input', value: 'Payments latency high' } },
        declare_severity: { severity: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'SEV1' }, value: 'SEV1' } } },
        declare_responders: { responders: { type: 'multi_users_select', selected_users: ['U0RANDOM'] } },
      },
    });
    expect(ok.status).toBe(200);
    const incident = await incidentWithChannel((i) => i.title === 'Payments latency high', 'channel from the modal');
    expect(incident.severity).toBe('SEV1');
    const alerts = await store().incidents.listAlerts(incident.id);
    expect(alerts[0]?.labels['declared_by']).toBe('U0LEAD');
    // The extra responders chosen in the form travel with the manual alert.
    expect(alerts[0]?.labels['responders']).toBe('U0RANDOM');
  });

  it('a malformed declare submission is answered on the form at once (no state, a number for a title, users as a string), and nothing is declared', async () => {
    const r = await slack.sendSlashCommand({ command: '/incident', text: 'declare', userId: 'U0LEAD', channelId: GENERAL });
    await slack.waitForCall((c) => c.method === 'views.open' && c.args['trigger_id'] === r.triggerId);
    const view = slack.views().find((v) => v.trigger_id === r.triggerId);
    const declaredBefore = (await store().incidents.listAll(500)).length;
    const submit = (viewPatch: Record<string, unknown>) => {
      const payload = { type: 'view_submission', team: { id: slack.teamId }, user: { id: 'U0LEAD' }, api_app_id: 'A0', trigger_id: 't', view: { id: view?.id, callback_id: 'declare_incident', type: 'modal', ...viewPatch } };
      return slack.deliver(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
    };
    const cases = [
      {},
      { state: { values: { declare_title: { title: { type: 'plain_text_input', value: 42 } } } } },
      { state: { values: { declare_title: { title: { type: 'plain_text_input', value: 'Users as a string' } }, declare_responders: { responders: { type: 'multi_users_select', selected_users: 'U0RANDOM' } } } } },
    ];
    for (const patch of cases) {
      const res = await submit(patch);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_action: 'errors', errors: { declare_title: expect.stringContaining('submit it again') } });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await store().incidents.listAll(500)).length).toBe(declaredBefore);
  });

  it('an update or note longer than 3,000 characters is refused with the reason; nothing is stored or posted', async () => {
    const incident = await declare('Oversized updates', 'sev3');
    const ch = incident.channelId;
    const eventsBefore = (await store().timeline.list(incident.id)).length;
    const postsBefore = slack.callsTo('chat.postMessage').length;
    for (const text of [`update ${'x'.repeat(5000)}`, `note ${'y'.repeat(3001)}`, `note action: ${'z'.repeat(1_000_000)}`]) {
      const r = await cmd(text, ch);
      expect(r.text).toMatch(/keep it to 3,000 \(link to a document for more\)\. Nothing was recorded\.$/);
    }
    expect((await store().timeline.list(incident.id)).length).toBe(eventsBefore);
    expect(slack.callsTo('chat.postMessage').length).toBe(postsBefore);
  });

  it('status, ack (timeline, card, commander), update (both channels, no broadcast), sev, role, roles, note', async () => {
    const incident = await declare('Search results empty', 'sev3');
    const ch = incident.channelId;

    const status = await cmd('status', ch);
    expect(status.text).toContain(incident.id);
    expect(status.text).toContain('SEV3');
    expect(status.text).toContain('triggered');
    expect(status.text).toContain('1 of 1 alerts firing');

    // ack
    const ack = await cmd('ack', ch, 'U0SRE2');
    expect(ack.text).toContain('acknowledged');
    const acked = await store().incidents.get(incident.id);
    expect(acked?.status).toBe('acknowledged');
    expect(acked?.acknowledgedBy).toBe('U0SRE2');
    expect(acked?.roles.commander).toBe('U0SRE2');
    expect((await store().timeline.list(incident.id)).filter((e) => e.kind === 'incident.acknowledged' && e.actor === 'U0SRE2')).toHaveLength(1);
    await waitFor(() => slack.callsTo('chat.update').some((c) => c.args['channel'] === ch && c.args['ts'] === incident.cardTs && JSON.stringify(c.args['blocks']).includes('acknowledged') && !JSON.stringify(c.args['blocks']).includes('incident_ack')), { what: 'card shows the ack' });
    expect((await cmd('ack', ch, 'U0LEAD')).text).toContain('already acknowledged');
    expect((await store().incidents.get(incident.id))?.acknowledgedBy).toBe('U0SRE2');

    // update: to the channel and the announcement channel; <!channel> is defused; lastUpdateAt set
    const emptyUpdate = await cmd('update   ', ch);
    expect(emptyUpdate.text).toContain('Usage');
    const upd = await cmd('update <!channel> rollback in progress, next update 10:30', ch, 'U0SRE2');
    expect(upd.text).toContain('posted');
    for (const where of [ch, ANNOUNCE]) {
      const msgs = posted(where, 'rollback in progress');
      expect(msgs).toHaveLength(1);
      const all = JSON.stringify(msgs[0]);
      expect(all).not.toContain('<!channel>');
      expect(all).toContain('@channel');
    }
    const afterUpdate = await store().incidents.get(incident.id);
    expect(afterUpdate?.lastUpdateAt).toBeDefined();
    expect(Date.now() - Date.parse(afterUpdate?.lastUpdateAt ?? '0')).toBeLessThan(60_000);
    expect((await store().timeline.list(incident.id)).some((e) => e.kind === 'incident.update' && e.text.includes('@channel rollback'))).toBe(true);

    // sev
    const bad = await cmd('sev 7', ch);
    expect(bad.text).toContain('usage: `/incident sev <1-4>`');
    const sevNone = await cmd('sev', ch);
    expect(sevNone.text).toContain('usage');
    expect((await store().incidents.get(incident.id))?.severity).toBe('SEV3');
    const sev = await cmd('sev 1', ch);
    expect(sev.text).toContain('SEV1');
    expect((await store().incidents.get(incident.id))?.severity).toBe('SEV1');
    expect((await store().timeline.list(incident.id)).find((e) => e.kind === 'incident.severity')?.data).toEqual({ from: 'SEV3', to: 'SEV1' });
    await waitFor(() => posted(ch, 'SEV3 → *SEV1*').length === 1, { what: 'severity message' });
    expect((await cmd('sev sev1', ch)).text).toContain('already SEV1');

    // roles
    const role = await cmd('role commander <@U0LEAD|lead>', ch);
    expect(role.text).toContain('<@U0LEAD> is commander');
    const comms = await cmd('role comms U0APPROVER', ch);
    expect(comms.text).toContain('<@U0APPROVER> is comms');
    const boss = await cmd('role boss <@U0LEAD>', ch);
    expect(boss.text).toContain('usage: `/incident role <commander|comms|scribe> @user`');
    const noUser = await cmd('role scribe someone', ch);
    expect(noUser.text).toContain('usage');
    const stored = await store().incidents.get(incident.id);
    expect(stored?.roles).toEqual({ commander: 'U0LEAD', comms: 'U0APPROVER' });
    expect(slack.members(ch)).toEqual(expect.arrayContaining(['U0LEAD', 'U0APPROVER']));
    const roles = await cmd('roles', ch);
    const rolesText = JSON.stringify(roles.blocks);
    expect(rolesText).toContain('*commander*: <@U0LEAD>');
    expect(rolesText).toContain('*comms*: <@U0APPROVER>');
    expect(rolesText).toContain('*scribe*: _unassigned_');

    // notes
    expect((await cmd('note the cache was cold', ch)).text).toContain('Note added');
    expect((await cmd('note action: add a cache warm-up step', ch)).text).toContain('Action item');
    expect((await cmd('note   ', ch)).text).toContain('Usage');
    const tl = await store().timeline.list(incident.id);
    expect(tl.filter((e) => e.kind === 'incident.note').map((e) => e.text)).toEqual(['the cache was cold']);
    expect(tl.filter((e) => e.kind === 'incident.action_item').map((e) => e.text)).toEqual(['add a cache warm-up step']);
  });

  it('timeline is ephemeral and paged when long; a bad page number is refused', async () => {
    const incident = await declare('Queue backlog growing', 'sev3');
    const ch = incident.channelId;
    const first = await cmd('timeline', ch);
    expect(first.text).toContain('Incident opened');
    expect(JSON.stringify(first.blocks)).toContain('page 1/1');
    for (let i = 1; i <= 20; i++) await cmd(`note step ${String(i).padStart(2, '0')}`, ch);
    const p1 = await cmd('timeline', ch);
    expect(JSON.stringify(p1.blocks)).toMatch(/page 1\/2/);
    expect(JSON.stringify(p1.blocks)).toContain('timeline_page_next');
    expect(p1.text).toContain('step 01');
    expect(p1.text).not.toContain('step 20');
    const p2 = await cmd('timeline 2', ch);
    expect(JSON.stringify(p2.blocks)).toMatch(/page 2\/2/);
    expect(p2.text).toContain('step 20');
    expect(p2.text).not.toContain('step 01');
    const bad = await cmd('timeline two', ch);
    expect(bad.text).toContain('page must be a whole number');
    // Only the caller saw it: nothing was posted to the channel.
    expect(posted(ch, 'step 01')).toHaveLength(0);

    // The Next button on the ephemeral page replaces it with page 2.
    const click = await slack.clickButton({ actionId: 'timeline_page_next', value: '2', userId: 'U0ONCALL1', channelId: ch, messageTs: '1.000001', ephemeral: true });
    expect(click.status).toBe(200);
    const replaced = await waitFor(() => slack.responses().find((p) => p.url === click.responseUrl), { what: 'page 2 via button' });
    expect(replaced.body['replace_original']).toBe(true);
    expect(String(replaced.body['text'])).toContain('step 20');
  });

  it('postmortem uploads the Markdown draft to the channel; resolve posts the summary to both channels and uploads the draft', async () => {
    const incident = await declare('Login errors spike');
    const ch = incident.channelId;
    await cmd('note action: rotate the signing key', ch);
    const pm = await cmd('postmortem', ch);
    expect(pm.text).toContain('Drafting the post-mortem');
    const file = await waitFor(() => slack.files().find((f) => f.channels.includes(ch) && f.completed), { what: 'post-mortem file', timeoutMs: 10_000 });
    expect(file.name).toBe(`postmortem-${incident.id.toLowerCase()}.md`);
    expect(file.content).toContain(`# Post-mortem: ${incident.id}`);
    for (const h of ['## Summary', '## Timeline', '## Action items']) expect(file.content).toContain(h);
    expect(file.content).toContain('rotate the signing key');
    expect(slack.callsTo('files.getUploadURLExternal').some((c) => c.args['filename'] === file.name)).toBe(true);
    expect(slack.callsTo('files.completeUploadExternal').some((c) => JSON.stringify(c.args).includes(ch))).toBe(true);

    const res = await cmd('resolve rolled back the auth deploy', ch);
    expect(res.text).toContain('resolved');
    const resolved = await store().incidents.get(incident.id);
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.resolvedBy).toBe('U0ONCALL1');
    expect((await store().timeline.list(incident.id)).find((e) => e.kind === 'incident.resolved')?.text).toContain('rolled back the auth deploy');
    await waitFor(() => posted(ch, `${incident.id} resolved`).length === 1, { what: 'resolution summary in channel' });
    await waitFor(() => posted(ANNOUNCE, `${incident.id} resolved`).length === 1, { what: 'resolution in announcement channel' });
    expect(posted(ch, `${incident.id} resolved`)[0]?.text).toContain('never acknowledged');
    await waitFor(() => slack.files().filter((f) => f.channels.includes(ch) && f.completed).length === 2, { what: 'post-mortem after resolve', timeoutMs: 10_000 });
    const last = slack.files().filter((f) => f.channels.includes(ch)).at(-1);
    expect(last?.content).toContain('Resolved by');
    expect((await cmd('resolve', ch)).text).toContain('already resolved');
  });

  it('list works outside an incident; incident-only commands elsewhere get a clear message', async () => {
    const open = await declare('Image uploads fail', 'sev4');
    const list = await cmd('list', GENERAL);
    expect(list.text).toContain(open.id);
    expect(list.text).toContain('Image uploads fail');
    expect(list.text).toContain(`<#${open.channelId}>`);
    const mine = (await store().incidents.listAll(500)).filter((i) => i.status === 'resolved');
    for (const r of mine) expect(list.text).not.toContain(`*${r.id}*`);
    for (const name of ['status', 'ack', 'resolve', 'update hi', 'sev 1', 'note x', 'timeline', 'postmortem', 'rollback prod/api', 'silence 1h']) {
      const r = await cmd(name, GENERAL);
      expect(r.text).toContain(`\`/incident ${name.split(' ')[0]}\` works in an incident channel`);
    }
    expect((await store().incidents.get(open.id))?.status).toBe('triggered');
  });

  it('mitigation commands validate their arguments; valid ones answer that mitigations are not enabled', async () => {
    // An Alertmanager incident (silence needs Alertmanager alerts to build matchers).
    const payload = amPayload({ alertname: 'PodCrashLooping', service: 'cart' });
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, payload, amAuth)).status).toBe(202);
    const incident = await incidentWithChannel((i) => i.title.startsWith('PodCrashLooping'), 'alertmanager incident');
    const ch = incident.channelId;
    const cases: [string, string][] = [
      ['rollback', 'expected <namespace>/<deployment>, got “(nothing)”'],
      ['rollback prod', 'expected <namespace>/<deployment>, got “prod”'],
      ['rollback Prod/api', 'namespace “Prod” is not a valid DNS-1123 label'],
      ['rollback prod/API_v2', 'deployment name “API_v2” is not a valid DNS-1123 name'],
      [`rollback ${'a'.repeat(64)}/api`, 'is not a valid DNS-1123 label'],
      ['rollback prod/api zero', 'revision must be a whole number'],
      ['rollback prod/api 0', 'revision must be between 1 and 1000000, got 0'],
      ['scale prod/api', 'replicas must be a whole number between 0 and 500'],
      ['scale prod/api 501', 'replicas must be between 0 and 500, got 501'],
      ['scale prod/api -1', 'replicas must be a whole number'],
      ['scale prod/-api 3', 'deployment name “-api” is not a valid DNS-1123 name'],
      ['hpa prod/api', 'give at least one of min=<n> max=<n> target=<pct>'],
      ['hpa prod/api min=5 max=2', 'min (5) must not exceed max (2)'],
      ['hpa prod/api target=150', 'target must be between 1 and 100, got 150'],
      ['hpa prod/api min=0', 'min must be between 1 and 1000, got 0'],
      ['hpa prod/api replicas=3', 'unexpected “replicas=3”'],
      ['silence', 'duration must look like 30m, 2h or 1d'],
      ['silence soon', 'duration must look like 30m, 2h or 1d'],
      ['silence 8d', 'silence duration must be between 1 minute and 7 days'],
      ['silence 0m', 'silence duration must be between 1 minute and 7 days'],
    ];
    for (const [text, expected] of cases) {
      const r = await cmd(text, ch);
      expect(r.text, text).toContain(expected);
      expect(r.text, text).toContain(`Usage: \`/incident ${text.split(' ')[0]}`);
    }
    for (const text of ['rollback prod/api', 'rollback prod/api 3', 'scale prod/api 0', 'scale prod/api.v2 12', 'hpa prod/api min=2 max=10 target=70%', 'restart prod/api', 'silence 2h']) {
      const r = await cmd(text, ch);
      expect(r.text, text).toContain('Mitigations are not enabled');
    }
    // A manual incident has no Alertmanager alerts to silence.
    const manual = await declare('Manual outage for silence', 'sev3');
    expect((await cmd('silence 1h', manual.channelId)).text).toContain('no Alertmanager alerts to silence');
  });

  it('the Acknowledge and Resolve buttons on the card work; a button of another incident is refused', async () => {
    const a = await declare('Button incident A', 'sev3');
    const b = await declare('Button incident B', 'sev3');

    // B's button value clicked in A's channel: refused, nothing changes.
    const wrong = await slack.clickButton({ actionId: 'incident_ack', value: b.id, userId: 'U0SRE2', channelId: a.channelId, messageTs: a.cardTs });
    expect(wrong.status).toBe(200);
    const refusal = await waitFor(() => slack.responses().find((p) => p.url === wrong.responseUrl), { what: 'refusal' });
    expect(String(refusal.body['text'])).toContain('does not belong');
    expect(refusal.body['replace_original']).toBe(false);
    expect((await store().incidents.get(a.id))?.status).toBe('triggered');
    expect((await store().incidents.get(b.id))?.status).toBe('triggered');

    const ack = await slack.clickButton({ actionId: 'incident_ack', userId: 'U0SRE2', channelId: a.channelId, messageTs: a.cardTs });
    expect(ack.status).toBe(200);
    await waitFor(async () => (await store().incidents.get(a.id))?.status === 'acknowledged', { what: 'acked by button' });
    expect((await store().incidents.get(a.id))?.acknowledgedBy).toBe('U0SRE2');
    // The card loses its Acknowledge button once refreshed.
    await waitFor(() => !JSON.stringify(slack.messages(a.channelId).find((m) => m.ts === a.cardTs)?.blocks).includes('incident_ack'), { what: 'card refreshed' });

    const wrongResolve = await slack.clickButton({ actionId: 'incident_resolve', value: a.id, userId: 'U0SRE2', channelId: b.channelId, messageTs: b.cardTs });
    await waitFor(() => slack.responses().find((p) => p.url === wrongResolve.responseUrl && String(p.body['text']).includes('does not belong')), { what: 'resolve refusal' });
    expect((await store().incidents.get(a.id))?.status).toBe('acknowledged');

    const resolve = await slack.clickButton({ actionId: 'incident_resolve', userId: 'U0LEAD', channelId: a.channelId, messageTs: a.cardTs });
    expect(resolve.status).toBe(200);
    await waitFor(async () => (await store().incidents.get(a.id))?.status === 'resolved', { what: 'resolved by button' });
    expect((await store().incidents.get(a.id))?.resolvedBy).toBe('U0LEAD');
    await waitFor(() => posted(a.channelId, `${a.id} resolved`).length === 1, { what: 'resolution summary' });
    expect((await store().incidents.get(b.id))?.status).toBe('triggered');
  });
});
