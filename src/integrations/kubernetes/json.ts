/** Small readers for plain Kubernetes JSON inside the adapter. */

export type JsonObject = Record<string, unknown>;

export function isRecord(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a path of object keys, or undefined. */
export function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

/** metadata.annotations with string values only. */
export function stringAnnotations(o: unknown): Record<string, string> {
  const a = get(o, 'metadata', 'annotations');
  const out: Record<string, string> = {};
  if (isRecord(a)) for (const [k, v] of Object.entries(a)) if (typeof v === 'string') out[k] = v;
  return out;
}

export interface ObjectMetaView {
  name?: string;
  resourceVersion?: string;
  annotations?: JsonObject;
  uid?: string;
}

export function metaOf(o: unknown): ObjectMetaView {
  const md = get(o, 'metadata');
  if (!isRecord(md)) return {};
  const out: ObjectMetaView = {};
  if (typeof md['name'] === 'string') out.name = md['name'];
  if (typeof md['resourceVersion'] === 'string') out.resourceVersion = md['resourceVersion'];
  if (typeof md['uid'] === 'string') out.uid = md['uid'];
  if (isRecord(md['annotations'])) out.annotations = md['annotations'];
  return out;
}
