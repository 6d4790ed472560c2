/**
 * Memory: RSS of the bench process (bot + Slack emulator + loader, one process) at the start,
 * after the storm, and after ten full incident lifecycles on the same bot: open via an
 * Alertmanager webhook, `/incident ack` and `/incident resolve` as slash commands from the Slack
 * emulator, waiting for each step to land in the store.
 */
import type { SlackEmulator } from '../src/sandbox/slack/index.js';
import { AM_TOKEN, type TestBot } from '../test/support/bot.js';
import { alertPayload, pollUntil, rssMb, type BenchResult } from './common.js';

const LIFECYCLES = 10;

export async function benchMemory(bot: TestBot, slack: SlackEmulator, rss: { startMb: number; afterStormMb: number }): Promise<BenchResult> {
  const store = bot.running.deps.ports;
  const problems: string[] = [];
  let completed = 0;
  const t0 = Date.now();
  for (let i = 0; i < LIFECYCLES; i++) {
    const name = `Lifecycle${i}`;
    const res = await fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
      body: JSON.stringify(alertPayload({ alertname: name, service: 'payments', instance: 'a' })),
    });
    await res.text();
    const incident = await pollUntil(async () => (await store.incidents.listOpen()).find((x) => x.title.includes(name) && x.channelId), 20_000, 100);
    if (!incident?.channelId) {
      problems.push(`${name}: no channel within 20 s (webhook ${res.status})`);
      continue;
    }
    const ch = incident.channelId;
    await slack.sendSlashCommand({ command: '/incident', text: 'ack', userId: 'U0ONCALL1', channelId: ch });
    const acked = await pollUntil(async () => {
      const x = await store.incidents.get(incident.id);
      return x && x.status !== 'triggered' ? x : undefined;
    }, 15_000, 100);
    if (!acked) problems.push(`${name}: ack not recorded within 15 s`);
    await slack.sendSlashCommand({ command: '/incident', text: 'resolve', userId: 'U0ONCALL1', channelId: ch });
    const resolved = await pollUntil(async () => {
      const x = await store.incidents.get(incident.id);
      return x?.status === 'resolved' ? x : undefined;
    }, 15_000, 100);
    if (!resolved) problems.push(`${name}: resolve not recorded within 15 s`);
    else completed++;
  }
  const elapsed = (Date.now() - t0) / 1000;
  global.gc?.();
  const afterLifecycles = rssMb();
  const heap = process.memoryUsage().heapUsed / (1024 * 1024);
  return {
    name: 'memory',
    title: 'Memory (RSS of the single bench process)',
    figures: [
      { name: 'RSS at bench start (before any bot)', value: rss.startMb, unit: 'MB' },
      { name: 'RSS after the storm', value: rss.afterStormMb, unit: 'MB' },
      { name: `RSS after ${LIFECYCLES} incident lifecycles (same bot)`, value: afterLifecycles, unit: 'MB' },
      { name: 'heap used at the end', value: heap, unit: 'MB' },
      { name: 'lifecycles completed (open, ack, resolve)', value: completed, unit: `of ${LIFECYCLES}`, bar: `= ${LIFECYCLES}`, ratio: completed / LIFECYCLES, pass: completed === LIFECYCLES },
    ],
    details: [
      `${LIFECYCLES} lifecycles took ${elapsed.toFixed(1)} s.`,
      'No bar is set for memory in DESIGN.md; the figures are for tracking between runs. The RSS includes the Slack emulator (which keeps every call and message of the storm in memory) and the load generator.',
      ...problems,
    ],
  };
}
