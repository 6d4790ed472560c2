/**
 * The demo CLI as a user runs it (`npm run demo -- ...` is `tsx src/sandbox/demo/cli.ts ...`): a
 * child process that plays the default scenario (the seed) with --exit and writes its artifacts;
 * the errors a user can meet (a bad scenario, no Redis at all, a bad argument) exit non-zero with
 * the reason. Plus the pure pieces of the runner (argument parsing, the Alertmanager payload, the
 * config written for a scenario, the transcript).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ConfigSchema } from '../../src/config.js';
import { parseAlertmanagerWebhook } from '../../src/domain/normalise/alertmanager.js';
import { DEFAULT_OUT, DEFAULT_SCENARIO, parseArgs } from '../../src/sandbox/demo/cli.js';
import { alertmanagerPayload, labelFingerprint } from '../../src/sandbox/demo/runner.js';
import { renderChannel } from '../../src/sandbox/demo/transcript.js';
import { sandboxConfig, worldClock } from '../../src/sandbox/demo/world.js';
import { alertsInOrder } from '../../src/sandbox/scenario/expand.js';
import { loadNamedScenario } from '../../src/sandbox/scenario/loader.js';
import { findBinary, requireBinary } from '../support/binaries.js';
import { tmpDir } from '../support/procs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 100_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/demo/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo CLI did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('plays the seed with --exit --out <dir>: exits 0, prints the transcript, writes transcript.json and assessment.json', async () => {
    const out = tmpDir('demo-cli');
    try {
      // Without the test runner's own switch (vitest.config.ts): the demo must quiet the SDK itself.
      const r = await runCli(['--exit', '--out', out.dir], { REDIS_URL: inject('redisUrl'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
      expect(r.code, r.stderr).toBe(0);
      // Quiet logs: the AWS SDK's Node version warning is switched off (docs/operations.md).
      expect(r.stderr).not.toContain('NodeVersionSupportWarning');
      expect(r.stdout).toContain('Scenario flapping-alb-target-response-time');
      expect(r.stdout).toMatch(/#inc-[a-z0-9-]+/);
      expect(r.stdout).toContain('Top hypothesis: process-model-ceiling (supported)');
      expect(r.stdout).toContain('ok top hypothesis: process-model-ceiling');
      expect(r.stdout).not.toContain('MISMATCH');
      const transcript = JSON.parse(readFileSync(path.join(out.dir, 'transcript.json'), 'utf8')) as { calls: { seq: number; method: string; args: Record<string, unknown> }[] };
      expect(transcript.calls.length).toBeGreaterThan(10);
      expect(transcript.calls.map((c) => c.seq)).toEqual(transcript.calls.map((_, i) => i + 1));
      expect(transcript.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['conversations.create', 'chat.postMessage', 'pins.add']));
      const assessment = JSON.parse(readFileSync(path.join(out.dir, 'assessment.json'), 'utf8')) as { hypotheses: { id: string; verdict: string }[]; findings: { evidence: unknown[] }[] };
      expect(assessment.hypotheses[0]).toMatchObject({ id: 'hypothesis:process-model-ceiling', verdict: 'supported' });
      expect(assessment.findings.some((f) => f.evidence.length > 0)).toBe(true);
      expect(existsSync(path.join(out.dir, 'transcript.txt'))).toBe(true);
      expect(existsSync(path.join(out.dir, 'postmortem.md'))).toBe(true);
    } finally {
      out.cleanup();
    }
  }, 120_000);

  it('plays the seed to the end with node and redis-server alone: no prometheus or promtool on PATH, the stand-in answers', async () => {
    // A PATH holding only what a fresh machine of this kind has: node, redis-server and openssl
    // (the sandbox signs its SNS deliveries with a certificate it makes with openssl).
    const bin = tmpDir('demo-path');
    const out = tmpDir('demo-noprom');
    try {
      for (const [name, target] of [
        ['node', process.execPath],
        ['redis-server', requireBinary('redis-server', 'redis-server')],
        ['openssl', requireBinary('openssl', 'openssl')],
      ] as const) symlinkSync(target, path.join(bin.dir, name));
      expect(findBinary('prometheus', bin.dir)).toBeUndefined();
      // No REDIS_URL either: the demo starts its own redis-server from that PATH.
      const r = await runCli(['--exit', '--out', out.dir], { PATH: bin.dir, REDIS_URL: '', WARROOM_SANDBOX_PROMETHEUS: '' });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("Prometheus: the sandbox's stand-in answers its HTTP API");
      expect(r.stdout).toContain('Top hypothesis: process-model-ceiling (supported)');
      const assessment = JSON.parse(readFileSync(path.join(out.dir, 'assessment.json'), 'utf8')) as { hypotheses: { id: string; verdict: string }[]; findings: { id: string; facts: Record<string, unknown> }[] };
      expect(assessment.hypotheses[0]).toMatchObject({ id: 'hypothesis:process-model-ceiling', verdict: 'supported' });
      // The CPU evidence came from the stand-in, not from a "could not check".
      expect(assessment.findings.some((f) => f.id.endsWith(':plateau') && typeof f.facts['cpuPlateauCores'] === 'number')).toBe(true);
      const timeline = JSON.parse(readFileSync(path.join(out.dir, 'timeline.json'), 'utf8')) as { events: { kind: string }[]; proposals: { mitigation: { kind: string }; status: string }[] };
      expect(timeline.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['mitigation.proposed', 'mitigation.approved', 'mitigation.executed', 'mitigation.verified', 'incident.resolved']));
      // The HPA change was executed and verified.
      expect(timeline.proposals.filter((p) => p.mitigation.kind === 'hpa').map((p) => p.status)).toEqual(['verified']);
    } finally {
      bin.cleanup();
      out.cleanup();
    }
  }, 120_000);

  // The default, paced run (it waits for a person's Approve) is driven in a browser: demo-paced.test.ts.
  it('with --interactive plays the alerts, keeps the sandbox running, serves the Slack state, and stops on Ctrl-C', async () => {
    const out = tmpDir('demo-live');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/demo/cli.ts', '--scenario', 'scenarios/oom-crashloop-after-deploy.yaml', '--interactive', '--out', out.dir], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: inject('redisUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!/Slack emulator state\s+(\S+)/.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no sandbox URLs printed:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = /Slack emulator state\s+(\S+)/.exec(stdout)?.[1] ?? '';
      const state = (await (await fetch(url)).json()) as { channels: { name: string; messages: unknown[] }[] };
      const incident = state.channels.find((c) => c.name.startsWith('inc-'));
      expect(incident?.messages.length).toBeGreaterThan(2);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopping the sandbox');
      // The bot is gone with the sandbox.
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      out.cleanup();
    }
  }, 120_000);

  it('judges the diagnosis: with --exit a scenario whose expectations the assessment does not meet exits 1 with the mismatch', async () => {
    const dir = tmpDir('demo-judge');
    try {
      // The sidecar scenario, expecting the wrong cause and a proposal the world does not warrant.
      const text = readFileSync(path.join(ROOT, 'scenarios', 'sidecar-cpu-throttling.yaml'), 'utf8')
        .replace('topHypothesis: cpu-throttling', 'topHypothesis: process-model-ceiling')
        .replace('refuted: [bad-deploy, process-model-ceiling]', 'refuted: [bad-deploy]');
      expect(text).toContain('topHypothesis: process-model-ceiling');
      const file = path.join(dir.dir, 'sidecar-cpu-throttling.yaml');
      writeFileSync(file, text);
      const r = await runCli(['--scenario', file, '--exit', '--out', path.join(dir.dir, 'out')], { REDIS_URL: inject('redisUrl') });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain("Diagnosis against the scenario's expectations:");
      expect(r.stdout).toContain('MISMATCH top hypothesis: expected process-model-ceiling, got cpu-throttling');
      expect(r.stderr).toContain("demo: the diagnosis does not match sidecar-cpu-throttling's expectations:");
      // The scenario itself was played: the artifacts are there.
      expect(existsSync(path.join(dir.dir, 'out', 'assessment.json'))).toBe(true);
    } finally {
      dir.cleanup();
    }
  }, 120_000);

  it('exits 1 with the reason when the scenario is invalid', async () => {
    const dir = tmpDir('demo-bad');
    try {
      const file = path.join(dir.dir, 'bad.yaml');
      writeFileSync(file, 'name: Bad Name\ndescription: x\nregion: nowhere\naccountId: "1"\nexpect: { topHypothesis: x }\nalerts: []\n');
      const r = await runCli(['--scenario', file, '--exit', '--out', path.join(dir.dir, 'out')], { REDIS_URL: inject('redisUrl') });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('scenario bad.yaml is invalid');
      expect(r.stderr).toContain('region');
      expect(existsSync(path.join(dir.dir, 'out'))).toBe(false);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('exits 1 naming the Debian package when there is neither REDIS_URL nor a redis-server', async () => {
    const r = await runCli(['--exit', '--scenario', 'scenarios/oom-crashloop-after-deploy.yaml'], { REDIS_URL: '', PATH: '/nonexistent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('install the Debian package redis-server');
  }, 60_000);

  it('exits 2 with the usage on an unknown argument; --help prints it and exits 0', async () => {
    const bad = await runCli(['--frobnicate'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown argument "--frobnicate"');
    expect(bad.stderr).toContain('Usage: npm run demo');
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--scenario <file>');
  }, 60_000);
});

describe('demo runner pieces', () => {
  it('parses arguments with defaults, both --flag value and --flag=value', () => {
    expect(parseArgs([])).toEqual({ scenario: DEFAULT_SCENARIO, exit: false, interactive: false, out: DEFAULT_OUT, help: false });
    expect(parseArgs(['--scenario', 'a.yaml', '--exit', '--out=o', '--log-level', 'warn'])).toEqual({ scenario: 'a.yaml', exit: true, interactive: false, out: 'o', help: false, logLevel: 'warn' });
    expect(parseArgs(['--interactive']).interactive).toBe(true);
    expect(() => parseArgs(['--out'])).toThrow('--out needs a value');
    expect(() => parseArgs(['--log-level', 'loud'])).toThrow('--log-level must be one of');
  });

  it('builds Alertmanager v4 payloads the bot accepts, with a stable fingerprint of the labels', () => {
    const scenario = loadNamedScenario('oom-crashloop-after-deploy');
    const anchor = new Date('2026-03-01T12:00:00Z');
    const alert = alertsInOrder(scenario, anchor)[0];
    if (alert?.source !== 'alertmanager') throw new Error('expected an Alertmanager alert');
    const payload = alertmanagerPayload(alert, anchor);
    const parsed = parseAlertmanagerWebhook(payload);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const a = parsed.payload.alerts[0];
    expect(a?.startsAt).toBe('2026-03-01T11:59:00.000Z');
    expect(a?.labels['alertname']).toBe('KubePodCrashLooping');
    expect(a?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(labelFingerprint({ b: '2', a: '1' })).toBe(labelFingerprint({ a: '1', b: '2' }));
    expect(labelFingerprint({ a: '1' })).not.toBe(labelFingerprint({ a: '2' }));
  });

  it('writes a config the bot validates: responders split into users and groups, the script approvers approve', () => {
    const scenario = loadNamedScenario('flapping-alb-target-response-time');
    const config = ConfigSchema.parse(sandboxConfig(scenario));
    expect(config.routes[0]?.responders).toEqual({ users: ['U0DEVELOP1'], usergroups: ['S0SREPROD1'] });
    expect(config.approvals[0]?.approvers.users).toEqual(['U0APPROVER']);
    expect(config.diagnostics.enabled).toBe(true);
    expect(config.postmortem.timezone).toBe('Europe/Berlin');
    expect(ConfigSchema.parse(sandboxConfig(scenario, { approvers: ['U0X'] })).approvals[0]?.approvers.users).toEqual(['U0X']);
  });

  it('moves the world clock forward only, by the time a compressed step skips', () => {
    let real = 1_000_000;
    const anchor = new Date(1_000_000);
    const clock = worldClock(anchor, 0, () => real);
    real += 2000;
    expect(clock.offsetMs()).toBe(2000);
    clock.advanceTo(300_000);
    expect(clock.offsetMs()).toBe(300_000);
    clock.advanceTo(10_000);
    expect(clock.offsetMs()).toBe(300_000);
    real += 1000;
    expect(clock.now().getTime()).toBe(anchor.getTime() + 301_000);
  });

  it('renders a channel as text: blocks over fallback text, buttons, thread replies beneath their parent', () => {
    const lines = renderChannel(
      [
        { ts: '1700000000.000100', user: 'UBOT', text: 'fallback', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Proposed: rollback' } }, { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' }, action_id: 'proposal_approve', value: 'P1' }, { type: 'button', text: { type: 'plain_text', text: 'Deny' }, action_id: 'proposal_deny', value: 'P1' }] }] },
        { ts: '1700000001.000100', user: 'U1', text: 'plain words' },
        { ts: '1700000002.000100', user: 'UBOT', text: 'a finding', thread_ts: '1700000000.000100' },
      ],
      { UBOT: 'warroom', U1: 'dana' },
    );
    expect(lines).toEqual(['[22:13:20] warroom: == Proposed: rollback ==', '    [Approve] [Deny]', '    ↳ [22:13:22] warroom: a finding', '[22:13:21] dana: plain words']);
  });
});
