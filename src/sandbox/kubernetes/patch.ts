/**
 * The three patch types the API server accepts from the bot:
 * - JSON Patch (RFC 6902, `application/json-patch+json`) including `test`;
 * - JSON Merge Patch (RFC 7386, `application/merge-patch+json`);
 * - strategic merge patch (`application/strategic-merge-patch+json`): a merge patch in which lists
 *   of objects carrying `name` (containers, env, volumes, ports by name) merge by name, and
 *   `$patch: delete` / `$patch: replace` are honoured on maps.
 */
import { clone, isRecord, type JsonObject } from './json.js';

export class PatchError extends Error {
  /** 'bad_request' -> 400 BadRequest (malformed patch), 'invalid' -> 422 (an operation did not apply). */
  constructor(
    readonly kind: 'bad_request' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

// ---------------------------------------------------------------------------------------------
// JSON Patch

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError('bad_request', `invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | unknown[];

function resolveParent(doc: unknown, tokens: string[], op: string, path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!/^\d+$/.test(t) || i >= cur.length) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
      cur = cur[i];
    } else if (isRecord(cur)) {
      if (!(t in cur)) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
      cur = cur[t];
    } else {
      throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: unknown, path: string, op: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
    return parent[i];
  }
  if (!(key in parent)) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return parent[key];
}

function removeAt(doc: unknown, path: string, op: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) throw new PatchError('invalid', `${op} operation does not apply: cannot remove the whole document`);
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length) throw new PatchError('invalid', `${op} operation does not apply: doc is missing path: "${path}": missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError('invalid', `${op} operation does not apply: doc is missing key: ${path}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, op: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else {
      const i = Number(key);
      if (!/^\d+$/.test(key) || i > parent.length) throw new PatchError('invalid', `${op} operation does not apply: index out of bounds: "${path}"`);
      parent.splice(i, 0, value);
    }
  } else parent[key] = value;
  return doc;
}

function replaceAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, 'replace', path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length) throw new PatchError('invalid', `replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[i] = value;
  } else {
    if (!(key in parent)) throw new PatchError('invalid', `replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = value;
  }
  return doc;
}

function deepEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqualJson(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqualJson(a[k], b[k]));
  }
  return false;
}

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('bad_request', 'json patch must be a JSON array of operations');
  let out: unknown = clone(doc);
  for (const raw of patch) {
    if (!isRecord(raw)) throw new PatchError('bad_request', 'json patch operation must be an object');
    const op = raw['op'];
    const path = raw['path'];
    if (typeof op !== 'string' || typeof path !== 'string') throw new PatchError('bad_request', 'json patch operation needs "op" and "path"');
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError('bad_request', 'add operation needs "value"');
        out = addAt(out, path, clone(raw['value']), op);
        break;
      case 'remove':
        removeAt(out, path, op);
        break;
      case 'replace':
        if (!('value' in raw)) throw new PatchError('bad_request', 'replace operation needs "value"');
        out = replaceAt(out, path, clone(raw['value']));
        break;
      case 'move':
      case 'copy': {
        const from = raw['from'];
        if (typeof from !== 'string') throw new PatchError('bad_request', `${op} operation needs "from"`);
        const v = op === 'move' ? removeAt(out, from, op) : clone(getAt(out, from, op));
        out = addAt(out, path, v, op);
        break;
      }
      case 'test': {
        const actual = getAt(out, path, op);
        if (!deepEqualJson(actual, raw['value'])) throw new PatchError('invalid', `testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError('bad_request', `unexpected json patch operation "${op}"`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merge patches

/** RFC 7386 JSON Merge Patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: JsonObject = isRecord(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

function mergeKeyOf(list: unknown[]): string | undefined {
  if (list.length === 0 || !list.every(isRecord)) return undefined;
  for (const key of ['name', 'containerPort', 'mountPath', 'type']) {
    if (list.every((x) => isRecord(x) && (typeof x[key] === 'string' || typeof x[key] === 'number'))) return key;
  }
  return undefined;
}

/**
 * Strategic merge patch, the subset that matters here: maps merge recursively (null deletes),
 * lists of objects keyed by `name` (or `containerPort`/`mountPath`/`type`) merge by key, other
 * lists are replaced; `$patch: replace` replaces a map, `$patch: delete` removes it or a list item.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  const base: JsonObject = directive === 'replace' || !isRecord(target) ? {} : clone(target);
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/') || k === '$retainKeys') continue;
    if (v === null) {
      delete base[k];
      continue;
    }
    const cur = base[k];
    if (Array.isArray(v) && Array.isArray(cur)) {
      const key = mergeKeyOf([...cur, ...v]);
      if (key === undefined) {
        base[k] = clone(v);
        continue;
      }
      const merged = clone(cur);
      for (const item of v) {
        if (!isRecord(item)) continue;
        const idx = merged.findIndex((x) => isRecord(x) && x[key] === item[key]);
        if (item['$patch'] === 'delete') {
          if (idx >= 0) merged.splice(idx, 1);
        } else if (idx >= 0) merged[idx] = applyStrategicMergePatch(merged[idx], item);
        else merged.push(applyStrategicMergePatch(undefined, item));
      }
      base[k] = merged;
    } else {
      const next = applyStrategicMergePatch(cur, v);
      if (next === undefined) delete base[k];
      else base[k] = next;
    }
  }
  return base;
}
