/**
 * Who the caller is and what it may do, answered from the emulator's RBAC-style forbid rules:
 * - `SelfSubjectAccessReview` (authorization.k8s.io/v1, `kubectl auth can-i`): allowed unless a
 *   forbid rule matches, the same rule that turns the request itself into a 403;
 * - `SelfSubjectReview` (authentication.k8s.io/v1, `kubectl auth whoami`): the user and its groups.
 */
import { clone, isRecord, rec, str, type JsonObject } from './json.js';
import type { FieldError } from './resources.js';

export interface ForbidRule {
  /** Kubernetes verb: get, list, watch, patch, update, create, delete. */
  verb: string;
  /** Resource plural, `deployments/scale` for a subresource, or `*`. */
  resource: string;
  namespace?: string;
}

export interface Attributes {
  verb: string;
  /** `deployments` or `deployments/scale`. */
  resource: string;
  /** Undefined: cluster scope, or every namespace. */
  namespace?: string;
}

/**
 * Whether a forbid rule covers the request. A question about every verb, every resource or every
 * namespace (`*`, or no namespace) is refused when any matching rule takes part of it away.
 */
export function forbiddenBy(rules: readonly ForbidRule[], a: Attributes): ForbidRule | undefined {
  return rules.find(
    (f) =>
      (a.verb === '*' || f.verb === a.verb) &&
      (a.resource === '*' || f.resource === '*' || f.resource === a.resource) &&
      (f.namespace === undefined || a.namespace === undefined || f.namespace === a.namespace),
  );
}

export type ReviewResult = { ok: true; body: JsonObject } | { ok: false; errors: FieldError[] };

/** The review of a SelfSubjectAccessReview body: spec copied, status filled in. */
export function accessReview(body: unknown, rules: readonly ForbidRule[]): ReviewResult {
  const spec = rec(rec(body)['spec']);
  const ra = spec['resourceAttributes'];
  const nra = spec['nonResourceAttributes'];
  if (isRecord(ra) === isRecord(nra)) {
    return { ok: false, errors: [{ field: 'spec.resourceAttributes', type: 'Invalid', value: ra ?? null, detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }] };
  }
  let allowed = true;
  if (isRecord(ra)) {
    const resource = str(ra['resource']) ?? '';
    const sub = str(ra['subresource']);
    const ns = str(ra['namespace']);
    const attrs: Attributes = { verb: str(ra['verb']) ?? '', resource: sub ? `${resource}/${sub}` : resource };
    if (ns) attrs.namespace = ns;
    allowed = forbiddenBy(rules, attrs) === undefined;
  }
  const status: JsonObject = { allowed };
  if (allowed) status['reason'] = 'allowed by the Kubernetes API emulator: no forbid rule matches';
  return { ok: true, body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec: clone(spec), status } };
}

/** The groups the API server gives a user: service accounts get theirs and their namespace's. */
function groupsOf(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  return sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1] ?? ''}`, 'system:authenticated'] : ['system:authenticated'];
}

export function selfSubjectReview(user: string, now: string): JsonObject {
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: now }, status: { userInfo: { username: user, groups: groupsOf(user) } } };
}
