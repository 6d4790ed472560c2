/**
 * What a change to a Deployment means to a person: images and resources per container, replicas,
 * annotations, and one line for anything else in the pod template. Works on the raw JSON before
 * and after (the server's dry run), so a field no client model knows still shows as a change.
 */
import type { DiffLine } from '../../domain/proposal.js';
import { semanticEqual, withoutHashLabel } from '../../domain/rollout.js';
import { get, isRecord, type JsonObject } from './json.js';

export function show(v: unknown): string {
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

/** The pod template without what the other lines already show (hash label, annotations, images, resources). */
function scrub(t: unknown): unknown {
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
}

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
  // Anything else in the pod template (env, args, probes, fields newer than any client...): one line, so a person knows to look.
  if (tb !== undefined && ta !== undefined && !semanticEqual(scrub(tb), scrub(ta))) lines.push({ field: 'pod template (other fields)', before: 'current', after: 'changed' });
  return lines;
}
