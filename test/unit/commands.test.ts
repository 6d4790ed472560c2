import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AppError } from '../../src/errors.js';
import { createFakeDeps } from '../../src/fake-deps.js';
import { parseHpaArgs, parseMinutes, parseSeverity, parseTarget, parseUser } from '../../src/handlers/commands/parse.js';
import { COMMANDS, findCommand, helpText, runCommand } from '../../src/handlers/commands/table.js';
import { declareModal } from '../../src/integrations/slack/blocks/declare.js';
import { viewProblems } from '../../src/sandbox/slack/validate.js';
import type { IngestBatch } from '../../src/domain/alert.js';
import { ingestJob } from '../../src/workflows/jobs/ingest.js';
import { tameBroadcasts } from '../../src/workflows/triage.js';

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('argument parsers', () => {
  it('parseSeverity accepts 1-4 with or without "sev", any case; nothing else', () => {
    expect(parseSeverity('1')).toBe('SEV1');
    expect(parseSeverity('sev2')).toBe('SEV2');
    expect(parseSeverity('SEV4')).toBe('SEV4');
    expect(parseSeverity(' Sev3 ')).toBe('SEV3');
    for (const bad of ['0', '5', '7', 'sev', 'sev12', 'high', '', undefined]) expect(parseSeverity(bad), String(bad)).toBeUndefined();
  });

  it('parseUser reads Slack mentions and bare ids', () => {
    expect(parseUser('<@U0LEAD>')).toBe('U0LEAD');
    expect(parseUser('<@U0LEAD|lead>')).toBe('U0LEAD');
    expect(parseUser('W0ENTERPRISE')).toBe('W0ENTERPRISE');
    for (const bad of ['@lead', 'lead', '<#C123>', '<!channel>', 'U1', '', undefined]) expect(parseUser(bad), String(bad)).toBeUndefined();
  });

  it('parseTarget enforces <namespace>/<name> with DNS-1123 rules', () => {
    expect(parseTarget('prod/api', 'deployment')).toEqual({ namespace: 'prod', name: 'api' });
    expect(parseTarget('kube-system/core.dns-1', 'deployment')).toEqual({ namespace: 'kube-system', name: 'core.dns-1' });
    expect(appError(() => parseTarget(undefined, 'deployment')).message).toContain('got “(nothing)”');
    expect(appError(() => parseTarget('api', 'deployment')).message).toContain('expected <namespace>/<deployment>');
    expect(appError(() => parseTarget('a/b/c', 'deployment')).message).toContain('expected <namespace>/<deployment>');
    expect(appError(() => parseTarget('Prod/api', 'deployment')).message).toContain('namespace “Prod”');
    expect(appError(() => parseTarget(`${'n'.repeat(64)}/api`, 'deployment')).message).toContain('not a valid DNS-1123 label');
    expect(appError(() => parseTarget('prod/api-', 'hpa')).message).toContain('hpa name “api-”');
    expect(appError(() => parseTarget(`prod/${'a'.repeat(254)}`, 'deployment')).code).toBe('bad_request');
  });

  it('parseTarget never accepts a name outside DNS-1123 (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (ns, name) => {
        try {
          const t = parseTarget(`${ns}/${name}`, 'deployment');
          return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(t.namespace) && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(t.name);
        } catch (e) {
          return e instanceof AppError && e.code === 'bad_request';
        }
      }),
    );
  });

  it('parseMinutes reads m/min/h/d within 1 minute to 7 days', () => {
    expect(parseMinutes('30m')).toBe(30);
    expect(parseMinutes('45')).toBe(45);
    expect(parseMinutes('2h')).toBe(120);
    expect(parseMinutes('1d')).toBe(1440);
    expect(parseMinutes('7d')).toBe(10_080);
    expect(parseMinutes('15min')).toBe(15);
    expect(appError(() => parseMinutes('soon')).message).toContain('30m, 2h or 1d');
    expect(appError(() => parseMinutes('1.5h')).message).toContain('30m, 2h or 1d');
    expect(appError(() => parseMinutes('0m')).message).toContain('between 1 minute and 7 days');
    expect(appError(() => parseMinutes('8d')).message).toContain('between 1 minute and 7 days');
  });

  it('parseHpaArgs reads min/max/target and refuses contradictions', () => {
    expect(parseHpaArgs(['min=2', 'max=10', 'target=70%'])).toEqual({ minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });
    expect(parseHpaArgs(['max=4'])).toEqual({ maxReplicas: 4 });
    expect(parseHpaArgs(['min=3', 'max=3'])).toEqual({ minReplicas: 3, maxReplicas: 3 });
    expect(appError(() => parseHpaArgs([])).message).toContain('at least one of');
    expect(appError(() => parseHpaArgs(['min=5', 'max=2'])).message).toBe('min (5) must not exceed max (2)');
    expect(appError(() => parseHpaArgs(['target=0'])).message).toContain('between 1 and 100');
    expect(appError(() => parseHpaArgs(['max=1001'])).message).toContain('between 1 and 1000');
    expect(appError(() => parseHpaArgs(['min=two'])).message).toContain('whole number');
    expect(appError(() => parseHpaArgs(['replicas=3'])).message).toContain('unexpected “replicas=3”');
  });

  it('tameBroadcasts defuses @channel, @here, @everyone and group mentions', () => {
    expect(tameBroadcasts('<!channel> hi <!here|here> <!everyone>')).toBe('@channel hi @here @everyone');
    expect(tameBroadcasts('ping <!subteam^S0SRE|@sre>')).toBe('ping @group');
    expect(tameBroadcasts('<@U0LEAD> keeps user mentions')).toBe('<@U0LEAD> keeps user mentions');
  });
});

describe('the command table', () => {
  it('has unique names, and help lists every command by where it works', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const help = helpText();
    const [anywhere = '', inIncident = ''] = help.split('*In an incident channel*');
    for (const c of COMMANDS) {
      const line = `\`/incident ${c.usage}\` — ${c.description}`;
      expect(c.where === 'incident' ? inIncident : anywhere, c.name).toContain(line);
    }
  });

  it('findCommand splits name and arguments, case-insensitively', () => {
    expect(findCommand('  UPDATE  all good now ')).toMatchObject({ name: 'update', args: 'all good now' });
    expect(findCommand('sev 1').spec?.name).toBe('sev');
    expect(findCommand('nope x').spec).toBeUndefined();
    expect(findCommand('')).toMatchObject({ name: '', args: '' });
  });

  it('the declare modal is a valid Slack view carrying the field ids the submission listener reads', () => {
    const view = declareModal('C0GENERAL');
    expect(viewProblems(view)).toEqual([]);
    expect(view['callback_id']).toBe('declare_incident');
    const blocks = JSON.stringify(view['blocks']);
    for (const id of ['declare_title', 'declare_severity', 'declare_responders', '"action_id":"title"', '"action_id":"severity"', '"action_id":"responders"']) expect(blocks).toContain(id);
    expect(JSON.parse(String(view['private_metadata']))).toEqual({ channelId: 'C0GENERAL' });
  });
});

describe('runCommand', () => {
  async function ctx(channelId: string) {
    const fake = createFakeDeps({ now: '2026-11-21T09:30:00.000Z' });
    const { incident } = await fake.ports.incidents.getOrCreate({ key: 'k', title: 'Checkout down', severity: 'SEV2', source: 'manual', route: 'default', responders: [] }, fake.clock.now(), 0);
    await fake.ports.incidents.update(incident.id, (cur) => ({ ...cur, channelId: 'C0INC7' }));
    const batches = () => [...fake.queue.jobs.values()].filter((j) => j.name === ingestJob.name).map((j) => (j.data as { batch: IngestBatch }).batch);
    return { c: { deps: fake.ports, userId: 'U0LEAD', channelId, requestId: 'req-1', triggerId: 'trig-1' }, batches, views: fake.chat.views };
  }

  it('answers unknown subcommands with help, and incident-only commands elsewhere with a pointer to list', async () => {
    const { c } = await ctx('C0GENERAL');
    const unknown = await runCommand(c, 'explode');
    expect(unknown.ok).toBe(false);
    expect(unknown.message).toMatch(/^Unknown subcommand “explode”\.\n\*warroom\* commands/);
    const empty = await runCommand(c, '');
    expect(empty.ok).toBe(true);
    for (const spec of COMMANDS.filter((s) => s.where === 'incident')) {
      const r = await runCommand(c, spec.name);
      expect(r.ok, spec.name).toBe(false);
      expect(r.message).toBe(`\`/incident ${spec.name}\` works in an incident channel. Open incidents: \`/incident list\`.`);
    }
    const list = await runCommand(c, 'list');
    expect(list.message).toContain('*INC-1* SEV2 triggered: Checkout down <#C0INC7>');
  });

  it('declare enqueues one manual alert (same path as alerts); no title opens the form', async () => {
    const { c, batches, views } = await ctx('C0GENERAL');
    const r = await runCommand(c, 'declare sev1 Payments failing');
    expect(r.ok).toBe(true);
    expect(batches()).toHaveLength(1);
    const alert = batches()[0]?.alerts[0];
    expect(batches()[0]?.source).toBe('manual');
    expect(alert).toMatchObject({ source: 'manual', status: 'firing', name: 'Payments failing', severity: 'SEV1', labels: { alertname: 'ManualIncident', declared_by: 'U0LEAD' } });
    expect(alert?.annotations['summary']).toBeUndefined();
    // The same request twice (Slack retry) gives the same delivery id, so one job; another request another one.
    await runCommand(c, 'declare sev1 Payments failing');
    expect(batches()).toHaveLength(1);
    await runCommand({ ...c, requestId: 'req-2' }, 'declare sev1 Payments failing');
    expect(batches()).toHaveLength(2);
    expect(batches()[1]?.deliveryId).not.toBe(batches()[0]?.deliveryId);
    expect((await runCommand({ ...c, requestId: 'req-3' }, 'declare Just a title')).ok).toBe(true);
    expect(batches().at(-1)?.alerts[0]?.severity).toBe('SEV3');

    const form = await runCommand(c, 'declare');
    expect(form).toEqual({ ok: true, message: '' });
    expect(views).toHaveLength(1);
    const sevOnly = await runCommand(c, 'declare sev2');
    expect(sevOnly.message).toBe('');
    expect(views).toHaveLength(2);
    const noTrigger = await runCommand({ deps: c.deps, userId: 'U0LEAD', channelId: 'C0GENERAL', requestId: 'r' }, 'declare');
    expect(noTrigger.ok).toBe(false);
    expect(noTrigger.message).toContain('usage: `/incident declare [sev1-4] <title>`');
    expect(batches()).toHaveLength(3);
  });

  it('bad arguments in an incident channel come back as a message with the usage, not an exception', async () => {
    const { c } = await ctx('C0INC7');
    const r = await runCommand(c, 'scale prod/api lots');
    expect(r.ok).toBe(false);
    expect(r.message).toBe('replicas must be a whole number between 0 and 500\nUsage: `/incident scale <namespace>/<deployment> <replicas>`');
    const m = await runCommand(c, 'rollback prod/api');
    expect(m.message).toContain('Mitigations are not enabled');
  });
});
