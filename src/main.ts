/**
 * Entry: loadConfig -> createDeps -> start roles (web, worker) -> ordered shutdown with a deadline.
 */
import { loadAll } from './config.js';
import { closeDeps, createDeps, startHealthOnly, startWeb, startWorker, type Deps, type WebRole, type WorkerRole } from './deps.js';
import { createLogger } from './logger.js';
import { wireStages } from './stages.js';

export interface Running {
  deps: Deps;
  web?: WebRole;
  worker?: WorkerRole;
  shutdown(reason: string): Promise<void>;
}

export async function start(env: NodeJS.ProcessEnv = process.env, overrides: Parameters<typeof createDeps>[3] = {}): Promise<Running> {
  const { env: parsed, config } = loadAll(env);
  const logger = createLogger({ level: parsed.LOG_LEVEL });
  const deps = wireStages(createDeps(parsed, config, logger, overrides));
  // A worker-only process still serves /healthz, /readyz and /metrics for its probes.
  const web = parsed.SERVICES.includes('web') ? await startWeb(deps) : await startHealthOnly(deps);
  const worker = parsed.SERVICES.includes('worker') ? startWorker(deps) : undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      const deadline = parsed.SHUTDOWN_TIMEOUT_MS;
      logger.info({ reason, deadlineMs: deadline }, 'shutting down: intake first, then workers, then connections');
      await web?.stop(Math.min(5_000, deadline));
      await worker?.stop(deadline);
      await closeDeps(deps);
      logger.info('shutdown complete');
      logger.flush?.();
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
      void running.shutdown(sig).then(() => process.exit(0));
    });
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void cli();
