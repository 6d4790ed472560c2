/**
 * POST /webhooks/alertmanager: Alertmanager webhook_config (version 4). Bearer or basic auth in
 * constant time; 400 with every problem for bad bodies; 202 after the durable enqueue; 503 when
 * Redis is down (Alertmanager retries 5xx, never 4xx). The same group re-sent every group_interval
 * has the same delivery id, so it is a no-op.
 */
import { alertmanagerDeliveryId, normaliseAlertmanager, parseAlertmanagerBody } from '../../domain/normalise/alertmanager.js';
import { checkWebhookAuth } from '../http/auth.js';
import type { HttpRequest, HttpResponse, Route } from '../http/server.js';
import { badRequest, enqueueBatch, withMetrics, type IntakeDeps } from './intake.js';

export interface AlertmanagerWebhookDeps extends IntakeDeps {
  token: string | undefined;
}

export function alertmanagerWebhook(deps: AlertmanagerWebhookDeps): Pick<Route, 'precheck' | 'handler'> {
  // Credentials are judged from the headers before a byte of the body is read.
  const precheck = (headers: { authorization?: string | undefined }): HttpResponse | undefined => {
    let refused: HttpResponse | undefined;
    if (!deps.token) refused = { status: 401, body: { error: 'unauthorized', message: 'ALERTMANAGER_WEBHOOK_TOKEN is not configured; refusing all deliveries' } };
    else if (!checkWebhookAuth(headers.authorization, deps.token)) {
      deps.log.warn({ route: 'alertmanager', hasAuth: Boolean(headers.authorization) }, 'refused: bad credentials');
      refused = { status: 401, body: { error: 'unauthorized', message: 'missing or wrong credentials' }, headers: { 'www-authenticate': 'Bearer' } };
    }
    if (refused) deps.metrics?.request('alertmanager', refused.status);
    return refused;
  };
  const handler = (req: HttpRequest) =>
    withMetrics(deps, 'alertmanager', async () => {
      // Alertmanager always sends application/json; anything else is not one of its deliveries.
      const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== 'application/json') return { status: 415, body: { error: 'unsupported_media_type', message: `content-type must be application/json, got ${mediaType ? JSON.stringify(mediaType.slice(0, 100)) : 'none'}` } };
      const parsed = parseAlertmanagerBody(req.body.toString('utf8'));
      if (!parsed.ok) return badRequest(parsed.error);
      // Severity is settled by the route during ingest; this is only a provisional value.
      const alerts = normaliseAlertmanager(parsed.payload, { severityOf: () => 'SEV3' });
      return enqueueBatch(deps, 'alertmanager', alertmanagerDeliveryId(parsed.payload), 'alertmanager', alerts);
    });
  return { precheck, handler };
}
