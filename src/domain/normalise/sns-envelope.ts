/**
 * The JSON body of an SNS HTTP(S) delivery (protocols.md 2.2): Notification,
 * SubscriptionConfirmation, UnsubscribeConfirmation. The Lambda spelling (`SigningCertUrl`,
 * `UnsubscribeUrl`, `Subject: null`) is accepted and canonicalised to the HTTP spelling.
 */
import { z } from 'zod';
import { formatIssues, parseJsonText, Timestamp } from './common.js';
import type { ParseResult } from './common.js';

const common = {
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp,
  /** "1" (RSA-SHA1) or "2" (RSA-SHA256); other values are refused by the verifier, not here. */
  SignatureVersion: z.string().min(1),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
};

export const SnsNotification = z.object({
  Type: z.literal('Notification'),
  ...common,
  /** Absent when the publisher gave no subject; it is signed only when present. */
  Subject: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
  MessageAttributes: z.record(z.string(), z.unknown()).optional(),
});
export type SnsNotification = z.infer<typeof SnsNotification>;

export const SnsSubscriptionConfirmation = z.object({
  Type: z.literal('SubscriptionConfirmation'),
  ...common,
  Token: z.string().min(1),
  SubscribeURL: z.string().min(1),
});
export type SnsSubscriptionConfirmation = z.infer<typeof SnsSubscriptionConfirmation>;

export const SnsUnsubscribeConfirmation = z.object({
  Type: z.literal('UnsubscribeConfirmation'),
  ...common,
  Token: z.string().min(1),
  /** To re-subscribe. */
  SubscribeURL: z.string().min(1),
});
export type SnsUnsubscribeConfirmation = z.infer<typeof SnsUnsubscribeConfirmation>;

const ALIASES: ReadonlyArray<[string, string]> = [
  ['SigningCertUrl', 'SigningCertURL'],
  ['UnsubscribeUrl', 'UnsubscribeURL'],
  ['SubscribeUrl', 'SubscribeURL'],
];

function canonicalise(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(v));
  for (const [lambda, http] of ALIASES) {
    if (out[http] === undefined && out[lambda] !== undefined) out[http] = out[lambda];
    delete out[lambda];
  }
  if (out.Subject === null) delete out.Subject;
  return out;
}

export const SnsEnvelope = z.preprocess(
  canonicalise,
  z.discriminatedUnion('Type', [SnsNotification, SnsSubscriptionConfirmation, SnsUnsubscribeConfirmation], {
    error: 'Type must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation',
  }),
);
export type SnsEnvelope = z.infer<typeof SnsEnvelope>;

/** Parses the raw body text of an SNS delivery (Content-Type is text/plain: parse it yourself). */
export function parseSnsEnvelope(text: string): ParseResult<'envelope', SnsEnvelope> {
  const j = parseJsonText(text, 'SNS message body');
  if (!j.ok) return j;
  const r = SnsEnvelope.safeParse(j.value);
  if (!r.success) return { ok: false, error: `invalid SNS message: ${formatIssues(r.error)}` };
  return { ok: true, envelope: r.data };
}
