/**
 * Shared pieces of the benchmarks: a result shape every bench returns (figures plus a verdict
 * against its bar), a v4 Alertmanager payload builder with a unique fingerprint per alert, and
 * small bounded helpers. Benchmarks are run by `npm run bench` (bench/run.ts), never by vitest.
 */
import { createHash } from 'node:crypto';

export interface Figure {
  name: string;
  value: number | undefined;
  unit: string;
  /** Human wording of the bar, e.g. "≥ 0.6 of floor". */
  bar?: string;
  /** value / bar threshold (how far from the bar, in the bar's direction). */
  ratio?: number;
  pass?: boolean;
  /** Why a figure misses its bar (or was not measured), and what would close it. */
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  figures: Figure[];
  /** Free-form lines for the report (method, sizes, caveats). */
  details: string[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

export function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

export function printResult(r: BenchResult): void {
  console.log(`\n== ${r.title}`);
  for (const f of r.figures) {
    const verdict = f.pass === undefined ? '' : f.pass ? '  PASS' : '  MISS';
    const bar = f.bar ? `  (bar ${f.bar}${f.ratio !== undefined ? `, ratio ${fmt(f.ratio)}` : ''})` : '';
    console.log(`  ${f.name}: ${fmt(f.value)} ${f.unit}${bar}${verdict}`);
    if (f.note) console.log(`    note: ${f.note}`);
  }
  for (const d of r.details) console.log(`  - ${d}`);
}

/** Polls until `fn` returns a truthy value or the deadline passes (then undefined). */
export async function pollUntil<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** A realistic Alertmanager v4 webhook body with one alert; the fingerprint is a hash of the labels. */
export function alertPayload(labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing'): Record<string, unknown> {
  const all: Record<string, string> = { namespace: 'prod', severity: 'critical', ...labels };
  const fingerprint = createHash('sha256').update(JSON.stringify(Object.entries(all).sort())).digest('hex').slice(0, 16);
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  return {
    receiver: 'warroom',
    status,
    alerts: [
      {
        status,
        labels: all,
        annotations: { summary: 'HTTP 5xx ratio above 5% for 5 minutes', description: 'checkout is failing requests', runbook_url: 'https://runbooks.example.com/high-error-rate' },
        startsAt,
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29',
        fingerprint,
      },
    ],
    groupLabels: { alertname: all['alertname'] ?? '', service: all['service'] ?? '' },
    commonLabels: all,
    commonAnnotations: { summary: 'HTTP 5xx ratio above 5% for 5 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: `{}:{alertname="${all['alertname'] ?? ''}", service="${all['service'] ?? ''}"}`,
    truncatedAlerts: 0,
  };
}

export function rssMb(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}
