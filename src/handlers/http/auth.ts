import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison (hashing first makes the lengths equal, so length does not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * The scheme and credentials of an Authorization header. The credentials are everything after the
 * scheme and must be one token: `Bearer <token> junk` is not `<token>`.
 */
export function parseAuthorization(header: string | undefined): { scheme: string; credentials: string } | undefined {
  const m = /^(\S+)\s+(\S+)$/.exec((header ?? '').trim());
  return m?.[1] && m[2] ? { scheme: m[1].toLowerCase(), credentials: m[2] } : undefined;
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function checkBearer(header: string | undefined, token: string | undefined): boolean {
  const auth = parseAuthorization(header);
  return Boolean(token && auth?.scheme === 'bearer' && safeEqual(auth.credentials, token));
}

/**
 * Accepts `Authorization: Bearer <token>` or `Basic base64(user:<token>)` (Alertmanager's
 * http_config.authorization or basic_auth); the user name is not checked.
 */
export function checkWebhookAuth(header: string | undefined, token: string | undefined): boolean {
  if (!token) return false;
  if (checkBearer(header, token)) return true;
  const auth = parseAuthorization(header);
  if (auth?.scheme !== 'basic') return false;
  const decoded = Buffer.from(auth.credentials, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i >= 0 && safeEqual(decoded.slice(i + 1), token);
}
