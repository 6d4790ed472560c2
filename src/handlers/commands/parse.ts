/** The argument parsers of /incident: a bad argument is an AppError('bad_request') that says what is expected. */
import type { Severity } from '../../domain/alert.js';
import { AppError } from '../../errors.js';

const SEV = /^(?:sev)?([1-4])$/i;
export function parseSeverity(s: string | undefined): Severity | undefined {
  const m = SEV.exec((s ?? '').trim());
  return m ? (`SEV${m[1]}` as Severity) : undefined;
}

const USER = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
export function parseUser(s: string | undefined): string | undefined {
  const t = (s ?? '').trim();
  const m = USER.exec(t);
  if (m) return m[1];
  return /^[UW][A-Z0-9]{2,}$/.test(t) ? t : undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function parseTarget(s: string | undefined, what: string): { namespace: string; name: string } {
  const t = (s ?? '').trim();
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(t);
  if (!m) throw new AppError('bad_request', `expected <namespace>/<${what}>, got “${t || '(nothing)'}”`);
  const [, namespace = '', name = ''] = m;
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) throw new AppError('bad_request', `namespace “${namespace}” is not a valid DNS-1123 label (lowercase letters, digits and '-', at most 63)`);
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) throw new AppError('bad_request', `${what} name “${name}” is not a valid DNS-1123 name`);
  return { namespace, name };
}

export function intArg(s: string | undefined, what: string, min: number, max: number): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new AppError('bad_request', `${what} must be a whole number between ${min} and ${max}`);
  const n = Number(s);
  if (n < min || n > max) throw new AppError('bad_request', `${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseMinutes(s: string | undefined): number {
  const m = /^(\d+)\s*(m|min|h|d)?$/i.exec((s ?? '').trim());
  if (!m) throw new AppError('bad_request', 'duration must look like 30m, 2h or 1d');
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const minutes = unit === 'h' ? n * 60 : unit === 'd' ? n * 1440 : n;
  if (minutes < 1 || minutes > 7 * 1440) throw new AppError('bad_request', 'silence duration must be between 1 minute and 7 days');
  return minutes;
}

export function parseHpaArgs(args: string[]): { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number } {
  const out: { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number } = {};
  for (const a of args) {
    const m = /^(min|max|target)=(\S+)$/.exec(a);
    if (!m) throw new AppError('bad_request', `unexpected “${a}”; use min=<n> max=<n> target=<pct>`);
    const [, key, value] = m;
    if (key === 'min') out.minReplicas = intArg(value, 'min', 1, 1000);
    if (key === 'max') out.maxReplicas = intArg(value, 'max', 1, 1000);
    if (key === 'target') out.targetCPUUtilizationPercentage = intArg(value?.replace(/%$/, ''), 'target', 1, 100);
  }
  if (Object.keys(out).length === 0) throw new AppError('bad_request', 'give at least one of min=<n> max=<n> target=<pct>');
  if (out.minReplicas !== undefined && out.maxReplicas !== undefined && out.minReplicas > out.maxReplicas) throw new AppError('bad_request', `min (${out.minReplicas}) must not exceed max (${out.maxReplicas})`);
  return out;
}

export function words(s: string): string[] {
  return s.trim().split(/\s+/).filter(Boolean);
}

export function need<T>(v: T | undefined, usage: string): T {
  if (v === undefined) throw new AppError('bad_request', `usage: \`/incident ${usage}\``);
  return v;
}
