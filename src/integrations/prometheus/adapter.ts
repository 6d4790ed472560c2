/**
 * PrometheusPort over the Prometheus HTTP API (v1). Queries are POSTed form-encoded so long PromQL
 * fits; responses are validated with zod and sample values ("1.5", "NaN", "+Inf", "-Inf") become
 * numbers. Errors: errorType bad_data/execution -> bad_request, 429 -> throttled, 5xx, the
 * server's own timeout, our deadline and network errors -> unavailable (see ./http.ts).
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { PrometheusPort, PromSample } from '../../workflows/ports.js';
import { codeForStatus, httpCall, joinUrl, parseBaseUrl, type FetchLike } from './http.js';

export interface PrometheusAdapterOptions {
  baseUrl: string;
  fetchImpl?: FetchLike;
  /** Per-request deadline, also sent to Prometheus as the query `timeout`. Default 15 s. */
  timeoutMs?: number;
  /** Extra request headers (e.g. Authorization for a protected Prometheus). Credentials in baseUrl become Basic auth. */
  headers?: Record<string, string>;
}

const SERVICE = 'prometheus';

/** A sample value as Prometheus encodes it (strconv 'f' format, or NaN / +Inf / -Inf). */
export function parseSampleValue(s: string): number {
  if (s === 'NaN') return Number.NaN;
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(s);
  if (s.trim() === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(s)}`);
  return n;
}

const SampleValue = z.string().transform((s, ctx) => {
  try {
    return parseSampleValue(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
    return z.NEVER;
  }
});
const Point = z.tuple([z.number(), SampleValue]);
const Labels = z.record(z.string(), z.string());

const QueryData = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('matrix'),
    // `values` is absent for native-histogram-only series (they carry `histograms`, ignored here).
    result: z.array(z.object({ metric: Labels, values: z.array(Point).default([]) })),
  }),
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: Labels, value: Point.optional() })) }),
  z.object({ resultType: z.literal('scalar'), result: Point }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
]);

const Success = z.object({ status: z.literal('success'), data: QueryData, warnings: z.array(z.string()).optional() });
const Failure = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });

type QueryData = z.infer<typeof QueryData>;

function toSamples(data: QueryData, promql: string): PromSample[] {
  switch (data.resultType) {
    case 'matrix':
      return data.result.map((r) => ({ metric: r.metric, values: r.values }));
    case 'vector':
      return data.result.map((r) => ({ metric: r.metric, values: r.value ? [r.value] : [] }));
    case 'scalar':
      return [{ metric: {}, values: [data.result] }];
    case 'string':
      throw new AppError('bad_request', `PromQL evaluates to a string, not a number: ${promql}`, { details: { promql } });
  }
}

function failure(status: number, body: unknown, text: string, promql: string): AppError {
  const parsed = Failure.safeParse(body);
  if (parsed.success) {
    const { errorType, error } = parsed.data;
    const details = { promql, status, errorType };
    if (errorType === 'bad_data' || errorType === 'execution') return new AppError('bad_request', `prometheus: ${error}`, { details });
    if (status === 429) return new AppError('throttled', `prometheus: ${error}`, { details });
    if (errorType === 'timeout' || errorType === 'unavailable' || errorType === 'internal' || errorType === 'canceled' || status >= 500) {
      return new AppError('unavailable', `prometheus: ${error}`, { details });
    }
    return new AppError(codeForStatus(status), `prometheus: ${error}`, { details });
  }
  const snippet = text.slice(0, 200);
  if (status >= 200 && status < 300) return new AppError('internal', `prometheus: unexpected response body: ${snippet}`, { details: { promql, status } });
  return new AppError(codeForStatus(status), `prometheus: HTTP ${status}${snippet ? `: ${snippet}` : ''}`, { details: { promql, status } });
}

/** Unix seconds with millisecond precision, as the API accepts them. */
function unixSeconds(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new AppError('bad_request', 'invalid date');
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, '');
}

/** Duration in the Prometheus UI's notation (1d2h30m, 90s...), at least 1s. */
export function promDuration(seconds: number): string {
  let rest = Math.max(1, Math.round(seconds));
  const units: [string, number][] = [['w', 604_800], ['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]];
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** `YYYY-MM-DD HH:mm:ss` in UTC, the format of the graph page's end/moment inputs. */
function uiTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function createPrometheusAdapter(opts: PrometheusAdapterOptions): PrometheusPort {
  const fetchImpl: FetchLike = opts.fetchImpl ?? ((input, init) => fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const parsed = parseBaseUrl(opts.baseUrl, SERVICE);
  const base = parsed.base;
  const headers = { ...parsed.headers, ...opts.headers };
  // Prometheus stops evaluating slightly before we give up, so its own timeout error wins.
  const serverTimeout = `${Math.max(1, Math.floor((timeoutMs * 0.9) / 1000))}s`;

  async function run(path: string, params: URLSearchParams, promql: string, signal?: AbortSignal): Promise<PromSample[]> {
    params.set('timeout', serverTimeout);
    const res = await httpCall(fetchImpl, { service: SERVICE, url: joinUrl(base, path), method: 'POST', body: params, timeoutMs, signal, headers });
    if (res.status < 200 || res.status >= 300) throw failure(res.status, res.body, res.text, promql);
    const ok = Success.safeParse(res.body);
    if (!ok.success) throw failure(res.status, res.body, res.text, promql);
    return toSamples(ok.data.data, promql);
  }

  return {
    async query(promql, at, signal) {
      return run('/api/v1/query', new URLSearchParams({ query: promql, time: unixSeconds(at) }), promql, signal);
    },
    async queryRange(promql, start, end, stepSeconds, signal) {
      if (!(stepSeconds > 0) || !Number.isFinite(stepSeconds)) {
        throw new AppError('bad_request', `step must be a positive number of seconds, got ${stepSeconds}`);
      }
      if (end.getTime() < start.getTime()) {
        throw new AppError('bad_request', 'query range end is before its start');
      }
      const params = new URLSearchParams({ query: promql, start: unixSeconds(start), end: unixSeconds(end), step: String(stepSeconds) });
      return run('/api/v1/query_range', params, promql, signal);
    },
    // Same parameters, order and encoding as the graph page writes them itself (web/ui react-app
    // utils toQueryString): encodeURIComponent values, UTC 'YYYY-MM-DD HH:mm:ss', 1h30m durations.
    graphLink(promql, start, end) {
      const range = promDuration((end.getTime() - start.getTime()) / 1000);
      const params: [string, string][] = [
        ['g0.expr', promql],
        ['g0.tab', '0'],
        ['g0.stacked', '0'],
        ['g0.range_input', range],
        ['g0.end_input', uiTime(end)],
        ['g0.moment_input', uiTime(end)],
      ];
      return `${base}/graph?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    },
  };
}
