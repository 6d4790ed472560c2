/**
 * The diagnostics engine against failing evidence sources: transient errors are retried (the SDK's
 * own retries, then the check job's backoff) and the check still succeeds; a permanent refusal (403)
 * is not retried and becomes a "could not check" finding; the run always ends in an assessment.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { playScenario } from '../../src/sandbox/demo/runner.js';
import { startWorld, type World } from '../../src/sandbox/demo/world.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';

describe('diagnostics when evidence sources fail', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  async function run(prepare: (w: World) => void) {
    world = await startWorld({ scenario: loadNamedScenario('flapping-alb-target-response-time'), redisUrl: inject('redisUrl'), prometheus: false });
    prepare(world);
    const result = await playScenario(world, { skipScript: true, stepDelayMs: 100, timeouts: { assessment: 90_000 } });
    expect(result.failure).toBeUndefined();
    const findings = await world.running.deps.ports.diagnosis.listFindings(result.incidentId as string);
    return { result, findings, calls: world.cloudwatch.calls };
  }

  it('a burst of 5xx on DescribeAlarmHistory is retried until the check succeeds', async () => {
    // More failures than the SDK retries by itself (3 attempts): the check job's own retry takes over.
    const { findings, calls } = await run((w) => w.cloudwatch.failNext('DescribeAlarmHistory', 4, 'ServiceUnavailable'));
    const history = calls.filter((c) => c.op === 'DescribeAlarmHistory');
    expect(history.filter((c) => c.status >= 500).length).toBe(4);
    expect(history.some((c) => c.status === 200)).toBe(true);
    const alarmHistory = findings.filter((f) => f.check === 'alarm-history');
    expect(alarmHistory.length).toBeGreaterThan(0);
    expect(alarmHistory.every((f) => f.severity !== 'error')).toBe(true);
    expect(alarmHistory.map((f) => f.title).join(' ')).toMatch(/9/);
  });

  it('a 403 is not retried: the check becomes a "could not check" finding and the run still ends in an assessment', async () => {
    const { result, findings, calls } = await run((w) => w.cloudwatch.failNext('DescribeAlarmHistory', 50, 'AccessDenied'));
    expect(calls.filter((c) => c.op === 'DescribeAlarmHistory')).toHaveLength(1);
    const failed = findings.find((f) => f.check === 'alarm-history');
    expect(failed?.severity).toBe('error');
    expect(failed?.summary).toMatch(/forbidden|not authorized/i);
    expect(result.assessment?.hypotheses.length).toBeGreaterThan(0);
  });
});
