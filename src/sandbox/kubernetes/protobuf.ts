/**
 * Kubernetes' protobuf request bodies, for the two kinds kubectl's typed clients send that way:
 * `kubectl auth can-i` posts a SelfSubjectAccessReview and `kubectl auth whoami` a
 * SelfSubjectReview as `application/vnd.kubernetes.protobuf` (the API server accepts both). The
 * envelope is the magic `k8s\0` and a runtime.Unknown (typeMeta = 1, raw = 2); the messages are
 * k8s.io/api authorization/v1 generated.proto. Only the protobuf wire format is read here
 * (varints, length-delimited fields, fixed 32/64-bit skipped); the answer goes back as JSON, which
 * client-go accepts.
 */
import type { JsonObject } from './json.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export class ProtobufError extends Error {}

type Field = number | Buffer;

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    if (i >= buf.length) throw new ProtobufError('truncated varint');
    const b = buf[i++] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i];
    shift += 7;
    if (shift > 63) throw new ProtobufError('varint too long');
  }
}

/** The fields of one message: field number -> values in order. */
function fields(buf: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  while (i < buf.length) {
    const [key, next] = varint(buf, i);
    i = next;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: Field;
    if (wire === 0) [value, i] = varint(buf, i);
    else if (wire === 2) {
      const [len, start] = varint(buf, i);
      if (start + len > buf.length) throw new ProtobufError('truncated field');
      value = buf.subarray(start, start + len);
      i = start + len;
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      continue;
    } else throw new ProtobufError(`unsupported wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

function message(f: Map<number, Field[]>, n: number): Map<number, Field[]> | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
}

function strings(f: Map<number, Field[]> | undefined, names: Record<number, string>): JsonObject {
  const out: JsonObject = {};
  for (const [n, name] of Object.entries(names)) {
    const v = f?.get(Number(n))?.[0];
    if (Buffer.isBuffer(v)) out[name] = v.toString('utf8');
  }
  return out;
}

/** A SelfSubjectAccessReview or SelfSubjectReview body as the JSON it stands for. */
export function decodeReview(body: Buffer): JsonObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw new ProtobufError('not a Kubernetes protobuf body (no k8s\\0 magic)');
  const unknown = fields(body.subarray(MAGIC.length));
  const typeMeta = strings(message(unknown, 1), { 1: 'apiVersion', 2: 'kind' });
  const rawBytes = unknown.get(2)?.[0];
  const inner = Buffer.isBuffer(rawBytes) ? fields(rawBytes) : new Map<number, Field[]>();
  const out: JsonObject = { ...typeMeta };
  if (typeMeta['kind'] === 'SelfSubjectAccessReview') {
    const spec = message(inner, 2);
    const specJson: JsonObject = {};
    const ra = message(spec ?? new Map(), 1);
    const nra = message(spec ?? new Map(), 2);
    if (ra) specJson['resourceAttributes'] = strings(ra, { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
    if (nra) specJson['nonResourceAttributes'] = strings(nra, { 1: 'path', 2: 'verb' });
    out['spec'] = specJson;
  }
  return out;
}
