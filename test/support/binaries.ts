/**
 * Tests that need a binary call `requireBinary(name, debianPackage)` in a `beforeAll` (or at the
 * start of the test): where the binary is absent the test FAILS with the install line
 * ("... apt-get install <package>"), it never skips. `bash .ci/run` installs every package named.
 */
import { findBinary } from '../../src/sandbox/prometheus/proc.js';

export { findBinary, requireBinary } from '../../src/sandbox/prometheus/proc.js';

/** For a tool that is not a Debian package (pip's aws, moto_server): its path, or an Error naming how to install it. */
export function requireTool(name: string, install: string): string {
  const found = findBinary(name);
  if (!found) throw new Error(`${name} not found on PATH; install it: ${install}`);
  return found;
}
