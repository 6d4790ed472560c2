/**
 * SNS message signature verification (protocols.md 2.3, 2.4), SubscribeURL confirmation with an
 * SSRF guard, and the TopicArn allow-list.
 *
 * Hand-written rather than `sns-payload-validator`: that library fetches certificates itself and
 * cannot take an injected certificate fetcher, which the tests need (they sign with their own key
 * and serve their own certificate); the whole thing is ~60 lines of node:crypto, tested case by case
 * (v1, v2, tampering, look-alike hosts, http, wrong path, unknown version, age).
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { AppError, errorMessage } from '../../errors.js';
import { partitionOfRegion } from '../../domain/aws-console.js';
import { parseTimestamp } from '../../domain/normalise/common.js';
import type { SnsEnvelope } from '../../domain/normalise/sns-envelope.js';

const CERT_PATH_RE = /^\/SimpleNotificationService-[0-9a-f]+\.pem$/i;
export interface SnsVerifierOptions {
  /** Returns the PEM certificate at an already-validated SigningCertURL. Default: fetch with a timeout. */
  fetchCertificate?: (url: string) => Promise<string>;
  /** How many certificates to keep (LRU). Default 32. */
  certCacheSize?: number;
  now?: () => Date;
  /** Messages older than this are refused (SNS gives up on a message after 1 hour). Default 1 h. */
  maxAgeMs?: number;
}

export interface SnsVerifier {
  /** Resolves when the envelope is authentic; throws AppError('unauthorized', reason) when not. */
  verify(envelope: SnsEnvelope): Promise<void>;
}

function unauthorized(reason: string): AppError {
  return new AppError('unauthorized', reason);
}

/** An AWS region code: us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, ap-southeast-7 ... */
const REGION_RE = /^[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}$/;

/** The partitions warroom accepts SNS deliveries from, with their DNS suffix. */
const PARTITION_SUFFIX: Record<string, string> = { aws: 'amazonaws.com', 'aws-cn': 'amazonaws.com.cn', 'aws-us-gov': 'amazonaws.com' };

export interface TopicLocation {
  partition: string;
  region: string;
  /** The SNS host of the topic's region: the only host its certificate and SubscribeURL may come from. */
  host: string;
}

/** Partition and region of an SNS TopicArn (`arn:<partition>:sns:<region>:<account>:<name>`), or the reason it is refused. */
export function topicLocation(topicArn: string): TopicLocation {
  const m = /^arn:([a-z-]+):sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]{1,256}$/.exec(topicArn);
  if (!m) throw unauthorized('TopicArn is not an SNS topic ARN');
  const [, partition = '', region = ''] = m;
  const suffix = PARTITION_SUFFIX[partition];
  if (!suffix) throw unauthorized(`TopicArn partition "${partition}" is not supported (aws, aws-cn, aws-us-gov)`);
  if (!REGION_RE.test(region) || partitionOfRegion(region) !== partition) {
    throw unauthorized(`TopicArn region "${region}" is not a region of partition ${partition}`);
  }
  return { partition, region, host: `sns.${region}.${suffix}` };
}

/**
 * The names an SNS signing certificate of this region may carry (its subject CN or DNS SANs), after
 * aws-sdk-java-v2's sns-message-manager: `sns.amazonaws.com` (`.com.cn` in China) for most regions,
 * `sns-<region>...` in China and GovCloud, `sns-signing.<region>...` for opt-in regions (whose
 * certificates also carry `sns.<region>...`).
 */
export function signingCertNames(loc: TopicLocation): string[] {
  const suffix = PARTITION_SUFFIX[loc.partition] ?? 'amazonaws.com';
  return [
    loc.partition === 'aws-cn' ? 'sns.amazonaws.com.cn' : 'sns.amazonaws.com',
    loc.partition === 'aws-us-gov' ? 'sns-us-gov-west-1.amazonaws.com' : `sns-${loc.region}.${suffix}`,
    `sns-signing.${loc.region}.${suffix}`,
    loc.host,
  ];
}

/** DNS names of a certificate: its DNS SANs, else its subject CN. */
function certNames(cert: X509Certificate): string[] {
  const sans = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (sans.length) return sans;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.trim().toLowerCase()] : [];
}

/**
 * Checks a URL is https on exactly the SNS host of the topic's region (`sns.<region>.amazonaws.com`,
 * `.com.cn` in China), by parsing it, never by prefix: `sns.s3.amazonaws.com` (an S3 bucket named
 * `sns`) and every look-alike fail.
 */
function checkSnsHost(raw: string, what: string, loc: TopicLocation): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unauthorized(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'https:') throw unauthorized(`${what} must be https`);
  const host = url.hostname.toLowerCase();
  if (host !== loc.host) throw unauthorized(`${what} host is not the SNS host of the topic's region (${loc.host})`);
  if (url.port !== '' && url.port !== '443') throw unauthorized(`${what} must use the default https port`);
  if (url.username !== '' || url.password !== '') throw unauthorized(`${what} must not carry credentials`);
  return url;
}

/** Validates a SigningCertURL for a topic; returns the normalised URL string that is fetched and cached. */
export function checkSigningCertUrl(raw: string, topicArn: string): string {
  const url = checkSnsHost(raw, 'SigningCertURL', topicLocation(topicArn));
  if (!CERT_PATH_RE.test(url.pathname)) throw unauthorized('SigningCertURL path is not /SimpleNotificationService-<hex>.pem');
  if (url.search !== '' || url.hash !== '') throw unauthorized('SigningCertURL must not have a query or fragment');
  return url.toString();
}

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** `Key\nValue\n` for each signed key in byte order; Subject only when present. */
export function stringToSign(envelope: SnsEnvelope): string {
  const fields: Record<string, unknown> = envelope;
  const keys = envelope.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  let out = '';
  for (const key of keys) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    out += `${key}\n${String(value)}\n`;
  }
  return out;
}

const ALGORITHMS: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

async function defaultFetchCertificate(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > 64 * 1024) throw new Error(`GET ${url}: certificate too large`);
  return text;
}

/** A small LRU of parsed certificates (promises, so concurrent first requests fetch once). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

function describeAge(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms} ms`;
}

export function createSnsVerifier(opts: SnsVerifierOptions = {}): SnsVerifier {
  const fetchCertificate = opts.fetchCertificate ?? defaultFetchCertificate;
  const now = opts.now ?? (() => new Date());
  const maxAgeMs = opts.maxAgeMs ?? 3_600_000;
  const cache = new Lru<Promise<X509Certificate>>(Math.max(1, opts.certCacheSize ?? 32));

  function certificate(url: string): Promise<X509Certificate> {
    const hit = cache.get(url);
    if (hit) return hit;
    const p = (async () => {
      let pem: string;
      try {
        pem = await fetchCertificate(url);
      } catch (e) {
        // Transient: SNS retries on 5xx, so the message is not lost.
        throw new AppError('unavailable', `could not fetch the SNS signing certificate: ${errorMessage(e)}`, { cause: e });
      }
      try {
        return new X509Certificate(pem);
      } catch {
        throw unauthorized('SigningCertURL did not return an X.509 certificate');
      }
    })();
    cache.set(url, p);
    p.catch(() => cache.delete(url));
    return p;
  }

  return {
    async verify(envelope) {
      const algorithm = ALGORITHMS[envelope.SignatureVersion];
      if (!algorithm) throw unauthorized(`unsupported SignatureVersion ${JSON.stringify(envelope.SignatureVersion)}`);
      const loc = topicLocation(envelope.TopicArn);
      const certUrl = checkSigningCertUrl(envelope.SigningCertURL, envelope.TopicArn);
      const sent = parseTimestamp(envelope.Timestamp)?.getTime();
      if (sent === undefined) throw unauthorized('Timestamp is not a valid time');
      const at = now().getTime();
      if (at - sent > maxAgeMs) throw unauthorized(`message is older than ${describeAge(maxAgeMs)}`);
      if (sent - at > 15 * 60_000) throw unauthorized('Timestamp is more than 15 minutes in the future');

      const cert = await certificate(certUrl);
      if (Date.parse(cert.validTo) < at || Date.parse(cert.validFrom) > at) throw unauthorized('signing certificate is not valid now');
      // AWS: verify the certificate was issued to Amazon SNS, not only fetched from an SNS host.
      const expected = signingCertNames(loc);
      if (!certNames(cert).some((n) => expected.includes(n))) throw unauthorized(`signing certificate is not issued to Amazon SNS (expected one of ${expected.join(', ')})`);
      const verifier = createVerify(algorithm);
      verifier.update(stringToSign(envelope), 'utf8');
      let ok: boolean;
      try {
        ok = verifier.verify(cert.publicKey, envelope.Signature, 'base64');
      } catch {
        ok = false;
      }
      if (!ok) throw unauthorized('signature does not match');
    },
  };
}

/**
 * Confirms a subscription by GETting its SubscribeURL, only after checking it is https on an AWS SNS
 * host with the ConfirmSubscription action for this topic (never follow an arbitrary URL: SSRF).
 * Call it after `verify`. Returns the SubscriptionArn from the XML response when present.
 */
export async function confirmSubscription(
  envelope: SnsEnvelope,
  fetchImpl: typeof fetch = fetch,
  opts: { timeoutMs?: number } = {},
): Promise<string | undefined> {
  if (envelope.Type !== 'SubscriptionConfirmation') throw new AppError('bad_request', `not a SubscriptionConfirmation: ${envelope.Type}`);
  const url = checkSnsHost(envelope.SubscribeURL, 'SubscribeURL', topicLocation(envelope.TopicArn));
  if (url.searchParams.get('Action') !== 'ConfirmSubscription') throw unauthorized('SubscribeURL is not a ConfirmSubscription action');
  const topic = url.searchParams.get('TopicArn');
  if (topic !== null && topic !== envelope.TopicArn) throw unauthorized('SubscribeURL is for another topic');
  let res: Response;
  try {
    res = await fetchImpl(url.toString(), { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000), redirect: 'error' });
  } catch (e) {
    throw new AppError('unavailable', `could not confirm the SNS subscription: ${errorMessage(e)}`, { cause: e });
  }
  const body = await res.text();
  if (!res.ok) throw new AppError('unavailable', `could not confirm the SNS subscription: HTTP ${res.status}`, { details: body.slice(0, 500) });
  const m = /<SubscriptionArn>\s*([^<]+?)\s*<\/SubscriptionArn>/.exec(body);
  return m?.[1];
}

/**
 * Whether a TopicArn is allowed: exact entries, or `*` wildcards inside an entry
 * (`arn:aws:sns:*:123456789012:alerts-*`). An empty list allows nothing.
 */
export function isTopicAllowed(topicArn: string, allowList: ReadonlyArray<string>): boolean {
  return allowList.some((entry) => {
    if (!entry.includes('*')) return entry === topicArn;
    const re = new RegExp(`^${entry.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^:]*')}$`);
    return re.test(topicArn);
  });
}
