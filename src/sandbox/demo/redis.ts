/**
 * A private redis-server for the demo when REDIS_URL is not given: a free loopback port, a temp
 * directory, no persistence, `noeviction` (what BullMQ requires). Missing binary: a clear error.
 */
import net from 'node:net';
import { AppError } from '../../errors.js';
import { findBinary, freePort, makeTempDir, removeDir, spawnServer } from '../prometheus/proc.js';

export const REDIS_DEBIAN_PACKAGE = 'redis-server';

export interface SandboxRedis {
  url: string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.once('error', () => done(false));
  });
}

export async function startSandboxRedis(opts: { readyTimeoutMs?: number } = {}): Promise<SandboxRedis> {
  const bin = findBinary('redis-server');
  if (!bin) throw new AppError('config', `redis-server not found on PATH and REDIS_URL is not set: install the Debian package ${REDIS_DEBIAN_PACKAGE} (apt-get install ${REDIS_DEBIAN_PACKAGE}), or point REDIS_URL at a Redis`);
  const dir = makeTempDir('redis');
  const port = await freePort();
  const server = spawnServer(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction']);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (await ping(port)) break;
    if (server.child.exitCode !== null || server.child.signalCode !== null || Date.now() > deadline) {
      await server.stop();
      removeDir(dir);
      throw new AppError('unavailable', `redis-server did not start on port ${port}:\n${server.output().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopped ??= server.stop().finally(() => removeDir(dir));
      return stopped;
    },
  };
}
