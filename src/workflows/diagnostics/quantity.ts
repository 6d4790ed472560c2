/**
 * Kubernetes resource quantities, the small subset diagnostics need: CPU in cores ("1500m", "2",
 * "0.5") and memory in bytes ("2.5Gi", "512Mi", "1G", "128974848", "1e3").
 * Returns undefined for anything it cannot read (never NaN).
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|K|M|G|T|P|E))?$/;

/** A quantity as a plain number in base units (cores for CPU, bytes for memory). */
export function parseQuantity(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (!Number.isFinite(base)) return undefined;
  if (m[2]) return base * (BINARY[m[2]] ?? 1);
  if (m[3]) return base * 10 ** Number(m[3].slice(1));
  return base * (DECIMAL[m[4] ?? ''] ?? 1);
}

export function parseCpuCores(q: string | undefined): number | undefined {
  return parseQuantity(q);
}

export function parseMemoryBytes(q: string | undefined): number | undefined {
  return parseQuantity(q);
}

/** 1.2 -> "1200m", 2 -> "2000m" (the way the investigation talks about requests and limits). */
export function formatCpu(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

/** Bytes as Gi/Mi with up to one decimal. */
export function formatMemory(bytes: number): string {
  if (bytes >= 2 ** 30) return `${Math.round((bytes / 2 ** 30) * 10) / 10}Gi`;
  if (bytes >= 2 ** 20) return `${Math.round((bytes / 2 ** 20) * 10) / 10}Mi`;
  return `${Math.round(bytes)}B`;
}

/** Sum of the containers' requests (or limits) of one resource; undefined if any container lacks it. */
export function sumContainerResource(
  containers: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[],
  kind: 'requests' | 'limits',
  resource: 'cpu' | 'memory',
): number | undefined {
  let total = 0;
  if (containers.length === 0) return undefined;
  for (const c of containers) {
    const v = parseQuantity(c.resources?.[kind]?.[resource]);
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}
