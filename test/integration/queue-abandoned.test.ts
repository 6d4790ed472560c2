/**
 * An execute-mitigation job whose worker dies twice (the first run, then the recovery) against real
 * BullMQ and Redis: BullMQ fails a job that stalled more than maxStalledCount (1) without running our
 * code ("job stalled more than allowable limit"). The job's onAbandoned (jobs/define.ts) runs then,
 * once, with last-attempt semantics: the proposal never stays "executing". The workflows run on
 * createFakeDeps (memory stores, fake cluster); only the queue is real. A worker "dies" by being closed
 * with force while its run hangs on the cluster: its lock is no longer renewed and lapses.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Proposal } from '../../src/domain/proposal.js';
import { createFakeDeps, type FakeDeps } from '../../src/fake-deps.js';
import { createQueueSet, createWorkerSet, type QueueSet, type WorkerSet, type WorkerSetOptions } from '../../src/integrations/queue/bullmq.js';
import { executeMitigationJob, runAbandoned, runJob } from '../../src/workflows/jobs/index.js';
import type { Mitigation } from '../../src/domain/diagnostics.js';
import type { KubernetesPort } from '../../src/workflows/ports.js';
import { decide, propose } from '../../src/workflows/mitigations/index.js';
import { changeBehindOurBack, createFakeCluster, deployment, hpa } from '../support/fake-cluster.js';
import { openIncident } from '../support/fake-world.js';
import { waitFor } from '../support/procs.js';

const CONFIG = `
routes:
  - name: default
    responders: { users: [U0ONCALL] }
approvals:
  - name: prod
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER] }
diagnostics: { enabled: false }
`;

/** Lock and stalled-check interval of the test's workers: a dead worker's job is found in a second or two. */
const LOCK_MS = 1000;

interface Rig {
  fake: FakeDeps;
  cluster: ReturnType<typeof createFakeCluster>;
  /** While true, every cluster call hangs (the run is "in flight" when its worker dies). */
  hang: { on: boolean; calls: number };
  queues: QueueSet;
  prefix: string;
  workers: WorkerSet[];
}

let rig: Rig | undefined;

afterEach(async () => {
  if (!rig) return;
  await Promise.all(rig.workers.map((w) => w.close(true)));
  await rig.queues.close();
  rig = undefined;
});

function setUp(): Rig {
  const cluster = createFakeCluster({ deployments: [deployment('prod', 'api', { replicas: 4 })], hpas: [hpa('prod', 'api', { min: 2, max: 6 })] });
  const hang = { on: false, calls: 0 };
  const never = new Promise<never>(() => undefined);
  const k8s = new Proxy(cluster, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (!hang.on) return (v as (...a: unknown[]) => unknown).apply(target, args);
        hang.calls++;
        return never;
      };
    },
  }) as KubernetesPort;
  const fake = createFakeDeps({ config: CONFIG, kubernetes: k8s });
  const prefix = `ab${randomUUID().slice(0, 8)}`;
  const queues = createQueueSet({ redisUrl: inject('redisUrl'), prefix });
  rig = { fake, cluster, hang, queues, prefix, workers: [] };
  return rig;
}

type OnAbandoned = NonNullable<WorkerSetOptions['onAbandoned']>;
const realOnAbandoned = (r: Rig): OnAbandoned => (job, data, ctx, key) => runAbandoned(job, r.fake.ports, data, ctx, key);

/** A worker process for the mitigation queue, as startWorker builds it (deps.ts), on the fake ports. */
function startWorker(r: Rig, o: { onAbandoned?: OnAbandoned; sweepMs?: number } = {}): WorkerSet {
  const w = createWorkerSet({
    redisUrl: inject('redisUrl'),
    prefix: r.prefix,
    lockMs: LOCK_MS,
    jobs: [executeMitigationJob],
    handler: (job, data, ctx) => runJob(job, r.fake.ports, data, ctx),
    logger: r.fake.log,
    onAbandoned: o.onAbandoned ?? realOnAbandoned(r),
    abandonedSweepMs: o.sweepMs ?? 600_000,
  });
  r.workers.push(w);
  return w;
}

async function approved(r: Rig, m: Mitigation): Promise<{ id: string; incidentId: string }> {
  const incident = await openIncident(r.fake);
  const p = await propose(r.fake.ports, incident, m, 'U0ONCALL');
  expect(p.ok, p.message).toBe(true);
  const id = p.proposalId ?? '';
  // The click; its execute job goes to the real queue below (the fake queue's copy is never run).
  expect((await decide(r.fake.ports, id, 'U0APPROVER', 'approve', incident.channelId)).ok).toBe(true);
  return { id, incidentId: incident.id };
}

const proposal = async (r: Rig, id: string): Promise<Proposal> => {
  const p = await r.fake.ports.proposals.get(id);
  if (!p) throw new Error(`no proposal ${id}`);
  return p;
};

/** The run and then the recovery each hang on the cluster and their worker dies; a third worker takes over. */
async function killedTwice(r: Rig, id: string): Promise<void> {
  r.hang.on = true;
  await r.queues.enqueue(executeMitigationJob, { proposalId: id });
  const first = startWorker(r);
  await waitFor(async () => r.hang.calls >= 1 && (await proposal(r, id)).status === 'executing', { what: 'the first run claimed the proposal and hangs on the cluster', timeoutMs: 30_000 });
  await first.close(true);
  const second = startWorker(r);
  await waitFor(() => r.hang.calls >= 2, { what: 'the recovery (the job taken up again) hangs on the cluster', timeoutMs: 60_000 });
  await second.close(true);
  expect((await proposal(r, id)).status).toBe('executing');
  r.hang.on = false;
}

describe('a job whose worker dies twice (BullMQ: stalled more than allowable limit)', () => {
  it('the execution is completed by onAbandoned (the target still as pinned: written once), never left executing', async () => {
    const r = setUp();
    const { id } = await approved(r, { kind: 'hpa', namespace: 'prod', name: 'api', maxReplicas: 10 });
    await killedTwice(r, id);
    startWorker(r);
    const job = await waitFor(async () => {
      const j = await r.queues.queues.mitigation.getJob(`exec-${id}`);
      return j && (await j.isFailed()) ? j : undefined;
    }, { what: 'BullMQ failed the job', timeoutMs: 60_000 });
    expect(job.failedReason).toBe('job stalled more than allowable limit');
    const done = await waitFor(async () => {
      const p = await proposal(r, id);
      return p.status === 'executing' ? undefined : p;
    }, { what: 'the proposal out of executing', timeoutMs: 30_000 });
    expect(done.status).toBe('executed');
    expect(done.outcome).toContain('after an interruption; the HPA was still as pinned');
    expect(r.cluster.state.writes).toHaveLength(1);
    expect(r.cluster.state.hpas[0]?.maxReplicas).toBe(10);
    // Once: a second replica (or a second event) finds it claimed.
    expect(await runAbandoned(executeMitigationJob, r.fake.ports, job.data, { id: job.id ?? '', attemptsMade: 0, attempts: 3 }, `${job.id ?? ''}-${job.timestamp}`)).toBe(false);
    expect(r.cluster.state.writes).toHaveLength(1);
    expect(r.fake.log.lines.filter((l) => l.fields['abandoned'] === true && l.fields['jobName'] === 'execute-mitigation' && l.msg?.startsWith('the queue gave the job up'))).toHaveLength(1);
  }, 240_000);

  it('the target moved meanwhile: failed with the reason and proposed again (a new card), never left executing', async () => {
    const r = setUp();
    const { id, incidentId } = await approved(r, { kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 6 });
    await killedTwice(r, id);
    changeBehindOurBack(r.cluster, 'prod', 'api', (d) => {
      d.spec.replicas = 12;
    });
    startWorker(r);
    const done = await waitFor(async () => {
      const p = await proposal(r, id);
      return p.status === 'executing' ? undefined : p;
    }, { what: 'the proposal out of executing', timeoutMs: 90_000 });
    expect(done.status).toBe('failed');
    expect(done.outcome).toMatch(/^Failed: the execution that began at \d\d:\d\d:\d\d UTC was interrupted \(the process stopped\), nothing of it was applied, and /);
    expect(r.cluster.state.writes).toEqual([]);
    const again = (await r.fake.ports.proposals.list(incidentId)).filter((p) => p.id !== id);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ status: 'pending', because: [id], mitigation: { kind: 'scale', replicas: 6 } });
  }, 240_000);

  it('the worker that failed it died before its recovery ran: the sweep of failed jobs recovers it, once', async () => {
    const r = setUp();
    const { id } = await approved(r, { kind: 'hpa', namespace: 'prod', name: 'api', maxReplicas: 9 });
    await killedTwice(r, id);
    // The failed event's recovery never happens (its process "died" at once); the sweep's does.
    let calls = 0;
    const real = realOnAbandoned(r);
    startWorker(r, {
      sweepMs: 1000,
      onAbandoned: (...a) => (++calls === 1 ? Promise.reject(new Error('the process died before the recovery ran')) : real(...a)),
    });
    const done = await waitFor(async () => {
      const p = await proposal(r, id);
      return p.status === 'executing' ? undefined : p;
    }, { what: 'the proposal out of executing', timeoutMs: 90_000 });
    expect(done.status).toBe('executed');
    expect(r.cluster.state.writes).toHaveLength(1);
    expect(r.fake.log.lines.some((l) => l.msg?.startsWith('abandoned job: its recovery failed'))).toBe(true);
    // Later sweeps find it done: still one write, one recovery.
    await waitFor(() => calls >= 4, { what: 'two more sweeps', timeoutMs: 30_000 });
    expect(r.cluster.state.writes).toHaveLength(1);
    expect(r.fake.log.lines.filter((l) => l.msg?.startsWith('the queue gave the job up'))).toHaveLength(1);
  }, 240_000);
});
