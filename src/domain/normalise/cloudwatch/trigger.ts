/**
 * The alarm's Trigger in an SNS alarm message: a single metric (MetricName, Namespace, Statistic or
 * ExtendedStatistic, Dimensions...) or metric math (`Metrics[]` of expressions and MetricStats),
 * normalised to the domain AlarmTrigger. A Trigger that cannot be understood is dropped with a
 * warning instead of losing the page.
 */
import { z } from 'zod';
import { AlarmTrigger } from '../../alert.js';
import type { TriggerMetric } from '../../alert.js';
import { formatIssues } from '../common.js';
import { cleanTreatMissingData, looseBool, looseNumber, nonEmpty, SnsDimensions } from './lenient.js';

const STATISTICS: Record<string, string> = {
  AVERAGE: 'Average',
  SUM: 'Sum',
  SAMPLE_COUNT: 'SampleCount',
  SAMPLECOUNT: 'SampleCount',
  MINIMUM: 'Minimum',
  MAXIMUM: 'Maximum',
};

/** `AVERAGE` -> `Average`, `SAMPLE_COUNT` -> `SampleCount`; extended statistics (`p99`, `tm90`) kept. */
export function normaliseStatistic(s: string): string {
  const t = s.trim();
  return STATISTICS[t.toUpperCase().replace(/[\s-]/g, '_')] ?? t;
}

const RawMetricStat = z.object({
  Metric: z.object({ Dimensions: SnsDimensions, MetricName: z.string(), Namespace: z.string() }),
  Period: looseNumber,
  Stat: z.string(),
  Unit: z.string().nullish(),
});

const RawTriggerMetric = z.object({
  Id: z.string(),
  Expression: z.string().nullish(),
  Label: z.string().nullish(),
  /** Defaults to true, as in MetricDataQuery. */
  ReturnData: looseBool.nullish(),
  MetricStat: RawMetricStat.nullish(),
  AccountId: z.string().nullish(),
});

const RawTrigger = z.object({
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
  StatisticType: z.string().nullish(),
  Statistic: z.string().nullish(),
  ExtendedStatistic: z.string().nullish(),
  Unit: z.string().nullish(),
  Dimensions: SnsDimensions,
  Period: looseNumber,
  EvaluationPeriods: looseNumber,
  DatapointsToAlarm: looseNumber.nullish(),
  ComparisonOperator: z.string(),
  Threshold: looseNumber,
  TreatMissingData: z.string().nullish(),
  EvaluateLowSampleCountPercentile: z.string().nullish(),
  Metrics: z.array(RawTriggerMetric).nullish(),
});
type RawTrigger = z.infer<typeof RawTrigger>;

function triggerFromRaw(raw: RawTrigger): unknown {
  const statistic =
    raw.StatisticType === 'ExtendedStatistic'
      ? (nonEmpty(raw.ExtendedStatistic) ?? nonEmpty(raw.Statistic))
      : (nonEmpty(raw.Statistic) ?? nonEmpty(raw.ExtendedStatistic));
  const metrics: TriggerMetric[] = (raw.Metrics ?? []).map((m) => {
    const out: TriggerMetric = { id: m.Id, returnData: m.ReturnData ?? true };
    if (nonEmpty(m.Expression)) out.expression = m.Expression ?? undefined;
    if (nonEmpty(m.Label)) out.label = m.Label ?? undefined;
    if (m.MetricStat) {
      out.metric = {
        namespace: m.MetricStat.Metric.Namespace,
        metricName: m.MetricStat.Metric.MetricName,
        dimensions: m.MetricStat.Metric.Dimensions,
        period: m.MetricStat.Period,
        stat: normaliseStatistic(m.MetricStat.Stat),
      };
    }
    return out;
  });
  const t: Record<string, unknown> = {
    dimensions: raw.Dimensions,
    period: raw.Period,
    evaluationPeriods: raw.EvaluationPeriods,
    comparisonOperator: raw.ComparisonOperator,
    threshold: raw.Threshold,
    metrics,
  };
  if (nonEmpty(raw.MetricName)) t.metricName = raw.MetricName;
  if (nonEmpty(raw.Namespace)) t.namespace = raw.Namespace;
  if (statistic) t.statistic = normaliseStatistic(statistic);
  if (raw.DatapointsToAlarm !== null && raw.DatapointsToAlarm !== undefined && raw.DatapointsToAlarm > 0) t.datapointsToAlarm = raw.DatapointsToAlarm;
  const tmd = cleanTreatMissingData(raw.TreatMissingData);
  if (tmd) t.treatMissingData = tmd;
  if (nonEmpty(raw.Unit)) t.unit = raw.Unit;
  return t;
}

export function parseTrigger(raw: unknown, warnings: string[]): AlarmTrigger | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const r = RawTrigger.safeParse(raw);
  if (!r.success) {
    warnings.push(`Trigger dropped: ${formatIssues(r.error, ['Trigger'])}`);
    return undefined;
  }
  const t = AlarmTrigger.safeParse(triggerFromRaw(r.data));
  if (!t.success) {
    warnings.push(`Trigger dropped: ${formatIssues(t.error, ['Trigger'])}`);
    return undefined;
  }
  return t.data;
}
