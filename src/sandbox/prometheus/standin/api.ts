/**
 * The Prometheus HTTP API (v1) over the stand-in's store and evaluator, with Prometheus 2.x's
 * parameter parsing, response shapes and errors (web/api/v1/api.go):
 *   GET|POST /api/v1/query         query, time (default now), timeout
 *   GET|POST /api/v1/query_range   query, start, end, step (11,000 points at most), timeout
 *   GET|POST /api/v1/series        match[] (required), start, end
 *   GET|POST /api/v1/labels        match[], start, end
 *   GET      /api/v1/label/<name>/values
 * Errors: `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:9: parse error: ..."}`
 * with 400; evaluation errors `execution` with 422; timeouts `timeout` with 503. Constructs the
 * stand-in does not evaluate are bad_data (400) naming the construct.
 * Number and timestamp formatting follows Prometheus's JSON encoder (values as Go's 'f' format
 * strings, NaN/+Inf/-Inf; point timestamps as seconds with up to 3 decimals).
 */
import { typeOf } from './ast.js';
import { Evaluator, type QueryResult, type Sample, type Series } from './engine.js';
import { PromQLError, parseDurationMs, parsePromQL, parseSeriesSelector } from './parse.js';
import { compareLabels, labelKey, sortedNames, type Labels, type SeriesStore } from './storage.js';

export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Form values: the POST body's first (as Go's r.Form), then the URL's. */
  form: Map<string, string[]>;
  /** Server time (unix ms) for a query without `time`. */
  now: number;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'internal' | 'not_found';
const STATUS: Record<ErrorType, number> = { bad_data: 400, execution: 422, timeout: 503, internal: 500, not_found: 404 };

class ApiError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
  ) {
    super(message);
  }
}

const invalidParam = (name: string, message: string) => new ApiError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${message}`);

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest representation, never in exponent form. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign = '', int = '', frac = '', expText = '0'] = m;
  const digits = int + frac;
  const point = int.length + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Prometheus's jsonutil.MarshalTimestamp: seconds, then `.` and three digits when not whole. */
export function formatTimestamp(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(ms);
  const secs = Math.floor(abs / 1000);
  const frac = abs % 1000;
  return `${neg ? '-' : ''}${secs}${frac ? `.${String(frac).padStart(3, '0')}` : ''}`;
}

function metricJson(labels: Labels): string {
  return `{${sortedNames(labels)
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
    .join(',')}}`;
}

const point = (t: number, v: number) => `[${formatTimestamp(t)},${JSON.stringify(formatFloat(v))}]`;

function resultJson(r: QueryResult): string {
  switch (r.resultType) {
    case 'scalar':
      return `{"resultType":"scalar","result":[${formatFloat(r.t / 1000)},${JSON.stringify(formatFloat(r.v))}]}`;
    case 'string':
      return `{"resultType":"string","result":[${formatFloat(r.t / 1000)},${JSON.stringify(r.s)}]}`;
    case 'vector':
      return `{"resultType":"vector","result":[${r.samples.map((s: Sample) => `{"metric":${metricJson(s.labels)},"value":${point(r.t, s.v)}}`).join(',')}]}`;
    case 'matrix':
      return `{"resultType":"matrix","result":[${r.series.map((s: Series) => `{"metric":${metricJson(s.labels)},"values":[${s.points.map(([t, v]) => point(t, v)).join(',')}]}`).join(',')}]}`;
  }
}

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity)$/i;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;
/** Prometheus's minTime/maxTime as formatted by clients (the only non-4-digit-year times accepted). */
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';
const MIN_TIME_MS = -9223309901257974;
const MAX_TIME_MS = 9223309901257974;

/** parseTime: unix seconds (float, rounded to ms) or RFC 3339; unix ms, or an error text. */
export function parseTime(s: string): number | string {
  if (FLOAT.test(s.trim()) && s.trim() === s) {
    const t = Number(s.replace(/inf(inity)?$/i, 'Infinity'));
    if (!Number.isFinite(t)) return `cannot parse ${JSON.stringify(s)} to a valid timestamp`;
    const whole = Math.trunc(t);
    return whole * 1000 + Math.round((t - whole) * 1000);
  }
  const m = RFC3339.exec(s);
  if (m) {
    const base = Date.parse(`${m[1] ?? ''}${m[3] ?? 'Z'}`);
    if (!Number.isNaN(base)) return base + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3));
  }
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  return `cannot parse ${JSON.stringify(s)} to a valid timestamp`;
}

/** parseDuration: float seconds or a Prometheus duration; ms (truncated as Go does), or an error text. */
export function parseDurationParam(s: string): number | string {
  if (FLOAT.test(s) && !/inf/i.test(s)) {
    const ns = Number(s) * 1e9;
    if (Math.abs(ns) > 2 ** 63) return `cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`;
    return Math.trunc(ns / 1e6);
  }
  const d = parseDurationMs(s);
  if (d !== undefined && s !== '') return d;
  return `cannot parse ${JSON.stringify(s)} to a valid duration`;
}

function first(form: Map<string, string[]>, name: string): string {
  return form.get(name)?.[0] ?? '';
}

function timeParam(form: Map<string, string[]>, name: string, fallback: number, wrap: boolean): number {
  const raw = form.get(name)?.[0];
  if (raw === undefined || raw === '') return fallback;
  const t = parseTime(raw);
  if (typeof t === 'string') throw invalidParam(name, wrap ? `Invalid time value for '${name}': ${t}` : t);
  return t;
}

function deadlineFrom(form: Map<string, string[]>): number {
  const to = first(form, 'timeout');
  // Prometheus's default --query.timeout.
  let ms = 120_000;
  if (to !== '') {
    const d = parseDurationParam(to);
    if (typeof d === 'string') throw invalidParam('timeout', d);
    ms = Math.min(ms, d);
  }
  return Date.now() + ms;
}

/** Instant queries name the parameter in a parse error; range queries do not (Prometheus 2.x). */
function parseQuery(form: Map<string, string[]>, nameParam: boolean) {
  try {
    return parsePromQL(first(form, 'query'));
  } catch (e) {
    if (e instanceof PromQLError) throw nameParam ? invalidParam('query', e.message) : new ApiError('bad_data', e.message);
    throw e;
  }
}

function run<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PromQLError) {
      if (e.kind === 'timeout') throw new ApiError('timeout', e.message);
      if (e.kind === 'execution') throw new ApiError('execution', e.message);
      throw new ApiError('bad_data', e.message);
    }
    throw e;
  }
}

const MAX_POINTS = 11_000;

function query(store: SeriesStore, req: ApiRequest): string {
  const t = timeParam(req.form, 'time', req.now, true);
  const deadline = deadlineFrom(req.form);
  const expr = parseQuery(req.form, true);
  return resultJson(run(() => new Evaluator(store, deadline).instant(expr, t)));
}

function queryRange(store: SeriesStore, req: ApiRequest): string {
  const start = parseTime(first(req.form, 'start'));
  if (typeof start === 'string') throw invalidParam('start', start);
  const end = parseTime(first(req.form, 'end'));
  if (typeof end === 'string') throw invalidParam('end', end);
  if (end < start) throw invalidParam('end', 'end timestamp must not be before start time');
  const step = parseDurationParam(first(req.form, 'step'));
  if (typeof step === 'string') throw invalidParam('step', step);
  if (step <= 0) throw invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  if (Math.floor((end - start) / step) > MAX_POINTS) throw new ApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  const deadline = deadlineFrom(req.form);
  const expr = parseQuery(req.form, false);
  const type = typeOf(expr);
  if (type !== 'vector' && type !== 'scalar') throw new ApiError('bad_data', `invalid expression type ${JSON.stringify(type === 'matrix' ? 'range vector' : type)} for range query, must be Scalar or instant Vector`);
  return resultJson(run(() => new Evaluator(store, deadline).range(expr, start, end, step)));
}

function matchedSeries(store: SeriesStore, req: ApiRequest, required: boolean): Labels[] {
  const matches = req.form.get('match[]') ?? [];
  if (required && matches.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
  const start = timeParam(req.form, 'start', MIN_TIME_MS, true);
  const end = timeParam(req.form, 'end', MAX_TIME_MS, true);
  const selectors = matches.map((m) => {
    try {
      return parseSeriesSelector(m);
    } catch (e) {
      if (e instanceof PromQLError) throw invalidParam('match[]', e.message);
      throw e;
    }
  });
  const seen = new Map<string, Labels>();
  const sets = selectors.length ? selectors.map((s) => s.matchers) : [[]];
  for (const matchers of sets) for (const s of store.selectInRange(matchers, start, end)) seen.set(labelKey(s.labels), s.labels);
  return [...seen.values()].sort(compareLabels);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function success(data: string): string {
  return `{"status":"success","data":${data}}`;
}

function text(status: number, body: string, headers?: Record<string, string>): ApiResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body, ...(headers ? { headers } : {}) };
}

/** Answers one API request. Never throws. */
export function handleApiRequest(store: SeriesStore, req: ApiRequest): ApiResponse {
  const { path } = req;
  if (path === '/-/ready') return text(200, 'Prometheus Server is Ready.\n');
  if (path === '/-/healthy') return text(200, 'Prometheus Server is Healthy.\n');
  const labelValues = /^\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
  const routes: Record<string, () => string> = {
    '/api/v1/query': () => query(store, req),
    '/api/v1/query_range': () => queryRange(store, req),
    '/api/v1/series': () => JSON.stringify(matchedSeries(store, req, true).map((l) => Object.fromEntries(sortedNames(l).map((k) => [k, l[k]])))),
    '/api/v1/labels': () => JSON.stringify([...new Set(matchedSeries(store, req, false).flatMap((l) => Object.keys(l)))].sort(byteOrder)),
  };
  let handler = routes[path];
  if (!handler && labelValues) {
    const name = decodeURIComponent(labelValues[1] ?? '');
    handler = () => {
      if (!LABEL_NAME.test(name)) throw new ApiError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
      const values = new Set<string>();
      for (const l of matchedSeries(store, req, false)) {
        const v = l[name];
        if (v !== undefined) values.add(v);
      }
      return JSON.stringify([...values].sort(byteOrder));
    };
  }
  if (!handler) return text(404, '404 page not found\n', { 'X-Content-Type-Options': 'nosniff' });
  if (req.method !== 'GET' && req.method !== 'POST') return text(405, 'Method Not Allowed\n', { Allow: 'GET, OPTIONS, POST' });
  try {
    return { status: 200, contentType: 'application/json', body: success(handler()) };
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError('internal', e instanceof Error ? e.message : String(e));
    return { status: STATUS[err.errorType], contentType: 'application/json', body: JSON.stringify({ status: 'error', errorType: err.errorType, error: err.message }) };
  }
}
