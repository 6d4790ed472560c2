/** Driving the workflows on createFakeDeps: alerts in, jobs run, the incident as Slack would show it. */
import type { Alert } from '../../src/domain/alert.js';
import type { Incident } from '../../src/domain/incident.js';
import type { Proposal } from '../../src/domain/proposal.js';
import type { FakeDeps } from '../../src/fake-deps.js';
import { ingestJob } from '../../src/workflows/jobs/index.js';

let delivery = 0;

/** An Alertmanager alert as the normaliser leaves it (severity is settled by the route during ingest). */
export function amAlert(opts: { alertname?: string; namespace?: string; service?: string; status?: 'firing' | 'resolved'; startsAt?: string; labels?: Record<string, string> } = {}): Alert {
  const alertname = opts.alertname ?? 'HighErrorRate';
  const labels = { alertname, namespace: opts.namespace ?? 'prod', service: opts.service ?? 'api', severity: 'critical', ...opts.labels };
  const status = opts.status ?? 'firing';
  return {
    source: 'alertmanager',
    fingerprint: `fp-${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}`,
    status,
    name: alertname,
    severity: 'SEV3',
    labels,
    annotations: { summary: '5xx above 5%' },
    startsAt: opts.startsAt ?? '2026-11-21T08:56:53.000Z',
    ...(status === 'resolved' ? { endsAt: '2026-11-21T09:30:00.000Z' } : {}),
    links: [],
  };
}

/** One webhook delivery through the ingest job; runs every job due now. */
export async function deliver(fake: FakeDeps, alerts: Alert[]): Promise<void> {
  await fake.ports.queue.enqueue(ingestJob, { batch: { deliveryId: `d-${++delivery}`, receivedAt: fake.clock.now().toISOString(), source: 'alertmanager', alerts } });
  await fake.runDue();
}

/** Delivers the alert and returns its incident once its channel is open. */
export async function openIncident(fake: FakeDeps, alert: Alert = amAlert()): Promise<Incident & { channelId: string }> {
  await deliver(fake, [alert]);
  for (const incident of await fake.ports.incidents.listAll(1000)) {
    const alerts = await fake.ports.incidents.listAlerts(incident.id);
    if (!alerts.some((a) => a.fingerprint === alert.fingerprint)) continue;
    if (!incident.channelId) throw new Error(`${incident.id} has no channel: ${JSON.stringify(fake.queue.pending().map((j) => j.id))}`);
    return incident as Incident & { channelId: string };
  }
  throw new Error(`no incident holds ${alert.fingerprint}`);
}

/** The texts of the messages in a channel (thread replies included), in order. */
export function texts(fake: FakeDeps, channelId: string): string[] {
  return fake.chat.channels.get(channelId)?.messages.map((m) => m.text) ?? [];
}

/** A pending scale proposal, for tests of stores and of the approval decision. */
export function sampleProposal(over: Partial<Proposal> = {}): Proposal {
  return {
    id: 'P1',
    incidentId: 'INC-1',
    mitigation: { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 4 },
    status: 'pending',
    requestedBy: 'U0ONCALL1',
    requestedAt: '2026-11-21T09:00:00.000Z',
    expiresAt: '2026-11-21T10:00:00.000Z',
    rationale: 'r',
    risk: 'k',
    because: [],
    pinned: { resourceVersion: '7' },
    diff: [],
    approvals: [],
    requiredApprovals: 1,
    protectedEnvironment: false,
    ...over,
  };
}
