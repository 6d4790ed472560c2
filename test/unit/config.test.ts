import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAll, loadConfigFile, parseConfig, parseDuration, parseEnv } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { tmpDir } from '../support/procs.js';

const MIN_ENV = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', WARROOM_CONFIG: '/etc/warroom.yaml' };
const MIN_YAML = 'routes:\n  - name: default\n';

function configError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('config');
    return e as AppError;
  }
  throw new Error('expected a config error');
}

describe('durations', () => {
  it('parse ms, s, m, h, d, decimals and plain numbers', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(' 30 m ')).toBe(1_800_000);
    expect(parseDuration(1234)).toBe(1234);
  });

  it('refuse anything else with the value in the message', () => {
    for (const bad of ['15', 'm', '15 minutes', '-5m', '1w', '', 'PT15M']) expect(() => parseDuration(bad), bad).toThrow(`invalid duration "${bad}"`);
  });

  it('apply inside the YAML config (cadence, reopen window, expiry, check timeout)', () => {
    const c = parseConfig(`
routes:
  - name: r
    reopenWindow: 90s
status:
  cadence: { SEV1: 5m, SEV3: 2s }
approvals:
  - name: a
    approvers: { users: [U1] }
    expiry: 1h
postmortem: { reminderAfter: 1d }
diagnostics: { checkTimeout: 1500ms }
`);
    expect(c.routes[0]?.reopenWindow).toBe(90_000);
    expect(c.status.cadence).toEqual({ SEV1: 300_000, SEV3: 2000 });
    expect(c.approvals[0]?.expiry).toBe(3_600_000);
    expect(c.postmortem.reminderAfter).toBe(86_400_000);
    expect(c.diagnostics.checkTimeout).toBe(1500);
  });
});

describe('environment', () => {
  it('applies the defaults', () => {
    const env = parseEnv(MIN_ENV);
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
      SERVICES: ['web', 'worker'],
      KUBERNETES: 'auto',
      SHUTDOWN_TIMEOUT_MS: 25_000,
      BODY_LIMIT_BYTES: 1_048_576,
      SNS_TOPIC_ARNS: [],
    });
    expect(env.WARROOM_API_TOKEN).toBeUndefined();
    expect(env.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('parses numbers, lists and treats empty strings as unset', () => {
    const env = parseEnv({ ...MIN_ENV, PORT: '8080', SERVICES: 'worker', SNS_TOPIC_ARNS: 'arn:a, arn:b,,', WARROOM_API_TOKEN: '', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    expect(env.PORT).toBe(8080);
    expect(env.SERVICES).toEqual(['worker']);
    expect(env.SNS_TOPIC_ARNS).toEqual(['arn:a', 'arn:b']);
    expect(env.WARROOM_API_TOKEN).toBeUndefined();
    expect(env.SLACK_API_URL).toBe('http://127.0.0.1:9/api/');
  });

  it('requires SLACK_SIGNING_SECRET unless SLACK_APP_TOKEN (Socket Mode) is set', () => {
    const { SLACK_SIGNING_SECRET: _s, ...noSecret } = MIN_ENV;
    const e = configError(() => parseEnv(noSecret));
    expect(e.message).toContain('SLACK_SIGNING_SECRET: is required unless SLACK_APP_TOKEN');
    expect(configError(() => parseEnv({ ...noSecret, SLACK_SIGNING_SECRET: '' })).message).toContain('SLACK_SIGNING_SECRET');
    const socket = parseEnv({ ...noSecret, SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.SLACK_APP_TOKEN).toBe('xapp-1');
    expect(socket.SLACK_SIGNING_SECRET).toBeUndefined();
  });

  it('lists every bad variable in one error', () => {
    const e = configError(() =>
      parseEnv({ PORT: '70000', REDIS_URL: 'not a url', LOG_LEVEL: 'loud', SERVICES: 'web,cron', KUBERNETES: 'maybe', SLACK_API_URL: 'https://slack.com/api', SHUTDOWN_TIMEOUT_MS: '-1' }),
    );
    for (const name of ['PORT', 'REDIS_URL', 'LOG_LEVEL', 'SERVICES', 'KUBERNETES', 'SLACK_API_URL', 'SHUTDOWN_TIMEOUT_MS', 'SLACK_BOT_TOKEN', 'WARROOM_CONFIG']) {
      expect(e.message, name).toMatch(new RegExp(`^\\s*${name}(\\.\\d+)?: `, 'm'));
    }
    expect(e.message).toContain('must be an http(s) URL ending with "/"');
  });
});

describe('YAML config', () => {
  it('applies the defaults to a minimal config', () => {
    const c = parseConfig(MIN_YAML);
    const r = c.routes[0];
    expect(r?.match).toEqual({ labels: {} });
    expect(r?.key).toEqual({ by: 'labels', labels: ['alertname', 'namespace', 'service'] });
    expect(r?.severity.default).toBe('SEV3');
    expect(r?.severity.map['critical']).toBe('SEV1');
    expect(r?.reopenWindow).toBe(30 * 60_000);
    expect(r?.autoResolve).toBe(false);
    expect(r?.channel.template).toBe('{id}-{service}-{symptom}');
    expect(c.status.cadence).toEqual({ SEV1: 900_000, SEV2: 1_800_000, SEV3: 3_600_000 });
    expect(c.timeline.reaction).toBe('pushpin');
    expect(c.postmortem).toEqual({ timezone: 'UTC', reminderAfter: 48 * 3_600_000 });
    expect(c.archive.afterDays).toBe(0);
    expect(c.diagnostics).toEqual({ enabled: true, checkTimeout: 20_000, attempts: 3 });
    expect(c.approvals).toEqual([]);
  });

  it('lists every bad key in one error, with its path', () => {
    const e = configError(() =>
      parseConfig(
        `
routes:
  - name: ""
    key: { by: hostname }
    reopenWindow: soon
    severity: { default: SEV9 }
  - name: ok
    autoResolve: "yes"
status:
  cadence: { SEV1: fast }
postmortem: { timezone: Mars/Olympus }
approvals:
  - name: a
    approvers: { users: [U1] }
    requiredApprovals: 0
    actions: [reboot]
diagnostics: { attempts: 11 }
archive: { afterDays: -1 }
`,
        'warroom.yaml',
      ),
    );
    expect(e.message).toMatch(/^invalid warroom\.yaml:/);
    for (const p of ['routes.0.name', 'routes.0.key.by', 'routes.0.reopenWindow', 'routes.0.severity.default', 'routes.1.autoResolve', 'status.cadence.SEV1', 'postmortem.timezone', 'approvals.0.requiredApprovals', 'approvals.0.actions.0', 'diagnostics.attempts', 'archive.afterDays']) {
      expect(e.message, p).toContain(`\n  ${p}: `);
    }
    expect(e.message).toContain('invalid duration "soon"');
    expect(e.message).toContain('unknown time zone "Mars/Olympus"');
  });

  it('refuses a config without routes, invalid YAML and an unknown time zone', () => {
    expect(configError(() => parseConfig('status: {}')).message).toContain('routes: ');
    expect(configError(() => parseConfig('routes: []')).message).toContain('needs at least one route');
    expect(configError(() => parseConfig('')).message).toContain('routes');
    expect(configError(() => parseConfig('routes: [\n  - name: x', 'bad.yaml')).message).toMatch(/bad\.yaml: not valid YAML/);
    expect(configError(() => parseConfig(`${MIN_YAML}postmortem: { timezone: Mars/Olympus }`)).message).toContain('unknown time zone "Mars/Olympus"');
    expect(parseConfig(`${MIN_YAML}postmortem: { timezone: Europe/Berlin }`).postmortem.timezone).toBe('Europe/Berlin');
  });

  it('parses the shipped example config/warroom.example.yaml', () => {
    const file = path.resolve('config/warroom.example.yaml');
    const c = loadConfigFile(file);
    expect(c.routes.map((r) => r.name)).toEqual(['cloudwatch', 'default']);
    expect(c.routes[0]?.key.by).toBe('alarm');
    expect(c.routes[1]?.autoResolve).toBe(true);
    expect(c.status.cadence).toEqual({ SEV1: 900_000, SEV2: 1_800_000, SEV3: 3_600_000 });
    expect(c.approvals.map((a) => a.name)).toEqual(['production', 'everything-else']);
    expect(c.approvals[0]?.protected).toBe(true);
    expect(c.postmortem.timezone).toBe('Europe/Berlin');
    // parseConfig of the same text agrees with the file loader.
    expect(parseConfig(readFileSync(file, 'utf8'))).toEqual(c);
  });

  it('loadAll lists env and YAML problems together, and names an unreadable file', () => {
    const { dir, cleanup } = tmpDir('config');
    try {
      const file = path.join(dir, 'warroom.yaml');
      writeFileSync(file, 'routes:\n  - name: r\n    reopenWindow: later\n');
      const e = configError(() => loadAll({ WARROOM_CONFIG: file, SLACK_BOT_TOKEN: 'xoxb-1', PORT: 'eighty' }));
      expect(e.message).toContain('PORT: ');
      expect(e.message).toContain('SLACK_SIGNING_SECRET: ');
      expect(e.message).toContain('routes.0.reopenWindow: invalid duration "later"');
      const missing = configError(() => loadAll({ ...MIN_ENV, WARROOM_CONFIG: path.join(dir, 'nope.yaml') }));
      expect(missing.message).toContain(`cannot read WARROOM_CONFIG ${path.join(dir, 'nope.yaml')}`);
      writeFileSync(file, MIN_YAML);
      const ok = loadAll({ ...MIN_ENV, WARROOM_CONFIG: file });
      expect(ok.config.routes[0]?.name).toBe('default');
      expect(ok.env.WARROOM_CONFIG).toBe(file);
    } finally {
      cleanup();
    }
  });
});
