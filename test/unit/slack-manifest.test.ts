/**
 * infra/slack/manifest.yaml against what Slack itself publishes and what the code does:
 * - valid under Slack's app manifest JSON Schema (slackapi/manifest-schema, vendored in
 *   test/fixtures/slack/manifest.schema.1.0.0.json, source in test/fixtures/README.md);
 * - its bot scopes are exactly the ones the code needs: every Slack Web API method the code calls and
 *   every event it listens to is found in the source, mapped to the scopes Slack's reference requires,
 *   and the union must equal the manifest's list (nothing missing, nothing extra).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { manifestDocument, readManifest } from '../support/slack-manifest.js';

// ajv-formats is CommonJS (`module.exports = plugin; exports.default = plugin`): imported from ESM, the plugin is `.default`.
const addFormats = ajvFormats.default;

/**
 * The bot-token scopes each Web API method needs, from its page in Slack's reference
 * (https://api.slack.com/methods/<method>, "Required scopes", bot token). A method missing here fails
 * the test with its name: add it from that page.
 */
const METHOD_SCOPES: Record<string, { scopes: string[]; why?: string }> = {
  // Announcements go to a route's announce channel, which the bot never joins (it calls no
  // conversations.join): posting there needs chat:write.public as well (chat.postMessage page).
  'chat.postMessage': { scopes: ['chat:write', 'chat:write.public'] },
  'chat.update': { scopes: ['chat:write'] },
  'chat.postEphemeral': { scopes: ['chat:write'] },
  // chat.getPermalink: "Bot tokens: No scope required" (the message shortcut's permalink).
  'chat.getPermalink': { scopes: [] },
  // conversations.* on the incident channel: channels:manage for public channels, groups:write for
  // private ones (routes[].channel.private).
  'conversations.create': { scopes: ['channels:manage', 'groups:write'] },
  'conversations.setTopic': { scopes: ['channels:manage', 'groups:write'] },
  'conversations.setPurpose': { scopes: ['channels:manage', 'groups:write'] },
  'conversations.invite': { scopes: ['channels:manage', 'groups:write'] },
  'conversations.archive': { scopes: ['channels:manage', 'groups:write'] },
  'conversations.replies': { scopes: ['channels:history', 'groups:history'] },
  'usergroups.users.list': { scopes: ['usergroups:read'] },
  'pins.add': { scopes: ['pins:write'] },
  'bookmarks.add': { scopes: ['bookmarks:write'] },
  // filesUploadV2 calls files.getUploadURLExternal then files.completeUploadExternal: files:write.
  'files.uploadV2': { scopes: ['files:write'] },
  // views.open / views.push / views.update / views.publish: "no scope required".
  'views.open': { scopes: [] },
  'views.push': { scopes: [] },
  'views.update': { scopes: [] },
  'views.publish': { scopes: [] },
};

/** The scope Slack requires before it delivers each event (https://api.slack.com/events/<event>). */
const EVENT_SCOPES: Record<string, string[]> = {
  pin_added: ['pins:read'],
  pin_removed: ['pins:read'],
  reaction_added: ['reactions:read'],
  reaction_removed: ['reactions:read'],
  app_home_opened: [],
};

/** Slash commands and shortcuts (global and message) both need `commands`. */
const COMMANDS_SCOPE = 'commands';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return p === path.join('src', 'sandbox') ? [] : sourceFiles(p); // the emulator is not the bot
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** What the bot's source does with Slack: Web API methods called, events and surfaces listened to. */
function slackUsage(): { methods: Set<string>; events: Set<string>; commands: boolean; shortcuts: boolean } {
  const methods = new Set<string>();
  const events = new Set<string>();
  let commands = false;
  let shortcuts = false;
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    // Only files that use Slack's packages hold a Slack `client` (other clients: Kubernetes, Redis...).
    if (!/from '@slack\//.test(text)) continue;
    for (const m of text.matchAll(/\bclient\??\.((?:[a-z]+\??\.)+[a-zA-Z]+)\s*\(/g)) methods.add((m[1] ?? '').replace(/\?/g, ''));
    if (/\bclient\??\.filesUploadV2\s*\(/.test(text)) methods.add('files.uploadV2');
    for (const m of text.matchAll(/\bclient\??\.apiCall\(\s*'([a-zA-Z.]+)'/g)) methods.add(m[1] ?? '');
    for (const m of text.matchAll(/\bapp\.event\(\s*'([a-z_]+)'/g)) events.add(m[1] ?? '');
    if (/\bapp\.command\(/.test(text)) commands = true;
    if (/\bapp\.shortcut\(/.test(text)) shortcuts = true;
  }
  return { methods, events, commands, shortcuts };
}

describe('infra/slack/manifest.yaml', () => {
  it("is valid under Slack's app manifest schema (and that schema does refuse a broken manifest)", () => {
    const schema = JSON.parse(readFileSync('test/fixtures/slack/manifest.schema.1.0.0.json', 'utf8')) as Record<string, unknown>;
    // strict: false because Slack's schema carries keys of its own (`_note`, `regex`) that are not JSON Schema keywords.
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const doc = manifestDocument();
    const ok = validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);

    const broken = structuredClone(doc) as { features: { slash_commands: { command: string }[]; bot_user?: unknown }; settings: Record<string, unknown> };
    broken.features.slash_commands[0] = { ...broken.features.slash_commands[0], command: 'incident' };
    broken.settings['socket_mode'] = true;
    delete broken.features.bot_user;
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
    expect(paths.some((p) => p.startsWith('/features/slash_commands/0/command'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/settings must NOT have additional properties'))).toBe(true);
  });

  it('subscribes to exactly the events the bot listens to', () => {
    const { events } = slackUsage();
    expect(events.size).toBeGreaterThan(0);
    expect([...readManifest().settings.event_subscriptions.bot_events].sort()).toEqual([...events].sort());
  });

  it('declares a slash command or shortcut for each kind the bot listens to', () => {
    const usage = slackUsage();
    const features = readManifest().features;
    expect((features.slash_commands ?? []).length > 0).toBe(usage.commands);
    expect((features.shortcuts ?? []).length > 0).toBe(usage.shortcuts);
  });

  it('asks for exactly the bot scopes its calls and events need, nothing more', () => {
    const { methods, events, commands, shortcuts } = slackUsage();
    // The scan found the calls it must (a regex that found nothing would make the comparison empty).
    for (const m of ['chat.postMessage', 'conversations.create', 'pins.add', 'files.uploadV2', 'views.open']) expect(methods, m).toContain(m);
    const unknown = [...methods].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown, 'methods without a scope entry: add them from api.slack.com/methods/<method>').toEqual([]);
    const unknownEvents = [...events].filter((e) => !(e in EVENT_SCOPES));
    expect(unknownEvents, 'events without a scope entry: add them from api.slack.com/events/<event>').toEqual([]);

    const needed = new Set<string>([...methods].flatMap((m) => METHOD_SCOPES[m]?.scopes ?? []));
    for (const e of events) for (const s of EVENT_SCOPES[e] ?? []) needed.add(s);
    if (commands || shortcuts) needed.add(COMMANDS_SCOPE);

    const granted = readManifest().oauth_config.scopes.bot;
    expect(new Set(granted).size, 'a scope is listed twice').toBe(granted.length);
    expect([...granted].sort()).toEqual([...needed].sort());
  });
});
