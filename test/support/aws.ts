/**
 * The real AWS clients nobody here wrote, for the conformance suites: the `aws` CLI (botocore)
 * and `moto_server`. Both are installed with pip on machines of this kind; a missing one FAILS the
 * suite with the install line, it never skips.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { execFile } from 'node:child_process';
import { requireTool } from './binaries.js';
import { freePort, startProc, waitForPort } from './procs.js';

export const AWS_CLI_INSTALL = 'python3 -m pip install awscli  (the AWS CLI v1 with botocore)';
export const MOTO_INSTALL = "python3 -m pip install 'moto[server]'  (provides moto_server)";

export { requireTool };

/** Dummy credentials and a region, nothing from the user's own AWS configuration, no retries, no IMDS. */
export function awsEnv(region = 'us-east-1'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_RETRY_MODE: 'standard',
    AWS_CONFIG_FILE: '/nonexistent/warroom-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/warroom-aws-credentials',
    AWS_PAGER: '',
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws --endpoint-url <endpoint> --output json cloudwatch <args...>`. */
export function awsCloudWatch(bin: string, endpoint: string, args: string[], region = 'us-east-1'): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, ['--endpoint-url', endpoint, '--output', 'json', 'cloudwatch', ...args], { env: awsEnv(region), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON a successful command printed; throws with its stderr otherwise. */
export function jsonOf<T>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`aws exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The CLI's error line, without botocore's retry note ` (reached max retries: 0)` (retries are off in these suites). */
export function errorLine(r: CliResult): string {
  return r.stderr.trim().replace(/ \(reached max retries: \d+\)/, '');
}

export interface MotoServer {
  endpoint: string;
  /** A CloudWatch client for it: dummy credentials, no retries, no request compression (moto 5.2 fails gzip bodies). */
  client: CloudWatchClient;
  stop(): Promise<void>;
}

/** `moto_server` on a free loopback port (fails with the install line when it is missing). */
export async function startMoto(region = 'us-east-1'): Promise<MotoServer> {
  const bin = requireTool('moto_server', MOTO_INSTALL);
  const port = await freePort();
  const proc = startProc(bin, ['-H', '127.0.0.1', '-p', String(port)]);
  await waitForPort(port, 30_000).catch(async (e: unknown) => {
    await proc.stop();
    throw new Error(`moto_server did not listen on ${port}: ${String(e)}\n${proc.output()}`);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new CloudWatchClient({ region, endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1, disableRequestCompression: true });
  return { endpoint, client, stop: () => proc.stop() };
}
