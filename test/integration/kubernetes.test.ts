/**
 * The Kubernetes adapter (@kubernetes/client-node 1.4) against the Kubernetes API emulator:
 * reads, kubectl-equivalent mitigations, dry runs, optimistic concurrency, error mapping and
 * rollout status over the emulator's deployment controller.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { equalIgnoreHash, rolloutStatus, withoutHashLabel } from '../../src/domain/rollout.js';
import { AppError } from '../../src/errors.js';
import { createKubernetesAdapter, loadKubeConfig } from '../../src/integrations/kubernetes/adapter.js';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator, type KubernetesEmulatorOptions } from '../../src/sandbox/kubernetes/server.js';
import type { KubernetesPort } from '../../src/workflows/ports.js';
import { tmpDir, waitFor } from '../support/procs.js';

type Obj = Record<string, unknown>;

function rec(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) cur = Array.isArray(cur) && typeof k === 'number' ? cur[k] : rec(cur)[String(k)];
  return cur;
}

const running: KubernetesEmulator[] = [];

async function setup(opts: Partial<KubernetesEmulatorOptions> = {}): Promise<{ emu: KubernetesEmulator; kube: KubernetesPort; kc: k8s.KubeConfig }> {
  const emu = await startKubernetesEmulator({ objects: sampleCluster(), rolloutMs: 400, ...opts });
  running.push(emu);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions(emu.kubeConfigOptions);
  return { emu, kube: createKubernetesAdapter(kc), kc };
}

afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
});

async function appError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw new Error(`expected an AppError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected the call to fail');
}

const V1 = 'registry.example.com/web:v1';
const V2 = 'registry.example.com/web:v2';

describe('rollbackDeployment (kubectl rollout undo)', () => {
  it('restores the previous ReplicaSet template without pod-template-hash, with kubectl annotations, ignoring ReplicaSets of other owners', async () => {
    const { emu, kube } = await setup();
    const rs1 = emu.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e');
    const r = await kube.rollbackDeployment('prod', 'web', 0, { dryRun: false });
    expect(r.noop).toBeUndefined();

    const patch = emu.requests.find((q) => q.verb === 'patch');
    expect(patch).toMatchObject({ path: '/apis/apps/v1/namespaces/prod/deployments/web', contentType: 'application/json-patch+json', dryRun: false, fieldManager: 'warroom' });
    expect((patch?.body as Obj[]).map((o) => `${String(o['op'])} ${String(o['path'])}`)).toEqual(['replace /spec/template', 'replace /metadata/annotations']);

    const stored = emu.get('Deployment', 'prod', 'web');
    const template = at(stored, 'spec', 'template');
    // Equal to revision 1's template once the hash label is gone, and the label really is gone.
    expect(equalIgnoreHash(template, at(rs1, 'spec', 'template'))).toBe(true);
    expect(at(template, 'metadata', 'labels')).toEqual({ app: 'web' });
    expect(at(template, 'spec', 'containers', 0, 'image')).toBe(V1);
    // Skip-listed annotations kept from the Deployment (revision), the rest copied from the ReplicaSet;
    // Deployment-only annotations are dropped (kubectl replaces /metadata/annotations).
    expect(at(r.after, 'metadata', 'annotations')).toEqual({
      'deployment.kubernetes.io/revision': '2',
      'kubernetes.io/change-cause': 'deploy web:v1',
      'team.example.com/owner': 'payments',
    });
    expect(r.diff).toContainEqual({ field: 'container app image', before: V2, after: V1 });
    expect(r.diff).toContainEqual({ field: 'annotation kubernetes.io/change-cause', before: 'deploy web:v2', after: 'deploy web:v1' });
    expect(r.resourceVersion).toBe(at(stored, 'metadata', 'resourceVersion'));

    // The controller re-uses the old ReplicaSet as revision 3 and records its old number.
    await waitFor(async () => rolloutStatus((await kube.getDeployment('prod', 'web'))!).done, { timeoutMs: 5000, what: 'rollout done' });
    const reused = emu.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e');
    expect(at(reused, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('3');
    expect(at(reused, 'metadata', 'annotations', 'deployment.kubernetes.io/revision-history')).toBe('1');
    const d = await kube.getDeployment('prod', 'web');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const pods = await kube.listPods('prod', 'app=web');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.spec.containers[0]?.image === V1 && p.status.containerStatuses?.[0]?.ready === true)).toBe(true);
  });

  it('rolls back to a named revision, and skips without writing when the template already matches', async () => {
    const { emu, kube } = await setup();
    const skipped = await kube.rollbackDeployment('prod', 'web', 2, { dryRun: false });
    expect(skipped.noop).toBe('skipped rollback (current template already matches revision 2)');
    expect(skipped.diff).toEqual([]);
    expect(emu.requests.filter((q) => q.verb === 'patch')).toHaveLength(0);

    const r = await kube.rollbackDeployment('prod', 'web', 1, { dryRun: false });
    expect(r.noop).toBeUndefined();
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(V1);
  });

  it('refuses an unknown revision, a deployment without history, a paused deployment and a missing one', async () => {
    const { emu, kube } = await setup();
    const unknown = await appError(kube.rollbackDeployment('prod', 'web', 9, { dryRun: false }));
    expect(unknown.code).toBe('not_found');
    expect(unknown.message).toBe('unable to find specified revision 9 in history');

    emu.upsert({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'solo', namespace: 'prod', uid: 'solo-uid', annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 's', image: 'solo:1' }] } } },
    });
    emu.upsert({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'solo-1', namespace: 'prod', labels: { app: 'solo' }, annotations: { 'deployment.kubernetes.io/revision': '1' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'solo', uid: 'solo-uid', controller: true }] },
      spec: { replicas: 1, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 's', image: 'solo:1' }] } } },
    });
    const none = await appError(kube.rollbackDeployment('prod', 'solo', 0, { dryRun: false }));
    expect(none.message).toBe('no rollout history found for deployment "solo"');

    const paused = await appError(kube.rollbackDeployment('prod', 'batch', 0, { dryRun: false }));
    expect(paused.code).toBe('bad_request');
    expect(paused.message).toBe("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");

    const missing = await appError(kube.rollbackDeployment('prod', 'nope', 0, { dryRun: false }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe('deployments.apps "nope" not found');
    expect(emu.requests.filter((q) => q.verb === 'patch')).toHaveLength(0);
  });

  it('dry run returns the diff and the would-be object but changes nothing', async () => {
    const { emu, kube } = await setup();
    const before = emu.get('Deployment', 'prod', 'web');
    const replicaSetsBefore = emu.objects('ReplicaSet');
    const r = await kube.rollbackDeployment('prod', 'web', 0, { dryRun: true });
    expect(r.diff).toContainEqual({ field: 'container app image', before: V2, after: V1 });
    expect(at(r.after, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(V1);
    // The would-be object: generation bumped in the response only.
    expect(at(r.after, 'metadata', 'generation')).toBe(Number(at(before, 'metadata', 'generation')) + 1);
    expect(r.resourceVersion).toBe(at(before, 'metadata', 'resourceVersion'));
    const patch = emu.requests.find((q) => q.verb === 'patch');
    expect(patch?.dryRun).toBe(true);
    expect(patch?.query['dryRun']).toBe('All');
    expect(emu.get('Deployment', 'prod', 'web')).toEqual(before);
    // No rollout was started: the ReplicaSets are untouched once any controller step would have run.
    await new Promise((r) => setTimeout(r, 500));
    await emu.settle();
    expect(emu.objects('ReplicaSet')).toEqual(replicaSetsBefore);
  });

  it('a stale resourceVersion is a conflict (JSON Patch test on /metadata/resourceVersion); the current one goes through', async () => {
    const { emu, kube } = await setup();
    const rv = String(at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'resourceVersion'));
    const stale = await appError(kube.rollbackDeployment('prod', 'web', 0, { dryRun: false, expectResourceVersion: '1' }));
    expect(stale.code).toBe('conflict');
    expect(rec(stale.details)['stale']).toBe(true);
    const sent = emu.requests.find((q) => q.verb === 'patch');
    expect(sent?.status).toBe(422);
    expect((sent?.body as Obj[])[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: '1' });
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(V2);

    const ok = await kube.rollbackDeployment('prod', 'web', 0, { dryRun: false, expectResourceVersion: rv });
    expect(ok.diff).toContainEqual({ field: 'container app image', before: V2, after: V1 });
  });

  it('a 422 that is not about the pinned version stays bad_request with the server words', async () => {
    const { emu, kube } = await setup();
    const web = emu.get('Deployment', 'prod', 'web');
    // A revision whose pod template no longer matches the Deployment's selector: the server refuses it.
    emu.upsert({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-odd', namespace: 'prod', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '5' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: at(web, 'metadata', 'uid'), controller: true }] },
      spec: { replicas: 0, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:odd' }] } } },
    });
    const rv = String(at(web, 'metadata', 'resourceVersion'));
    const e = await appError(kube.rollbackDeployment('prod', 'web', 5, { dryRun: false, expectResourceVersion: rv }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toContain('spec.template.metadata.labels: Invalid value');
  });
});

describe('templates travel as raw JSON (no typed-model round trip)', () => {
  /** Revision 1 of prod/web carries pod-spec fields no client model knows (workloadRef arrived after Kubernetes 1.34). */
  function withNewerFields(emu: KubernetesEmulator): Obj {
    const rs1 = emu.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e') as Obj;
    const spec = rec(at(rs1, 'spec', 'template', 'spec'));
    spec['workloadRef'] = { name: 'web', podGroup: 'serving' };
    rec((spec['containers'] as unknown[])[0])['futureProbeMode'] = { kind: 'adaptive', budget: 3 };
    return emu.upsert(rs1);
  }

  it('rollback keeps fields newer than the client library: the template equals the old ReplicaSet exactly and the controller reuses it', async () => {
    const { emu, kube } = await setup();
    const rs1 = withNewerFields(emu);
    const replicaSets = emu.objects('ReplicaSet').length;

    // The dry run shows the change a typed client could not see.
    const dry = await kube.rollbackDeployment('prod', 'web', 1, { dryRun: true });
    expect(at(dry.after, 'spec', 'template', 'spec', 'workloadRef')).toEqual({ name: 'web', podGroup: 'serving' });
    expect(dry.diff).toContainEqual({ field: 'pod template (other fields)', before: 'current', after: 'changed' });

    await kube.rollbackDeployment('prod', 'web', 1, { dryRun: false });
    const sent = emu.requests.filter((q) => q.verb === 'patch' && !q.dryRun).at(-1);
    expect(at((sent?.body as Obj[])[0], 'value', 'spec', 'workloadRef')).toEqual({ name: 'web', podGroup: 'serving' });
    // Exactly the old template, minus pod-template-hash (deep equality, not the semantic one).
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'template')).toEqual(withoutHashLabel(at(rs1, 'spec', 'template')));

    await waitFor(async () => rolloutStatus((await kube.getDeployment('prod', 'web'))!).done, { timeoutMs: 5000, what: 'rollout done' });
    expect(emu.objects('ReplicaSet')).toHaveLength(replicaSets);
    const reused = emu.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e');
    expect(at(reused, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('3');
    expect(at(reused, 'metadata', 'annotations', 'deployment.kubernetes.io/revision-history')).toBe('1');
    expect(at(reused, 'spec', 'replicas')).toBe(3);
  });

  it('restart and the reads keep them too', async () => {
    const { emu, kube } = await setup();
    withNewerFields(emu);
    await kube.rollbackDeployment('prod', 'web', 1, { dryRun: false });
    const r = await kube.restartDeployment('prod', 'web', new Date('2026-03-02T10:15:00Z'), { dryRun: true });
    expect(at(r.before, 'spec', 'template', 'spec', 'workloadRef')).toEqual({ name: 'web', podGroup: 'serving' });
    expect(at(r.after, 'spec', 'template', 'spec', 'containers', 0, 'futureProbeMode')).toEqual({ kind: 'adaptive', budget: 3 });
    expect(r.diff).toEqual([{ field: 'pod annotation kubectl.kubernetes.io/restartedAt', before: '(none)', after: '2026-03-02T10:15:00Z' }]);
    const d = await kube.getDeployment('prod', 'web');
    expect(d?.spec.template.spec['workloadRef']).toEqual({ name: 'web', podGroup: 'serving' });
    const rss = await kube.listReplicaSets('prod', 'app=web');
    expect(rss.find((x) => x.metadata.name === 'web-5f6c7b8d9e')?.spec.template.spec['workloadRef']).toEqual({ name: 'web', podGroup: 'serving' });
  });
});

describe('scaleDeployment, patchHpa, restartDeployment', () => {
  it('scales through the scale subresource with a merge patch; pods follow; a pinned stale version conflicts', async () => {
    const { emu, kube } = await setup();
    const dry = await kube.scaleDeployment('prod', 'web', 5, { dryRun: true });
    expect(dry.diff).toEqual([{ field: 'replicas', before: '3', after: '5' }]);
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(3);

    const r = await kube.scaleDeployment('prod', 'web', 5, { dryRun: false });
    const patch = emu.requests.filter((q) => q.verb === 'patch').at(-1);
    expect(patch).toMatchObject({ subresource: 'scale', resource: 'deployments', contentType: 'application/merge-patch+json', body: { spec: { replicas: 5 } } });
    expect(r.diff).toEqual([{ field: 'replicas', before: '3', after: '5' }]);
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(5);
    await waitFor(async () => (await kube.listPods('prod', 'app=web')).filter((p) => p.status.phase === 'Running').length === 5, { timeoutMs: 5000, what: '5 running pods' });

    const stale = await appError(kube.scaleDeployment('prod', 'web', 2, { dryRun: false, expectResourceVersion: '1' }));
    expect(stale.code).toBe('conflict');
    expect(stale.message).toContain('the object has been modified; please apply your changes to the latest version and try again');
    expect(emu.requests.at(-1)?.status).toBe(409);

    const invalid = await appError(kube.scaleDeployment('prod', 'web', -1, { dryRun: false }));
    expect(invalid.code).toBe('bad_request');
    expect(invalid.message).toBe('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('patches an autoscaling/v2 HPA: bounds and the cpu metric, other metrics kept', async () => {
    const { emu, kube } = await setup();
    const r = await kube.patchHpa('prod', 'web', { minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 60 }, { dryRun: false });
    expect(r.diff).toEqual([
      { field: 'minReplicas', before: '2', after: '3' },
      { field: 'maxReplicas', before: '6', after: '10' },
      { field: 'target CPU utilization', before: '80%', after: '60%' },
    ]);
    const patch = emu.requests.filter((q) => q.verb === 'patch').at(-1);
    expect(patch).toMatchObject({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', contentType: 'application/merge-patch+json', fieldManager: 'warroom' });
    const stored = emu.get('HorizontalPodAutoscaler', 'prod', 'web');
    expect(at(stored, 'spec', 'minReplicas')).toBe(3);
    expect(at(stored, 'spec', 'maxReplicas')).toBe(10);
    expect(at(stored, 'spec', 'metrics')).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '800Mi' } } },
    ]);
    const hpa = await kube.getHpa('prod', 'web');
    expect(hpa).toMatchObject({ apiVersion: 'autoscaling/v2', minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 60, currentCPUUtilizationPercentage: 75 });
    expect(hpa?.conditions.map((c) => c.reason)).toEqual(['ReadyForNewScale', 'ValidMetricFound', 'DesiredWithinRange']);
  });

  it('patches an HPA written as autoscaling/v1; min > max is refused before any write; the server 422 is bad_request', async () => {
    const { emu, kube } = await setup();
    const r = await kube.patchHpa('prod', 'batch', { targetCPUUtilizationPercentage: 50 }, { dryRun: false });
    expect(r.diff).toEqual([{ field: 'target CPU utilization', before: '70%', after: '50%' }]);
    const asV1 = await fetch(`${emu.url}/apis/autoscaling/v1/namespaces/prod/horizontalpodautoscalers/batch`).then((x) => x.json() as Promise<Obj>);
    expect(at(asV1, 'spec', 'targetCPUUtilizationPercentage')).toBe(50);

    const refused = await appError(kube.patchHpa('prod', 'batch', { minReplicas: 5, maxReplicas: 3 }, { dryRun: false }));
    expect(refused.code).toBe('bad_request');
    expect(refused.message).toBe('minReplicas (5) must not be greater than maxReplicas (3)');
    const refusedBound = await appError(kube.patchHpa('prod', 'batch', { minReplicas: 6 }, { dryRun: false }));
    expect(refusedBound.message).toBe('minReplicas (6) must not be greater than maxReplicas (4)');
    expect(emu.requests.filter((q) => q.verb === 'patch')).toHaveLength(1);

    // The server validates too (a write that raced our read): 422 Invalid -> bad_request with the server's words.
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions(emu.kubeConfigOptions);
    const raw = kc.makeApiClient(k8s.AutoscalingV2Api);
    const err = await raw
      .patchNamespacedHorizontalPodAutoscaler({ name: 'batch', namespace: 'prod', body: { spec: { minReplicas: 9 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect((err as k8s.ApiException<string>).code).toBe(422);
    expect(String((err as k8s.ApiException<string>).body)).toContain('spec.maxReplicas: Invalid value: 4: must be greater than or equal to `minReplicas`');
  });

  it('falls back to autoscaling/v1 when v2 is not served, and patches targetCPUUtilizationPercentage there', async () => {
    const { emu, kube } = await setup({ hpaVersions: ['v1'] });
    const hpas = await kube.listHpas('prod');
    expect(hpas.map((h) => [h.metadata.name, h.apiVersion, h.targetCPUUtilizationPercentage])).toEqual([
      ['batch', 'autoscaling/v1', 70],
      ['web', 'autoscaling/v1', 80],
    ]);
    // v2 conditions travel in the v1 annotation.
    expect(hpas[1]?.conditions.map((c) => c.type)).toEqual(['AbleToScale', 'ScalingActive', 'ScalingLimited']);
    expect(emu.requests.map((q) => `${q.version} ${q.status}`)).toEqual(['v2 404', 'v1 200']);

    const r = await kube.patchHpa('prod', 'web', { targetCPUUtilizationPercentage: 65, maxReplicas: 9 }, { dryRun: false });
    expect(r.diff).toEqual([
      { field: 'maxReplicas', before: '6', after: '9' },
      { field: 'target CPU utilization', before: '80%', after: '65%' },
    ]);
    const patch = emu.requests.filter((q) => q.verb === 'patch').at(-1);
    expect(patch).toMatchObject({ version: 'v1', body: { spec: { maxReplicas: 9, targetCPUUtilizationPercentage: 65 } } });
    // The memory metric v1 cannot express survives the v1 write.
    const stored = emu.get('HorizontalPodAutoscaler', 'prod', 'web');
    expect((at(stored, 'spec', 'metrics') as unknown[]).map((m) => at(m, 'resource', 'name'))).toEqual(['cpu', 'memory']);
    expect(emu.requests.filter((q) => q.version === 'v2')).toHaveLength(1);
  });

  it('restart sets restartedAt on the pod template (strategic merge), which rolls out a new ReplicaSet; paused is refused', async () => {
    const { emu, kube } = await setup();
    const when = new Date('2026-03-02T10:15:00.000Z');
    const r = await kube.restartDeployment('prod', 'web', when, { dryRun: false });
    expect(r.diff).toEqual([{ field: 'pod annotation kubectl.kubernetes.io/restartedAt', before: '(none)', after: '2026-03-02T10:15:00Z' }]);
    const patch = emu.requests.filter((q) => q.verb === 'patch').at(-1);
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    const stored = emu.get('Deployment', 'prod', 'web');
    expect(at(stored, 'spec', 'template', 'metadata', 'annotations')).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2026-03-02T10:15:00Z' });
    expect(at(stored, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(V2);
    await waitFor(async () => rolloutStatus((await kube.getDeployment('prod', 'web'))!).done, { timeoutMs: 5000, what: 'restart rolled out' });
    const revisions = emu.objects('ReplicaSet').filter((rs) => at(rs, 'metadata', 'name') !== 'web-canary-9a8b7c6d5e' && String(at(rs, 'metadata', 'name')).startsWith('web-'));
    expect(revisions.map((rs) => at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).sort()).toEqual(['1', '2', '3']);

    const paused = await appError(kube.restartDeployment('prod', 'batch', when, { dryRun: false }));
    expect(paused.code).toBe('bad_request');
  });
});

describe('errors', () => {
  it('maps an RBAC 403 to forbidden with the server message, 404 reads to undefined, 5xx to unavailable, 429 to throttled', async () => {
    const { emu, kube } = await setup({ forbid: [{ verb: 'patch', resource: 'deployments', namespace: 'prod' }, { verb: 'list', resource: 'pods' }] });
    const denied = await appError(kube.rollbackDeployment('prod', 'web', 0, { dryRun: false }));
    expect(denied.code).toBe('forbidden');
    expect(denied.message).toBe('deployments.apps "web" is forbidden: User "system:serviceaccount:warroom:warroom" cannot patch resource "deployments" in API group "apps" in the namespace "prod"');
    // The scale subresource is another resource for RBAC.
    await expect(kube.scaleDeployment('prod', 'web', 4, { dryRun: true })).resolves.toMatchObject({ diff: [{ field: 'replicas', before: '3', after: '4' }] });
    const list = await appError(kube.listPods('prod', 'app=web'));
    expect(list.message).toBe('pods is forbidden: User "system:serviceaccount:warroom:warroom" cannot list resource "pods" in API group "" in the namespace "prod"');

    expect(await kube.getDeployment('prod', 'missing')).toBeUndefined();
    expect(await kube.getHpa('prod', 'missing')).toBeUndefined();

    emu.failNext({ status: 503, verb: 'list', resource: 'nodes' });
    expect((await appError(kube.listNodes())).code).toBe('unavailable');
    emu.failNext({ status: 429, retryAfterSeconds: 7 });
    const throttled = await appError(kube.listNamespaces());
    expect(throttled.code).toBe('throttled');
    expect(rec(throttled.details)['retryAfterSeconds']).toBe(7);
    expect(await kube.listNodes()).toHaveLength(2);
  });

  it('network failure is unavailable; an aborted signal ends the call as timeout', async () => {
    const { emu, kc } = await setup({ latencyMs: 3000 });
    const kube = createKubernetesAdapter(kc);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('deadline')), 50);
    const e = await appError(kube.listNodes(ac.signal));
    expect(e.code).toBe('timeout');
    expect(e.message).toContain('deadline');
    await emu.stop();
    running.pop();
    const down = await appError(kube.listNamespaces());
    expect(down.code).toBe('unavailable');
  });
});

describe('rollout status over the emulated controller', () => {
  it('goes from waiting to done for a healthy image, and to failed (ProgressDeadlineExceeded) with OOMKilled pods for a crashlooping one', async () => {
    const V3 = 'registry.example.com/web:v3';
    // A slower rollout (observed after 450 ms) so the first read surely precedes the controller.
    const { emu, kube, kc } = await setup({ behaviour: { [V3]: 'crashloop-oom' }, rolloutMs: 1500 });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'prod', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: V3 }] });
    const first = rolloutStatus((await kube.getDeployment('prod', 'web'))!);
    expect(first).toEqual({ done: false, failed: false, message: 'Waiting for deployment spec update to be observed...' });
    const seen: string[] = [];
    const final = await waitFor(
      async () => {
        const s = rolloutStatus((await kube.getDeployment('prod', 'web'))!);
        seen.push(s.message);
        return s.failed || s.done ? s : undefined;
      },
      { timeoutMs: 5000, intervalMs: 20, what: 'rollout to end' },
    );
    expect(final).toEqual({ done: false, failed: true, message: 'deployment "web" exceeded its progress deadline' });
    expect(seen.some((m) => m.startsWith('Waiting for deployment "web" rollout to finish'))).toBe(true);
    const pods = await kube.listPods('prod', 'app=web');
    const crashing = pods.filter((p) => p.spec.containers[0]?.image === V3);
    expect(crashing.length).toBeGreaterThan(0);
    for (const p of crashing) {
      expect(p.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      expect(p.status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    }
    // The old pods keep serving.
    expect(pods.filter((p) => p.spec.containers[0]?.image === V2 && p.status.containerStatuses?.[0]?.ready)).toHaveLength(3);
    const backoff = await kube.listEvents('prod', `involvedObject.name=${crashing[0]?.metadata.name ?? ''}`);
    expect(backoff.map((ev) => ev.reason)).toContain('BackOff');

    // Undo goes back to revision 2 (web:v2) and completes.
    const undo = await kube.rollbackDeployment('prod', 'web', 0, { dryRun: false });
    expect(undo.diff).toContainEqual({ field: 'container app image', before: V3, after: V2 });
    await waitFor(async () => rolloutStatus((await kube.getDeployment('prod', 'web'))!).done, { timeoutMs: 5000, what: 'undo done' });
    const after = await kube.listPods('prod', 'app=web');
    expect(after.map((p) => p.spec.containers[0]?.image)).toEqual([V2, V2, V2]);
    expect(emu.get('Deployment', 'prod', 'web')).toMatchObject({ metadata: { annotations: { 'deployment.kubernetes.io/revision': '4' } } });
  });
});

describe('reads', () => {
  it('lists pods by selector, events by involved object, nodes and their pods, services, namespaces, TGBs in one or all namespaces', async () => {
    const { emu, kube } = await setup();
    const pods = await kube.listPods('prod', 'app=web,pod-template-hash in (7d9f8b6c5d)');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-7d9f8b6c5d-b8wmn', 'web-7d9f8b6c5d-r4tvh', 'web-7d9f8b6c5d-x2kqz']);
    const oom = pods.find((p) => p.status.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
    expect(oom?.status.containerStatuses?.[0]).toMatchObject({ restartCount: 4, lastState: { terminated: { exitCode: 137, finishedAt: '2026-03-02T09:00:00Z' } } });
    expect(await kube.listPods('prod', 'app=nothing')).toEqual([]);

    const events = await kube.listEvents('prod', 'involvedObject.name=web-7d9f8b6c5d-x2kqz,involvedObject.kind=Pod');
    expect(events.map((e) => [e.reason, e.count, e.lastTimestamp])).toEqual([['BackOff', 4, '2026-03-02T09:00:00Z']]);
    expect((await kube.listEvents('prod')).length).toBe(2);

    const nodes = await kube.listNodes();
    expect(nodes.map((n) => [n.metadata.name, n.status.allocatable?.['cpu']])).toEqual([
      ['ip-10-0-1-10.ec2.internal', '3920m'],
      ['ip-10-0-2-20.ec2.internal', '3920m'],
    ]);
    const onNode = await kube.listPodsOnNode('ip-10-0-1-10.ec2.internal');
    expect(onNode.map((p) => p.metadata.name)).toEqual(['web-7d9f8b6c5d-r4tvh', 'web-7d9f8b6c5d-x2kqz']);
    expect(emu.requests.at(-1)).toMatchObject({ path: '/api/v1/pods', query: { fieldSelector: 'spec.nodeName=ip-10-0-1-10.ec2.internal' } });

    expect((await kube.listServices('prod')).map((s) => [s.metadata.name, s.spec.selector, s.spec.ports?.[0]?.targetPort])).toEqual([['web', { app: 'web' }, 8080]]);
    expect(await kube.listNamespaces()).toEqual(['prod', 'staging']);

    const all = await kube.listTargetGroupBindings();
    expect(all.map((t) => `${t.metadata.namespace ?? ''}/${t.metadata.name} -> ${t.spec.serviceRef.name}:${t.spec.serviceRef.port}`)).toEqual([
      'prod/k8s-prod-web-1a2b3c4d5e -> web:80',
      'staging/k8s-staging-web-6f7a8b9c0d -> web:80',
    ]);
    const prod = await kube.listTargetGroupBindings('prod');
    expect(prod.map((t) => t.spec.targetGroupARN)).toEqual(['arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-prod-web-1a2b3c4d5e/73e2d6bc24d8a067']);

    const rss = await kube.listReplicaSets('prod', 'app=web');
    expect(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2', '7']);
    const deps = await kube.listDeployments('prod');
    expect(deps.map((d) => [d.metadata.name, d.spec.paused ?? false])).toEqual([
      ['batch', true],
      ['web', false],
    ]);
    const web = deps[1];
    // Dates come back as RFC 3339 strings, not Date objects.
    expect(web?.metadata.creationTimestamp).toBe('2026-02-28T10:00:00Z');
    expect(web?.status?.conditions?.[1]).toMatchObject({ type: 'Progressing', reason: 'NewReplicaSetAvailable', lastTransitionTime: '2026-03-02T08:00:00Z' });
  });

  it('reads a ConfigMap by name with its data and its last write (the latest managedFields time); a missing one is undefined; taints come with nodes', async () => {
    const edited = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'web-flags',
        namespace: 'prod',
        creationTimestamp: '2026-01-10T08:00:00Z',
        managedFields: [
          { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2026-01-10T08:00:00Z', fieldsType: 'FieldsV1', fieldsV1: {} },
          { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', time: '2026-03-02T08:40:00Z', fieldsType: 'FieldsV1', fieldsV1: {} },
        ],
      },
      data: { CHECKOUT_V2: 'true' },
    };
    const tainted = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gpu-1', labels: { workload: 'gpu' } }, spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] }, status: { allocatable: { cpu: '8' } } };
    const { emu, kube } = await setup({ objects: [...sampleCluster(), edited, tainted] });
    const cm = await kube.getConfigMap('prod', 'web-flags');
    expect(cm).toMatchObject({ metadata: { name: 'web-flags', namespace: 'prod', creationTimestamp: '2026-01-10T08:00:00Z' }, data: { CHECKOUT_V2: 'true' }, updatedAt: '2026-03-02T08:40:00Z' });
    expect(emu.requests.at(-1)).toMatchObject({ verb: 'get', resource: 'configmaps', path: '/api/v1/namespaces/prod/configmaps/web-flags' });
    expect(await kube.getConfigMap('prod', 'web-config')).toMatchObject({ data: { LOG_LEVEL: 'info' } });
    expect(await kube.getConfigMap('prod', 'absent')).toBeUndefined();
    expect((await kube.listNodes()).find((n) => n.metadata.name === 'gpu-1')?.spec?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
  });
});

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file, honours KUBECONFIG, and refuses in-cluster outside a pod', async () => {
    const { emu } = await setup();
    const tmp = tmpDir('kubeconfig');
    try {
      const file = path.join(tmp.dir, 'config');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          `- name: emu\n  cluster:\n    server: ${emu.url}\n    insecure-skip-tls-verify: true`,
          'users:',
          '- name: bot\n  user:\n    token: t0ken',
          'contexts:',
          '- name: emu\n  context:\n    cluster: emu\n    user: bot',
          'current-context: emu',
          '',
        ].join('\n'),
      );
      const fromFile = createKubernetesAdapter(loadKubeConfig({ kubeconfigPath: file }));
      expect(await fromFile.listNamespaces()).toEqual(['prod', 'staging']);

      const saved = process.env['KUBECONFIG'];
      process.env['KUBECONFIG'] = file;
      try {
        const fromEnv = createKubernetesAdapter(loadKubeConfig());
        expect((await fromEnv.listNodes()).length).toBe(2);
      } finally {
        if (saved === undefined) delete process.env['KUBECONFIG'];
        else process.env['KUBECONFIG'] = saved;
      }
      expect(() => loadKubeConfig({ inCluster: true }, {})).toThrow(/KUBERNETES_SERVICE_HOST/);
      expect(() => loadKubeConfig({ kubeconfigPath: path.join(tmp.dir, 'missing') })).toThrow(AppError);
    } finally {
      tmp.cleanup();
    }
  });
});
