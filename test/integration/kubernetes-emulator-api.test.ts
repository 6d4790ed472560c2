/**
 * The Kubernetes API emulator's client-facing surface over raw HTTP, at the level of the wire:
 * watch semantics (resourceVersion replay, 410 Expired, selectors on both sides of a change,
 * watch-list bookmarks, timeouts), Table responses, aggregated and legacy discovery, access
 * reviews (JSON and protobuf bodies), defaulting and field selectors. test/conformance/kubectl.test.ts
 * runs the real kubectl against the same server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator, type KubernetesEmulatorOptions } from '../../src/sandbox/kubernetes/server.js';
import { humanDuration } from '../../src/sandbox/kubernetes/tables.js';
import { waitFor } from '../support/procs.js';

type Obj = Record<string, unknown>;

function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) cur = Array.isArray(cur) && typeof k === 'number' ? cur[k] : typeof cur === 'object' && cur !== null ? (cur as Obj)[String(k)] : undefined;
  return cur;
}

const AT = new Date('2026-03-02T10:00:00Z');
const running: KubernetesEmulator[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
});

async function emulator(opts: Partial<KubernetesEmulatorOptions> = {}): Promise<KubernetesEmulator> {
  const emu = await startKubernetesEmulator({ objects: sampleCluster({ at: AT }), clock: { now: () => AT }, rolloutMs: 200, ...opts });
  running.push(emu);
  return emu;
}

async function call(emu: KubernetesEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Obj; type: string }> {
  const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'Content-Type': 'application/merge-patch+json' } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${emu.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Obj, type: res.headers.get('content-type') ?? '' };
}

/** A watch: the events seen so far, and stop(). */
function watch(emu: KubernetesEmulator, path: string, headers: Record<string, string> = {}): { events: Obj[]; ended: Promise<void>; stop(): void } {
  const ac = new AbortController();
  const events: Obj[] = [];
  const ended = (async () => {
    try {
      const res = await fetch(`${emu.url}${path}`, { signal: ac.signal, headers });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      if (!reader) return;
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += new TextDecoder().decode(value);
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as Obj);
          buf = buf.slice(nl + 1);
        }
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
  })();
  return { events, ended, stop: () => ac.abort() };
}

const WEB = '/apis/apps/v1/namespaces/prod/deployments/web';

describe('watch', () => {
  it('without a resourceVersion: synthetic ADDED for what exists, then changes; with one: the changes after it, replayed', async () => {
    const emu = await emulator();
    const list = await call(emu, 'GET', '/apis/apps/v1/namespaces/prod/deployments');
    const rv = String(at(list.body, 'metadata', 'resourceVersion'));
    // A change made between the list and the watch must not be lost.
    await call(emu, 'PATCH', WEB, { metadata: { annotations: { step: 'one' } } });

    const fresh = watch(emu, '/apis/apps/v1/namespaces/prod/deployments?watch=true');
    const fromList = watch(emu, `/apis/apps/v1/namespaces/prod/deployments?watch=true&resourceVersion=${rv}`);
    await waitFor(() => fresh.events.length >= 2 && fromList.events.length >= 1, { what: 'initial events' });
    expect(fresh.events.map((e) => `${String(e['type'])} ${String(at(e, 'object', 'metadata', 'name'))}`)).toEqual(['ADDED batch', 'ADDED web']);
    expect(fromList.events.map((e) => `${String(e['type'])} ${String(at(e, 'object', 'metadata', 'annotations', 'step'))}`)).toEqual(['MODIFIED one']);
    // Watch objects carry apiVersion and kind (list items do not).
    expect(at(fromList.events[0], 'object', 'kind')).toBe('Deployment');
    expect(at(fromList.events[0], 'object', 'apiVersion')).toBe('apps/v1');

    await call(emu, 'PATCH', WEB, { metadata: { annotations: { step: 'two' } } });
    await waitFor(() => fresh.events.length === 3 && fromList.events.length === 2, { what: 'the next change' });
    expect(fresh.events[2]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'web', annotations: { step: 'two' } } } });
    fresh.stop();
    fromList.stop();
  });

  it('a resourceVersion older than the log is 410 Expired; a bad one is 400', async () => {
    const emu = await emulator();
    const old = watch(emu, '/api/v1/namespaces/prod/pods?watch=true&resourceVersion=5');
    await old.ended;
    expect(old.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: 5 \(\d+\)$/) as unknown }) }]);
    const bad = watch(emu, '/api/v1/namespaces/prod/pods?watch=true&resourceVersion=abc');
    await bad.ended;
    expect(bad.events[0]).toMatchObject({ type: 'ERROR', object: { code: 400 } });
  });

  it('selectors apply to both sides: an object that stops matching is DELETED for the watch, one that starts matching is ADDED', async () => {
    const emu = await emulator();
    const w = watch(emu, `/apis/apps/v1/namespaces/prod/deployments?watch=true&labelSelector=tier%3Dfront&resourceVersion=${String(at((await call(emu, 'GET', WEB)).body, 'metadata', 'resourceVersion'))}`);
    await call(emu, 'PATCH', WEB, { metadata: { labels: { tier: 'front' } } });
    await call(emu, 'PATCH', WEB, { metadata: { annotations: { x: '1' } } });
    await call(emu, 'PATCH', WEB, { metadata: { labels: { tier: null } } });
    await waitFor(() => w.events.length >= 3, { what: 'three events' });
    expect(w.events.map((e) => e['type'])).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const byName = watch(emu, '/apis/apps/v1/namespaces/prod/deployments?watch=true&fieldSelector=metadata.name%3Dbatch');
    await waitFor(() => byName.events.length >= 1, { what: 'batch' });
    expect(byName.events.map((e) => at(e, 'object', 'metadata', 'name'))).toEqual(['batch']);
    w.stop();
    byName.stop();
  });

  it('watch-list ends its initial events with an annotated BOOKMARK; bookmarks carry the current resourceVersion; timeoutSeconds ends the stream', async () => {
    const emu = await emulator({ bookmarkEveryMs: 100 });
    const w = watch(emu, '/apis/autoscaling/v1/namespaces/prod/horizontalpodautoscalers?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2');
    await w.ended;
    const types = w.events.map((e) => e['type']);
    expect(types.slice(0, 3)).toEqual(['ADDED', 'ADDED', 'BOOKMARK']);
    expect(at(w.events[0], 'object', 'apiVersion')).toBe('autoscaling/v1');
    expect(at(w.events[2], 'object', 'metadata', 'annotations')).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(types.slice(3).every((t) => t === 'BOOKMARK')).toBe(true);
    expect(types.length).toBeGreaterThan(4);
    expect(at(w.events.at(-1), 'object', 'metadata', 'resourceVersion')).toBe(String(at((await call(emu, 'GET', '/api/v1/namespaces')).body, 'metadata', 'resourceVersion')));
  });

  it('a Table watch sends Tables, the column definitions only in the first', async () => {
    const emu = await emulator();
    const w = watch(emu, '/apis/apps/v1/namespaces/prod/deployments?watch=true', { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await waitFor(() => w.events.length >= 2, { what: 'two rows' });
    expect(w.events.map((e) => [at(e, 'object', 'kind'), Array.isArray(at(e, 'object', 'columnDefinitions'))])).toEqual([
      ['Table', true],
      ['Table', false],
    ]);
    expect(at(w.events[1], 'object', 'rows', 0, 'cells')).toEqual(['web', '3/3', 3, 3, '2d', 'app', 'registry.example.com/web:v2', 'app=web']);
    w.stop();
  });
});

describe('tables, discovery, reviews, defaulting, field selectors', () => {
  it('answers Tables with cells, row objects per includeObject, and the Table content type', async () => {
    const emu = await emulator();
    const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const t = await call(emu, 'GET', '/api/v1/namespaces/prod/pods', undefined, accept);
    expect(t.type).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(t.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect((t.body['columnDefinitions'] as Obj[]).map((c) => [c['name'], c['priority']])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(at(t.body, 'rows', 2)).toEqual({
      cells: ['web-7d9f8b6c5d-x2kqz', '1/1', 'Running', '4 (60m ago)', '120m', '10.0.1.100', 'ip-10-0-1-10.ec2.internal', '<none>', '<none>'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'web-7d9f8b6c5d-x2kqz', namespace: 'prod' }) as unknown },
    });
    const full = await call(emu, 'GET', '/apis/apps/v1/namespaces/prod/deployments/web?includeObject=Object', undefined, accept);
    expect(at(full.body, 'rows', 0, 'object', 'spec', 'replicas')).toBe(3);
    expect(at(full.body, 'metadata', 'resourceVersion')).toBe(at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'resourceVersion'));
    expect(at((await call(emu, 'GET', '/apis/apps/v1/namespaces/prod/deployments?includeObject=None', undefined, accept)).body, 'rows', 0, 'object')).toBeUndefined();
    expect((await call(emu, 'GET', '/apis/apps/v1/namespaces/prod/deployments?includeObject=All', undefined, accept)).status).toBe(400);
    // Without the Table media type: the plain list.
    expect((await call(emu, 'GET', '/api/v1/namespaces/prod/pods')).body['kind']).toBe('PodList');
  });

  it('discovery lists short names, verbs, categories and subresources, legacy and aggregated', async () => {
    const emu = await emulator({ hpaVersions: ['v1'] });
    const apps = await call(emu, 'GET', '/apis/apps/v1');
    expect((apps.body['resources'] as Obj[]).find((r) => r['name'] === 'deployments')).toEqual({
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      verbs: ['get', 'list', 'patch', 'watch'],
      shortNames: ['deploy'],
      categories: ['all'],
    });
    expect((apps.body['resources'] as Obj[]).find((r) => r['name'] === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const core = await call(emu, 'GET', '/api/v1');
    expect(Object.fromEntries((core.body['resources'] as Obj[]).map((r) => [r['name'], r['shortNames']]))).toEqual({ namespaces: ['ns'], nodes: ['no'], pods: ['po'], events: ['ev'], services: ['svc'], configmaps: ['cm'] });

    const aggregated = await call(emu, 'GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(aggregated.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const groups = aggregated.body['items'] as Obj[];
    expect(groups.map((g) => at(g, 'metadata', 'name'))).toEqual(['apps', 'autoscaling', 'elbv2.k8s.aws', 'authorization.k8s.io', 'authentication.k8s.io']);
    const autoscaling = groups.find((g) => at(g, 'metadata', 'name') === 'autoscaling');
    expect(at(autoscaling, 'versions')).toEqual([
      {
        version: 'v1',
        freshness: 'Current',
        resources: [{ resource: 'horizontalpodautoscalers', responseKind: { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' }, scope: 'Namespaced', singularResource: 'horizontalpodautoscaler', verbs: ['get', 'list', 'patch', 'watch'], shortNames: ['hpa'], categories: ['all'] }],
      },
    ]);
    const api = await call(emu, 'GET', '/api', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    expect(at(api.body, 'items', 0, 'versions', 0, 'version')).toBe('v1');
    expect(((await call(emu, 'GET', '/api')).body)['kind']).toBe('APIVersions');
  });

  it('SelfSubjectAccessReview answers from the forbid rules (JSON and protobuf bodies); SelfSubjectReview names the user', async () => {
    const emu = await emulator({ forbid: [{ verb: 'patch', resource: 'deployments/scale', namespace: 'prod' }] });
    const ask = async (attrs: Obj): Promise<unknown> =>
      at((await call(emu, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } }, { 'Content-Type': 'application/json' })).body, 'status', 'allowed');
    expect(await ask({ verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'prod' })).toBe(true);
    expect(await ask({ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'prod' })).toBe(false);
    expect(await ask({ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging' })).toBe(true);
    // Every namespace at once includes prod.
    expect(await ask({ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' })).toBe(false);
    const both = await call(emu, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} }, { 'Content-Type': 'application/json' });
    expect(both.status).toBe(422);

    // The protobuf body kubectl's typed client sends: k8s\0 + runtime.Unknown{typeMeta, raw}.
    const str = (field: number, s: string): Buffer => Buffer.concat([Buffer.from([(field << 3) | 2, Buffer.byteLength(s)]), Buffer.from(s)]);
    const msg = (field: number, ...parts: Buffer[]): Buffer => {
      const inner = Buffer.concat(parts);
      return Buffer.concat([Buffer.from([(field << 3) | 2, inner.length]), inner]);
    };
    const review = Buffer.concat([msg(1), msg(2, msg(1, str(1, 'prod'), str(2, 'patch'), str(3, 'apps'), str(5, 'deployments'), str(6, 'scale'))), msg(3, Buffer.from([0x08, 0x00]))]);
    const body = Buffer.concat([Buffer.from('k8s\0'), msg(1, str(1, 'authorization.k8s.io/v1'), str(2, 'SelfSubjectAccessReview')), msg(2, review), str(3, ''), str(4, 'application/vnd.kubernetes.protobuf')]);
    const proto = await call(emu, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', new Uint8Array(body), { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
    expect(proto.status).toBe(201);
    expect(proto.body).toMatchObject({ kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'prod', verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' } }, status: { allowed: false } });
    const garbage = await call(emu, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', new Uint8Array([1, 2, 3]), { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
    expect(garbage.status).toBe(400);

    const who = await call(emu, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { 'Content-Type': 'application/json' });
    expect(who.body).toMatchObject({ kind: 'SelfSubjectReview', status: { userInfo: { username: 'system:serviceaccount:warroom:warroom', groups: ['system:serviceaccounts', 'system:serviceaccounts:warroom', 'system:authenticated'] } } });
    expect((await call(emu, 'GET', '/apis/authentication.k8s.io/v1/selfsubjectreviews')).status).toBe(405);
  });

  it('defaults on write as the API server does, keeps fields it does not know, and defaulting twice changes nothing', async () => {
    const emu = await emulator();
    const web = emu.get('Deployment', 'prod', 'web');
    const c = at(web, 'spec', 'template', 'spec', 'containers', 0);
    expect(at(c, 'ports')).toEqual([{ containerPort: 8080, name: 'http', protocol: 'TCP' }]);
    expect(at(c, 'imagePullPolicy')).toBe('IfNotPresent');
    const patched = await call(emu, 'PATCH', WEB, [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'sidecar', image: 'envoy', futureField: { keep: true }, livenessProbe: { tcpSocket: { port: 9901 } } } }], { 'Content-Type': 'application/json-patch+json' });
    expect(at(patched.body, 'spec', 'template', 'spec', 'containers', 1)).toEqual({
      name: 'sidecar',
      image: 'envoy',
      futureField: { keep: true },
      livenessProbe: { tcpSocket: { port: 9901 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    // Sending the defaulted object back is no change at all (once the controller has written its status).
    await emu.settle();
    const rv = at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'resourceVersion');
    const same = await call(emu, 'PATCH', WEB, [{ op: 'replace', path: '/spec/template', value: at(patched.body, 'spec', 'template') }], { 'Content-Type': 'application/json-patch+json' });
    expect(at(same.body, 'metadata', 'resourceVersion')).toBe(rv);
    // A Pod gets its requests from its limits where none are given.
    emu.upsert({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', namespace: 'prod' }, spec: { containers: [{ name: 'a', image: 'a:1', resources: { limits: { cpu: '1' } } }] } });
    expect(at(emu.get('Pod', 'prod', 'solo'), 'spec', 'containers', 0, 'resources')).toEqual({ limits: { cpu: '1' }, requests: { cpu: '1' } });
    expect(at(emu.get('Pod', 'prod', 'solo'), 'spec', 'enableServiceLinks')).toBe(true);
  });

  it('a loaded world gets what a running cluster always has: running pods their IPs, events their object uid', async () => {
    const emu = await emulator({
      objects: [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.9.0.7' }] } },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'pod-uid-1' }, spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'a:1' }] }, status: { phase: 'Running' } },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'a:1' }] }, status: { phase: 'Pending', podIP: '' } },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'r', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'a:1' }] }, status: { phase: 'Running', podIP: '10.9.1.1' } },
        { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started' },
      ],
    });
    expect(at(emu.get('Pod', 'default', 'p'), 'status')).toMatchObject({ hostIP: '10.9.0.7', hostIPs: [{ ip: '10.9.0.7' }], podIP: expect.stringMatching(/^10\.244\./) as unknown });
    expect(at(emu.get('Pod', 'default', 'q'), 'status', 'podIPs')).toBeUndefined();
    expect(at(emu.get('Pod', 'default', 'r'), 'status')).toMatchObject({ podIP: '10.9.1.1', podIPs: [{ ip: '10.9.1.1' }] });
    expect(at(emu.get('Event', 'default', 'p.1'), 'involvedObject', 'uid')).toBe('pod-uid-1');
  });

  it('field selectors: the labels each resource supports, 400 field label not supported otherwise', async () => {
    const emu = await emulator();
    const q = async (path: string): Promise<{ status: number; body: Obj }> => call(emu, 'GET', path);
    expect((await q('/api/v1/pods?fieldSelector=' + encodeURIComponent('status.podIP=10.0.1.100'))).body['items']).toHaveLength(1);
    expect((await q('/api/v1/pods?fieldSelector=' + encodeURIComponent('spec.hostNetwork=false'))).body['items']).toHaveLength(3);
    expect((await q('/api/v1/pods?fieldSelector=' + encodeURIComponent('spec.host=ip-10-0-2-20.ec2.internal'))).body['items']).toHaveLength(1);
    expect((await q('/api/v1/namespaces/prod/events?fieldSelector=' + encodeURIComponent('source=kubelet'))).body['items']).toHaveLength(1);
    expect((await q('/api/v1/nodes?fieldSelector=' + encodeURIComponent('spec.unschedulable=false'))).body['items']).toHaveLength(2);
    for (const [path, label] of [
      ['/api/v1/nodes?fieldSelector=metadata.namespace%3Dx', 'metadata.namespace'],
      ['/apis/apps/v1/deployments?fieldSelector=spec.replicas%3D3', 'spec.replicas'],
      ['/api/v1/namespaces/prod/pods?fieldSelector=metadata.labels%3Dx', 'metadata.labels'],
    ] as const) {
      const r = await q(path);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: `field label not supported: ${label}` });
    }
  });
});

describe('humanDuration', () => {
  it('matches apimachinery duration.HumanDuration at its boundaries', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [-2 * s, '<invalid>'],
      [-500, '0s'],
      [119 * s, '119s'],
      [120 * s, '2m'],
      [125 * s, '2m5s'],
      [10 * 60 * s, '10m'],
      [179 * 60 * s, '179m'],
      [3 * 3600 * s, '3h'],
      [(7 * 3600 + 30 * 60) * s, '7h30m'],
      [8 * 3600 * s, '8h'],
      [47 * 3600 * s, '47h'],
      [48 * 3600 * s, '2d'],
      [(7 * 24 + 5) * 3600 * s, '7d5h'],
      [8 * 24 * 3600 * s, '8d'],
      [(2 * 365 + 3) * 24 * 3600 * s, '2y3d'],
      [9 * 365 * 24 * 3600 * s, '9y'],
    ];
    expect(cases.map(([ms]) => humanDuration(ms))).toEqual(cases.map(([, want]) => want));
  });
});
