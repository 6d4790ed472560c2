/**
 * Tests that need a binary call `requireBinary(name, debianPackage)` in a `beforeAll` (or at the
 * start of the test): where the binary is absent the test FAILS with the install line
 * ("... apt-get install <package>"), it never skips. `bash .ci/run` installs every package named.
 */
export { findBinary, requireBinary } from '../../src/sandbox/prometheus/proc.js';
