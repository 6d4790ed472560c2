/**
 * Runs the real diagnostics engine (the diagnose job, its flow of check jobs and the assess parent)
 * on createFakeDeps over a fixture world of fake-ports.ts: no Redis, no BullMQ, no servers.
 */
import type { Assessment, Finding } from '../../src/domain/diagnostics.js';
import { createFakeDeps, type FakeDeps } from '../../src/fake-deps.js';
import { diagnoseJob } from '../../src/workflows/jobs/index.js';
import type { World } from './fake-ports.js';

export interface Diagnosis {
  fake: FakeDeps;
  incidentId: string;
  findings: Finding[];
  /** `<check>@<subject key>` in the order the checks finished. */
  ran: string[];
  assessment: Assessment;
}

const CONFIG = `
routes:
  - name: default
diagnostics: { enabled: true }
`;

/** The world's incident stored as ingest would store it, with a channel, then one diagnosis run to its assessment. */
export async function diagnose(w: World, opts: { runId?: string; /** Runs before the diagnosis (to wrap a port). */ before?: (fake: FakeDeps) => void } = {}): Promise<Diagnosis> {
  const fake = createFakeDeps({
    config: CONFIG,
    now: w.now,
    ...(w.cloudwatch ? { cloudwatch: w.cloudwatch } : {}),
    ...(w.kubernetes ? { kubernetes: w.kubernetes } : {}),
    ...(w.prometheus ? { prometheus: w.prometheus } : {}),
  });
  opts.before?.(fake);
  const p = fake.ports;
  const first = w.incident.alerts[0];
  if (!first) throw new Error('a world needs an alert');
  const { incident } = await p.incidents.getOrCreate({ key: `k-${w.incident.id}`, title: first.name, severity: first.severity, source: first.source, route: 'default', responders: [] }, w.now, 0);
  for (const a of w.incident.alerts) await p.incidents.upsertAlert(incident.id, a, w.now);
  await p.incidents.update(incident.id, (cur) => ({ ...cur, channelId: 'C0DIAG', cardTs: '1.000001' }));
  const runId = opts.runId ?? 'r1';
  await p.queue.enqueue(diagnoseJob, { incidentId: incident.id, runId });
  await fake.runDue();
  const assessment = await p.diagnosis.getAssessment(incident.id);
  if (!assessment) throw new Error(`the run did not finish: ${JSON.stringify(fake.queue.pending().map((j) => j.id))}`);
  const done = await p.diagnosis.listDone({ incidentId: incident.id, runId });
  return {
    fake,
    incidentId: incident.id,
    findings: await p.diagnosis.listFindings(incident.id, runId),
    ran: done.map((d) => d.check.replace(' · ', '@')),
    assessment,
  };
}
