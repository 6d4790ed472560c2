/**
 * `?watch=true`: a chunked stream of `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":...}`
 * lines, as the API server's watch cache serves it:
 * - no resourceVersion, or "0": synthetic ADDED events for what exists, then every change;
 * - resourceVersion N: every change after N, replayed from the store's event log; older than the
 *   log reaches is an ERROR event with a 410 Expired Status (the client lists again);
 * - `sendInitialEvents=true` (watch-list): the synthetic ADDEDs, then a BOOKMARK annotated
 *   `k8s.io/initial-events-end`;
 * - selectors apply to both sides of a change: an object that stops matching is DELETED for this
 *   watch, one that starts matching is ADDED;
 * - `allowWatchBookmarks=true`: BOOKMARK events with the current resourceVersion now and then and
 *   before the end; `timeoutSeconds` ends the stream (default 30 minutes, the server's minimum).
 * Table watches (`Accept: ...;as=Table`) send Tables; only the first carries the column definitions.
 */
import type http from 'node:http';
import { rec, strMap, type JsonObject } from './json.js';
import { apiVersionOf, statusBody, type ResourceDef } from './resources.js';
import { matchesFields, matchesLabels, type FieldRequirement, type Requirement } from './selectors.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { toTable, type IncludeObject } from './tables.js';

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  namespace?: string;
  labels: Requirement[];
  fields: FieldRequirement[];
  query: Record<string, string>;
  /** Set for a Table watch. */
  table?: { includeObject: IncludeObject };
}

export interface WatchContext {
  store: ObjectStore;
  /** The stored object as served in the watched version (apiVersion and kind set). */
  view(o: JsonObject): JsonObject;
  now(): Date;
  /** How often a bookmark is sent when the client allows them. */
  bookmarkEveryMs: number;
}

const DEFAULT_TIMEOUT_S = 1800;

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Answers a watch request; resolves when the stream has ended. */
export function serveWatch(res: http.ServerResponse, w: WatchRequest, ctx: WatchContext): Promise<void> {
  const { store, view } = ctx;
  const matches = (o: JsonObject): boolean =>
    (w.namespace === undefined || rec(o['metadata'])['namespace'] === w.namespace) && matchesLabels(w.labels, strMap(rec(o['metadata'])['labels'])) && matchesFields(w.fields, o);

  let headersSent = false;
  const render = (o: JsonObject): JsonObject => {
    const served = view(o);
    if (!w.table) return served;
    const t = toTable(w.def, w.version, [served], { now: ctx.now(), includeObject: w.table.includeObject, noHeaders: headersSent });
    headersSent = true;
    return t;
  };
  const send = (type: string, object: JsonObject): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: JsonObject = { resourceVersion: store.currentRevision() };
    if (annotations) metadata['annotations'] = annotations;
    send('BOOKMARK', { kind: w.def.kind, apiVersion: apiVersionOf(w.def.group, w.version), metadata });
  };

  /** A store event as this watch sees it, or nothing. */
  const translate = (e: StoreEvent): { type: WatchEventType; object: JsonObject } | undefined => {
    if (e.resource !== w.def.resource) return undefined;
    const before = e.previous !== undefined && matches(e.previous);
    if (e.type === 'DELETED') return before ? { type: 'DELETED', object: e.object } : undefined;
    const now = matches(e.object);
    if (now && before) return { type: 'MODIFIED', object: e.object };
    if (now) return { type: 'ADDED', object: e.object };
    if (before) return { type: 'DELETED', object: e.object };
    return undefined;
  };

  const rv = w.query['resourceVersion'];
  const bookmarks = w.query['allowWatchBookmarks'] === 'true';
  const initialEvents = w.query['sendInitialEvents'] === 'true';
  const timeoutS = Number.parseInt(w.query['timeoutSeconds'] ?? '', 10);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  let backlog: StoreEvent[] = [];
  if (initialEvents || rv === undefined || rv === '' || rv === '0') {
    for (const o of store.list(w.def.resource, w.namespace)) if (matches(o)) send('ADDED', render(o));
    if (initialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const since = Number(rv);
    const events = Number.isInteger(since) ? store.eventsSince(since) : undefined;
    if (events === undefined) {
      const message = Number.isInteger(since) ? `too old resource version: ${rv} (${store.oldestRevision()})` : `invalid resource version: ${rv}`;
      send('ERROR', statusBody(Number.isInteger(since) ? 410 : 400, Number.isInteger(since) ? 'Expired' : 'BadRequest', message));
      res.end();
      return Promise.resolve();
    }
    backlog = events;
  }
  for (const e of backlog) {
    const t = translate(e);
    if (t) send(t.type, render(t.object));
  }

  return new Promise<void>((resolve) => {
    const unsubscribe = store.subscribe((e) => {
      const t = translate(e);
      if (t) send(t.type, render(t.object));
    });
    const ticker = bookmarks ? setInterval(() => bookmark(), ctx.bookmarkEveryMs) : undefined;
    const deadline = setTimeout(
      () => {
        if (bookmarks) bookmark();
        res.end();
      },
      (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_TIMEOUT_S) * 1000,
    );
    res.on('close', () => {
      unsubscribe();
      if (ticker) clearInterval(ticker);
      clearTimeout(deadline);
      resolve();
    });
  });
}
