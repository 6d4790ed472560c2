/** Every test file lies in a folder a vitest project runs: a file elsewhere would silently never run. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_FOLDERS } from '../../vitest.config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function testFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fixtures' ? [] : testFiles(rel);
    return e.name.endsWith('.test.ts') ? [rel] : [];
  });
}

describe('test layout', () => {
  it('every *.test.ts is under a folder of the unit or integration project', () => {
    const folders: string[] = [...TEST_FOLDERS.unit, ...TEST_FOLDERS.integration];
    const files = testFiles('test');
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => !folders.some((d) => f.startsWith(`${d}/`)))).toEqual([]);
    // The conformance suites (real kubectl, AWS CLI, moto) are among them.
    expect(files.filter((f) => f.startsWith('test/conformance/')).length).toBeGreaterThanOrEqual(4);
  });
});
