/**
 * Alarm views of a scenario: the state at a moment, the state history as CloudWatch records it
 * (with reasons worded as CloudWatch words them, from the metric's own datapoints), and the SNS
 * `Message` CloudWatch publishes on a transition (reference/protocols.md 3.1).
 */
import { AppError } from '../../errors.js';
import type { AlarmStateValue, Scenario, ScenarioAlarm } from './schema.js';
import { combine, parseStat, bucketize } from './statistics.js';
import { sameDimensionSet, type ExpandedMetric } from './expand.js';
import { relativeMs } from './time.js';

export interface ResolvedTransition {
  time: Date;
  from: AlarmStateValue;
  to: AlarmStateValue;
  reason: string;
  /** JSON string (stateReasonData). */
  reasonData?: string;
}

export function alarmArn(scenario: Pick<Scenario, 'region' | 'accountId'>, alarmName: string): string {
  return `arn:aws:cloudwatch:${scenario.region}:${scenario.accountId}:alarm:${alarmName}`;
}

export function findAlarm(scenario: Scenario, name: string): ScenarioAlarm | undefined {
  return scenario.cloudwatch.alarms.find((a) => a.name === name);
}

export function alarmMetric(alarm: ScenarioAlarm, metrics: readonly ExpandedMetric[]): ExpandedMetric | undefined {
  return metrics.find((m) => m.namespace === alarm.namespace && m.metricName === alarm.metricName && sameDimensionSet(m.dimensions, alarm.dimensions));
}

/** The state of the alarm at `atMs` relative to the anchor (ms), from its history; `state` at and after the anchor's last transition. */
export function alarmStateAtOffset(alarm: ScenarioAlarm, offsetMs: number): AlarmStateValue {
  const past = alarm.history.filter((h) => relativeMs(h.at) <= offsetMs);
  const last = past[past.length - 1];
  if (last) return last.to;
  const first = alarm.history[0];
  return first ? first.from : alarm.state;
}

/** How CloudWatch words each comparison, and the comparison itself. */
const OPERATORS: Record<string, { yes: string; no: string; breaches: (v: number, threshold: number) => boolean }> = {
  GreaterThanThreshold: { yes: 'greater than', no: 'not greater than', breaches: (v, t) => v > t },
  GreaterThanOrEqualToThreshold: { yes: 'greater than or equal to', no: 'not greater than or equal to', breaches: (v, t) => v >= t },
  LessThanThreshold: { yes: 'less than', no: 'not less than', breaches: (v, t) => v < t },
  LessThanOrEqualToThreshold: { yes: 'less than or equal to', no: 'not less than or equal to', breaches: (v, t) => v <= t },
};

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** 18/02/23 16:42:00 (as in CloudWatch's reasons). */
function reasonDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** 2023-02-18T16:43:21.231+0000 (CloudWatch's timestamp format in messages). */
export function cloudWatchTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

function num(v: number): string {
  const s = String(Number(v.toPrecision(12)));
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/**
 * The reason CloudWatch gives for a transition, from the datapoints the alarm evaluated: the last
 * `evaluationPeriods` periods that ended by the transition. The reason names the datapoints that
 * satisfy the new state (breaching ones for ALARM, the others for OK), so its words always agree
 * with its numbers: `1 out of the last 2 datapoints [0.31 (...)] was not greater than the threshold
 * (0.8)`. stateReasonData lists every evaluated datapoint, the most recent first. Undefined when
 * the metric has no datapoints there.
 */
export function transitionReason(alarm: ScenarioAlarm, metric: ExpandedMetric | undefined, time: Date, from: AlarmStateValue, to: AlarmStateValue): { reason: string; reasonData: string } | undefined {
  if (!metric || to === 'INSUFFICIENT_DATA') return undefined;
  const statName = alarm.statistic ?? alarm.extendedStatistic ?? 'Average';
  const stat = parseStat(statName);
  const op = OPERATORS[alarm.comparisonOperator];
  if (!stat || !op) return undefined;
  const p = alarm.period * 1000;
  const end = Math.floor(time.getTime() / p) * p;
  const start = end - alarm.evaluationPeriods * p;
  const buckets = bucketize(
    metric.points.map((pt) => ({ t: pt.timestamp.getTime(), stats: pt.stats })),
    alarm.period,
    start,
    end,
  ).reverse();
  const values: { t: number; v: number; n?: number }[] = [];
  for (const b of buckets) {
    const r = combine(b.points, stat);
    if (r.ok) {
      const count = combine(b.points, { kind: 'basic', name: 'SampleCount' });
      values.push({ t: b.t, v: r.value, ...(count.ok ? { n: count.value } : {}) });
    }
  }
  if (values.length === 0) return undefined;
  const named = values.filter((x) => op.breaches(x.v, alarm.threshold) === (to === 'ALARM'));
  const m = to === 'ALARM' ? (alarm.datapointsToAlarm ?? alarm.evaluationPeriods) : 1;
  const list = named.map((x) => `${num(x.v)} (${reasonDate(x.t)})`).join(', ');
  const verb = named.length === 1 ? 'was' : 'were';
  const reason =
    `Threshold Crossed: ${named.length} out of the last ${alarm.evaluationPeriods} datapoints [${list}] ${verb} ${to === 'ALARM' ? op.yes : op.no} ` +
    `the threshold (${num(alarm.threshold)}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for ${from} -> ${to} transition).`;
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: cloudWatchTimestamp(time),
    startDate: cloudWatchTimestamp(new Date(start)),
    statistic: statName,
    period: alarm.period,
    recentDatapoints: values.map((x) => x.v),
    threshold: alarm.threshold,
    evaluatedDatapoints: values.map((x) => ({ timestamp: cloudWatchTimestamp(new Date(x.t)), ...(x.n === undefined ? {} : { sampleCount: x.n }), value: x.v })),
  });
  return { reason, reasonData };
}

/** The alarm's transitions at the anchor, ascending, each with its reason. */
export function alarmTransitions(alarm: ScenarioAlarm, metrics: readonly ExpandedMetric[], anchor: Date): ResolvedTransition[] {
  const metric = alarmMetric(alarm, metrics);
  return alarm.history.map((h) => {
    const time = new Date(anchor.getTime() + relativeMs(h.at));
    const computed = transitionReason(alarm, metric, time, h.from, h.to);
    const reason = h.reason ?? computed?.reason ?? (h.to === 'INSUFFICIENT_DATA' ? 'Insufficient Data: 1 datapoint was unknown.' : `Alarm updated from ${h.from} to ${h.to}`);
    return { time, from: h.from, to: h.to, reason, ...(computed ? { reasonData: computed.reasonData } : {}) };
  });
}

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ca-central-1': 'Canada (Central)',
  'sa-east-1': 'South America (Sao Paulo)',
};

export function regionDisplayName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

const STATISTIC_UPPER: Record<string, string> = { Average: 'AVERAGE', Sum: 'SUM', SampleCount: 'SAMPLE_COUNT', Minimum: 'MINIMUM', Maximum: 'MAXIMUM' };

/**
 * The SNS Subject and Message (a JSON string) CloudWatch publishes when `alarmName` goes to `state` at `time`
 * (reference/protocols.md 3.1). The reason is the given one, else the history's, else computed from the metric.
 */
export function cloudWatchAlarmNotification(
  scenario: Scenario,
  metrics: readonly ExpandedMetric[],
  anchor: Date,
  input: { alarm: string; state: AlarmStateValue; time: Date; reason?: string },
): { subject: string; message: string; topicArn: string } {
  const alarm = findAlarm(scenario, input.alarm);
  if (!alarm) throw new AppError('not_found', `no alarm named ${input.alarm} in scenario ${scenario.name}`);
  const offset = input.time.getTime() - anchor.getTime();
  const transitions = alarmTransitions(alarm, metrics, anchor);
  const here = transitions.find((t) => t.time.getTime() === input.time.getTime() && t.to === input.state);
  const before = alarmStateAtOffset(alarm, offset - 1);
  const oldState = here?.from ?? (before === input.state ? (input.state === 'ALARM' ? 'OK' : 'ALARM') : before);
  const computed = transitionReason(alarm, alarmMetric(alarm, metrics), input.time, oldState, input.state);
  const reason = input.reason ?? here?.reason ?? computed?.reason ?? `Alarm updated from ${oldState} to ${input.state}`;
  const topic = `arn:aws:sns:${scenario.region}:${scenario.accountId}:warroom-alarms`;
  const actions = alarm.actions ?? { alarm: [topic], ok: [topic], insufficientData: [] };
  const created = alarm.createdAt ? new Date(anchor.getTime() + relativeMs(alarm.createdAt)) : new Date(anchor.getTime() - 7 * 86_400_000);
  const trigger: Record<string, unknown> = {
    MetricName: alarm.metricName,
    Namespace: alarm.namespace,
    StatisticType: alarm.extendedStatistic ? 'ExtendedStatistic' : 'Statistic',
    ...(alarm.extendedStatistic ? { ExtendedStatistic: alarm.extendedStatistic } : { Statistic: STATISTIC_UPPER[alarm.statistic ?? 'Average'] }),
    Unit: alarm.unit ?? null,
    Dimensions: alarm.dimensions.map((d) => ({ value: d.value, name: d.name })),
    Period: alarm.period,
    EvaluationPeriods: alarm.evaluationPeriods,
    ...(alarm.datapointsToAlarm === undefined ? {} : { DatapointsToAlarm: alarm.datapointsToAlarm }),
    ComparisonOperator: alarm.comparisonOperator,
    Threshold: alarm.threshold,
    TreatMissingData: alarm.treatMissingData,
    EvaluateLowSampleCountPercentile: '',
  };
  const message = {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: scenario.accountId,
    AlarmConfigurationUpdatedTimestamp: cloudWatchTimestamp(created),
    NewStateValue: input.state,
    NewStateReason: reason,
    StateChangeTime: cloudWatchTimestamp(input.time),
    Region: regionDisplayName(scenario.region),
    AlarmArn: alarmArn(scenario, alarm.name),
    OldStateValue: oldState,
    OKActions: actions.ok,
    AlarmActions: actions.alarm,
    InsufficientDataActions: actions.insufficientData,
    Trigger: trigger,
  };
  const prefix = `${input.state}: "`;
  const suffix = `" in ${regionDisplayName(scenario.region)}`;
  const room = 100 - prefix.length - suffix.length;
  const name = alarm.name.length > room ? `${alarm.name.slice(0, Math.max(0, room - 3))}...` : alarm.name;
  return { subject: `${prefix}${name}${suffix}`, message: JSON.stringify(message), topicArn: actions.alarm[0] ?? topic };
}
