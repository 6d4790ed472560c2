import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { alarmTransitions, cloudWatchAlarmNotification } from '../../src/sandbox/scenario/alarms.js';
import { alertsInOrder, expandMetricPoints, expandPrometheusSeries, resolveKubernetesObjects, type ExpandedMetric } from '../../src/sandbox/scenario/expand.js';
import { loadNamedScenario, loadScenario, parseScenario, scenariosDir } from '../../src/sandbox/scenario/loader.js';
import { INCONCLUSIVE, expectedProposals } from '../../src/sandbox/scenario/schema.js';
import { HYPOTHESES } from '../../src/workflows/diagnostics/causes.js';
import type { Scenario } from '../../src/sandbox/scenario/schema.js';
import { bucketize, combine, parseStat } from '../../src/sandbox/scenario/statistics.js';
import { relativeMs, resolveTime } from '../../src/sandbox/scenario/time.js';

const ANCHOR = new Date('2026-03-10T14:00:00Z');
const MIN = 60_000;
const SEED = 'flapping-alb-target-response-time';
const LB = 'app/k8s-apiprodcore-7db0ccf2c3/4f1a9c2e8b7d6e05';
const DATA_TG = 'targetgroup/k8s-default-dataserv-88e28b4b6c/3b9e2f71c4a8d610';

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe('bad_request');
    return (err.details as { problems: { path: string; message: string }[] }).problems;
  }
  throw new Error('expected the scenario to be rejected');
}

function series(metrics: ExpandedMetric[], metricName: string, dims: Record<string, string>): ExpandedMetric {
  const want = Object.entries(dims);
  const found = metrics.find((m) => m.metricName === metricName && m.dimensions.length === want.length && want.every(([n, v]) => m.dimensions.some((d) => d.name === n && d.value === v)));
  if (!found) throw new Error(`no series ${metricName} ${JSON.stringify(dims)}`);
  return found;
}

/** Starts of maximal runs of consecutive per-minute points satisfying `pred`. */
function runs(points: ExpandedMetric['points'], pred: (p: ExpandedMetric['points'][number]) => boolean): number[] {
  const starts: number[] = [];
  let prev: number | undefined;
  for (const p of points) {
    const t = p.timestamp.getTime();
    if (pred(p)) {
      if (prev === undefined || t - prev !== MIN) starts.push(t);
      prev = t;
    } else prev = undefined;
  }
  return starts;
}

const MINIMAL = `
name: tiny
description: a tiny world
region: us-east-1
accountId: "111122223333"
expect: { topHypothesis: x }
cloudwatch:
  alarms:
    - name: a1
      namespace: NS
      metricName: M
      statistic: Average
      period: 60
      evaluationPeriods: 1
      threshold: 1
      comparisonOperator: GreaterThanThreshold
      state: ALARM
      history:
        - { at: -10m, from: OK, to: ALARM }
  metrics:
    - namespace: NS
      metricName: M
      points: [{ at: -11m, average: 2, sampleCount: 1 }]
alerts:
  - { at: 0s, source: cloudwatch, alarm: a1, state: ALARM }
`;

describe('scenario files', () => {
  const files = readdirSync(scenariosDir()).filter((f) => f.endsWith('.yaml'));

  it('ships the four original scenarios and at least twelve more, each listed in docs/scenarios.md with what it expects', () => {
    expect(files).toEqual(expect.arrayContaining(['flapping-alb-target-response-time.yaml', 'hpa-pinned-at-max.yaml', 'oom-crashloop-after-deploy.yaml', 'sidecar-cpu-throttling.yaml']));
    expect(files.length).toBeGreaterThanOrEqual(16);
    const doc = readFileSync(path.join(scenariosDir(), '..', 'docs', 'scenarios.md'), 'utf8');
    for (const file of files) {
      const s = loadScenario(path.join(scenariosDir(), file));
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${file}\``));
      expect(row, `docs/scenarios.md lists ${file}`).toBeDefined();
      expect(row, file).toContain(`\`${s.expect.topHypothesis}\``);
    }
  });

  it.each(files)('%s expects hypotheses the assessment knows (or inconclusive)', (file) => {
    const s = loadScenario(path.join(scenariosDir(), file));
    const known = new Set<string>([...HYPOTHESES, INCONCLUSIVE]);
    expect(known.has(s.expect.topHypothesis), s.expect.topHypothesis).toBe(true);
    for (const r of s.expect.refuted) expect(HYPOTHESES as readonly string[], r).toContain(r);
  });

  it.each(files)('%s loads and names its expectation', (file) => {
    const s = loadScenario(path.join(scenariosDir(), file));
    expect(`${s.name}.yaml`).toBe(file);
    expect(s.expect.topHypothesis.length).toBeGreaterThan(0);
    expect(s.alerts.length).toBeGreaterThan(0);
    // everything expands at an anchor without throwing, and every alert is in time order
    expandMetricPoints(s, ANCHOR);
    expandPrometheusSeries(s, ANCHOR);
    const ordered = alertsInOrder(s, ANCHOR).map((a) => a.time.getTime());
    expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
  });

  it('loads a shipped scenario by name', () => {
    expect(expectedProposals(loadNamedScenario('oom-crashloop-after-deploy').expect)[0]?.kind).toBe('rollback');
  });
});

describe('validation', () => {
  it('accepts a minimal scenario and applies defaults', () => {
    const s = parseScenario(MINIMAL, 'tiny');
    expect(s.cloudwatch.alarms[0]?.treatMissingData).toBe('missing');
    expect(s.kubernetes.objects).toEqual([]);
    expect(s.script).toEqual([]);
  });

  it('names every structural problem with its path', () => {
    const broken = MINIMAL.replace('threshold: 1', 'threshold: high')
      .replace('comparisonOperator: GreaterThanThreshold', 'comparisonOperator: Bigger')
      .replace('region: us-east-1', 'region: Virginia')
      .replace('{ at: 0s, source: cloudwatch', '{ at: soon, source: cloudwatch')
      .concat(`
kubernetes:
  objects:
    - { apiVersion: apps/v1, kind: Deployment, metadata: { namespace: default } }
    - { apiVersion: v1, kind: Deployment, metadata: { name: web, namespace: default } }
    - { apiVersion: v1, kind: Secret, metadata: { name: s, namespace: default } }
prometheus:
  series:
    - { metric: up, type: counter, points: [{ at: -1m, value: -3 }] }
colour: blue
`);
    const problems = problemsOf(() => parseScenario(broken, 'broken'));
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['cloudwatch.alarms[0].threshold']).toBe('expected number, received string');
    expect(byPath['cloudwatch.alarms[0].comparisonOperator']).toContain('GreaterThanThreshold');
    expect(byPath.region).toContain('AWS region');
    expect(byPath['alerts[0].at']).toContain('relative time');
    expect(byPath['kubernetes.objects[0].metadata.name']).toBe('required (expected string)');
    expect(byPath['kubernetes.objects[1].apiVersion']).toContain('Deployment must be apps/v1');
    expect(byPath['kubernetes.objects[2].kind']).toContain('expected one of');
    expect(byPath['prometheus.series[0].points']).toContain('cannot be negative');
    expect(byPath['(root)']).toContain('"colour"');
  });

  it('names every consistency problem with its path', () => {
    const broken = MINIMAL.replace('state: ALARM\n', 'state: OK\n')
      .replace('- { at: -10m, from: OK, to: ALARM }', '- { at: -10m, from: OK, to: ALARM }\n        - { at: -12m, from: OK, to: OK }')
      .replace('metricName: M\n      points', 'metricName: Other\n      points')
      .replace('alarm: a1, state: ALARM', 'alarm: nope, state: ALARM')
      .concat(`
kubernetes:
  objects:
    - { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: default, creationTimestamp: -5x }, status: { startTime: yesterday } }
    - { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: default } }
script:
  - { action: resolve, user: U0NOBODY1 }
slack:
  users: [{ id: U0SOMEONE, name: someone }]
`);
    const problems = problemsOf(() => parseScenario(broken, 'broken'));
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'cloudwatch.alarms[0].history[1]',
        'cloudwatch.alarms[0].history[1].at',
        'cloudwatch.alarms[0].history[1].from',
        'cloudwatch.alarms[0].metricName',
        'kubernetes.objects[0].metadata.creationTimestamp',
        'kubernetes.objects[0].status.startTime',
        'kubernetes.objects[1].metadata.name',
        'alerts[0].alarm',
        'script[0].user',
      ]),
    );
    expect(problems.find((p) => p.path === 'cloudwatch.alarms[0].history[1].from')?.message).toContain('previous transition went to ALARM');
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf(() => parseScenario('name: x\n  bad: [unclosed\n', 'syntax'));
    expect(problems[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  it('says which file it could not read', () => {
    expect(() => loadScenario('/nonexistent/scenario.yaml')).toThrow(/cannot read scenario/);
  });

  it('checks that an alert matches the alarm history', () => {
    const problems = problemsOf(() => parseScenario(MINIMAL.replace('alarm: a1, state: ALARM', 'alarm: a1, state: OK'), 'mismatch'));
    expect(problems).toEqual([{ path: 'alerts[0].state', message: "is OK but the alarm's history has it ALARM at 0s" }]);
  });
});

describe('relative times', () => {
  it('resolves against the anchor', () => {
    expect(resolveTime('-15m', ANCHOR).toISOString()).toBe('2026-03-10T13:45:00.000Z');
    expect(resolveTime('+2m', ANCHOR).toISOString()).toBe('2026-03-10T14:02:00.000Z');
    expect(resolveTime('0s', ANCHOR).getTime()).toBe(ANCHOR.getTime());
    expect(resolveTime('-5h', ANCHOR).toISOString()).toBe('2026-03-10T09:00:00.000Z');
    expect(resolveTime('-1h30m', ANCHOR).toISOString()).toBe('2026-03-10T12:30:00.000Z');
    expect(resolveTime('-2d', ANCHOR).toISOString()).toBe('2026-03-08T14:00:00.000Z');
    expect(relativeMs('90s')).toBe(90_000);
    expect(relativeMs('-250ms')).toBe(-250);
  });

  it('rejects what is not a relative time', () => {
    for (const bad of ['15', 'm15', '-15 m', 'yesterday', '', '--1m']) {
      expect(() => relativeMs(bad), bad).toThrow(AppError);
    }
  });

  it('resolves timestamps inside Kubernetes objects', () => {
    const s = loadNamedScenario(SEED);
    const objects = resolveKubernetesObjects(s, ANCHOR);
    const rs = objects.find((o) => o.kind === 'ReplicaSet' && (o.metadata as { name: string }).name === 'data-service-7c9d8f6b5d') as { metadata: { creationTimestamp: string }; spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(rs.metadata.creationTimestamp).toBe('2026-03-10T13:45:00Z');
    expect(rs.spec.template.spec.containers[0]?.image).toMatch(/:v1\.14\.3-prod$/);
    const prev = objects.find((o) => o.kind === 'ReplicaSet' && (o.metadata as { name: string }).name === 'data-service-5f8b7c9d4e') as { metadata: { creationTimestamp: string } };
    expect(prev.metadata.creationTimestamp).toBe('2026-03-01T14:00:00Z');
    const pod = objects.find((o) => o.kind === 'Pod' && (o.metadata as { name: string }).name === 'data-service-7c9d8f6b5d-9rtzm') as {
      status: { containerStatuses: { lastState: { terminated: { finishedAt: string } } }[] };
    };
    expect(pod.status.containerStatuses[0]?.lastState.terminated.finishedAt).toBe('2026-03-10T13:59:00Z');
    // the scenario itself is not changed
    expect(s.kubernetes.objects[0]?.metadata.creationTimestamp).toBe('-400d');
  });
});

describe('the seed scenario', () => {
  const s: Scenario = loadNamedScenario(SEED);
  const metrics = expandMetricPoints(s, ANCHOR);
  const alarm = s.cloudwatch.alarms[0];
  if (!alarm) throw new Error('seed has no alarm');

  it('has the alarm of the investigation', () => {
    expect(alarm.name).toBe('k8s-api-prod-core-7db0ccf2c3-target-response-time');
    expect(alarm).toMatchObject({ namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', statistic: 'Average', threshold: 0.8, comparisonOperator: 'GreaterThanThreshold', period: 60, evaluationPeriods: 2, state: 'ALARM' });
    expect(alarm.dimensions).toEqual([{ name: 'LoadBalancer', value: LB }]);
  });

  it('flaps 9 times OK->ALARM in the last 5 hours, the first about 5 hours ago', () => {
    const flaps = alarmTransitions(alarm, metrics, ANCHOR).filter((t) => t.from === 'OK' && t.to === 'ALARM' && t.time.getTime() >= ANCHOR.getTime() - 5 * 60 * MIN && t.time.getTime() <= ANCHOR.getTime());
    expect(flaps).toHaveLength(9);
    expect(ANCHOR.getTime() - (flaps[0]?.time.getTime() ?? 0)).toBeGreaterThan(4.5 * 60 * MIN);
    expect(flaps[8]?.time.getTime()).toBe(ANCHOR.getTime());
  });

  it('expands the bursts to 5.83 s average / 29.7 s maximum on data-service, < 0.5 s elsewhere', () => {
    const data = series(metrics, 'TargetResponseTime', { LoadBalancer: LB, TargetGroup: DATA_TG });
    const inWindow = data.points.filter((p) => p.timestamp.getTime() >= ANCHOR.getTime() - 5 * 60 * MIN && p.timestamp.getTime() < ANCHOR.getTime());
    const bursts = runs(inWindow, (p) => p.stats.average === 5.83 && p.stats.maximum === 29.7);
    expect(bursts).toHaveLength(9);
    const others = metrics.filter((m) => m.metricName === 'TargetResponseTime' && m.dimensions.some((d) => d.name === 'TargetGroup' && d.value !== DATA_TG));
    expect(others).toHaveLength(5);
    for (const o of others) {
      for (const p of o.points) expect(p.stats.maximum ?? Infinity).toBeLessThan(0.5);
    }
  });

  it('carries real traffic on data-service during bursts (not a low-traffic artifact)', () => {
    const reqs = series(metrics, 'RequestCount', { LoadBalancer: LB, TargetGroup: DATA_TG });
    const rt = series(metrics, 'TargetResponseTime', { LoadBalancer: LB, TargetGroup: DATA_TG });
    const burstTimes = new Set(rt.points.filter((p) => p.stats.average === 5.83).map((p) => p.timestamp.getTime()));
    const during = reqs.points.filter((p) => burstTimes.has(p.timestamp.getTime()));
    expect(during.length).toBeGreaterThan(0);
    for (const p of during) expect(p.stats.sum ?? 0).toBeGreaterThanOrEqual(100);
  });

  it('has a LoadBalancer series that is the request-weighted total of the groups and agrees with the alarm history', () => {
    const lb = series(metrics, 'TargetResponseTime', { LoadBalancer: LB });
    const groups = metrics.filter((m) => m.metricName === 'TargetResponseTime' && m.dimensions.length === 2);
    const at = ANCHOR.getTime() - MIN;
    const parts = groups.map((g) => g.points.find((p) => p.timestamp.getTime() === at)?.stats);
    const sum = parts.reduce((acc, p) => acc + (p?.sum ?? 0), 0);
    const count = parts.reduce((acc, p) => acc + (p?.sampleCount ?? 0), 0);
    const lbPoint = lb.points.find((p) => p.timestamp.getTime() === at)?.stats;
    expect(lbPoint?.average).toBeCloseTo(sum / count, 10);
    expect(lbPoint?.maximum).toBe(29.7);
    expect(lbPoint?.p99).toBe(21.4);
    // each ALARM follows two breaching minutes, each OK a non-breaching one
    const value = (t: number): number | undefined => lb.points.find((p) => p.timestamp.getTime() === t)?.stats.average;
    for (const t of alarmTransitions(alarm, metrics, ANCHOR).filter((x) => x.time.getTime() > ANCHOR.getTime() - 6 * 60 * MIN)) {
      const end = t.time.getTime();
      if (t.to === 'ALARM') {
        expect(value(end - MIN)).toBeGreaterThan(0.8);
        expect(value(end - 2 * MIN)).toBeGreaterThan(0.8);
        expect(t.reason).toMatch(/^Threshold Crossed: 2 out of the last 2 datapoints \[1\.178\d* \(10\/03\/26 \d\d:\d\d:00\), .*\] were greater than the threshold \(0\.8\)/);
      } else if (t.to === 'OK') {
        expect(value(end - MIN)).toBeLessThanOrEqual(0.8);
      }
    }
  });

  it('builds the SNS alarm message CloudWatch would publish at the page', () => {
    const note = cloudWatchAlarmNotification(s, metrics, ANCHOR, { alarm: alarm.name, state: 'ALARM', time: ANCHOR });
    expect(note.subject).toBe('ALARM: "k8s-api-prod-core-7db0ccf2c3-target-response-time" in US East (N. Virginia)');
    const msg = JSON.parse(note.message) as Record<string, unknown>;
    expect(msg).toMatchObject({
      AlarmName: alarm.name,
      AWSAccountId: '123456789012',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      StateChangeTime: '2026-03-10T14:00:00.000+0000',
      Region: 'US East (N. Virginia)',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:k8s-api-prod-core-7db0ccf2c3-target-response-time',
      Trigger: { MetricName: 'TargetResponseTime', Namespace: 'AWS/ApplicationELB', StatisticType: 'Statistic', Statistic: 'AVERAGE', Dimensions: [{ value: LB, name: 'LoadBalancer' }], Period: 60, EvaluationPeriods: 2, ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.8 },
    });
    expect(String(msg.NewStateReason)).toContain('were greater than the threshold (0.8)');
  });

  it('has per-pod CPU plateauing near one core during bursts, below the 1.5 limit, and little throttling', () => {
    const prom = expandPrometheusSeries(s, ANCHOR);
    const cpu = prom.filter((p) => p.metric === 'container_cpu_usage_seconds_total' && p.labels.pod?.startsWith('data-service-7c9d8f6b5d'));
    expect(cpu).toHaveLength(4);
    for (const c of cpu) {
      // rate over the minute before the page (inside the burst that paged)
      const at = (t: number): number => c.samples.find(([ts]) => ts === t)?.[1] ?? NaN;
      const rate = (at(ANCHOR.getTime()) - at(ANCHOR.getTime() - MIN)) / 60;
      expect(rate).toBeGreaterThan(0.75);
      expect(rate).toBeLessThan(1.0);
    }
    const periods = prom.filter((p) => p.metric === 'container_cpu_cfs_periods_total');
    const throttled = prom.filter((p) => p.metric === 'container_cpu_cfs_throttled_periods_total');
    const last = (x: { samples: [number, number][] }): number => x.samples[x.samples.length - 1]?.[1] ?? 0;
    const ratio = throttled.reduce((a, t) => a + last(t), 0) / periods.reduce((a, p) => a + last(p), 0);
    expect(ratio).toBeLessThan(0.05);
  });
});

describe('Prometheus series', () => {
  const world = (seriesYaml: string): Scenario =>
    parseScenario(
      `name: prom
description: d
region: us-east-1
accountId: "111122223333"
expect: { topHypothesis: x }
alerts: [{ at: 0s, source: alertmanager, status: firing, labels: { alertname: A } }]
prometheus:
  series:
${seriesYaml}`,
      'prom',
    );

  it('integrates counter rates into a monotonic counter with the right rate', () => {
    const s = world(`    - { metric: c_total, labels: { pod: p }, type: counter, step: 15s, points: [{ at: -60s, value: 2 }, { at: 0s, value: 0.5 }, { at: +60s, value: 0.5 }] }`);
    const [c] = expandPrometheusSeries(s, ANCHOR);
    expect(c?.samples.map(([t]) => (t - ANCHOR.getTime()) / 1000)).toEqual([-60, -45, -30, -15, 0, 15, 30, 45, 60]);
    expect(c?.samples.map(([, v]) => v)).toEqual([0, 30, 60, 90, 120, 127.5, 135, 142.5, 150]);
  });

  it('integrates rate changes between samples exactly', () => {
    const s = world(`    - { metric: c_total, type: counter, step: 60s, initial: 1000, points: [{ at: -2m, value: 1 }, { at: -90s, value: 3 }, { at: 0s, value: 0 }] }`);
    const [c] = expandPrometheusSeries(s, ANCHOR);
    // [-120,-90) at 1/s = 30, [-90,-60) at 3/s = 90, [-60,0) at 3/s = 180
    expect(c?.samples.map(([, v]) => v)).toEqual([1000, 1120, 1300]);
  });

  it('keeps seed counters monotonic', () => {
    for (const c of expandPrometheusSeries(loadNamedScenario(SEED), ANCHOR).filter((x) => x.type === 'counter')) {
      for (let i = 1; i < c.samples.length; i++) expect((c.samples[i] as [number, number])[1]).toBeGreaterThanOrEqual((c.samples[i - 1] as [number, number])[1]);
    }
  });

  it('holds gauge values until the next point, and spreads a burst ramp over the burst', () => {
    const s = world(`    - { metric: g, type: gauge, step: 60s, pattern: { from: -10m, to: 0s, every: 5m, offset: 1m, burstMinutes: 2, base: 1, burst: [5, 7] } }`);
    const [g] = expandPrometheusSeries(s, ANCHOR);
    expect(g?.samples.map(([, v]) => v)).toEqual([1, 5, 7, 1, 1, 1, 5, 7, 1, 1, 1]);
  });
});

describe('statistics', () => {
  it('combines finer datapoints exactly, and percentiles from the samples the datapoints stand for', () => {
    const pts = [
      { t: 0, stats: { sum: 10, sampleCount: 10, maximum: 3, minimum: 0.1, p99: 2.9 } },
      { t: MIN, stats: { sum: 90, sampleCount: 30, maximum: 9, minimum: 0.2, p99: 8 } },
    ];
    const [bucket] = bucketize(pts, 300, 0, 5 * MIN);
    const avg = parseStat('Average');
    const p99 = parseStat('p99');
    if (!bucket || !avg || !p99) throw new Error('setup');
    expect(combine(bucket.points, avg)).toEqual({ ok: true, value: 2.5 });
    expect(combine(bucket.points, { kind: 'basic', name: 'Maximum' })).toEqual({ ok: true, value: 9 });
    expect(combine(bucket.points, { kind: 'basic', name: 'Sum' })).toEqual({ ok: true, value: 100 });
    // 40 samples: 10 spread over [0.1, 2.9, 3] and 30 over [0.2, 8, 9] (knots at q = 0, 0.99, 1); the top
    // 1% (0.4 samples) all lie in the second datapoint's top: 30 * (1 - F2(x)) = 0.4
    const f2 = 1 - 0.4 / 30;
    const r = combine(bucket.points, p99);
    expect(r.ok && r.value).toBeCloseTo(0.2 + ((8 - 0.2) * f2) / 0.99, 12);
    // at its own period a stored percentile comes back as stored, even without the other quantiles
    expect(combine([{ p99: 8 }], p99)).toEqual({ ok: true, value: 8 });
    // several datapoints without minimum/maximum or sample counts: the mixture is unknown, so no value (never 0)
    expect(combine([{ p99: 8, sampleCount: 3 }, { p99: 9, sampleCount: 3 }], p99)).toEqual({ ok: false, reason: 'missing' });
    expect(parseStat('Avg')).toBeUndefined();
    expect(parseStat('p99.9')).toEqual({ kind: 'percentile', name: 'p99.9', value: 99.9 });
  });
});
