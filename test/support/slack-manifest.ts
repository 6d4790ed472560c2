import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export const MANIFEST_PATH = path.resolve('infra/slack/manifest.yaml');

/** The parts of infra/slack/manifest.yaml the tests read (the whole file is checked against Slack's schema). */
const Manifest = z.object({
  features: z
    .object({
      slash_commands: z.array(z.object({ command: z.string() })).optional(),
      shortcuts: z.array(z.object({ type: z.enum(['global', 'message']), callback_id: z.string() })).optional(),
    })
    .passthrough(),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({ event_subscriptions: z.object({ bot_events: z.array(z.string()).default([]) }).passthrough() }).passthrough(),
});

export function manifestDocument(): unknown {
  return parse(readFileSync(MANIFEST_PATH, 'utf8')) as unknown;
}

export function readManifest(): z.infer<typeof Manifest> {
  return Manifest.parse(manifestDocument());
}
