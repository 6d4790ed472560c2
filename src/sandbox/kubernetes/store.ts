/**
 * The emulator's object store: plain JSON objects by (resource, namespace, name), one global
 * resourceVersion counter bumped by every write (as etcd's revision).
 */
import { randomUUID } from 'node:crypto';
import { child, clone, rec, str, type JsonObject } from './json.js';

export interface EmulatorClock {
  now(): Date;
}

/** RFC 3339 without fractional seconds, as the API server writes metav1.Time. */
export function k8sTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ObjectStore {
  private readonly objects = new Map<string, JsonObject>();
  private revision = 1000;

  constructor(readonly clock: EmulatorClock) {}

  private key(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}\u0000${namespace ?? ''}\u0000${name}`;
  }

  currentRevision(): string {
    return String(this.revision);
  }

  /** The stored object (a reference: clone before handing it out). */
  get(resource: string, namespace: string | undefined, name: string): JsonObject | undefined {
    return this.objects.get(this.key(resource, namespace, name));
  }

  list(resource: string, namespace?: string): JsonObject[] {
    const out: JsonObject[] = [];
    for (const [k, v] of this.objects) {
      const [r, ns] = k.split('\u0000');
      if (r !== resource) continue;
      if (namespace !== undefined && ns !== namespace) continue;
      out.push(v);
    }
    return out.sort((a, b) => {
      const ma = rec(a['metadata']);
      const mb = rec(b['metadata']);
      return `${str(ma['namespace']) ?? ''}/${str(ma['name']) ?? ''}`.localeCompare(`${str(mb['namespace']) ?? ''}/${str(mb['name']) ?? ''}`);
    });
  }

  /** Stores a copy of `obj` with a new resourceVersion (uid and creationTimestamp filled in when missing). */
  put(resource: string, obj: JsonObject): JsonObject {
    const copy = clone(obj);
    const md = child(copy, 'metadata');
    const name = str(md['name']);
    if (!name) throw new Error(`cannot store a ${resource} without metadata.name`);
    if (!str(md['uid'])) md['uid'] = randomUUID();
    if (!str(md['creationTimestamp'])) md['creationTimestamp'] = k8sTime(this.clock.now());
    this.revision += 1;
    md['resourceVersion'] = String(this.revision);
    this.objects.set(this.key(resource, str(md['namespace']), name), copy);
    return copy;
  }

  delete(resource: string, namespace: string | undefined, name: string): boolean {
    const had = this.objects.delete(this.key(resource, namespace, name));
    if (had) this.revision += 1;
    return had;
  }
}
