import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from '../../scripts/gen-config-docs.js';

describe('docs/configuration.md', () => {
  it('is generated from the current schemas (run npm run docs:config after changing src/config.ts)', () => {
    expect(readFileSync('docs/configuration.md', 'utf8')).toBe(renderConfigDocs());
  });
  it('documents every env var and top-level config key', () => {
    const doc = renderConfigDocs();
    for (const v of ['PORT', 'REDIS_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'WARROOM_CONFIG', 'ALERTMANAGER_WEBHOOK_TOKEN', 'SNS_TOPIC_ARNS', 'LOG_LEVEL', 'SERVICES']) expect(doc).toContain(`| \`${v}\``);
    for (const k of ['routes', 'routes[].reopenWindow', 'status.cadence', 'approvals[].protected', 'postmortem.timezone', 'diagnostics.checkTimeout']) expect(doc).toContain(`| \`${k}\``);
  });
});
