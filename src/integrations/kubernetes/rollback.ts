/**
 * Rollout semantics as kubectl has them, on raw JSON (no client model in between, so a pod-spec
 * field newer than any client survives the copy and the old ReplicaSet is reused):
 * - `planRollback` is `kubectl rollout undo [--to-revision N]` (kubectl
 *   pkg/polymorphichelpers/rollback.go, DeploymentRollbacker): pick the revision's ReplicaSet among
 *   those the Deployment controls, refuse a paused Deployment, skip when the template already
 *   matches, else one JSON Patch replacing /spec/template (without pod-template-hash) and
 *   /metadata/annotations (the ReplicaSet's, with the skip-listed ones kept from the Deployment);
 * - `restartPatch` is `kubectl rollout restart` (a restartedAt pod annotation, strategic merge).
 */
import { equalIgnoreHash, RESTARTED_AT_ANNOTATION, revisionOf, ROLLBACK_SKIPPED_ANNOTATIONS, withoutHashLabel } from '../../domain/rollout.js';
import { AppError } from '../../errors.js';
import { get, isRecord, metaOf, stringAnnotations, type JsonObject } from './json.js';

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

/** Whether `o` has a controller ownerReference to `uid` (metav1.IsControlledBy). */
export function isControlledBy(o: unknown, uid: string | undefined): boolean {
  const refs = get(o, 'metadata', 'ownerReferences');
  return uid !== undefined && Array.isArray(refs) && refs.some((r) => isRecord(r) && r['controller'] === true && r['uid'] === uid);
}

function revisionOfRaw(o: unknown): number | undefined {
  return revisionOf({ metadata: { annotations: stringAnnotations(o) } });
}

export type RollbackPlan = { targetRevision: number } & ({ noop: string } | { ops: JsonObject[] });

/**
 * The rollback of `deployment` given the ReplicaSets listed by its selector. toRevision 0 means
 * the previous revision (the second highest). Throws AppError not_found/bad_request as kubectl fails.
 */
export function planRollback(deployment: JsonObject, replicaSets: JsonObject[], toRevision: number, expectResourceVersion?: string): RollbackPlan {
  const name = metaOf(deployment).name ?? '';
  if (!Number.isInteger(toRevision) || toRevision < 0) throw new AppError('bad_request', `unable to find specified revision ${toRevision} in history`);
  const dm = metaOf(deployment);
  const owned = replicaSets.filter((rs) => isControlledBy(rs, dm.uid));

  // deploymentRevision(): revision 0 = the second highest; otherwise the exact revision.
  let target: JsonObject | undefined;
  let targetRevision = -1;
  if (toRevision === 0) {
    let latest = -1;
    let latestRs: JsonObject | undefined;
    for (const rs of owned) {
      const v = revisionOfRaw(rs);
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
    target = owned.find((rs) => revisionOfRaw(rs) === toRevision);
    if (!target) throw new AppError('not_found', `unable to find specified revision ${toRevision} in history`, { details: { operation: 'rollback' } });
    targetRevision = toRevision;
  }
  if (get(deployment, 'spec', 'paused') === true) throw new AppError('bad_request', "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  const template = get(target, 'spec', 'template');
  if (equalIgnoreHash(template, get(deployment, 'spec', 'template'))) {
    return { targetRevision, noop: `skipped rollback (current template already matches revision ${targetRevision})` };
  }
  const annotations: Record<string, string> = {};
  const depAnn = dm.annotations ?? {};
  for (const k of ROLLBACK_SKIPPED_ANNOTATIONS) {
    const v = depAnn[k];
    if (typeof v === 'string') annotations[k] = v;
  }
  for (const [k, v] of Object.entries(stringAnnotations(target))) if (!ROLLBACK_SKIPPED_ANNOTATIONS.includes(k)) annotations[k] = v;
  const ops: JsonObject[] = [];
  if (expectResourceVersion !== undefined) ops.push({ op: 'test', path: '/metadata/resourceVersion', value: expectResourceVersion });
  ops.push({ op: 'replace', path: '/spec/template', value: withoutHashLabel(template) });
  // RFC 6902 `replace` needs the member to exist; a Deployment without annotations gets `add`.
  ops.push({ op: dm.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: annotations });
  return { targetRevision, ops };
}

/** The strategic merge patch of `kubectl rollout restart`; refuses a paused Deployment as kubectl does. */
export function restartPatch(deployment: JsonObject, at: Date, expectResourceVersion?: string): JsonObject {
  if (get(deployment, 'spec', 'paused') === true) throw new AppError('bad_request', `can't restart paused deployment (run rollout resume first)`);
  const body: JsonObject = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at.toISOString().replace(/\.\d{3}Z$/, 'Z') } } } } };
  if (expectResourceVersion !== undefined) body['metadata'] = { resourceVersion: expectResourceVersion };
  return body;
}
