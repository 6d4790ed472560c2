/** The helper every test needing a binary uses: a missing binary fails with the install line, never a skip. */
import { describe, expect, it } from 'vitest';
import { findBinary, requireBinary } from '../support/binaries.js';
import { tmpDir } from '../support/procs.js';

describe('requireBinary', () => {
  it('returns the path of an installed binary', () => {
    expect(requireBinary('node', 'nodejs')).toBe(findBinary('node'));
  });

  it('throws naming the Debian package to install when the binary is absent', () => {
    const empty = tmpDir('nobin');
    try {
      expect(() => requireBinary('prometheus', 'prometheus', empty.dir)).toThrow(/prometheus not found in .*; install the Debian package: apt-get install prometheus/);
    } finally {
      empty.cleanup();
    }
  });
});
