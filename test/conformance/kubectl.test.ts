/**
 * The real kubectl (v1.32, a client nobody here wrote) against the sandbox Kubernetes API, through
 * a kubeconfig file: discovery and short names, tabular/wide/JSON output, describe, rollout
 * history/undo/status, scale, the three patch types, auth can-i/whoami, server-side dry run,
 * watches and field selectors. The emulator's clock is fixed, so ages in the tables are exact.
 * kubectl missing is a failure naming `apt-get install kubectl`, never a skip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator, type KubernetesEmulatorOptions } from '../../src/sandbox/kubernetes/server.js';
import { kubectlFor, kubectlPath, tableRows, waitFor, type Kubectl } from '../support/kubectl.js';

type Obj = Record<string, unknown>;

const AT = new Date('2026-03-02T10:00:00Z');
const CRASHING = 'registry.example.com/web:v3-oom';

function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) cur = Array.isArray(cur) && typeof k === 'number' ? cur[k] : typeof cur === 'object' && cur !== null ? (cur as Obj)[String(k)] : undefined;
  return cur;
}

const open: { emu: KubernetesEmulator; k: Kubectl }[] = [];

async function world(opts: Partial<KubernetesEmulatorOptions> = {}): Promise<{ emu: KubernetesEmulator; k: Kubectl }> {
  kubectlPath();
  const emu = await startKubernetesEmulator({ objects: sampleCluster({ at: AT }), clock: { now: () => AT }, rolloutMs: 600, behaviour: { [CRASHING]: 'crashloop-oom' }, ...opts });
  const k = kubectlFor(emu);
  open.push({ emu, k });
  return { emu, k };
}

afterEach(async () => {
  for (const { emu, k } of open.splice(0)) {
    k.cleanup();
    await emu.stop();
  }
});

describe('kubectl 1.32 against the sandbox API', () => {
  it('is installed (the suite fails rather than skips without it)', () => {
    expect(kubectlPath()).toMatch(/kubectl$/);
  });

  it('get with short names prints the columns the API server prints for each kind', async () => {
    const { k } = await world();
    const table = async (...args: string[]): Promise<string[][]> => tableRows(await k.ok('get', ...args));
    expect(await table('deploy')).toEqual([
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
      ['batch', '0/1', '0', '0', '0s'],
      ['web', '3/3', '3', '3', '2d'],
    ]);
    expect(await table('po')).toEqual([
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      // apimachinery's HumanDuration: minutes up to three hours.
      ['web-7d9f8b6c5d-b8wmn', '1/1', 'Running', '0', '120m'],
      ['web-7d9f8b6c5d-r4tvh', '1/1', 'Running', '0', '120m'],
      ['web-7d9f8b6c5d-x2kqz', '1/1', 'Running', '4 (60m ago)', '120m'],
    ]);
    expect((await table('rs'))[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect((await table('rs')).find((r) => r[0] === 'web-5f6c7b8d9e')).toEqual(['web-5f6c7b8d9e', '0', '0', '0', '2d']);
    expect(await table('hpa')).toEqual([
      ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
      ['batch', 'Deployment/batch', 'cpu: 12%/70%', '1', '4', '1', '0s'],
      ['web', 'Deployment/web', 'cpu: 75%/80%, memory: 600Mi/800Mi', '2', '6', '3', '0s'],
    ]);
    const svc = await table('svc');
    expect(svc[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(svc[1]).toEqual(['web', 'ClusterIP', expect.stringMatching(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/) as unknown as string, '<none>', '80/TCP', '0s']);
    expect(await table('no')).toEqual([
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['ip-10-0-1-10.ec2.internal', 'Ready', '<none>', '3d', 'v1.34.1-eks-113cf36'],
      ['ip-10-0-2-20.ec2.internal', 'Ready', '<none>', '3d', 'v1.34.1-eks-113cf36'],
    ]);
    expect(await table('ns')).toEqual([
      ['NAME', 'STATUS', 'AGE'],
      ['prod', 'Active', '0s'],
      ['staging', 'Active', '0s'],
    ]);
    const ev = await table('ev');
    expect(ev[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(ev).toContainEqual(['60m', 'Warning', 'BackOff', 'pod/web-7d9f8b6c5d-x2kqz', 'Back-off restarting failed container app in pod web-7d9f8b6c5d-x2kqz_prod']);
    expect(ev).toContainEqual(['120m', 'Normal', 'ScalingReplicaSet', 'deployment/web', 'Scaled up replica set web-7d9f8b6c5d from 0 to 3']);
    // A CRD: its printer columns; -A adds the namespace from the rows' metadata.
    expect(await table('targetgroupbindings', '-A')).toEqual([
      ['NAMESPACE', 'NAME', 'SERVICE-NAME', 'SERVICE-PORT', 'TARGET-TYPE', 'AGE'],
      ['prod', 'k8s-prod-web-1a2b3c4d5e', 'web', '80', 'ip', '0s'],
      ['staging', 'k8s-staging-web-6f7a8b9c0d', 'web', '80', 'ip', '0s'],
    ]);
    const resources = tableRows(await k.ok('api-resources'));
    expect(resources.map((r) => r.slice(0, 2))).toEqual(expect.arrayContaining([['deployments', 'deploy'], ['replicasets', 'rs'], ['horizontalpodautoscalers', 'hpa'], ['pods', 'po'], ['services', 'svc'], ['nodes', 'no'], ['namespaces', 'ns'], ['events', 'ev']]));
  });

  it('get -o wide adds the priority-1 columns; -o json is the defaulted object', async () => {
    const { k } = await world();
    expect(tableRows(await k.ok('get', 'deploy', 'web', '-o', 'wide'))).toEqual([
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      ['web', '3/3', '3', '3', '2d', 'app', 'registry.example.com/web:v2', 'app=web'],
    ]);
    expect(tableRows(await k.ok('get', 'pod', 'web-7d9f8b6c5d-x2kqz', '-o', 'wide'))).toEqual([
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
      ['web-7d9f8b6c5d-x2kqz', '1/1', 'Running', '4 (60m ago)', '120m', '10.0.1.100', 'ip-10-0-1-10.ec2.internal', '<none>', '<none>'],
    ]);
    const d = JSON.parse(await k.ok('get', 'deployment', 'web', '-o', 'json')) as Obj;
    expect(d).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' } });
    expect(at(d, 'spec')).toMatchObject({ revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(at(d, 'spec', 'template', 'spec')).toMatchObject({ dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30 });
    expect(at(d, 'spec', 'template', 'spec', 'containers', 0)).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    });
  });

  it('describe reads right: ports with their protocol, probe timings, strategy, ReplicaSets and events', async () => {
    const { k } = await world();
    const deploy = await k.ok('describe', 'deploy', 'web');
    expect(deploy).toMatch(/Port:\s+8080\/TCP\n/);
    expect(deploy).toMatch(/Readiness:\s+http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=10s #success=1 #failure=3/);
    expect(deploy).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
    expect(deploy).toMatch(/OldReplicaSets:\s+web-5f6c7b8d9e \(0\/0 replicas created\)/);
    expect(deploy).toMatch(/NewReplicaSet:\s+web-7d9f8b6c5d \(3\/3 replicas created\)/);
    // describe computes event ages on the client against the wall clock, so the age is not pinned here.
    expect(deploy).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-7d9f8b6c5d from 0 to 3/);
    const pod = await k.ok('describe', 'pod', 'web-7d9f8b6c5d-x2kqz');
    expect(pod).toMatch(/Node:\s+ip-10-0-1-10\.ec2\.internal\/10\.0\.1\.10\n/);
    expect(pod).toMatch(/IP:\s+10\.0\.1\.100\n/);
    expect(pod).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137/);
    expect(pod).toMatch(/Restart Count:\s+4\n/);
    expect(pod).toMatch(/Warning\s+BackOff\s+\S+ \(x4 over \S+\)\s+kubelet\s+Back-off restarting failed container app/);
  });

  it('rollout history, rollout undo and rollout status to completion', async () => {
    const { emu, k } = await world();
    expect(tableRows(await k.ok('rollout', 'history', 'deploy/web')).slice(1)).toEqual([
      ['REVISION', 'CHANGE-CAUSE'],
      ['1', 'deploy web:v1'],
      ['2', 'deploy web:v2'],
    ]);
    expect(await k.ok('rollout', 'history', 'deploy/web', '--revision=1')).toMatch(/Image:\s+registry\.example\.com\/web:v1/);
    expect((await k.ok('rollout', 'undo', 'deploy/web')).trim()).toBe('deployment.apps/web rolled back');
    const status = await k.run('rollout', 'status', 'deploy/web', '--timeout=30s');
    expect(status.code).toBe(0);
    expect(status.stdout.trim().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
    expect(at(emu.get('ReplicaSet', 'prod', 'web-5f6c7b8d9e'), 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('3');
    expect(tableRows(await k.ok('rollout', 'history', 'deploy/web')).slice(2)).toEqual([
      ['2', 'deploy web:v2'],
      ['3', 'deploy web:v1'],
    ]);
    const undo = await k.run('rollout', 'undo', 'deploy/web', '--to-revision=9');
    expect(undo.code).toBe(1);
    expect(undo.stderr.trim()).toBe('error: unable to find specified revision 9 in history');
  });

  it('rollout status fails when the rollout exceeds its progress deadline', async () => {
    const { emu, k } = await world();
    expect((await k.ok('set', 'image', 'deploy/web', `app=${CRASHING}`)).trim()).toBe('deployment.apps/web image updated');
    const status = await k.run('rollout', 'status', 'deploy/web', '--timeout=30s');
    expect(status.code).toBe(1);
    // Whether kubectl printed a "Waiting for ..." line first depends on how soon it started; the verdict does not.
    expect(status.stderr.trim()).toBe('error: deployment "web" exceeded its progress deadline');
    await emu.settle();
    expect(tableRows(await k.ok('get', 'po', '-l', 'app=web'))).toContainEqual([expect.stringMatching(/^web-/) as unknown as string, '0/1', 'CrashLoopBackOff', '3 (0s ago)', '0s']);
  });

  it('scale, and the three patch types (strategic, merge, json) with a failing JSON Patch test', async () => {
    const { emu, k } = await world();
    expect((await k.ok('scale', 'deploy/web', '--replicas=5')).trim()).toBe('deployment.apps/web scaled');
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(5);
    expect(emu.requests.filter((r) => r.verb === 'patch').at(-1)).toMatchObject({ subresource: 'scale', contentType: 'application/merge-patch+json' });

    await k.ok('patch', 'deploy', 'web', '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/web:v4' }] } } } }));
    const container = at(emu.get('Deployment', 'prod', 'web'), 'spec', 'template', 'spec', 'containers', 0);
    expect(container).toMatchObject({ image: 'registry.example.com/web:v4', resources: { limits: { memory: '1Gi' } } });
    expect(emu.requests.filter((r) => r.verb === 'patch').at(-1)?.contentType).toBe('application/strategic-merge-patch+json');

    await k.ok('patch', 'deploy', 'web', '--type', 'merge', '-p', JSON.stringify({ metadata: { annotations: { 'example.com/by': 'merge' } } }));
    expect(at(emu.get('Deployment', 'prod', 'web'), 'metadata', 'annotations', 'example.com/by')).toBe('merge');

    await k.ok('patch', 'deploy', 'web', '--type', 'json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 2 }]));
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(2);
    const failed = await k.run('patch', 'deploy', 'web', '--type', 'json', '-p', JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 9 }, { op: 'replace', path: '/spec/replicas', value: 1 }]));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('the server rejected our request due to an error in our request');
    expect(at(emu.get('Deployment', 'prod', 'web'), 'spec', 'replicas')).toBe(2);
  });

  it('--dry-run=server answers as if written and stores nothing', async () => {
    const { emu, k } = await world();
    const before = emu.get('Deployment', 'prod', 'web');
    expect((await k.ok('scale', 'deploy/web', '--replicas=7', '--dry-run=server')).trim()).toBe('deployment.apps/web scaled (server dry run)');
    expect((await k.ok('rollout', 'undo', 'deploy/web', '--dry-run=server')).trim()).toBe('deployment.apps/web rolled back (server dry run)');
    const patched = JSON.parse(await k.ok('patch', 'deploy', 'web', '--dry-run=server', '-o', 'json', '-p', JSON.stringify({ spec: { replicas: 9 } }))) as Obj;
    expect(at(patched, 'spec', 'replicas')).toBe(9);
    expect(emu.requests.filter((r) => r.verb === 'patch').map((r) => r.dryRun)).toEqual([true, true, true]);
    expect(emu.get('Deployment', 'prod', 'web')).toEqual(before);
  });

  it('auth can-i answers yes and no from the forbid rules; auth whoami names the service account', async () => {
    const { k } = await world({ forbid: [{ verb: 'patch', resource: 'deployments', namespace: 'staging' }, { verb: 'list', resource: 'nodes' }] });
    const yes = await k.run('auth', 'can-i', 'patch', 'deployments');
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const no = await k.run('auth', 'can-i', 'patch', 'deployments', '-n', 'staging');
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    expect((await k.run('auth', 'can-i', 'list', 'nodes')).stdout.trim()).toBe('no');
    expect((await k.run('auth', 'can-i', 'patch', 'deployments', '--subresource=scale')).stdout.trim()).toBe('yes');
    // The same rule refuses the request itself.
    const denied = await k.run('get', 'nodes');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('nodes is forbidden: User "system:serviceaccount:warroom:warroom" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(tableRows(await k.ok('auth', 'whoami'))).toEqual([
      ['ATTRIBUTE', 'VALUE'],
      ['Username', 'system:serviceaccount:warroom:warroom'],
      ['Groups', '[system:serviceaccounts system:serviceaccounts:warroom system:authenticated]'],
    ]);
  });

  it('get -w sees a MODIFIED event when the object changes', async () => {
    const { k } = await world();
    const watch = k.start('get', 'deploy', 'web', '-w', '--output-watch-events');
    try {
      await waitFor(() => /ADDED\s+web\s+3\/3/.test(watch.output()), { what: 'the first watch event', timeoutMs: 15_000 });
      await k.ok('annotate', 'deploy', 'web', 'example.com/touched=yes');
      await waitFor(() => /MODIFIED\s+web\s+3\/3/.test(watch.output()), { what: 'the MODIFIED event', timeoutMs: 15_000 });
    } finally {
      await watch.stop();
    }
    const rows = tableRows(watch.output());
    expect(rows[0]).toEqual(['EVENT', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['ADDED', 'MODIFIED']);
  });

  it('field selectors: supported ones filter, an unsupported one is the API server 400', async () => {
    const { k } = await world();
    expect(tableRows(await k.ok('get', 'pods', '--field-selector', 'spec.nodeName=ip-10-0-2-20.ec2.internal')).map((r) => r[0])).toEqual(['NAME', 'web-7d9f8b6c5d-b8wmn']);
    expect(tableRows(await k.ok('get', 'pods', '--field-selector', 'status.phase!=Running')).length).toBe(0);
    expect(tableRows(await k.ok('get', 'events', '--field-selector', 'involvedObject.kind=Deployment,type=Normal')).map((r) => r[3])).toEqual(['OBJECT', 'deployment/web']);
    expect(tableRows(await k.ok('get', 'deploy', '--field-selector', 'metadata.name=batch')).map((r) => r[0])).toEqual(['NAME', 'batch']);
    const bad = await k.run('get', 'pods', '--field-selector', 'spec.image=web');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.image=web": field label not supported: spec.image');
    const notForDeployments = await k.run('get', 'deploy', '--field-selector', 'status.replicas=3');
    expect(notForDeployments.stderr).toContain('field label not supported: status.replicas');
    expect(tableRows(await k.ok('get', 'rs', '--field-selector', 'status.replicas=3')).map((r) => r[0])).toEqual(['NAME', 'web-7d9f8b6c5d']);
  });
});
