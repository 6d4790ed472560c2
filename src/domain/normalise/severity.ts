import type { Severity } from '../alert.js';

export interface SeverityMapping {
  /** The label whose value decides, e.g. `severity`. */
  label: string;
  /** Label value -> severity, matched case-insensitively: `{ critical: 'SEV1', warning: 'SEV3' }`. */
  map: Record<string, Severity>;
  default: Severity;
  /**
   * Optional patterns tried against the alert name (`alertname` label; for CloudWatch alarms the
   * alarm name) when the label gives no answer; first match wins. Case-insensitive.
   */
  namePatterns?: Array<{ pattern: string | RegExp; severity: Severity }>;
}

export type SeverityOf = (labels: Readonly<Record<string, string>>) => Severity;

const SEV_RE = /^sev([1-4])$/i;

/**
 * Builds the severity function the normalisers take. Order: the mapped label value (case-insensitive
 * on the value), a label value that already is a severity (`SEV2`, `sev2`), the name patterns, then
 * the default.
 */
export function makeSeverityOf(mapping: SeverityMapping): SeverityOf {
  const byValue = new Map<string, Severity>();
  for (const [k, v] of Object.entries(mapping.map)) byValue.set(k.trim().toLowerCase(), v);
  const patterns = (mapping.namePatterns ?? []).map(({ pattern, severity }) => ({
    re: typeof pattern === 'string' ? new RegExp(pattern, 'i') : pattern,
    severity,
  }));
  return (labels) => {
    const raw = Object.prototype.hasOwnProperty.call(labels, mapping.label) ? labels[mapping.label] : undefined;
    if (raw !== undefined) {
      const value = raw.trim().toLowerCase();
      const mapped = byValue.get(value);
      if (mapped) return mapped;
      const sev = SEV_RE.exec(value);
      if (sev) return `SEV${sev[1]}` as Severity;
    }
    const name = Object.prototype.hasOwnProperty.call(labels, 'alertname') ? labels.alertname : undefined;
    if (name !== undefined) {
      for (const p of patterns) {
        p.re.lastIndex = 0;
        if (p.re.test(name)) return p.severity;
      }
    }
    return mapping.default;
  };
}
