import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { startViewer, type Viewer } from '../../src/sandbox/viewer/index.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { requireBinary } from '../support/binaries.js';
import { waitFor } from '../support/procs.js';

const SCREENSHOT = path.resolve('docs/viewer.png');
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

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
