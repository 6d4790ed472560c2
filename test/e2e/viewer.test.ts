import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { startViewer, type Viewer } from '../../src/sandbox/viewer/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { requireBinary } from '../support/binaries.js';
import { tmpDir, waitFor } from '../support/procs.js';

// The README's picture is made by `npm run screenshot` (scripts/screenshot.ts); this test's go to a temporary directory.
const shots = tmpDir('viewer-shots');
const SCREENSHOT = path.join(shots.dir, 'viewer.png');
/** An alert label that would run script if the page ever rendered message text as HTML. */
const XSS_INSTANCE = '<img src=x onerror="window.xssFired=1">';

describe('sandbox viewer in a real browser (Debian chromium)', () => {
  let slack: SlackEmulator;
  let bot: TestBot;
  let viewer: Viewer;
  let browser: Browser;
  let page: Page;
  let incident: Incident & { channelId: string; cardTs: string };

  beforeAll(async () => {
    slack = await startSlack();
    bot = await startBot({ redisUrl: inject('redisUrl'), slack });
    const r = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'ViewerDrill', service: 'checkout', instance: XSS_INSTANCE }), amAuth);
    expect(r.status).toBe(202);
    incident = await waitFor(
      async () => {
        const i = (await bot.running.deps.ports.incidents.listOpen()).find((x) => x.title.includes('ViewerDrill'));
        return i?.channelId && i.cardTs && slack.pins(i.channelId).length > 0 ? (i as Incident & { channelId: string; cardTs: string }) : undefined;
      },
      { what: 'incident channel with a pinned card' },
    );
    viewer = await startViewer({ slack, actAs: 'U0ONCALL1' });
    // Playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
    browser = await chromium.launch({
      executablePath: requireBinary('chromium', 'chromium'),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.stop();
    await bot?.stop();
    await slack?.stop();
    shots.cleanup();
  });

  it('shows the incident channel with its pinned card, acknowledges from the card as the picked user, runs /incident status', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(viewer.url);

    // The channel list holds the announcement channel and the incident channel.
    const link = page.locator(`#channel-list a[data-channel-id="${incident.channelId}"]`);
    await link.waitFor({ timeout: 10_000 });
    await expect(page.locator('#channel-list a[data-channel-name="incidents"]').count()).resolves.toBe(1);
    await link.click();
    await expect(link.getAttribute('class')).resolves.toContain('selected');

    // The pinned card, rendered from Block Kit: header with the title, status field, primary/danger buttons.
    const card = page.locator('#pinned .pinned-card');
    await card.waitFor({ timeout: 10_000 });
    await expect(card.getAttribute('data-ts')).resolves.toBe(incident.cardTs);
    await expect(card.locator('.blk-header').textContent()).resolves.toBe(`${incident.id} · ${incident.title}`);
    await expect(card.locator('.pin-badge').textContent()).resolves.toContain('📌');
    const statusField = card.locator('.blk-field', { hasText: 'Status' });
    await expect(statusField.textContent()).resolves.toBe('Status\n🔴 triggered');
    await expect(statusField.locator('strong').textContent()).resolves.toBe('Status');
    const ackButton = card.locator('button[data-action-id="incident_ack"]');
    await expect(ackButton.textContent()).resolves.toBe('Acknowledge');
    await expect(ackButton.getAttribute('class')).resolves.toContain('primary');
    await expect(card.locator('button[data-action-id="incident_resolve"]').getAttribute('class')).resolves.toContain('danger');
    // The same message appears in the history, marked as pinned.
    await expect(page.locator(`#messages article.pinned[data-ts="${incident.cardTs}"]`).count()).resolves.toBe(1);

    // The alert label with markup is shown as text, never parsed: no <img>, no script ran.
    await expect(card.textContent()).resolves.toContain(XSS_INSTANCE);
    await expect(page.locator('#pinned img, #messages img').count()).resolves.toBe(0);
    await expect(page.evaluate('typeof window.xssFired')).resolves.toBe('undefined');

    // Act as another user, then click Acknowledge in the page.
    await page.selectOption('#user-picker', 'U0SRE2');
    await ackButton.click();
    const stored = await waitFor(async () => {
      const i = await bot.running.deps.ports.incidents.get(incident.id);
      return i?.status === 'acknowledged' ? i : undefined;
    }, { what: 'incident acknowledged in the store' });
    expect(stored.acknowledgedBy).toBe('U0SRE2');
    // The card was edited in place (same ts) and the page re-renders it: new status, no Acknowledge button.
    await card.locator('.blk-field', { hasText: /^Status\n\S+ acknowledged$/ }).waitFor({ timeout: 10_000 });
    await expect(statusField.textContent()).resolves.toBe('Status\n🟠 acknowledged');
    await expect(card.locator('button[data-action-id="incident_ack"]').count()).resolves.toBe(0);
    await expect(card.locator('.blk-context').textContent()).resolves.toContain('by @sre2');
    await expect(card.getAttribute('data-ts')).resolves.toBe(incident.cardTs);
    await expect(card.locator('.edited').count()).resolves.toBe(1);

    // A slash command from the command box: the reply is an ephemeral for the acting user.
    await page.fill('#command-input', '/incident status');
    await page.press('#command-input', 'Enter');
    const reply = page.locator('#messages article.ephemeral', { hasText: 'acknowledged by @sre2' });
    await reply.waitFor({ timeout: 10_000 });
    await expect(reply.textContent()).resolves.toContain(`${incident.id} SEV1 acknowledged`);
    expect(slack.ephemerals().some((e) => e.user === 'U0SRE2' && e.channel === incident.channelId && e.text.includes('*acknowledged*'))).toBe(true);
    // Ephemerals are per user: switching back to the on-call hides it.
    await page.selectOption('#user-picker', 'U0ONCALL1');
    await expect(page.locator('#messages article.ephemeral', { hasText: 'acknowledged by @sre2' }).count()).resolves.toBe(0);
    await page.selectOption('#user-picker', 'U0SRE2');

    // Kubernetes is off in this bot (KUBERNETES=off): no proposal card with Approve to click here.
    expect(await page.locator('button[data-action-id="proposal_approve"]').count()).toBe(0);

    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('App Home lists the open incidents and acknowledges from there; the message shortcut adds to the timeline; the global shortcut declares', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const ports = bot.running.deps.ports;
    // A second incident, still triggered, to acknowledge from the Home tab.
    const r = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'HomeDrill', service: 'payments' }), amAuth);
    expect(r.status).toBe(202);
    const second = await waitFor(async () => (await ports.incidents.listOpen()).find((x) => x.title.includes('HomeDrill') && x.channelId), { what: 'the HomeDrill incident with a channel' });

    // Home, as the on-call (a responder): opening it delivers app_home_opened; the bot publishes the list.
    await page.selectOption('#user-picker', 'U0ONCALL1');
    const opened = slack.callsTo('views.publish').length;
    await page.click('#channel-list a[data-home="1"]');
    const home = page.locator('.home-view');
    const row = home.locator('.blk-section', { hasText: second.id });
    await row.waitFor({ timeout: 15_000 });
    expect(slack.callsTo('views.publish').length).toBeGreaterThan(opened);
    await expect(home.locator('.blk-header').textContent()).resolves.toMatch(/^Open incidents \(\d+\)$/);
    // Both open incidents, with severity, status, commander, age and the channel link.
    await expect(home.textContent()).resolves.toContain(incident.id);
    const rowText = (await row.textContent()) ?? '';
    expect(rowText).toContain(`${second.id} · ${second.severity} · 🔴 triggered`);
    expect(rowText).toMatch(/commander/);
    expect(rowText).toMatch(/open for \d/);
    await expect(row.locator('a.mention').textContent()).resolves.toBe(`#${second.channelName}`);
    // The first incident is acknowledged already: no Acknowledge button on its row.
    await expect(home.locator('.blk-section', { hasText: incident.id }).locator('button').count()).resolves.toBe(0);

    // Acknowledge from Home: the store changes and the tab is republished without the button.
    await row.locator('button[data-action-id="home_ack"]').click();
    const acked = await waitFor(async () => {
      const i = await ports.incidents.get(second.id);
      return i?.status === 'acknowledged' ? i : undefined;
    }, { what: 'HomeDrill acknowledged from Home' });
    expect(acked.acknowledgedBy).toBe('U0ONCALL1');
    await home.locator('.blk-section', { hasText: `${second.id} · ${second.severity} · 🟠 acknowledged` }).waitFor({ timeout: 15_000 });
    await expect(home.locator('button[data-action-id="home_ack"]').count()).resolves.toBe(0);

    // The message shortcut on a person's message in the incident channel: the timeline gets it.
    const said = 'payments p99 back under 300 ms after the failover';
    const posted = await slack.userPosts({ userId: 'U0SRE2', channelId: second.channelId!, text: said });
    await page.click(`#channel-list a[data-channel-id="${second.channelId}"]`);
    const msg = page.locator(`#messages article[data-ts="${posted.ts}"]`);
    await msg.waitFor({ timeout: 10_000 });
    await msg.hover();
    await msg.locator('.msg-menu-toggle').click();
    await msg.locator('.msg-menu .shortcut-item[data-callback-id="add_to_timeline"]').click();
    const event = await waitFor(async () => (await ports.timeline.list(second.id)).find((e) => e.kind === 'slack.message'), { what: 'the message on the timeline' });
    expect(event.text).toBe(said);
    expect(event.actor).toBe('U0SRE2');
    expect(event.data?.['by']).toBe('U0ONCALL1');
    expect(String(event.data?.['permalink'])).toContain(second.channelId!);
    expect(event.at).toBe(new Date(Math.round(Number(posted.ts) * 1000)).toISOString());
    await page.locator('#messages article.ephemeral', { hasText: `Added to the ${second.id} timeline` }).waitFor({ timeout: 10_000 });

    // Outside an incident channel it refuses, clearly, and adds nothing.
    const before = (await ports.timeline.list(second.id)).length;
    const elsewhere = await slack.userPosts({ userId: 'U0ONCALL1', channelId: 'C0ANNOUNCE', text: 'lunch?' });
    await page.click('#channel-list a[data-channel-id="C0ANNOUNCE"]');
    const other = page.locator(`#messages article[data-ts="${elsewhere.ts}"]`);
    await other.waitFor({ timeout: 10_000 });
    await other.hover();
    await other.locator('.msg-menu-toggle').click();
    await other.locator('.shortcut-item[data-callback-id="add_to_timeline"]').click();
    await page.locator('#messages article.ephemeral', { hasText: 'works on messages in an incident channel' }).waitFor({ timeout: 10_000 });
    expect((await ports.timeline.list(second.id)).length).toBe(before);

    // The global shortcut from Home: the declare form opens; submitting it opens an incident, and the
    // Home tab (left open, not re-opened) lists it after the coalesced refresh.
    await page.click('#channel-list a[data-home="1"]');
    await home.locator('.blk-section', { hasText: second.id }).waitFor({ timeout: 10_000 });
    const homeOpens = slack.calls.length;
    await page.click('#global-shortcuts button[data-callback-id="declare_incident_shortcut"]');
    const modal = page.locator('#modal-backdrop');
    await modal.waitFor({ state: 'visible', timeout: 10_000 });
    await expect(page.locator('#modal-title').textContent()).resolves.toBe('Declare an incident');
    // An empty title is refused on the form by the bot (response_action errors).
    await page.click('#modal-submit');
    await page.locator('.modal-input[data-block-id="declare_title"] .field-error', { hasText: 'title' }).waitFor({ timeout: 10_000 });
    await page.fill('#modal-declare_title-title', 'Search results empty for EU customers');
    await page.selectOption('#modal-declare_severity-severity', 'SEV2');
    await page.click('#modal-submit');
    await modal.waitFor({ state: 'hidden', timeout: 10_000 });
    const declared = await waitFor(async () => (await ports.incidents.listOpen()).find((x) => x.title === 'Search results empty for EU customers' && x.channelId), { what: 'the declared incident with its channel' });
    expect(declared.severity).toBe('SEV2');
    await page.locator(`#channel-list a[data-channel-id="${declared.channelId}"]`).waitFor({ timeout: 10_000 });
    await home.locator('.blk-section', { hasText: declared.id }).waitFor({ timeout: 30_000 });
    expect(slack.calls.slice(homeOpens).some((c) => c.method === 'views.publish' && c.args['user_id'] === 'U0ONCALL1')).toBe(true);

    await page.screenshot({ path: path.join(shots.dir, 'home.png'), fullPage: false });
    expect(pageErrors).toEqual([]);
  });
});
