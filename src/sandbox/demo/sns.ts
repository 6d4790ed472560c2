/**
 * Signing SNS deliveries for the sandbox: a throwaway RSA key and self-signed certificate made with
 * `openssl req -x509` (no shell: execFile), standing in for SNS's signing certificate. The bot is
 * told to trust it through the `fetchCertificate` override of `start()`; the signature itself is
 * real (SignatureVersion 1 RSA-SHA1 or 2 RSA-SHA256 over the canonical string), so the bot's
 * verifier runs exactly as in production.
 */
import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SnsEnvelope } from '../../domain/normalise/sns-envelope.js';
import { AppError } from '../../errors.js';
import { stringToSign } from '../../integrations/sns/verify.js';
import { makeTempDir, removeDir } from '../prometheus/proc.js';

export interface SnsSigner {
  /** The certificate URL the envelopes name (an https SNS host, as the verifier requires). */
  certUrl: string;
  /** Hand this to `start(env, { fetchCertificate })`. */
  fetchCertificate(url: string): Promise<string>;
  /** A signed Notification envelope around `message`. */
  notification(input: { topicArn: string; message: string; subject?: string; timestamp: Date; version?: '1' | '2' }): Record<string, string>;
}

/** A throwaway key and certificate (openssl must be installed: Debian package `openssl`); the files are removed at once. */
export function makeSnsSigner(region: string): SnsSigner {
  const dir = makeTempDir('sns');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=sns.${region}.amazonaws.com`], { stdio: 'ignore', timeout: 30_000 });
  } catch (e) {
    removeDir(dir);
    throw new AppError('config', `cannot make a signing certificate with openssl (install the Debian package openssl): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const keyPem = readFileSync(key, 'utf8');
  const certPem = readFileSync(cert, 'utf8');
  removeDir(dir);
  const certUrl = `https://sns.${region}.amazonaws.com/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`;
  return {
    certUrl,
    fetchCertificate: async (url) => {
      if (url !== certUrl) throw new AppError('not_found', `sandbox SNS: unknown certificate ${url}`);
      return certPem;
    },
    notification(input) {
      const version = input.version ?? '1';
      const envelope: Record<string, string> = {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: input.topicArn,
        ...(input.subject !== undefined ? { Subject: input.subject } : {}),
        Message: input.message,
        Timestamp: input.timestamp.toISOString(),
        SignatureVersion: version,
        Signature: '',
        SigningCertURL: certUrl,
        UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(`${input.topicArn}:sandbox`)}`,
      };
      const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      signer.update(stringToSign(envelope as unknown as SnsEnvelope));
      envelope['Signature'] = signer.sign(keyPem, 'base64');
      return envelope;
    },
  };
}
