import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration and e2e tests start real processes (redis, alertmanager, prometheus);
    // two cores on CI: keep the fan-out modest.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
    // Tests build AWS SDK clients of their own (next to the CloudWatch adapter, which sets this
    // itself): the SDK's documented switch for its Node-version warning (docs/operations.md).
    // The tests of that behaviour run child processes without it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
