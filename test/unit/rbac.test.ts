/**
 * infra/kubernetes/rbac.yaml grants exactly what the Kubernetes adapter uses: every adapter method
 * runs against the API emulator (including the autoscaling/v1 fallback and dry runs), the recorded
 * (verb, group, resource[/subresource]) triples must all be granted, and every grant must have been
 * used. No wildcards, no secrets, no create/delete.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKubernetesAdapter } from '../../src/integrations/kubernetes/adapter.js';
import { sampleCluster } from '../../src/sandbox/kubernetes/fixtures.js';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../src/sandbox/kubernetes/server.js';
import type { KubernetesPort } from '../../src/workflows/ports.js';

const Rule = z.object({
  apiGroups: z.array(z.string()),
  resources: z.array(z.string()),
  verbs: z.array(z.string()),
  resourceNames: z.array(z.string()).optional(),
});
const ClusterRole = z.object({ kind: z.literal('ClusterRole'), metadata: z.object({ name: z.string() }), rules: z.array(Rule) });
const Binding = z.object({
  kind: z.literal('ClusterRoleBinding'),
  roleRef: z.object({ apiGroup: z.string(), kind: z.string(), name: z.string() }),
  subjects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() })),
});
const ServiceAccount = z.object({ kind: z.literal('ServiceAccount'), metadata: z.object({ name: z.string(), namespace: z.string() }) });

function manifest(): { docs: unknown[]; text: string } {
  const text = readFileSync(path.join(import.meta.dirname, '../../infra/kubernetes/rbac.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
    return d.toJS() as unknown;
  });
  return { docs, text };
}

function kindOf(doc: unknown): string | undefined {
  const r = z.object({ kind: z.string() }).safeParse(doc);
  return r.success ? r.data.kind : undefined;
}

/** Runs every KubernetesPort method once; fails when the port grows a method this list does not call. */
async function exerciseEveryMethod(kube: KubernetesPort): Promise<Set<string>> {
  const calls: Record<keyof KubernetesPort, () => Promise<unknown>> = {
    getDeployment: () => kube.getDeployment('prod', 'web'),
    listDeployments: () => kube.listDeployments('prod'),
    listReplicaSets: () => kube.listReplicaSets('prod', 'app=web'),
    listPods: () => kube.listPods('prod', 'app=web'),
    listEvents: () => kube.listEvents('prod', 'involvedObject.kind=Pod'),
    listHpas: () => kube.listHpas('prod'),
    getHpa: () => kube.getHpa('prod', 'web'),
    listNodes: () => kube.listNodes(),
    listPodsOnNode: () => kube.listPodsOnNode('ip-10-0-1-10.ec2.internal'),
    listServices: () => kube.listServices('prod'),
    listTargetGroupBindings: async () => [...(await kube.listTargetGroupBindings()), ...(await kube.listTargetGroupBindings('prod'))],
    listNamespaces: () => kube.listNamespaces(),
    getConfigMap: () => kube.getConfigMap('prod', 'web-config'),
    rollbackDeployment: async () => [await kube.rollbackDeployment('prod', 'web', 0, { dryRun: true }), await kube.rollbackDeployment('prod', 'web', 1, { dryRun: false })],
    scaleDeployment: async () => [await kube.scaleDeployment('prod', 'web', 4, { dryRun: true }), await kube.scaleDeployment('prod', 'web', 5, { dryRun: false })],
    patchHpa: async () => [
      await kube.patchHpa('prod', 'web', { maxReplicas: 8 }, { dryRun: true }),
      await kube.patchHpa('prod', 'web', { minReplicas: 3, targetCPUUtilizationPercentage: 60 }, { dryRun: false }),
    ],
    restartDeployment: () => kube.restartDeployment('prod', 'web', new Date('2026-03-02T10:00:00Z'), { dryRun: false }),
  };
  expect(Object.keys(calls).sort()).toEqual(Object.keys(kube).sort());
  for (const fn of Object.values(calls)) await fn();
  return new Set(Object.keys(calls));
}

function used(emu: KubernetesEmulator): Set<string> {
  return new Set(emu.requests.map((r) => `${r.verb} ${r.group} ${r.subresource ? `${r.resource}/${r.subresource}` : r.resource}`));
}

describe('infra/kubernetes/rbac.yaml', () => {
  it('grants exactly the (verb, group, resource) triples the adapter uses, and nothing risky', async () => {
    const { docs, text } = manifest();
    const role = ClusterRole.parse(docs.find((d) => kindOf(d) === 'ClusterRole'));
    const binding = Binding.parse(docs.find((d) => kindOf(d) === 'ClusterRoleBinding'));
    const sa = ServiceAccount.parse(docs.find((d) => kindOf(d) === 'ServiceAccount'));
    expect(sa.metadata).toEqual({ name: 'warroom', namespace: 'warroom' });
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'warroom', namespace: 'warroom' }]);

    const granted = new Set(role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g} ${res}`)))));
    for (const r of role.rules) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
      expect(r.resources.some((x) => x.startsWith('secrets'))).toBe(false);
      expect(r.verbs.filter((v) => ['create', 'update', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', 'watch'].includes(v))).toEqual([]);
    }
    // No rule names secrets in any spelling (resources are checked above; this catches resourceNames too).
    expect(role.rules.flatMap((r) => r.resourceNames ?? [])).toEqual([]);
    expect(text).toContain('kind: ClusterRole');

    // Every method against a cluster serving autoscaling/v2, then against one serving only v1.
    const requests = new Set<string>();
    for (const hpaVersions of [['v2', 'v1'], ['v1']] as const) {
      const emu = await startKubernetesEmulator({ objects: sampleCluster(), rolloutMs: 100, hpaVersions: [...hpaVersions] });
      try {
        const kc = new k8s.KubeConfig();
        kc.loadFromOptions(emu.kubeConfigOptions);
        await exerciseEveryMethod(createKubernetesAdapter(kc));
        const failed = emu.requests.filter((r) => r.status >= 400 && !(r.status === 404 && r.version === 'v2'));
        expect(failed).toEqual([]);
        for (const u of used(emu)) requests.add(u);
      } finally {
        await emu.stop();
      }
    }
    // (a) everything used is granted; (b) everything granted is used.
    expect([...requests].filter((u) => !granted.has(u)).sort()).toEqual([]);
    expect([...granted].filter((g) => !requests.has(g)).sort()).toEqual([]);
  });

  it('a request outside the grants is refused by the emulator with the RBAC message the adapter surfaces', async () => {
    const emu = await startKubernetesEmulator({ objects: sampleCluster(), forbid: [{ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: 'prod' }] });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions(emu.kubeConfigOptions);
      const kube = createKubernetesAdapter(kc);
      await expect(kube.patchHpa('prod', 'web', { maxReplicas: 9 }, { dryRun: false })).rejects.toMatchObject({
        code: 'forbidden',
        message: 'horizontalpodautoscalers.autoscaling "web" is forbidden: User "system:serviceaccount:warroom:warroom" cannot patch resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "prod"',
      });
    } finally {
      await emu.stop();
    }
  });
});
