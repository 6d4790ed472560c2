import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison (hashing first makes the lengths equal, so length does not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Accepts `Authorization: Bearer <token>` or `Basic base64(user:<token>)` (Alertmanager's
 * http_config.authorization or basic_auth); the user name is not checked.
 */
export function checkWebhookAuth(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header) return false;
  // The credentials are everything after the scheme: `Bearer <token> junk` must not pass as `<token>`.
  const m = /^(\S+)\s+(\S+)$/.exec(header.trim());
  const scheme = m?.[1];
  const value = m?.[2] ?? '';
  if (!scheme) return false;
  if (scheme.toLowerCase() === 'bearer') return safeEqual(value, token);
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 && safeEqual(decoded.slice(i + 1), token);
  }
  return false;
}
