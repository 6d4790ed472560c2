/**
 * Kubernetes API emulator: a plain HTTP server speaking the part of the Kubernetes REST API that
 * warroom and a person with kubectl use: reads of pods, events, nodes, services, namespaces,
 * deployments, replicasets, HPAs in autoscaling/v1 and v2, TargetGroupBindings; patches of
 * deployments, their scale subresource and HPAs; watches; discovery (legacy and aggregated, with
 * short names); Table responses; SelfSubjectAccessReview and SelfSubjectReview. With the API
 * server's behaviours that matter to a careful client: defaulting on every write, resourceVersion
 * preconditions (409), JSON Patch `test` (422), validation (422), server-side dry run, field
 * selectors limited to what each resource supports (400), RBAC-style refusals (403) and `Status`
 * error bodies. A small deployment controller makes rollouts happen.
 *
 * Point `@kubernetes/client-node` at it with `kc.loadFromOptions(emulator.kubeConfigOptions)`, and
 * kubectl with the file `emulator.writeKubeconfig(path)` writes. docs/sandbox.md lists what it
 * answers and where it still differs from a real API server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { DeploymentController, type PodBehaviour } from './controller.js';
import { applyDefaults } from './defaults.js';
import { discovery } from './discovery.js';
import { defaultV2, fromV1, toV1, validateHpa } from './hpa.js';
import { child, clone, isRecord, jsonEqual, num, rec, str, strMap, type JsonObject } from './json.js';
import { writeKubeconfigFile, type KubeConfigOptions } from './kubeconfig.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from './patch.js';
import {
  apiVersionOf,
  conflict,
  defByKind,
  defByResource,
  forbidden,
  invalid,
  notFound,
  pathNotFound,
  patchNotApplied,
  statusBody,
  type FieldError,
  type ResourceDef,
  type StatusBody,
} from './resources.js';
import { accessReview, forbiddenBy, selfSubjectReview, type ForbidRule } from './reviews.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError, selectorString, supportedFields, type FieldRequirement, type Requirement } from './selectors.js';
import { decodeReview, PROTOBUF } from './protobuf.js';
import { k8sTime, ObjectStore, type EmulatorClock } from './store.js';
import { parseIncludeObject, TABLE_CONTENT_TYPE, toTable, wantsTable, type IncludeObject } from './tables.js';
import { serveWatch } from './watch.js';

export type { PodBehaviour } from './controller.js';
export type { ForbidRule } from './reviews.js';
export type { KubeConfigOptions } from './kubeconfig.js';

export interface RecordedRequest {
  method: string;
  verb: string;
  path: string;
  query: Record<string, string>;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
  fieldManager?: string;
  contentType?: string;
  body?: unknown;
  status: number;
}

export interface FailSpec {
  status: number;
  reason?: string;
  message?: string;
  /** Only requests with this verb / resource (`deployments`, `deployments/scale`) / name. */
  verb?: string;
  resource?: string;
  name?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Sends `Retry-After` (429). */
  retryAfterSeconds?: number;
}

/**
 * A slow request, for fault tests (a process killed while its write is in flight). `before`: the
 * request is held before it is processed, and dropped unprocessed when the client went away
 * meanwhile (the API server cancels a request whose client disconnected before it reached storage);
 * `after`: processed at once (the write lands), the answer held.
 */
export interface SlowSpec {
  verb?: string;
  resource?: string;
  name?: string;
  /** Only dry runs (true) or only real writes (false). */
  dryRun?: boolean;
  ms: number;
  phase: 'before' | 'after';
  /** How many matching requests are slow (default 1). */
  times?: number;
}

export interface KubernetesEmulatorOptions {
  /** Raw Kubernetes objects (apiVersion, kind, metadata, spec, status). */
  objects: unknown[];
  /** How pods of an image behave when the controller starts them (default healthy). */
  behaviour?: Record<string, PodBehaviour>;
  port?: number;
  /** Delay before every response. */
  latencyMs?: number;
  forbid?: ForbidRule[];
  clock?: EmulatorClock;
  /** Time a rollout takes from spec change to settled (default 1500 ms). */
  rolloutMs?: number;
  /** autoscaling versions served (default both; ['v1'] emulates an old cluster). */
  hpaVersions?: ('v1' | 'v2')[];
  /** When set, requests must carry `Authorization: Bearer <token>` (default token: "warroom-emulator", not enforced). */
  token?: string;
  /** The user named in 403 messages and in SelfSubjectReview. */
  user?: string;
  /** Bookmark interval of watches that allow bookmarks (default 60 s). */
  bookmarkEveryMs?: number;
}

export interface KubernetesEmulator {
  url: string;
  port: number;
  kubeConfigOptions: KubeConfigOptions;
  /** Every request served, in order. */
  readonly requests: RecordedRequest[];
  /** Copies of the stored objects of a kind (`Deployment`, `deployments`); HPAs in autoscaling/v2. */
  objects(kind: string): JsonObject[];
  /** A copy of one stored object. */
  get(kind: string, namespace: string | undefined, name: string): JsonObject | undefined;
  /** Creates or replaces an object as a controller or kubectl apply would (bumps resourceVersion). */
  upsert(obj: unknown): JsonObject;
  /** Makes the next matching request(s) fail with a Status of this code. */
  failNext(spec: FailSpec): void;
  /** Makes the next matching request(s) slow (SlowSpec). */
  slowNext(spec: SlowSpec): void;
  /** Writes a kubeconfig file for kubectl (mode 0600); `namespace` becomes the context's default namespace. */
  writeKubeconfig(file: string, opts?: { namespace?: string }): void;
  /** Resolves once no rollout step is pending (bounded by timeoutMs, default 10 s). */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const ObjectInput = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

const USER_DEFAULT = 'system:serviceaccount:warroom:warroom';
const SERVER_VERSION: JsonObject = { major: '1', minor: '34', gitVersion: 'v1.34.0-warroom-emulator', gitCommit: '', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.24', compiler: 'gc', platform: 'linux/amd64' };
const MAX_BODY = 3 * 1024 * 1024;

class HttpError extends Error {
  constructor(readonly body: StatusBody) {
    super(body.message);
  }
}

interface Route {
  group: string;
  version: string;
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(statusBody(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startKubernetesEmulator(options: KubernetesEmulatorOptions): Promise<KubernetesEmulator> {
  const clock: EmulatorClock = options.clock ?? { now: () => new Date() };
  const store = new ObjectStore(clock);
  const hpaVersions = options.hpaVersions ?? ['v2', 'v1'];
  const user = options.user ?? USER_DEFAULT;
  const token = options.token ?? 'warroom-emulator';
  const enforceToken = options.token !== undefined;
  const controller = new DeploymentController({ store, behaviour: options.behaviour ?? {}, rolloutMs: options.rolloutMs ?? 1500 });
  const requests: RecordedRequest[] = [];
  const failures: (FailSpec & { left: number })[] = [];
  const slows: (SlowSpec & { left: number })[] = [];

  const servedVersions = (def: ResourceDef): readonly string[] => (def.group === 'autoscaling' ? def.versions.filter((v) => (hpaVersions as string[]).includes(v)) : def.versions);

  // ------------------------------------------------------------------------------------------
  // Loading and storage form

  function toStorage(def: ResourceDef, obj: JsonObject, previous?: JsonObject): JsonObject {
    if (def.kind === 'HorizontalPodAutoscaler') {
      return str(obj['apiVersion']) === 'autoscaling/v1' ? fromV1(obj, previous) : defaultV2(obj);
    }
    return obj;
  }

  function upsert(raw: unknown): JsonObject {
    const parsed = ObjectInput.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid Kubernetes object: ${parsed.error.message}`);
    const obj = clone(parsed.data) as JsonObject;
    const def = defByKind(parsed.data.kind);
    if (!def) throw new Error(`the emulator does not serve kind ${parsed.data.kind}`);
    const md = child(obj, 'metadata');
    if (def.namespaced) md['namespace'] = str(md['namespace']) ?? 'default';
    else delete md['namespace'];
    obj['apiVersion'] = str(obj['apiVersion']) ?? apiVersionOf(def.group, def.versions[0] ?? 'v1');
    obj['kind'] = def.kind;
    if (def.generation && num(md['generation']) === undefined) md['generation'] = 1;
    const ns = str(md['namespace']);
    const previous = store.get(def.resource, ns, str(md['name']) ?? '');
    const stored = store.put(def.resource, toStorage(def, obj, previous));
    if (ns !== undefined && !store.get('namespaces', undefined, ns)) {
      store.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }
    return clone(stored);
  }

  for (const o of options.objects) upsert(o);
  completeLoadedWorld();

  /**
   * What a running cluster always has and a hand-written world may leave out: a running pod has its
   * IPs, and an event names its object's uid (`kubectl describe` finds events by uid).
   */
  function completeLoadedWorld(): void {
    for (const pod of store.list('pods')) {
      const status = rec(pod['status']);
      if (status['phase'] !== 'Running' || str(status['podIP'])) continue;
      const copy = clone(pod);
      controller.assignAddresses(copy);
      store.put('pods', copy);
    }
    for (const ev of store.list('events')) {
      const inv = rec(ev['involvedObject']);
      const def = str(inv['kind']) !== undefined ? defByKind(str(inv['kind']) ?? '') : undefined;
      if (!def || str(inv['uid'])) continue;
      const target = store.get(def.resource, def.namespaced ? (str(inv['namespace']) ?? str(rec(ev['metadata'])['namespace'])) : undefined, str(inv['name']) ?? '');
      const uid = str(rec(target?.['metadata'])['uid']);
      if (uid === undefined) continue;
      const copy = clone(ev);
      child(copy, 'involvedObject')['uid'] = uid;
      store.put('events', copy);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Views

  /** The stored object as served in `version`. */
  function view(def: ResourceDef, version: string, stored: JsonObject): JsonObject {
    if (def.kind === 'HorizontalPodAutoscaler') return version === 'v1' ? toV1(stored) : clone(stored);
    const out = clone(stored);
    out['apiVersion'] = apiVersionOf(def.group, version);
    out['kind'] = def.kind;
    return out;
  }

  function scaleView(d: JsonObject): JsonObject {
    const md = rec(d['metadata']);
    const spec = rec(d['spec']);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: md['name'], namespace: md['namespace'], uid: md['uid'], resourceVersion: md['resourceVersion'], creationTimestamp: md['creationTimestamp'] },
      spec: { replicas: num(spec['replicas']) ?? 1 },
      status: { replicas: num(rec(d['status'])['replicas']) ?? 0, selector: selectorString(strMap(rec(spec['selector'])['matchLabels'])) },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Validation

  function validate(def: ResourceDef, obj: JsonObject, name: string): void {
    const errors: FieldError[] = [];
    if (def.kind === 'Deployment') {
      const spec = rec(obj['spec']);
      const replicas = spec['replicas'];
      if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
        errors.push({ field: 'spec.replicas', type: 'Invalid', value: replicas, detail: 'must be greater than or equal to 0' });
      }
      const template = rec(spec['template']);
      const containers = rec(template['spec'])['containers'];
      if (!Array.isArray(containers) || containers.length === 0) errors.push({ field: 'spec.template.spec.containers', type: 'Required' });
      else
        containers.forEach((c, i) => {
          if (!str(rec(c)['name'])) errors.push({ field: `spec.template.spec.containers[${i}].name`, type: 'Required' });
          if (!str(rec(c)['image'])) errors.push({ field: `spec.template.spec.containers[${i}].image`, type: 'Required' });
        });
      const selector = strMap(rec(spec['selector'])['matchLabels']);
      const labels = strMap(rec(template['metadata'])['labels']);
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) {
        errors.push({ field: 'spec.template.metadata.labels', type: 'Invalid', value: labels, detail: '`selector` does not match template `labels`' });
      }
      if (errors.length > 0) throw new HttpError(invalid('Deployment', 'apps', name, errors));
    } else if (def.kind === 'HorizontalPodAutoscaler') {
      const errs = validateHpa(obj);
      if (errs.length > 0) throw new HttpError(invalid('HorizontalPodAutoscaler', 'autoscaling', name, errs.map((e) => ({ ...e, type: 'Invalid' as const }))));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Routing

  function parseRoute(parts: string[]): Route | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      group = '';
      version = parts[1] ?? '';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1] ?? '';
      version = parts[2] ?? '';
      rest = parts.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    let resource: string | undefined;
    let name: string | undefined;
    let subresource: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      [resource, name, subresource] = rest.slice(2);
      if (rest.length > 5) return undefined;
    } else {
      [resource, name, subresource] = rest;
      if (rest.length > 3) return undefined;
    }
    if (!resource) return undefined;
    const def = defByResource(group, resource);
    if (!def || !servedVersions(def).includes(version)) return undefined;
    if (namespace !== undefined && !def.namespaced) return undefined;
    if (namespace === undefined && def.namespaced && name !== undefined) return undefined;
    if (subresource !== undefined && !def.subresources.includes(subresource)) return undefined;
    const route: Route = { group, version, def };
    if (namespace !== undefined) route.namespace = namespace;
    if (name !== undefined) route.name = name;
    if (subresource !== undefined) route.subresource = subresource;
    return route;
  }

  function verbOf(method: string, route: Route | undefined, query: Record<string, string>): string {
    switch (method) {
      case 'GET':
        if (route?.name === undefined) return query['watch'] === 'true' || query['watch'] === '1' ? 'watch' : 'list';
        return 'get';
      case 'PATCH':
        return 'patch';
      case 'PUT':
        return 'update';
      case 'POST':
        return 'create';
      case 'DELETE':
        return route?.name === undefined ? 'deletecollection' : 'delete';
      default:
        return method.toLowerCase();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Handlers

  function getStored(route: Route): JsonObject {
    const stored = store.get(route.def.resource, route.namespace, route.name ?? '');
    if (!stored) throw new HttpError(notFound(route.def, route.name ?? ''));
    return stored;
  }

  function handleGet(route: Route): JsonObject {
    const stored = getStored(route);
    return route.subresource === 'scale' ? scaleView(stored) : view(route.def, route.version, stored);
  }

  /** Label and field selectors of a list or watch; a field the resource does not support is a 400, as the API server answers. */
  function selectors(route: Route, query: Record<string, string>): { labels: Requirement[]; fields: FieldRequirement[] } {
    try {
      const labels = query['labelSelector'] ? parseLabelSelector(query['labelSelector']) : [];
      const fields = query['fieldSelector'] ? supportedFields(parseFieldSelector(query['fieldSelector']), route.def.resource, route.def.fieldLabels) : [];
      return { labels, fields };
    } catch (e) {
      if (e instanceof SelectorError) throw new HttpError(statusBody(400, 'BadRequest', e.message));
      throw e;
    }
  }

  function handleList(route: Route, query: Record<string, string>): JsonObject {
    const { labels, fields } = selectors(route, query);
    const items = store
      .list(route.def.resource, route.namespace)
      .filter((o) => matchesLabels(labels, strMap(rec(o['metadata'])['labels'])))
      .filter((o) => matchesFields(fields, o))
      .map((o) => {
        const v = view(route.def, route.version, o);
        if (!route.def.custom) {
          delete v['apiVersion'];
          delete v['kind'];
        }
        return v;
      });
    return { kind: `${route.def.kind}List`, apiVersion: apiVersionOf(route.group, route.version), metadata: { resourceVersion: store.currentRevision() }, items };
  }

  /** A get or list answered as a Table: items in the served version, cells as the API server prints them. */
  function asTable(route: Route, body: JsonObject, includeObject: IncludeObject): JsonObject {
    const list = Array.isArray(body['items']);
    const items = list ? (body['items'] as unknown[]).filter(isRecord) : [body];
    const resourceVersion = str(rec(body['metadata'])['resourceVersion']);
    return toTable(route.def, route.version, items, { now: clock.now(), includeObject, ...(resourceVersion !== undefined ? { resourceVersion } : {}) });
  }

  /** A review's body: JSON, or the protobuf kubectl's typed clients send. */
  function decodeCreate(contentType: string | undefined, bytes: Buffer): unknown {
    try {
      return contentType === PROTOBUF ? decodeReview(bytes) : JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new HttpError(statusBody(400, 'BadRequest', `error decoding the request body: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  function handleCreate(route: Route, body: unknown): JsonObject {
    if (!route.def.review || route.name !== undefined) throw new HttpError(statusBody(405, 'MethodNotAllowed', `the emulator does not support create on ${route.def.resource}`));
    if (route.def.kind === 'SelfSubjectReview') return selfSubjectReview(user, k8sTime(clock.now()));
    const review = accessReview(body, options.forbid ?? []);
    if (!review.ok) throw new HttpError(invalid(route.def.kind, route.def.group, '', review.errors));
    return review.body;
  }

  function handlePatch(route: Route, contentType: string, rawBody: string, dryRun: boolean): JsonObject {
    const name = route.name ?? '';
    const def = route.def;
    const stored = store.get(def.resource, route.namespace, name);
    if (!stored) throw new HttpError(notFound(def, name));
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch (e) {
      throw new HttpError(statusBody(400, 'BadRequest', `error decoding patch: ${e instanceof Error ? e.message : String(e)}`));
    }
    const current = route.subresource === 'scale' ? scaleView(stored) : view(def, route.version, stored);
    let patched: unknown;
    try {
      if (contentType === 'application/json-patch+json') patched = applyJsonPatch(current, patch);
      else if (contentType === 'application/merge-patch+json') patched = applyMergePatch(current, patch);
      else if (contentType === 'application/strategic-merge-patch+json' && !def.custom) patched = applyStrategicMergePatch(current, patch);
      else {
        throw new HttpError(
          statusBody(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${def.custom ? '' : ', application/strategic-merge-patch+json'}`),
        );
      }
    } catch (e) {
      if (e instanceof PatchError) {
        throw new HttpError(e.kind === 'invalid' ? patchNotApplied() : statusBody(400, 'BadRequest', e.message));
      }
      throw e;
    }
    if (!isRecord(patched)) throw new HttpError(statusBody(400, 'BadRequest', 'the patched object is not a JSON object'));
    const pmd = child(patched, 'metadata');
    const smd = rec(stored['metadata']);
    const precondition = str(pmd['resourceVersion']);
    if (precondition !== undefined && precondition !== '' && precondition !== str(smd['resourceVersion'])) throw new HttpError(conflict(def, name));
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'resourceVersion', 'generation']) {
      if (smd[k] === undefined) delete pmd[k];
      else pmd[k] = smd[k];
    }
    patched['apiVersion'] = current['apiVersion'];
    patched['kind'] = current['kind'];

    let next: JsonObject;
    if (route.subresource === 'scale') {
      const replicas = rec(patched['spec'])['replicas'];
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw new HttpError(invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', type: 'Invalid', value: replicas ?? null, detail: 'must be greater than or equal to 0' }]));
      }
      next = clone(stored);
      child(next, 'spec')['replicas'] = replicas;
    } else {
      next = def.kind === 'HorizontalPodAutoscaler' ? (route.version === 'v1' ? fromV1(patched, stored) : defaultV2(patched)) : patched;
      if (def.kind !== 'HorizontalPodAutoscaler') next['apiVersion'] = stored['apiVersion'];
    }
    // The API server defaults before it validates; the dry run and the no-change check see the defaulted object.
    applyDefaults(def.resource, next);
    validate(def, next, name);
    const render = (o: JsonObject): JsonObject => (route.subresource === 'scale' ? scaleView(o) : view(def, route.version, o));
    if (jsonEqual(next, stored)) return render(stored);
    const specChanged = !jsonEqual(next['spec'], stored['spec']);
    if (specChanged && def.generation) child(next, 'metadata')['generation'] = (num(smd['generation']) ?? 0) + 1;
    if (dryRun) return render(next);
    const written = store.put(def.resource, next);
    if (def.kind === 'Deployment' && specChanged) controller.deploymentChanged(route.namespace ?? '', name);
    return render(written);
  }

  // ------------------------------------------------------------------------------------------
  // Server

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const parts = url.pathname.split('/').filter((p) => p.length > 0).map(decodeURIComponent);
    const method = (req.method ?? 'GET').toUpperCase();
    const accept = req.headers.accept ?? '';
    let bytes: Buffer = Buffer.alloc(0);
    try {
      if (method !== 'GET') bytes = await readBody(req);
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, e.body.code, e.body);
        return;
      }
      throw e;
    }
    if (options.latencyMs) await sleep(options.latencyMs);
    const route = parseRoute(parts);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() || undefined;
    // Unserved paths are still recorded with what their URL says.
    const guess = parts[0] === 'api' ? { group: '', version: parts[1] ?? '' } : parts[0] === 'apis' ? { group: parts[1] ?? '', version: parts[2] ?? '' } : { group: '', version: '' };
    const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
    const guessResource = (rest[0] === 'namespaces' && rest.length >= 3 ? rest[2] : rest[0]) ?? '';
    const rec0: RecordedRequest = {
      method,
      verb: verbOf(method, route, query),
      path: url.pathname,
      query,
      group: route?.group ?? guess.group,
      version: route?.version ?? guess.version,
      resource: route?.def.resource ?? guessResource,
      dryRun: query['dryRun'] === 'All',
      status: 0,
    };
    if (route?.subresource !== undefined) rec0.subresource = route.subresource;
    if (route?.namespace !== undefined) rec0.namespace = route.namespace;
    if (route?.name !== undefined) rec0.name = route.name;
    if (query['fieldManager'] !== undefined) rec0.fieldManager = query['fieldManager'];
    if (contentType !== undefined && method !== 'GET') rec0.contentType = contentType;
    const rawBody = contentType === PROTOBUF ? '' : bytes.toString('utf8');
    if (rawBody) {
      try {
        rec0.body = JSON.parse(rawBody);
      } catch {
        rec0.body = rawBody;
      }
    }
    requests.push(rec0);
    const resourceOf = rec0.subresource ? `${rec0.resource}/${rec0.subresource}` : rec0.resource;
    const slow = slows.find((x) => x.left > 0 && (x.verb === undefined || x.verb === rec0.verb) && (x.resource === undefined || x.resource === resourceOf) && (x.name === undefined || x.name === rec0.name) && (x.dryRun === undefined || x.dryRun === rec0.dryRun));
    if (slow) slow.left -= 1;
    let gone = false;
    res.once('close', () => {
      if (!res.writableFinished) gone = true;
    });
    if (slow?.phase === 'before') {
      await sleep(slow.ms);
      if (gone) {
        rec0.status = 499;
        return;
      }
    }
    const reply = (status: number, body: unknown, headers?: Record<string, string>): void => {
      rec0.status = status;
      if (slow?.phase === 'after') void sleep(slow.ms).then(() => (gone ? undefined : send(res, status, body, headers)));
      else send(res, status, body, headers);
    };
    try {
      if (enforceToken && req.headers.authorization !== `Bearer ${token}`) throw new HttpError(statusBody(401, 'Unauthorized', 'Unauthorized'));
      const resourcePath = rec0.subresource ? `${rec0.resource}/${rec0.subresource}` : rec0.resource;
      const failure = failures.find(
        (f) => f.left > 0 && (f.verb === undefined || f.verb === rec0.verb) && (f.resource === undefined || f.resource === resourcePath) && (f.name === undefined || f.name === rec0.name),
      );
      if (failure) {
        failure.left -= 1;
        const reason = failure.reason ?? (failure.status === 429 ? 'TooManyRequests' : failure.status >= 500 ? 'InternalError' : 'BadRequest');
        const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
        reply(failure.status, statusBody(failure.status, reason, failure.message ?? `injected failure (${failure.status})`), headers);
        return;
      }
      if (!route) {
        const d = method === 'GET' ? discovery(parts, accept, servedVersions, SERVER_VERSION) : undefined;
        if (d) reply(200, d.body, d.contentType ? { 'Content-Type': d.contentType } : {});
        else reply(404, pathNotFound());
        return;
      }
      const attrs: Parameters<typeof forbiddenBy>[1] = { verb: rec0.verb, resource: resourcePath };
      if (route.namespace !== undefined) attrs.namespace = route.namespace;
      if (!route.def.review && forbiddenBy(options.forbid ?? [], attrs)) {
        const input: Parameters<typeof forbidden>[0] = { user, verb: rec0.verb, group: route.group, resource: route.def.resource };
        if (route.subresource !== undefined) input.subresource = route.subresource;
        if (route.namespace !== undefined) input.namespace = route.namespace;
        if (route.name !== undefined) input.name = route.name;
        throw new HttpError(forbidden(input));
      }
      if (query['dryRun'] !== undefined && query['dryRun'] !== 'All') {
        throw new HttpError(statusBody(400, 'BadRequest', `Invalid dry run value: ${query['dryRun']}`));
      }
      if (route.def.review && rec0.verb !== 'create') throw new HttpError(statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
      const table = wantsTable(accept) && route.subresource === undefined && !route.def.review;
      const includeObject = parseIncludeObject(query['includeObject']);
      if (table && includeObject === undefined) throw new HttpError(statusBody(400, 'BadRequest', `includeObject: Unsupported value: "${query['includeObject'] ?? ''}": supported values: "None", "Metadata", "Object"`));
      const answer = (body: JsonObject): void => {
        if (table && includeObject !== undefined) reply(200, asTable(route, body, includeObject), { 'Content-Type': TABLE_CONTENT_TYPE });
        else reply(200, body);
      };
      switch (rec0.verb) {
        case 'get':
          answer(handleGet(route));
          return;
        case 'list':
          answer(handleList(route, query));
          return;
        case 'watch': {
          const { labels, fields } = selectors(route, query);
          rec0.status = 200;
          await serveWatch(
            res,
            {
              def: route.def,
              version: route.version,
              ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
              labels,
              fields,
              query,
              ...(table && includeObject !== undefined ? { table: { includeObject } } : {}),
            },
            { store, view: (o) => view(route.def, route.version, o), now: () => clock.now(), bookmarkEveryMs: options.bookmarkEveryMs ?? 60_000 },
          );
          return;
        }
        case 'patch':
          reply(200, handlePatch(route, contentType ?? '', rawBody, rec0.dryRun));
          return;
        case 'create': {
          const body = decodeCreate(contentType, bytes);
          rec0.body = body;
          reply(201, handleCreate(route, body));
          return;
        }
        default:
          throw new HttpError(statusBody(405, 'MethodNotAllowed', `the emulator does not support ${rec0.verb} on ${resourcePath}`));
      }
    } catch (e) {
      if (res.headersSent) res.end();
      else if (e instanceof HttpError) reply(e.body.code, e.body);
      else reply(500, statusBody(500, 'InternalError', `emulator error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, statusBody(500, 'InternalError', e instanceof Error ? e.message : String(e)));
      else res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const kubeConfigOptions: KubeConfigOptions = {
    clusters: [{ name: 'emulator', server: url, skipTLSVerify: true }],
    users: [{ name: 'warroom', token }],
    contexts: [{ name: 'emulator', cluster: 'emulator', user: 'warroom' }],
    currentContext: 'emulator',
  };

  return {
    url,
    port,
    kubeConfigOptions,
    requests,
    objects(kind: string): JsonObject[] {
      const def = defByKind(kind);
      if (!def) throw new Error(`unknown kind ${kind}`);
      return store.list(def.resource).map((o) => clone(o));
    },
    get(kind: string, namespace: string | undefined, name: string): JsonObject | undefined {
      const def = defByKind(kind);
      if (!def) throw new Error(`unknown kind ${kind}`);
      const o = store.get(def.resource, def.namespaced ? namespace : undefined, name);
      return o ? clone(o) : undefined;
    },
    upsert,
    slowNext(spec: SlowSpec): void {
      slows.push({ ...spec, left: spec.times ?? 1 });
    },
    failNext(spec: FailSpec): void {
      failures.push({ ...spec, left: spec.times ?? 1 });
    },
    writeKubeconfig(file: string, opts: { namespace?: string } = {}): void {
      writeKubeconfigFile(file, kubeConfigOptions, opts.namespace);
    },
    async settle(timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (controller.busy) {
        if (Date.now() > deadline) throw new Error('the emulator did not settle in time');
        await sleep(10);
      }
    },
    async stop(): Promise<void> {
      controller.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export { k8sTime };
