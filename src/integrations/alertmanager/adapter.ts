/**
 * AlertmanagerPort over the Alertmanager API v2 (checked against Debian's 0.25.0):
 *   createSilence  POST   /api/v2/silences          -> {silenceID}
 *   expireSilence  DELETE /api/v2/silence/{id}       (200 again for an already expired silence;
 *                                                     0.25 answers 500 "silence not found" for an unknown id -> not_found)
 *   listAlerts     GET    /api/v2/alerts?filter=name="value"&... (active, silenced, inhibited and unprocessed)
 *
 * listAlerts status: 'silenced' when a silence mutes the alert, 'inhibited' when an inhibition rule
 * does, else Alertmanager's state ('active' or 'unprocessed'). Resolved alerts are not listed by
 * Alertmanager at all.
 *
 * Errors: 400 (AM answers with a JSON string) and 422 (go-swagger validation, {code, message})
 * -> bad_request with Alertmanager's message; 429 -> throttled; 5xx, deadlines, network -> unavailable.
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { AlertmanagerPort, SilenceInput } from '../../workflows/ports.js';
import { codeForStatus, httpCall, joinUrl, parseBaseUrl, type FetchLike, type HttpResult } from '../prometheus/http.js';

export interface AlertmanagerAdapterOptions {
  baseUrl: string;
  fetchImpl?: FetchLike;
  /** Per-request deadline. Default 10 s. */
  timeoutMs?: number;
  /** Extra request headers (a reverse proxy's Authorization). Credentials in baseUrl become Basic auth. */
  headers?: Record<string, string>;
}

export type AlertmanagerAlertStatus = 'active' | 'silenced' | 'inhibited' | 'unprocessed';

const SERVICE = 'alertmanager';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const SilenceCreated = z.object({ silenceID: z.string().min(1) });

const GettableAlert = z.object({
  fingerprint: z.string(),
  labels: z.record(z.string(), z.string()),
  status: z.object({
    state: z.enum(['active', 'suppressed', 'unprocessed']),
    silencedBy: z.array(z.string()).nullish(),
    inhibitedBy: z.array(z.string()).nullish(),
  }),
});
const GettableAlerts = z.array(GettableAlert);

const SilenceInputSchema = z
  .object({
    matchers: z
      .array(
        z.object({
          name: z.string().regex(LABEL_NAME, 'matcher name must be a label name'),
          value: z.string(),
          isRegex: z.boolean(),
          isEqual: z.boolean(),
        }),
      )
      .min(1, 'a silence needs at least one matcher'),
    startsAt: z.date(),
    endsAt: z.date(),
    createdBy: z.string().min(1),
    comment: z.string().min(1),
  })
  .refine((s) => s.endsAt.getTime() > s.startsAt.getTime(), 'silence must end after it starts');

/** Alertmanager's error text: 400 bodies are JSON strings, 422 bodies are {code, message}. */
function amMessage(res: HttpResult): string {
  if (typeof res.body === 'string') return res.body.trim() || `HTTP ${res.status}`;
  const obj = z.object({ message: z.string() }).safeParse(res.body);
  if (obj.success) return obj.data.message;
  return res.text.slice(0, 200) || `HTTP ${res.status}`;
}

function failure(res: HttpResult, what: string): AppError {
  const message = amMessage(res);
  const code = res.status === 500 && /not found/i.test(message) ? 'not_found' : codeForStatus(res.status);
  return new AppError(code, `alertmanager ${what}: ${message}`, { details: { status: res.status } });
}

/** A label value quoted for an Alertmanager filter matcher (`name="value"`). */
export function quoteMatcherValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function createAlertmanagerAdapter(opts: AlertmanagerAdapterOptions): AlertmanagerPort {
  const fetchImpl: FetchLike = opts.fetchImpl ?? ((input, init) => fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const parsed = parseBaseUrl(opts.baseUrl, SERVICE);
  const base = parsed.base;
  const headers = { ...parsed.headers, ...opts.headers };

  function ok(res: HttpResult): boolean {
    return res.status >= 200 && res.status < 300;
  }

  return {
    async createSilence(input: SilenceInput) {
      const valid = SilenceInputSchema.safeParse(input);
      if (!valid.success) throw new AppError('bad_request', `invalid silence: ${valid.error.issues.map((i) => i.message).join('; ')}`);
      const body = JSON.stringify({
        matchers: input.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual })),
        startsAt: input.startsAt.toISOString(),
        endsAt: input.endsAt.toISOString(),
        createdBy: input.createdBy,
        comment: input.comment,
      });
      const res = await httpCall(fetchImpl, { service: SERVICE, url: joinUrl(base, '/api/v2/silences'), method: 'POST', body, timeoutMs, headers });
      if (!ok(res)) throw failure(res, 'create silence');
      const created = SilenceCreated.safeParse(res.body);
      if (!created.success) throw new AppError('internal', `alertmanager create silence: unexpected response ${res.text.slice(0, 200)}`);
      return { silenceId: created.data.silenceID };
    },

    async expireSilence(silenceId: string) {
      if (!/^[0-9a-fA-F-]{1,64}$/.test(silenceId)) throw new AppError('bad_request', `invalid silence id: ${JSON.stringify(silenceId)}`);
      const url = joinUrl(base, `/api/v2/silence/${encodeURIComponent(silenceId)}`);
      const res = await httpCall(fetchImpl, { service: SERVICE, url, method: 'DELETE', timeoutMs, headers });
      if (!ok(res)) throw failure(res, 'expire silence');
    },

    async listAlerts(filter: Record<string, string>) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(filter)) {
        if (!LABEL_NAME.test(name)) throw new AppError('bad_request', `invalid label name in alert filter: ${JSON.stringify(name)}`);
        params.append('filter', `${name}=${quoteMatcherValue(value)}`);
      }
      for (const flag of ['active', 'silenced', 'inhibited', 'unprocessed']) params.set(flag, 'true');
      const url = `${joinUrl(base, '/api/v2/alerts')}?${params.toString()}`;
      const res = await httpCall(fetchImpl, { service: SERVICE, url, method: 'GET', timeoutMs, headers });
      if (!ok(res)) throw failure(res, 'list alerts');
      const alerts = GettableAlerts.safeParse(res.body);
      if (!alerts.success) throw new AppError('internal', `alertmanager list alerts: unexpected response: ${alerts.error.issues[0]?.message ?? ''}`);
      return alerts.data.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, status: alertStatus(a) }));
    },
  };
}

function alertStatus(a: z.infer<typeof GettableAlert>): AlertmanagerAlertStatus {
  if ((a.status.silencedBy ?? []).length > 0) return 'silenced';
  if ((a.status.inhibitedBy ?? []).length > 0) return 'inhibited';
  if (a.status.state === 'suppressed') return 'silenced';
  return a.status.state;
}
