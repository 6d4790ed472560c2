/**
 * lb-breakdown: an ALB alarm on the LoadBalancer dimension alone averages every target group
 * behind the load balancer. Split it: ListMetrics for the {LoadBalancer, TargetGroup} dimension
 * sets, then GetMetricData Average + Maximum + RequestCount per group over the burst windows.
 * One group standing out names the culprit (and exonerates the shared ALB/ingress); all groups
 * slow together points at the shared path. Discovers a `target-group` subject for the culprit.
 */
import type { Alert } from '../../../domain/alert.js';
import type { Subject } from '../../../domain/diagnostics.js';
import type { MetricQuery } from '../../ports.js';
import { FACT, inWindows, makeFinding, notConfigured, round, targetGroupName, type Check, type CheckResult } from '../types.js';
import { burstWindows, byId, points, secs, span } from './cw-util.js';

const ID = 'lb-breakdown';
const ALB = 'AWS/ApplicationELB';
/** 5xx counts are split by the http-5xx check (who answered), not averaged here. */
export const FIVE_XX_COUNT = /^HTTPCode_(ELB|Target)_5XX_Count$/;
/** The culprit's average must be this many times the next group's to "stand out". */
export const STANDS_OUT_RATIO = 3;
/** GetMetricData takes at most 500 queries; three per group. */
const MAX_GROUPS = 160;

interface GroupStats {
  targetGroup: string;
  name: string;
  avg: number;
  max: number;
  requests: number;
  datapoints: number;
}

/**
 * The alarm-history facts this check read, carried in its own findings so the subjects it
 * discovers get them whether the engine hands on `ctx.facts` or only the findings' facts.
 */
function carried(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of [FACT.firstFlapAt, FACT.flapCycles, FACT.alarmWindows]) if (facts[k] !== undefined) out[k] = facts[k];
  return out;
}

function upperBound(v: number): string {
  const c = Math.ceil(v * 10) / 10;
  return c > v ? `< ${c} s` : `≤ ${c} s`;
}

/** The namespace and metric an alert's CloudWatch trigger names, when it says. */
export function alarmTrigger(subject: Subject, alerts: Alert[]): { namespace?: string; metricName?: string } {
  if (subject.kind !== 'cloudwatch-alarm') return {};
  const t = alerts.find((x) => x.cloudwatch?.alarmName === subject.alarmName)?.cloudwatch?.trigger;
  const m = t?.metrics.find((x) => x.metric)?.metric;
  const namespace = t?.namespace ?? m?.namespace;
  const metricName = t?.metricName ?? m?.metricName;
  return { ...(namespace ? { namespace } : {}), ...(metricName ? { metricName } : {}) };
}

export const lbBreakdownCheck: Check = {
  id: ID,
  title: 'Load balancer breakdown per target group',
  subjectKind: 'cloudwatch-alarm',
  dependsOn: ['alarm-history'],
  appliesTo(subject, alerts) {
    const { namespace, metricName } = alarmTrigger(subject, alerts);
    return (namespace === undefined || namespace === ALB) && !FIVE_XX_COUNT.test(metricName ?? '');
  },
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'cloudwatch-alarm') return { findings: [], discovered: [] };
    const cw = ctx.ports.cloudwatch;
    if (!cw) return notConfigured(ID, subject, 'the per-target-group breakdown', 'CloudWatch');
    const alarm = await cw.describeAlarm(subject.region, subject.alarmName, ctx.signal);
    if (!alarm || alarm.namespace !== ALB || !alarm.metricName || FIVE_XX_COUNT.test(alarm.metricName)) return { findings: [], discovered: [] };
    const lb = alarm.dimensions.find((d) => d.name === 'LoadBalancer')?.value;
    if (!lb) return { findings: [], discovered: [] };
    const tgDim = alarm.dimensions.find((d) => d.name === 'TargetGroup')?.value;
    if (tgDim) {
      // Already per target group: nothing to split, go straight to the workload behind it.
      const discovered: Subject = { kind: 'target-group', targetGroup: tgDim, loadBalancer: lb, region: subject.region };
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'per-group-alarm',
            severity: 'info',
            title: `Alarm is already on target group ${targetGroupName(tgDim)}`,
            summary: `${subject.alarmName} uses {LoadBalancer, TargetGroup}: no split needed; following ${targetGroupName(tgDim)} to its workload`,
            facts: { ...carried(ctx.facts), culpritTargetGroup: tgDim },
          }),
        ],
        discovered: [discovered],
      };
    }
    if (alarm.dimensions.length !== 1) return { findings: [], discovered: [] };

    const metricName = alarm.metricName;
    const sets = await cw.listMetrics(subject.region, ALB, metricName, [{ name: 'LoadBalancer', value: lb }, { name: 'TargetGroup' }], ctx.signal);
    const groups = [
      ...new Set(
        sets
          .filter((set) => set.length === 2 && set.some((d) => d.name === 'LoadBalancer' && d.value === lb))
          .map((set) => set.find((d) => d.name === 'TargetGroup')?.value)
          .filter((v): v is string => v !== undefined),
      ),
    ]
      .sort()
      .slice(0, MAX_GROUPS);
    const listQuery = `ListMetrics Namespace=${ALB} MetricName=${metricName} Dimensions=[LoadBalancer=${lb}, TargetGroup]`;
    if (groups.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-groups',
            severity: 'info',
            title: 'No per-target-group metrics for this load balancer',
            summary: `ListMetrics found no {LoadBalancer, TargetGroup} dimension set of ${metricName} for ${lb}: cannot split the alarm per target group`,
            evidence: [{ query: listQuery, numbers: { targetGroups: 0 } }],
          }),
        ],
        discovered: [],
      };
    }

    const period = alarm.period ?? 60;
    const raw = burstWindows(ctx, period * 1000 * (alarm.evaluationPeriods ?? 1));
    // The datapoint that ended an alarm window (the first one not breaching) is not part of the burst.
    const windows = raw.windows.map((w) => (raw.fromHistory && w.end.getTime() < ctx.now.getTime() - 1000 ? { start: w.start, end: new Date(w.end.getTime() - period * 1000) } : w));
    const { start, end } = span(windows, period);
    const queries: MetricQuery[] = groups.flatMap((tg, i) => {
      const dimensions = [
        { name: 'LoadBalancer', value: lb },
        { name: 'TargetGroup', value: tg },
      ];
      return [
        { id: `avg${i}`, namespace: ALB, metricName, dimensions, period, stat: 'Average' },
        { id: `max${i}`, namespace: ALB, metricName, dimensions, period, stat: 'Maximum' },
        { id: `req${i}`, namespace: ALB, metricName: 'RequestCount', dimensions, period, stat: 'Sum' },
      ];
    });
    const data = byId(await cw.getMetricData(subject.region, queries, start, end, ctx.signal));
    const stats: GroupStats[] = [];
    groups.forEach((tg, i) => {
      const avg = points(data.get(`avg${i}`));
      const max = points(data.get(`max${i}`));
      const req = points(data.get(`req${i}`));
      let weighted = 0;
      let weight = 0;
      let plain = 0;
      let n = 0;
      let mx = 0;
      let requests = 0;
      for (const [t, v] of avg) {
        if (!inWindows(new Date(t), windows)) continue;
        const r = req.get(t);
        if (r !== undefined && r > 0) {
          weighted += v * r;
          weight += r;
        }
        plain += v;
        n += 1;
      }
      for (const [t, v] of max) if (inWindows(new Date(t), windows)) mx = Math.max(mx, v);
      for (const [t, v] of req) if (inWindows(new Date(t), windows)) requests += v;
      if (n === 0) return;
      stats.push({ targetGroup: tg, name: targetGroupName(tg), avg: weight > 0 ? weighted / weight : plain / n, max: mx, requests, datapoints: n });
    });
    const query = `GetMetricData ${ALB} ${metricName} Average+Maximum, RequestCount Sum per {LoadBalancer=${lb}, TargetGroup} over ${windows.length} burst window(s) ${start.toISOString()}..${end.toISOString()}`;
    const link = cw.consoleLink(subject.region, { namespace: ALB, metricName });
    if (stats.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-data',
            severity: 'info',
            title: 'No per-target-group datapoints in the burst windows',
            summary: `${groups.length} target groups found, but none reported ${metricName} during the burst windows (an ALB reports only while requests flow)`,
            evidence: [{ query: `${listQuery}; ${query}`, numbers: { targetGroups: groups.length, datapoints: 0 } }],
          }),
        ],
        discovered: [],
      };
    }
    stats.sort((a, b) => b.avg - a.avg || a.name.localeCompare(b.name));
    const detail = ['target group | avg | max | requests', ...stats.map((s) => `${s.name} | ${secs(s.avg)} | ${secs(s.max)} | ${Math.round(s.requests)}`)].join('\n');
    const top = stats[0];
    if (!top) return { findings: [], discovered: [] };
    const others = stats.slice(1);
    const second = others[0];
    const threshold = alarm.threshold ?? 0;
    const othersMaxAvg = Math.max(0, ...others.map((s) => s.avg));
    const numbers: Record<string, number | string> = {
      targetGroups: stats.length,
      culprit: top.name,
      culpritAvgSeconds: round(top.avg),
      culpritMaxSeconds: round(top.max),
      culpritRequests: Math.round(top.requests),
      othersMaxAvgSeconds: round(othersMaxAvg),
      othersMaxMaxSeconds: round(Math.max(0, ...others.map((s) => s.max))),
      threshold,
    };
    const evidence = [{ query: `${listQuery}; ${query}`, numbers, link, detail }];
    const facts = { ...carried(ctx.facts), culpritTargetGroup: top.targetGroup, culpritAvgSeconds: round(top.avg), culpritMaxSeconds: round(top.max), othersMaxAvgSeconds: round(othersMaxAvg) };
    const discovered: Subject[] = [{ kind: 'target-group', targetGroup: top.targetGroup, loadBalancer: lb, region: subject.region }];

    const slow = stats.filter((s) => s.avg > threshold);
    const standsOut = top.avg > threshold && (!second || top.avg >= STANDS_OUT_RATIO * Math.max(second.avg, 0.01));
    if (standsOut && second) {
      const against = `${upperBound(othersMaxAvg)} for the other ${others.length}`;
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'culprit',
            severity: 'warning',
            title: `Culprit target group ${top.name}: ${secs(top.avg)} avg / ${secs(top.max)} max`,
            summary: `During the bursts ${top.name} averaged ${secs(top.avg)} (max ${secs(top.max)}) against ${against}: one service is slow, so the shared ALB/ingress is exonerated`,
            evidence,
            signals: { 'shared-lb': ['refutes', `only ${top.name} was slow (${secs(top.avg)} avg / ${secs(top.max)} max against ${against})`] },
            facts,
          }),
        ],
        discovered,
      };
    }
    if (!second) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'single-group',
            severity: top.avg > threshold ? 'warning' : 'info',
            title: `One target group behind the load balancer: ${top.name} (${secs(top.avg)} avg / ${secs(top.max)} max)`,
            summary: `${lb} has a single target group with data, ${top.name}, at ${secs(top.avg)} avg / ${secs(top.max)} max during the bursts: the ALB and the service cannot be told apart by comparison`,
            evidence,
            signals: { 'shared-lb': ['neutral', 'a single target group: nothing to compare'] },
            facts,
          }),
        ],
        discovered,
      };
    }
    if (slow.length >= 2 && top.avg < 2 * (second.avg || 0.01)) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'all-slow',
            severity: 'warning',
            title: `${slow.length} of ${stats.length} target groups slow together`,
            summary: `${slow.map((s) => `${s.name} ${secs(s.avg)}`).join(', ')} all above ${threshold} s during the bursts: a shared cause (the ALB, the ingress path, a shared dependency) is more likely than one service`,
            evidence,
            signals: { 'shared-lb': ['supports', `${slow.length} of ${stats.length} target groups were slow together`] },
            symptoms: [{ id: 'all-groups-slow', text: `${slow.length} of ${stats.length} target groups above ${threshold} s together` }],
            facts: { slowTargetGroups: slow.map((s) => s.targetGroup) },
          }),
        ],
        discovered: [],
      };
    }
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'slowest',
          severity: top.avg > threshold ? 'warning' : 'info',
          title: `Slowest target group ${top.name}: ${secs(top.avg)} avg / ${secs(top.max)} max`,
          summary: `${top.name} was slowest during the bursts (${secs(top.avg)} avg) but the next, ${second.name}, was at ${secs(second.avg)}: no single group stands out clearly`,
          evidence,
          signals: { 'shared-lb': ['neutral', 'no single group stands out'] },
          facts,
        }),
      ],
      discovered,
    };
  },
};
