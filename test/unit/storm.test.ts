/**
 * Alert-storm grouping on fakes: past the threshold, new keys of a route join one storm incident (one
 * channel, one card with the keys and their counts); a more severe key and another route are not
 * swallowed; `/incident split <key>` gives one key its own incident. The e2e suite
 * (test/e2e/slack-budget.test.ts) runs the same through real HTTP against the Slack emulator.
 */
import { describe, expect, it } from 'vitest';
import { createFakeDeps } from '../../src/fake-deps.js';
import { incidentKey } from '../../src/workflows/routing.js';
import { splitFromStorm } from '../../src/workflows/triage.js';
import { amAlert, deliver } from '../support/fake-world.js';

const CONFIG = `
routes:
  - name: db
    match: { labels: { team: db } }
    key: { by: labels, labels: [alertname, service] }
  - name: default
    key: { by: labels, labels: [alertname, service] }
storm: { threshold: 3, window: 1m }
diagnostics: { enabled: false }
`;

const warn = (alertname: string, extra: Record<string, string> = {}) => amAlert({ alertname, service: 'shop', labels: { severity: 'warning', ...extra } });

describe('storm grouping', () => {
  it('past the threshold new keys join one storm incident; a more severe key and another route open their own; split gives a key its own', async () => {
    const fake = createFakeDeps({ config: CONFIG });
    for (let i = 0; i < 7; i++) await deliver(fake, [warn(`K${i}`)]);
    // A second alert of a stormed key goes to the storm too.
    await deliver(fake, [warn('K5', { instance: 'b' })]);
    await deliver(fake, [amAlert({ alertname: 'Worse', service: 'shop', labels: { severity: 'critical' } })]);
    await deliver(fake, [warn('Other', { team: 'db' })]);
    await fake.runFor(5_000);

    const all = await fake.ports.incidents.listAll(100);
    const storm = all.find((i) => i.key === 'default-storm');
    expect(storm).toBeDefined();
    const own = all.filter((i) => i !== storm).map((i) => i.title).sort();
    expect(own).toEqual(['K0: 5xx above 5% (shop)', 'K1: 5xx above 5% (shop)', 'K2: 5xx above 5% (shop)', 'Other: 5xx above 5% (shop)', 'Worse: 5xx above 5% (shop)']);
    const stormAlerts = await fake.ports.incidents.listAlerts(storm?.id ?? '');
    expect(stormAlerts.map((a) => a.name).sort()).toEqual(['K3', 'K4', 'K5', 'K5', 'K6']);
    // Channels: five incidents of their own and the storm (plus the announcement channel the fakes seed, if any).
    const incidentChannels = (await fake.ports.incidents.listAll(100)).filter((i) => i.channelId).length;
    expect(incidentChannels).toBe(6);
    const card = () => JSON.stringify(fake.chat.channels.get(storm?.channelId ?? '')?.messages.find((m) => m.ts === (storm?.cardTs ?? '')));
    await fake.runFor(5_000);
    const route = fake.ports.config.routes[1];
    if (!route || !storm) throw new Error('setup');
    const k5 = incidentKey(route, warn('K5'));
    expect(card()).toContain('4 keys in this storm');
    expect(card()).toContain(`K5: 5xx above 5% (shop)* — 2 alerts (2 firing, 0 resolved) · \`${k5}\``);

    const r = await splitFromStorm(fake.ports, storm, 'U0LEAD', k5.slice(0, 20));
    expect(r.ok).toBe(true);
    await fake.runFor(5_000);
    const split = (await fake.ports.incidents.listAll(100)).find((i) => i.key === k5);
    expect(split?.channelId).toBeDefined();
    expect((await fake.ports.incidents.listAlerts(split?.id ?? '')).length).toBe(2);
    expect(card()).toContain(`split into ${split?.id}`);
    // Later alerts of the split key go to its own incident.
    await deliver(fake, [warn('K5', { instance: 'c' })]);
    expect((await fake.ports.incidents.listAlerts(split?.id ?? '')).length).toBe(3);
    expect(await splitFromStorm(fake.ports, storm, 'U0LEAD', 'nope')).toMatchObject({ ok: false });
  });
});
