/**
 * Every shipped scenario, played through the demo's own path (startWorld + playScenario, the real
 * bot against the sandbox) and judged as `npm run demo -- --scenario <file> --exit` judges it: the
 * top hypothesis (alone), the refuted ones, what the assessment must mention, and exactly the
 * expected mitigations (or none). One Redis, one scenario at a time; the scripts (approvals,
 * verification) are left out: the diagnosis is what is judged here, and the four original
 * scenarios are played to the end by their own tests.
 *
 * WARROOM_SCENARIO=<name> plays only that one (while writing a scenario).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { judge } from '../../src/sandbox/demo/judge.js';
import { playScenario } from '../../src/sandbox/demo/runner.js';
import { startWorld } from '../../src/sandbox/demo/world.js';
import { loadScenario } from '../../src/sandbox/scenario/loader.js';

const DIR = path.resolve(import.meta.dirname, '../../scenarios');
const only = process.env['WARROOM_SCENARIO'];
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .filter((f) => !only || f === `${only}.yaml`)
  .sort();

describe('every shipped scenario: the diagnosis matches its expectations through the demo path', () => {
  it('has scenarios to judge', () => {
    expect(files.length).toBeGreaterThanOrEqual(only ? 1 : 16);
  });

  for (const file of files) {
    it(file, async () => {
      const scenario = loadScenario(path.join(DIR, file));
      const world = await startWorld({ scenario, redisUrl: inject('redisUrl') });
      try {
        const result = await playScenario(world, { stepDelayMs: 200, skipScript: true });
        expect(result.failure, result.log.join('\n')).toBeUndefined();
        const verdict = judge(scenario.expect, result.assessment);
        expect(verdict.ok, `${scenario.name}:\n${verdict.lines.join('\n')}\n\nsummary: ${result.assessment?.summary ?? '-'}`).toBe(true);
      } finally {
        await world.stop();
      }
    }, 180_000);
  }
});
