/**
 * KubernetesPort on @kubernetes/client-node 1.4 (object-parameter API).
 *
 * Reads map the client's typed models back to plain port shapes (Dates -> ISO strings, zod at the
 * boundary). Mitigations behave as kubectl does: `rollbackDeployment` is `kubectl rollout undo`
 * (kubectl pkg/polymorphichelpers/rollback.go), `scaleDeployment` is `kubectl scale` (merge patch on
 * the scale subresource), `restartDeployment` is `kubectl rollout restart`. Every mutation can run
 * as a server-side dry run (`?dryRun=All`), carries `fieldManager=warroom`, and returns a human diff.
 *
 * AbortSignal: client-node 1.4 has no per-call signal parameter, but its RequestContext has
 * setSignal(); a request middleware hands the caller's signal to node-fetch. The call is also raced
 * against the signal, so a caller is released even while the client is still authenticating.
 */
import * as k8s from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import type { z } from 'zod';
import {
  equalIgnoreHash,
  revisionOf,
  ROLLBACK_SKIPPED_ANNOTATIONS,
  semanticEqual,
  withoutHashLabel,
} from '../../domain/rollout.js';
import type { DiffLine } from '../../domain/proposal.js';
import { AppError, type ErrorCode } from '../../errors.js';
import type {
  K8sDeployment,
  K8sEvent,
  K8sHpa,
  K8sNode,
  K8sPod,
  K8sReplicaSet,
  K8sService,
  K8sTargetGroupBinding,
  KubernetesPort,
  Logger,
  MutationResult,
} from '../../workflows/ports.js';
import {
  CustomObjectList,
  DeploymentSchema,
  EventSchema,
  HpaV1Schema,
  HpaV2Schema,
  NodeSchema,
  PodSchema,
  ReplicaSetSchema,
  ScaleSchema,
  ServiceSchema,
  StatusSchema,
  TargetGroupBindingSchema,
  type HpaV1,
  type HpaV2,
  type K8sStatus,
} from './schemas.js';

export interface KubernetesAdapterOptions {
  /** `fieldManager` on every write (default `warroom`). */
  fieldManager?: string;
  /** Upper bound per request when the caller gives no signal (default 15 s). */
  requestTimeoutMs?: number;
  /** Which autoscaling version to use; `auto` (default) tries v2 and falls back to v1 when v2 is not served. */
  hpaVersion?: 'auto' | 'v2' | 'v1';
  logger?: Pick<Logger, 'warn'>;
}

type JsonObject = Record<string, unknown>;

const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const TGB = { group: 'elbv2.k8s.aws', version: 'v1beta1', plural: 'targetgroupbindings' } as const;

function isRecord(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isRecord(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/** metav1.Time as the API server writes it: RFC 3339, fractional seconds only when present. */
function k8sTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** Dates to RFC 3339 strings before serializing (the serializer passes strings through). */
function datesToStrings(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : k8sTime(v);
  if (Array.isArray(v)) return v.map(datesToStrings);
  if (typeof v === 'object' && v !== null) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = datesToStrings(x);
    return out;
  }
  return v;
}

/** A client model as the plain JSON the API server sent (Dates as RFC 3339 strings, no nulls). */
function plain(model: unknown, type: string): JsonObject {
  const serialized: unknown = ObjectSerializer.serialize(datesToStrings(model), type, '');
  const out = stripNulls(JSON.parse(JSON.stringify(serialized ?? {})));
  return isRecord(out) ? out : {};
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('internal', `unexpected ${what} from the Kubernetes API: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

function parseStatus(body: unknown): K8sStatus | undefined {
  let v = body;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const r = StatusSchema.safeParse(v);
  return r.success ? r.data : undefined;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 410: 'conflict', 413: 'payload_too_large', 422: 'bad_request', 429: 'throttled', 504: 'timeout' };

export interface K8sErrorDetails {
  httpStatus?: number;
  reason?: string;
  /** Status.details: name, group, kind, causes. */
  status?: K8sStatus['details'];
  retryAfterSeconds?: number;
  operation: string;
  /** A 404 for the path itself (group/version/resource not served), not for an object. */
  notServed?: boolean;
}

/** Maps a client error to AppError: 404 not_found, 403 forbidden, 409 conflict, 422 bad_request, 429 throttled, 5xx/network unavailable. */
export function toAppError(e: unknown, operation: string, signal?: AbortSignal): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof k8s.ApiException) {
    const ex = e as k8s.ApiException<unknown>;
    const status = parseStatus(ex.body);
    const code: ErrorCode = CODE_BY_STATUS[ex.code] ?? (ex.code >= 500 ? 'unavailable' : 'internal');
    const retryAfter = Number.parseInt(ex.headers?.['retry-after'] ?? '', 10);
    const details: K8sErrorDetails = { httpStatus: ex.code, operation };
    if (status?.reason !== undefined) details.reason = status.reason;
    if (status?.details !== undefined) details.status = status.details;
    if (Number.isFinite(retryAfter)) details.retryAfterSeconds = retryAfter;
    if (ex.code === 404 && status?.details?.name === undefined) details.notServed = true;
    const message = status?.message ?? (typeof ex.body === 'string' && ex.body.length > 0 && ex.body.length < 300 ? ex.body : `HTTP ${ex.code} from the Kubernetes API (${operation})`);
    return new AppError(code, message, { cause: e, details });
  }
  const name = e instanceof Error ? e.name : '';
  if (name === 'AbortError' || signal?.aborted) {
    const reason: unknown = signal?.reason;
    const why = reason instanceof Error ? reason.message : 'aborted';
    return new AppError('timeout', `Kubernetes API ${operation}: ${why}`, { cause: e, details: { operation } });
  }
  return new AppError('unavailable', `Kubernetes API ${operation}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, details: { operation } });
}

function signalMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return of(ctx);
    },
    post: (rsp) => of(rsp),
  };
}

/** `metav1.LabelSelectorAsSelector(sel).String()`: requirements sorted by key. */
export function labelSelectorString(selector: unknown): string {
  const sel = isRecord(selector) ? selector : {};
  const reqs: { key: string; text: string }[] = [];
  const ml = isRecord(sel['matchLabels']) ? sel['matchLabels'] : {};
  for (const [k, v] of Object.entries(ml)) reqs.push({ key: k, text: `${k}=${String(v)}` });
  const exprs = Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : [];
  for (const x of exprs) {
    if (!isRecord(x) || typeof x['key'] !== 'string') continue;
    const key = x['key'];
    const values = Array.isArray(x['values']) ? x['values'].map(String).sort() : [];
    switch (x['operator']) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        break;
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

function isControlledBy(rs: JsonObject, uid: string | undefined): boolean {
  const md = isRecord(rs['metadata']) ? rs['metadata'] : {};
  const refs = Array.isArray(md['ownerReferences']) ? md['ownerReferences'] : [];
  return uid !== undefined && refs.some((r) => isRecord(r) && r['controller'] === true && r['uid'] === uid);
}

// ---------------------------------------------------------------------------------------------
// Human diffs

function show(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function containersOf(template: unknown): Map<string, JsonObject> {
  const spec = isRecord(template) && isRecord(template['spec']) ? template['spec'] : {};
  const out = new Map<string, JsonObject>();
  for (const key of ['initContainers', 'containers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isRecord(c) && typeof c['name'] === 'string') out.set(c['name'], c);
  }
  return out;
}

function annotationLines(prefix: string, before: unknown, after: unknown, skip: readonly string[] = []): DiffLine[] {
  const a = isRecord(before) ? before : {};
  const b = isRecord(after) ? after : {};
  const lines: DiffLine[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (skip.includes(k)) continue;
    if (a[k] !== b[k]) lines.push({ field: `${prefix} ${k}`, before: show(a[k]), after: show(b[k]) });
  }
  return lines;
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

/** What a change to a Deployment means to a person: images per container, resources, replicas, annotations. */
export function deploymentDiff(before: unknown, after: unknown): DiffLine[] {
  const lines: DiffLine[] = [];
  const tb = get(before, 'spec', 'template');
  const ta = get(after, 'spec', 'template');
  const cb = containersOf(tb);
  const ca = containersOf(ta);
  for (const name of [...new Set([...cb.keys(), ...ca.keys()])]) {
    const x = cb.get(name);
    const y = ca.get(name);
    if (!x || !y) {
      lines.push({ field: `container ${name}`, before: x ? show(x['image']) : '(none)', after: y ? show(y['image']) : '(none)' });
      continue;
    }
    if (x['image'] !== y['image']) lines.push({ field: `container ${name} image`, before: show(x['image']), after: show(y['image']) });
    if (!semanticEqual(x['resources'], y['resources'])) lines.push({ field: `container ${name} resources`, before: show(x['resources'] ?? {}), after: show(y['resources'] ?? {}) });
  }
  const rb = get(before, 'spec', 'replicas');
  const ra = get(after, 'spec', 'replicas');
  if (rb !== ra) lines.push({ field: 'replicas', before: show(rb), after: show(ra) });
  lines.push(...annotationLines('pod annotation', get(tb, 'metadata', 'annotations'), get(ta, 'metadata', 'annotations')));
  lines.push(...annotationLines('annotation', get(before, 'metadata', 'annotations'), get(after, 'metadata', 'annotations'), ['kubectl.kubernetes.io/last-applied-configuration']));
  // Anything else in the pod template (env, args, probes...): one line, so a person knows to look.
  const scrub = (t: unknown): unknown => {
    const c = withoutHashLabel(t);
    if (isRecord(c)) {
      const md = c['metadata'];
      if (isRecord(md)) delete md['annotations'];
      const spec = c['spec'];
      if (isRecord(spec)) {
        for (const key of ['initContainers', 'containers']) {
          const list = spec[key];
          if (Array.isArray(list)) spec[key] = list.map((x) => (isRecord(x) ? { ...x, image: undefined, resources: undefined } : x));
        }
      }
    }
    return c;
  };
  if (tb !== undefined && ta !== undefined && !semanticEqual(scrub(tb), scrub(ta))) lines.push({ field: 'pod template (other fields)', before: 'current', after: 'changed' });
  return lines;
}

function metaOf(o: unknown): { name?: string; resourceVersion?: string; annotations?: JsonObject; uid?: string } {
  const md = get(o, 'metadata');
  if (!isRecord(md)) return {};
  const out: { name?: string; resourceVersion?: string; annotations?: JsonObject; uid?: string } = {};
  if (typeof md['name'] === 'string') out.name = md['name'];
  if (typeof md['resourceVersion'] === 'string') out.resourceVersion = md['resourceVersion'];
  if (typeof md['uid'] === 'string') out.uid = md['uid'];
  if (isRecord(md['annotations'])) out.annotations = md['annotations'];
  return out;
}

// ---------------------------------------------------------------------------------------------
// HPA normalisation

function cpuTarget(metrics: HpaV2['spec']['metrics']): number | undefined {
  const m = (metrics ?? []).find((x) => x.type === 'Resource' && x.resource?.name === 'cpu' && x.resource.target.type === 'Utilization');
  return m?.resource?.target.averageUtilization;
}

function hpaFromV2(raw: unknown): K8sHpa {
  const h = parseWith(HpaV2Schema, raw, 'HorizontalPodAutoscaler (autoscaling/v2)');
  const current = (h.status.currentMetrics ?? []).find((x) => x.type === 'Resource' && x.resource?.name === 'cpu');
  const out: K8sHpa = {
    apiVersion: 'autoscaling/v2',
    metadata: h.metadata,
    scaleTargetRef: h.spec.scaleTargetRef,
    minReplicas: h.spec.minReplicas ?? 1,
    maxReplicas: h.spec.maxReplicas,
    conditions: h.status.conditions ?? [],
  };
  const target = cpuTarget(h.spec.metrics);
  if (target !== undefined) out.targetCPUUtilizationPercentage = target;
  const cur = current?.resource?.current.averageUtilization;
  if (cur !== undefined) out.currentCPUUtilizationPercentage = cur;
  if (h.status.currentReplicas !== undefined) out.currentReplicas = h.status.currentReplicas;
  if (h.status.desiredReplicas !== undefined) out.desiredReplicas = h.status.desiredReplicas;
  if (h.status.lastScaleTime !== undefined) out.lastScaleTime = h.status.lastScaleTime;
  return out;
}

function hpaFromV1(raw: unknown): K8sHpa {
  const h: HpaV1 = parseWith(HpaV1Schema, raw, 'HorizontalPodAutoscaler (autoscaling/v1)');
  let conditions: K8sHpa['conditions'] = [];
  const ann = h.metadata.annotations?.[CONDITIONS_ANNOTATION];
  if (ann !== undefined) {
    try {
      const parsed: unknown = JSON.parse(ann);
      if (Array.isArray(parsed)) {
        conditions = parsed.filter(isRecord).flatMap((c) =>
          typeof c['type'] === 'string' && typeof c['status'] === 'string'
            ? [{ type: c['type'], status: c['status'], ...(typeof c['reason'] === 'string' ? { reason: c['reason'] } : {}), ...(typeof c['message'] === 'string' ? { message: c['message'] } : {}), ...(typeof c['lastTransitionTime'] === 'string' ? { lastTransitionTime: c['lastTransitionTime'] } : {}) }]
            : [],
        );
      }
    } catch {
      conditions = [];
    }
  }
  const out: K8sHpa = {
    apiVersion: 'autoscaling/v1',
    metadata: h.metadata,
    scaleTargetRef: h.spec.scaleTargetRef,
    minReplicas: h.spec.minReplicas ?? 1,
    maxReplicas: h.spec.maxReplicas,
    conditions,
  };
  if (h.spec.targetCPUUtilizationPercentage !== undefined) out.targetCPUUtilizationPercentage = h.spec.targetCPUUtilizationPercentage;
  if (h.status.currentCPUUtilizationPercentage !== undefined) out.currentCPUUtilizationPercentage = h.status.currentCPUUtilizationPercentage;
  if (h.status.currentReplicas !== undefined) out.currentReplicas = h.status.currentReplicas;
  if (h.status.desiredReplicas !== undefined) out.desiredReplicas = h.status.desiredReplicas;
  if (h.status.lastScaleTime !== undefined) out.lastScaleTime = h.status.lastScaleTime;
  return out;
}

function hpaDiff(before: K8sHpa, after: K8sHpa): DiffLine[] {
  const lines: DiffLine[] = [];
  if (before.minReplicas !== after.minReplicas) lines.push({ field: 'minReplicas', before: String(before.minReplicas), after: String(after.minReplicas) });
  if (before.maxReplicas !== after.maxReplicas) lines.push({ field: 'maxReplicas', before: String(before.maxReplicas), after: String(after.maxReplicas) });
  if (before.targetCPUUtilizationPercentage !== after.targetCPUUtilizationPercentage) {
    const pct = (v: number | undefined): string => (v === undefined ? '(none)' : `${v}%`);
    lines.push({ field: 'target CPU utilization', before: pct(before.targetCPUUtilizationPercentage), after: pct(after.targetCPUUtilizationPercentage) });
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// KubeConfig

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; otherwise KUBECONFIG, then ~/.kube/config, then in-cluster. */
  kubeconfigPath?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token). */
  inCluster?: boolean;
  context?: string;
}

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    if (opts.inCluster) {
      if (!env['KUBERNETES_SERVICE_HOST'] || !env['KUBERNETES_SERVICE_PORT']) {
        throw new AppError('config', 'in-cluster Kubernetes config requested but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not running in a pod?)');
      }
      kc.loadFromCluster();
    } else if (opts.kubeconfigPath) {
      kc.loadFromFile(opts.kubeconfigPath);
    } else {
      kc.loadFromDefault();
    }
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('config', `cannot load the Kubernetes config: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!kc.getCurrentCluster()) throw new AppError('config', `the Kubernetes config has no cluster for context "${kc.getCurrentContext()}"`);
  return kc;
}

// ---------------------------------------------------------------------------------------------
// The adapter

interface HpaRead {
  hpa: K8sHpa;
  version: 'v1' | 'v2';
  raw: JsonObject;
}

export function createKubernetesAdapter(kc: k8s.KubeConfig, opts: KubernetesAdapterOptions = {}): KubernetesPort {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const hpaV2 = kc.makeApiClient(k8s.AutoscalingV2Api);
  const hpaV1 = kc.makeApiClient(k8s.AutoscalingV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const fieldManager = opts.fieldManager ?? 'warroom';
  const timeoutMs = opts.requestTimeoutMs ?? 15_000;
  let hpaVersion: 'v1' | 'v2' | undefined = opts.hpaVersion === 'v1' || opts.hpaVersion === 'v2' ? opts.hpaVersion : undefined;
  const fixedHpaVersion = hpaVersion !== undefined;

  async function call<T>(operation: string, fn: (o: ConfigurationOptions) => Promise<T>, signal?: AbortSignal, contentType?: string): Promise<T> {
    const effective = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    if (effective.aborted) throw toAppError(new Error('aborted before the request'), operation, effective);
    let options: ConfigurationOptions = { middleware: [signalMiddleware(effective)], middlewareMergeStrategy: 'append' };
    if (contentType) options = k8s.setHeaderOptions('Content-Type', contentType, options);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(toAppError(new Error('aborted'), operation, effective));
      effective.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(options), aborted]);
    } catch (e) {
      throw toAppError(e, operation, effective);
    } finally {
      if (onAbort) effective.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found' && !(e.details as K8sErrorDetails | undefined)?.notServed) return undefined;
      throw e;
    }
  }

  function parseItems<T>(schema: z.ZodType<T>, items: unknown[], type: string, what: string): T[] {
    const out: T[] = [];
    for (const item of items) {
      const r = schema.safeParse(type === 'any' ? stripNulls(item) : plain(item, type));
      if (r.success) out.push(r.data);
      else opts.logger?.warn({ what, issues: r.error.issues.slice(0, 3) }, 'skipping a Kubernetes object that does not have the expected shape');
    }
    return out;
  }

  /** Runs the v2 call, or the v1 one when autoscaling/v2 is not served (remembered). */
  async function withHpa<T>(v2: () => Promise<T>, v1: () => Promise<T>): Promise<T> {
    if (hpaVersion === 'v1') return v1();
    try {
      const r = await v2();
      hpaVersion = 'v2';
      return r;
    } catch (e) {
      if (!fixedHpaVersion && e instanceof AppError && e.code === 'not_found' && (e.details as K8sErrorDetails | undefined)?.notServed) {
        hpaVersion = 'v1';
        return v1();
      }
      throw e;
    }
  }

  async function readDeploymentRaw(namespace: string, name: string, signal?: AbortSignal): Promise<JsonObject> {
    const d = await call(`get deployment ${namespace}/${name}`, (o) => apps.readNamespacedDeployment({ name, namespace }, o), signal);
    return plain(d, 'V1Deployment');
  }

  async function readHpa(namespace: string, name: string, signal?: AbortSignal): Promise<HpaRead> {
    const what = `get horizontalpodautoscaler ${namespace}/${name}`;
    return withHpa<HpaRead>(
      async () => {
        const raw = plain(await call(what, (o) => hpaV2.readNamespacedHorizontalPodAutoscaler({ name, namespace }, o), signal), 'V2HorizontalPodAutoscaler');
        return { hpa: hpaFromV2(raw), version: 'v2', raw };
      },
      async () => {
        const raw = plain(await call(what, (o) => hpaV1.readNamespacedHorizontalPodAutoscaler({ name, namespace }, o), signal), 'V1HorizontalPodAutoscaler');
        return { hpa: hpaFromV1(raw), version: 'v1', raw };
      },
    );
  }

  const dryRunParam = (dryRun: boolean): { dryRun?: string; fieldManager: string } => (dryRun ? { dryRun: 'All', fieldManager } : { fieldManager });

  const port: KubernetesPort = {
    async getDeployment(namespace, name, signal) {
      const raw = await orUndefined(readDeploymentRaw(namespace, name, signal));
      return raw === undefined ? undefined : parseWith(DeploymentSchema, raw, 'Deployment');
    },

    async listDeployments(namespace, signal): Promise<K8sDeployment[]> {
      const list = await call(`list deployments in ${namespace}`, (o) => apps.listNamespacedDeployment({ namespace }, o), signal);
      return parseItems(DeploymentSchema, list.items, 'V1Deployment', 'Deployment');
    },

    async listReplicaSets(namespace, labelSelector, signal): Promise<K8sReplicaSet[]> {
      const list = await call(`list replicasets in ${namespace}`, (o) => apps.listNamespacedReplicaSet({ namespace, labelSelector }, o), signal);
      return parseItems(ReplicaSetSchema, list.items, 'V1ReplicaSet', 'ReplicaSet');
    },

    async listPods(namespace, labelSelector, signal): Promise<K8sPod[]> {
      const list = await call(`list pods in ${namespace}`, (o) => core.listNamespacedPod({ namespace, labelSelector }, o), signal);
      return parseItems(PodSchema, list.items, 'V1Pod', 'Pod');
    },

    async listEvents(namespace, fieldSelector, signal): Promise<K8sEvent[]> {
      const list = await call(
        `list events in ${namespace}`,
        (o) => core.listNamespacedEvent(fieldSelector ? { namespace, fieldSelector } : { namespace }, o),
        signal,
      );
      return parseItems(EventSchema, list.items, 'CoreV1Event', 'Event');
    },

    async listHpas(namespace, signal): Promise<K8sHpa[]> {
      const what = `list horizontalpodautoscalers in ${namespace}`;
      return withHpa(
        async () => {
          const list = await call(what, (o) => hpaV2.listNamespacedHorizontalPodAutoscaler({ namespace }, o), signal);
          return list.items.map((i) => hpaFromV2(plain(i, 'V2HorizontalPodAutoscaler')));
        },
        async () => {
          const list = await call(what, (o) => hpaV1.listNamespacedHorizontalPodAutoscaler({ namespace }, o), signal);
          return list.items.map((i) => hpaFromV1(plain(i, 'V1HorizontalPodAutoscaler')));
        },
      );
    },

    async getHpa(namespace, name, signal) {
      const r = await orUndefined(readHpa(namespace, name, signal));
      return r?.hpa;
    },

    async listNodes(signal): Promise<K8sNode[]> {
      const list = await call('list nodes', (o) => core.listNode({}, o), signal);
      return parseItems(NodeSchema, list.items, 'V1Node', 'Node');
    },

    async listPodsOnNode(nodeName, signal): Promise<K8sPod[]> {
      const list = await call(`list pods on node ${nodeName}`, (o) => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }, o), signal);
      return parseItems(PodSchema, list.items, 'V1Pod', 'Pod');
    },

    async listServices(namespace, signal): Promise<K8sService[]> {
      const list = await call(`list services in ${namespace}`, (o) => core.listNamespacedService({ namespace }, o), signal);
      return parseItems(ServiceSchema, list.items, 'V1Service', 'Service');
    },

    async listTargetGroupBindings(namespace, signal): Promise<K8sTargetGroupBinding[]> {
      const body: unknown = await call(
        namespace === undefined ? 'list targetgroupbindings' : `list targetgroupbindings in ${namespace}`,
        (o) =>
          namespace === undefined
            ? custom.listClusterCustomObject({ group: TGB.group, version: TGB.version, plural: TGB.plural }, o)
            : custom.listNamespacedCustomObject({ group: TGB.group, version: TGB.version, namespace, plural: TGB.plural }, o),
        signal,
      );
      const list = parseWith(CustomObjectList, body, 'TargetGroupBindingList');
      return parseItems(TargetGroupBindingSchema, list.items, 'any', 'TargetGroupBinding');
    },

    async listNamespaces(signal): Promise<string[]> {
      const list = await call('list namespaces', (o) => core.listNamespace({}, o), signal);
      return list.items.map((n) => n.metadata?.name).filter((n): n is string => typeof n === 'string');
    },

    // -------------------------------------------------------------------------------------------
    // Mitigations

    async rollbackDeployment(namespace, name, toRevision, mopts): Promise<MutationResult> {
      if (!Number.isInteger(toRevision) || toRevision < 0) throw new AppError('bad_request', `unable to find specified revision ${toRevision} in history`);
      const d = await readDeploymentRaw(namespace, name);
      const dm = metaOf(d);
      const selector = labelSelectorString(get(d, 'spec', 'selector'));
      const list = await call(`list replicasets in ${namespace}`, (o) => apps.listNamespacedReplicaSet({ namespace, labelSelector: selector }, o));
      const owned = list.items.map((rs) => plain(rs, 'V1ReplicaSet')).filter((rs) => isControlledBy(rs, dm.uid));

      // deploymentRevision(): revision 0 = the second highest; otherwise the exact revision.
      let target: JsonObject | undefined;
      let targetRevision = -1;
      if (toRevision === 0) {
        let latest = -1;
        let latestRs: JsonObject | undefined;
        for (const rs of owned) {
          const v = revisionOf({ metadata: { annotations: stringAnnotations(rs) } });
          if (v === undefined) continue;
          if (latest < v) {
            targetRevision = latest;
            target = latestRs;
            latest = v;
            latestRs = rs;
          } else if (targetRevision < v) {
            targetRevision = v;
            target = rs;
          }
        }
        if (!target) throw new AppError('not_found', `no rollout history found for deployment "${name}"`, { details: { operation: 'rollback' } });
      } else {
        target = owned.find((rs) => revisionOf({ metadata: { annotations: stringAnnotations(rs) } }) === toRevision);
        if (!target) throw new AppError('not_found', `unable to find specified revision ${toRevision} in history`, { details: { operation: 'rollback' } });
        targetRevision = toRevision;
      }
      if (get(d, 'spec', 'paused') === true) throw new AppError('bad_request', 'you cannot rollback a paused deployment; resume it first');
      const template = get(target, 'spec', 'template');
      if (equalIgnoreHash(template, get(d, 'spec', 'template'))) {
        const noop: MutationResult = { before: d, after: d, diff: [], noop: `skipped rollback (current template already matches revision ${targetRevision})` };
        if (dm.resourceVersion !== undefined) noop.resourceVersion = dm.resourceVersion;
        return noop;
      }
      const restored = withoutHashLabel(template);
      const annotations: Record<string, string> = {};
      const depAnn = dm.annotations ?? {};
      for (const k of ROLLBACK_SKIPPED_ANNOTATIONS) {
        const v = depAnn[k];
        if (typeof v === 'string') annotations[k] = v;
      }
      for (const [k, v] of Object.entries(stringAnnotations(target))) if (!ROLLBACK_SKIPPED_ANNOTATIONS.includes(k)) annotations[k] = v;
      const ops: JsonObject[] = [];
      if (mopts.expectResourceVersion !== undefined) ops.push({ op: 'test', path: '/metadata/resourceVersion', value: mopts.expectResourceVersion });
      ops.push({ op: 'replace', path: '/spec/template', value: restored });
      // RFC 6902 `replace` needs the member to exist; a Deployment without annotations gets `add`.
      ops.push({ op: dm.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: annotations });
      const after = await mutate(
        `rollback deployment ${namespace}/${name} to revision ${targetRevision}`,
        (o) => apps.patchNamespacedDeployment({ name, namespace, body: ops, ...dryRunParam(mopts.dryRun) }, o),
        k8s.PatchStrategy.JsonPatch,
        mopts.expectResourceVersion,
        async () => metaOf(await readDeploymentRaw(namespace, name)).resourceVersion,
      );
      const afterPlain = plain(after, 'V1Deployment');
      return result(d, afterPlain, deploymentDiff(d, afterPlain), mopts.dryRun);
    },

    async scaleDeployment(namespace, name, replicas, mopts): Promise<MutationResult> {
      const beforeScale = plain(await call(`get deployment ${namespace}/${name} scale`, (o) => apps.readNamespacedDeploymentScale({ name, namespace }, o)), 'V1Scale');
      const before = parseWith(ScaleSchema, beforeScale, 'Scale');
      if (before.spec.replicas === replicas) {
        const noop: MutationResult = { before: beforeScale, after: beforeScale, diff: [], noop: `deployment ${namespace}/${name} already has ${replicas} replicas` };
        if (before.metadata.resourceVersion !== undefined) noop.resourceVersion = before.metadata.resourceVersion;
        return noop;
      }
      const body: JsonObject = { spec: { replicas } };
      if (mopts.expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: mopts.expectResourceVersion };
      const after = await mutate(
        `scale deployment ${namespace}/${name} to ${replicas}`,
        (o) => apps.patchNamespacedDeploymentScale({ name, namespace, body, ...dryRunParam(mopts.dryRun) }, o),
        k8s.PatchStrategy.MergePatch,
        mopts.expectResourceVersion,
      );
      const afterScale = plain(after, 'V1Scale');
      const a = parseWith(ScaleSchema, afterScale, 'Scale');
      const diff: DiffLine[] = before.spec.replicas !== a.spec.replicas ? [{ field: 'replicas', before: show(before.spec.replicas), after: show(a.spec.replicas) }] : [];
      return result(beforeScale, afterScale, diff, mopts.dryRun);
    },

    async patchHpa(namespace, name, change, mopts): Promise<MutationResult> {
      const read = await readHpa(namespace, name);
      const cur = read.hpa;
      const min = change.minReplicas ?? cur.minReplicas;
      const max = change.maxReplicas ?? cur.maxReplicas;
      for (const [k, v] of Object.entries(change)) {
        if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new AppError('bad_request', `${k} must be a whole number of at least 1 (got ${String(v)})`);
      }
      if (change.targetCPUUtilizationPercentage !== undefined && change.targetCPUUtilizationPercentage > 100) {
        throw new AppError('bad_request', `targetCPUUtilizationPercentage must be at most 100 (got ${change.targetCPUUtilizationPercentage})`);
      }
      if (min > max) throw new AppError('bad_request', `minReplicas (${min}) must not be greater than maxReplicas (${max})`);
      const spec: JsonObject = {};
      if (change.minReplicas !== undefined && change.minReplicas !== cur.minReplicas) spec['minReplicas'] = change.minReplicas;
      if (change.maxReplicas !== undefined && change.maxReplicas !== cur.maxReplicas) spec['maxReplicas'] = change.maxReplicas;
      const targetChanges = change.targetCPUUtilizationPercentage !== undefined && change.targetCPUUtilizationPercentage !== cur.targetCPUUtilizationPercentage;
      if (targetChanges && change.targetCPUUtilizationPercentage !== undefined) {
        if (read.version === 'v1') spec['targetCPUUtilizationPercentage'] = change.targetCPUUtilizationPercentage;
        else spec['metrics'] = withCpuTarget(get(read.raw, 'spec', 'metrics'), change.targetCPUUtilizationPercentage);
      }
      if (Object.keys(spec).length === 0) {
        const noop: MutationResult = { before: read.raw, after: read.raw, diff: [], noop: `horizontalpodautoscaler ${namespace}/${name} already has these bounds` };
        if (cur.metadata.resourceVersion !== undefined) noop.resourceVersion = cur.metadata.resourceVersion;
        return noop;
      }
      const body: JsonObject = { spec };
      if (mopts.expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: mopts.expectResourceVersion };
      const what = `patch horizontalpodautoscaler ${namespace}/${name}`;
      let afterRaw: JsonObject;
      let after: K8sHpa;
      if (read.version === 'v2') {
        afterRaw = plain(
          await mutate(what, (o) => hpaV2.patchNamespacedHorizontalPodAutoscaler({ name, namespace, body, ...dryRunParam(mopts.dryRun) }, o), k8s.PatchStrategy.MergePatch, mopts.expectResourceVersion),
          'V2HorizontalPodAutoscaler',
        );
        after = hpaFromV2(afterRaw);
      } else {
        afterRaw = plain(
          await mutate(what, (o) => hpaV1.patchNamespacedHorizontalPodAutoscaler({ name, namespace, body, ...dryRunParam(mopts.dryRun) }, o), k8s.PatchStrategy.MergePatch, mopts.expectResourceVersion),
          'V1HorizontalPodAutoscaler',
        );
        after = hpaFromV1(afterRaw);
      }
      return result(read.raw, afterRaw, hpaDiff(cur, after), mopts.dryRun);
    },

    async restartDeployment(namespace, name, at, mopts): Promise<MutationResult> {
      const d = await readDeploymentRaw(namespace, name);
      if (get(d, 'spec', 'paused') === true) throw new AppError('bad_request', `can't restart paused deployment (run rollout resume first)`);
      const body: JsonObject = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString().replace(/\.\d{3}Z$/, 'Z') } } } } };
      if (mopts.expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: mopts.expectResourceVersion };
      const after = await mutate(
        `restart deployment ${namespace}/${name}`,
        (o) => apps.patchNamespacedDeployment({ name, namespace, body, ...dryRunParam(mopts.dryRun) }, o),
        k8s.PatchStrategy.StrategicMergePatch,
        mopts.expectResourceVersion,
      );
      const afterPlain = plain(after, 'V1Deployment');
      return result(d, afterPlain, deploymentDiff(d, afterPlain), mopts.dryRun);
    },
  };

  /**
   * A write. With a pinned resourceVersion, a 409 (merge patches) means the object moved on. A
   * failed JSON Patch `test` answers 422 with a generic message that does not say which operation
   * failed, so on a 422 the object is read again: a different resourceVersion is the same stale
   * case. Both become AppError 'conflict' with details.stale=true (a pinned proposal went stale);
   * any other 422 stays 'bad_request'.
   */
  async function mutate<T>(
    operation: string,
    fn: (o: ConfigurationOptions) => Promise<T>,
    contentType: string,
    expectResourceVersion: string | undefined,
    currentResourceVersion?: () => Promise<string | undefined>,
  ): Promise<T> {
    try {
      return await call(operation, fn, undefined, contentType);
    } catch (e) {
      if (expectResourceVersion !== undefined && e instanceof AppError) {
        const d = e.details as K8sErrorDetails | undefined;
        let stale = d?.httpStatus === 409;
        let now: string | undefined;
        if (!stale && d?.httpStatus === 422 && currentResourceVersion) {
          now = await currentResourceVersion().catch(() => undefined);
          stale = now !== undefined && now !== expectResourceVersion;
        }
        if (stale) {
          const message = now !== undefined ? `${operation}: the object changed since the proposal (resourceVersion ${expectResourceVersion}, now ${now})` : `${operation}: ${e.message}`;
          throw new AppError('conflict', message, { cause: e, details: { ...d, stale: true, expectedResourceVersion: expectResourceVersion } });
        }
      }
      throw e;
    }
  }

  return port;
}

function stringAnnotations(o: unknown): Record<string, string> {
  const a = get(o, 'metadata', 'annotations');
  const out: Record<string, string> = {};
  if (isRecord(a)) for (const [k, v] of Object.entries(a)) if (typeof v === 'string') out[k] = v;
  return out;
}

function withCpuTarget(metrics: unknown, utilization: number): unknown[] {
  const list = Array.isArray(metrics) ? metrics.map((m) => structuredClone(m)) : [];
  const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } };
  const i = list.findIndex((m) => get(m, 'type') === 'Resource' && get(m, 'resource', 'name') === 'cpu' && get(m, 'resource', 'target', 'type') === 'Utilization');
  if (i >= 0) list[i] = cpu;
  else list.unshift(cpu);
  return list;
}

function result(before: JsonObject, after: JsonObject, diff: DiffLine[], dryRun: boolean): MutationResult {
  const out: MutationResult = { before, after, diff };
  const rv = dryRun ? metaOf(before).resourceVersion : metaOf(after).resourceVersion;
  if (rv !== undefined) out.resourceVersion = rv;
  return out;
}

