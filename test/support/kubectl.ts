/**
 * The real kubectl (Debian package `kubectl`, v1.32 on machines of this kind) against a Kubernetes
 * API emulator, through a kubeconfig file, with its own HOME and discovery cache so runs never
 * share state. A missing kubectl is a failure with the install line, never a skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { KubernetesEmulator } from '../../src/sandbox/kubernetes/server.js';
import { requireBinary } from './binaries.js';
import { tmpDir, waitFor } from './procs.js';

/** kubectl on PATH, or an Error naming the package to install (apt-get install kubectl): never a skip. */
export function kubectlPath(): string {
  return requireBinary('kubectl', 'kubectl');
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  kubeconfig: string;
  run(...args: string[]): Promise<KubectlResult>;
  /** Runs and fails with kubectl's own words unless it exits 0. */
  ok(...args: string[]): Promise<string>;
  /** A long-running kubectl (`get -w`); stop() ends it and returns what it printed. */
  start(...args: string[]): { output(): string; stop(): Promise<string>; child: ChildProcess };
  cleanup(): void;
}

/** A kubectl bound to one emulator (namespace `prod` by default), with a private HOME and cache. */
export function kubectlFor(emu: KubernetesEmulator, opts: { namespace?: string } = {}): Kubectl {
  const bin = kubectlPath();
  const { dir, cleanup } = tmpDir('kubectl');
  const kubeconfig = path.join(dir, 'kubeconfig');
  emu.writeKubeconfig(kubeconfig, { namespace: opts.namespace ?? 'prod' });
  const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(dir, 'cache') };
  const run = (...args: string[]): Promise<KubectlResult> =>
    new Promise((resolve) => {
      execFile(bin, args, { env, timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err && typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : err ? 1 : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return {
    kubeconfig,
    run,
    async ok(...args: string[]): Promise<string> {
      const r = await run(...args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    start(...args: string[]) {
      const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      return {
        child,
        output: () => out,
        stop: () =>
          new Promise<string>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(out);
            child.once('exit', () => resolve(out));
            child.kill('SIGTERM');
          }),
      };
    },
    cleanup,
  };
}

/** The rows of kubectl's table output, split on runs of two or more spaces (cells may hold one space). */
export function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => l.trim().split(/\s{2,}/));
}

export { waitFor };
