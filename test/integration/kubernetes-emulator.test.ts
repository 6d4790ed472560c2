/**
 * The Kubernetes API emulator over raw HTTP: the API server behaviours a client depends on
 * (Status bodies, list shapes, patch types, preconditions, dry run, validation, RBAC refusals,
 * HPA version conversion, selectors, discovery).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator, type KubernetesEmulatorOptions } from '../../src/sandbox/kubernetes/server.js';

type Obj = Record<string, unknown>;

function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (typeof cur === 'object' && cur !== null) cur = (cur as Obj)[String(k)];
    else return undefined;
  }
  return cur;
}

const running: KubernetesEmulator[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
});

async function emulator(opts: Partial<KubernetesEmulatorOptions> = {}): Promise<KubernetesEmulator> {
  const emu = await startKubernetesEmulator({ objects: sampleCluster(), rolloutMs: 200, ...opts });
  running.push(emu);
  return emu;
}

async function call(emu: KubernetesEmulator, method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json', headers: Record<string, string> = {}): Promise<{ status: number; body: Obj }> {
  const init: RequestInit = { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Type': contentType } : {}) } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${emu.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Obj };
}

const WEB = '/apis/apps/v1/namespaces/prod/deployments/web';

describe('Kubernetes emulator', () => {
  it('answers reads with typed list shapes and errors with Status bodies', async () => {
    const emu = await emulator();
    const pods = await call(emu, 'GET', '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb');
    expect(pods.status).toBe(200);
    expect(pods.body['kind']).toBe('PodList');
    expect(pods.body['apiVersion']).toBe('v1');
    expect(typeof at(pods.body, 'metadata', 'resourceVersion')).toBe('string');
    expect((pods.body['items'] as Obj[]).length).toBe(3);
    // Built-in list items carry no apiVersion/kind; custom resources keep them.
    expect(at(pods.body, 'items', 0, 'kind')).toBeUndefined();
    const tgbs = await call(emu, 'GET', '/apis/elbv2.k8s.aws/v1beta1/targetgroupbindings');
    expect(tgbs.body['kind']).toBe('TargetGroupBindingList');
    expect(at(tgbs.body, 'items', 0, 'kind')).toBe('TargetGroupBinding');

    const missing = await call(emu, 'GET', '/apis/apps/v1/namespaces/prod/deployments/x');
    expect(missing).toEqual({
      status: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "x" not found', reason: 'NotFound', details: { name: 'x', group: 'apps', kind: 'deployments' }, code: 404 },
    });
    const unserved = await call(emu, 'GET', '/apis/autoscaling/v2beta1/namespaces/prod/horizontalpodautoscalers');
    expect(unserved.status).toBe(404);
    expect(unserved.body).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });

    const scale = await call(emu, 'GET', `${WEB}/scale`);
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
  });

  it('evaluates label and field selectors', async () => {
    const emu = await emulator();
    const names = async (path: string): Promise<unknown[]> => ((await call(emu, 'GET', path)).body['items'] as Obj[]).map((i) => at(i, 'metadata', 'name'));
    expect(await names('/apis/apps/v1/namespaces/prod/replicasets?labelSelector=' + encodeURIComponent('app=web,pod-template-hash notin (5f6c7b8d9e,9a8b7c6d5e)'))).toEqual(['web-7d9f8b6c5d']);
    expect(await names('/apis/apps/v1/namespaces/prod/replicasets?labelSelector=' + encodeURIComponent('!app'))).toEqual([]);
    expect(await names('/api/v1/pods?fieldSelector=' + encodeURIComponent('spec.nodeName=ip-10-0-2-20.ec2.internal'))).toEqual(['web-7d9f8b6c5d-b8wmn']);
    expect(await names('/api/v1/namespaces/prod/events?fieldSelector=' + encodeURIComponent('involvedObject.kind=Deployment,involvedObject.name=web'))).toEqual(['web.17f29']);
    const bad = await call(emu, 'GET', '/api/v1/namespaces/prod/pods?labelSelector=' + encodeURIComponent('a b c'));
    expect(bad.status).toBe(400);
  });

  it('applies JSON Patch (test fails with 422), merge patch (stale resourceVersion is 409) and strategic merge patch (containers by name)', async () => {
    const emu = await emulator();
    const rv = String(at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'resourceVersion'));
    const failedTest = await call(emu, 'PATCH', WEB, [{ op: 'test', path: '/metadata/resourceVersion', value: '999' }, { op: 'replace', path: '/spec/replicas', value: 1 }], 'application/json-patch+json');
    expect(failedTest.status).toBe(422);
    // As the API server words it: generic message, empty details (the failing op is not named).
    expect(failedTest.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(3);
    const missingPath = await call(emu, 'PATCH', WEB, [{ op: 'replace', path: '/spec/nothing/here', value: 1 }], 'application/json-patch+json');
    expect(missingPath.status).toBe(422);

    const stale = await call(emu, 'PATCH', WEB, { metadata: { resourceVersion: '1' }, spec: { replicas: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(3);

    // Annotation-only change: resourceVersion moves, generation does not.
    const ann = await call(emu, 'PATCH', WEB, { metadata: { resourceVersion: rv, annotations: { note: 'x' } } });
    expect(ann.status).toBe(200);
    expect(Number(at(ann.body, 'metadata', 'resourceVersion'))).toBeGreaterThan(Number(rv));
    expect(at(ann.body, 'metadata', 'generation')).toBe(2);
    // A patch that changes nothing writes nothing.
    const same = await call(emu, 'PATCH', WEB, { metadata: { annotations: { note: 'x' } } });
    expect(at(same.body, 'metadata', 'resourceVersion')).toBe(at(ann.body, 'metadata', 'resourceVersion'));

    const smp = await call(emu, 'PATCH', WEB, { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/web:v9' }] } } } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(200);
    expect(at(smp.body, 'metadata', 'generation')).toBe(3);
    const container = at(smp.body, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    expect(container['image']).toBe('registry.example.com/web:v9');
    expect(at(container, 'resources', 'limits', 'memory')).toBe('1Gi');
    // A merge patch replaces the list instead.
    const merge = await call(emu, 'PATCH', WEB, { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/web:v8' }] } } } });
    expect(at(merge.body, 'spec', 'template', 'spec', 'containers', 0, 'resources')).toBeUndefined();

    const crdSmp = await call(emu, 'PATCH', '/apis/elbv2.k8s.aws/v1beta1/namespaces/prod/targetgroupbindings/k8s-prod-web-1a2b3c4d5e', { spec: {} }, 'application/strategic-merge-patch+json');
    expect(crdSmp.status).toBe(415);
  });

  it('dry run validates and returns the would-be object (generation bumped) without storing it', async () => {
    const emu = await emulator();
    const before = emu.get('Deployment', 'prod', 'web');
    const dry = await call(emu, 'PATCH', `${WEB}?dryRun=All&fieldManager=warroom`, { spec: { replicas: 7 } });
    expect(dry.status).toBe(200);
    expect(at(dry.body, 'spec', 'replicas')).toBe(7);
    expect(at(dry.body, 'metadata', 'generation')).toBe(3);
    expect(at(dry.body, 'metadata', 'resourceVersion')).toBe(at(before, 'metadata', 'resourceVersion'));
    expect(emu.get('Deployment', 'prod', 'web')).toEqual(before);
    expect(emu.requests.at(-1)).toMatchObject({ dryRun: true, fieldManager: 'warroom', verb: 'patch' });
    expect((await call(emu, 'PATCH', `${WEB}?dryRun=yes`, { spec: { replicas: 7 } })).status).toBe(400);
    const invalidDry = await call(emu, 'PATCH', `${WEB}?dryRun=All`, { spec: { replicas: -2 } });
    expect(invalidDry.status).toBe(422);
  });

  it('validates: negative replicas, HPA min > max, a template that no longer matches the selector', async () => {
    const emu = await emulator();
    const neg = await call(emu, 'PATCH', WEB, { spec: { replicas: -1 } });
    expect(neg.body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: { name: 'web', group: 'apps', kind: 'Deployment', causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas' }] },
    });
    const hpa = await call(emu, 'PATCH', '/apis/autoscaling/v1/namespaces/prod/horizontalpodautoscalers/batch', { spec: { minReplicas: 5, maxReplicas: 2 } });
    expect(hpa.status).toBe(422);
    expect(hpa.body['message']).toBe('HorizontalPodAutoscaler.autoscaling "batch" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`');
    const labels = await call(emu, 'PATCH', WEB, [{ op: 'replace', path: '/spec/template/metadata/labels', value: { app: 'other' } }], 'application/json-patch+json');
    expect(labels.status).toBe(422);
    expect(String(labels.body['message'])).toContain('`selector` does not match template `labels`');
    const scale = await call(emu, 'PATCH', `${WEB}/scale`, { spec: { replicas: -3 } });
    expect(scale.body['message']).toBe('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -3: must be greater than or equal to 0');
  });

  it('serves one HPA in autoscaling/v1 and v2 with the documented conversion', async () => {
    const emu = await emulator();
    const v1 = await call(emu, 'GET', '/apis/autoscaling/v1/namespaces/prod/horizontalpodautoscalers/web');
    expect(v1.body).toMatchObject({
      apiVersion: 'autoscaling/v1',
      spec: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 },
      status: { currentReplicas: 3, desiredReplicas: 3, currentCPUUtilizationPercentage: 75 },
    });
    expect(JSON.parse(String(at(v1.body, 'metadata', 'annotations', 'autoscaling.alpha.kubernetes.io/conditions')))).toHaveLength(3);
    const v2 = await call(emu, 'GET', '/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/batch');
    expect(v2.body).toMatchObject({
      apiVersion: 'autoscaling/v2',
      spec: { minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
      status: { currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12 } } }] },
    });
    // A v1 write keeps what v1 cannot show; the resourceVersion is shared by both views.
    const w = await call(emu, 'PATCH', '/apis/autoscaling/v1/namespaces/prod/horizontalpodautoscalers/web', { spec: { targetCPUUtilizationPercentage: 55 } });
    const again = await call(emu, 'GET', '/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/web');
    expect(at(again.body, 'metadata', 'resourceVersion')).toBe(at(w.body, 'metadata', 'resourceVersion'));
    expect(at(again.body, 'spec', 'metrics')).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 55 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '800Mi' } } },
    ]);
    expect(at(again.body, 'status', 'conditions', 2, 'reason')).toBe('DesiredWithinRange');
    expect(at(again.body, 'metadata', 'annotations')).toBeUndefined();

    const old = await emulator({ hpaVersions: ['v1'] });
    expect((await call(old, 'GET', '/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers')).status).toBe(404);
    const groups = await call(old, 'GET', '/apis');
    const autoscaling = (groups.body['groups'] as Obj[]).find((g) => g['name'] === 'autoscaling');
    expect(at(autoscaling, 'versions')).toEqual([{ groupVersion: 'autoscaling/v1', version: 'v1' }]);
  });

  it('refuses forbidden verbs RBAC-style, enforces a token when asked, and injects failures', async () => {
    const emu = await emulator({ forbid: [{ verb: 'list', resource: 'nodes' }, { verb: 'patch', resource: 'deployments/scale', namespace: 'prod' }], token: 's3cret' });
    const auth = { Authorization: 'Bearer s3cret' };
    expect((await call(emu, 'GET', '/api/v1/namespaces', undefined, undefined, {})).status).toBe(401);
    const nodes = await call(emu, 'GET', '/api/v1/nodes', undefined, undefined, auth);
    expect(nodes.body).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'nodes is forbidden: User "system:serviceaccount:warroom:warroom" cannot list resource "nodes" in API group "" at the cluster scope',
    });
    const scale = await call(emu, 'PATCH', `${WEB}/scale`, { spec: { replicas: 1 } }, 'application/merge-patch+json', auth);
    expect(scale.body['message']).toBe('deployments.apps "web" is forbidden: User "system:serviceaccount:warroom:warroom" cannot patch resource "deployments/scale" in API group "apps" in the namespace "prod"');
    expect((await call(emu, 'PATCH', WEB, { spec: { replicas: 2 } }, 'application/merge-patch+json', auth)).status).toBe(200);

    emu.failNext({ status: 500, verb: 'get', resource: 'deployments', times: 2 });
    expect((await call(emu, 'GET', WEB, undefined, undefined, auth)).status).toBe(500);
    expect((await call(emu, 'GET', WEB, undefined, undefined, auth)).status).toBe(500);
    expect((await call(emu, 'GET', WEB, undefined, undefined, auth)).status).toBe(200);
  });

  it('the controller creates a ReplicaSet per new template and scales pods with replicas', async () => {
    const emu = await emulator();
    await call(emu, 'PATCH', WEB, { spec: { replicas: 4, template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/web:v5' }] } } } }, 'application/strategic-merge-patch+json');
    await emu.settle();
    const rs = emu.objects('ReplicaSet').filter((r) => at(r, 'spec', 'template', 'spec', 'containers', 0, 'image') === 'registry.example.com/web:v5');
    expect(rs).toHaveLength(1);
    expect(at(rs[0], 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('3');
    expect(at(rs[0], 'metadata', 'annotations', 'kubernetes.io/change-cause')).toBe('deploy web:v2');
    expect(at(rs[0], 'metadata', 'ownerReferences', 0, 'uid')).toBe(at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'uid'));
    const pods = emu.objects('Pod').filter((p) => at(p, 'metadata', 'namespace') === 'prod');
    expect(pods.map((p) => at(p, 'spec', 'containers', 0, 'image'))).toEqual(Array(4).fill('registry.example.com/web:v5'));
    expect(emu.get('Deployment', 'prod', 'web')).toMatchObject({ status: { observedGeneration: 3, replicas: 4, updatedReplicas: 4, availableReplicas: 4 } });
    expect(at(emu.get('ReplicaSet', 'prod', 'web-7d9f8b6c5d'), 'spec', 'replicas')).toBe(0);

    await call(emu, 'PATCH', `${WEB}/scale`, { spec: { replicas: 1 } });
    await emu.settle();
    expect(emu.objects('Pod').filter((p) => at(p, 'metadata', 'namespace') === 'prod')).toHaveLength(1);
    expect(emu.objects('ReplicaSet').filter((r) => at(r, 'spec', 'template', 'spec', 'containers', 0, 'image') === 'registry.example.com/web:v5')).toHaveLength(1);
  });
});
