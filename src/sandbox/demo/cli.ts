/**
 * `npm run demo -- --scenario <file> [--exit] [--out <dir>]`: plays a scenario against the real bot
 * in a sandbox (Slack, CloudWatch and Kubernetes emulated; Redis real; Prometheus real when installed,
 * else the sandbox's stand-in of its HTTP API), prints the incident channel's transcript and writes
 * the artifacts to the output directory. It judges the diagnosis against the scenario's `expect`
 * block (judge.ts). With `--exit` it stops afterwards (exit code 1 when the scenario could not be
 * played, a milestone timed out, or the diagnosis does not match its expectations);
 * without, it keeps the sandbox running and prints where to look, until Ctrl-C.
 */
import { startViewer } from '../viewer/index.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import { loadNamedScenario, loadScenario } from '../scenario/loader.js';
import { writeSandboxEndpoints } from './endpoints.js';
import { judge } from './judge.js';
import { playScenario, writeArtifacts, type PlayResult } from './runner.js';
import { scriptApprovers, startWorld, type World } from './world.js';

export const DEFAULT_SCENARIO = 'scenarios/flapping-alb-target-response-time.yaml';
export const DEFAULT_OUT = '.demo-out';

export interface CliArgs {
  scenario: string;
  exit: boolean;
  /** Keep the sandbox running and leave approvals and commands to the person in the viewer. */
  interactive: boolean;
  out: string;
  help: boolean;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const USAGE = `Usage: npm run demo -- [--scenario <file>] [--exit | --interactive] [--out <dir>]

Plays an incident scenario against warroom in a sandbox: Slack, CloudWatch and Kubernetes are
emulated, Redis is real (REDIS_URL, or a private redis-server), Prometheus is the real binary when
installed, else the sandbox's stand-in of its HTTP API (WARROOM_SANDBOX_PROMETHEUS=binary|standin
forces one). Prints the incident channel's transcript and writes to the output directory:
sandbox.json (as soon as the world is up: a kubeconfig for kubectl, the CloudWatch endpoint for
aws --endpoint-url, the Prometheus, viewer and bot URLs), transcript.txt, transcript.json (every
Slack Web API call), assessment.json, timeline.json and, when the scenario resolves, postmortem.md.

By default the play is paced for a person: the alert arrives, the channel opens, the diagnosis
unfolds, and the proposal card waits for you to click Approve in the viewer (the printed URL; the
page acts as the scenario's approver). Execution, verification and resolution follow your click.

Options:
  --scenario <file>   scenario file, or the name of a shipped one (default ${DEFAULT_SCENARIO})
  --exit              play the whole script unattended (the approval included: CI) and stop
                      when it is played; exit 1 if it could not be played or
                      the diagnosis does not match the scenario's expect block (top hypothesis,
                      refuted, must include, the expected proposal or none)
  --interactive       play the alerts, then leave the script to you: approve, deny and type
                      /incident commands in the viewer (the sandbox keeps running)
  --out <dir>         output directory (default ${DEFAULT_OUT})
  --log-level <lvl>   the bot's log level (default silent)
  --help              this help

Without --exit the sandbox keeps running with a viewer of the Slack workspace at the printed URL
(its buttons and slash commands reach the bot as signed Slack requests); Ctrl-C stops everything.`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Parses argv (without node and the script); throws with a message on bad arguments. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { scenario: DEFAULT_SCENARIO, exit: false, interactive: false, out: DEFAULT_OUT, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i += 1;
      return v;
    };
    switch (flag) {
      case '--scenario':
        args.scenario = take();
        break;
      case '--out':
        args.out = take();
        break;
      case '--exit':
        args.exit = true;
        break;
      case '--interactive':
        args.interactive = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--log-level': {
        const l = take();
        const level = LEVELS.find((x) => x === l);
        if (!level) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
        args.logLevel = level;
        break;
      }
      default:
        throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return args;
}

function printResult(result: PlayResult, files: string[]): void {
  console.log('');
  console.log(result.transcript.length ? result.transcript.join('\n') : '(no incident channel was opened)');
  console.log('');
  const top = result.assessment?.hypotheses[0];
  if (top) console.log(`Top hypothesis: ${top.id.replace(/^hypothesis:/, '')} (${top.verdict}) — ${top.explanation}`);
  for (const p of result.proposals) console.log(`Proposal ${p.id}: ${p.mitigation.kind} ${JSON.stringify(p.mitigation)} — ${p.status}${p.outcome ? ` (${p.outcome})` : ''}`);
  console.log(`Wrote ${files.map((f) => path.relative(process.cwd(), f) || f).join(', ')}`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`demo: ${errorMessage(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let world: World;
  try {
    // A path, or the name of a shipped scenario (also when run from another directory).
    const scenario = existsSync(args.scenario) ? loadScenario(args.scenario) : loadNamedScenario(args.scenario === DEFAULT_SCENARIO ? path.basename(DEFAULT_SCENARIO, '.yaml') : args.scenario);
    console.log(`Scenario ${scenario.name}: ${scenario.description}`);
    world = await startWorld({ scenario, ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}), ...(args.logLevel ? { logLevel: args.logLevel } : {}) });
  } catch (e) {
    console.error(`demo: cannot start the sandbox: ${errorMessage(e)}`);
    return 1;
  }

  if (args.exit && args.interactive) {
    console.error(`demo: --exit and --interactive exclude each other\n\n${USAGE}`);
    await world.stop();
    return 2;
  }
  // The viewer comes up first, so a person can watch the channel open. It acts as the scenario's
  // approver (the approval policy of the sandbox names the script's approvers), so the person's
  // Approve counts; the user picker on the page switches to anyone else.
  const humans = world.slack.users().filter((u) => !u.isBot && u.id !== world.slack.botUserId);
  const actAs = scriptApprovers(world.scenario).find((id) => humans.some((u) => u.id === id)) ?? humans[0]?.id ?? world.slack.users()[0]?.id ?? 'U0ONCALL1';
  const viewer = args.exit ? undefined : await startViewer({ slack: world.slack, actAs });
  const userName = (id: string) => world.slack.users().find((u) => u.id === id)?.name ?? id;
  if (viewer) {
    console.log(`Viewer of the sandbox Slack workspace: ${viewer.url}  (acting as @${userName(actAs)})`);
    if (!args.interactive) console.log(`Open it now to watch the incident unfold; when the proposal card comes, click Approve there.`);
  }
  // Real clients (kubectl, the AWS CLI, a browser) find the world here while the script plays.
  try {
    console.log(`Sandbox endpoints: ${writeSandboxEndpoints(world, args.out, viewer?.url)}`);
  } catch (e) {
    console.error(`demo: cannot write the sandbox endpoints to ${args.out}: ${errorMessage(e)}`);
    await viewer?.stop();
    await world.stop().catch(() => undefined);
    return 1;
  }

  // Without --exit, Ctrl-C stops the sandbox cleanly at any point: while the play waits for the
  // person's Approve as much as afterwards.
  const interrupted = args.exit
    ? undefined
    : new Promise<'interrupted'>((resolve) => {
        const stop = () => resolve('interrupted');
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
  const stopSandbox = async (): Promise<number> => {
    console.log('\nstopping the sandbox…');
    try {
      await viewer?.stop();
      await world.stop();
    } catch (e) {
      console.error(`demo: ${errorMessage(e)}`);
      return 1;
    }
    return 0;
  };

  let code = 0;
  try {
    const paced = viewer && !args.interactive ? { person: { viewerUrl: viewer.url, userName } } : {};
    const playing = playScenario(world, { onLog: (l) => console.log(l), skipScript: args.interactive, attendInBackground: args.interactive, ...paced });
    const first = interrupted ? await Promise.race([playing, interrupted]) : await playing;
    if (first === 'interrupted') {
      // The play is abandoned where it waits; its collection would only read a stopping world.
      playing.catch(() => undefined);
      return await stopSandbox();
    }
    const result = first;
    const files = writeArtifacts(result, path.resolve(args.out));
    printResult(result, files);
    if (result.failure) {
      console.error(`demo: the scenario could not be played to the end: ${result.failure}`);
      code = 1;
    }
    // The diagnosis against what the scenario expects; with --exit a mismatch fails the run.
    const verdict = judge(world.scenario.expect, result.assessment);
    console.log(`\nDiagnosis against the scenario's expectations:\n${verdict.lines.map((l) => `  ${l}`).join('\n')}`);
    if (!verdict.ok) {
      console.error(`demo: the diagnosis does not match ${world.scenario.name}'s expectations:\n${verdict.lines.filter((l) => l.startsWith('MISMATCH')).map((l) => `  ${l}`).join('\n')}`);
      if (args.exit) code = 1;
    }
  } catch (e) {
    console.error(`demo: ${errorMessage(e)}`);
    code = 1;
  }

  if (args.exit) {
    try {
      await world.stop();
    } catch (e) {
      console.error(`demo: ${errorMessage(e)}`);
      code = code || 1;
    }
    return code;
  }

  console.log(`
The sandbox keeps running (Ctrl-C to stop):
  Viewer                 ${viewer?.url ?? '—'}  (approve, deny and /incident from the browser)
  Slack emulator state   ${world.slack.baseUrl}/_sandbox/state
  Slack Web API          ${world.slack.apiUrl}
  warroom                ${world.botUrl}  (/healthz, /metrics)
  post-mortem, timeline  ${world.botUrl}/incidents/<id>/postmortem.md, timeline.json (Authorization: Bearer ${world.apiToken})
  CloudWatch emulator    ${world.cloudwatch.endpoint}
  Kubernetes emulator    ${world.kubernetes.url}${world.prometheus ? `\n  Prometheus             ${world.prometheus.url}${world.prometheus.kind === 'standin' ? '  (stand-in: the HTTP API only)' : ''}` : ''}
  Redis                  ${world.redisUrl} (keys ${world.prefix}*)`);
  await interrupted;
  return (await stopSandbox()) || code;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href;
if (isEntry) {
  void main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`demo: ${errorMessage(e)}`);
      process.exit(1);
    },
  );
}
