import { createHash } from 'node:crypto';
import type { Config, Route } from '../config.js';
import type { Alert, Severity } from '../domain/alert.js';

function labelMatches(value: string | undefined, matcher: string | { regex: string }): boolean {
  if (value === undefined) return false;
  if (typeof matcher === 'string') return value === matcher;
  try {
    return new RegExp(`^(?:${matcher.regex})$`).test(value);
  } catch {
    return false;
  }
}

/** The first route whose matchers all match (config order), or undefined. */
export function matchRoute(routes: Route[], alert: Alert): Route | undefined {
  return routes.find((r) => {
    if (r.match.source && r.match.source !== alert.source) return false;
    return Object.entries(r.match.labels).every(([name, m]) => labelMatches(alert.labels[name], m));
  });
}

/** The route an incident was opened under (it may be gone from a changed config). */
export function routeOf(config: Pick<Config, 'routes'>, incident: { route: string }): Route | undefined {
  return config.routes.find((r) => r.name === incident.route);
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 20);

/** The correlation key of an alert under a route: one open incident per key. */
export function incidentKey(route: Route, alert: Alert): string {
  if (alert.source === 'manual') return `manual-${hash(alert.fingerprint)}`;
  if (route.key.by === 'alarm' || alert.source === 'cloudwatch') {
    const arn = alert.cloudwatch?.alarmArn ?? alert.fingerprint;
    if (route.key.by === 'alarm' || route.key.by === 'groupKey') return `${route.name}-alarm-${hash(arn)}`;
  }
  if (route.key.by === 'groupKey' && alert.groupKey) return `${route.name}-group-${hash(alert.groupKey)}`;
  const parts = route.key.labels.map((l) => `${l}=${alert.labels[l] ?? ''}`);
  return `${route.name}-labels-${hash(parts.join('\u0000'))}`;
}

export function severityFor(route: Route, labels: Record<string, string>): Severity {
  const v = labels[route.severity.label];
  if (v !== undefined) {
    const lower = v.toLowerCase();
    for (const [k, sev] of Object.entries(route.severity.map)) if (k.toLowerCase() === lower) return sev;
  }
  return route.severity.default;
}

export const SEVERITY_RANK: Record<Severity, number> = { SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4 };
