/**
 * `<out>/sandbox.json`: where a person (or a test) reaches the running sandbox with real clients —
 * `kubectl --kubeconfig <kubeconfig>`, `aws --endpoint-url <cloudwatch>`, a browser on the viewer,
 * Prometheus' HTTP API, the bot itself. Written as soon as the world is up; its kubeconfig is a copy
 * in the output directory, so it outlives the world's temporary directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { World } from './world.js';

export const SANDBOX_FILE = 'sandbox.json';

export const SandboxEndpoints = z.object({
  /** A kubeconfig file for the Kubernetes emulator (token auth over plain HTTP; kubectl's default namespace, so use -n or -A). */
  kubeconfig: z.string(),
  /** The CloudWatch emulator, for `aws --endpoint-url` or an SDK's `endpoint` (any credentials; region below). */
  cloudwatch: z.url(),
  region: z.string(),
  /** Prometheus' HTTP API (the real binary, or the sandbox's stand-in), absent when the world runs without one. */
  prometheus: z.url().nullable(),
  /** The viewer of the sandbox Slack workspace (absent with --exit, which starts none). */
  viewer: z.url().nullable(),
  /** The bot's HTTP server (/healthz, /metrics, /slack/events, webhooks). */
  bot: z.url(),
  slack: z.object({ api: z.url(), state: z.url() }),
});
export type SandboxEndpoints = z.infer<typeof SandboxEndpoints>;

/** Writes `<out>/sandbox.json` (and `<out>/kubeconfig`) for a running world; returns the file's path. */
export function writeSandboxEndpoints(world: World, outDir: string, viewerUrl: string | undefined): string {
  const out = path.resolve(outDir);
  mkdirSync(out, { recursive: true });
  const kubeconfig = path.join(out, 'kubeconfig');
  world.kubernetes.writeKubeconfig(kubeconfig);
  const endpoints: SandboxEndpoints = {
    kubeconfig,
    cloudwatch: world.cloudwatch.endpoint,
    region: world.scenario.region,
    prometheus: world.prometheus?.url ?? null,
    viewer: viewerUrl ?? null,
    bot: world.botUrl,
    slack: { api: world.slack.apiUrl, state: `${world.slack.baseUrl}/_sandbox/state` },
  };
  const file = path.join(out, SANDBOX_FILE);
  writeFileSync(file, `${JSON.stringify(endpoints, null, 2)}\n`);
  return file;
}
