/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics` (backfill).
 *
 * Counters: OpenMetrics names the family without `_total` in `# TYPE` and the samples with it, and
 * Prometheus stores the sample name. So a counter given as `container_cpu_usage_seconds_total`
 * (the cAdvisor name) is written as family `container_cpu_usage_seconds` with samples named
 * `container_cpu_usage_seconds_total`, and that is the name in the TSDB. A counter given without the
 * suffix (`http_requests`) gets it on its samples: it is stored as `http_requests_total`.
 *
 * Output: families sorted by name, series sorted by labels, samples ascending in time, timestamps in
 * seconds (millisecond precision), `# EOF` last. Pure.
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Any JS number, NaN and ±Infinity included (z.number() refuses those). */
const AnyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number');

export const BackfillSeries = z.object({
  metric: z.string().regex(METRIC_NAME, 'invalid metric name'),
  labels: z.record(
    z.string().regex(LABEL_NAME, 'invalid label name').refine((n) => !n.startsWith('__'), 'label names starting with __ are reserved'),
    z.string(),
  ),
  type: z.enum(['gauge', 'counter']),
  /** [unix milliseconds, value] in any order. */
  samples: z.array(z.tuple([z.number().nonnegative(), AnyNumber])),
});
export type BackfillSeries = z.infer<typeof BackfillSeries>;

/** The metric name a series is stored under in the TSDB. */
export function storedMetricName(s: Pick<BackfillSeries, 'metric' | 'type'>): string {
  return s.type === 'counter' && !s.metric.endsWith('_total') ? `${s.metric}_total` : s.metric;
}

function familyName(s: Pick<BackfillSeries, 'metric' | 'type'>): string {
  return s.type === 'counter' ? storedMetricName(s).slice(0, -'_total'.length) : s.metric;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Unix ms -> seconds with up to 3 decimals, without float noise. */
export function formatTimestamp(ms: number): string {
  const whole = Math.round(ms);
  const secs = Math.floor(whole / 1000);
  const frac = whole - secs * 1000;
  return frac === 0 ? String(secs) : `${secs}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k] ?? '')}"`)
    .join(',');
}

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  sampleName: string;
  /** labelKey -> time ms -> value */
  series: Map<string, Map<number, number>>;
}

export function writeOpenMetrics(input: BackfillSeries[]): string {
  const parsed = z.array(BackfillSeries).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('bad_request', `invalid backfill series at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  const families = new Map<string, Family>();
  for (const s of parsed.data) {
    const name = familyName(s);
    let fam = families.get(name);
    if (!fam) {
      fam = { name, type: s.type, sampleName: storedMetricName(s), series: new Map() };
      families.set(name, fam);
    } else if (fam.type !== s.type) {
      throw new AppError('bad_request', `metric family ${name} is both a ${fam.type} and a ${s.type}`);
    }
    const key = labelKey(s.labels);
    let points = fam.series.get(key);
    if (!points) {
      points = new Map();
      fam.series.set(key, points);
    }
    for (const [t, v] of s.samples) {
      const ms = Math.round(t);
      if (s.type === 'counter' && v < 0) throw new AppError('bad_request', `counter ${fam.sampleName}{${key}} has a negative value ${v}`);
      const prev = points.get(ms);
      if (prev !== undefined && !Object.is(prev, v)) {
        throw new AppError('bad_request', `${fam.sampleName}{${key}} has two values at ${new Date(ms).toISOString()}: ${prev} and ${v}`);
      }
      points.set(ms, v);
    }
  }

  const lines: string[] = [];
  for (const fam of [...families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const series = [...fam.series.entries()].filter(([, pts]) => pts.size > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (series.length === 0) continue;
    lines.push(`# TYPE ${fam.name} ${fam.type}`);
    for (const [key, pts] of series) {
      const head = key ? `${fam.sampleName}{${key}}` : fam.sampleName;
      for (const t of [...pts.keys()].sort((a, b) => a - b)) {
        lines.push(`${head} ${formatValue(pts.get(t) ?? Number.NaN)} ${formatTimestamp(t)}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

