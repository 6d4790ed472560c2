/**
 * Label selectors (`app=web,tier!=db,env in (prod,stage),!canary`) and field selectors
 * (`spec.nodeName=n1,involvedObject.kind=Pod`) as the API server evaluates them.
 */
import { isRecord } from './json.js';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(selector)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term))) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      reqs.push({ key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term))) {
      reqs.push({ key: m[1] ?? '', op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(term))) {
      reqs.push({ key: m[1] ?? '', op: 'notexists' });
    } else if ((m = /^([^\s!=(),]+)$/.exec(term))) {
      reqs.push({ key: m[1] ?? '', op: 'exists' });
    } else {
      throw new SelectorError(`unable to parse requirement: "${term}"`);
    }
  }
  return reqs;
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.value;
      case 'neq':
        return !has || v !== r.value;
      case 'in':
        return has && v !== undefined && r.values.includes(v);
      case 'notin':
        return !has || v === undefined || !r.values.includes(v);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

export interface FieldRequirement {
  path: string[];
  op: 'eq' | 'neq';
  value: string;
}

export function parseFieldSelector(selector: string): FieldRequirement[] {
  return splitTerms(selector).map((term) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector: "${term}"`);
    return { path: (m[1] ?? '').split('.'), op: m[2] === '!=' ? 'neq' : 'eq', value: (m[3] ?? '').trim() };
  });
}

/**
 * Checks the labels against those the resource's field label conversion accepts (as the API server
 * does before listing or watching): any other label is a 400 `field label not supported: <label>`.
 * Pods still accept the old `spec.host`, as `spec.nodeName`.
 */
export function supportedFields(reqs: FieldRequirement[], resource: string, labels: readonly string[]): FieldRequirement[] {
  return reqs.map((r) => {
    const label = r.path.join('.');
    if (resource === 'pods' && label === 'spec.host') return { ...r, path: ['spec', 'nodeName'] };
    if (!labels.includes(label)) throw new SelectorError(`field label not supported: ${label}`);
    return r;
  });
}

/** A field's value as the object's field set spells it (booleans and counts have their zero value). */
function fieldValue(obj: unknown, path: string[]): string {
  const label = path.join('.');
  if (label === 'source') path = ['source', 'component'];
  let cur: unknown = obj;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  if (label === 'status.podIPs' && Array.isArray(cur)) return cur.map((x) => (isRecord(x) ? String(x['ip'] ?? '') : '')).join(',');
  if (cur === undefined || cur === null) return label === 'spec.hostNetwork' || label === 'spec.unschedulable' ? 'false' : label === 'status.replicas' ? '0' : '';
  return typeof cur === 'string' ? cur : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (r.op === 'eq' ? fieldValue(obj, r.path) === r.value : fieldValue(obj, r.path) !== r.value));
}

/** `matchLabels` as the selector string kubectl builds from it (`a=1,b=2`, keys sorted). */
export function selectorString(matchLabels: Record<string, string>): string {
  return Object.keys(matchLabels)
    .sort()
    .map((k) => `${k}=${matchLabels[k] ?? ''}`)
    .join(',');
}
