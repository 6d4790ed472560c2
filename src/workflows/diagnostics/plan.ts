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
 * - Alerts with neither (node-level alerts without a namespace) get no subject: nothing here
 *   is about them.
 * - Discovered `target-group` -> tg-to-workload; discovered `workload` -> change-correlation,
 *   pods, cpu-per-pod, cpu-throttling, hpa, nodes.
 */
import type { Alert } from '../../domain/alert.js';
import type { Subject } from '../../domain/diagnostics.js';
import { CATALOGUE } from './catalogue.js';
import { subjectKey, type Check, type CheckResult } from './types.js';

const RESOLVABLE_LABELS = ['namespace', 'exported_namespace', 'pod', 'pod_name', 'horizontalpodautoscaler', 'hpa', 'replicaset', 'service', 'deployment'] as const;
const ALB_NAMESPACE = 'AWS/ApplicationELB';

function subjectsOf(alert: Alert): Subject[] {
  if (alert.source === 'cloudwatch') {
    const cw = alert.cloudwatch;
    if (cw) return [{ kind: 'cloudwatch-alarm', alarmName: cw.alarmName, region: cw.region }];
    const region = alert.labels.region;
    return region ? [{ kind: 'cloudwatch-alarm', alarmName: alert.labels.alarmname ?? alert.name, region }] : [];
  }
  const labels = alert.labels;
  const ns = labels.namespace ?? labels.exported_namespace;
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

function alarmNamespace(subject: Subject, alerts: Alert[]): string | undefined {
  if (subject.kind !== 'cloudwatch-alarm') return undefined;
  const a = alerts.find((x) => x.cloudwatch?.alarmName === subject.alarmName);
  return a?.cloudwatch?.trigger?.namespace ?? a?.cloudwatch?.trigger?.metrics.find((m) => m.metric)?.metric?.namespace;
}

/** The checks for a subject, in dependency order. `alerts` (optional) refine the CloudWatch rules. */
export function checksFor(subject: Subject, alerts: Alert[] = []): Check[] {
  let checks = CATALOGUE.filter((c) => c.subjectKind === subject.kind);
  if (subject.kind === 'cloudwatch-alarm') {
    const ns = alarmNamespace(subject, alerts);
    if (ns !== undefined && ns !== ALB_NAMESPACE) checks = checks.filter((c) => c.id !== 'lb-breakdown');
  }
  return orderChecks(checks);
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
