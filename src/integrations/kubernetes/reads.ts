/**
 * The read side of the KubernetesPort. Deployments and ReplicaSets (apps/v1) are read untyped,
 * through the client's CustomObjectsApi (same URLs, same RBAC verbs), so their JSON reaches the
 * caller as the server sent it: a rollback copies a ReplicaSet's template whole, including pod-spec
 * fields newer than the client's models. Everything else goes through the typed APIs and is mapped
 * back to plain JSON; zod parses both into the port's shapes. HPAs are read as autoscaling/v2,
 * falling back to v1 when v2 is not served (remembered).
 */
import * as k8s from '@kubernetes/client-node';
import type { z } from 'zod';
import type { K8sConfigMap, K8sDeployment, K8sEvent, K8sHpa, K8sNode, K8sPod, K8sReplicaSet, K8sService, K8sTargetGroupBinding } from '../../workflows/kubernetes-types.js';
import type { KubernetesPort, Logger } from '../../workflows/ports.js';
import { isNotServed, orUndefined, parseWith, plain, raw, stripNulls, type Call } from './client.js';
import { hpaFromV1, hpaFromV2 } from './hpa.js';
import type { JsonObject } from './json.js';
import { ConfigMapSchema, CustomObjectList, DeploymentSchema, EventSchema, NodeSchema, PodSchema, ReplicaSetSchema, ServiceSchema, TargetGroupBindingSchema } from './schemas.js';

export const APPS_V1 = { group: 'apps', version: 'v1' } as const;
const TGB = { group: 'elbv2.k8s.aws', version: 'v1beta1', plural: 'targetgroupbindings' } as const;

export interface KubeClients {
  core: k8s.CoreV1Api;
  hpaV2: k8s.AutoscalingV2Api;
  hpaV1: k8s.AutoscalingV1Api;
  /** Untyped access: apps/v1 objects as raw JSON, and CRDs. */
  custom: k8s.CustomObjectsApi;
}

export function makeClients(kc: k8s.KubeConfig): KubeClients {
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    hpaV2: kc.makeApiClient(k8s.AutoscalingV2Api),
    hpaV1: kc.makeApiClient(k8s.AutoscalingV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

export type HpaVersion = 'v1' | 'v2';

export interface HpaRead {
  hpa: K8sHpa;
  version: HpaVersion;
  raw: JsonObject;
}

type ReadMethods = Pick<
  KubernetesPort,
  | 'getDeployment'
  | 'listDeployments'
  | 'listReplicaSets'
  | 'listPods'
  | 'listEvents'
  | 'listHpas'
  | 'getHpa'
  | 'listNodes'
  | 'listPodsOnNode'
  | 'listServices'
  | 'listTargetGroupBindings'
  | 'listNamespaces'
  | 'getConfigMap'
>;

export interface Reads {
  port: ReadMethods;
  /** The Deployment as the server sent it. */
  deploymentJson(namespace: string, name: string, signal?: AbortSignal): Promise<JsonObject>;
  /** ReplicaSets matching a label selector, as the server sent them. */
  replicaSetsJson(namespace: string, labelSelector: string, signal?: AbortSignal): Promise<JsonObject[]>;
  readHpa(namespace: string, name: string, signal?: AbortSignal): Promise<HpaRead>;
}

export function createReads(c: KubeClients, call: Call, opts: { hpaVersion?: 'auto' | HpaVersion; logger?: Pick<Logger, 'warn'> }): Reads {
  let hpaVersion: HpaVersion | undefined = opts.hpaVersion === 'v1' || opts.hpaVersion === 'v2' ? opts.hpaVersion : undefined;
  const fixedHpaVersion = hpaVersion !== undefined;

  /** Items that do not parse are skipped with a warning: one odd object must not blind a whole check. */
  function parseItems<T>(schema: z.ZodType<T>, items: unknown[], toJson: (item: unknown) => unknown, what: string): T[] {
    const out: T[] = [];
    for (const item of items) {
      const r = schema.safeParse(toJson(item));
      if (r.success) out.push(r.data);
      else opts.logger?.warn({ what, issues: r.error.issues.slice(0, 3) }, 'skipping a Kubernetes object that does not have the expected shape');
    }
    return out;
  }
  const typed = (type: string) => (item: unknown) => plain(item, type);
  // Raw JSON may carry nulls (a template's `creationTimestamp: null`); the port's shapes have none.
  const untyped = (item: unknown) => stripNulls(item);

  /** Runs the v2 call, or the v1 one when autoscaling/v2 is not served (remembered). */
  async function withHpa<T>(v2: () => Promise<T>, v1: () => Promise<T>): Promise<T> {
    if (hpaVersion === 'v1') return v1();
    try {
      const r = await v2();
      hpaVersion = 'v2';
      return r;
    } catch (e) {
      if (!fixedHpaVersion && isNotServed(e)) {
        hpaVersion = 'v1';
        return v1();
      }
      throw e;
    }
  }

  async function appsList(plural: string, namespace: string, labelSelector: string | undefined, signal?: AbortSignal): Promise<unknown[]> {
    const body: unknown = await call(
      `list ${plural} in ${namespace}`,
      (o) => c.custom.listNamespacedCustomObject({ ...APPS_V1, namespace, plural, ...(labelSelector !== undefined ? { labelSelector } : {}) }, o),
      signal,
    );
    return parseWith(CustomObjectList, body, `${plural} list`).items;
  }

  const reads: Reads = {
    async deploymentJson(namespace, name, signal) {
      const body: unknown = await call(`get deployment ${namespace}/${name}`, (o) => c.custom.getNamespacedCustomObject({ ...APPS_V1, namespace, plural: 'deployments', name }, o), signal);
      return raw(body, 'Deployment');
    },

    async replicaSetsJson(namespace, labelSelector, signal) {
      return (await appsList('replicasets', namespace, labelSelector, signal)).map((rs) => raw(rs, 'ReplicaSet'));
    },

    async readHpa(namespace, name, signal) {
      const what = `get horizontalpodautoscaler ${namespace}/${name}`;
      return withHpa<HpaRead>(
        async () => {
          const json = plain(await call(what, (o) => c.hpaV2.readNamespacedHorizontalPodAutoscaler({ name, namespace }, o), signal), 'V2HorizontalPodAutoscaler');
          return { hpa: hpaFromV2(json), version: 'v2', raw: json };
        },
        async () => {
          const json = plain(await call(what, (o) => c.hpaV1.readNamespacedHorizontalPodAutoscaler({ name, namespace }, o), signal), 'V1HorizontalPodAutoscaler');
          return { hpa: hpaFromV1(json), version: 'v1', raw: json };
        },
      );
    },

    port: {
      async getDeployment(namespace, name, signal) {
        const json = await orUndefined(reads.deploymentJson(namespace, name, signal));
        return json === undefined ? undefined : parseWith(DeploymentSchema, stripNulls(json), 'Deployment');
      },

      async listDeployments(namespace, signal): Promise<K8sDeployment[]> {
        return parseItems(DeploymentSchema, await appsList('deployments', namespace, undefined, signal), untyped, 'Deployment');
      },

      async listReplicaSets(namespace, labelSelector, signal): Promise<K8sReplicaSet[]> {
        return parseItems(ReplicaSetSchema, await appsList('replicasets', namespace, labelSelector, signal), untyped, 'ReplicaSet');
      },

      async listPods(namespace, labelSelector, signal): Promise<K8sPod[]> {
        const list = await call(`list pods in ${namespace}`, (o) => c.core.listNamespacedPod({ namespace, labelSelector }, o), signal);
        return parseItems(PodSchema, list.items, typed('V1Pod'), 'Pod');
      },

      async listEvents(namespace, fieldSelector, signal): Promise<K8sEvent[]> {
        const list = await call(`list events in ${namespace}`, (o) => c.core.listNamespacedEvent(fieldSelector ? { namespace, fieldSelector } : { namespace }, o), signal);
        return parseItems(EventSchema, list.items, typed('CoreV1Event'), 'Event');
      },

      async listHpas(namespace, signal): Promise<K8sHpa[]> {
        const what = `list horizontalpodautoscalers in ${namespace}`;
        return withHpa(
          async () => (await call(what, (o) => c.hpaV2.listNamespacedHorizontalPodAutoscaler({ namespace }, o), signal)).items.map((i) => hpaFromV2(plain(i, 'V2HorizontalPodAutoscaler'))),
          async () => (await call(what, (o) => c.hpaV1.listNamespacedHorizontalPodAutoscaler({ namespace }, o), signal)).items.map((i) => hpaFromV1(plain(i, 'V1HorizontalPodAutoscaler'))),
        );
      },

      async getHpa(namespace, name, signal) {
        return (await orUndefined(reads.readHpa(namespace, name, signal)))?.hpa;
      },

      async listNodes(signal): Promise<K8sNode[]> {
        const list = await call('list nodes', (o) => c.core.listNode({}, o), signal);
        return parseItems(NodeSchema, list.items, typed('V1Node'), 'Node');
      },

      async listPodsOnNode(nodeName, signal): Promise<K8sPod[]> {
        const list = await call(`list pods on node ${nodeName}`, (o) => c.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }, o), signal);
        return parseItems(PodSchema, list.items, typed('V1Pod'), 'Pod');
      },

      async listServices(namespace, signal): Promise<K8sService[]> {
        const list = await call(`list services in ${namespace}`, (o) => c.core.listNamespacedService({ namespace }, o), signal);
        return parseItems(ServiceSchema, list.items, typed('V1Service'), 'Service');
      },

      async listTargetGroupBindings(namespace, signal): Promise<K8sTargetGroupBinding[]> {
        const body: unknown = await call(
          namespace === undefined ? 'list targetgroupbindings' : `list targetgroupbindings in ${namespace}`,
          (o) =>
            namespace === undefined
              ? c.custom.listClusterCustomObject({ group: TGB.group, version: TGB.version, plural: TGB.plural }, o)
              : c.custom.listNamespacedCustomObject({ group: TGB.group, version: TGB.version, namespace, plural: TGB.plural }, o),
          signal,
        );
        return parseItems(TargetGroupBindingSchema, parseWith(CustomObjectList, body, 'TargetGroupBindingList').items, untyped, 'TargetGroupBinding');
      },

      async listNamespaces(signal): Promise<string[]> {
        const list = await call('list namespaces', (o) => c.core.listNamespace({}, o), signal);
        return list.items.map((n) => n.metadata?.name).filter((n): n is string => typeof n === 'string');
      },

      async getConfigMap(namespace, name, signal): Promise<K8sConfigMap | undefined> {
        const cm = await orUndefined(call(`get configmap ${namespace}/${name}`, (o) => c.core.readNamespacedConfigMap({ name, namespace }, o), signal));
        return cm === undefined ? undefined : parseWith(ConfigMapSchema, plain(cm, 'V1ConfigMap'), 'ConfigMap');
      },
    },
  };
  return reads;
}
