/**
 * alarm-statistic: the alarm's own statistic (usually Average) against p99, Maximum and the
 * traffic (RequestCount Sum on an ALB, SampleCount elsewhere) over the same windows, on the
 * alarm's own dimensions. Rules the low-traffic artifact in or out with numbers: a handful of
 * slow requests on a near-idle target inflating the Average shows as breaching minutes that
 * carry very few requests.
 */
import type { MetricQuery } from '../../ports.js';
import { makeFinding, notConfigured, round, type Check, type CheckResult } from '../types.js';
import { breaches, burstWindows, byId, median, points, secs, span } from './cw-util.js';

const ID = 'alarm-statistic';
/** Fewer requests than this per period in breaching minutes: a near-idle target. */
export const LOW_TRAFFIC_REQUESTS_PER_PERIOD = 20;
/** Breaching minutes with less than this share of the usual traffic: the artifact. */
export const LOW_TRAFFIC_SHARE = 0.25;

export const alarmStatisticCheck: Check = {
  id: ID,
  title: 'Alarm statistic vs p99, Maximum and traffic',
  subjectKind: 'cloudwatch-alarm',
  dependsOn: ['alarm-history'],
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'cloudwatch-alarm') return { findings: [], discovered: [] };
    const cw = ctx.ports.cloudwatch;
    if (!cw) return notConfigured(ID, subject, 'the alarm statistic', 'CloudWatch');
    const alarm = await cw.describeAlarm(subject.region, subject.alarmName, ctx.signal);
    if (!alarm) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'missing',
            severity: 'warning',
            title: 'Alarm not found',
            summary: `DescribeAlarms found no alarm named ${subject.alarmName} in ${subject.region}`,
            evidence: [{ query: `DescribeAlarms AlarmNames=${subject.alarmName}`, numbers: {} }],
          }),
        ],
        discovered: [],
      };
    }
    if (!alarm.namespace || !alarm.metricName || alarm.threshold === undefined) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'not-applicable',
            severity: 'info',
            title: 'Metric-math or composite alarm: statistic check not applicable',
            summary: `${subject.alarmName} is not a single-metric alarm; its statistic cannot be compared with p99/Maximum`,
          }),
        ],
        discovered: [],
      };
    }
    const statistic = alarm.extendedStatistic ?? alarm.statistic ?? 'Average';
    const period = alarm.period ?? 60;
    const { windows } = burstWindows(ctx, period * 1000 * (alarm.evaluationPeriods ?? 1));
    const { start, end } = span(windows, period);
    const isAlb = alarm.namespace === 'AWS/ApplicationELB';
    const base = { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions, period };
    const queries: MetricQuery[] = [
      { id: 'stat', ...base, stat: statistic, label: statistic },
      { id: 'p99', ...base, stat: 'p99', label: 'p99' },
      { id: 'mx', ...base, stat: 'Maximum', label: 'Maximum' },
      isAlb
        ? { id: 'req', ...base, metricName: 'RequestCount', stat: 'Sum', label: 'RequestCount' }
        : { id: 'req', ...base, stat: 'SampleCount', label: 'SampleCount' },
    ];
    const data = byId(await cw.getMetricData(subject.region, queries, start, end, ctx.signal));
    const stat = points(data.get('stat'));
    const p99 = points(data.get('p99'));
    const mx = points(data.get('mx'));
    const req = points(data.get('req'));
    const dims = alarm.dimensions.map((d) => `${d.name}=${d.value}`).join(',');
    const query = `GetMetricData ${alarm.namespace} ${alarm.metricName} {${dims}} period=${period} stats=[${statistic}, p99, Maximum, ${isAlb ? 'RequestCount Sum' : 'SampleCount'}] ${start.toISOString()}..${end.toISOString()}`;
    const link = cw.consoleLink(subject.region, { namespace: alarm.namespace, metricName: alarm.metricName });

    if (stat.size === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-data',
            severity: 'info',
            title: `No ${alarm.metricName} datapoints in the window`,
            summary: `GetMetricData returned no ${statistic} datapoints for ${alarm.metricName} {${dims}} between ${start.toISOString()} and ${end.toISOString()}${isAlb ? ' (an ALB reports only while requests flow)' : ''}: the low-traffic artifact cannot be judged`,
            evidence: [{ query, numbers: { datapoints: 0 }, link }],
            signals: { 'low-traffic-artifact': ['neutral', 'no datapoints to judge'] },
          }),
        ],
        discovered: [],
      };
    }

    const breachTs = [...stat.entries()].filter(([, v]) => breaches(v, alarm.comparisonOperator, alarm.threshold ?? 0)).map(([t]) => t);
    const breachSet = new Set(breachTs);
    const okTs = [...stat.keys()].filter((t) => !breachSet.has(t));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const statBreach = mean(breachTs.map((t) => stat.get(t) ?? 0));
    const p99Breach = Math.max(0, ...breachTs.map((t) => p99.get(t) ?? 0));
    const maxBreach = Math.max(0, ...breachTs.map((t) => mx.get(t) ?? 0));
    const reqBreach = median(breachTs.map((t) => req.get(t)).filter((v): v is number => v !== undefined));
    const reqOk = median(okTs.map((t) => req.get(t)).filter((v): v is number => v !== undefined));
    const unit = alarm.metricName === 'TargetResponseTime' ? secs : (v: number): string => String(round(v, 3));
    const reqName = isAlb ? 'requests' : 'samples';

    const numbers: Record<string, number | string> = {
      statistic,
      threshold: alarm.threshold,
      periodSeconds: period,
      datapoints: stat.size,
      breachingPeriods: breachTs.length,
    };
    if (breachTs.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-breach',
            severity: 'info',
            title: `${statistic} never crossed ${alarm.threshold} in the window`,
            summary: `${stat.size} ${statistic} datapoints, none beyond the threshold ${alarm.threshold}: nothing to attribute to low traffic`,
            evidence: [{ query, numbers, link }],
            signals: { 'low-traffic-artifact': ['neutral', 'no breaching datapoint to judge'] },
          }),
        ],
        discovered: [],
      };
    }
    numbers[`${statistic}DuringBreach`] = round(statBreach, 3);
    numbers.p99DuringBreach = round(p99Breach, 3);
    numbers.maximumDuringBreach = round(maxBreach, 3);
    if (reqBreach !== undefined) numbers[`median${isAlb ? 'Requests' : 'Samples'}PerPeriodBreaching`] = round(reqBreach, 1);
    if (reqOk !== undefined) numbers[`median${isAlb ? 'Requests' : 'Samples'}PerPeriodOtherwise`] = round(reqOk, 1);
    const shape = `${statistic} ${unit(statBreach)} vs p99 ${unit(p99Breach)} and Maximum ${unit(maxBreach)} in the ${breachTs.length} breaching minute${breachTs.length === 1 ? '' : 's'}`;

    if (reqBreach === undefined) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'statistic',
            severity: 'info',
            title: `${statistic} ${unit(statBreach)} vs p99 ${unit(p99Breach)}: traffic unknown`,
            summary: `${shape}; no ${reqName} series, so the low-traffic artifact can be neither ruled in nor out`,
            evidence: [{ query, numbers, link }],
            signals: { 'low-traffic-artifact': ['neutral', `no ${reqName} series`] },
          }),
        ],
        discovered: [],
      };
    }
    const lowTraffic = reqBreach < LOW_TRAFFIC_REQUESTS_PER_PERIOD || (reqOk !== undefined && reqBreach < LOW_TRAFFIC_SHARE * reqOk);
    const traffic = `${Math.round(reqBreach)} ${reqName}/period while breaching${reqOk !== undefined ? ` vs ${Math.round(reqOk)} otherwise` : ''}`;
    if (lowTraffic) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'low-traffic',
            severity: 'warning',
            title: `Low-traffic artifact: breaching minutes carried only ${Math.round(reqBreach)} ${reqName}`,
            summary: `${shape}, with a median of ${traffic}: a few slow requests on a near-idle target inflate the ${statistic}; alarm on a percentile with a minimum request count instead`,
            evidence: [{ query, numbers, link }],
            signals: { 'low-traffic-artifact': ['supports', `breaching minutes carried a median of ${traffic}`] },
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
          discriminator: 'real-traffic',
          severity: 'info',
          title: `${statistic} ${unit(statBreach)} under real traffic (${Math.round(reqBreach)} ${reqName} per ${period} s)`,
          summary: `${shape}, with a median of ${traffic}: the breaches come with real traffic, not a handful of slow requests on an idle target`,
          evidence: [{ query, numbers, link }],
          signals: { 'low-traffic-artifact': ['refutes', `breaching minutes carried ${traffic}`] },
        }),
      ],
      discovered: [],
    };
  },
};
