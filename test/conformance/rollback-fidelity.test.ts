/**
 * The bot's rollback against kubectl's: two identical emulator worlds; `kubectl rollout undo` runs
 * on one, the adapter's `rollbackDeployment` on the other; once both controllers have settled, the
 * Deployments are compared field by field (timestamps, resourceVersions and uids aside), and so are
 * the ReplicaSets (which one was reused, its revision and revision-history) and the pods. Variants:
 * plain, --to-revision, no-op, paused, annotations, change-cause, last-applied-configuration.
 *
 * And one where the bot must do better than kubectl (protocols.md Appendix B): kubectl 1.32's
 * client-side undo drops pod-spec fields newer than its models, so its template no longer matches
 * the old ReplicaSet and the controller starts a new one; the bot copies the template as raw JSON
 * and the old ReplicaSet is reused.
 */
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createKubernetesAdapter } from '../../src/integrations/kubernetes/adapter.js';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../src/sandbox/kubernetes/server.js';
import type { MutationResult } from '../../src/workflows/ports.js';
import { kubectlFor, type Kubectl } from '../support/kubectl.js';
import { appObjects } from '../support/world-k8s.js';

type Obj = Record<string, unknown>;

const AT = new Date('2026-03-02T10:00:00Z');
const REVISION = 'deployment.kubernetes.io/revision';
const HISTORY = 'deployment.kubernetes.io/revision-history';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) cur = Array.isArray(cur) && typeof k === 'number' ? cur[k] : isObj(cur) ? cur[String(k)] : undefined;
  return cur;
}

const VOLATILE = new Set(['resourceVersion', 'uid', 'creationTimestamp', 'lastUpdateTime', 'lastTransitionTime', 'startTime', 'startedAt', 'finishedAt', 'firstTimestamp', 'lastTimestamp']);

/** An object as apimachinery's semantic equality sees it (null, {} and [] are absent), without volatile fields. */
function normal(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(normal).filter((x) => x !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (VOLATILE.has(k)) continue;
      const n = normal(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === null ? undefined : v;
}

interface Outcome {
  deployment: unknown;
  replicaSets: { name: string; revision?: string; history?: string; replicas: unknown; template: unknown }[];
  podImages: string[];
  patches: unknown[];
}

async function outcome(emu: KubernetesEmulator, namespace: string, name: string): Promise<Outcome> {
  await emu.settle();
  const d = emu.get('Deployment', namespace, name);
  const uid = at(d, 'metadata', 'uid');
  const owned = emu.objects('ReplicaSet').filter((rs) => at(rs, 'metadata', 'namespace') === namespace && (at(rs, 'metadata', 'ownerReferences') as Obj[] | undefined)?.some((r) => r['uid'] === uid));
  const rsUids = new Set(owned.map((rs) => at(rs, 'metadata', 'uid')));
  return {
    deployment: normal(d),
    replicaSets: owned
      .map((rs) => ({
        name: String(at(rs, 'metadata', 'name')),
        revision: at(rs, 'metadata', 'annotations', REVISION) as string | undefined,
        history: at(rs, 'metadata', 'annotations', HISTORY) as string | undefined,
        replicas: at(rs, 'spec', 'replicas'),
        template: normal(at(rs, 'spec', 'template')),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    podImages: emu
      .objects('Pod')
      .filter((p) => (at(p, 'metadata', 'ownerReferences') as Obj[] | undefined)?.some((r) => rsUids.has(r['uid'])))
      .map((p) => String(at(p, 'spec', 'containers', 0, 'image')))
      .sort(),
    patches: emu.requests.filter((r) => r.verb === 'patch').map((r) => ({ resource: r.resource, contentType: r.contentType, dryRun: r.dryRun, body: normal(r.body) })),
  };
}

const open: { emu: KubernetesEmulator; k?: Kubectl }[] = [];
afterEach(async () => {
  for (const { emu, k } of open.splice(0)) {
    k?.cleanup();
    await emu.stop();
  }
});

/** Two identical worlds: one for kubectl, one for the bot's adapter. */
async function twins(objects: () => Obj[]): Promise<{ kubectl: Kubectl; kubectlWorld: KubernetesEmulator; bot: ReturnType<typeof createKubernetesAdapter>; botWorld: KubernetesEmulator }> {
  const start = async (): Promise<KubernetesEmulator> => {
    const emu = await startKubernetesEmulator({ objects: objects(), clock: { now: () => AT }, rolloutMs: 300 });
    open.push({ emu });
    return emu;
  };
  const kubectlWorld = await start();
  const botWorld = await start();
  const kubectl = kubectlFor(kubectlWorld);
  open.push({ emu: kubectlWorld, k: kubectl });
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions(botWorld.kubeConfigOptions);
  return { kubectl, kubectlWorld, bot: createKubernetesAdapter(kc), botWorld };
}

/** sampleCluster with edits to prod/web (the Deployment) and its revision-1 ReplicaSet. */
function edited(edit: (web: Obj, rs1: Obj) => void): () => Obj[] {
  return () => {
    const objects = sampleCluster({ at: AT }) as Obj[];
    const find = (kind: string, name: string): Obj => {
      const o = objects.find((x) => x['kind'] === kind && at(x, 'metadata', 'name') === name);
      if (!o) throw new Error(`no ${kind} ${name}`);
      return o;
    };
    edit(find('Deployment', 'web'), find('ReplicaSet', 'web-5f6c7b8d9e'));
    return objects;
  };
}

function annotations(o: Obj): Obj {
  const md = at(o, 'metadata') as Obj;
  md['annotations'] = isObj(md['annotations']) ? md['annotations'] : {};
  return md['annotations'] as Obj;
}

interface Variant {
  name: string;
  objects: () => Obj[];
  deployment: string;
  toRevision: number;
  expect?: (botWorld: Outcome) => void;
}

const VARIANTS: Variant[] = [
  {
    name: 'plain (the previous revision)',
    objects: () => sampleCluster({ at: AT }) as Obj[],
    deployment: 'web',
    toRevision: 0,
    expect: (o) => {
      expect(o.replicaSets.find((rs) => rs.name === 'web-5f6c7b8d9e')).toMatchObject({ revision: '3', history: '1', replicas: 3 });
      expect(o.podImages).toEqual(Array(3).fill('registry.example.com/web:v1'));
    },
  },
  {
    name: '--to-revision, skipping the previous one',
    objects: () => appObjects({ namespace: 'prod', name: 'api', images: ['registry.example.com/api:v1', 'registry.example.com/api:v2', 'registry.example.com/api:v3'], replicas: 2 }) as Obj[],
    deployment: 'api',
    toRevision: 1,
    expect: (o) => {
      expect(o.replicaSets.map((rs) => [rs.revision, rs.history])).toEqual(expect.arrayContaining([['4', '1']]));
      expect(o.podImages).toEqual(['registry.example.com/api:v1', 'registry.example.com/api:v1']);
    },
  },
  {
    name: 'annotations: the Deployment-only ones dropped, the ReplicaSet ones copied, the skip-listed ones kept',
    objects: edited((web, rs1) => {
      Object.assign(annotations(web), { 'example.com/pager': 'team-web', [HISTORY]: '0', 'deployment.kubernetes.io/desired-replicas': '3' });
      Object.assign(annotations(rs1), { 'example.com/build': '2026.02.27-1', 'deprecated.deployment.rollback.to': '7', 'deployment.kubernetes.io/max-replicas': '9' });
    }),
    deployment: 'web',
    toRevision: 1,
    expect: (o) => {
      const ann = at(o.deployment, 'metadata', 'annotations');
      expect(ann).toMatchObject({ 'example.com/build': '2026.02.27-1', 'kubernetes.io/change-cause': 'deploy web:v1', [HISTORY]: '0', 'deployment.kubernetes.io/desired-replicas': '3' });
      expect(ann).not.toHaveProperty('example.com/pager');
      expect(ann).not.toHaveProperty('deprecated.deployment.rollback.to');
    },
  },
  {
    name: 'change-cause: a revision without one leaves none',
    objects: edited((_web, rs1) => {
      delete annotations(rs1)['kubernetes.io/change-cause'];
    }),
    deployment: 'web',
    toRevision: 0,
    expect: (o) => expect(at(o.deployment, 'metadata', 'annotations')).not.toHaveProperty('kubernetes.io/change-cause'),
  },
  {
    name: 'last-applied-configuration: kept from the Deployment, never copied from the ReplicaSet',
    objects: edited((web, rs1) => {
      annotations(web)[LAST_APPLIED] = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}';
      annotations(rs1)[LAST_APPLIED] = '{"stale":"from the replicaset"}';
    }),
    deployment: 'web',
    toRevision: 0,
    expect: (o) => expect(at(o.deployment, 'metadata', 'annotations', LAST_APPLIED)).toBe('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}'),
  },
];

describe('rollback fidelity: the bot against kubectl rollout undo on identical worlds', () => {
  for (const v of VARIANTS) {
    it(v.name, async () => {
      const w = await twins(v.objects);
      const args = ['rollout', 'undo', `deploy/${v.deployment}`, ...(v.toRevision > 0 ? [`--to-revision=${v.toRevision}`] : [])];
      expect((await w.kubectl.ok(...args)).trim()).toBe(`deployment.apps/${v.deployment} rolled back`);
      const r = await w.bot.rollbackDeployment('prod', v.deployment, v.toRevision, { dryRun: false });
      expect(r.noop).toBeUndefined();

      const byKubectl = await outcome(w.kubectlWorld, 'prod', v.deployment);
      const byBot = await outcome(w.botWorld, 'prod', v.deployment);
      // One JSON Patch each, replacing the template and the annotations with the same values.
      expect(byBot.patches).toEqual(byKubectl.patches);
      expect(byBot.patches).toHaveLength(1);
      expect((at(byBot.patches[0], 'body') as Obj[]).map((op) => `${String(op['op'])} ${String(op['path'])}`)).toEqual(['replace /spec/template', 'replace /metadata/annotations']);
      expect(byBot.deployment).toEqual(byKubectl.deployment);
      expect(byBot.replicaSets).toEqual(byKubectl.replicaSets);
      expect(byBot.podImages).toEqual(byKubectl.podImages);
      v.expect?.(byBot);
    });
  }

  it('no-op: already at that template, both skip without writing and say the same', async () => {
    const w = await twins(() => sampleCluster({ at: AT }) as Obj[]);
    const out = (await w.kubectl.ok('rollout', 'undo', 'deploy/web', '--to-revision=2')).trim();
    const r: MutationResult = await w.bot.rollbackDeployment('prod', 'web', 2, { dryRun: false });
    expect(out).toBe(`deployment.apps/web ${r.noop ?? '(the bot did not skip)'}`);
    expect(r.noop).toBe('skipped rollback (current template already matches revision 2)');
    const [a, b] = [await outcome(w.kubectlWorld, 'prod', 'web'), await outcome(w.botWorld, 'prod', 'web')];
    expect([a.patches, b.patches]).toEqual([[], []]);
    expect(b.deployment).toEqual(a.deployment);
  });

  it('paused: both refuse with the same words and write nothing', async () => {
    const w = await twins(() => sampleCluster({ at: AT }) as Obj[]);
    const refused = await w.kubectl.run('rollout', 'undo', 'deploy/batch');
    expect(refused.code).toBe(1);
    const botError = await w.bot.rollbackDeployment('prod', 'batch', 0, { dryRun: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(botError).toBeInstanceOf(AppError);
    expect((botError as AppError).code).toBe('bad_request');
    expect(refused.stderr.trim()).toBe(`error: ${(botError as AppError).message}`);
    const [a, b] = [await outcome(w.kubectlWorld, 'prod', 'batch'), await outcome(w.botWorld, 'prod', 'batch')];
    expect([a.patches, b.patches]).toEqual([[], []]);
    expect(b.deployment).toEqual(a.deployment);
  });

  it('a pod-spec field newer than kubectl 1.32: kubectl drops it and starts a new ReplicaSet; the bot keeps it and the old one is reused', async () => {
    const workloadRef = { name: 'web', podGroup: 'serving' };
    const w = await twins(
      edited((_web, rs1) => {
        (at(rs1, 'spec', 'template', 'spec') as Obj)['workloadRef'] = workloadRef;
      }),
    );
    await w.kubectl.ok('rollout', 'undo', 'deploy/web');
    await w.bot.rollbackDeployment('prod', 'web', 0, { dryRun: false });
    const byKubectl = await outcome(w.kubectlWorld, 'prod', 'web');
    const byBot = await outcome(w.botWorld, 'prod', 'web');

    // kubectl (Appendix B): the field is gone from what it sent and from the Deployment...
    expect(at(byKubectl.patches[0], 'body', 0, 'value', 'spec', 'workloadRef')).toBeUndefined();
    expect(at(byKubectl.deployment, 'spec', 'template', 'spec', 'workloadRef')).toBeUndefined();
    // ...so revision 1's ReplicaSet is not reused: a new ReplicaSet became revision 3.
    expect(byKubectl.replicaSets.find((rs) => rs.name === 'web-5f6c7b8d9e')).toMatchObject({ revision: '1', replicas: 0 });
    expect(byKubectl.replicaSets).toHaveLength(3);
    expect(byKubectl.replicaSets.find((rs) => rs.revision === '3')?.name).not.toBe('web-5f6c7b8d9e');

    // The bot: the field travels, the template matches, revision 1's ReplicaSet runs again as revision 3.
    expect(at(byBot.patches[0], 'body', 0, 'value', 'spec', 'workloadRef')).toEqual(workloadRef);
    expect(at(byBot.deployment, 'spec', 'template', 'spec', 'workloadRef')).toEqual(workloadRef);
    expect(byBot.replicaSets.find((rs) => rs.name === 'web-5f6c7b8d9e')).toMatchObject({ revision: '3', history: '1', replicas: 3 });
    expect(byBot.replicaSets).toHaveLength(2);
    // Apart from that field and which ReplicaSet the Progressing condition names, the two Deployments agree.
    const comparable = (d: unknown): unknown => {
      const c = structuredClone(d) as Obj;
      delete (at(c, 'spec', 'template', 'spec') as Obj)['workloadRef'];
      for (const cond of (at(c, 'status', 'conditions') as Obj[] | undefined) ?? []) cond['message'] = String(cond['message']).replace(/ReplicaSet "[^"]+"/, 'ReplicaSet "<name>"');
      return c;
    };
    expect(comparable(byBot.deployment)).toEqual(comparable(byKubectl.deployment));
  });
});
