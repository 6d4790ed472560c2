import { describe, expect, it } from 'vitest';
import { makeSeverityOf } from '../../src/domain/normalise/severity.js';

describe('makeSeverityOf', () => {
  const severityOf = makeSeverityOf({
    label: 'severity',
    map: { critical: 'SEV1', Error: 'SEV2', warning: 'SEV3', info: 'SEV4' },
    default: 'SEV3',
    namePatterns: [
      { pattern: '^prod-.*5xx', severity: 'SEV1' },
      { pattern: /latency/i, severity: 'SEV2' },
    ],
  });

  it('maps the label value case-insensitively, both ways', () => {
    expect(severityOf({ severity: 'critical' })).toBe('SEV1');
    expect(severityOf({ severity: 'CRITICAL' })).toBe('SEV1');
    expect(severityOf({ severity: ' Warning ' })).toBe('SEV3');
    expect(severityOf({ severity: 'error' })).toBe('SEV2');
    expect(severityOf({ severity: 'info' })).toBe('SEV4');
  });

  it('accepts a value that already is a severity', () => {
    expect(severityOf({ severity: 'sev2' })).toBe('SEV2');
    expect(severityOf({ severity: 'SEV4' })).toBe('SEV4');
    expect(severityOf({ severity: 'sev5' })).toBe('SEV3');
  });

  it('falls back to alert-name patterns, then the default', () => {
    expect(severityOf({ alertname: 'PROD-checkout-5xx' })).toBe('SEV1');
    expect(severityOf({ alertname: 'checkout-p99-Latency' })).toBe('SEV2');
    expect(severityOf({ severity: 'unknown', alertname: 'checkout-latency' })).toBe('SEV2');
    expect(severityOf({ alertname: 'disk-full' })).toBe('SEV3');
    expect(severityOf({})).toBe('SEV3');
  });

  it('prefers the mapped label over the name patterns', () => {
    expect(severityOf({ severity: 'info', alertname: 'prod-api-5xx' })).toBe('SEV4');
  });

  it('reads another label when configured, and does not read inherited properties', () => {
    const byPriority = makeSeverityOf({ label: 'priority', map: { p1: 'SEV1' }, default: 'SEV4' });
    expect(byPriority({ priority: 'P1', severity: 'info' })).toBe('SEV1');
    expect(byPriority({ severity: 'critical' })).toBe('SEV4');
    const byToString = makeSeverityOf({ label: 'toString', map: {}, default: 'SEV4' });
    expect(byToString({})).toBe('SEV4');
  });
});
