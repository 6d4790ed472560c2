/**
 * POST /webhooks/cloudwatch: an SNS HTTP(S) subscription carrying CloudWatch alarms (body is JSON sent
 * as text/plain), or an EventBridge "CloudWatch Alarm State Change" event (through an API destination,
 * authenticated with CLOUDWATCH_WEBHOOK_TOKEN). Before the body is read, from the headers alone: an
 * Authorization header must carry the EventBridge token (401); otherwise the request must carry SNS's
 * `x-amz-sns-message-type` and an allow-listed `x-amz-sns-topic-arn` (400, 403). Then for SNS: parse ->
 * TopicArn of the body equal to the header and allow-listed (403) -> signature (401) -> act. A
 * SubscriptionConfirmation is confirmed only after every check.
 */
import type { Alert } from '../../domain/alert.js';
import {
  eventBridgeDeliveryId,
  normaliseCloudWatchAlarm,
  normaliseEventBridgeAlarm,
  parseCloudWatchAlarmMessage,
  parseEventBridgeAlarmEvent,
  parseSnsEnvelope,
  snsDeliveryId,
  type SnsEnvelope,
} from '../../domain/normalise/cloudwatch.js';
import { AppError, isAppError } from '../../errors.js';
import { checkWebhookAuth } from '../http/auth.js';
import type { HttpRequest, HttpResponse, Route } from '../http/server.js';
import { badRequest, enqueueBatch, withMetrics, type IntakeDeps } from './intake.js';

export interface SnsGate {
  /** TopicArn allow-list (SNS_TOPIC_ARNS). */
  allowed(topicArn: string): boolean;
  /** Throws AppError('unauthorized', reason) unless the signature and certificate URL check out. */
  verify(envelope: SnsEnvelope): Promise<void>;
  /** GETs the SubscribeURL (after its host was checked). */
  confirm(envelope: SnsEnvelope): Promise<void>;
}

export interface CloudWatchWebhookDeps extends IntakeDeps {
  sns: SnsGate;
  eventBridgeToken: string | undefined;
}

const provisional = () => 'SEV3' as const;

function header(headers: HttpRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

export function cloudwatchWebhook(deps: CloudWatchWebhookDeps): Pick<Route, 'precheck' | 'handler'> {
  const refuse = (r: HttpResponse): HttpResponse => {
    deps.metrics?.request('cloudwatch', r.status);
    return r;
  };
  const precheck = (headers: HttpRequest['headers']): HttpResponse | undefined => {
    if (headers.authorization !== undefined) {
      if (!deps.eventBridgeToken || !checkWebhookAuth(headers.authorization, deps.eventBridgeToken)) {
        return refuse({ status: 401, body: { error: 'unauthorized', message: 'EventBridge deliveries need Authorization with CLOUDWATCH_WEBHOOK_TOKEN' } });
      }
      return undefined;
    }
    const type = header(headers, 'x-amz-sns-message-type');
    const topic = header(headers, 'x-amz-sns-topic-arn');
    if (!type || !topic) return refuse(badRequest('not an SNS delivery (x-amz-sns-message-type and x-amz-sns-topic-arn are required) and no EventBridge credentials'));
    if (!deps.sns.allowed(topic)) {
      deps.log.warn({ topicArn: topic.slice(0, 256) }, 'refused: SNS topic not in SNS_TOPIC_ARNS');
      return refuse({ status: 403, body: { error: 'forbidden', message: `topic ${topic.slice(0, 256)} is not allowed (SNS_TOPIC_ARNS)` } });
    }
    return undefined;
  };
  const handler = (req: HttpRequest) =>
    withMetrics(deps, 'cloudwatch', async (): Promise<HttpResponse> => {
      const text = req.body.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        return badRequest(`body is not valid JSON: ${(e as Error).message}`);
      }
      if (req.headers.authorization !== undefined) {
        if (json && typeof json === 'object' && 'detail-type' in json) return eventBridge(json);
        return badRequest('a delivery with Authorization must be an EventBridge event (detail-type)');
      }

      const parsed = parseSnsEnvelope(text);
      if (!parsed.ok) return badRequest(parsed.error);
      const env = parsed.envelope;
      const headerType = header(req.headers, 'x-amz-sns-message-type');
      if (headerType !== env.Type) return badRequest(`x-amz-sns-message-type ${headerType ?? '(none)'} does not match body Type ${env.Type}`);
      if (header(req.headers, 'x-amz-sns-topic-arn') !== env.TopicArn) return badRequest('x-amz-sns-topic-arn does not match the body TopicArn');
      if (!deps.sns.allowed(env.TopicArn)) {
        deps.log.warn({ topicArn: env.TopicArn }, 'refused: SNS topic not in SNS_TOPIC_ARNS');
        return { status: 403, body: { error: 'forbidden', message: `topic ${env.TopicArn} is not allowed (SNS_TOPIC_ARNS)` } };
      }
      try {
        await deps.sns.verify(env);
      } catch (e) {
        if (isAppError(e) && e.code === 'unauthorized') {
          deps.log.warn({ topicArn: env.TopicArn, reason: e.message }, 'refused: SNS signature');
          return { status: 401, body: { error: 'unauthorized', message: e.message } };
        }
        throw e instanceof AppError ? e : new AppError('unavailable', `could not verify the SNS signature: ${(e as Error).message}`);
      }
      switch (env.Type) {
        case 'SubscriptionConfirmation':
          await deps.sns.confirm(env);
          deps.log.info({ topicArn: env.TopicArn }, 'SNS subscription confirmed');
          return { status: 200, body: { status: 'subscribed', topicArn: env.TopicArn } };
        case 'UnsubscribeConfirmation':
          deps.log.warn({ topicArn: env.TopicArn }, 'SNS unsubscribe confirmation received; not re-subscribing');
          return { status: 200, body: { status: 'noted' } };
        case 'Notification': {
          const msg = parseCloudWatchAlarmMessage(env.Message);
          if (!msg.ok) return badRequest(msg.error);
          const alert: Alert = normaliseCloudWatchAlarm(msg.message, { severityOf: provisional, groupKey: env.MessageId });
          return enqueueBatch(deps, 'cloudwatch', snsDeliveryId(env.MessageId), 'cloudwatch', [alert]);
        }
      }
    });

  // Credentials were checked by the precheck.
  async function eventBridge(json: unknown): Promise<HttpResponse> {
    const parsed = parseEventBridgeAlarmEvent(json);
    if (!parsed.ok) return badRequest(parsed.error);
    const alert = normaliseEventBridgeAlarm(parsed.event, { severityOf: provisional });
    return enqueueBatch(deps, 'cloudwatch', eventBridgeDeliveryId(parsed.event.id), 'cloudwatch', [alert]);
  }
  return { precheck, handler };
}
