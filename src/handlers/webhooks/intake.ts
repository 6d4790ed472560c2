import type { Alert, IngestBatch } from '../../domain/alert.js';
import { AppError, isAppError } from '../../errors.js';
import { ingestJob } from '../../workflows/jobs/ingest.js';
import type { Clock, JobQueue, Logger } from '../../workflows/ports.js';
import { errorResponse, type HttpResponse } from '../http/server.js';

export interface IntakeMetrics {
  alert(source: string, status: string): void;
  request(route: string, status: number): void;
}

export interface IntakeDeps {
  queue: Pick<JobQueue, 'enqueue'>;
  clock: Clock;
  log: Logger;
  metrics?: IntakeMetrics;
}

/** The one durable write of a webhook: answer 2xx only after Redis has the batch; 503 so the sender retries. */
export async function enqueueBatch(deps: IntakeDeps, route: string, deliveryId: string, source: Alert['source'], alerts: Alert[]): Promise<HttpResponse> {
  const batch: IngestBatch = { deliveryId, receivedAt: deps.clock.now().toISOString(), source, alerts };
  try {
    await deps.queue.enqueue(ingestJob, { batch });
  } catch (e) {
    deps.log.warn({ err: e, route, deliveryId }, 'enqueue failed; answering 503 so the sender retries');
    const code = isAppError(e) ? e.code : 'unavailable';
    return errorResponse(new AppError(code === 'unavailable' || code === 'throttled' || code === 'timeout' ? code : 'unavailable', 'could not store the delivery; retry later'));
  }
  for (const a of alerts) deps.metrics?.alert(a.source, a.cloudwatch?.state ?? a.status);
  deps.log.info({ route, deliveryId, alerts: alerts.length }, 'delivery accepted');
  return { status: 202, body: { status: 'accepted', deliveryId, alerts: alerts.length } };
}

export function badRequest(message: string): HttpResponse {
  return { status: 400, body: { error: 'bad_request', message } };
}

export function withMetrics(deps: IntakeDeps, route: string, fn: () => Promise<HttpResponse>): Promise<HttpResponse> {
  return fn().then(
    (r) => {
      deps.metrics?.request(route, r.status);
      return r;
    },
    (e: unknown) => {
      const r = errorResponse(e);
      deps.metrics?.request(route, r.status);
      return r;
    },
  );
}
