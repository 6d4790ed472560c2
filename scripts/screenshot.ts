/**
 * `npm run screenshot`: the README's picture (docs/viewer.png). Plays the seed scenario paced for a
 * person (as `npm run demo` does), opens the sandbox viewer in headless Chromium at the incident
 * channel while the proposal waits for approval, opens the diagnosis thread, and photographs the
 * pinned card, the diagnosis with its assessment and the proposal with Approve/Deny. Then it clicks
 * Approve (so the run ends as the demo does) and stops the sandbox.
 *
 * Needs chromium and an emoji font (Debian: apt-get install chromium fonts-noto-color-emoji), and
 * redis-server or REDIS_URL, like the demo. `--out <file>` writes elsewhere.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { DEFAULT_SCENARIO } from '../src/sandbox/demo/cli.js';
import { playScenario } from '../src/sandbox/demo/runner.js';
import { scriptApprovers, startWorld } from '../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../src/sandbox/scenario/loader.js';
import { startViewer } from '../src/sandbox/viewer/index.js';

const outArg = process.argv.indexOf('--out');
const OUT = path.resolve(outArg > 0 && process.argv[outArg + 1] ? process.argv[outArg + 1]! : 'docs/viewer.png');

function need(binary: string, apt: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  if (r.status !== 0 || !found) throw new Error(`${binary} is not installed: apt-get install ${apt}`);
  return found;
}

function hasEmojiFont(): boolean {
  const r = spawnSync('sh', ['-c', 'fc-list | grep -i "color emoji"'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

async function main(): Promise<void> {
  const executablePath = need('chromium', 'chromium');
  if (!hasEmojiFont()) throw new Error('no colour emoji font: apt-get install fonts-noto-color-emoji (emoji would be drawn as empty boxes)');
  const scenario = loadNamedScenario(path.basename(DEFAULT_SCENARIO, '.yaml'));
  const world = await startWorld({ scenario, ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}) });
  const approver = scriptApprovers(scenario)[0] ?? 'U0APPROVER';
  const viewer = await startViewer({ slack: world.slack, actAs: approver });
  const userName = (id: string) => world.slack.users().find((u) => u.id === id)?.name ?? id;
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const play = playScenario(world, { person: { viewerUrl: viewer.url, userName }, onLog: (l) => console.log(l) });
    const { proposals, incidents } = world.running.deps.ports;
    // Wait for the proposal card (the run pauses there for the person).
    const deadline = Date.now() + 240_000;
    let channelId: string | undefined;
    for (;;) {
      const incident = (await incidents.listAll(5)).find((i) => i.channelId);
      const pending = incident ? (await proposals.list(incident.id)).find((p) => p.messageTs && p.status === 'pending') : undefined;
      if (incident?.channelId && pending) {
        channelId = incident.channelId;
        break;
      }
      if (Date.now() > deadline) throw new Error('the proposal card did not come within 4 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The findings follow the assessment into the diagnosis thread at Slack's per-channel pace: wait
    // until the thread has stopped growing (no reply for 3 s) so the picture shows them.
    const progress = () => world.slack.messages(channelId).find((m) => !m.thread_ts && /Diagnos/.test(JSON.stringify(m.blocks ?? m.text ?? '')));
    let replies = -1;
    let stableSince = Date.now();
    while (Date.now() - stableSince < 3_000) {
      const p = progress();
      const n = p ? world.slack.thread(channelId, p.ts).length : 0;
      if (n !== replies) [replies, stableSince] = [n, Date.now()];
      if (Date.now() > deadline) throw new Error('the diagnosis thread did not settle within 4 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 2300 }, deviceScaleFactor: 1 });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${viewer.url}#${channelId}`);
    const approve = page.locator('#messages button[data-action-id="proposal_approve"]');
    await approve.waitFor({ timeout: 30_000 });
    // Open the diagnosis thread (the findings and the assessment are its replies).
    const toggles = page.locator('#messages .thread-toggle');
    await toggles.first().waitFor({ timeout: 30_000 });
    for (let i = 0; i < (await toggles.count()); i++) {
      const t = toggles.nth(i);
      // The page re-renders from the sandbox's state every poll: click until the thread shows open.
      for (let tries = 0; tries < 5 && (await t.textContent())?.startsWith('▸'); tries++) {
        await t.click();
        await page.waitForTimeout(500);
      }
    }
    // The card refresh after the scripted acknowledgement is coalesced (about a second).
    await page.waitForTimeout(2500);
    // Scroll the channel so the proposal card ends at the bottom of the picture.
    // (Browser-side code as strings: this file is type-checked without the DOM library.)
    await page.evaluate(`(() => {
      const list = document.getElementById('messages');
      const card = document.querySelector('#messages button[data-action-id="proposal_approve"]').closest('article');
      list.scrollTop = Math.max(0, card.getBoundingClientRect().bottom - list.getBoundingClientRect().top + list.scrollTop - list.clientHeight + 16);
    })()`);
    await page.evaluate('document.fonts.ready');
    await page.screenshot({ path: OUT, fullPage: false });
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
    await approve.click();
    const result = await play;
    if (result.failure) throw new Error(`the scenario did not play to the end: ${result.failure}`);
  } finally {
    await browser.close();
    await viewer.stop();
    await world.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`screenshot: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
