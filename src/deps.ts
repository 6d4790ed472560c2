/**
 * The composition root: the only place that picks concrete adapters (DESIGN principle 4).
 * createDeps builds, in one pass and without mutating anything afterwards, the ports the workflows
 * and handlers use, the job registry the workers run and the HTTP routes the web role serves;
 * startWeb/startWorker start the roles. Its in-memory twin is createFakeDeps (src/fake-deps.ts).
 */
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { Redis } from 'ioredis';
import type { Logger as PinoLogger } from 'pino';
import type { Config, Env } from './config.js';
import { incidentDocRoutes } from './handlers/http/incidents.js';
import { createHttpServer, listen, type HttpLimits, type Route, type RunningServer } from './handlers/http/server.js';
import { slackPrecheck, slackRequestIdentity } from './handlers/slack/guard.js';
import { registerSlackListeners } from './handlers/slack/register.js';
import { alertmanagerWebhook } from './handlers/webhooks/alertmanager.js';
import { cloudwatchWebhook, type SnsGate } from './handlers/webhooks/cloudwatch.js';
import { createAlertmanagerAdapter } from './integrations/alertmanager/adapter.js';
import { createCloudWatchAdapter } from './integrations/cloudwatch/adapter.js';
import { createKubernetesAdapter, loadKubeConfig } from './integrations/kubernetes/adapter.js';
import { createMetrics, type Metrics } from './integrations/metrics.js';
import { createPrometheusAdapter } from './integrations/prometheus/adapter.js';
import { createQueueSet, createWorkerSet, type QueueSet, type WorkerSet } from './integrations/queue/bullmq.js';
import { createRedisStores } from './integrations/redis/index.js';
import { slackRenderer } from './integrations/slack/blocks/index.js';
import { createRedisBudget } from './integrations/slack/budget.js';
import { createSlackChat } from './integrations/slack/client.js';
import { confirmSubscription, createSnsVerifier, isTopicAllowed } from './integrations/sns/verify.js';
import type { Ports } from './workflows/context.js';
import { JOBS, runAbandoned, runJob, type JobDef } from './workflows/jobs/index.js';
import type { VerifyOptions } from './workflows/mitigations/index.js';
import type { Clock, KubernetesPort } from './workflows/ports.js';

export interface Overrides {
  clock?: Clock;
  /** Tests sign SNS messages with their own certificate. */
  fetchCertificate?: (url: string) => Promise<string>;
  /** Tests confirm subscriptions against a local server. */
  confirmFetch?: typeof fetch;
  redisPrefix?: string;
  bullPrefix?: string;
  /** Faster rollout polling in tests. */
  verify?: Partial<VerifyOptions>;
}

export interface Deps {
  env: Env;
  config: Config;
  logger: PinoLogger;
  metrics: Metrics;
  /** What workflows and handlers use. */
  ports: Ports;
  /** The job registry the worker role runs. */
  jobs: readonly JobDef[];
  /** The web role's HTTP routes: webhooks, incident documents, probes and metrics. */
  routes: Route[];
  /** The probes and metrics alone (a worker-only process serves these). */
  healthRoutes: Route[];
  /** The BullMQ queues behind ports.queue (depths for /metrics). */
  queues: QueueSet;
  redis: Redis;
  overrides: Overrides;
}

export function createDeps(env: Env, config: Config, logger: PinoLogger, overrides: Overrides = {}): Deps {
  const metrics = createMetrics();
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 3000 });
  redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  const stores = createRedisStores(redis, { prefix: overrides.redisPrefix ?? env.WARROOM_REDIS_PREFIX });
  const queues = createQueueSet({ redisUrl: env.REDIS_URL, prefix: overrides.bullPrefix ?? env.WARROOM_QUEUE_PREFIX });
  const clock = overrides.clock ?? { now: () => new Date() };
  const kubernetes = kubernetesFor(env, logger);
  const ports: Ports = {
    config,
    ...stores,
    queue: queues,
    // One Slack allowance for every replica: the budget lives in Redis next to the queues.
    chat: createSlackChat({ token: env.SLACK_BOT_TOKEN, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}), metrics, logger, budget: createRedisBudget(redis, { prefix: overrides.redisPrefix ?? env.WARROOM_REDIS_PREFIX }) }),
    render: slackRenderer,
    clock,
    log: logger,
    metrics: { incidentsOpened: (n) => metrics.incidentsOpened.inc(n) },
    cloudwatch: createCloudWatchAdapter(env.CLOUDWATCH_ENDPOINT ? { endpoint: env.CLOUDWATCH_ENDPOINT } : {}),
    ...(kubernetes ? { kubernetes } : {}),
    ...(env.PROMETHEUS_URL ? { prometheus: createPrometheusAdapter({ baseUrl: env.PROMETHEUS_URL }) } : {}),
    ...(env.ALERTMANAGER_URL ? { alertmanager: createAlertmanagerAdapter({ baseUrl: env.ALERTMANAGER_URL }) } : {}),
    ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL.replace(/\/$/, '') } : {}),
    verify: { watchPollMs: env.MITIGATION_WATCH_POLL_MS, ...overrides.verify },
  };

  const verifier = createSnsVerifier({ ...(overrides.fetchCertificate ? { fetchCertificate: overrides.fetchCertificate } : {}), now: () => clock.now() });
  const sns: SnsGate = {
    allowed: (arn) => isTopicAllowed(arn, env.SNS_TOPIC_ARNS),
    verify: (e) => verifier.verify(e),
    confirm: async (e) => {
      await confirmSubscription(e, overrides.confirmFetch ?? fetch);
    },
  };
  const intake = {
    queue: ports.queue,
    clock,
    log: logger.child({ role: 'web' }),
    metrics: { alert: (source: string, status: string) => metrics.alertsReceived.inc({ source, status }), request: (route: string, status: number) => metrics.webhookRequests.inc({ route, status: String(status) }) },
  };
  const health = healthRoutes({ redis, queues, metrics });
  const routes: Route[] = [
    { method: 'POST', path: '/webhooks/alertmanager', ...alertmanagerWebhook({ ...intake, token: env.ALERTMANAGER_WEBHOOK_TOKEN }) },
    { method: 'POST', path: '/webhooks/cloudwatch', ...cloudwatchWebhook({ ...intake, sns, eventBridgeToken: env.CLOUDWATCH_WEBHOOK_TOKEN }) },
    ...incidentDocRoutes(ports, env.WARROOM_API_TOKEN),
    ...health,
  ];
  return { env, config, logger, metrics, ports, jobs: JOBS, routes, healthRoutes: health, queues, redis, overrides };
}

function kubernetesFor(env: Env, logger: PinoLogger): KubernetesPort | undefined {
  const mode = env.KUBERNETES === 'auto' ? (env.KUBERNETES_SERVICE_HOST ? 'in-cluster' : env.KUBECONFIG ? 'kubeconfig' : 'off') : env.KUBERNETES;
  if (mode === 'off') return undefined;
  const kc = loadKubeConfig(mode === 'in-cluster' ? { inCluster: true } : env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {});
  return createKubernetesAdapter(kc, { logger });
}

function boltLogger(log: PinoLogger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export interface WebRole {
  http: RunningServer;
  app?: App;
  stop(deadlineMs: number): Promise<void>;
}

export async function startWeb(deps: Deps): Promise<WebRole> {
  const { env, logger } = deps;
  const socketMode = Boolean(env.SLACK_APP_TOKEN);
  const clientOptions = env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {};
  let receiver: HTTPReceiver | undefined;
  let app: App;
  if (socketMode) {
    app = new App({ token: env.SLACK_BOT_TOKEN, appToken: env.SLACK_APP_TOKEN, socketMode: true, clientOptions, logger: boltLogger(logger) });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: env.SLACK_SIGNING_SECRET ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: false,
      logger: boltLogger(logger),
      bodyLimit: env.BODY_LIMIT_BYTES,
      // The signature reaches the listeners' context: a replayed request is acted on once.
      customPropertiesExtractor: (req) => slackRequestIdentity(req.headers),
    });
    app = new App({ token: env.SLACK_BOT_TOKEN, receiver, clientOptions, logger: boltLogger(logger) });
  }
  registerSlackListeners(app, deps.ports);

  const server = createHttpServer({
    routes: deps.routes,
    limits: httpLimits(env),
    logger,
    ...(receiver ? { slackListener: receiver.requestListener, slackPrecheck: (h) => slackPrecheck(h, deps.ports.clock.now().getTime(), env.BODY_LIMIT_BYTES) } : {}),
  });
  const http = await listen(server, env.PORT, env.HOST);
  if (socketMode) await app.start();
  logger.info({ port: http.port, socketMode }, 'web role listening');
  return {
    http,
    app,
    stop: async (deadlineMs) => {
      if (socketMode) await app.stop().catch(() => undefined);
      await http.close(deadlineMs);
    },
  };
}

function httpLimits(env: Env): HttpLimits {
  return {
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    inflightBodyBytes: env.HTTP_INFLIGHT_BODY_BYTES,
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: 5_000,
    maxConnections: env.HTTP_MAX_CONNECTIONS,
  };
}

/** The worker role's HTTP surface: probes and metrics only. */
export async function startHealthOnly(deps: Deps): Promise<WebRole> {
  const server = createHttpServer({ routes: deps.healthRoutes, limits: { ...httpLimits(deps.env), bodyLimitBytes: 1024 }, logger: deps.logger });
  const http = await listen(server, deps.env.PORT, deps.env.HOST);
  deps.logger.info({ port: http.port }, 'health endpoints listening (worker role)');
  return { http, stop: (deadlineMs) => http.close(deadlineMs) };
}

function healthRoutes(deps: { redis: Redis; queues: QueueSet; metrics: Metrics }): Route[] {
  const ping = async () => {
    try {
      return (await deps.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  };
  return [
    { method: 'GET', path: '/healthz', handler: async () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async () => ((await ping()) ? { status: 200, body: { status: 'ready', redis: 'ok' } } : { status: 503, body: { status: 'not ready', redis: 'unreachable' } }),
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        try {
          const counts = await deps.queues.counts();
          for (const [queue, states] of Object.entries(counts)) for (const [state, n] of Object.entries(states)) deps.metrics.queueDepth.set({ queue, state }, n);
        } catch {
          // Redis down: the other metrics are still worth serving.
        }
        return { status: 200, body: await deps.metrics.registry.metrics(), contentType: deps.metrics.registry.contentType };
      },
    },
  ];
}

export interface WorkerRole {
  workers: WorkerSet;
  stop(deadlineMs: number): Promise<void>;
}

export function startWorker(deps: Deps): WorkerRole {
  const logger = deps.logger.child({ role: 'worker' });
  const ports: Ports = { ...deps.ports, log: logger };
  const workers = createWorkerSet({
    redisUrl: deps.env.REDIS_URL,
    prefix: deps.overrides.bullPrefix ?? deps.env.WARROOM_QUEUE_PREFIX,
    lockMs: deps.env.QUEUE_LOCK_MS,
    jobs: deps.jobs,
    handler: (job, data, ctx) => runJob(job, ports, data, ctx),
    logger,
    observe: (job, outcome, seconds) => {
      deps.metrics.jobDuration.observe({ job, outcome }, seconds);
      if (outcome === 'delayed') deps.metrics.jobsDelayed.inc({ job });
    },
    onFinalFailure: (job, _data, err, log) => {
      deps.metrics.jobsFailed.inc({ job: job.name });
      log.error({ err }, 'job failed for good');
    },
    onAbandoned: (job, data, ctx, key) => runAbandoned(job, ports, data, ctx, key),
  });
  deps.logger.info({ queues: workers.workers.map((w) => w.name) }, 'worker role running');
  return {
    workers,
    stop: async (deadlineMs) => {
      let timer: NodeJS.Timeout | undefined;
      const drained = workers.close(false).then(() => true);
      const deadline = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), deadlineMs);
      });
      const ok = await Promise.race([drained, deadline]);
      if (timer) clearTimeout(timer);
      if (!ok) {
        deps.logger.warn({ deadlineMs }, 'workers did not drain in time; forcing close (jobs return to the queue as stalled)');
        await workers.close(true);
      }
    },
  };
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.queues.close().catch(() => undefined);
  deps.redis.disconnect();
}
