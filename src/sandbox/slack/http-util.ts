/** The emulator's HTTP plumbing: bodies (bounded), answers, Web API argument decoding, uploads, the call log. */
import type http from 'node:http';
import { AppError } from '../../errors.js';
import { decodeJsonArg } from './args.js';

/** Request bodies above this are refused with 413 (uploads included). */
const BODY_LIMIT = 20 * 1024 * 1024;
/** Arguments that arrive JSON-encoded in form bodies; decoded for the call log. */
const JSON_ARGS = ['blocks', 'attachments', 'view', 'files', 'metadata'];

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The whole body, refused with AppError('payload_too_large') past `limit` bytes. */
export async function readBody(req: http.IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new AppError('payload_too_large', `body over ${limit} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * The request's URL, or undefined after answering 400: a request target that does not parse is the
 * client's problem, never the sandbox's crash (the emulators and the viewer share this).
 */
export function requestUrl(req: http.IncomingMessage, res: http.ServerResponse): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://local');
  } catch {
    send(res, 400, { ok: false, error: 'malformed_request_target' });
    return undefined;
  }
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** Form, JSON or multipart bodies to a flat argument record (last value of a repeated key wins). */
export async function parseArgsBody(raw: Buffer, contentType: string): Promise<Record<string, unknown> | undefined> {
  if (raw.length === 0) return {};
  const ct = contentType.toLowerCase();
  if (ct.startsWith('application/json')) {
    try {
      const v: unknown = JSON.parse(raw.toString('utf8'));
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (ct.startsWith('multipart/form-data')) {
    const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form.entries()) if (typeof v === 'string') out[k] = v;
    return out;
  }
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

/** The bytes of an upload POST: the first file part of a multipart body, else the raw body. */
export async function uploadBytes(raw: Buffer, contentType: string): Promise<Buffer> {
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) return raw;
  const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
  for (const [, v] of form.entries()) {
    if (typeof v !== 'string') return Buffer.from(await v.arrayBuffer());
  }
  const first = [...form.values()][0];
  return Buffer.from(typeof first === 'string' ? first : '');
}

export function decodeForLog(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === 'token') continue;
    if (JSON_ARGS.includes(k) && typeof v === 'string') {
      const d = decodeJsonArg(v);
      out[k] = typeof d === 'symbol' ? v : d;
    } else out[k] = v;
  }
  return out;
}

export function findElement(blocks: unknown[] | undefined, actionId: string, value?: string): { blockId?: string; element: Record<string, unknown> } | undefined {
  for (const b of blocks ?? []) {
    if (typeof b !== 'object' || b === null) continue;
    const block = b as Record<string, unknown>;
    const blockId = typeof block['block_id'] === 'string' ? block['block_id'] : undefined;
    const candidates = [...(Array.isArray(block['elements']) ? (block['elements'] as unknown[]) : []), block['accessory']];
    for (const e of candidates) {
      const el = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : undefined;
      if (el && el['action_id'] === actionId && (value === undefined || el['value'] === value)) {
        return { ...(blockId ? { blockId } : {}), element: e as Record<string, unknown> };
      }
    }
  }
  return undefined;
}
