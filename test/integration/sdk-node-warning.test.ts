/**
 * Quiet logs: the AWS SDK's NodeVersionSupportWarning (Node < 22) is switched off deliberately by the
 * CloudWatch adapter through the SDK's documented switch, and only that warning: another process
 * warning in the same process is still printed. Run in a child process, as the bot and the demo run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = `
import { createCloudWatchAdapter } from './src/integrations/cloudwatch/adapter.ts';
const cw = createCloudWatchAdapter({ endpoint: 'http://127.0.0.1:1', clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 } });
try { await cw.describeAlarm('eu-west-1', 'any'); } catch {}
process.emitWarning('an unrelated warning', 'OtherWarning');
`;

function runChild(env: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(stderr));
  });
}

describe("the AWS SDK's Node version warning", () => {
  it('does not appear when the adapter makes its client; other warnings still do', async () => {
    const stderr = await runChild({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('OtherWarning: an unrelated warning');
  }, 60_000);

  it('an operator who sets the switch to false sees it again (on Node < 22, where the SDK warns)', async () => {
    const stderr = await runChild({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) expect(stderr).toContain('NodeVersionSupportWarning');
    else expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('OtherWarning: an unrelated warning');
  }, 60_000);
});
