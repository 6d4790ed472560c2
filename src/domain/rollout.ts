/**
 * Pure Kubernetes rollout helpers: `kubectl rollout status` semantics, template comparison as
 * `kubectl rollout undo` does it, and resource quantity parsing. No I/O, no SDK types: the shapes
 * below are structural, so the port's K8sDeployment fits them.
 */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** appsv1.DefaultDeploymentUniqueLabelKey */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/**
 * Annotations `kubectl rollout undo` keeps from the Deployment instead of copying them from the
 * ReplicaSet (kubectl `pkg/polymorphichelpers/rollback.go` annotationsToSkip). The deployment
 * controller uses the same list when it copies Deployment annotations onto a ReplicaSet.
 */
export const ROLLBACK_SKIPPED_ANNOTATIONS: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

export interface RolloutCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The part of a Deployment that rollout status reads. */
export interface RolloutDeployment {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: RolloutCondition[];
  };
}

export interface RolloutStatus {
  /** Successfully rolled out. */
  done: boolean;
  /** Will not finish by itself (progress deadline exceeded, or another revision is running). */
  failed: boolean;
  message: string;
}

/**
 * Revision of a Deployment or ReplicaSet from its `deployment.kubernetes.io/revision` annotation:
 * missing -> 0 (as deploymentutil.Revision), unparsable -> undefined.
 */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number | undefined {
  const v = obj.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  if (!/^-?\d+$/.test(v.trim())) return undefined;
  return Number.parseInt(v, 10);
}

/**
 * `kubectl rollout status deployment/<name> [--revision N]` for one observation
 * (kubectl `pkg/polymorphichelpers/rollout_status.go` DeploymentStatusViewer.Status).
 */
export function rolloutStatus(d: RolloutDeployment, revision?: number): RolloutStatus {
  const name = d.metadata.name;
  if (revision !== undefined && revision > 0) {
    const current = revisionOf(d);
    if (current === undefined) return { done: false, failed: true, message: `cannot get the revision of deployment "${name}"` };
    if (current !== revision) {
      return { done: false, failed: true, message: `desired revision (${revision}) is different from the running revision (${current})` };
    }
  }
  const generation = d.metadata.generation ?? 0;
  const st = d.status ?? {};
  const observed = st.observedGeneration ?? 0;
  if (generation <= observed) {
    const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
    }
    const updated = st.updatedReplicas ?? 0;
    const replicas = st.replicas ?? 0;
    const available = st.availableReplicas ?? 0;
    if (d.spec.replicas !== undefined && updated < d.spec.replicas) {
      return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${d.spec.replicas} new replicas have been updated...` };
    }
    if (replicas > updated) {
      return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
    }
    if (available < updated) {
      return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
    }
    return { done: true, failed: false, message: `deployment "${name}" successfully rolled out` };
  }
  return { done: false, failed: false, message: 'Waiting for deployment spec update to be observed...' };
}

// ---------------------------------------------------------------------------------------------
// Template comparison

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isPlainRecord(v) && Object.values(v).every(isEmpty));
}

/**
 * apimachinery semantic equality as far as JSON shows it: an absent field, null, an empty map
 * and an empty list are equal (Go's nil vs empty); everything else compares exactly.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isPlainRecord(a) && isPlainRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** A copy of a pod template (plain JSON) without the `pod-template-hash` label. */
export function withoutHashLabel<T>(template: T): T {
  const copy = structuredClone(template);
  if (isPlainRecord(copy)) {
    const md = copy['metadata'];
    if (isPlainRecord(md)) {
      const labels = md['labels'];
      if (isPlainRecord(labels)) delete labels[POD_TEMPLATE_HASH_LABEL];
    }
  }
  return copy;
}

/** deploymentutil.EqualIgnoreHash: two pod templates equal once `pod-template-hash` is dropped. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return semanticEqual(withoutHashLabel(a), withoutHashLabel(b));
}

// ---------------------------------------------------------------------------------------------
// Quantities (k8s.io/apimachinery/pkg/api/resource)

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/**
 * A Kubernetes quantity as a plain number ('1500m' -> 1.5, '2.5Gi' -> 2684354560, '1e3' -> 1000).
 * Undefined when the text is not a quantity. Numbers pass through.
 */
export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number.parseFloat(m[1] ?? '');
  if (!Number.isFinite(base)) return undefined;
  if (m[2] !== undefined) return base * 10 ** Number.parseInt(m[2].slice(1), 10);
  const factor = SUFFIX[m[3] ?? ''];
  return factor === undefined ? undefined : base * factor;
}

/** CPU in cores: '1500m' -> 1.5, '2' -> 2, '250m' -> 0.25. Undefined when not a quantity. */
export function parseCpu(q: string | number | undefined | null): number | undefined {
  const v = parseQuantity(q);
  // Round away float noise from the milli factor (0.1 + 0.2 style) to nanocores.
  return v === undefined ? undefined : Math.round(v * 1e9) / 1e9;
}

/** Memory in bytes: '2.5Gi' -> 2684354560, '512Mi' -> 536870912, '1G' -> 1e9. Undefined when not a quantity. */
export function parseMemory(q: string | number | undefined | null): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.round(v);
}
