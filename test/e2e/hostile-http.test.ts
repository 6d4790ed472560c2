/**
 * The HTTP edge against an outside attacker, through real sockets (issue 10, items 1, 4, 5 and 12):
 * request targets that do not parse, bad percent-encoding, random request lines; credentials judged
 * from the headers before a body is read; bodies bounded in flight and in time; idle sockets closed;
 * a connection cap; Slack timestamps from the future and replayed signed requests.
 */
import fc from 'fast-check';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import { signedHeaders } from '../../src/sandbox/slack/signing.js';
import { AM_TOKEN, amPayload, postJson, SIGNING_SECRET, startBot, startSlack, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';

let slack: SlackEmulator;
let bot: TestBot;

const LIMITS = {
  HTTP_HEADERS_TIMEOUT_MS: '1500',
  HTTP_REQUEST_TIMEOUT_MS: '2500',
  HTTP_MAX_CONNECTIONS: '60',
  HTTP_INFLIGHT_BODY_BYTES: String(3 * 1024 * 1024),
};

beforeAll(async () => {
  slack = await startSlack({ channels: [{ id: 'C0ANNOUNCE', name: 'incidents' }, { id: 'C0GENERAL', name: 'general' }] });
  bot = await startBot({ redisUrl: inject('redisUrl'), slack, env: LIMITS });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.stop();
});

const port = () => Number(new URL(bot.url).port);

interface RawReply {
  status: number;
  text: string;
  /** The server closed the socket. */
  closed: boolean;
}

/**
 * Writes `head` (and `body`, unless `holdBody`), and resolves with what came back once the server has
 * answered or closed, or after `waitMs` (status 0: nothing came back).
 */
function rawRequest(head: string, opts: { body?: string | Buffer; waitMs?: number } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port(), '127.0.0.1');
    let data = '';
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? '0'), text: data, closed });
    };
    const timer = setTimeout(done, opts.waitMs ?? 5000);
    sock.on('error', (e) => (data || closed ? done() : reject(e)));
    sock.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (/^HTTP\/1\.1 \d{3}[^]*\r\n\r\n/.test(data)) {
        const len = Number(/content-length: (\d+)/i.exec(data)?.[1] ?? '-1');
        if (len >= 0 && Buffer.byteLength(data.slice(data.indexOf('\r\n\r\n') + 4), 'latin1') >= len) done();
      }
    });
    sock.on('close', () => {
      closed = true;
      done();
    });
    sock.write(head, 'latin1');
    if (opts.body !== undefined) sock.write(opts.body);
  });
}

async function healthy(): Promise<boolean> {
  const r = await fetch(`${bot.url}/healthz`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  return r?.status === 200;
}

describe('malformed request targets answer 400 and never take the process down', () => {
  it('bad percent-encoding in a routed parameter: 400, and the bot still answers', async () => {
    const r = await rawRequest('GET /incidents/%ZZ/postmortem.md HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    const r2 = await rawRequest('GET /incidents/%E0%A4%A/timeline.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r2.status).toBe(400);
    expect(await healthy()).toBe(true);
  });

  it.each(['http://[::1/', 'http://', 'http://[', 'https://a:b@[::1:x/', '//[::1/', 'http://%zz/'])('absolute-form target %j: 400, and the bot still answers', async (target) => {
    const r = await rawRequest(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect([400, 404]).toContain(r.status);
    expect(await healthy()).toBe(true);
  });

  it('random request lines never take the server down (property)', async () => {
    const token = fc.stringMatching(/^[A-Z]{1,7}$/);
    const pathChar = fc.constantFrom('/', '%', 'Z', '2', 'e', '[', ']', ':', '@', '?', '#', '.', 'é', '\u0000', '\t', ' ', 'h', 't', 'p', '/', '/');
    const target = fc.oneof(
      fc.array(pathChar, { maxLength: 40 }).map((cs) => cs.join('')),
      fc.tuple(fc.constantFrom('http://', 'https://', '//', ''), fc.array(pathChar, { maxLength: 30 })).map(([s, cs]) => s + cs.join('')),
      fc.constantFrom('/incidents/', '/webhooks/alertmanager', '/slack/events', '/healthz').chain((p) => fc.array(pathChar, { maxLength: 12 }).map((cs) => p + cs.join(''))),
    );
    await fc.assert(
      fc.asyncProperty(token, target, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', ''), async (method, t, version) => {
        await rawRequest(`${method} ${t} ${version}\r\nHost: x\r\nConnection: close\r\n\r\n`, { waitMs: 2000 });
      }),
      { numRuns: 150 },
    );
    expect(await healthy()).toBe(true);
    // Webhooks still work after the barrage.
    const ok = await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'AfterBarrage', service: 'svc' }), { authorization: `Bearer ${AM_TOKEN}` });
    expect(ok.status).toBe(202);
  });
});

describe('credentials are judged before the body is read', () => {
  it('Alertmanager without credentials: 401 while the declared 1 MiB body was never sent', async () => {
    const r = await rawRequest(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 - 1}\r\n\r\n`);
    expect(r.status).toBe(401);
  });

  it('Alertmanager with a wrong token: 401 at once, body unsent', async () => {
    const r = await rawRequest(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n`);
    expect(r.status).toBe(401);
  });

  it('SNS with an unlisted topic header: 403 at once; without SNS headers or credentials: 400 at once', async () => {
    const forbidden = await rawRequest(
      `POST /webhooks/cloudwatch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nx-amz-sns-message-type: Notification\r\nx-amz-sns-topic-arn: arn:aws:sns:us-east-1:999999999999:other\r\nContent-Length: 900000\r\n\r\n`,
    );
    expect(forbidden.status).toBe(403);
    const anonymous = await rawRequest(`POST /webhooks/cloudwatch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 900000\r\n\r\n`);
    expect(anonymous.status).toBe(400);
    expect(anonymous.text).toContain('not an SNS delivery');
  });

  it('Slack without signature headers: 401 before Bolt buffers anything', async () => {
    const r = await rawRequest(`POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n\r\n`);
    expect(r.status).toBe(401);
  });

  it('authenticated bodies in flight are bounded: past the budget a request gets 503 with Retry-After', async () => {
    // Three stalled authenticated bodies of 1,000,000 bytes each (under the 1 MiB limit) nearly fill the
    // 3 MiB budget; a fourth of 200,000 bytes is turned away.
    const half = Buffer.alloc(1_000_000, 0x20);
    const head = (n: number) => `POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${AM_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`;
    const socks: net.Socket[] = [];
    for (let i = 0; i < 3; i += 1) {
      const s = net.connect(port(), '127.0.0.1');
      s.on('error', () => undefined);
      s.write(head(half.length + 100));
      s.write(half);
      socks.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const r = await rawRequest(head(200_000), { body: Buffer.alloc(200_000, 0x20) });
    expect(r.status, r.text.slice(0, 300)).toBe(503);
    expect(r.text.toLowerCase()).toContain('retry-after');
    for (const s of socks) s.destroy();
  });
});

describe('stalled and idle sockets are closed; a connection cap holds', () => {
  it('a body that stalls is answered 408 and closed after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const r = await rawRequest(`POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${AM_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"par`, { waitMs: 15_000 });
    expect(r.closed || r.status === 408).toBe(true);
    expect([0, 408]).toContain(r.status);
  });

  it('sockets that never send a byte are closed after the headers timeout; past the cap new ones are dropped, and the bot answers again once they are gone', async () => {
    const opened: net.Socket[] = [];
    const closedAt: number[] = [];
    for (let i = 0; i < 70; i += 1) {
      const s = net.connect(port(), '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closedAt.push(i));
      opened.push(s);
    }
    // Ten over the cap of 60 are dropped at once.
    await waitFor(() => closedAt.length >= 10, { timeoutMs: 5000, what: 'connections over the cap dropped' });
    // The idle rest are closed by the headers timeout.
    await waitFor(() => closedAt.length === 70, { timeoutMs: 15_000, what: 'idle sockets closed by the server' });
    await waitFor(() => healthy(), { timeoutMs: 5000, what: '/healthz answering again' });
    for (const s of opened) s.destroy();
  });
});

describe('Slack request signatures: the five-minute window both ways, and one action per signed request', () => {
  const post = (body: string, ts: number, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': contentType, ...signedHeaders(SIGNING_SECRET, body, ts) }, body });

  it('a correctly signed request stamped ten years ahead is refused', async () => {
    const body = new URLSearchParams({ command: '/incident', text: 'help', user_id: 'U0ONCALL1', channel_id: 'C0GENERAL', team_id: 'T0', response_url: 'http://127.0.0.1:1/x', trigger_id: 'future.1' }).toString();
    const res = await post(body, Math.floor(Date.now() / 1000) + 10 * 365 * 86400);
    expect(res.status).toBe(401);
  });

  it('the same signed /incident update replayed three times posts one announcement', async () => {
    // An incident channel to update.
    await postJson(`${bot.url}/webhooks/alertmanager`, amPayload({ alertname: 'ReplayTarget', service: 'replay' }), { authorization: `Bearer ${AM_TOKEN}` });
    const channel = await waitFor(() => slack.channels().find((c) => c.name.includes('replay-target')), { timeoutMs: 10_000, what: 'the incident channel' });
    const body = new URLSearchParams({
      token: 'x',
      team_id: slack.teamId,
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: 'U0ONCALL1',
      user_name: 'oncall',
      command: '/incident',
      text: 'update replay-marker-42 mitigation under way',
      api_app_id: 'A0',
      response_url: `${slack.baseUrl}/response/none`,
      trigger_id: 'replay.trigger.1',
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(body, ts)).status);
    expect(statuses).toEqual([200, 200, 200]);
    await waitFor(() => slack.messages('C0ANNOUNCE').some((m) => (m.text ?? '').includes('replay-marker-42')), { timeoutMs: 10_000, what: 'the announcement' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.messages('C0ANNOUNCE').filter((m) => (m.text ?? '').includes('replay-marker-42'))).toHaveLength(1);
    expect(slack.messages(channel.id).filter((m) => (m.text ?? '').includes('replay-marker-42'))).toHaveLength(1);
  });
});



