import { execFileSync } from 'node:child_process';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnsEnvelope, type SnsEnvelope } from '../../src/domain/normalise/sns-envelope.js';
import { AppError } from '../../src/errors.js';
import { confirmSubscription, createSnsVerifier, isTopicAllowed, stringToSign } from '../../src/integrations/sns/verify.js';
import { tmpDir } from '../support/procs.js';

const read = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem';
/** Fixed after the certificate is made (its notBefore is the time of generation). */
let NOW = new Date();
const now = (): Date => NOW;

let keyPem = '';
let certPem = '';
let cleanup = (): void => {};

beforeAll(() => {
  // A throwaway self-signed certificate for this run (Node cannot write X.509 itself).
  const tmp = tmpDir('sns-cert');
  cleanup = tmp.cleanup;
  const key = path.join(tmp.dir, 'key.pem');
  const cert = path.join(tmp.dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=sns.amazonaws.com'], {
    stdio: 'ignore',
    timeout: 20_000,
  });
  keyPem = readFileSync(key, 'utf8');
  certPem = readFileSync(cert, 'utf8');
  NOW = new Date(Date.now() + 1_000);
});
afterAll(() => cleanup());

/** Another throwaway certificate with the given subject (and its key). */
function selfSigned(subject: string): { cert: string; key: string } {
  const tmp = tmpDir('sns-cert-other');
  try {
    const key = path.join(tmp.dir, 'key.pem');
    const cert = path.join(tmp.dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', subject], { stdio: 'ignore', timeout: 20_000 });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    tmp.cleanup();
  }
}

/** The string to sign, written out from the AWS documentation independently of the code under test. */
function documentedStringToSign(e: SnsEnvelope): string {
  if (e.Type === 'Notification') {
    return (
      `Message\n${e.Message}\nMessageId\n${e.MessageId}\n` +
      (e.Subject !== undefined ? `Subject\n${e.Subject}\n` : '') +
      `Timestamp\n${e.Timestamp}\nTopicArn\n${e.TopicArn}\nType\n${e.Type}\n`
    );
  }
  return `Message\n${e.Message}\nMessageId\n${e.MessageId}\nSubscribeURL\n${e.SubscribeURL}\nTimestamp\n${e.Timestamp}\nToken\n${e.Token}\nTopicArn\n${e.TopicArn}\nType\n${e.Type}\n`;
}

/** Re-stamps a fixture, signs it with `key` and sends it through the wire format (JSON text) again. */
function signed(fixture: string, opts: { version?: '1' | '2'; key?: string; certUrl?: string; ageMs?: number; edit?: (o: Record<string, unknown>) => void } = {}): SnsEnvelope {
  const raw = JSON.parse(read(fixture)) as Record<string, unknown>;
  raw.Timestamp = new Date(NOW.getTime() - (opts.ageMs ?? 60_000)).toISOString();
  raw.SignatureVersion = opts.version ?? '1';
  delete raw.SigningCertUrl;
  // SNS serves the certificate from the topic's own region.
  const region = String(raw.TopicArn).split(':')[3];
  raw.SigningCertURL = opts.certUrl ?? CERT_URL.replace('us-east-1', region ?? 'us-east-1');
  opts.edit?.(raw);
  const pre = parseSnsEnvelope(JSON.stringify(raw));
  if (!pre.ok) throw new Error(pre.error);
  const signer = createSign(opts.version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  signer.update(documentedStringToSign(pre.envelope), 'utf8');
  raw.Signature = signer.sign(opts.key ?? keyPem, 'base64');
  const r = parseSnsEnvelope(JSON.stringify(raw));
  if (!r.ok) throw new Error(r.error);
  return r.envelope;
}

function countingFetcher(): { fetchCertificate: (url: string) => Promise<string>; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetchCertificate: async (url: string) => {
      urls.push(url);
      return certPem;
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('stringToSign', () => {
  it('matches the AWS documentation example byte for byte', () => {
    const e = parseSnsEnvelope(
      JSON.stringify({
        Type: 'Notification',
        MessageId: '4d4dc071-ddbf-465d-bba8-08f81c89da64',
        TopicArn: 'arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
        Subject: 'My subject',
        Message: 'My Test Message',
        Timestamp: '2012-06-05T04:37:04.321Z',
        SignatureVersion: '1',
        Signature: 'x',
        SigningCertURL: CERT_URL,
      }),
    );
    if (!e.ok) throw new Error(e.error);
    expect(stringToSign(e.envelope)).toBe(
      'Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\nSubject\nMy subject\nTimestamp\n2012-06-05T04:37:04.321Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nNotification\n',
    );
  });

  it('uses the confirmation key list (with SubscribeURL and Token) for both confirmation types', () => {
    for (const f of ['sns/subscription-confirmation.json', 'sns/unsubscribe-confirmation.json']) {
      const r = parseSnsEnvelope(read(f));
      if (!r.ok) throw new Error(r.error);
      expect(stringToSign(r.envelope)).toBe(documentedStringToSign(r.envelope));
      expect(stringToSign(r.envelope)).toContain('\nToken\n');
    }
  });
});

describe('createSnsVerifier', () => {
  it('accepts a valid SignatureVersion 1 (RSA-SHA1) notification', async () => {
    const f = countingFetcher();
    await expect(createSnsVerifier({ ...f, now }).verify(signed('sns/cloudwatch-alb-p99-alarm.json'))).resolves.toBeUndefined();
    expect(f.urls).toEqual([CERT_URL]);
  });

  it('accepts a valid SignatureVersion 2 (RSA-SHA256) notification', async () => {
    const f = countingFetcher();
    await expect(createSnsVerifier({ ...f, now }).verify(signed('sns/cloudwatch-metric-math-alarm.json', { version: '2' }))).resolves.toBeUndefined();
  });

  it('accepts a notification without Subject and the Lambda spelling of the cert URL', async () => {
    const f = countingFetcher();
    const e = signed('sns/cloudwatch-route53-ok-lambda-spelling.json', { edit: (o) => delete o.Subject });
    expect(e.Type === 'Notification' ? e.Subject : 'not a notification').toBeUndefined();
    await expect(createSnsVerifier({ ...f, now }).verify(e)).resolves.toBeUndefined();
  });

  it('accepts signed SubscriptionConfirmation and UnsubscribeConfirmation messages', async () => {
    const v = createSnsVerifier({ ...countingFetcher(), now });
    await expect(v.verify(signed('sns/subscription-confirmation.json', { version: '2' }))).resolves.toBeUndefined();
    await expect(v.verify(signed('sns/unsubscribe-confirmation.json'))).resolves.toBeUndefined();
  });

  it('refuses a tampered message', async () => {
    const e = signed('sns/cloudwatch-alb-p99-alarm.json');
    const tampered = { ...e, Message: e.Message.replace('"NewStateValue":"ALARM"', '"NewStateValue":"OK"') };
    expect(tampered.Message).not.toBe(e.Message);
    const err = await rejection(createSnsVerifier({ ...countingFetcher(), now }).verify(tampered));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe('signature does not match');
  });

  it('refuses a tampered Subject, TopicArn or Token', async () => {
    const v = createSnsVerifier({ ...countingFetcher(), now });
    const n = signed('sns/cloudwatch-alb-p99-alarm.json');
    if (n.Type !== 'Notification') throw new Error('fixture');
    expect((await rejection(v.verify({ ...n, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' }))).message).toBe('signature does not match');
    expect((await rejection(v.verify({ ...n, Subject: 'OK: all good' }))).message).toBe('signature does not match');
    const c = signed('sns/subscription-confirmation.json');
    if (c.Type !== 'SubscriptionConfirmation') throw new Error('fixture');
    await expect(v.verify(c)).resolves.toBeUndefined();
    expect((await rejection(v.verify({ ...c, Token: `${c.Token}00` }))).message).toBe('signature does not match');
  });

  it('refuses a tampered signature and a signature by another key', async () => {
    const v = createSnsVerifier({ ...countingFetcher(), now });
    const e = signed('sns/cloudwatch-alb-p99-alarm.json');
    const flipped = `${e.Signature.slice(0, 10)}${e.Signature[10] === 'A' ? 'B' : 'A'}${e.Signature.slice(11)}`;
    expect((await rejection(v.verify({ ...e, Signature: flipped }))).message).toBe('signature does not match');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect((await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { key: other })))).message).toBe('signature does not match');
  });

  it('refuses a v1 signature presented as v2', async () => {
    const e = signed('sns/cloudwatch-alb-p99-alarm.json', { version: '1' });
    expect((await rejection(createSnsVerifier({ ...countingFetcher(), now }).verify({ ...e, SignatureVersion: '2' }))).message).toBe('signature does not match');
  });

  it('refuses bad certificate URLs without fetching them', async () => {
    const f = countingFetcher();
    const v = createSnsVerifier({ ...f, now });
    const notRegion = 'SigningCertURL host is not the SNS host of the topic\'s region (sns.us-east-1.amazonaws.com)';
    const cases: Array<[string, string]> = [
      ['https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      // S3 bucket hosts: whoever owns a bucket named `sns` could serve a certificate from them.
      ['https://sns.s3.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['https://sns.s3-external-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      // Another region's SNS host: the topic is in us-east-1.
      ['https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['http://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', 'SigningCertURL must be https'],
      ['https://sns.us-east-1.amazonaws.com/evil.pem', 'SigningCertURL path is not /SimpleNotificationService-<hex>.pem'],
      ['https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem/../x.pem', 'SigningCertURL path is not /SimpleNotificationService-<hex>.pem'],
      ['https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', 'SigningCertURL must use the default https port'],
      ['https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem', notRegion],
      ['not a url', 'SigningCertURL is not a valid URL'],
    ];
    for (const [url, reason] of cases) {
      const err = await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { certUrl: url })));
      expect([url, err.code, err.message]).toEqual([url, 'unauthorized', reason]);
    }
    expect(f.urls).toEqual([]);
  });

  it('refuses topics outside the supported partitions and malformed topic ARNs, without fetching', async () => {
    const f = countingFetcher();
    const v = createSnsVerifier({ ...f, now });
    const cases: Array<[string, string]> = [
      ['arn:aws-iso:sns:us-iso-east-1:123456789012:t', 'TopicArn partition "aws-iso" is not supported (aws, aws-cn, aws-us-gov)'],
      ['arn:aws:sns:s3:123456789012:t', 'TopicArn region "s3" is not a region of partition aws'],
      ['arn:aws:sns:cn-north-1:123456789012:t', 'TopicArn region "cn-north-1" is not a region of partition aws'],
      ['arn:aws:sqs:us-east-1:123456789012:t', 'TopicArn is not an SNS topic ARN'],
    ];
    for (const [arn, reason] of cases) {
      const err = await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { edit: (o) => (o.TopicArn = arn) })));
      expect([arn, err.message]).toEqual([arn, reason]);
    }
    expect(f.urls).toEqual([]);
  });

  it('China and GovCloud topics: their own region\'s SNS host and certificate names', async () => {
    const cn = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem';
    const gov = 'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem';
    const cnCert = selfSigned('/CN=sns-cn-north-1.amazonaws.com.cn');
    const govCert = selfSigned('/CN=sns-us-gov-west-1.amazonaws.com');
    NOW = new Date(Date.now() + 1_000); // after the new certificates' notBefore
    const serving = (c: { cert: string }) => ({ fetchCertificate: async () => c.cert });
    await expect(createSnsVerifier({ ...serving(cnCert), now }).verify(signed('sns/cloudwatch-alb-p99-alarm.json', { certUrl: cn, key: cnCert.key, edit: (o) => (o.TopicArn = 'arn:aws-cn:sns:cn-north-1:123456789012:warroom') }))).resolves.toBeUndefined();
    await expect(createSnsVerifier({ ...serving(govCert), now }).verify(signed('sns/cloudwatch-alb-p99-alarm.json', { certUrl: gov, key: govCert.key, edit: (o) => (o.TopicArn = 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:warroom') }))).resolves.toBeUndefined();
    // A GovCloud certificate does not sign for a China topic.
    const err = await rejection(createSnsVerifier({ ...serving(govCert), now }).verify(signed('sns/cloudwatch-alb-p99-alarm.json', { certUrl: cn, key: govCert.key, edit: (o) => (o.TopicArn = 'arn:aws-cn:sns:cn-north-1:123456789012:warroom') })));
    expect(err.message).toMatch(/^signing certificate is not issued to Amazon SNS/);
  });

  it('refuses a certificate from the right host that was not issued to Amazon SNS (subject checked as AWS advises)', async () => {
    const other = selfSigned('/CN=attacker.example');
    NOW = new Date(Date.now() + 1_000); // after the new certificate's notBefore
    const v = createSnsVerifier({ fetchCertificate: async () => other.cert, now });
    const err = await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { key: other.key })));
    expect(err.message).toBe('signing certificate is not issued to Amazon SNS (expected one of sns.amazonaws.com, sns-us-east-1.amazonaws.com, sns-signing.us-east-1.amazonaws.com, sns.us-east-1.amazonaws.com)');
  });

  it('refuses an unsupported SignatureVersion', async () => {
    const e = signed('sns/cloudwatch-alb-p99-alarm.json');
    const err = await rejection(createSnsVerifier({ ...countingFetcher(), now }).verify({ ...e, SignatureVersion: '3' }));
    expect(err.message).toBe('unsupported SignatureVersion "3"');
  });

  it('refuses a message older than the maximum age, and one from the far future', async () => {
    const v = createSnsVerifier({ ...countingFetcher(), now });
    expect((await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { ageMs: 3_600_001 })))).message).toBe('message is older than 1 hour');
    await expect(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { ageMs: 3_500_000 }))).resolves.toBeUndefined();
    expect((await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { ageMs: -20 * 60_000 })))).message).toBe('Timestamp is more than 15 minutes in the future');
    const strict = createSnsVerifier({ ...countingFetcher(), now, maxAgeMs: 5 * 60_000 });
    expect((await rejection(strict.verify(signed('sns/cloudwatch-alb-p99-alarm.json', { ageMs: 6 * 60_000 })))).message).toBe('message is older than 5 minutes');
  });

  it('refuses a certificate that has expired', async () => {
    const later = new Date(NOW.getTime() + 3 * 86_400_000);
    const v = createSnsVerifier({ ...countingFetcher(), now: () => later, maxAgeMs: 10 * 86_400_000 });
    const err = await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json')));
    expect(err.message).toBe('signing certificate is not valid now');
  });

  it('refuses a certificate URL that does not serve a certificate', async () => {
    const v = createSnsVerifier({ fetchCertificate: async () => '<html>hello</html>', now });
    const err = await rejection(v.verify(signed('sns/cloudwatch-alb-p99-alarm.json')));
    expect([err.code, err.message]).toEqual(['unauthorized', 'SigningCertURL did not return an X.509 certificate']);
  });

  it('reports a failed certificate download as unavailable (retryable), and retries it next time', async () => {
    let calls = 0;
    const v = createSnsVerifier({
      now,
      fetchCertificate: async () => {
        calls += 1;
        if (calls === 1) throw new Error('ECONNRESET');
        return certPem;
      },
    });
    const e = signed('sns/cloudwatch-alb-p99-alarm.json');
    const err = await rejection(v.verify(e));
    expect([err.code, err.retryable]).toEqual(['unavailable', true]);
    expect(err.message).toContain('ECONNRESET');
    await expect(v.verify(e)).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('caches certificates by URL, bounded (LRU)', async () => {
    // Another certificate of the same region (SNS rotates them).
    const other = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';
    const f = countingFetcher();
    const v = createSnsVerifier({ ...f, now, certCacheSize: 1 });
    const a = signed('sns/cloudwatch-alb-p99-alarm.json');
    const b = signed('sns/cloudwatch-alb-p99-alarm.json', { certUrl: other });
    await Promise.all([v.verify(a), v.verify(a)]);
    await v.verify(a);
    expect(f.urls).toEqual([CERT_URL]); // concurrent and later verifications share one download
    await v.verify(b); // evicts CERT_URL
    await v.verify(a);
    expect(f.urls).toEqual([CERT_URL, other, CERT_URL]);
  });
});

describe('confirmSubscription', () => {
  const xml = `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult>
    <SubscriptionArn>arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55</SubscriptionArn>
  </ConfirmSubscriptionResult>
  <ResponseMetadata><RequestId>075ecce8-8dac-11e1-bf80-f781d96e9307</RequestId></ResponseMetadata>
</ConfirmSubscriptionResponse>`;

  function fakeFetch(status = 200, body = xml): { fetchImpl: typeof fetch; urls: string[] } {
    const urls: string[] = [];
    const fetchImpl: typeof fetch = async (input) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url);
      return new Response(body, { status, headers: { 'content-type': 'text/xml' } });
    };
    return { fetchImpl, urls };
  }

  function confirmation(edit?: (o: Record<string, unknown>) => void): SnsEnvelope {
    const raw = JSON.parse(read('sns/subscription-confirmation.json')) as Record<string, unknown>;
    edit?.(raw);
    const r = parseSnsEnvelope(JSON.stringify(raw));
    if (!r.ok) throw new Error(r.error);
    return r.envelope;
  }

  it('GETs the SubscribeURL and returns the SubscriptionArn', async () => {
    const f = fakeFetch();
    const e = confirmation();
    await expect(confirmSubscription(e, f.fetchImpl)).resolves.toBe('arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55');
    expect(f.urls).toEqual([e.Type === 'SubscriptionConfirmation' ? e.SubscribeURL : '']);
  });

  it('returns undefined when the response has no SubscriptionArn', async () => {
    await expect(confirmSubscription(confirmation(), fakeFetch(200, '<ok/>').fetchImpl)).resolves.toBeUndefined();
  });

  it('never requests a URL outside AWS SNS (SSRF)', async () => {
    const f = fakeFetch();
    const cases: Array<[string, string]> = [
      ['http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=x', 'SubscribeURL must be https'],
      ['https://169.254.169.254/latest/meta-data/?Action=ConfirmSubscription', "SubscribeURL host is not the SNS host of the topic's region (sns.us-west-2.amazonaws.com)"],
      ['https://sns.us-west-2.amazonaws.com.evil.com/?Action=ConfirmSubscription', "SubscribeURL host is not the SNS host of the topic's region (sns.us-west-2.amazonaws.com)"],
      ['https://sns.s3.amazonaws.com/?Action=ConfirmSubscription', "SubscribeURL host is not the SNS host of the topic's region (sns.us-west-2.amazonaws.com)"],
      ['https://sns.us-west-2.amazonaws.com/?Action=Publish&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic', 'SubscribeURL is not a ConfirmSubscription action'],
      ['https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:666:Evil&Token=x', 'SubscribeURL is for another topic'],
    ];
    for (const [url, reason] of cases) {
      const err = await rejection(confirmSubscription(confirmation((o) => (o.SubscribeURL = url)), f.fetchImpl));
      expect([url, err.code, err.message]).toEqual([url, 'unauthorized', reason]);
    }
    expect(f.urls).toEqual([]);
  });

  it('reports an AWS error as unavailable, and refuses non-confirmation messages', async () => {
    const err = await rejection(confirmSubscription(confirmation(), fakeFetch(503, 'busy').fetchImpl));
    expect([err.code, err.message]).toEqual(['unavailable', 'could not confirm the SNS subscription: HTTP 503']);
    const n = parseSnsEnvelope(read('sns/cloudwatch-alb-p99-alarm.json'));
    if (!n.ok) throw new Error(n.error);
    expect((await rejection(confirmSubscription(n.envelope, fakeFetch().fetchImpl))).code).toBe('bad_request');
  });
});

describe('isTopicAllowed', () => {
  it('matches exact ARNs and * within one ARN segment; an empty list allows nothing', () => {
    const list = ['arn:aws:sns:us-east-1:123456789012:warroom', 'arn:aws:sns:*:210987654321:alerts-*'];
    expect(isTopicAllowed('arn:aws:sns:us-east-1:123456789012:warroom', list)).toBe(true);
    expect(isTopicAllowed('arn:aws:sns:us-east-1:123456789012:warroom2', list)).toBe(false);
    expect(isTopicAllowed('arn:aws:sns:eu-west-1:210987654321:alerts-prod', list)).toBe(true);
    expect(isTopicAllowed('arn:aws:sns:eu-west-1:210987654321:other', list)).toBe(false);
    expect(isTopicAllowed('arn:aws:sns:eu-west-1:999:x:210987654321:alerts-prod', list)).toBe(false);
    expect(isTopicAllowed('arn:aws:sns:us-east-1:123456789012:warroom', [])).toBe(false);
    expect(isTopicAllowed('arn:aws:sns:us-east-1:123456789012:warroom', ['arn:aws:sns:us-east-1:123456789012:warroo.'])).toBe(false);
  });
});
