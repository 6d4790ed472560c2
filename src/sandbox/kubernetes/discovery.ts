/**
 * API discovery as the API server answers it: the legacy documents (`/api` APIVersions, `/apis`
 * APIGroupList, `/api/v1` and `/apis/<g>/<v>` APIResourceList) and the aggregated discovery
 * (`apidiscovery.k8s.io/v2` APIGroupDiscoveryList) that kubectl 1.32 asks for first, each listing
 * short names, verbs, kinds, categories and subresources.
 */
import type { JsonObject } from './json.js';
import { apiVersionOf, RESOURCES, verbsOf, type ResourceDef } from './resources.js';

/** The Accept value that selects aggregated discovery. */
export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface DiscoveryAnswer {
  body: JsonObject;
  contentType?: string;
}

interface Subresource {
  name: string;
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

function subresourcesOf(def: ResourceDef): Subresource[] {
  return def.subresources.map((s) => (s === 'scale' ? { name: s, kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch'] } : { name: s, kind: def.kind, group: def.group, version: def.versions[0] ?? 'v1', verbs: ['get', 'patch'] }));
}

function withLists(entry: JsonObject, def: ResourceDef): JsonObject {
  if (def.shortNames.length > 0) entry['shortNames'] = [...def.shortNames];
  if (def.categories.length > 0) entry['categories'] = [...def.categories];
  return entry;
}

/**
 * Answers a discovery path, or undefined when the path is not a discovery document.
 * `served(def)` lists the versions served for a resource (an old cluster may lack autoscaling/v2).
 */
export function discovery(parts: string[], accept: string, served: (def: ResourceDef) => readonly string[], serverVersion: JsonObject): DiscoveryAnswer | undefined {
  const path = parts.join('/');
  if (path === 'version') return { body: serverVersion };
  const aggregated = accept.split(',').some((a) => a.replace(/\s+/g, '') === AGGREGATED_V2);
  const defs = RESOURCES.filter((d) => served(d).length > 0);
  const groups = new Map<string, string[]>();
  for (const d of defs) {
    const versions = groups.get(d.group) ?? [];
    for (const v of served(d)) if (!versions.includes(v)) versions.push(v);
    groups.set(d.group, versions);
  }

  if ((path === 'api' || path === 'apis') && aggregated) {
    const names = [...groups.keys()].filter((g) => (path === 'api' ? g === '' : g !== ''));
    return {
      contentType: AGGREGATED_V2,
      body: {
        kind: 'APIGroupDiscoveryList',
        apiVersion: 'apidiscovery.k8s.io/v2',
        metadata: {},
        items: names.map((g) => ({
          metadata: g === '' ? {} : { name: g },
          versions: (groups.get(g) ?? []).map((v) => ({
            version: v,
            resources: defs.filter((d) => d.group === g && served(d).includes(v)).map((d) => aggregatedResource(d, v)),
            freshness: 'Current',
          })),
        })),
      },
    };
  }
  if (path === 'api') return { body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] } };
  if (path === 'apis') {
    return {
      body: {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups]
          .filter(([g]) => g !== '')
          .map(([name, versions]) => ({
            name,
            versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
            preferredVersion: { groupVersion: `${name}/${versions[0] ?? ''}`, version: versions[0] ?? '' },
          })),
      },
    };
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const versions = groups.get(parts[1] ?? '');
    if (!versions || parts[1] === '') return undefined;
    const name = parts[1] ?? '';
    return { body: { kind: 'APIGroup', apiVersion: 'v1', name, versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${versions[0] ?? ''}`, version: versions[0] ?? '' } } };
  }
  const groupVersion = parts[0] === 'api' && parts.length === 2 ? parts[1] : parts[0] === 'apis' && parts.length === 3 ? `${parts[1] ?? ''}/${parts[2] ?? ''}` : undefined;
  if (groupVersion === undefined) return undefined;
  const inGroupVersion = defs.filter((d) => served(d).some((v) => apiVersionOf(d.group, v) === groupVersion));
  if (inGroupVersion.length === 0) return undefined;
  return {
    body: {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: inGroupVersion.flatMap((d) => [
        withLists({ name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: verbsOf(d) }, d),
        ...subresourcesOf(d).map((s) => ({ name: `${d.resource}/${s.name}`, singularName: '', namespaced: d.namespaced, group: s.group, version: s.version, kind: s.kind, verbs: s.verbs })),
      ]),
    },
  };
}

function aggregatedResource(d: ResourceDef, version: string): JsonObject {
  const entry: JsonObject = {
    resource: d.resource,
    responseKind: { group: d.group, version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: verbsOf(d),
  };
  withLists(entry, d);
  const subs = subresourcesOf(d);
  if (subs.length > 0) entry['subresources'] = subs.map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs }));
  return entry;
}
