/**
 * The paced demo as a person meets it: `npm run demo` (no --exit) as a real process, the viewer in a
 * real browser (Debian chromium). The proposal card waits for the person: nothing is executed until
 * Approve is clicked in the page; then execution, verification and resolution follow, and the
 * sandbox keeps running until Ctrl-C (SIGINT), which stops it cleanly.
 */
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { requireBinary } from '../support/binaries.js';
import { startProc, tmpDir, waitFor, type Proc } from '../support/procs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('npm run demo (paced for a person) in a real browser', () => {
  let demo: Proc | undefined;
  let browser: Browser | undefined;
  const out = tmpDir('demo-paced');

  afterAll(async () => {
    await browser?.close();
    await demo?.stop('SIGKILL');
    out.cleanup();
  });

  it('waits at the proposal card until the person clicks Approve in the viewer; execution, verification and resolution follow', async () => {
    const chromiumPath = requireBinary('chromium', 'chromium');
    demo = startProc(process.execPath, ['--import', 'tsx', 'src/sandbox/demo/cli.ts', '--out', out.dir], { cwd: ROOT, env: { REDIS_URL: inject('redisUrl') } });
    const proc = demo;
    const url = await waitFor(() => /Viewer of the sandbox Slack workspace: (http:\/\/127\.0\.0\.1:\d+\/) {2}\(acting as @sam\.sre-lead\)/.exec(proc.output())?.[1], { timeoutMs: 120_000, what: `the viewer URL in the demo's output:\n${proc.output()}` });
    // The transcript tells the person where to click, and the run waits there.
    const turn = await waitFor(() => /YOUR TURN: the proposal (P[0-9a-f]+) .*\n.*Open (http:\/\/\S+#(C\w+)) \(acting as @sam\.sre-lead\).*who may approve: @sam\.sre-lead.*click Approve/.exec(proc.output()) ?? undefined, { timeoutMs: 240_000, what: `the demo to ask for the approval:\n${proc.output()}` });
    const [, proposalId = '', link = '', channelId = ''] = turn;
    expect(link.startsWith(url)).toBe(true);

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => void d.accept()); // Approve asks for confirmation, as in Slack
    await page.goto(link);
    await page.locator(`#channel-list a.selected[data-channel-id="${channelId}"]`).waitFor({ timeout: 15_000 });

    // The card: its diff, the approval policy's answer and who may approve; Approve and Deny.
    const card = page.locator('#messages article', { has: page.locator(`button[data-action-id="proposal_approve"]`) });
    await card.waitFor({ timeout: 15_000 });
    const cardText = (await card.textContent()) ?? '';
    expect(cardText).toContain('Proposed: Change HPA default/data-service');
    expect(cardText).toMatch(/What changes.*target.*80.*50/s);
    expect(cardText).toContain('Approval policy');
    expect(cardText).toContain('“sandbox-production”: 1 approval, not the requester (protected)');
    expect(cardText).toMatch(/Who may approve\s*@sam\.sre-lead/);
    expect(cardText).toContain('Waiting for approval');
    await expect(card.locator('button[data-action-id="proposal_deny"]').count()).resolves.toBe(1);

    // Nothing happens while the person reads: still pending, nothing executed.
    await new Promise((r) => setTimeout(r, 3000));
    expect(proc.output()).not.toMatch(/decided in the viewer|executed:|verified:/);
    await expect(card.textContent()).resolves.toContain('Waiting for approval');

    await card.locator('button[data-action-id="proposal_approve"]').click();
    await waitFor(() => proc.output().includes(`@sam.sre-lead decided in the viewer: proposal ${proposalId} is now`), { timeoutMs: 60_000, what: `the approval to be seen by the demo:\n${proc.output()}` });
    await waitFor(() => /\] executed: /.test(proc.output()), { timeoutMs: 60_000, what: `execution:\n${proc.output()}` });
    await waitFor(() => /\] verified: .*HPA now min=\d+ max=10 target=50%/.test(proc.output()), { timeoutMs: 120_000, what: `verification:\n${proc.output()}` });
    await waitFor(() => proc.output().includes('The sandbox keeps running (Ctrl-C to stop)'), { timeoutMs: 120_000, what: `the end of the script:\n${proc.output()}` });
    const all = proc.output();
    expect(all).toContain('/incident resolve');
    expect(all).toContain('post-mortem draft written');
    expect(all).toContain('ok top hypothesis: process-model-ceiling');
    expect(all).not.toContain('FAILED');

    // The page shows what followed: the card edited to verified, the resolution in the channel.
    await page.locator('#messages article', { hasText: 'Executed and verified' }).first().waitFor({ timeout: 15_000 });
    await page.locator('#messages article', { hasText: 'resolved' }).first().waitFor({ timeout: 15_000 });
    expect(pageErrors).toEqual([]);

    // Ctrl-C stops the sandbox cleanly.
    const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    proc.child.kill('SIGINT');
    await expect(exited).resolves.toBe(0);
  }, 480_000);
});
