/**
 * A real Prometheus (Debian package `prometheus`, which also ships `promtool`) holding backfilled
 * series, for tests and the demo. The series are written as OpenMetrics, turned into TSDB blocks
 * with `promtool tsdb create-blocks-from openmetrics`, and Prometheus is started on that data
 * directory (it loads the blocks present at start) with no scrape targets and a 100y retention so
 * samples hours or days in the past stay queryable.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { writeOpenMetrics, type BackfillSeries } from './openmetrics.js';
import { findBinary, makeTempDir, removeDir, requireBinary, runToCompletion, spawnServer, startOnFreePort } from './proc.js';

export const PROMETHEUS_DEBIAN_PACKAGE = 'prometheus';

export interface StartPrometheusOptions {
  series?: BackfillSeries[];
  /** Directory holding `prometheus` and `promtool`; default: PATH. */
  binDir?: string;
  /** --storage.tsdb.retention.time; default 100y so old backfilled blocks are never dropped. */
  retention?: string;
  /** Fixed port (default: a free one). Always bound on 127.0.0.1. */
  port?: number;
  readyTimeoutMs?: number;
}

export interface PrometheusServer {
  /** `binary`: the real Prometheus; `standin`: the sandbox's own answer of its HTTP API (./standin). */
  kind: 'binary' | 'standin';
  url: string;
  port: number;
  /** The TSDB directory (the real binary only). */
  dataDir?: string;
  /** Prometheus's log so far (for failure messages). */
  output(): string;
  /** Stops the process and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Whether both `prometheus` and `promtool` are installed (in `binDir`, else on PATH). */
export function prometheusAvailable(binDir?: string): boolean {
  return findBinary('prometheus', binDir) !== undefined && findBinary('promtool', binDir) !== undefined;
}

export function prometheusInstallHint(): string {
  return `Prometheus is not installed: apt-get install ${PROMETHEUS_DEBIAN_PACKAGE} (provides /usr/bin/prometheus and /usr/bin/promtool)`;
}

/** A Prometheus config with no scrape targets and no rules: the TSDB is all there is. */
export const EMPTY_CONFIG = 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nscrape_configs: []\n';

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const retention = opts.retention ?? '100y';
  if (!DURATION.test(retention)) throw new AppError('bad_request', `invalid retention ${JSON.stringify(retention)}`);
  const prometheus = requireBinary('prometheus', PROMETHEUS_DEBIAN_PACKAGE, opts.binDir);
  const promtool = requireBinary('promtool', PROMETHEUS_DEBIAN_PACKAGE, opts.binDir);

  const dir = makeTempDir('prometheus');
  const dataDir = path.join(dir, 'data');
  try {
    const text = writeOpenMetrics(opts.series ?? []);
    if (text !== '# EOF\n') {
      const file = path.join(dir, 'backfill.om');
      writeFileSync(file, text);
      await runToCompletion(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], 300_000);
    }
    const configFile = path.join(dir, 'prometheus.yml');
    writeFileSync(configFile, EMPTY_CONFIG);

    const { server, port } = await startOnFreePort(
      'prometheus',
      (p) =>
        spawnServer(prometheus, [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--storage.tsdb.retention.time=${retention}`,
          `--web.listen-address=127.0.0.1:${p}`,
          `--web.external-url=http://127.0.0.1:${p}`,
        ]),
      '/-/ready',
      opts.readyTimeoutMs ?? 30_000,
      opts.port,
    );
    let stopped: Promise<void> | undefined;
    return {
      kind: 'binary',
      url: `http://127.0.0.1:${port}`,
      port,
      dataDir,
      output: server.output,
      stop() {
        stopped ??= server.stop().finally(() => removeDir(dir));
        return stopped;
      },
    };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}
