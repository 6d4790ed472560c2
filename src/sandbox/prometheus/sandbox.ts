/**
 * Which Prometheus the sandbox runs: the real binary when installed, else the stand-in that answers
 * the same HTTP API from the same series (./standin). `WARROOM_SANDBOX_PROMETHEUS` forces one:
 *   auto (default)  the binary when `prometheus` and `promtool` are on PATH, else the stand-in
 *   binary          the binary, or an error naming the Debian package
 *   standin         the stand-in, even where the binary is installed
 */
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { prometheusAvailable, prometheusInstallHint, startPrometheus, type PrometheusServer, type StartPrometheusOptions } from './process.js';
import { startPrometheusStandin } from './standin/server.js';

export const PROMETHEUS_MODE_ENV = 'WARROOM_SANDBOX_PROMETHEUS';
export const PrometheusMode = z.enum(['auto', 'binary', 'standin']);
export type PrometheusMode = z.infer<typeof PrometheusMode>;

/** The mode asked for in the environment (default auto); an unknown value is a config error. */
export function prometheusMode(env: NodeJS.ProcessEnv = process.env): PrometheusMode {
  const raw = env[PROMETHEUS_MODE_ENV];
  if (raw === undefined || raw === '') return 'auto';
  const parsed = PrometheusMode.safeParse(raw);
  if (!parsed.success) throw new AppError('config', `${PROMETHEUS_MODE_ENV}=${JSON.stringify(raw)}: expected one of ${PrometheusMode.options.join(', ')}`);
  return parsed.data;
}

/** What `mode` resolves to on this machine. */
export function resolvePrometheusKind(mode: PrometheusMode, binDir?: string): 'binary' | 'standin' {
  if (mode === 'standin') return 'standin';
  if (mode === 'binary') {
    if (!prometheusAvailable(binDir)) throw new AppError('config', `${PROMETHEUS_MODE_ENV}=binary but ${prometheusInstallHint()}`);
    return 'binary';
  }
  return prometheusAvailable(binDir) ? 'binary' : 'standin';
}

export interface SandboxPrometheusOptions extends StartPrometheusOptions {
  /** Default: from WARROOM_SANDBOX_PROMETHEUS (auto). */
  mode?: PrometheusMode;
}

/** Starts the real Prometheus or the stand-in on the given series (see the module comment). */
export async function startSandboxPrometheus(opts: SandboxPrometheusOptions = {}): Promise<PrometheusServer> {
  const kind = resolvePrometheusKind(opts.mode ?? prometheusMode(), opts.binDir);
  if (kind === 'binary') return startPrometheus(opts);
  return startPrometheusStandin({ ...(opts.series ? { series: opts.series } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}) });
}
