/**
 * The queued diagnostics engine on createFakeDeps (test/support/diagnose-fake.ts): the flow of check
 * jobs under the assess parent, findings posted once in the progress thread by the coalesced findings job (bundled, deferred when throttled), retries of transient
 * failures, the progress message, a rerun. The catalogue's findings on the fixture worlds are in
 * checks-catalogue.test.ts, through the same engine.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createFakeDeps } from '../../src/fake-deps.js';
import { findingBlockId } from '../../src/integrations/slack/blocks/diagnostics.js';
import { slackRenderer } from '../../src/integrations/slack/blocks/index.js';
import { postFindings, rerunDiagnosis, runCheckJob } from '../../src/workflows/diagnostics/engine.js';
import { makeFinding } from '../../src/workflows/diagnostics/types.js';
import { diagnoseCheckJob } from '../../src/workflows/jobs/index.js';
import type { CheckData } from '../../src/workflows/jobs/diagnose-check.js';
import { diagnose } from '../support/diagnose-fake.js';
import { FakeKubernetes, seedWorld } from '../support/fake-ports.js';
import { postedFindingBlocks, timesPosted } from '../support/findings.js';

describe('the diagnostics engine on fakes', () => {
  it('one progress message; each finding once in its thread (bundled); the assessment when the last check completes', async () => {
    const d = await diagnose(seedWorld());
    // The assessment does not wait for the findings' posts: they follow in the thread.
    await d.fake.runFor(2_000);
    const messages = d.fake.chat.channels.get('C0DIAG')?.messages ?? [];
    const progress = messages[0];
    expect(progress?.text).toMatch(/^:mag: Diagnos/);
    const replies = messages.filter((m) => m.threadTs === progress?.ts);
    // Every finding once, in as few replies as fit Slack's 50 blocks.
    expect(Object.values(timesPosted(d.findings, replies))).toEqual(d.findings.map(() => 1));
    expect(postedFindingBlocks(replies)).toHaveLength(d.findings.length);
    expect(replies.length).toBeLessThan(d.findings.length);
    for (const r of replies) expect(r.blocks?.length).toBeLessThanOrEqual(50);
    const top = messages.filter((m) => !m.threadTs);
    expect(top).toHaveLength(2);
    expect(top[1]?.text).toMatch(/^Assessment INC-1: /);
    // The progress message ends complete, updated in place.
    expect(d.fake.chat.channels.get('C0DIAG')?.messages[0]?.text).toBe(`:mag: Diagnosis complete: ${d.ran.length} checks`);
    const kinds = (await d.fake.ports.timeline.list(d.incidentId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'diagnosis.started')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'diagnosis.finding')).toHaveLength(d.findings.length);
    expect(kinds.filter((k) => k === 'diagnosis.assessment')).toHaveLength(1);
  });

  it('findings throttled by Slack are deferred, not lost, and the assessment is not behind them', async () => {
    let refused = 0;
    let throttled = true;
    const d = await diagnose(seedWorld(), {
      before: (fake) => {
        const post = fake.chat.post.bind(fake.chat);
        fake.chat.post = async (channel, message, o) => {
          if (o?.threadTs && throttled) {
            refused += 1;
            throw new AppError('throttled', 'paced by the shared budget', { retryAfterMs: 1_500 });
          }
          return post(channel, message, o);
        };
      },
    });
    const thread = () => (d.fake.chat.channels.get('C0DIAG')?.messages ?? []).filter((m) => m.threadTs);
    // The assessment is out while the findings still wait for Slack.
    expect(d.assessment.findings).toHaveLength(d.findings.length);
    expect((d.fake.chat.channels.get('C0DIAG')?.messages ?? []).some((m) => m.text.startsWith('Assessment INC-1: '))).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(postedFindingBlocks(thread())).toEqual([]);
    throttled = false;
    await d.fake.runFor(5_000);
    expect(Object.values(timesPosted(d.findings, thread()))).toEqual(d.findings.map(() => 1));
    expect((await d.fake.ports.timeline.list(d.incidentId)).filter((e) => e.kind === 'diagnosis.finding')).toHaveLength(d.findings.length);
  });

  it('two findings jobs of one run at once: each finding is posted once (the posting lease)', async () => {
    let hold = true;
    const d = await diagnose(seedWorld(), {
      before: (fake) => {
        const post = fake.chat.post.bind(fake.chat);
        fake.chat.post = async (channel, message, o) => {
          if (o?.threadTs && hold) throw new AppError('unavailable', 'slack is down');
          return post(channel, message, o);
        };
      },
    });
    hold = false;
    const run = { incidentId: d.incidentId, runId: 'r1' };
    await Promise.all([postFindings(d.fake.ports, run, 0, 'job-a'), postFindings(d.fake.ports, run, 0, 'job-b')]);
    await d.fake.runFor(5_000);
    const thread = (d.fake.chat.channels.get('C0DIAG')?.messages ?? []).filter((m) => m.threadTs);
    expect(Object.values(timesPosted(d.findings, thread))).toEqual(d.findings.map(() => 1));
  });

  it('a reply that went through but whose answer was lost (the worker died) is read back from the thread, not posted again', async () => {
    let lost = 0;
    const d = await diagnose(seedWorld(), {
      before: (fake) => {
        const post = fake.chat.post.bind(fake.chat);
        fake.chat.post = async (channel, message, o) => {
          const r = await post(channel, message, o);
          if (o?.threadTs && lost < 1) {
            lost += 1;
            throw new AppError('unavailable', 'socket hang up'); // Slack has it; the job never heard
          }
          return r;
        };
      },
    });
    await d.fake.runFor(60_000);
    const thread = (d.fake.chat.channels.get('C0DIAG')?.messages ?? []).filter((m) => m.threadTs);
    expect(lost).toBe(1);
    expect(d.fake.chat.calls).toContain('conversations.replies');
    expect(Object.values(timesPosted(d.findings, thread))).toEqual(d.findings.map(() => 1));
    expect((await d.fake.ports.timeline.list(d.incidentId)).filter((e) => e.kind === 'diagnosis.finding')).toHaveLength(d.findings.length);
  });

  it('findings are bundled into replies of at most 50 blocks, each finding whole and once, in order', () => {
    const base = makeFinding({ check: 'pods', subject: { kind: 'workload', namespace: 'default', deployment: 'x' }, discriminator: 'd0', severity: 'info', title: 'T', summary: 'S' });
    const many = Array.from({ length: 40 }, (_, i) => ({ ...base, id: `${base.id}-${i}`, title: `Finding ${i}`, evidence: [{ numbers: { n: i }, detail: `detail ${i}` }] }));
    const replies = slackRenderer.findings(many);
    expect(replies.length).toBeGreaterThan(1);
    for (const r of replies) expect(r.message.blocks?.length).toBeLessThanOrEqual(50);
    expect(replies.flatMap((r) => r.findings.map((f) => f.id))).toEqual(many.map((f) => f.id));
    expect(replies.flatMap((r) => postedFindingBlocks([r.message]))).toEqual(many.map((f) => findingBlockId(f)));
    const [one] = slackRenderer.findings([base]);
    expect(one?.message.text).toBe('T: S');
  });

  it('a redelivered check job reuses its stored outcome and posts nothing twice', async () => {
    const d = await diagnose(seedWorld());
    const job = [...d.fake.queue.jobs.values()].find((j) => j.name === diagnoseCheckJob.name && (j.data as CheckData).check === 'pods');
    if (!job) throw new Error('no pods check ran');
    const posts = d.fake.chat.calls.filter((c) => c === 'chat.postMessage').length;
    await runCheckJob(d.fake.ports, job.data as CheckData, { attemptsMade: 0, attempts: 1 });
    expect(d.fake.chat.calls.filter((c) => c === 'chat.postMessage').length).toBe(posts);
    expect(await d.fake.ports.diagnosis.listFindings(d.incidentId, 'r1')).toEqual(d.findings);
  });

  it('a transient failure is retried; on the last attempt it becomes a finding that says what could not be checked', async () => {
    const w = seedWorld();
    let calls = 0;
    class FlakyHpas extends FakeKubernetes {
      override async listHpas(): Promise<never> {
        calls += 1;
        throw new AppError('unavailable', 'the API server is restarting');
      }
    }
    const d = await diagnose({ ...w, kubernetes: new FlakyHpas(w.kube) });
    // diagnostics.attempts defaults to 3: three tries, then the error finding.
    expect(calls).toBe(3);
    const failed = d.findings.find((f) => f.check === 'hpa' && f.severity === 'error');
    expect(failed?.summary).toBe('hpa could not finish: the API server is restarting (unavailable)');
    expect(d.ran).toContain('hpa@wl/default/data-service');
  });

  it('/incident diagnose starts a new run, with who asked; not when diagnostics are disabled', async () => {
    const d = await diagnose(seedWorld());
    d.fake.clock.advance(60_000);
    const r = await rerunDiagnosis(d.fake.ports, d.incidentId, 'U0LEAD');
    expect(r.ok).toBe(true);
    await d.fake.runDue();
    const started = (await d.fake.ports.timeline.list(d.incidentId)).filter((e) => e.kind === 'diagnosis.started');
    expect(started.map((e) => e.data?.['requestedBy'])).toEqual([undefined, 'U0LEAD']);
    const off = createFakeDeps({ config: 'routes:\n  - name: default\ndiagnostics: { enabled: false }\n' });
    expect(await rerunDiagnosis(off.ports, 'INC-1', 'U0LEAD')).toEqual({ ok: false, message: 'Diagnostics are disabled in the config.' });
    expect(off.queue.jobs.size).toBe(0);
  });
});
