/**
 * CloudWatchPort over @aws-sdk/client-cloudwatch. Endpoint, credentials and retries come from the
 * SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL_CLOUDWATCH, profiles, IMDS...); an
 * explicit endpoint is allowed for the sandbox. SDK errors become AppErrors with a code.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  type CloudWatchClientConfig,
  type MetricAlarm,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { cloudWatchConsoleUrl } from '../../domain/aws-console.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { quietSdkNodeVersionWarning } from './node-support.js';
import type { AlarmDescription, AlarmHistoryItem, CloudWatchPort, MetricQuery, MetricSeries } from '../../workflows/ports.js';

export interface CloudWatchAdapterOptions {
  /** The client for a region (tests, or custom configuration). Default: one cached client per region. */
  clientFor?: (region: string) => CloudWatchClient;
  /** Explicit endpoint (the sandbox emulator); otherwise the SDK's own resolution. */
  endpoint?: string;
  /** Extra client configuration for the default clients (credentials for the sandbox, maxAttempts...). */
  clientConfig?: Omit<CloudWatchClientConfig, 'region' | 'endpoint'>;
  /** Safety bound on pages followed per call. */
  maxPages?: number;
  /** DescribeAlarmHistory MaxRecords (1..100, default 100). */
  historyPageSize?: number;
  /** GetMetricData MaxDatapoints per call (default: the service's 100,800). */
  maxDatapointsPerCall?: number;
}

const MAX_QUERIES_PER_CALL = 500;

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'LimitExceededException', 'LimitExceeded']);
const FORBIDDEN = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'ExpiredToken', 'ExpiredTokenException', 'InvalidSignatureException', 'SignatureDoesNotMatch']);
const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceNotFoundException']);
const BAD_REQUEST = new Set([
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterCombinationException',
  'MissingParameter',
  'MissingRequiredParameterException',
  'InvalidNextToken',
  'ValidationError',
  'ValidationException',
  'InvalidFormat',
  'InvalidFormatFault',
  'SerializationException',
]);
const UNAVAILABLE = new Set(['InternalServiceError', 'InternalServiceFault', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);

const SdkErrorShape = z.object({
  name: z.string().optional(),
  message: z.string().optional(),
  Code: z.string().optional(),
  $fault: z.string().optional(),
  $metadata: z.object({ httpStatusCode: z.number().optional(), requestId: z.string().optional() }).optional(),
  code: z.string().optional(),
});

function codeFor(name: string, status: number | undefined, fault: string | undefined): ErrorCode {
  if (THROTTLING.has(name) || status === 429) return 'throttled';
  if (FORBIDDEN.has(name) || status === 403) return 'forbidden';
  if (NOT_FOUND.has(name) || status === 404) return 'not_found';
  if (BAD_REQUEST.has(name)) return 'bad_request';
  if (UNAVAILABLE.has(name) || (status !== undefined && status >= 500) || fault === 'server') return 'unavailable';
  if (status !== undefined && status >= 400) return 'bad_request';
  // No HTTP answer at all: network errors (ECONNREFUSED, socket hang up, DNS).
  return 'unavailable';
}

/** Maps an SDK (or network, or abort) error to an AppError. */
export function mapCloudWatchError(e: unknown, operation: string, signal?: AbortSignal): AppError {
  if (e instanceof AppError) return e;
  const shape = SdkErrorShape.safeParse(e);
  const err = shape.success ? shape.data : {};
  const name = err.Code ?? err.name ?? 'Error';
  const message = err.message ?? String(e);
  if (signal?.aborted || name === 'AbortError' || name === 'TimeoutError') {
    return new AppError('timeout', `CloudWatch ${operation} aborted${signal?.reason instanceof Error ? `: ${signal.reason.message}` : ''}`, { cause: e, details: { operation, aborted: true } });
  }
  const status = err.$metadata?.httpStatusCode;
  const code = codeFor(name, status, err.$fault);
  return new AppError(code, `CloudWatch ${operation} failed: ${name}: ${message}`, {
    cause: e,
    details: { operation, awsCode: name, httpStatus: status, requestId: err.$metadata?.requestId },
  });
}

const HistoryData = z.object({
  oldState: z.object({ stateValue: z.string() }).optional(),
  newState: z.object({ stateValue: z.string() }).optional(),
});

function statesOf(historyData: string | undefined, summary: string): { oldState?: string; newState?: string } {
  if (historyData) {
    try {
      const parsed = HistoryData.safeParse(JSON.parse(historyData));
      if (parsed.success && (parsed.data.oldState || parsed.data.newState)) {
        return {
          ...(parsed.data.oldState ? { oldState: parsed.data.oldState.stateValue } : {}),
          ...(parsed.data.newState ? { newState: parsed.data.newState.stateValue } : {}),
        };
      }
    } catch {
      // fall back to the summary
    }
  }
  const m = /from (\w+) to (\w+)/.exec(summary);
  return m ? { oldState: m[1] as string, newState: m[2] as string } : {};
}

const STATE = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const STATUS = z.enum(['Complete', 'PartialData', 'Forbidden', 'InternalError']);

function toAlarmDescription(a: MetricAlarm): AlarmDescription {
  const state = STATE.safeParse(a.StateValue);
  return {
    alarmName: a.AlarmName ?? '',
    alarmArn: a.AlarmArn ?? '',
    stateValue: state.success ? state.data : 'INSUFFICIENT_DATA',
    ...(a.StateReason === undefined ? {} : { stateReason: a.StateReason }),
    ...(a.StateUpdatedTimestamp === undefined ? {} : { stateUpdatedAt: a.StateUpdatedTimestamp }),
    ...(a.Namespace === undefined ? {} : { namespace: a.Namespace }),
    ...(a.MetricName === undefined ? {} : { metricName: a.MetricName }),
    ...(a.Statistic === undefined ? {} : { statistic: a.Statistic }),
    ...(a.ExtendedStatistic === undefined ? {} : { extendedStatistic: a.ExtendedStatistic }),
    dimensions: (a.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' })),
    ...(a.Period === undefined ? {} : { period: a.Period }),
    ...(a.EvaluationPeriods === undefined ? {} : { evaluationPeriods: a.EvaluationPeriods }),
    ...(a.DatapointsToAlarm === undefined ? {} : { datapointsToAlarm: a.DatapointsToAlarm }),
    ...(a.Threshold === undefined ? {} : { threshold: a.Threshold }),
    ...(a.ComparisonOperator === undefined ? {} : { comparisonOperator: a.ComparisonOperator }),
  };
}

export function createCloudWatchAdapter(opts: CloudWatchAdapterOptions = {}): CloudWatchPort {
  const clients = new Map<string, CloudWatchClient>();
  const maxPages = opts.maxPages ?? 1000;
  const clientFor =
    opts.clientFor ??
    ((region: string): CloudWatchClient => {
      let c = clients.get(region);
      if (!c) {
        quietSdkNodeVersionWarning();
        c = new CloudWatchClient({ ...opts.clientConfig, region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
        clients.set(region, c);
      }
      return c;
    });

  async function call<T>(operation: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (signal?.aborted) throw mapCloudWatchError(signal.reason, operation, signal);
    try {
      return await fn();
    } catch (e) {
      throw mapCloudWatchError(e, operation, signal);
    }
  }

  /** GetMetricData for the queries (500 per call, every page followed): id -> datapoints and status. */
  async function fetchSeries(region: string, queries: MetricQuery[], start: Date, end: Date, signal: AbortSignal | undefined): Promise<Map<string, Fetched>> {
    const byId = new Map<string, Fetched>();
    for (const q of queries) byId.set(q.id, { ...(q.label === undefined ? {} : { label: q.label }), points: new Map(), status: 'Complete' });
    for (let i = 0; i < queries.length; i += MAX_QUERIES_PER_CALL) {
      const chunk = queries.slice(i, i + MAX_QUERIES_PER_CALL);
      let token: string | undefined;
      let pages = 0;
      let last: MetricDataResult[];
      do {
        const out = await call('GetMetricData', signal, () =>
          clientFor(region).send(
            new GetMetricDataCommand({
              MetricDataQueries: chunk.map(toQuery),
              StartTime: start,
              EndTime: end,
              ScanBy: 'TimestampAscending',
              ...(opts.maxDatapointsPerCall ? { MaxDatapoints: opts.maxDatapointsPerCall } : {}),
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: signal },
          ),
        );
        last = out.MetricDataResults ?? [];
        for (const r of last) {
          const entry = r.Id === undefined ? undefined : byId.get(r.Id);
          if (!entry) continue;
          if (entry.label === undefined && r.Label !== undefined) entry.label = r.Label;
          const ts = r.Timestamps ?? [];
          const vs = r.Values ?? [];
          ts.forEach((t, k) => {
            const v = vs[k];
            if (v !== undefined) entry.points.set(t.getTime(), v);
          });
          const status = STATUS.safeParse(r.StatusCode);
          if (status.success && status.data !== 'Complete' && status.data !== 'PartialData') entry.status = status.data;
        }
        token = out.NextToken;
        pages++;
      } while (token && pages < maxPages);
      // PartialData on the last page means CloudWatch could not return everything.
      for (const r of last) {
        const entry = r.Id === undefined ? undefined : byId.get(r.Id);
        if (entry && entry.status === 'Complete' && r.StatusCode === 'PartialData') entry.status = 'PartialData';
      }
    }
    return byId;
  }

  return {
    async describeAlarm(region, alarmName, signal) {
      const out = await call('DescribeAlarms', signal, () =>
        clientFor(region).send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm'] }), { abortSignal: signal }),
      );
      const alarm = (out.MetricAlarms ?? []).find((a) => a.AlarmName === alarmName);
      return alarm ? toAlarmDescription(alarm) : undefined;
    },

    async alarmHistory(region, alarmName, start, end, signal) {
      const items: AlarmHistoryItem[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await call('DescribeAlarmHistory', signal, () =>
          clientFor(region).send(
            new DescribeAlarmHistoryCommand({
              AlarmName: alarmName,
              HistoryItemType: 'StateUpdate',
              StartDate: start,
              EndDate: end,
              ScanBy: 'TimestampAscending',
              MaxRecords: opts.historyPageSize ?? 100,
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: signal },
          ),
        );
        for (const h of out.AlarmHistoryItems ?? []) {
          if (!h.Timestamp || h.HistoryItemType !== 'StateUpdate') continue;
          const t = h.Timestamp.getTime();
          if (t < start.getTime() || t >= end.getTime()) continue;
          const summary = h.HistorySummary ?? '';
          items.push({ timestamp: h.Timestamp, summary, ...statesOf(h.HistoryData, summary) });
        }
        token = out.NextToken;
        pages++;
      } while (token && pages < maxPages);
      return items.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    },

    async listMetrics(region, namespace, metricName, dimensions, signal) {
      const sets: { name: string; value: string }[][] = [];
      const seen = new Set<string>();
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await call('ListMetrics', signal, () =>
          clientFor(region).send(
            new ListMetricsCommand({
              Namespace: namespace,
              MetricName: metricName,
              Dimensions: dimensions.map((d) => ({ Name: d.name, ...(d.value === undefined ? {} : { Value: d.value }) })),
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: signal },
          ),
        );
        for (const m of out.Metrics ?? []) {
          const set = (m.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' }));
          const key = JSON.stringify([...set].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
          if (seen.has(key)) continue;
          seen.add(key);
          sets.push(set);
        }
        token = out.NextToken;
        pages++;
      } while (token && pages < maxPages);
      return sets;
    },

    async getMetricData(region, queries, start, end, signal) {
      const required = queries.filter((q) => !q.optional);
      const optional = queries.filter((q) => q.optional);
      const fetched = new Map<string, Fetched>();
      const fetchOptional = async (group: MetricQuery[]): Promise<void> => {
        try {
          for (const [id, entry] of await fetchSeries(region, group, start, end, signal)) fetched.set(id, entry);
        } catch (e) {
          const err = mapCloudWatchError(e, 'GetMetricData', signal);
          if (err.code === 'timeout') throw err;
          // one refused statistic must not hide another: retry each query of a failed group alone
          if (group.length > 1) {
            for (const q of group) await fetchOptional([q]);
            return;
          }
          for (const q of group) fetched.set(q.id, { ...(q.label === undefined ? {} : { label: q.label }), points: new Map(), status: 'Unavailable', error: err.message });
        }
      };
      await Promise.all([
        required.length > 0 ? fetchSeries(region, required, start, end, signal).then((m) => m.forEach((entry, id) => fetched.set(id, entry))) : undefined,
        optional.length > 0 ? fetchOptional(optional) : undefined,
      ]);
      return queries.map((q): MetricSeries => {
        const entry = fetched.get(q.id);
        const sorted = [...(entry?.points ?? new Map<number, number>()).entries()].sort((a, b) => a[0] - b[0]);
        return {
          id: q.id,
          ...(entry?.label === undefined ? {} : { label: entry.label }),
          timestamps: sorted.map(([t]) => new Date(t)),
          values: sorted.map(([, v]) => v),
          status: entry?.status ?? 'Complete',
          ...(entry?.error === undefined ? {} : { error: entry.error }),
        };
      });
    },

    consoleLink(region, what) {
      return cloudWatchConsoleUrl(region, what);
    },
  };
}

interface Fetched {
  label?: string;
  points: Map<number, number>;
  status: MetricSeries['status'];
  error?: string;
}

function toQuery(q: MetricQuery): MetricDataQuery {
  return {
    Id: q.id,
    ...(q.label === undefined ? {} : { Label: q.label }),
    ReturnData: true,
    MetricStat: {
      Metric: { Namespace: q.namespace, MetricName: q.metricName, Dimensions: q.dimensions.map((d) => ({ Name: d.name, Value: d.value })) },
      Period: q.period,
      Stat: q.stat,
    },
  };
}
