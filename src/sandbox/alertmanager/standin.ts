/**
 * The sandbox's Alertmanager stand-in: the part of Alertmanager's HTTP API v2 warroom reads, answered
 * from the alerts the demo runner delivered (as Prometheus would have pushed them), so verification
 * can re-check the alerts that paged at world time. Served:
 *
 *   GET    /api/v2/alerts?filter=<matcher>&...   alerts not resolved, matching every matcher
 *                                               (`name="v"` or bare `name=v`, `!=`, `=~`, `!~`;
 *                                               regexes anchored)
 *   POST   /api/v2/silences                      {silenceID}; matching alerts show as suppressed
 *   DELETE /api/v2/silence/<id>                  expires it
 *   GET    /-/ready
 *
 * A malformed matcher answers 400 with a JSON string, as Alertmanager does. The real binary
 * (process.ts) is used by the tests that need the rest of Alertmanager.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Matcher, MatchType } from '../prometheus/standin/ast.js';
import { matchMatches } from '../prometheus/standin/parse.js';
import { re2ToRegExp } from '../prometheus/standin/regex.js';

export interface StandinAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  fingerprint: string;
}

export interface AlertmanagerStandin {
  url: string;
  /** An alert as Prometheus pushes it: firing (stored) or resolved (removed). */
  push(alert: StandinAlert & { status: 'firing' | 'resolved' }): void;
  stop(): Promise<void>;
}

/** A matcher as Alertmanager's filter parameter takes it: the value double-quoted (escapes) or bare. */
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,]*))\s*$/;

/** Alertmanager's regexes are Go RE2 like Prometheus's: the Prometheus stand-in's translation and matching serve both. */
function matcher(name: string, type: MatchType, value: string): Matcher {
  return { name, type, value, ...(type === '=~' || type === '!~' ? { re: re2ToRegExp(value, 'filter') } : {}) };
}

function parseMatcher(text: string): Matcher | undefined {
  const m = MATCHER.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : (m[4] ?? '');
  return matcher(m[1], m[2] as MatchType, value);
}

const matches = (labels: Record<string, string>, ms: Matcher[]) => ms.every((m) => matchMatches(m, labels[m.name] ?? ''));

const PostableSilence = z.object({
  matchers: z.array(z.object({ name: z.string().min(1), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().default(true) })).min(1),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});

export async function startAlertmanagerStandin(opts: { now: () => Date }): Promise<AlertmanagerStandin> {
  const alerts = new Map<string, StandinAlert>();
  const silences = new Map<string, { matchers: Matcher[]; endsAt: number }>();

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://alertmanager');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1 << 20) chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (req.method === 'GET' && url.pathname === '/-/ready') return send(res, 200, 'OK');
        if (req.method === 'GET' && url.pathname === '/api/v2/alerts') {
          const matchers: Matcher[] = [];
          for (const f of url.searchParams.getAll('filter')) {
            const m = parseMatcher(f);
            if (!m) return send(res, 400, `bad matcher format: ${f}`);
            matchers.push(m);
          }
          const now = opts.now().getTime();
          const active = [...silences.entries()].filter(([, s]) => s.endsAt > now);
          const out = [...alerts.values()]
            .filter((a) => matches(a.labels, matchers))
            .map((a) => {
              const silencedBy = active.filter(([, s]) => matches(a.labels, s.matchers)).map(([id]) => id);
              return {
                fingerprint: a.fingerprint,
                labels: a.labels,
                annotations: a.annotations,
                startsAt: a.startsAt.toISOString(),
                endsAt: new Date(now + 5 * 60_000).toISOString(),
                updatedAt: new Date(now).toISOString(),
                receivers: [{ name: 'warroom' }],
                status: { state: silencedBy.length ? 'suppressed' : 'active', silencedBy, inhibitedBy: [] },
              };
            });
          return send(res, 200, out);
        }
        if (req.method === 'POST' && url.pathname === '/api/v2/silences') {
          const parsed = PostableSilence.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          if (!parsed.success) return send(res, 400, parsed.error.issues[0]?.message ?? 'invalid silence');
          const id = randomUUID();
          silences.set(id, { matchers: parsed.data.matchers.map((m) => matcher(m.name, m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.value)), endsAt: Date.parse(parsed.data.endsAt) });
          return send(res, 200, { silenceID: id });
        }
        const del = /^\/api\/v2\/silence\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'DELETE' && del?.[1]) {
          const s = silences.get(decodeURIComponent(del[1]));
          if (!s) return send(res, 404, 'silence not found');
          s.endsAt = opts.now().getTime();
          return send(res, 200, '');
        }
        return send(res, 404, 'not found');
      } catch (e) {
        return send(res, 400, e instanceof Error ? e.message : 'bad request');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    push(a) {
      if (a.status === 'resolved') alerts.delete(a.fingerprint);
      else alerts.set(a.fingerprint, { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, fingerprint: a.fingerprint });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
