/**
 * What is judged about a request to /slack/events before Bolt reads it (headers only), and the
 * per-request idempotency of what Bolt then dispatches.
 *
 * Bolt refuses signatures older than five minutes but not ones from the future; a request stamped
 * ten years ahead would stay replayable for ten years. Slack documents a five-minute window: both
 * directions are refused here, before any body is buffered. A signed request replayed inside the
 * window carries the same signature: the first delivery is acted on, the replays are acked and dropped.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from '../http/server.js';

export const SLACK_TIMESTAMP_WINDOW_S = 300;

export function slackPrecheck(headers: IncomingHttpHeaders, nowMs: number, bodyLimitBytes: number): HttpResponse | undefined {
  const signature = headers['x-slack-signature'];
  const stamp = headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || !/^v0=[0-9a-f]{64}$/.test(signature) || typeof stamp !== 'string' || !/^\d{1,12}$/.test(stamp)) {
    return { status: 401, body: { error: 'unauthorized', message: 'missing or malformed Slack signature headers' } };
  }
  if (Math.abs(nowMs / 1000 - Number(stamp)) > SLACK_TIMESTAMP_WINDOW_S) {
    return { status: 401, body: { error: 'unauthorized', message: 'the request timestamp is more than five minutes away from now' } };
  }
  const declared = Number(headers['content-length'] ?? '0');
  if (declared > bodyLimitBytes) return { status: 413, body: { error: 'payload_too_large', message: `body of ${declared} bytes exceeds the limit of ${bodyLimitBytes} bytes` } };
  return undefined;
}

/** The value Bolt's customPropertiesExtractor puts into the listener context. */
export function slackRequestIdentity(headers: IncomingHttpHeaders): { slackSignature?: string } {
  const s = headers['x-slack-signature'];
  return typeof s === 'string' ? { slackSignature: s } : {};
}
