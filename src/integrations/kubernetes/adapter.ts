/**
 * KubernetesPort on @kubernetes/client-node 1.4 (object-parameter API).
 *
 * The pieces: client.ts (kubeconfig, calls, errors -> AppError), reads.ts (the read methods),
 * hpa.ts (v1/v2 normalisation), diff.ts (the human diff), rollback.ts (kubectl's rollout
 * semantics). This file wires them and runs the mutations as kubectl does: `rollbackDeployment` is
 * `kubectl rollout undo`, `scaleDeployment` is `kubectl scale` (merge patch on the scale
 * subresource), `restartDeployment` is `kubectl rollout restart`. Every mutation can run as a
 * server-side dry run (`?dryRun=All`), carries `fieldManager=warroom`, and returns a human diff.
 *
 * Deployments and ReplicaSets are read and written as raw JSON (CustomObjectsApi), never through
 * the typed models: those know Kubernetes 1.34, and a template copied through them would lose any
 * newer pod-spec field, stop matching its old ReplicaSet and make the controller start a new one.
 */
import * as k8s from '@kubernetes/client-node';
import type { DiffLine } from '../../domain/proposal.js';
import { AppError } from '../../errors.js';
import type { KubernetesPort, Logger, MutationResult } from '../../workflows/ports.js';
import { createCall, parseWith, pinnedWrite, plain, raw } from './client.js';
import { deploymentDiff, show } from './diff.js';
import { hpaDiff, hpaFromV1, hpaFromV2, validateHpaChange, withCpuTarget } from './hpa.js';
import { get, metaOf, type JsonObject } from './json.js';
import { APPS_V1, createReads, makeClients } from './reads.js';
import { labelSelectorString, planRollback, restartPatch } from './rollback.js';
import { ScaleSchema } from './schemas.js';

export { loadKubeConfig, type LoadKubeConfigOptions } from './client.js';

export interface KubernetesAdapterOptions {
  /** `fieldManager` on every write (default `warroom`). */
  fieldManager?: string;
  /** Upper bound per request when the caller gives no signal (default 15 s). */
  requestTimeoutMs?: number;
  /** Which autoscaling version to use; `auto` (default) tries v2 and falls back to v1 when v2 is not served. */
  hpaVersion?: 'auto' | 'v2' | 'v1';
  logger?: Pick<Logger, 'warn'>;
}

function result(before: JsonObject, after: JsonObject, diff: DiffLine[], dryRun: boolean): MutationResult {
  const out: MutationResult = { before, after, diff };
  const rv = dryRun ? metaOf(before).resourceVersion : metaOf(after).resourceVersion;
  if (rv !== undefined) out.resourceVersion = rv;
  return out;
}

function noop(object: JsonObject, message: string): MutationResult {
  const out: MutationResult = { before: object, after: object, diff: [], noop: message };
  const rv = metaOf(object).resourceVersion;
  if (rv !== undefined) out.resourceVersion = rv;
  return out;
}

export function createKubernetesAdapter(kc: k8s.KubeConfig, opts: KubernetesAdapterOptions = {}): KubernetesPort {
  const clients = makeClients(kc);
  const { custom, hpaV1, hpaV2 } = clients;
  const call = createCall(opts.requestTimeoutMs ?? 15_000);
  const reads = createReads(clients, call, opts);
  const fieldManager = opts.fieldManager ?? 'warroom';
  const writeParams = (dryRun: boolean): { dryRun?: string; fieldManager: string } => (dryRun ? { dryRun: 'All', fieldManager } : { fieldManager });

  /** PATCH of a Deployment as raw JSON in and out. */
  async function patchDeployment(operation: string, namespace: string, name: string, body: unknown, contentType: string, dryRun: boolean): Promise<JsonObject> {
    const out: unknown = await call(operation, (o) => custom.patchNamespacedCustomObject({ ...APPS_V1, namespace, plural: 'deployments', name, body, ...writeParams(dryRun) }, o), undefined, contentType);
    return raw(out, 'Deployment');
  }

  return {
    ...reads.port,

    async rollbackDeployment(namespace, name, toRevision, mopts): Promise<MutationResult> {
      const d = await reads.deploymentJson(namespace, name);
      const replicaSets = await reads.replicaSetsJson(namespace, labelSelectorString(get(d, 'spec', 'selector')));
      const plan = planRollback(d, replicaSets, toRevision, mopts.expectResourceVersion);
      if ('noop' in plan) return noop(d, plan.noop);
      const operation = `rollback deployment ${namespace}/${name} to revision ${plan.targetRevision}`;
      const after = await pinnedWrite(
        operation,
        () => patchDeployment(operation, namespace, name, plan.ops, k8s.PatchStrategy.JsonPatch, mopts.dryRun),
        mopts.expectResourceVersion,
        async () => metaOf(await reads.deploymentJson(namespace, name)).resourceVersion,
      );
      return result(d, after, deploymentDiff(d, after), mopts.dryRun);
    },

    async scaleDeployment(namespace, name, replicas, mopts): Promise<MutationResult> {
      const target = { ...APPS_V1, namespace, plural: 'deployments', name };
      const beforeScale = raw(await call(`get deployment ${namespace}/${name} scale`, (o) => custom.getNamespacedCustomObjectScale(target, o)), 'Scale');
      const before = parseWith(ScaleSchema, beforeScale, 'Scale');
      if (before.spec.replicas === replicas) return noop(beforeScale, `deployment ${namespace}/${name} already has ${replicas} replicas`);
      const body: JsonObject = { spec: { replicas } };
      if (mopts.expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: mopts.expectResourceVersion };
      const operation = `scale deployment ${namespace}/${name} to ${replicas}`;
      const afterScale = raw(
        await pinnedWrite(operation, () => call(operation, (o) => custom.patchNamespacedCustomObjectScale({ ...target, body, ...writeParams(mopts.dryRun) }, o), undefined, k8s.PatchStrategy.MergePatch), mopts.expectResourceVersion),
        'Scale',
      );
      const a = parseWith(ScaleSchema, afterScale, 'Scale');
      const diff: DiffLine[] = before.spec.replicas !== a.spec.replicas ? [{ field: 'replicas', before: show(before.spec.replicas), after: show(a.spec.replicas) }] : [];
      return result(beforeScale, afterScale, diff, mopts.dryRun);
    },

    async patchHpa(namespace, name, change, mopts): Promise<MutationResult> {
      const read = await reads.readHpa(namespace, name);
      const cur = read.hpa;
      const invalid = validateHpaChange(cur, change);
      if (invalid !== undefined) throw new AppError('bad_request', invalid);
      const spec: JsonObject = {};
      if (change.minReplicas !== undefined && change.minReplicas !== cur.minReplicas) spec['minReplicas'] = change.minReplicas;
      if (change.maxReplicas !== undefined && change.maxReplicas !== cur.maxReplicas) spec['maxReplicas'] = change.maxReplicas;
      const target = change.targetCPUUtilizationPercentage;
      if (target !== undefined && target !== cur.targetCPUUtilizationPercentage) {
        if (read.version === 'v1') spec['targetCPUUtilizationPercentage'] = target;
        else spec['metrics'] = withCpuTarget(get(read.raw, 'spec', 'metrics'), target);
      }
      if (Object.keys(spec).length === 0) return noop(read.raw, `horizontalpodautoscaler ${namespace}/${name} already has these bounds`);
      const body: JsonObject = { spec };
      if (mopts.expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: mopts.expectResourceVersion };
      const operation = `patch horizontalpodautoscaler ${namespace}/${name}`;
      const params = { name, namespace, body, ...writeParams(mopts.dryRun) };
      const patch = <T>(fn: (o: k8s.ConfigurationOptions) => Promise<T>): Promise<T> =>
        pinnedWrite(operation, () => call(operation, fn, undefined, k8s.PatchStrategy.MergePatch), mopts.expectResourceVersion);
      const afterRaw =
        read.version === 'v2'
          ? plain(await patch((o) => hpaV2.patchNamespacedHorizontalPodAutoscaler(params, o)), 'V2HorizontalPodAutoscaler')
          : plain(await patch((o) => hpaV1.patchNamespacedHorizontalPodAutoscaler(params, o)), 'V1HorizontalPodAutoscaler');
      const after = read.version === 'v2' ? hpaFromV2(afterRaw) : hpaFromV1(afterRaw);
      return result(read.raw, afterRaw, hpaDiff(cur, after), mopts.dryRun);
    },

    async restartDeployment(namespace, name, at, mopts): Promise<MutationResult> {
      const d = await reads.deploymentJson(namespace, name);
      const body = restartPatch(d, at, mopts.expectResourceVersion);
      const operation = `restart deployment ${namespace}/${name}`;
      const after = await pinnedWrite(operation, () => patchDeployment(operation, namespace, name, body, k8s.PatchStrategy.StrategicMergePatch, mopts.dryRun), mopts.expectResourceVersion);
      return result(d, after, deploymentDiff(d, after), mopts.dryRun);
    },
  };
}
