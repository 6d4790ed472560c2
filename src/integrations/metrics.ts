import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, passed in (no module singletons). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    alertsReceived: new Counter({ name: 'warroom_alerts_received_total', help: 'Alerts received, by source and status.', labelNames: ['source', 'status'] as const, registers: [registry] }),
    webhookRequests: new Counter({ name: 'warroom_webhook_requests_total', help: 'Webhook requests by route and HTTP status.', labelNames: ['route', 'status'] as const, registers: [registry] }),
    incidentsOpened: new Counter({ name: 'warroom_incidents_opened_total', help: 'Incidents opened.', registers: [registry] }),
    queueDepth: new Gauge({ name: 'warroom_queue_jobs', help: 'Jobs per queue and state.', labelNames: ['queue', 'state'] as const, registers: [registry] }),
    slackCalls: new Counter({ name: 'warroom_slack_calls_total', help: 'Slack Web API calls by method.', labelNames: ['method'] as const, registers: [registry] }),
    slackErrors: new Counter({ name: 'warroom_slack_errors_total', help: 'Slack Web API errors by method and error.', labelNames: ['method', 'error'] as const, registers: [registry] }),
    slackRateLimited: new Counter({ name: 'warroom_slack_rate_limited_total', help: 'Slack 429 answers honoured.', labelNames: ['method'] as const, registers: [registry] }),
    slackDeferred: new Counter({ name: 'warroom_slack_deferred_total', help: 'Slack calls the shared budget deferred (the job was delayed instead), by method and lane.', labelNames: ['method', 'lane'] as const, registers: [registry] }),
    slackRetryAfterSleepSeconds: new Counter({ name: 'warroom_slack_retry_after_sleep_seconds_total', help: 'Time Slack calls spent inside the client after a 429 (sleeping on Retry-After; 0 when 429s delay the job instead).', labelNames: ['method'] as const, registers: [registry] }),
    slackInteractiveWaitSeconds: new Counter({ name: 'warroom_slack_interactive_wait_seconds_total', help: 'Time calls made for a person outside any job (web role) waited for the budget or Retry-After.', labelNames: ['method'] as const, registers: [registry] }),
    jobsDelayed: new Counter({ name: 'warroom_jobs_delayed_total', help: 'Job attempts moved to delayed because a dependency said when to come back (Slack budget or Retry-After), by job.', labelNames: ['job'] as const, registers: [registry] }),
    jobsFailed: new Counter({ name: 'warroom_jobs_failed_total', help: 'Jobs given up after their last attempt (or a non-retryable error), by job.', labelNames: ['job'] as const, registers: [registry] }),
    jobDuration: new Histogram({ name: 'warroom_job_duration_seconds', help: 'Job attempt duration by job and outcome (completed, delayed, retry, failed).', labelNames: ['job', 'outcome'] as const, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
