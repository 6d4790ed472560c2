import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WebClient, type Logger, type WebClientOptions } from '@slack/web-api';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';

/** A logger that drops everything: Slack's `[ERROR]` response_metadata lines are expected in tests. */
export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/**
 * A real @slack/web-api WebClient pointed at the emulator, with a short retry schedule so 5xx
 * bursts are retried in milliseconds instead of the default ~30 minutes.
 */
export function webClientFor(emu: SlackEmulator, opts: WebClientOptions & { token?: string } = {}): WebClient {
  const { token, ...rest } = opts;
  return new WebClient(token ?? emu.botToken, {
    slackApiUrl: emu.apiUrl,
    logger: quietLogger,
    retryConfig: { retries: 4, factor: 1, minTimeout: 10, maxTimeout: 30, randomize: false },
    ...rest,
  });
}

/** The Slack error code of a rejected WebClient call (`e.data.error`), else the error's code/message. */
export async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (typeof e === 'object' && e !== null) {
      const data = (e as { data?: { error?: unknown } }).data;
      if (typeof data?.error === 'string') return data.error;
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') return code;
    }
    return String(e);
  }
  throw new Error('expected the call to fail');
}

export interface CapturedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP server that records every request and answers with `reply` (default 200, empty). */
export async function startCaptureServer(reply: (r: CapturedRequest) => { status: number; body?: string; contentType?: string } = () => ({ status: 200 })): Promise<{
  url: string;
  requests: CapturedRequest[];
  stop: () => Promise<void>;
}> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: CapturedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const out = reply(r);
      res.writeHead(out.status, { 'content-type': out.contentType ?? 'application/json' });
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
