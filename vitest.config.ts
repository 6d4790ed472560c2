import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs on fakes and needs no server at all (`npx vitest run test/unit` starts
 * nothing); `integration` (test/integration, test/e2e and test/conformance, where real clients run
 * against the sandbox) shares one redis-server started by the global setup and starts its own
 * prometheus/alertmanager where a test needs them. `npm test` runs both; test/unit/test-layout.test.ts
 * fails when a test file lies outside these folders (it would never run).
 */
export const TEST_FOLDERS = { unit: ['test/unit'], integration: ['test/integration', 'test/e2e', 'test/conformance'] } as const;

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration and e2e tests start real processes (redis, alertmanager, prometheus);
    // two cores on CI: keep the fan-out modest.
    maxWorkers: 2,
    // Tests build AWS SDK clients of their own (next to the CloudWatch adapter, which sets this
    // itself): the SDK's documented switch for its Node-version warning (docs/operations.md).
    // The tests of that behaviour run child processes without it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: TEST_FOLDERS.unit.map((d) => `${d}/**/*.test.ts`) } },
      { extends: true, test: { name: 'integration', include: TEST_FOLDERS.integration.map((d) => `${d}/**/*.test.ts`), globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
