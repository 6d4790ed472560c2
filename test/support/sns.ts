import { createSign, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringToSign } from '../../src/integrations/sns/verify.js';
import type { SnsEnvelope } from '../../src/domain/normalise/sns-envelope.js';
import { tmpDir } from './procs.js';
import { TOPIC_ARN } from './bot.js';

export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';

export interface TestSigner {
  certPem: string;
  fetchCertificate(url: string): Promise<string>;
  fetched: string[];
  sign<T extends Record<string, unknown>>(envelope: T, version?: '1' | '2'): T & { Signature: string; SignatureVersion: string; SigningCertURL: string };
  cleanup(): void;
}

/** A throwaway key and self-signed certificate (openssl), standing in for SNS's signing certificate. */
export function makeSigner(): TestSigner {
  const { dir, cleanup } = tmpDir('sns');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
  const keyPem = readFileSync(key, 'utf8');
  const certPem = readFileSync(cert, 'utf8');
  const fetched: string[] = [];
  return {
    certPem,
    fetched,
    fetchCertificate: async (url) => {
      fetched.push(url);
      return certPem;
    },
    sign(envelope, version = '1') {
      const withCert = { ...envelope, SignatureVersion: version, SigningCertURL: (envelope.SigningCertURL as string | undefined) ?? CERT_URL, Signature: 'x' };
      const s = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      s.update(stringToSign(withCert as unknown as SnsEnvelope));
      return { ...withCert, Signature: s.sign(keyPem, 'base64') };
    },
    cleanup,
  };
}

export function alarmMessage(opts: { name?: string; state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; at: string; previous?: string }) {
  const name = opts.name ?? 'k8s-api-prod-core-7db0ccf2c3-target-response-time';
  return {
    AlarmName: name,
    AlarmDescription: 'TargetResponseTime above 0.8 s',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-11-01T10:00:00.000+0000',
    NewStateValue: opts.state,
    NewStateReason: `Threshold Crossed: 2 out of the last 2 datapoints were ${opts.state === 'ALARM' ? 'greater than' : 'not greater than'} the threshold (0.8).`,
    StateChangeTime: opts.at.replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    OldStateValue: opts.previous ?? (opts.state === 'ALARM' ? 'OK' : 'ALARM'),
    OKActions: [TOPIC_ARN],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: 'TargetResponseTime',
      Namespace: 'AWS/ApplicationELB',
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Unit: null,
      Dimensions: [{ value: 'app/k8s-apiprodcore-7db0ccf2c3/50dc6c495c0c9188', name: 'LoadBalancer' }],
      Period: 60,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.8,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

export function notification(message: unknown, opts: { topicArn?: string; messageId?: string; timestamp?: string; subject?: string } = {}) {
  return {
    Type: 'Notification',
    MessageId: opts.messageId ?? randomUUID(),
    TopicArn: opts.topicArn ?? TOPIC_ARN,
    ...(opts.subject ? { Subject: opts.subject } : {}),
    Message: JSON.stringify(message),
    Timestamp: opts.timestamp ?? new Date().toISOString(),
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
  };
}

/** POST as SNS does: its message-type and topic-arn headers (taken from the body unless given). */
export async function postSns(url: string, body: Record<string, unknown> | string, type?: string, topicArn?: string): Promise<{ status: number; text: string }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const topic = topicArn ?? (typeof body === 'string' ? TOPIC_ARN : String(body.TopicArn ?? TOPIC_ARN));
  const res = await fetch(`${url}/webhooks/cloudwatch`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': type ?? (typeof body === 'string' ? 'Notification' : String(body.Type)),
      'x-amz-sns-topic-arn': topic,
      'user-agent': 'Amazon Simple Notification Service Agent',
    },
    body: text,
  });
  return { status: res.status, text: await res.text() };
}
