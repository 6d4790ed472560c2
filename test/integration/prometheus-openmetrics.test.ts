/**
 * The OpenMetrics backfill writer: the exact text, its validation, and what promtool makes of it
 * (the TSDB contents read back with `promtool tsdb dump`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { formatTimestamp, storedMetricName, writeOpenMetrics, type BackfillSeries } from '../../src/sandbox/prometheus/openmetrics.js';
import { tmpDir } from '../support/procs.js';
import { requireBinary } from '../support/binaries.js';

const run = promisify(execFile);

function appErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a throw');
}

describe('writeOpenMetrics', () => {
  it('writes counters as a family without _total and samples with it; sorts families, series and samples', () => {
    const text = writeOpenMetrics([
      { metric: 'zeta_bytes', type: 'gauge', labels: {}, samples: [[2_000, 5], [1_000, 4]] },
      { metric: 'container_cpu_usage_seconds_total', type: 'counter', labels: { pod: 'b', namespace: 'default' }, samples: [[61_500, 2.5], [1_000, 1]] },
      { metric: 'http_requests', type: 'counter', labels: { code: '500' }, samples: [[1_000, 3]] },
      { metric: 'container_cpu_usage_seconds_total', type: 'counter', labels: { namespace: 'default', pod: 'a' }, samples: [[1_001, 0]] },
    ]);
    expect(text).toBe(
      [
        '# TYPE container_cpu_usage_seconds counter',
        'container_cpu_usage_seconds_total{namespace="default",pod="a"} 0 1.001',
        'container_cpu_usage_seconds_total{namespace="default",pod="b"} 1 1',
        'container_cpu_usage_seconds_total{namespace="default",pod="b"} 2.5 61.5',
        '# TYPE http_requests counter',
        'http_requests_total{code="500"} 3 1',
        '# TYPE zeta_bytes gauge',
        'zeta_bytes 4 1',
        'zeta_bytes 5 2',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('formats special values, escapes label values and ends with # EOF even when empty', () => {
    const text = writeOpenMetrics([
      { metric: 'g', type: 'gauge', labels: { note: 'a"b\\c\nd' }, samples: [[0, Number.NaN], [1_000, Number.POSITIVE_INFINITY], [2_000, Number.NEGATIVE_INFINITY], [3_000, 1e-7]] },
    ]);
    expect(text.split('\n')).toEqual(['# TYPE g gauge', 'g{note="a\\"b\\\\c\\nd"} NaN 0', 'g{note="a\\"b\\\\c\\nd"} +Inf 1', 'g{note="a\\"b\\\\c\\nd"} -Inf 2', 'g{note="a\\"b\\\\c\\nd"} 1e-7 3', '# EOF', '']);
    expect(writeOpenMetrics([])).toBe('# EOF\n');
    expect(writeOpenMetrics([{ metric: 'g', type: 'gauge', labels: {}, samples: [] }])).toBe('# EOF\n');
  });

  it('merges the same series given twice and drops identical duplicates', () => {
    const text = writeOpenMetrics([
      { metric: 'g', type: 'gauge', labels: { a: '1' }, samples: [[1_000, 1], [2_000, 2]] },
      { metric: 'g', type: 'gauge', labels: { a: '1' }, samples: [[2_000, 2], [3_000, 3]] },
    ]);
    expect(text).toBe('# TYPE g gauge\ng{a="1"} 1 1\ng{a="1"} 2 2\ng{a="1"} 3 3\n# EOF\n');
  });

  it('timestamps keep millisecond precision without float noise', () => {
    expect(formatTimestamp(1_795_245_524_123)).toBe('1795245524.123');
    expect(formatTimestamp(1_795_245_524_100)).toBe('1795245524.1');
    expect(formatTimestamp(1_795_245_524_000)).toBe('1795245524');
    expect(formatTimestamp(7)).toBe('0.007');
  });

  it('stored names: counters always end in _total, gauges are kept', () => {
    expect(storedMetricName({ metric: 'container_cpu_usage_seconds_total', type: 'counter' })).toBe('container_cpu_usage_seconds_total');
    expect(storedMetricName({ metric: 'http_requests', type: 'counter' })).toBe('http_requests_total');
    expect(storedMetricName({ metric: 'kube_pod_status_ready', type: 'gauge' })).toBe('kube_pod_status_ready');
  });

  it('rejects conflicts and invalid input as bad_request', () => {
    const bad: BackfillSeries[][] = [
      [{ metric: 'g', type: 'gauge', labels: {}, samples: [[1_000, 1]] }, { metric: 'g', type: 'gauge', labels: {}, samples: [[1_000, 2]] }],
      [{ metric: 'x', type: 'gauge', labels: {}, samples: [] }, { metric: 'x_total', type: 'counter', labels: {}, samples: [] }],
      [{ metric: 'c_total', type: 'counter', labels: {}, samples: [[1_000, -1]] }],
      [{ metric: '1bad', type: 'gauge', labels: {}, samples: [] }],
      [{ metric: 'g', type: 'gauge', labels: { 'bad-label': 'x' }, samples: [] }],
      [{ metric: 'g', type: 'gauge', labels: { __name__: 'x' }, samples: [] }],
      [{ metric: 'g', type: 'gauge', labels: {}, samples: [[-5, 1]] }],
    ];
    for (const input of bad) expect(appErrorOf(() => writeOpenMetrics(input)).code).toBe('bad_request');
  });
});

describe('writeOpenMetrics through promtool', () => {
  beforeAll(() => {
    requireBinary('promtool', 'prometheus');
  });

  it('promtool stores exactly the series, names, labels, timestamps and values written', async () => {
    const { dir, cleanup } = tmpDir('om');
    try {
      const base = Date.UTC(2026, 0, 10, 8, 0, 0);
      const series: BackfillSeries[] = [
        { metric: 'container_cpu_usage_seconds_total', type: 'counter', labels: { pod: 'p"1', namespace: 'default' }, samples: [[base + 15_000, 2], [base, 1]] },
        { metric: 'mem_bytes', type: 'gauge', labels: { pod: 'p\\2' }, samples: [[base + 250, Number.NaN], [base + 3 * 3_600_000, 7]] },
        { metric: 'container_cpu_usage_seconds_total', type: 'counter', labels: { pod: 'line\nbreak', namespace: 'default' }, samples: [[base, 0.5]] },
      ];
      const file = path.join(dir, 'in.om');
      writeFileSync(file, writeOpenMetrics(series));
      const data = path.join(dir, 'data');
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, data], { timeout: 60_000 });
      mkdirSync(path.join(data, 'wal'), { recursive: true });
      const { stdout } = await run('promtool', ['tsdb', 'dump', data], { timeout: 60_000, maxBuffer: 8 << 20 });
      const lines = stdout.trim().split('\n').sort();
      expect(lines).toEqual(
        [
          `{__name__="container_cpu_usage_seconds_total", namespace="default", pod="line\\nbreak"} 0.5 ${base}`,
          `{__name__="container_cpu_usage_seconds_total", namespace="default", pod="p\\"1"} 1 ${base}`,
          `{__name__="container_cpu_usage_seconds_total", namespace="default", pod="p\\"1"} 2 ${base + 15_000}`,
          `{__name__="mem_bytes", pod="p\\\\2"} NaN ${base + 250}`,
          `{__name__="mem_bytes", pod="p\\\\2"} 7 ${base + 3 * 3_600_000}`,
        ].sort(),
      );
    } finally {
      cleanup();
    }
  }, 60_000);
});
