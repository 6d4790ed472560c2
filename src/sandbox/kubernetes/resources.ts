/**
 * The API surface the emulator serves (group, versions, resource, kind, scope) and the `Status`
 * bodies the API server answers errors with.
 */
import type { JsonObject } from './json.js';

export interface ResourceDef {
  group: string;
  versions: readonly string[];
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Served subresources. */
  subresources: readonly string[];
  /** Whether spec changes bump metadata.generation. */
  generation: boolean;
  /** CRDs keep apiVersion/kind on list items; built-in lists strip them. */
  custom: boolean;
  /** Discovery: `kubectl get deploy` resolves through these. */
  shortNames: readonly string[];
  /** Discovery: `all` makes `kubectl get all` include the resource. */
  categories: readonly string[];
  /** Field selector labels the API server accepts for this kind (its field label conversion); anything else is a 400. */
  fieldLabels: readonly string[];
  /** A review (SelfSubjectAccessReview, SelfSubjectReview): answered on create, never stored. */
  review: boolean;
}

/** The verbs the emulator serves on a resource (discovery lists them, nothing more). */
export function verbsOf(def: ResourceDef): string[] {
  return def.review ? ['create'] : ['get', 'list', 'patch', 'watch'];
}

const NAME_NAMESPACE = ['metadata.name', 'metadata.namespace'];

const R = (
  d: Omit<ResourceDef, 'subresources' | 'generation' | 'custom' | 'shortNames' | 'categories' | 'fieldLabels' | 'review'> &
    Partial<Pick<ResourceDef, 'subresources' | 'generation' | 'custom' | 'shortNames' | 'categories' | 'fieldLabels' | 'review'>>,
): ResourceDef => ({
  subresources: [],
  generation: false,
  custom: false,
  shortNames: [],
  categories: [],
  fieldLabels: d.namespaced ? NAME_NAMESPACE : ['metadata.name'],
  review: false,
  ...d,
});

// Field labels as k8s.io/kubernetes pkg/apis/{core,apps}/v1/conversion.go registers them.
export const RESOURCES: readonly ResourceDef[] = [
  R({ group: '', versions: ['v1'], resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], fieldLabels: ['metadata.name', 'status.phase'] }),
  R({ group: '', versions: ['v1'], resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], fieldLabels: ['metadata.name', 'spec.unschedulable'] }),
  R({
    group: '',
    versions: ['v1'],
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    fieldLabels: [...NAME_NAMESPACE, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  }),
  R({
    group: '',
    versions: ['v1'],
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldLabels: [
      ...NAME_NAMESPACE,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  }),
  R({ group: '', versions: ['v1'], resource: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], fieldLabels: [...NAME_NAMESPACE, 'spec.clusterIP', 'spec.type'] }),
  R({ group: '', versions: ['v1'], resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  R({ group: 'apps', versions: ['v1'], resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, subresources: ['scale'], generation: true, shortNames: ['deploy'], categories: ['all'] }),
  R({ group: 'apps', versions: ['v1'], resource: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, generation: true, shortNames: ['rs'], categories: ['all'], fieldLabels: [...NAME_NAMESPACE, 'status.replicas'] }),
  R({ group: 'autoscaling', versions: ['v2', 'v1'], resource: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, generation: true, shortNames: ['hpa'], categories: ['all'] }),
  R({ group: 'elbv2.k8s.aws', versions: ['v1beta1'], resource: 'targetgroupbindings', singular: 'targetgroupbinding', kind: 'TargetGroupBinding', namespaced: true, generation: true, custom: true }),
  R({ group: 'authorization.k8s.io', versions: ['v1'], resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, review: true, fieldLabels: [] }),
  R({ group: 'authentication.k8s.io', versions: ['v1'], resource: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview', namespaced: false, review: true, fieldLabels: [] }),
];

/** A stored kind by Kind, plural or singular name (reviews are not stored). */
export function defByKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((d) => !d.review && (d.kind === kind || d.resource === kind || d.singular === kind.toLowerCase()));
}

export function defByResource(group: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((d) => d.group === group && d.resource === resource);
}

/** `deployments.apps`, `pods`: how the API server names a resource in messages. */
export function qualified(def: { group: string; resource: string }): string {
  return def.group === '' ? def.resource : `${def.resource}.${def.group}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

// ---------------------------------------------------------------------------------------------
// Status bodies

export interface StatusBody extends JsonObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: JsonObject;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: JsonObject;
}

export function statusBody(code: number, reason: string, message: string, details?: JsonObject): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) body.details = details;
  return body;
}

export function notFound(def: { group: string; resource: string }, name: string): StatusBody {
  return statusBody(404, 'NotFound', `${qualified(def)} "${name}" not found`, { name, group: def.group, kind: def.resource });
}

/** The path is not served at all (unknown group/version/resource). */
export function pathNotFound(): StatusBody {
  return statusBody(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function conflict(def: { group: string; resource: string }, name: string): StatusBody {
  return statusBody(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: def.group, kind: def.resource },
  );
}

export interface FieldError {
  field: string;
  type: 'Invalid' | 'Required';
  value?: unknown;
  detail?: string;
}

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function fieldErrorText(e: FieldError): string {
  if (e.type === 'Required') return `Required value${e.detail ? `: ${e.detail}` : ''}`;
  return `Invalid value: ${goValue(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
}

/** 422 Invalid, worded as apimachinery's NewInvalid. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusBody {
  const parts = errors.map((e) => `${e.field}: ${fieldErrorText(e)}`);
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const list = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return statusBody(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type === 'Required' ? 'FieldValueRequired' : 'FieldValueInvalid', message: fieldErrorText(e), field: e.field })),
  });
}

/**
 * 422 from a JSON Patch that does not apply (a failed `test`, a missing path). The API server uses
 * NewGenericServerResponse(422, ..., isUnexpectedResponse=false): a generic message and empty
 * details, so the operation that failed cannot be read off the reply.
 */
export function patchNotApplied(): StatusBody {
  return statusBody(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

export function forbidden(input: { user: string; verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }): StatusBody {
  const res = input.subresource ? `${input.resource}/${input.subresource}` : input.resource;
  const q = qualified({ group: input.group, resource: input.resource });
  const subject = input.name !== undefined ? `${q} "${input.name}"` : q;
  const scope = input.namespace !== undefined ? `in the namespace "${input.namespace}"` : 'at the cluster scope';
  const details: JsonObject = { group: input.group, kind: input.resource };
  if (input.name !== undefined) details['name'] = input.name;
  return statusBody(403, 'Forbidden', `${subject} is forbidden: User "${input.user}" cannot ${input.verb} resource "${res}" in API group "${input.group}" ${scope}`, details);
}
