/**
 * Alert-storm grouping (config `storm`). When more than `threshold` new incidents of one route open
 * within `window`, further new keys of that route join the route's storm incident: one channel, one
 * card that summarises the keys with their counts and states. A key more severe than the storm, or of
 * another route, is not swallowed; `/incident split <key>` (triage.ts splitFromStorm) gives one key
 * its own incident and channel. Membership is a shared value per key (`storm-member-<key>`): the storm
 * incident's id, or `split:<incident id>` once split off.
 */
import type { Alert } from '../domain/alert.js';
import type { Incident, IncidentAlert } from '../domain/incident.js';
import { incidentTitle } from '../domain/naming.js';
import type { Route } from '../config.js';
import type { Ports } from './context.js';
import type { StormKeySummary } from './ports.js';
import { incidentKey, routeOf, SEVERITY_RANK } from './routing.js';

const STORM_SUFFIX = '-storm';
/** The key of a route's storm incident. */
export const stormKey = (route: Pick<Route, 'name'>) => `${route.name}${STORM_SUFFIX}`;
export const isStormIncident = (incident: Pick<Incident, 'key' | 'route'>) => incident.key === `${incident.route}${STORM_SUFFIX}`;
export const stormMember = (key: string) => `storm-member-${key}`;
const SPLIT = 'split:';

/** The open storm incident a key belongs to, if any (a split key, or a resolved storm, no longer does). */
export async function memberOf(deps: Ports, key: string): Promise<Incident | undefined> {
  const v = await deps.claims.getValue(stormMember(key));
  if (!v || v.startsWith(SPLIT)) return undefined;
  const storm = await deps.incidents.get(v);
  return storm && storm.status !== 'resolved' ? storm : undefined;
}

/**
 * For a firing alert of a key with no incident of its own: counts the new incident against the route's
 * storm threshold and, past it, returns the storm incident it joins (created with this alert's severity
 * when there is none). Undefined: the key opens its own incident (under the threshold, storms off, a
 * declared incident, or more severe than the storm).
 */
export async function joinStorm(deps: Ports, route: Route, key: string, alert: Alert, now: Date): Promise<{ incident: Incident; created: boolean; reopened: boolean } | undefined> {
  const { threshold, window } = deps.config.storm;
  if (threshold <= 0 || alert.source === 'manual') return undefined;
  const own = await deps.incidents.findByKey(key);
  if (own) return undefined; // its own incident (open, or to be reopened) keeps it
  const opened = await deps.claims.increment(`storm-opens-${route.name}-${Math.floor(now.getTime() / window)}`, window * 2);
  if (opened <= threshold) return undefined;
  const r = await deps.incidents.getOrCreate(
    { key: stormKey(route), title: `Alert storm on route ${route.name}`, severity: alert.severity, source: alert.source, route: route.name, responders: route.responders.users },
    now,
    0,
  );
  // A key more severe than the storm gets its own channel.
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[r.incident.severity]) return undefined;
  await deps.claims.setValue(stormMember(key), r.incident.id, 0);
  return r;
}

/** What a storm card shows: per key, its title, counts and states, and where it was split to. */
export async function stormSummary(deps: Ports, storm: Incident, alerts: IncidentAlert[]): Promise<StormKeySummary[]> {
  const route = routeOf(deps.config, storm);
  if (!route) return [];
  const byKey = new Map<string, StormKeySummary>();
  for (const a of alerts) {
    const key = incidentKey(route, a);
    const s = byKey.get(key) ?? { key, title: incidentTitle(a), alerts: 0, firing: 0, resolved: 0 };
    s.alerts++;
    if (a.status === 'firing') s.firing++;
    else s.resolved++;
    byKey.set(key, s);
  }
  const keys = [...byKey.values()];
  await Promise.all(
    keys.map(async (k) => {
      const v = await deps.claims.getValue(stormMember(k.key));
      if (v?.startsWith(SPLIT)) k.splitTo = v.slice(SPLIT.length);
    }),
  );
  return keys.sort((a, b) => b.firing - a.firing || b.alerts - a.alerts || a.key.localeCompare(b.key));
}

/** Marks a key as split off into `incidentId` (it no longer joins the storm). */
export async function markSplit(deps: Ports, key: string, incidentId: string): Promise<void> {
  await deps.claims.setValue(stormMember(key), `${SPLIT}${incidentId}`, 0);
}
