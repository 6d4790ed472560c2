/**
 * CloudWatch emulator: an HTTP server on loopback speaking AWS JSON 1.0 (awsQueryCompatible) as
 * @aws-sdk/client-cloudwatch 3.1162 sends it (reference/protocols.md 4.1), serving a scenario's
 * alarms, alarm history and metrics. Point a client at it with
 * `new CloudWatchClient({ region, endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })`.
 *
 * Faults for tests: `throttle.everyNth` throttles every Nth request; `failNext(op, n, error)` makes
 * the next n calls of an operation ('*' for any) fail; `latencyMs` delays every answer.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scenario } from '../scenario/schema.js';
import { CloudWatchFault, ERRORS, type ErrorDef, type ErrorName } from './errors.js';
import { buildWorld, OPERATIONS, type OperationName, type World } from './operations.js';

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const MAX_BODY = 1024 * 1024;

export interface CloudWatchEmulatorOptions {
  scenario: Scenario;
  /** The page moment the scenario's relative times resolve against. */
  anchor: Date;
  port?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  throttle?: { everyNth?: number };
  /** The world's clock: data and transitions after it are not visible yet. Default: the anchor. */
  now?: () => Date;
  /** Page sizes (defaults as the service: DescribeAlarms 100 per MaxRecords default, ListMetrics 500). */
  pageSizes?: { describeAlarms?: number; listMetrics?: number };
}

export interface EmulatorCall {
  op: string;
  /** The parsed JSON body. */
  input: unknown;
  /** Region from the SigV4 credential scope. */
  region?: string;
  status: number;
  /** x-amzn-query-error code of an error answer. */
  error?: string;
  at: Date;
}

export type FailWith = ErrorName | ErrorDef;

export interface CloudWatchEmulator {
  endpoint: string;
  port: number;
  calls: EmulatorCall[];
  /** The next `n` calls of `op` ('*': any operation) fail with `error`. */
  failNext(op: OperationName | '*', n: number, error: FailWith): void;
  world: World;
  stop(): Promise<void>;
}

function regionOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/monitoring\/aws4_request/.exec(authorization);
  return m?.[1];
}

export async function startCloudWatchEmulator(opts: CloudWatchEmulatorOptions): Promise<CloudWatchEmulator> {
  const world = buildWorld(opts.scenario, opts.anchor, opts.pageSizes);
  const now = opts.now ?? (() => opts.anchor);
  const calls: EmulatorCall[] = [];
  const failures: { op: string; remaining: number; error: FailWith }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let requestCount = 0;

  const takeFailure = (op: string): ErrorDef | undefined => {
    const f = failures.find((x) => x.remaining > 0 && (x.op === op || x.op === '*'));
    if (!f) return undefined;
    f.remaining--;
    return typeof f.error === 'string' ? ERRORS[f.error] : f.error;
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      void handle(req, Buffer.concat(chunks).toString('utf8'), res);
    });
  });

  const answer = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const answerError = (res: http.ServerResponse, def: ErrorDef): void => {
    answer(res, def.status, { __type: def.type, message: def.message }, def.query ? { 'x-amzn-query-error': def.query } : {});
  };

  async function handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : String(target ?? '');
    const region = regionOf(req.headers.authorization);
    const call: EmulatorCall = { op, input: undefined, ...(region ? { region } : {}), status: 0, at: new Date() };
    calls.push(call);
    const fail = (def: ErrorDef): void => {
      call.status = def.status;
      if (def.query) call.error = def.query.split(';')[0];
      else call.error = def.type.split('#')[1];
      answerError(res, def);
    };
    if (opts.latencyMs && opts.latencyMs > 0) await delay(opts.latencyMs);
    if (req.method !== 'POST') return fail({ ...ERRORS.UnknownOperation, message: `${req.method ?? 'GET'} is not supported` });
    if (!region) return fail(ERRORS.MissingAuthenticationToken);
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.startsWith('application/x-amz-json-1.0')) return fail({ ...ERRORS.Serialization, message: `unexpected content-type ${contentType}` });
    let input: unknown;
    try {
      input = raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
    } catch {
      return fail(ERRORS.Serialization);
    }
    call.input = input;
    const handler = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op as OperationName] : undefined;
    if (!handler) return fail({ ...ERRORS.UnknownOperation, message: `Unknown operation ${op}` });
    requestCount++;
    const injected = takeFailure(op);
    if (injected) return fail(injected);
    const every = opts.throttle?.everyNth;
    if (every && every > 0 && requestCount % every === 0) return fail(ERRORS.Throttling);
    try {
      const body = handler(world, input, now(), region);
      call.status = 200;
      answer(res, 200, body);
    } catch (e) {
      if (e instanceof CloudWatchFault) return fail(e.def);
      return fail({ ...ERRORS.InternalFailure, message: e instanceof Error ? e.message : String(e) });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    calls,
    world,
    failNext(op, n, error) {
      failures.push({ op, remaining: n, error });
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
