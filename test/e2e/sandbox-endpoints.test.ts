/**
 * The sandbox open to real clients: the demo, run as a person runs it (a child process, no --exit),
 * writes <out>/sandbox.json as soon as its world is up; the real kubectl and the real AWS CLI
 * (botocore) reach the world through what that file says while the bot works; Ctrl-C (SIGINT) then
 * stops everything cleanly (exit 0, the endpoints gone).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SANDBOX_FILE, SandboxEndpoints } from '../../src/sandbox/demo/endpoints.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { AWS_CLI_INSTALL, awsCloudWatch, jsonOf, requireTool } from '../support/aws.js';
import { requireBinary } from '../support/binaries.js';
import { tmpDir, waitFor } from '../support/procs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SEED = 'flapping-alb-target-response-time';

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('sandbox.json: the running demo reached with kubectl and the AWS CLI', () => {
  it('writes sandbox.json when the world is up; kubectl get pods -A and aws cloudwatch describe-alarm-history answer from it; SIGINT stops it cleanly', async () => {
    const kubectl = requireBinary('kubectl', 'kubectl');
    const aws = requireTool('aws', AWS_CLI_INSTALL);
    const scenario = loadNamedScenario(SEED);
    const alarm = scenario.cloudwatch?.alarms[0]?.name ?? '';
    expect(alarm).not.toBe('');
    const out = tmpDir('demo-endpoints');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/demo/cli.ts', '--scenario', SEED, '--out', out.dir], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: inject('redisUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const file = path.join(out.dir, SANDBOX_FILE);
    try {
      await waitFor(() => existsSync(file) || child.exitCode !== null, { what: `${SANDBOX_FILE} written`, timeoutMs: 90_000, intervalMs: 100 });
      expect(child.exitCode, `${stdout}\n${stderr}`).toBeNull();
      const endpoints = SandboxEndpoints.parse(JSON.parse(readFileSync(file, 'utf8')));
      expect(stdout).toContain(`Sandbox endpoints: ${file}`);
      expect(endpoints.kubeconfig).toBe(path.join(out.dir, 'kubeconfig'));
      expect(endpoints.viewer).not.toBeNull();
      expect(endpoints.prometheus).not.toBeNull();
      for (const url of [endpoints.bot + '/healthz', endpoints.viewer ?? '', `${endpoints.prometheus ?? ''}/api/v1/status/buildinfo`, endpoints.slack.state]) {
        expect((await fetch(url)).status, url).toBe(200);
      }

      // kubectl, with its own HOME and cache (nothing of the user's), through the kubeconfig alone.
      const home = path.join(out.dir, 'home');
      const pods = await run(kubectl, ['--kubeconfig', endpoints.kubeconfig, 'get', 'pods', '-A', '-o', 'json'], { ...process.env, HOME: home, KUBECONFIG: '', KUBECACHEDIR: path.join(home, 'cache') });
      expect(pods.code, pods.stderr).toBe(0);
      const items = (JSON.parse(pods.stdout) as { items: { metadata: { name: string; namespace: string } }[] }).items;
      const deployments = scenario.kubernetes.objects.filter((o) => o.kind === 'Deployment').map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace ?? 'default' }));
      expect(deployments.length).toBeGreaterThan(0);
      for (const d of deployments) expect(items.some((p) => p.metadata.namespace === d.namespace && p.metadata.name.startsWith(`${d.name}-`)), `a pod of ${d.namespace}/${d.name}`).toBe(true);
      const table = await run(kubectl, ['--kubeconfig', endpoints.kubeconfig, 'get', 'pods', '-A'], { ...process.env, HOME: home, KUBECONFIG: '', KUBECACHEDIR: path.join(home, 'cache') });
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);

      // The AWS CLI with dummy credentials (awsEnv) against the endpoint and region of the file.
      const history = jsonOf<{ AlarmHistoryItems: { AlarmName: string; HistoryItemType: string }[] }>(await awsCloudWatch(aws, endpoints.cloudwatch, ['describe-alarm-history', '--alarm-name', alarm], endpoints.region));
      expect(history.AlarmHistoryItems.length).toBeGreaterThan(0);
      expect(history.AlarmHistoryItems.every((h) => h.AlarmName === alarm)).toBe(true);
      expect(history.AlarmHistoryItems.some((h) => h.HistoryItemType === 'StateUpdate')).toBe(true);

      // The script plays, with the clients in the world, up to the proposal that waits for a person
      // (the paced demo; demo-paced.test.ts clicks Approve); Ctrl-C there stops everything cleanly.
      await waitFor(() => stdout.includes('YOUR TURN') || child.exitCode !== null, { what: 'the script played up to the approval', timeoutMs: 120_000, intervalMs: 200 });
      expect(child.exitCode, `${stdout}\n${stderr}`).toBeNull();
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(0);
      expect(stdout).toContain('stopping the sandbox');
      await expect(fetch(`${endpoints.bot}/healthz`)).rejects.toThrow();
      await expect(fetch(endpoints.cloudwatch)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      out.cleanup();
    }
  }, 240_000);
});
