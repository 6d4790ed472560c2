/**
 * Process plumbing for the sandbox's real binaries (Prometheus, promtool, Alertmanager): locating
 * them, free loopback ports, starting a server and waiting for its /-/ready, stopping it.
 * Used by the demo runner and by tests (through test/support), so it lives in src, not test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../errors.js';

/** Absolute path of an executable: in `binDir` when given, else the first match on PATH. */
export function findBinary(name: string, binDir?: string): string | undefined {
  const dirs = binDir ? [binDir] : (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function requireBinary(name: string, debianPackage: string, binDir?: string): string {
  const found = findBinary(name, binDir);
  if (!found) throw new AppError('config', `${name} not found${binDir ? ` in ${binDir}` : ' on PATH'}; install the Debian package: apt-get install ${debianPackage}`);
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr && typeof addr === 'object') {
        const { port } = addr;
        srv.close(() => resolve(port));
      } else reject(new Error('no port'));
    });
  });
}

/** Temp dirs not yet removed; removed (after the children are killed) if the process exits first. */
const tempDirs = new Set<string>();

export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), `warroom-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Runs a program to completion (no shell); rejects with its output on failure. */
export function runToCompletion(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new AppError('internal', `${path.basename(file)} failed: ${err.message}\n${stderr.slice(-2000)}`, { cause: err }));
      } else resolve({ stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** The tail of stdout and stderr (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Children still running; killed if this Node process exits without stopping them (a crash, a killed test worker). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort: the child may still hold files for an instant
      }
    }
  });
}
function track(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function spawnServer(file: string, args: string[]): ServerProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (ENOENT) is reported through waitReady; swallow it here so it is not unhandled.
  child.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `url` until it answers 200, the process exits, or the deadline passes. */
export async function waitReady(server: ServerProcess, url: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new AppError('unavailable', `${what} exited before it was ready (code ${String(server.child.exitCode ?? server.child.signalCode)}):\n${server.output().slice(-3000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new AppError('timeout', `${what} not ready after ${timeoutMs} ms:\n${server.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts a server on a free port, retrying with another port when the chosen one was taken in the
 * meantime (the port is only reserved until the child binds it).
 */
export async function startOnFreePort(
  what: string,
  launch: (port: number) => ServerProcess,
  readyPath: string,
  timeoutMs: number,
  port?: number,
): Promise<{ server: ServerProcess; port: number }> {
  const attempts = port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const p = port ?? (await freePort());
    const server = launch(p);
    try {
      await waitReady(server, `http://127.0.0.1:${p}${readyPath}`, what, timeoutMs);
      return { server, port: p };
    } catch (e) {
      lastError = e;
      await server.stop();
      if (!/address already in use/i.test(server.output())) throw e;
    }
  }
  throw lastError;
}
