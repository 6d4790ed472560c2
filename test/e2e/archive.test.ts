import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { safeJobId } from '../../src/integrations/queue/bullmq.js';
import { archiveChannel } from '../../src/workflows/lifecycle.js';
import { BASE_CONFIG, amAuth, amPayload, postJson, startBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

describe('archiving resolved incident channels after N days', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startBot({ redisUrl: inject('redisUrl'), config: `${BASE_CONFIG}\narchive: { afterDays: 3 }\n` });
  });
  afterAll(async () => bot?.stop());

  async function openAndResolve(alertname: string) {
    expect((await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname, service: alertname.toLowerCase() }), amAuth)).status).toBe(202);
    const channel = await waitFor(() => bot.slack.channels().find((c) => c.name.includes(alertname.toLowerCase()) && bot.slack.pins(c.id).length > 0), { what: 'channel' });
    const incident = await bot.running.deps.ports.incidents.findByChannel(channel.id);
    await bot.slack.sendSlashCommand({ command: '/incident', text: 'resolve', userId: 'U0ONCALL1', channelId: channel.id });
    await waitFor(async () => (await bot.running.deps.ports.incidents.get(incident?.id ?? ''))?.status === 'resolved', { what: 'resolved' });
    return { channel, incidentId: incident?.id as string };
  }

  it('resolving schedules the archive job N days out; when it runs, the channel is archived', async () => {
    const { channel, incidentId } = await openAndResolve('ArchiveMe');
    const queue = bot.running.deps.queues.queues.incident;
    const job = await waitFor(async () => (await queue.getJob(safeJobId(`archive-${incidentId}-0`))) ?? undefined, { what: 'archive job' });
    expect(await job.isDelayed()).toBe(true);
    const days3 = 3 * 86_400_000;
    expect(job.opts.delay).toBeGreaterThan(days3 - 60_000);
    expect(job.opts.delay).toBeLessThanOrEqual(days3);
    // What the job does when its time comes:
    await archiveChannel(bot.running.deps.ports, incidentId);
    expect(bot.slack.channels().find((c) => c.id === channel.id)?.is_archived).toBe(true);
  });

  it('a channel whose incident was reopened in the meantime is kept', async () => {
    const { channel, incidentId } = await openAndResolve('KeepMe');
    await bot.running.deps.ports.incidents.update(incidentId, (cur) => ({ ...cur, status: 'triggered', resolvedAt: undefined }));
    await archiveChannel(bot.running.deps.ports, incidentId);
    expect(bot.slack.channels().find((c) => c.id === channel.id)?.is_archived).toBe(false);
  });
});
