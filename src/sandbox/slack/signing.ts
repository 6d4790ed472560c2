import { createHmac } from 'node:crypto';

/**
 * Slack request signing v0 (protocols 5.3): `v0=` + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + rawBody)).
 */
export function slackSignature(signingSecret: string, timestampSec: number, rawBody: string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestampSec}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

/** The two headers Slack adds to every request it delivers to an app. */
export function signedHeaders(signingSecret: string, rawBody: string, timestampSec: number): Record<string, string> {
  return {
    'X-Slack-Request-Timestamp': String(timestampSec),
    'X-Slack-Signature': slackSignature(signingSecret, timestampSec, rawBody),
  };
}
