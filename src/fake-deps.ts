/**
 * The composition root's in-memory twin (Unleash's createFakeX; DESIGN principle 4): the same ports
 * and the same job registry as createDeps, with in-memory stores, queue, chat and logger and a clock
 * the test moves. Evidence sources and mitigation targets are optional ports, as in production: pass
 * the fakes a test needs (test/support/fake-ports.ts), leave out the rest. Nothing here starts a server.
 */
import { parseConfig, type Config } from './config.js';
import { createMemoryChat, type MemoryChat } from './integrations/memory/chat.js';
import { createMemoryLogger, type MemoryLogger } from './integrations/memory/logger.js';
import { createMemoryQueue, type MemoryJob, type MemoryQueue } from './integrations/memory/queue.js';
import { createMemoryStores } from './integrations/memory/stores.js';
import { slackRenderer } from './integrations/slack/blocks/index.js';
import type { Ports } from './workflows/context.js';
import { JOBS, runJob, type JobDef } from './workflows/jobs/index.js';
import type { AlertmanagerPort, Clock, CloudWatchPort, KubernetesPort, PrometheusPort } from './workflows/ports.js';

export interface FakeDepsOptions {
  /** The YAML config, or a parsed one (default: one catch-all route). */
  config?: string | Config;
  /** Where the clock starts (default 2026-11-21T09:00:00Z). */
  now?: Date | string;
  usergroups?: Record<string, string[]>;
  cloudwatch?: CloudWatchPort;
  kubernetes?: KubernetesPort;
  prometheus?: PrometheusPort;
  alertmanager?: AlertmanagerPort;
  publicUrl?: string;
}

export interface ManualClock extends Clock {
  set(at: Date | number): void;
  advance(ms: number): void;
}

export interface FakeDeps {
  ports: Ports;
  clock: ManualClock;
  chat: MemoryChat;
  queue: MemoryQueue;
  log: MemoryLogger;
  jobs: readonly JobDef[];
  /** Runs the jobs due now, and those they add that are due too. */
  runDue(): Promise<MemoryJob[]>;
  /** Runs jobs for `ms` of clock time: the clock jumps to each next due job until none is due by then. */
  runFor(ms: number): Promise<MemoryJob[]>;
}

export function createManualClock(start: Date | string | number): ManualClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (at) => {
      t = new Date(at).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export const DEFAULT_FAKE_CONFIG = 'routes:\n  - name: default\n';

export function createFakeDeps(opts: FakeDepsOptions = {}): FakeDeps {
  const clock = createManualClock(opts.now ?? '2026-11-21T09:00:00.000Z');
  const now = () => clock.now().getTime();
  const config = typeof opts.config === 'object' ? opts.config : parseConfig(opts.config ?? DEFAULT_FAKE_CONFIG);
  const chat = createMemoryChat({ now, ...(opts.usergroups ? { usergroups: opts.usergroups } : {}) });
  const queue = createMemoryQueue({ jobs: JOBS, now });
  const log = createMemoryLogger();
  const ports: Ports = {
    config,
    ...createMemoryStores({ now }),
    queue,
    chat,
    render: slackRenderer,
    clock,
    log,
    ...(opts.cloudwatch ? { cloudwatch: opts.cloudwatch } : {}),
    ...(opts.kubernetes ? { kubernetes: opts.kubernetes } : {}),
    ...(opts.prometheus ? { prometheus: opts.prometheus } : {}),
    ...(opts.alertmanager ? { alertmanager: opts.alertmanager } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    // The clock does not move while a job runs: verification looks once instead of polling.
    verify: { pollMs: 0, rolloutDeadlineMs: 0 },
  };
  const runDue = () => queue.runDue((job, data, ctx) => runJob(job, ports, data, ctx));
  return {
    ports,
    clock,
    chat,
    queue,
    log,
    jobs: JOBS,
    runDue,
    runFor: async (ms) => {
      const until = now() + ms;
      const ran = await runDue();
      for (let next = queue.nextDue(); next !== undefined && next <= until; next = queue.nextDue()) {
        if (next > now()) clock.set(next);
        ran.push(...(await runDue()));
      }
      if (now() < until) clock.set(until);
      return ran;
    },
  };
}
