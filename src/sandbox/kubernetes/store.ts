/**
 * The emulator's object store: plain JSON objects by (resource, namespace, name), one global
 * resourceVersion counter bumped by every write (as etcd's revision). Every write is defaulted as
 * the API server does, and recorded as a watch event (ADDED, MODIFIED, DELETED) in a bounded log
 * that watches replay from a resourceVersion, as the watch cache does.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.js';
import { child, clone, rec, str, type JsonObject } from './json.js';

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  object: JsonObject;
  /** The object before the change (MODIFIED and DELETED). */
  previous?: JsonObject;
  revision: number;
}

/** How many events a watch can replay from (the watch cache's capacity). */
const LOG_SIZE = 10_000;

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
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();

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

  /** Stores a defaulted copy of `obj` with a new resourceVersion (uid and creationTimestamp filled in when missing). */
  put(resource: string, obj: JsonObject): JsonObject {
    const copy = applyDefaults(resource, clone(obj));
    const md = child(copy, 'metadata');
    const name = str(md['name']);
    if (!name) throw new Error(`cannot store a ${resource} without metadata.name`);
    if (!str(md['uid'])) md['uid'] = randomUUID();
    if (!str(md['creationTimestamp'])) md['creationTimestamp'] = k8sTime(this.clock.now());
    this.revision += 1;
    md['resourceVersion'] = String(this.revision);
    const key = this.key(resource, str(md['namespace']), name);
    const previous = this.objects.get(key);
    this.objects.set(key, copy);
    this.emit(previous ? { type: 'MODIFIED', resource, object: copy, previous, revision: this.revision } : { type: 'ADDED', resource, object: copy, revision: this.revision });
    return copy;
  }

  delete(resource: string, namespace: string | undefined, name: string): boolean {
    const key = this.key(resource, namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return false;
    this.objects.delete(key);
    this.revision += 1;
    const gone = clone(previous);
    child(gone, 'metadata')['resourceVersion'] = String(this.revision);
    this.emit({ type: 'DELETED', resource, object: gone, previous, revision: this.revision });
    return true;
  }

  private emit(e: StoreEvent): void {
    this.log.push(e);
    if (this.log.length > LOG_SIZE) this.log.splice(0, this.log.length - LOG_SIZE);
    for (const l of this.listeners) l(e);
  }

  /** Events after `revision`, or undefined when the log no longer reaches back that far (410 Gone). */
  eventsSince(revision: number): StoreEvent[] | undefined {
    const first = this.log[0];
    if (first && revision < first.revision - 1) return undefined;
    return this.log.filter((e) => e.revision > revision);
  }

  /** The oldest revision a watch can still start from. */
  oldestRevision(): number {
    const first = this.log[0];
    return first ? first.revision - 1 : this.revision;
  }

  /** Calls `fn` for every later write; returns the unsubscribe. */
  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
