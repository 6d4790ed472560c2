// One linter, with the import-boundary rules of DESIGN section 3:
//   handlers     -> workflows, domain, errors, Block Kit builders; never SDKs
//   workflows    -> workflows, domain, errors only (ports in workflows/ports.ts)
//   integrations -> SDKs, domain, workflows/ports; never handlers
//   domain       -> nothing of ours but errors
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SDKS = ['@slack/*', '@aws-sdk/*', '@kubernetes/*', 'bullmq', 'ioredis', 'undici'];
const sdkPatterns = SDKS.map((group) => ({ group: [group], message: 'SDKs belong in src/integrations (DESIGN section 3).' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.demo-out/**', 'out/**', 'src/sandbox/viewer/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...sdkPatterns,
        { group: ['**/handlers/**', '**/workflows/**', '**/integrations/**', '**/sandbox/**', '**/deps.js', '**/config.js'], message: 'domain is pure: it imports only domain and errors.' },
      ] }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...sdkPatterns,
        { group: ['**/handlers/**', '**/integrations/**', '**/sandbox/**', '**/deps.js', '**/main.js'], message: 'workflows import only workflows, domain and errors; adapters come in through workflows/ports.ts.' },
      ] }],
    },
  },
  {
    files: ['src/handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...SDKS.filter((s) => s !== '@slack/*').map((group) => ({ group: [group], message: 'handlers never call SDKs; enqueue or call a workflow.' })),
        { group: ['@slack/web-api'], message: 'handlers never call the Slack Web API directly; use the ChatPort.' },
        { group: ['**/integrations/redis/**', '**/integrations/queue/**', '**/integrations/cloudwatch/**', '**/integrations/kubernetes/**', '**/integrations/prometheus/**', '**/integrations/alertmanager/**', '**/sandbox/**'], message: 'handlers reach adapters only through ports.' },
      ] }],
    },
  },
  {
    files: ['src/integrations/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/handlers/**', '**/sandbox/**', '**/main.js', '**/deps.js'], message: 'integrations implement ports; they never import handlers.' },
      ] }],
    },
  },
);
