/**
 * http-5xx: an ALB 5xx alarm split by who answered the 5xx: the load balancer itself
 * (HTTPCode_ELB_5XX_Count: no healthy target, a target that reset or timed out) or the targets
 * (HTTPCode_Target_5XX_Count), and per target group: its error ratio (target 5xx / RequestCount)
 * and its healthy targets (HealthyHostCount Minimum). Target groups are found through RequestCount
 * (an ALB publishes a 5XX metric only while it is non-zero). The culprit group leads to its
 * workload. Target 5xx come from inside the service, where warroom sees only what Kubernetes and
 * Prometheus show: the application's logs and its dependencies are named as not checked.
 */
import type { Subject } from '../../../domain/diagnostics.js';
import type { MetricQuery } from '../../ports.js';
import { inWindows, makeFinding, notConfigured, round, single, targetGroupName, type Check, type CheckResult } from '../types.js';
import { burstWindows, byId, points, span } from './cw-util.js';
import { FIVE_XX_COUNT, alarmTrigger } from './lb-breakdown.js';

const ID = 'http-5xx';
const ALB = 'AWS/ApplicationELB';
/** GetMetricData takes at most 500 queries; three per group. */
const MAX_GROUPS = 150;
/** The culprit's error ratio must be this many times the next group's to stand out. */
export const STANDS_OUT_RATIO = 3;

export const BEYOND_REACH = ["the application's logs", 'its dependencies (databases, caches, downstream APIs) and traces'];

const pct = (r: number): string => `${round(r * 100, 2)}%`;

export const http5xxCheck: Check = {
  id: ID,
  title: 'HTTP 5xx per target group: load balancer vs targets',
  subjectKind: 'cloudwatch-alarm',
  dependsOn: ['alarm-history'],
  appliesTo(subject, alerts) {
    const { namespace, metricName } = alarmTrigger(subject, alerts);
    return (namespace === undefined || namespace === ALB) && (metricName === undefined || FIVE_XX_COUNT.test(metricName));
  },
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'cloudwatch-alarm') return { findings: [], discovered: [] };
    const cw = ctx.ports.cloudwatch;
    if (!cw) return notConfigured(ID, subject, 'the 5xx breakdown', 'CloudWatch');
    const alarm = await cw.describeAlarm(subject.region, subject.alarmName, ctx.signal);
    if (!alarm || alarm.namespace !== ALB || !FIVE_XX_COUNT.test(alarm.metricName ?? '')) return { findings: [], discovered: [] };
    const lb = alarm.dimensions.find((d) => d.name === 'LoadBalancer')?.value;
    if (!lb) return { findings: [], discovered: [] };
    const only = alarm.dimensions.find((d) => d.name === 'TargetGroup')?.value;
    const period = alarm.period ?? 60;
    const { windows } = burstWindows(ctx, period * 1000 * (alarm.evaluationPeriods ?? 1));
    const { start, end } = span(windows, period);
    const lbDims = [{ name: 'LoadBalancer', value: lb }];
    const groups = only
      ? [only]
      : [
          ...new Set(
            (await cw.listMetrics(subject.region, ALB, 'RequestCount', [{ name: 'LoadBalancer', value: lb }, { name: 'TargetGroup' }], ctx.signal))
              .filter((set) => set.length === 2)
              .map((set) => set.find((d) => d.name === 'TargetGroup')?.value)
              .filter((v): v is string => v !== undefined),
          ),
        ]
          .sort()
          .slice(0, MAX_GROUPS);
    const queries: MetricQuery[] = [
      { id: 'elb', namespace: ALB, metricName: 'HTTPCode_ELB_5XX_Count', dimensions: lbDims, period, stat: 'Sum' },
      { id: 'tgt', namespace: ALB, metricName: 'HTTPCode_Target_5XX_Count', dimensions: lbDims, period, stat: 'Sum' },
      { id: 'req', namespace: ALB, metricName: 'RequestCount', dimensions: lbDims, period, stat: 'Sum' },
      ...groups.flatMap((tg, i): MetricQuery[] => {
        const dimensions = [...lbDims, { name: 'TargetGroup', value: tg }];
        return [
          { id: `t${i}`, namespace: ALB, metricName: 'HTTPCode_Target_5XX_Count', dimensions, period, stat: 'Sum' },
          { id: `r${i}`, namespace: ALB, metricName: 'RequestCount', dimensions, period, stat: 'Sum' },
          { id: `h${i}`, namespace: ALB, metricName: 'HealthyHostCount', dimensions, period, stat: 'Minimum' },
        ];
      }),
    ];
    const data = byId(await cw.getMetricData(subject.region, queries, start, end, ctx.signal));
    // Counts: no datapoint in a minute means none counted (the ALB publishes only non-zero counts).
    const total = (id: string): number => [...points(data.get(id)).entries()].filter(([t]) => inWindows(new Date(t), windows)).reduce((a, [, v]) => a + v, 0);
    const minimum = (id: string): number | undefined => {
      const vs = [...points(data.get(id)).entries()].filter(([t]) => inWindows(new Date(t), windows)).map(([, v]) => v);
      return vs.length ? Math.min(...vs) : undefined;
    };
    const elb = total('elb');
    const tgt = total('tgt');
    const req = total('req');
    const rows = groups
      .map((tg, i) => ({ tg, name: targetGroupName(tg), errors: total(`t${i}`), requests: total(`r${i}`), healthyMin: minimum(`h${i}`) }))
      .map((r) => ({ ...r, ratio: r.requests > 0 ? r.errors / r.requests : 0 }))
      .sort((a, b) => b.ratio - a.ratio || b.errors - a.errors || a.name.localeCompare(b.name));
    const query = `GetMetricData ${ALB} HTTPCode_ELB_5XX_Count, HTTPCode_Target_5XX_Count, RequestCount (Sum) {LoadBalancer=${lb}} and per {LoadBalancer, TargetGroup} with HealthyHostCount Minimum, ${start.toISOString()}..${end.toISOString()}`;
    const detail = ['target group | target 5xx | requests | ratio | healthy min', ...rows.map((r) => `${r.name} | ${Math.round(r.errors)} | ${Math.round(r.requests)} | ${pct(r.ratio)} | ${r.healthyMin ?? 'no data'}`)].join('\n');
    const link = cw.consoleLink(subject.region, { namespace: ALB, metricName: alarm.metricName ?? 'HTTPCode_Target_5XX_Count' });
    const numbers: Record<string, number | string> = { elb5xx: Math.round(elb), target5xx: Math.round(tgt), requests: Math.round(req), targetGroups: rows.length };
    if (req > 0) numbers.errorRatio = pct((elb + tgt) / req);

    if (elb + tgt === 0) {
      return single({
        check: ID,
        subject,
        discriminator: 'none',
        severity: 'info',
        title: 'No 5xx in the alarm windows',
        summary: `neither the load balancer nor the targets counted a 5xx between ${start.toISOString()} and ${end.toISOString()}`,
        evidence: [{ query, numbers, link, detail }],
      });
    }
    const noHealthy = rows.filter((r) => r.healthyMin === 0);
    const byLb = elb > tgt;
    const top = byLb && noHealthy[0] ? noHealthy[0] : rows[0];
    const second = rows.find((r) => r !== top);
    const standsOut = top !== undefined && top.errors + (byLb ? elb : 0) > 0 && (!second || top.ratio >= STANDS_OUT_RATIO * Math.max(second.ratio, 0.0001) || (byLb && top.healthyMin === 0));
    const discovered: Subject[] = top && standsOut ? [{ kind: 'target-group', targetGroup: top.tg, loadBalancer: lb, region: subject.region }] : [];
    if (top) {
      numbers.culprit = top.name;
      numbers.culpritRatio = pct(top.ratio);
      numbers.culpritHealthyMin = top.healthyMin ?? 'no data';
    }
    const others = second ? `; the other ${rows.length - 1} group(s) at most ${pct(second.ratio)}` : '';
    if (byLb) {
      const why = top && top.healthyMin === 0 ? `${top.name} had no healthy target (HealthyHostCount 0): the load balancer answers 503 itself` : 'with targets registered healthy: resets (502) or timeouts (504) from the targets, or the load balancer itself';
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'elb',
            severity: 'critical',
            title: `5xx from the load balancer: ${Math.round(elb)} ELB vs ${Math.round(tgt)} target 5xx${top && top.healthyMin === 0 ? `; ${top.name} had no healthy target` : ''}`,
            summary: `the load balancer produced ${Math.round(elb)} of the ${Math.round(elb + tgt)} 5xx (${req > 0 ? pct((elb + tgt) / req) : '?'} of ${Math.round(req)} requests), ${why}`,
            evidence: [{ query, numbers, link, detail }],
            signals:
              top && top.healthyMin === 0
                ? { 'shared-lb': ['refutes', `the 5xx follow ${top.name}, which had no healthy target`] }
                : standsOut && second
                  ? { 'shared-lb': ['refutes', `the 5xx follow ${top?.name ?? 'one group'} (${pct(top?.ratio ?? 0)} vs ≤ ${pct(second.ratio)})`] }
                  : {},
            symptoms: [{ id: 'elb-errors', text: `${Math.round(elb)} 5xx answered by the load balancer${top && top.healthyMin === 0 ? ` (${top.name}: no healthy target)` : ''}` }],
          }),
        ],
        discovered,
      };
    }
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'target',
          severity: 'warning',
          title: `5xx from the targets: ${top ? `${top.name} ${pct(top.ratio)} of its requests` : `${Math.round(tgt)} target 5xx`}`,
          summary: `the targets answered ${Math.round(tgt)} of the ${Math.round(elb + tgt)} 5xx (the load balancer ${Math.round(elb)})${top ? `; ${top.name} failed ${Math.round(top.errors)} of ${Math.round(top.requests)} requests (${pct(top.ratio)}) with ${top.healthyMin ?? '?'}+ healthy targets${others}` : ''}: the errors come from inside the service${standsOut && second ? ', not from the shared load balancer' : ''}`,
          evidence: [{ query, numbers, link, detail }],
          signals: standsOut && second ? { 'shared-lb': ['refutes', `only ${top?.name ?? 'one group'} fails (${pct(top?.ratio ?? 0)} vs ≤ ${pct(second.ratio)})`] } : {},
          symptoms: [{ id: 'errors', text: `${top ? `${top.name}: ${pct(top.ratio)} of requests answered 5xx by the targets` : `${Math.round(tgt)} target 5xx`}` }],
          cannotSee: BEYOND_REACH,
        }),
      ],
      discovered,
    };
  },
};
