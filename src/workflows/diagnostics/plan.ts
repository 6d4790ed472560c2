/**
 * The plan: which subjects an incident's alerts are about, which checks look at each subject,
 * and what a check's discovered subjects get (their own checks, by the same rules).
 *
 * Rules:
 * - CloudWatch alarm -> `cloudwatch-alarm` subject: alarm-history, alarm-statistic, and
 *   lb-breakdown when the alarm is on AWS/ApplicationELB (or its namespace is unknown: the check
 *   then decides from DescribeAlarms).
 * - Alertmanager alert with `namespace` + `deployment` labels -> `workload` subject.
 * - Alertmanager alert with `namespace` + pod / horizontalpodautoscaler / replicaset / service
 *   labels (KubePodCrashLooping, KubeHpaMaxedOut, CPUThrottlingHigh, ...) -> `alert-labels`
 *   subject, resolved to a workload by resolve-workload.
 * - An SLO burn-rate alert (Sloth labels `sloth_id` / `sloth_service` + `sloth_slo`) ->
 *   `alert-labels` subject with those labels too: slo-burn reads the budget, resolve-workload
 *   follows namespace + service to the workload when the alert carries them.
 * - Alerts with neither (node-level alerts without a namespace) get no subject: nothing here
 *   is about them.
 * - Discovered `target-group` -> tg-to-workload; discovered `workload` -> change-correlation,
 *   rollout, pods, scheduling, cpu-per-pod, probes, cpu-throttling, nodes, hpa.
 * - Within a subject kind, a check's own `appliesTo` narrows it by what the alerts say: the
 *   per-target-group latency breakdown for ALB alarms that are not 5xx counts, the 5xx breakdown
 *   for 5xx counts, the SLO check for alerts that name an SLO.
 */
import type { Alert } from '../../domain/alert.js';
import type { Subject } from '../../domain/diagnostics.js';
import { CATALOGUE } from './catalogue.js';
import { subjectKey, type Check, type CheckResult } from './types.js';

const RESOLVABLE_LABELS = ['namespace', 'exported_namespace', 'pod', 'pod_name', 'horizontalpodautoscaler', 'hpa', 'replicaset', 'service', 'deployment'] as const;
const SLO_LABELS = ['sloth_id', 'sloth_service', 'sloth_slo'] as const;

function subjectsOf(alert: Alert): Subject[] {
  if (alert.source === 'cloudwatch') {
    const cw = alert.cloudwatch;
    if (cw) return [{ kind: 'cloudwatch-alarm', alarmName: cw.alarmName, region: cw.region }];
    const region = alert.labels.region;
    return region ? [{ kind: 'cloudwatch-alarm', alarmName: alert.labels.alarmname ?? alert.name, region }] : [];
  }
  const labels = alert.labels;
  const ns = labels.namespace ?? labels.exported_namespace;
  const slo: Record<string, string> = {};
  for (const k of SLO_LABELS) if (labels[k]) slo[k] = labels[k];
  if (Object.keys(slo).length > 0) {
    const picked: Record<string, string> = { ...slo };
    for (const k of RESOLVABLE_LABELS) if (labels[k]) picked[k] = labels[k];
    return [{ kind: 'alert-labels', labels: picked }];
  }
  if (!ns) return [];
  if (labels.deployment) {
    return [{ kind: 'workload', namespace: ns, deployment: labels.deployment, ...(labels.service ? { service: labels.service } : {}) }];
  }
  const picked: Record<string, string> = {};
  for (const k of RESOLVABLE_LABELS) {
    const v = labels[k];
    if (v !== undefined && v !== '') picked[k] = v;
  }
  const keys = Object.keys(picked).filter((k) => k !== 'namespace' && k !== 'exported_namespace');
  return keys.length > 0 ? [{ kind: 'alert-labels', labels: picked }] : [];
}

/** The subjects the incident's alerts are about (firing ones when any fire), deduplicated, in alert order. */
export function planFor(alerts: Alert[]): Subject[] {
  const firing = alerts.filter((a) => a.status === 'firing');
  const seen = new Set<string>();
  const out: Subject[] = [];
  for (const a of firing.length > 0 ? firing : alerts) {
    for (const s of subjectsOf(a)) {
      const key = subjectKey(s);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(s);
    }
  }
  return out;
}

/** Checks in dependency order (a check after those it depends on); stable otherwise. */
export function orderChecks(checks: readonly Check[]): Check[] {
  const ids = new Set(checks.map((c) => c.id));
  const done = new Set<string>();
  const out: Check[] = [];
  const pending = [...checks];
  while (pending.length > 0) {
    const i = pending.findIndex((c) => (c.dependsOn ?? []).every((d) => done.has(d) || !ids.has(d)));
    const next = pending.splice(i >= 0 ? i : 0, 1)[0];
    if (!next) break;
    out.push(next);
    done.add(next.id);
  }
  return out;
}

/** The checks for a subject, in dependency order. `alerts` (optional) let checks narrow themselves (`appliesTo`). */
export function checksFor(subject: Subject, alerts: Alert[] = []): Check[] {
  return orderChecks(CATALOGUE.filter((c) => c.subjectKind === subject.kind && (c.appliesTo?.(subject, alerts) ?? true)));
}

/** What a check result's discovered subjects get: their own checks. */
export function discover(result: CheckResult, alerts: Alert[] = []): { subject: Subject; checks: Check[] }[] {
  const seen = new Set<string>();
  const out: { subject: Subject; checks: Check[] }[] = [];
  for (const s of result.discovered) {
    const key = subjectKey(s);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ subject: s, checks: checksFor(s, alerts) });
  }
  return out;
}
