/**
 * Kubernetes resource quantities, the small subset diagnostics need: CPU in cores ("1500m", "2",
 * "0.5") and memory in bytes ("2.5Gi", "512Mi", "1G", "128974848", "1e3").
 * Returns undefined for anything it cannot read (never NaN). The parsing itself is the domain's
 * (src/domain/rollout.ts); this module adds the sums and formatting the checks print.
 */
import { parseCpu, parseMemory, parseQuantity as parseDomainQuantity } from '../../domain/rollout.js';

/** A quantity as a plain number in base units (cores for CPU, bytes for memory). */
export function parseQuantity(q: string | undefined): number | undefined {
  return parseDomainQuantity(q);
}

export function parseCpuCores(q: string | undefined): number | undefined {
  return parseCpu(q);
}

export function parseMemoryBytes(q: string | undefined): number | undefined {
  return parseMemory(q);
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
    const q = c.resources?.[kind]?.[resource];
    const v = resource === 'cpu' ? parseCpu(q) : parseMemory(q);
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}
