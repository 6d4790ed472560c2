/**
 * Hostile-input corpus: malformed, forged, oversized and nasty inputs against the real bot (webhooks,
 * SNS, Slack slash commands and interactivity). Rejected inputs answer 4xx with a reason and leave
 * nothing behind (no channel, no incident); valid-but-nasty inputs open incidents whose channel names
 * and cards are safe; the process stays up.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../src/domain/incident.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { AM_TOKEN, amAuth, amPayload, BASE_CONFIG, postJson, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';
import { alarmMessage, CERT_URL, makeSigner, notification, postSns, type TestSigner } from '../support/sns.js';

const GENERAL = 'C0GENERAL';
const ANNOUNCE = 'C0ANNOUNCE';

let slack: SlackEmulator;
let bot: TestBot;
let signer: TestSigner;

beforeAll(async () => {
  signer = makeSigner();
  slack = await startSlack({ channels: [{ id: ANNOUNCE, name: 'incidents' }, { id: GENERAL, name: 'general' }] });
  // Storm grouping off: the nasty-alert corpus opens twenty new keys of one route in a row and checks
  // each one's own card (grouping has its own tests, test/e2e/slack-budget.test.ts).
  bot = await startBot({ redisUrl: inject('redisUrl'), slack, config: `${BASE_CONFIG}\nstorm: { threshold: 0 }\n`, overrides: { fetchCertificate: signer.fetchCertificate } });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.stop();
  signer?.cleanup();
});

type Res = { status: number; text: string };
const amUrl = () => `${bot.url}/webhooks/alertmanager`;

/** POST to the Alertmanager webhook with the right credentials (unless headers say otherwise). */
async function am(body: unknown, headers: Record<string, string> = amAuth): Promise<Res> {
  const r = await postJson(amUrl(), body, headers);
  return { status: r.status, text: r.text };
}

async function raw(body: string, headers: Record<string, string>): Promise<Res> {
  const res = await fetch(amUrl(), { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

/** A hand-written HTTP/1.1 request over a socket (for lying Content-Length headers that fetch refuses). */
function rawHttp(head: string, body: string | Buffer): Promise<Res> {
  const port = Number(new URL(bot.url).port);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? '0');
      resolve({ status, text: data.slice(data.indexOf('\r\n\r\n') + 4) });
    };
    const timer = setTimeout(done, 5000);
    sock.on('error', (e) => (data ? done() : reject(e)));
    sock.on('data', (c: Buffer) => {
      data += c.toString('utf8');
      if (/^HTTP\/1\.1 \d{3}/.test(data) && data.includes('\r\n\r\n')) {
        const len = Number(/content-length: (\d+)/i.exec(data)?.[1] ?? '-1');
        if (len >= 0 && Buffer.byteLength(data.slice(data.indexOf('\r\n\r\n') + 4)) >= len) done();
      }
    });
    sock.on('end', done);
    sock.write(head);
    sock.write(body, () => undefined);
  });
}

/** amPayload with unique identities, then patched by `mutate` (which may return a replacement). */
let seq = 0;
function bad(mutate: (p: Record<string, unknown> & { alerts: Array<Record<string, unknown>> }) => unknown): unknown {
  seq += 1;
  const p = amPayload({ alertname: `Hostile${seq}`, service: `rejected${seq}` }) as unknown as Record<string, unknown> & { alerts: Array<Record<string, unknown>> };
  const out = mutate(p);
  return out === undefined ? p : out;
}
const alert0 = (p: { alerts: Array<Record<string, unknown>> }) => p.alerts[0] as Record<string, unknown>;
const labels0 = (p: { alerts: Array<Record<string, unknown>> }) => alert0(p)['labels'] as Record<string, unknown>;

const validText = JSON.stringify(amPayload({ alertname: 'TruncatedAlert', service: 'cut' }));
const deepArray = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
const deepObject = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
const deepLabels = (() => {
  let v: unknown = 'x';
  for (let i = 0; i < 2_000; i += 1) v = { n: v };
  return v;
})();

interface Case {
  name: string;
  send: () => Promise<Res>;
  status: number;
  reason: RegExp;
}

const truncated: Case[] = Array.from({ length: 24 }, (_, k) => {
  const cut = k < 4 ? [1, 2, 7, 19][k] as number : Math.floor((validText.length * (k - 3)) / 21);
  return { name: `truncated JSON at byte ${cut}/${validText.length}`, send: () => am(validText.slice(0, cut)), status: 400, reason: /not valid JSON/ };
});

type Payload = Record<string, unknown> & { alerts: Array<Record<string, unknown>> };
const wrongTypes: Case[] = (<Array<[string, (p: Payload) => void, RegExp]>>[
  ['alerts is a string', (p) => void (p.alerts = 'many' as never), /alerts/],
  ['alerts is an object', (p) => void (p.alerts = { 0: {} } as never), /alerts/],
  ['alerts is null', (p) => void (p.alerts = null as never), /alerts/],
  ['alerts is a number', (p) => void (p.alerts = 3 as never), /alerts/],
  ['alerts holds null', (p) => void (p.alerts = [null] as never), /alerts/],
  ['alerts holds a string', (p) => void (p.alerts = ['alert'] as never), /alerts/],
  ['a label value is a number', (p) => void (labels0(p)['alertname'] = 5), /labels/],
  ['a label value is a boolean', (p) => void (labels0(p)['severity'] = true), /labels/],
  ['a label value is null', (p) => void (labels0(p)['service'] = null), /labels/],
  ['a label value is an object', (p) => void (labels0(p)['service'] = { nested: 'x' }), /labels/],
  ['labels is an array', (p) => void (alert0(p)['labels'] = ['alertname', 'x']), /labels/],
  ['labels is a string', (p) => void (alert0(p)['labels'] = 'alertname=x'), /labels/],
  ['labels nested 2,000 deep', (p) => void (alert0(p)['labels'] = { deep: deepLabels }), /labels/],
  ['annotations is a string', (p) => void (alert0(p)['annotations'] = 'summary'), /annotations/],
  ['group status unknown', (p) => void (p['status'] = 'unknown'), /status/],
  ['alert status unknown', (p) => void (alert0(p)['status'] = 'burning'), /status/],
  ['alert status uppercase', (p) => void (alert0(p)['status'] = 'FIRING'), /status/],
  ['version "3"', (p) => void (p['version'] = '3'), /version/],
  ['version 4 as a number', (p) => void (p['version'] = 4), /version/],
  ['version missing', (p) => void delete p['version'], /version/],
  ['startsAt not a time', (p) => void (alert0(p)['startsAt'] = 'yesterday'), /startsAt/],
  ['startsAt a number', (p) => void (alert0(p)['startsAt'] = 1_700_000_000), /startsAt/],
  ['startsAt impossible date', (p) => void (alert0(p)['startsAt'] = '2026-13-45T25:61:61Z'), /startsAt/],
  ['endsAt not a time', (p) => void (alert0(p)['endsAt'] = 'never'), /endsAt/],
  ['fingerprint empty', (p) => void (alert0(p)['fingerprint'] = ''), /fingerprint/],
  ['fingerprint a number', (p) => void (alert0(p)['fingerprint'] = 42), /fingerprint/],
  ['groupKey missing', (p) => void delete p['groupKey'], /groupKey/],
  ['groupKey a number', (p) => void (p['groupKey'] = 7), /groupKey/],
  ['truncatedAlerts negative', (p) => void (p['truncatedAlerts'] = -1), /truncatedAlerts/],
  ['truncatedAlerts a string', (p) => void (p['truncatedAlerts'] = 'many'), /truncatedAlerts/],
  ['groupLabels an array', (p) => void (p['groupLabels'] = []), /groupLabels/],
  ['commonLabels with a nested value', (p) => void (p['commonLabels'] = { a: { b: 'c' } }), /commonLabels/],
  ['generatorURL a number', (p) => void (alert0(p)['generatorURL'] = 5), /generatorURL/],
]).map(([name, mutate, reason]) => ({ name: `wrong type: ${name}`, send: () => am(bad(mutate)), status: 400, reason }));

const shapes: Case[] = [
  { name: 'empty body', send: () => am(''), status: 400, reason: /empty/ },
  { name: 'whitespace body', send: () => am(' \n\t '), status: 400, reason: /empty/ },
  { name: 'null', send: () => am('null'), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'an empty array', send: () => am('[]'), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'an array of payloads', send: () => am([amPayload({ alertname: 'InArray' })]), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'a string', send: () => am('"alert"'), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'a number', send: () => am('42'), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'true', send: () => am('true'), status: 400, reason: /invalid Alertmanager webhook/ },
  { name: 'an empty object', send: () => am('{}'), status: 400, reason: /version/ },
  { name: 'arrays nested 50,000 deep', send: () => am(deepArray), status: 400, reason: /JSON|invalid/ },
  { name: 'objects nested 20,000 deep', send: () => am(deepObject), status: 400, reason: /JSON|invalid/ },
  { name: 'a trailing comma', send: () => am(validText.replace(/}$/, ',}')), status: 400, reason: /not valid JSON/ },
  { name: 'single quotes', send: () => am(validText.replace(/"/g, "'")), status: 400, reason: /not valid JSON/ },
  { name: 'a UTF-8 BOM then JSON', send: () => am(`\uFEFF${validText}`), status: 400, reason: /not valid JSON/ },
  { name: 'NaN literal', send: () => am(validText.replace('"truncatedAlerts":0', '"truncatedAlerts":NaN')), status: 400, reason: /not valid JSON/ },
  { name: 'two concatenated payloads', send: () => am(validText + validText), status: 400, reason: /not valid JSON/ },
  { name: 'a comment', send: () => am(`/* hi */${validText}`), status: 400, reason: /not valid JSON/ },
  { name: 'invalid UTF-8 bytes', send: () => am(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1')), status: 400, reason: /JSON/ },
];

const contentTypes: Case[] = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'text/json-ish', 'application/xml'].map((ct) => ({
  name: `content-type ${ct}`,
  send: () => raw(JSON.stringify(bad(() => undefined)), { ...amAuth, 'content-type': ct }),
  status: 415,
  reason: /content-type/i,
}));
contentTypes.push({
  name: 'no content-type at all',
  send: async () => {
    const body = JSON.stringify(bad(() => undefined));
    return rawHttp(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${AM_TOKEN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`, body);
  },
  status: 415,
  reason: /content-type/i,
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const auth: Case[] = (
  [
    ['missing', undefined],
    ['empty', ''],
    ['Bearer wrong', 'Bearer wrong'],
    ['Bearer with nothing', 'Bearer'],
    ['Bearer then the token with trailing words', `Bearer ${AM_TOKEN} extra words`],
    ['Bearer with spaces inside the token', `Bearer ${AM_TOKEN.replace('-', ' ')}`],
    ['Bearer of the token twice', `Bearer ${AM_TOKEN}${AM_TOKEN}`],
    ['the token with no scheme', AM_TOKEN],
    ['another scheme (Token)', `Token ${AM_TOKEN}`],
    ['another scheme (Digest)', `Digest username="x", response="${AM_TOKEN}"`],
    ['Basic with no colon', `Basic ${b64(AM_TOKEN)}`],
    ['Basic with the token as user', `Basic ${b64(`${AM_TOKEN}:`)}`],
    ['Basic with a wrong password', `Basic ${b64('alertmanager:wrong')}`],
    ['Basic that is not base64', 'Basic !!!***'],
    ['Basic with trailing words', `Basic ${b64(`am:${AM_TOKEN}`)} extra`],
  ] as Array<[string, string | undefined]>
).map(([name, header]) => ({
  name: `authorization: ${name}`,
  send: () => am(bad(() => undefined), header === undefined ? {} : { authorization: header }),
  status: 401,
  reason: /credentials|unauthorized/,
}));

const MIB = 1024 * 1024;
const oversize: Case[] = [
  { name: 'body over 1 MiB', send: () => am({ ...(bad(() => undefined) as object), pad: 'x'.repeat(MIB + 10) }), status: 413, reason: /exceeds the limit/ },
  { name: '5 MiB of a label value', send: () => am(bad((p) => void (labels0(p)['blob'] = 'y'.repeat(5 * MIB)))), status: 413, reason: /exceeds the limit/ },
  {
    name: 'Content-Length claims 50 MiB, body is small',
    send: () => rawHttp(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${AM_TOKEN}\r\nContent-Length: ${50 * MIB}\r\nConnection: close\r\n\r\n`, '{}'),
    status: 413,
    reason: /exceeds the limit/,
  },
  {
    name: 'Content-Length claims 100 bytes, 1.2 MiB sent',
    send: () => rawHttp(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${AM_TOKEN}\r\nContent-Length: 100\r\nConnection: close\r\n\r\n`, validText + 'z'.repeat(1.2 * MIB)),
    status: 400,
    // Either the handler's JSON error, or Node's parser refusing the excess as a malformed pipelined request first.
    reason: /^$|not valid JSON/,
  },
  {
    name: 'chunked with no Content-Length, 1.5 MiB',
    send: () => {
      const chunk = 'w'.repeat(64 * 1024);
      const chunks = Array.from({ length: 24 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
      return rawHttp(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${AM_TOKEN}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`, `${chunks}0\r\n\r\n`);
    },
    status: 413,
    reason: /exceeds the limit/,
  },
];

// ---- SNS ----
const now = () => new Date().toISOString();
const snsMsg = (name = 'hostile-alarm') => notification(alarmMessage({ name, state: 'ALARM', at: now() }));
const wrongAlarm = (patch: Record<string, unknown>) => notification({ ...alarmMessage({ name: 'hostile-typed', state: 'ALARM', at: now() }), ...patch });
const certAt = (url: string) => () => postSns(bot.url, signer.sign({ ...snsMsg(), SigningCertURL: url }));
const without = (key: string) => () => {
  const signed: Record<string, unknown> = { ...signer.sign(snsMsg()) };
  delete signed[key];
  return postSns(bot.url, signed, 'Notification');
};
const sns: Case[] = [
  { name: 'forged: Message swapped after signing', send: () => postSns(bot.url, { ...signer.sign(snsMsg()), Message: JSON.stringify(alarmMessage({ name: 'swapped', state: 'ALARM', at: now() })) }), status: 401, reason: /signature/i },
  { name: 'forged: Signature is random base64', send: () => postSns(bot.url, { ...signer.sign(snsMsg()), Signature: b64('x'.repeat(256)) }), status: 401, reason: /signature/i },
  { name: 'forged: Signature is not base64', send: () => postSns(bot.url, { ...signer.sign(snsMsg()), Signature: '%%%not-base64%%%' }), status: 401, reason: /signature/i },
  { name: 'SignatureVersion "3"', send: () => postSns(bot.url, { ...signer.sign(snsMsg()), SignatureVersion: '3' }), status: 401, reason: /SignatureVersion/ },
  { name: 'SignatureVersion "2" on a SHA1 signature', send: () => postSns(bot.url, { ...signer.sign(snsMsg(), '1'), SignatureVersion: '2' }), status: 401, reason: /signature/i },
  { name: 'cert on a look-alike host (suffix)', send: certAt(CERT_URL.replace('amazonaws.com/', 'amazonaws.com.evil.com/')), status: 401, reason: /host/ },
  { name: 'cert on a look-alike host (dash)', send: certAt(CERT_URL.replace('sns.us-east-1.amazonaws.com', 'sns-us-east-1.amazonaws.com.attacker.io')), status: 401, reason: /host/ },
  { name: 'cert on a look-alike host (prefix)', send: certAt(CERT_URL.replace('sns.us-east-1.amazonaws.com', 'evilamazonaws.com')), status: 401, reason: /host/ },
  { name: 'cert on an S3 bucket host', send: certAt('https://evil.s3.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem'), status: 401, reason: /host/ },
  { name: 'cert over http', send: certAt(CERT_URL.replace('https:', 'http:')), status: 401, reason: /https/ },
  { name: 'cert with a wrong path', send: certAt('https://sns.us-east-1.amazonaws.com/evil.pem'), status: 401, reason: /path/ },
  { name: 'cert with a nested path', send: certAt('https://sns.us-east-1.amazonaws.com/x/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem'), status: 401, reason: /path/ },
  { name: 'cert with credentials', send: certAt(CERT_URL.replace('https://', 'https://user:pw@')), status: 401, reason: /credentials/ },
  { name: 'cert URL not a URL', send: certAt('not a url'), status: 401, reason: /SigningCertURL/ },
  { name: 'unlisted topic', send: () => postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'x', state: 'ALARM', at: now() }), { topicArn: 'arn:aws:sns:us-east-1:123456789012:warroom-alarms-evil' }))), status: 403, reason: /not allowed/ },
  { name: 'topic in another account', send: () => postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'x', state: 'ALARM', at: now() }), { topicArn: 'arn:aws:sns:us-east-1:999999999999:warroom-alarms' }))), status: 403, reason: /not allowed/ },
  { name: 'missing MessageId', send: without('MessageId'), status: 400, reason: /MessageId/ },
  { name: 'missing TopicArn', send: without('TopicArn'), status: 400, reason: /TopicArn/ },
  { name: 'missing Timestamp', send: without('Timestamp'), status: 400, reason: /Timestamp/ },
  { name: 'missing Signature', send: without('Signature'), status: 400, reason: /Signature/ },
  { name: 'missing SigningCertURL', send: without('SigningCertURL'), status: 400, reason: /SigningCertURL/ },
  { name: 'missing Message', send: without('Message'), status: 400, reason: /Message/ },
  { name: 'unknown Type', send: () => postSns(bot.url, signer.sign({ ...snsMsg(), Type: 'Bogus' })), status: 400, reason: /Type/ },
  { name: 'header type differs from body', send: () => postSns(bot.url, JSON.stringify(signer.sign(snsMsg())), 'SubscriptionConfirmation'), status: 400, reason: /does not match/ },
  { name: 'Message not JSON', send: () => postSns(bot.url, signer.sign({ ...snsMsg(), Message: 'ALARM: it is on fire' })), status: 400, reason: /JSON/ },
  { name: 'Message is JSON null', send: () => postSns(bot.url, signer.sign(notification(null))), status: 400, reason: /alarm|invalid|Message/i },
  { name: 'alarm NewStateValue unknown', send: () => postSns(bot.url, signer.sign(wrongAlarm({ NewStateValue: 'ON_FIRE' }))), status: 400, reason: /NewStateValue/ },
  { name: 'alarm AlarmName a number', send: () => postSns(bot.url, signer.sign(wrongAlarm({ AlarmName: 5 }))), status: 400, reason: /AlarmName/ },
  { name: 'alarm StateChangeTime not a time', send: () => postSns(bot.url, signer.sign(wrongAlarm({ StateChangeTime: 'yesterday' }))), status: 400, reason: /StateChangeTime/ },
  { name: 'alarm NewStateValue missing', send: () => postSns(bot.url, signer.sign(wrongAlarm({ NewStateValue: undefined }))), status: 400, reason: /NewStateValue/ },
  { name: 'alarm message an array', send: () => postSns(bot.url, signer.sign(notification([alarmMessage({ name: 'arr', state: 'ALARM', at: now() })]))), status: 400, reason: /./ },
  { name: 'Timestamp 2 hours old', send: () => postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'old', state: 'ALARM', at: now() }), { timestamp: new Date(Date.now() - 2 * 3_600_000).toISOString() }))), status: 401, reason: /old|hour/i },
  { name: 'Timestamp 1 day in the future', send: () => postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'future', state: 'ALARM', at: now() }), { timestamp: new Date(Date.now() + 86_400_000).toISOString() }))), status: 401, reason: /future/ },
  { name: 'SNS body empty', send: () => postSns(bot.url, ''), status: 400, reason: /JSON|empty/ },
  { name: 'SNS body an array', send: () => postSns(bot.url, '[]'), status: 400, reason: /./ },
  { name: 'SNS body truncated', send: () => postSns(bot.url, JSON.stringify(signer.sign(snsMsg())).slice(0, 200)), status: 400, reason: /JSON/ },
];

const rejected: Case[] = [...truncated, ...wrongTypes, ...shapes, ...contentTypes, ...auth, ...oversize, ...sns];

describe('hostile corpus: rejected webhook and SNS inputs', () => {
  let createsBefore = 0;
  let incidentsBefore = 0;
  beforeAll(async () => {
    createsBefore = slack.callsTo('conversations.create').length;
    incidentsBefore = (await bot.running.deps.ports.incidents.listAll(1000)).length;
  });

  it.each(rejected)('$name -> $status', async (c) => {
    const r = await c.send();
    expect(r.status, r.text.slice(0, 300)).toBe(c.status);
    expect(r.text).toMatch(c.reason);
  });

  it('left nothing behind: no channel, no incident, and the process is up', async () => {
    expect(rejected.length).toBeGreaterThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 1500));
    expect(slack.callsTo('conversations.create').length).toBe(createsBefore);
    expect((await bot.running.deps.ports.incidents.listAll(1000)).length).toBe(incidentsBefore);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });
});

// ---- Slack signature checks (Bolt answers 401 before any listener runs) ----
type Deliver = (opts: Parameters<SlackEmulator['deliver']>[2]) => Promise<{ status: number }>;
const slash: Deliver = (o) => slack.sendSlashCommand({ command: '/incident', text: 'declare sev1 forged <!channel>', userId: 'U0RANDOM', channelId: GENERAL }, o);
const click: Deliver = (o) => slack.clickButton({ actionId: 'incident_ack', value: 'INC-1', userId: 'U0RANDOM', channelId: GENERAL, messageTs: '1700000000.000100' }, o);
const event: Deliver = (o) => slack.sendEvent({ type: 'reaction_added', user: 'U0RANDOM', reaction: 'fire', item: { type: 'message', channel: GENERAL, ts: '1.0' } }, o);
const forgeries: Array<[string, Parameters<SlackEmulator['deliver']>[2]]> = [
  ['replayed 301 s later', { staleBySeconds: 301 }],
  ['replayed a day later', { staleBySeconds: 86_400 }],
  ['signed with the wrong secret', { badSignature: true }],
  ['unsigned', { unsigned: true }],
  ['tampered after signing', { tamperBody: (b: string) => b.replace('U0RANDOM', 'U0LEAD') }],
];
const slackForged = forgeries.flatMap(([what, opts]) => (
  [
    ['slash command', slash],
    ['block_actions', click],
    ['event', event],
  ] as Array<[string, Deliver]>
).map(([kind, send]) => ({ name: `${kind} ${what}`, send, opts })));

describe('hostile corpus: forged Slack requests', () => {
  it.each(slackForged)('$name -> 401, nothing happens', async (c) => {
    const calls = slack.calls.length;
    const r = await c.send(c.opts);
    expect(r.status).toBe(401);
    await new Promise((res) => setTimeout(res, 100));
    expect(slack.calls.length).toBe(calls);
  });
});

// ---- Valid but nasty alerts: open incidents that render safely ----
const RAW_FORBIDDEN = ['<!channel>', '<!here>', '<!everyone>', '<@U123>', '<#C123>', '<http://evil|click>', '<script>', '<!subteam^S0SRE>'];
// eslint-disable-next-line no-control-regex -- control characters must not reach Slack
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const manyLabels = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`label_${i}`, `value-${i}-<!channel>`]));
const nasty: Array<{ name: string; alertname: string; extra?: Record<string, string>; summary?: string; escaped?: string }> = [
  { name: '<!channel> in alertname', alertname: '<!channel> Deploy broke', escaped: '&lt;!channel&gt;' },
  { name: '<!here> and <!everyone>', alertname: 'Ping <!here> <!everyone>', escaped: '&lt;!here&gt;' },
  { name: 'user mention', alertname: 'Wake <@U123> up', escaped: '&lt;@U123&gt;' },
  { name: 'channel link', alertname: 'See <#C123>', escaped: '&lt;#C123&gt;' },
  { name: 'disguised link', alertname: 'Login <http://evil|click>', escaped: '&lt;http://evil|click&gt;' },
  { name: 'usergroup mention', alertname: 'Team <!subteam^S0SRE>', escaped: '&lt;!subteam^S0SRE&gt;' },
  { name: 'mrkdwn formatting', alertname: '*bold* _x_ ~strike~ `code` >quote' },
  { name: 'HTML and entities', alertname: '<script>alert(1)</script> &amp; &lt;', escaped: '&lt;script&gt;' },
  { name: 'RTL override', alertname: 'invoice\u202Egnp.exe' },
  { name: 'zero-width characters', alertname: 'Disk\u200B\u200C\u200DFull\uFEFF' },
  { name: 'emoji', alertname: '🔥 Fire 💥 Explosion 🚒' },
  { name: 'combining marks', alertname: 'Z\u0338\u0322\u031Ba\u0337l\u0334g\u0335o\u0336' },
  { name: 'NUL and ESC control characters', alertname: 'Nul\u0000Esc\u001b[31mRed\u0007Bell' },
  { name: 'very long alertname (10,000 chars)', alertname: `Long${'A'.repeat(10_000)}` },
  { name: 'only CJK', alertname: '数据库故障' },
  { name: 'only punctuation', alertname: '!!!@@@###$$$' },
  { name: 'whitespace and newlines', alertname: '  \n\t  ' },
  { name: 'nasty labels and summary everywhere', alertname: 'EverywhereNasty', extra: { namespace: '<!channel>', instance: '<@U123>', pod: '<http://evil|click>' }, summary: '<!here> *now* <#C123>', escaped: '&lt;!channel&gt;' },
  { name: '__proto__ and constructor label keys', alertname: 'ProtoKeys', extra: { ['__proto__']: 'polluted', constructor: 'x', toString: 'y' } },
  { name: '5,000 labels within 1 MiB', alertname: 'ManyLabels', extra: manyLabels },
];

describe('hostile corpus: valid but nasty alerts render safely', () => {
  it.each(nasty.map((n, i) => ({ ...n, i })))('$name', async (c) => {
    const known = new Set((await bot.running.deps.ports.incidents.listAll(1000)).map((i) => i.id));
    const payload = amPayload({ alertname: c.alertname, service: `nasty${c.i}`, instance: `i${c.i}`, ...(c.extra ? { extraLabels: c.extra } : {}) });
    if (c.extra?.['__proto__'] !== undefined) {
      // JSON.stringify of an object literal drops the own `__proto__`; build it as JSON text.
      const text = JSON.stringify(payload).replace('"labels":{', '"labels":{"__proto__":"polluted",');
      expect(text).toContain('"__proto__":"polluted"');
      const r = await am(text);
      expect(r.status, r.text).toBe(202);
    } else {
      if (c.summary) (payload.alerts[0] as { annotations: Record<string, string> }).annotations['summary'] = c.summary;
      const r = await am(payload);
      expect(r.status, r.text).toBe(202);
    }
    const incident = await waitFor(
      async () => {
        const fresh = (await bot.running.deps.ports.incidents.listAll(1000)).find((i) => !known.has(i.id));
        return fresh?.channelId && fresh.cardTs && slack.pins(fresh.channelId).some((p) => p.ts === fresh.cardTs) ? (fresh as Incident & { channelId: string; cardTs: string }) : undefined;
      },
      { what: `pinned card for ${c.name}`, timeoutMs: 15_000 },
    );
    const channel = slack.channels().find((ch) => ch.id === incident.channelId);
    expect(channel?.name).toMatch(/^[a-z0-9_-]{1,80}$/);
    const card = slack.messages(incident.channelId).find((m) => m.ts === incident.cardTs);
    expect(card).toBeDefined();
    // The card was accepted by the emulator (which rejects invalid Block Kit) and every string in it is inert.
    const cardStrings = [card?.text ?? '', ...strings(card?.blocks)];
    for (const s of cardStrings) {
      for (const bad of RAW_FORBIDDEN) expect(s).not.toContain(bad);
      expect(s).not.toMatch(CONTROL);
    }
    if (c.escaped) expect(JSON.stringify(card?.blocks)).toContain(c.escaped);
    expect(JSON.stringify(card?.blocks)).toContain('incident_ack');
    // The announcement is as inert.
    const ann = await waitFor(() => slack.messages(ANNOUNCE).find((m) => m.text.includes(incident.id) || JSON.stringify(m.blocks ?? []).includes(`${incident.id} opened`)), { what: 'announcement' });
    for (const s of [ann.text, ...strings(ann.blocks)]) for (const bad of RAW_FORBIDDEN) expect(s).not.toContain(bad);
  });

  it('the card stays valid through an update (acknowledge) of the nastiest incident', async () => {
    const incident = (await bot.running.deps.ports.incidents.listAll(1000)).find((i) => i.title.startsWith('EverywhereNasty'));
    expect(incident?.channelId).toBeDefined();
    const { channelId, cardTs } = incident as Incident & { channelId: string; cardTs: string };
    const r = await slack.clickButton({ actionId: 'incident_ack', userId: 'U0ONCALL1', channelId, messageTs: cardTs });
    expect(r.status).toBe(200);
    const upd = await slack.waitForCall((c) => c.method === 'chat.update' && c.args['channel'] === channelId && c.ok && JSON.stringify(c.args['blocks']).includes('acknowledged'), 10_000);
    for (const s of strings(upd.args)) for (const bad of RAW_FORBIDDEN) expect(s).not.toContain(bad);
  });
});

// ---- Signed but malformed interactivity, and nasty slash command text ----
describe('hostile corpus: signed but malformed Slack payloads are acked without effect', () => {
  let a: Incident & { channelId: string; cardTs: string };
  let b: Incident & { channelId: string; cardTs: string };
  beforeAll(async () => {
    const all = await bot.running.deps.ports.incidents.listAll(1000);
    const withCard = all.filter((i): i is Incident & { channelId: string; cardTs: string } => Boolean(i.channelId && i.cardTs && i.status === 'triggered'));
    expect(withCard.length).toBeGreaterThanOrEqual(2);
    [a, b] = withCard as [Incident & { channelId: string; cardTs: string }, Incident & { channelId: string; cardTs: string }];
  });

  const payloadDelivery = (payload: unknown) => slack.deliver(new URLSearchParams({ payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  const baseAction = (over: Record<string, unknown>, actions: unknown) => ({
    type: 'block_actions',
    user: { id: 'U0RANDOM', username: 'random', team_id: slack.teamId },
    api_app_id: 'A0SANDBOX',
    team: { id: slack.teamId, domain: 'sandbox' },
    container: { type: 'message', channel_id: a.channelId, message_ts: a.cardTs },
    channel: { id: a.channelId, name: 'x' },
    trigger_id: '1.2.3',
    response_url: `${slack.baseUrl}/nowhere`,
    actions,
    ...over,
  });

  // boltRejects: Bolt itself cannot build a context from the payload and answers 5xx before any listener runs.
  const cases: Array<{ name: string; send: () => Promise<{ status: number }>; ephemeral?: RegExp; boltRejects?: boolean }> = [
    { name: 'block_actions with an empty actions array', send: () => payloadDelivery(baseAction({}, [])) },
    { name: 'block_actions with actions not an array', send: () => payloadDelivery(baseAction({}, { action_id: 'incident_ack' })), boltRejects: true },
    { name: 'block_actions with an unknown action id', send: () => payloadDelivery(baseAction({}, [{ action_id: 'drop_tables', block_id: 'b', value: 'x', type: 'button', action_ts: '1.0' }])) },
    { name: 'ack with no user', send: () => payloadDelivery(baseAction({ user: undefined }, [{ action_id: 'incident_ack', block_id: 'b', value: 'x', type: 'button', action_ts: '1.0' }])), boltRejects: true },
    { name: 'ack with a 5,000-char value', send: () => payloadDelivery(baseAction({}, [{ action_id: 'incident_ack', block_id: 'b', value: 'v'.repeat(5000), type: 'button', action_ts: '1.0' }])) },
    { name: 'payload that is not JSON', send: () => payloadDelivery('{"type":"block_actions",') },
    { name: 'payload of an unknown type', send: () => payloadDelivery({ type: 'nuke_everything', user: { id: 'U0RANDOM' } }) },
    { name: 'ack button carrying another channel’s incident', send: () => slack.clickButton({ actionId: 'incident_ack', value: b.id, userId: 'U0RANDOM', channelId: a.channelId, messageTs: a.cardTs }), ephemeral: /does not belong/ },
    { name: 'resolve button carrying another channel’s incident', send: () => slack.clickButton({ actionId: 'incident_resolve', value: b.id, userId: 'U0RANDOM', channelId: a.channelId, messageTs: a.cardTs }), ephemeral: /does not belong/ },
    { name: 'ack button with a made-up incident id', send: () => slack.clickButton({ actionId: 'incident_ack', value: 'INC-999999', userId: 'U0RANDOM', channelId: a.channelId, messageTs: a.cardTs }), ephemeral: /does not belong/ },
    { name: 'ack button pressed outside an incident channel', send: () => slack.clickButton({ actionId: 'incident_ack', value: a.id, userId: 'U0RANDOM', channelId: GENERAL, messageTs: '1700000000.000200' }), ephemeral: /does not belong/ },
    { name: 'approve button with a made-up proposal', send: () => slack.clickButton({ actionId: 'proposal_approve', value: 'P-nope', userId: 'U0RANDOM', channelId: a.channelId, messageTs: a.cardTs }) },
  ];

  it.each(cases)('$name', async (c) => {
    const before = { a: await bot.running.deps.ports.incidents.get(a.id), b: await bot.running.deps.ports.incidents.get(b.id), creates: slack.callsTo('conversations.create').length, posts: slack.callsTo('chat.postMessage').length };
    const responses = slack.responses().length;
    const r = await c.send();
    if (c.boltRejects) expect(r.status).toBe(500);
    else expect([200, 400, 404]).toContain(r.status);
    if (c.ephemeral) {
      const reply = await waitFor(() => slack.responses().slice(responses).find((p) => p.body['response_type'] === 'ephemeral'), { what: 'ephemeral answer' });
      expect(String(reply.body['text'])).toMatch(c.ephemeral);
    } else {
      await new Promise((res) => setTimeout(res, 300));
    }
    expect((await bot.running.deps.ports.incidents.get(a.id))?.status).toBe(before.a?.status);
    expect((await bot.running.deps.ports.incidents.get(b.id))?.status).toBe(before.b?.status);
    expect((await bot.running.deps.ports.incidents.get(a.id))?.acknowledgedBy).toBeUndefined();
    expect(slack.callsTo('conversations.create').length).toBe(before.creates);
    expect(slack.callsTo('chat.postMessage').length).toBe(before.posts);
  });
});

describe('hostile corpus: nasty /incident text gets a clear ephemeral answer and never broadcasts', () => {
  const cases: Array<{ name: string; text: string; where: 'general' | 'incident'; answer: RegExp }> = [
    { name: '<!channel> as the subcommand', text: '<!channel>', where: 'general', answer: /Unknown subcommand/ },
    { name: 'a user mention as the subcommand', text: '<@U0LEAD> do it', where: 'general', answer: /Unknown subcommand/ },
    { name: '4,000 characters', text: 'z'.repeat(4000), where: 'general', answer: /Unknown subcommand/ },
    { name: 'control characters', text: 'help\u0000\u001b[2J\u0007', where: 'general', answer: /Unknown subcommand/ },
    { name: 'declare with a 4,000-character title', text: `declare sev1 ${'t'.repeat(3990)}`, where: 'general', answer: /too long/ },
    { name: 'status outside an incident channel', text: 'status <!here>', where: 'general', answer: /incident channel/ },
    { name: 'role given <!channel> as the user', text: 'role commander <!channel>', where: 'incident', answer: /usage/ },
    { name: 'sev given <!here>', text: 'sev <!here>', where: 'incident', answer: /usage/ },
    { name: 'rollback of <!channel>/x', text: 'rollback <!channel>/x', where: 'incident', answer: /namespace|expected|not enabled/ },
    { name: 'scale with a mention as replicas', text: 'scale prod/api <@U0LEAD>', where: 'incident', answer: /replicas|not enabled/ },
    { name: 'silence for <!everyone>', text: 'silence <!everyone>', where: 'incident', answer: /duration/ },
    { name: 'timeline page -1', text: 'timeline -1', where: 'incident', answer: /page/ },
    { name: 'update with <!channel> is tamed', text: 'update <!channel> <!here> <!everyone> we are on it', where: 'incident', answer: /posted/ },
    { name: 'note with <!subteam^S0SRE>', text: 'note <!subteam^S0SRE|@sre> look', where: 'incident', answer: /Note added/ },
    { name: 'declare with mentions in the title', text: 'declare sev2 <!channel> <@U0LEAD> <http://evil|click> hostile-declare', where: 'general', answer: /hostile-declare|INC-/ },
  ];

  it.each(cases)('$name', async (c) => {
    const incident = (await bot.running.deps.ports.incidents.listAll(1000)).find((i) => i.channelId && i.status !== 'resolved') as Incident & { channelId: string };
    const channelId = c.where === 'incident' ? incident.channelId : GENERAL;
    const r = await slack.sendSlashCommand({ command: '/incident', text: c.text, userId: 'U0ONCALL1', channelId });
    expect(r.status).toBe(200);
    const reply = await waitFor(() => slack.responses().find((p) => p.url === r.responseUrl), { what: `reply to ${c.name}` });
    expect(reply.status).toBe(200);
    expect(reply.body['response_type']).toBe('ephemeral');
    const text = String(reply.body['text']);
    expect(text).toMatch(c.answer);
    for (const bad of ['<!channel>', '<!here>', '<!everyone>']) expect(text).not.toContain(bad);
    expect(text).not.toMatch(CONTROL);
  });

  it('no message the bot posted anywhere carries a broadcast mention', async () => {
    await new Promise((res) => setTimeout(res, 1000));
    const posted = [...slack.callsTo('chat.postMessage'), ...slack.callsTo('chat.update'), ...slack.callsTo('chat.postEphemeral')];
    expect(posted.length).toBeGreaterThan(0);
    for (const call of posted) for (const s of strings(call.args)) for (const bad of ['<!channel>', '<!here>', '<!everyone>', '<!subteam^S0SRE']) expect(s).not.toContain(bad);
    // The tamed update did reach the announcement channel.
    expect(slack.messages(ANNOUNCE).some((m) => strings(m.blocks).some((s) => s.includes('@channel') && s.includes('we are on it')))).toBe(true);
  });

  it('the process is still up after the whole corpus', async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });
});
