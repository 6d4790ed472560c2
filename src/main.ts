/**
 * Entry: loadConfig -> createDeps -> start roles (web, worker) -> ordered shutdown with a deadline.
 */
import { loadAll } from './config.js';
import { closeDeps, createDeps, startHealthOnly, startWeb, startWorker, type Deps, type WebRole, type WorkerRole } from './deps.js';
import { createLogger } from './logger.js';

export interface Running {
  deps: Deps;
  web?: WebRole;
  worker?: WorkerRole;
  /**
   * Ordered shutdown; resolves `true` when it completed, `false` when it hit the hard deadline
   * (SHUTDOWN_TIMEOUT_MS + SHUTDOWN_MARGIN_MS) because something hung, e.g. an unreachable Redis.
   */
  shutdown(reason: string): Promise<boolean>;
}

/** Past the drain deadline, this long is left for closing queues and connections before giving up. */
export const SHUTDOWN_MARGIN_MS = 5_000;

export async function start(env: NodeJS.ProcessEnv = process.env, overrides: Parameters<typeof createDeps>[3] = {}): Promise<Running> {
  const { env: parsed, config } = loadAll(env);
  const logger = createLogger({ level: parsed.LOG_LEVEL });
  const deps = createDeps(parsed, config, logger, overrides);
  // A worker-only process still serves /healthz, /readyz and /metrics for its probes.
  const web = parsed.SERVICES.includes('web') ? await startWeb(deps) : await startHealthOnly(deps);
  const worker = parsed.SERVICES.includes('worker') ? startWorker(deps) : undefined;
  let stopping: Promise<boolean> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      const deadline = parsed.SHUTDOWN_TIMEOUT_MS;
      logger.info({ reason, deadlineMs: deadline }, 'shutting down: intake first, then workers, then connections');
      const ordered = (async () => {
        await web?.stop(Math.min(5_000, deadline));
        await worker?.stop(deadline);
        await closeDeps(deps);
        return true;
      })();
      // Whatever hangs (a Redis that went away, a stuck socket), the shutdown ends at the hard deadline.
      let timer: NodeJS.Timeout | undefined;
      const hard = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadline + SHUTDOWN_MARGIN_MS);
        timer.unref();
      });
      const clean = await Promise.race([ordered, hard]).catch((e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        return false;
      });
      if (timer) clearTimeout(timer);
      if (clean) logger.info('shutdown complete');
      else logger.error({ deadlineMs: deadline + SHUTDOWN_MARGIN_MS }, 'shutdown did not complete before the hard deadline; exiting anyway');
      logger.flush?.();
      return clean;
    })();
    return stopping;
  };
  return { deps, ...(web ? { web } : {}), ...(worker ? { worker } : {}), shutdown };
}

async function cli(): Promise<void> {
  let running: Running;
  try {
    running = await start();
  } catch (e) {
    // Config errors list every problem; print them plainly and exit non-zero.
    console.error(`warroom failed to start:\n${(e as Error).message}`);
    process.exit(1);
  }
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void running.shutdown(sig).then((clean) => process.exit(clean ? 0 : 1));
    });
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void cli();
