/**
 * The queued diagnostics engine on createFakeDeps (test/support/diagnose-fake.ts): the flow of check
 * jobs under the assess parent, findings posted once in the progress thread, retries of transient
 * failures, the progress message, a rerun. The catalogue's findings on the fixture worlds are in
 * checks-catalogue.test.ts, through the same engine.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createFakeDeps } from '../../src/fake-deps.js';
import { rerunDiagnosis, runCheckJob } from '../../src/workflows/diagnostics/engine.js';
import { diagnoseCheckJob } from '../../src/workflows/jobs/index.js';
import type { CheckData } from '../../src/workflows/jobs/diagnose-check.js';
import { diagnose } from '../support/diagnose-fake.js';
import { FakeKubernetes, seedWorld } from '../support/fake-ports.js';

describe('the diagnostics engine on fakes', () => {
  it('one progress message; each finding once in its thread; the assessment after the last check', async () => {
    const d = await diagnose(seedWorld());
    const messages = d.fake.chat.channels.get('C0DIAG')?.messages ?? [];
    const progress = messages[0];
    expect(progress?.text).toMatch(/^:mag: Diagnos/);
    const replies = messages.filter((m) => m.threadTs === progress?.ts);
    expect(replies).toHaveLength(d.findings.length);
    expect(new Set(replies.map((m) => m.text)).size).toBe(replies.length);
    const top = messages.filter((m) => !m.threadTs);
    expect(top).toHaveLength(2);
    expect(top[1]?.text).toMatch(/^Assessment INC-1: /);
    // The progress message ends complete, updated in place.
    await d.fake.runFor(2_000);
    expect(d.fake.chat.channels.get('C0DIAG')?.messages[0]?.text).toBe(`:mag: Diagnosis complete: ${d.ran.length} checks`);
    const kinds = (await d.fake.ports.timeline.list(d.incidentId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'diagnosis.started')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'diagnosis.finding')).toHaveLength(d.findings.length);
    expect(kinds.at(-1)).toBe('diagnosis.assessment');
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
