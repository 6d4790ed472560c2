import { freePort, startProc, tmpDir, waitForPort, type Proc } from './procs.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts again on the same port and data dir (AOF keeps the data when `aof`). */
  restart(downMs?: number): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** A private redis-server on a free loopback port (Debian package redis-server). */
export async function startRedis(opts: { aof?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const { dir, cleanup } = tmpDir('redis');
  let proc: Proc | undefined;
  const start = async () => {
    proc = startProc('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
      '--appendonly', opts.aof ? 'yes' : 'no', '--appendfsync', 'always',
      '--maxmemory-policy', 'noeviction',
    ]);
    await waitForPort(port);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      await proc?.stop();
      cleanup();
    },
    async kill() {
      await proc?.stop('SIGTERM');
    },
    async restart(downMs = 0) {
      await proc?.stop('SIGTERM');
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
  };
}
