/**
 * The execute job on its own, against the Kubernetes API emulator through the real adapter and
 * the Redis store: exactly once under concurrent runs (CAS approved -> executing), and the write
 * pinned to the proposal's resourceVersion when the object moved on between approval and
 * execution (JSON Patch `test` -> 422, merge patch precondition -> 409: refused as stale, nothing
 * written). Also the card builder's revert button and proposeRevert without an inverse.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Mitigation } from '../../src/domain/diagnostics.js';
import type { Proposal } from '../../src/domain/proposal.js';
import { proposalCard } from '../../src/integrations/slack/blocks/proposal.js';
import type { Ports } from '../../src/workflows/context.js';
import { decide, execute, propose, proposeRevert } from '../../src/workflows/mitigations/index.js';
import { appObjects, at, driver, startWorld, writeAttempts, writesTo, type Driver, type OpenIncident, type World } from '../support/world-k8s.js';

const REG = 'registry.example.com';
const CONFIG = `
routes:
  - name: alerts
    match: {}
    key: { by: labels, labels: [alertname, service] }
    responders: { users: [U0ONCALL1] }
approvals:
  - name: prod
    match: { namespaces: [prod] }
    approvers: { users: [U0APPROVER] }
diagnostics: { enabled: false }
`;

describe('execute: exactly once, pinned to the proposal’s resourceVersion', () => {
  let w: World;
  let d: Driver;
  let deps: Ports;
  let incident: OpenIncident;

  beforeAll(async () => {
    w = await startWorld({
      redisUrl: inject('redisUrl'),
      config: CONFIG,
      kube: {
        rolloutMs: 300,
        objects: ['race', 'moved', 'relabelled', 'resized', 'late', 'plain'].flatMap((name) => appObjects({ namespace: 'prod', name, images: [`${REG}/${name}:v1`, `${REG}/${name}:v2`] })),
      },
    });
    d = driver(w);
    deps = w.bot.running.deps.ports;
    incident = await d.openIncident('ExecuteJob', 'execute');
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** A proposal made by the workflow and approved as a click would leave it. */
  async function approved(m: Mitigation): Promise<Proposal> {
    const r = await propose(deps, incident, m, 'U0ONCALL1');
    expect(r.ok, r.message).toBe(true);
    const id = r.proposalId ?? '';
    const p = await deps.proposals.update(id, (cur) => ({ ...cur, status: 'approved', decidedBy: 'U0APPROVER', approvals: [{ userId: 'U0APPROVER', at: new Date().toISOString(), rule: 'prod' }] }));
    if (!p) throw new Error('no proposal');
    return p.value;
  }

  /** A metadata-only change (kubectl label): a new resourceVersion, the same spec. */
  function touch(name: string): string {
    const cur = w.kube.get('Deployment', 'prod', name);
    const md = (cur?.['metadata'] ?? {}) as Record<string, unknown>;
    const next = w.kube.upsert({ ...cur, metadata: { ...md, labels: { ...(md['labels'] as Record<string, string>), touched: 'yes' } } });
    return String(at(next, 'metadata', 'resourceVersion'));
  }

  /** A spec change (someone edits the pod template by hand). */
  function editSpec(name: string): string {
    const cur = w.kube.get('Deployment', 'prod', name) as Record<string, unknown>;
    const spec = cur['spec'] as Record<string, unknown>;
    const template = spec['template'] as Record<string, unknown>;
    const tmd = (template['metadata'] ?? {}) as Record<string, unknown>;
    const next = w.kube.upsert({ ...cur, spec: { ...spec, template: { ...template, metadata: { ...tmd, annotations: { ...(tmd['annotations'] as Record<string, string>), 'example.com/hotfix': 'by hand' } } } } });
    return String(at(next, 'metadata', 'resourceVersion'));
  }

  it('four concurrent runs of the same job write once and record one execution', async () => {
    const p = await approved({ kind: 'rollback', namespace: 'prod', deployment: 'race' });
    await Promise.all([execute(deps, p.id), execute(deps, p.id), execute(deps, p.id), execute(deps, p.id)]);
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'race')).toBe(1);
    expect(writesTo(w.kube, 'prod', 'deployments', 'race')).toBe(1);
    expect((await d.proposal(p.id)).status).toBe('executed');
    expect((await d.events(incident.id, p.id)).filter((e) => e.kind === 'mitigation.executed').length).toBe(1);
    // A run after it finished is a no-op too.
    await execute(deps, p.id);
    expect(writeAttempts(w.kube, 'prod', 'deployments', 'race')).toBe(1);
  });

  it('a rollback whose deployment spec changed after approval is refused as stale, nothing written', async () => {
    const p = await approved({ kind: 'rollback', namespace: 'prod', deployment: 'moved' });
    const now = editSpec('moved');
    await execute(deps, p.id);
    expect(w.kube.requests.filter((r) => r.verb === 'patch' && !r.dryRun && r.name === 'moved')).toEqual([]);
    const after = await d.proposal(p.id);
    expect(after.status).toBe('refused');
    expect(after.outcome).toContain('the deployment spec changed since it was proposed');
    const refused = (await d.events(incident.id, p.id)).filter((e) => e.kind === 'mitigation.refused');
    expect(refused.length).toBe(1);
    expect(refused[0]?.text).toContain('Refused (stale)');
    expect(at(w.kube.get('Deployment', 'prod', 'moved'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(`${REG}/moved:v2`);
    expect(at(w.kube.get('Deployment', 'prod', 'moved'), 'metadata', 'resourceVersion')).toBe(now);
  });

  it('a metadata or status change after approval (a new resourceVersion, the same spec) does not make it stale: the write is pinned to the fresh resourceVersion', async () => {
    const p = await approved({ kind: 'rollback', namespace: 'prod', deployment: 'relabelled' });
    const now = touch('relabelled');
    expect(now).not.toBe(p.pinned.resourceVersion);
    await execute(deps, p.id);
    const write = w.kube.requests.filter((r) => r.verb === 'patch' && !r.dryRun && r.name === 'relabelled');
    expect(write.map((r) => r.status)).toEqual([200]);
    expect(write[0]?.body).toContainEqual({ op: 'test', path: '/metadata/resourceVersion', value: now });
    expect((await d.proposal(p.id)).status).toBe('executed');
  });

  it('a scale whose deployment spec changed after approval is refused as stale, nothing written', async () => {
    const p = await approved({ kind: 'scale', namespace: 'prod', deployment: 'resized', replicas: 4 });
    editSpec('resized');
    await execute(deps, p.id);
    expect(w.kube.requests.filter((r) => r.verb === 'patch' && !r.dryRun && r.name === 'resized')).toEqual([]);
    expect((await d.proposal(p.id)).status).toBe('refused');
    expect(at(w.kube.get('Deployment', 'prod', 'resized'), 'spec', 'replicas')).toBe(2);
  });

  it('a click after expiresAt, before the expiry job ran, expires the proposal and is refused and recorded', async () => {
    const r = await propose(deps, incident, { kind: 'scale', namespace: 'prod', deployment: 'late', replicas: 5 }, 'U0ONCALL1');
    expect(r.ok, r.message).toBe(true);
    const id = r.proposalId ?? '';
    await deps.proposals.update(id, (cur) => ({ ...cur, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const out = await decide(deps, id, 'U0APPROVER', 'approve', incident.channelId);
    expect(out).toEqual({ ok: false, message: 'Not approved: the proposal has expired; propose it again' });
    const p = await d.proposal(id);
    expect(p.status).toBe('expired');
    expect(p.approvals).toEqual([]);
    expect((await d.events(incident.id, id)).map((e) => e.kind)).toEqual(['mitigation.proposed', 'mitigation.expired', 'mitigation.refused']);
  });

  it('proposeRevert explains when an action has no automatic inverse, and refuses a click from another channel', async () => {
    const r = await propose(deps, incident, { kind: 'restart', namespace: 'prod', deployment: 'plain' }, 'U0ONCALL1');
    expect(r.ok).toBe(true);
    const out = await proposeRevert(deps, r.proposalId ?? '', 'U0ONCALL1', incident.channelId);
    expect(out).toEqual({ ok: false, message: 'This action has no automatic revert; propose the inverse by hand.' });
    expect(await proposeRevert(deps, r.proposalId ?? '', 'U0ONCALL1', 'C0GENERAL')).toEqual({ ok: false, message: 'This proposal does not belong to this channel.' });
  });
});

describe('proposal card buttons', () => {
  const base: Proposal = {
    id: 'Pabc123def456',
    incidentId: 'INC-1',
    mitigation: { kind: 'restart', namespace: 'prod', deployment: 'web' },
    status: 'pending',
    requestedBy: 'U0ONCALL1',
    requestedAt: '2026-03-02T10:00:00.000Z',
    expiresAt: '2026-03-02T10:15:00.000Z',
    rationale: 'r',
    risk: 'k',
    because: [],
    pinned: { resourceVersion: '42', revision: 3 },
    diff: [{ field: 'replicas', before: '2', after: '5' }],
    approvals: [],
    requiredApprovals: 1,
    protectedEnvironment: false,
  };
  const actionIds = (p: Proposal): string[] =>
    (proposalCard(p).blocks ?? []).flatMap((b) => (at(b, 'type') === 'actions' && Array.isArray(at(b, 'elements')) ? (at(b, 'elements') as unknown[]).map((e) => String(at(e, 'action_id'))) : []));

  it('pending offers Approve/Deny; failed offers “Propose revert” only when there is a revert; other states offer nothing', () => {
    expect(actionIds(base)).toEqual(['proposal_approve', 'proposal_deny']);
    expect(actionIds({ ...base, status: 'failed' })).toEqual([]);
    expect(actionIds({ ...base, status: 'failed', mitigation: { kind: 'scale', namespace: 'prod', deployment: 'web', replicas: 5 }, revert: { kind: 'scale', namespace: 'prod', deployment: 'web', replicas: 2 } })).toEqual(['proposal_revert']);
    for (const status of ['approved', 'executing', 'executed', 'verified', 'denied', 'expired', 'refused'] as const) expect(actionIds({ ...base, status })).toEqual([]);
  });
});
