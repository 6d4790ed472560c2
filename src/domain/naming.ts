/**
 * Names people read at 3 a.m.: the incident's title and the service and symptom that name its
 * channel (`inc-42-data-service-latency`), derived once from the first alert. The full alert or alarm
 * name is never lost: the card shows it in its fields.
 */
import type { Alert } from './alert.js';
import { slugify } from './channel-name.js';
import { cutAtWord } from './text.js';

export const TITLE_MAX = 140;

/** Metric or alert-name words -> the symptom people call it by. First match wins. */
const SYMPTOMS: ReadonlyArray<[RegExp, string]> = [
  [/burn.?rate|error.?budget|slo/i, 'slo-burn'],
  [/5xx|5\d\d|server.?error/i, '5xx'],
  [/4xx|4\d\d/i, '4xx'],
  [/latency|response.?time|duration|slow/i, 'latency'],
  [/crash.?loop|restart/i, 'crashloop'],
  [/oom|memory/i, 'memory'],
  [/throttl/i, 'throttling'],
  [/cpu/i, 'cpu'],
  [/pending|unschedulable|failedscheduling/i, 'pending'],
  [/not.?ready|readiness|unhealthy.?host|healthy.?host/i, 'unhealthy'],
  [/disk|volume|inode/i, 'disk'],
  [/lag|backlog|queue.?depth|age.?of.?oldest/i, 'backlog'],
  [/error|fail|exception/i, 'errors'],
  [/down|unavailable|absent/i, 'down'],
];

/** Words that say nothing about the service in an alarm or target group name. */
const NOISE = /^(k8s|app|targetgroup|alb|nlb|elb|default|alarm|alert|high|low|too|many|(?=[a-z]*\d)[0-9a-f]{8,})$/;

function words(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** The symptom of an alert in one word or two (`latency`, `5xx`, `crashloop`), else its name as a slug. */
export function alertSymptom(alert: Alert): string {
  // A declared incident's title is the person's own words: keep them.
  if (alert.source === 'manual') return slugify(alert.name);
  const hay = [alert.cloudwatch?.trigger?.metricName, alert.labels.metric_name, alert.name].filter(Boolean).join(' ');
  for (const [re, symptom] of SYMPTOMS) if (re.test(hay)) return symptom;
  return words(alert.name).join('-');
}

/**
 * The service an alert is about: a `service`/`app`/`deployment`/`job` label (Alertmanager); for a
 * CloudWatch alarm, its name without the metric and symptom words and generated hashes
 * (`k8s-api-prod-core-7db0ccf2c3-target-response-time` -> `api-prod-core`), else its target group or load
 * balancer name. Undefined when nothing names one.
 */
export function alertService(alert: Alert): string | undefined {
  for (const l of ['service', 'app', 'app_kubernetes_io_name', 'deployment', 'job']) {
    const v = alert.labels[l];
    if (v) return slugify(v) || undefined;
  }
  if (alert.source !== 'cloudwatch') return undefined;
  const metricWords = new Set(words(alert.cloudwatch?.trigger?.metricName ?? alert.labels.metric_name ?? ''));
  const symptom = alertSymptom(alert);
  const symptomWords = new Set([...words(symptom), 'target', 'response', 'time', 'average', 'maximum', 'p99', 'p95', 'p50', 'sum', 'count']);
  const fromName = words(alert.name).filter((w) => !NOISE.test(w) && !metricWords.has(w) && !symptomWords.has(w));
  if (fromName.length) return fromName.join('-');
  const dims = alert.cloudwatch?.trigger?.dimensions ?? [];
  const tg = dims.find((d) => d.name === 'TargetGroup')?.value ?? dims.find((d) => d.name === 'LoadBalancer')?.value;
  const tgWords = tg ? words(tg.split('/')[1] ?? tg).filter((w) => !NOISE.test(w)) : [];
  return tgWords.length ? tgWords.join('-') : undefined;
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside',
  LessThanLowerThreshold: '<',
  GreaterThanUpperThreshold: '>',
};

/**
 * The incident title from its first alert, at most TITLE_MAX characters, cut at a word.
 * Alertmanager: `<alertname>: <summary> (<service>)`. CloudWatch: `<service> <symptom>: <the alarm's
 * description, or its condition>` (the alarm's full name is on the card).
 */
export function incidentTitle(alert: Alert): string {
  if (alert.source === 'cloudwatch') {
    const t = alert.cloudwatch?.trigger;
    const condition = t?.metricName ? `${t.metricName}${t.statistic ? ` ${t.statistic}` : ''} ${COMPARISON[t.comparisonOperator] ?? t.comparisonOperator} ${t.threshold}` : undefined;
    const what = alert.annotations.description ?? condition ?? alert.name;
    const who = [alertService(alert), alertSymptom(alert)].filter(Boolean).join(' ');
    return cutAtWord(who ? `${who}: ${what}` : what, TITLE_MAX);
  }
  const summary = alert.annotations.summary ?? alert.annotations.description;
  const where = alert.labels.service ?? alert.labels.namespace ?? alert.labels.job;
  const base = summary ? `${alert.name}: ${summary}` : alert.name;
  return cutAtWord(where && !base.includes(where) ? `${base} (${where})` : base, TITLE_MAX);
}
