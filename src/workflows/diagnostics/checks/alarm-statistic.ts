/**
 * alarm-statistic: the alarm's own statistic (usually Average) against p99, Maximum and the
 * traffic (RequestCount Sum on an ALB, SampleCount elsewhere) over the same windows, on the
 * alarm's own dimensions, and against the service's own request baseline (the median hour of the
 * previous day). Rules the low-traffic artifact in or out with numbers: a handful of slow requests
 * on a near-idle target inflating the Average shows as breaching periods that carry a fraction of
 * the usual traffic.
 *
 * Honest numbers: the alarm's statistic and the traffic come in one GetMetricData call; p99 and the
 * baseline each in their own, optional, call, so a backend that refuses percentiles (moto answers
 * HTTP 500) or an empty series leaves "p99: no data", never 0 and never a failed check. Wording
 * follows the alarm's period ("breaching periods of 5 min").
 */
import type { MetricQuery, MetricSeries } from '../../ports.js';
import { errorMessage } from '../../../errors.js';
import { makeFinding, notConfigured, round, type Check, type CheckResult, type SymptomInput } from '../types.js';
import { breaches, burstWindows, byId, median, points, secs, span } from './cw-util.js';

const ID = 'alarm-statistic';
/** Fewer requests than this per period in breaching periods, with no baseline to compare: a near-idle target. */
export const LOW_TRAFFIC_REQUESTS_PER_PERIOD = 20;
/** Breaching periods with less than this share of the usual traffic: the artifact. */
export const LOW_TRAFFIC_SHARE = 0.25;
/** The baseline: hourly request sums over this long before the windows. */
export const BASELINE_MS = 24 * 3600_000;
const HOUR_S = 3600;

/** Statistics the comparison means something for (latency-like averages and percentiles). */
export function comparable(statistic: string): boolean {
  return statistic === 'Average' || statistic === 'Maximum' || /^(p|tm|tc|ts|wm)\d/.test(statistic) || /^(TM|TC|TS|WM|PR)\(/.test(statistic) || statistic === 'IQM';
}

/** "1 min", "5 min", "90 s". */
export function periodText(period: number): string {
  return period % 60 === 0 ? `${period / 60} min` : `${period} s`;
}

/** "the 3 breaching periods of 5 min" / "the breaching period of 1 min". */
export function breachingPeriods(n: number, period: number): string {
  return n === 1 ? `the breaching period of ${periodText(period)}` : `the ${n} breaching periods of ${periodText(period)}`;
}

const isLatency = (metric: string): boolean => /ResponseTime|Latency|Duration/i.test(metric);

/**
 * A call for optional series, on its own: the series, or why there are none. A backend that fails
 * the whole call, or answers the series as Unavailable, leaves "no data" with its reason.
 */
async function optional(p: Promise<MetricSeries[]>, signal: AbortSignal): Promise<{ series: MetricSeries[]; error?: string }> {
  try {
    const series = await p;
    const refused = series.find((s) => s.status === 'Unavailable');
    return refused ? { series: series.filter((s) => s.status !== 'Unavailable'), error: refused.error ?? 'unavailable' } : { series };
  } catch (e) {
    if (signal.aborted) throw e;
    return { series: [], error: errorMessage(e) };
  }
}

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
    if (!comparable(statistic)) {
      // A count (Sum of 5xx, SampleCount): no percentile or low-traffic reading applies.
      return { findings: [], discovered: [] };
    }
    const period = alarm.period ?? 60;
    const { windows } = burstWindows(ctx, period * 1000 * (alarm.evaluationPeriods ?? 1));
    const { start, end } = span(windows, period);
    const isAlb = alarm.namespace === 'AWS/ApplicationELB';
    const base = { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions, period };
    const trafficQuery: MetricQuery = isAlb ? { id: 'req', ...base, metricName: 'RequestCount', stat: 'Sum', label: 'RequestCount' } : { id: 'req', ...base, stat: 'SampleCount', label: 'SampleCount' };
    const main: MetricQuery[] = [{ id: 'stat', ...base, stat: statistic, label: statistic }, ...(statistic === 'Maximum' ? [] : [{ id: 'mx', ...base, stat: 'Maximum', label: 'Maximum' }]), trafficQuery];
    const baselineStart = new Date(start.getTime() - BASELINE_MS);
    const wantP99 = statistic !== 'p99';
    const [mainData, p99Data, baselineData] = await Promise.all([
      cw.getMetricData(subject.region, main, start, end, ctx.signal),
      wantP99 ? optional(cw.getMetricData(subject.region, [{ id: 'p99', ...base, stat: 'p99', label: 'p99', optional: true }], start, end, ctx.signal), ctx.signal) : Promise.resolve<{ series: MetricSeries[]; error?: string }>({ series: [] }),
      optional(cw.getMetricData(subject.region, [{ ...trafficQuery, id: 'base', period: HOUR_S, optional: true }], baselineStart, start, ctx.signal), ctx.signal),
    ]);
    const data = byId([...mainData, ...p99Data.series, ...baselineData.series]);
    const stat = points(data.get('stat'));
    const p99 = statistic === 'p99' ? stat : points(data.get('p99'));
    const mx = statistic === 'Maximum' ? stat : points(data.get('mx'));
    const req = points(data.get('req'));
    const hourly = [...points(data.get('base')).values()];
    const dims = alarm.dimensions.map((d) => `${d.name}=${d.value}`).join(',');
    const reqName = isAlb ? 'requests' : 'samples';
    const query = `GetMetricData ${alarm.namespace} ${alarm.metricName} {${dims}} period=${period} [${main.map((q) => q.label ?? q.stat).join(', ')}]; separately p99 and the ${isAlb ? 'RequestCount' : 'SampleCount'} baseline (hourly, ${baselineStart.toISOString()}..${start.toISOString()}) ${start.toISOString()}..${end.toISOString()}`;
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
    const known = (m: Map<number, number>): number[] => breachTs.map((t) => m.get(t)).filter((v): v is number => v !== undefined);
    const statBreach = mean(breachTs.map((t) => stat.get(t) ?? 0));
    const p99Known = known(p99);
    const maxKnown = known(mx);
    const p99Breach = p99Known.length ? Math.max(...p99Known) : undefined;
    const maxBreach = maxKnown.length ? Math.max(...maxKnown) : undefined;
    const reqBreach = median(known(req));
    const reqOk = median(okTs.map((t) => req.get(t)).filter((v): v is number => v !== undefined));
    const baseline = hourly.length > 0 ? (median(hourly) ?? 0) / (HOUR_S / period) : undefined;
    const unit = alarm.metricName === 'TargetResponseTime' ? secs : (v: number): string => String(round(v, 3));
    const shown = (v: number | undefined, why?: string): string => (v === undefined ? `no data${why ? ` (${why})` : ''}` : unit(v));

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
            summary: `${stat.size} ${statistic} datapoints of ${periodText(period)}, none beyond the threshold ${alarm.threshold}: nothing to attribute to low traffic`,
            evidence: [{ query, numbers, link }],
            signals: { 'low-traffic-artifact': ['neutral', 'no breaching datapoint to judge'] },
          }),
        ],
        discovered: [],
      };
    }
    numbers[`${statistic}DuringBreach`] = round(statBreach, 3);
    numbers.p99DuringBreach = p99Breach === undefined ? 'no data' : round(p99Breach, 3);
    numbers.maximumDuringBreach = maxBreach === undefined ? 'no data' : round(maxBreach, 3);
    const perPeriod = isAlb ? 'Requests' : 'Samples';
    numbers[`median${perPeriod}PerPeriodBreaching`] = reqBreach === undefined ? 'no data' : round(reqBreach, 1);
    if (reqOk !== undefined) numbers[`median${perPeriod}PerPeriodOtherwise`] = round(reqOk, 1);
    numbers[`baseline${perPeriod}PerPeriod`] = baseline === undefined ? `no data${baselineData.error ? ` (${baselineData.error})` : ''}` : round(baseline, 1);
    const periods = breachingPeriods(breachTs.length, period);
    const shape = `${statistic} ${unit(statBreach)} vs p99 ${shown(p99Breach, p99Data.error ? 'not served' : undefined)} and Maximum ${shown(maxBreach)} in ${periods}`;
    const evidence = [{ query, numbers, link, ...(p99Data.error ? { detail: `p99 not available: ${p99Data.error}` } : {}) }];

    if (reqBreach === undefined) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'statistic',
            severity: 'info',
            title: `${statistic} ${unit(statBreach)} vs p99 ${shown(p99Breach)}: traffic unknown`,
            summary: `${shape}; no ${reqName} series, so the low-traffic artifact can be neither ruled in nor out`,
            evidence,
            signals: { 'low-traffic-artifact': ['neutral', `no ${reqName} series`] },
          }),
        ],
        discovered: [],
      };
    }
    // Against the service's own baseline when there is one; else against the rest of the window.
    const usual = baseline ?? reqOk;
    const usualName = baseline !== undefined ? 'usually (the median hour of the previous day)' : 'in the rest of the window';
    const lowTraffic = usual !== undefined ? reqBreach < LOW_TRAFFIC_SHARE * usual : reqBreach < LOW_TRAFFIC_REQUESTS_PER_PERIOD;
    const traffic = `${Math.round(reqBreach)} ${reqName} per ${periodText(period)} while breaching${usual !== undefined ? ` vs ${Math.round(usual)} ${usualName}` : ''}`;
    if (lowTraffic) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'low-traffic',
            severity: 'warning',
            title: `Low-traffic artifact: ${periods} carried only ${Math.round(reqBreach)} ${reqName} each`,
            summary: `${shape}, with a median of ${traffic}: a few slow requests on a near-idle target inflate the ${statistic}; alarm on a percentile with a minimum request count instead`,
            evidence,
            signals: { 'low-traffic-artifact': ['supports', `breaching periods carried a median of ${traffic}`] },
            symptoms: [{ id: 'low-traffic-breach', text: `${periods} carried ${traffic}` }],
          }),
        ],
        discovered: [],
      };
    }
    const symptoms: SymptomInput[] = isLatency(alarm.metricName) ? [{ id: 'latency', text: `${alarm.metricName} ${statistic} ${unit(statBreach)} (threshold ${alarm.threshold}) under real traffic, ${Math.round(reqBreach)} ${reqName} per ${periodText(period)}` }] : [];
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'real-traffic',
          severity: 'info',
          title: `${statistic} ${unit(statBreach)} under real traffic (${Math.round(reqBreach)} ${reqName} per ${periodText(period)})`,
          summary: `${shape}, with a median of ${traffic}: the breaches come with real traffic, not a handful of slow requests on an idle target`,
          evidence,
          signals: { 'low-traffic-artifact': ['refutes', `breaching periods carried ${traffic}`] },
          symptoms,
        }),
      ],
      discovered: [],
    };
  },
};
