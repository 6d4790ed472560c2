/**
 * The sandbox's Alertmanager stand-in (src/sandbox/alertmanager/standin.ts) against the real
 * `prometheus-alertmanager`: the same alerts pushed to both, then the adapter's own calls
 * (listAlerts with filters, createSilence, expireSilence) must get the same answers, and a
 * malformed matcher a 400 from both. Reality is the oracle (DESIGN principle 13).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerAdapter } from '../../src/integrations/alertmanager/adapter.js';
import { labelFingerprint } from '../../src/sandbox/demo/runner.js';
import { startAlertmanagerStandin, type AlertmanagerStandin } from '../../src/sandbox/alertmanager/standin.js';
import type { AlertmanagerPort } from '../../src/workflows/ports.js';
import { ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE, startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { requireBinary } from '../support/binaries.js';
import { waitFor } from '../support/procs.js';

const ALERTS: { labels: Record<string, string> }[] = [
  { labels: { alertname: 'KubePodCrashLooping', namespace: 'payments', deployment: 'checkout-api', severity: 'critical' } },
  { labels: { alertname: 'KubePodCrashLooping', namespace: 'search', deployment: 'catalog-search', severity: 'warning' } },
  { labels: { alertname: 'HighLatency', namespace: 'payments', service: 'a"b\\c' } },
];

const QUERIES: Record<string, string>[] = [
  { alertname: 'KubePodCrashLooping' },
  { alertname: 'KubePodCrashLooping', namespace: 'payments' },
  { namespace: 'payments' },
  { alertname: 'Nope' },
  { service: 'a"b\\c' },
  {},
];

type Listed = Awaited<ReturnType<AlertmanagerPort['listAlerts']>>;
const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([x], [y]) => x.localeCompare(y)));
const norm = (xs: Listed) => xs.map((x) => ({ labels: x.labels, status: x.status })).sort((a, b) => key(a.labels).localeCompare(key(b.labels)));

describe('the Alertmanager stand-in answers as the real Alertmanager', () => {
  let real: AlertmanagerServer;
  let standin: AlertmanagerStandin;
  let a: AlertmanagerPort;
  let b: AlertmanagerPort;
  const both = async (q: Record<string, string>) => [norm(await a.listAlerts(q)), norm(await b.listAlerts(q))] as const;

  beforeAll(async () => {
    requireBinary(ALERTMANAGER_BINARY, ALERTMANAGER_DEBIAN_PACKAGE);
    real = await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused' });
    standin = await startAlertmanagerStandin({ now: () => new Date() });
    a = createAlertmanagerAdapter({ baseUrl: real.url });
    b = createAlertmanagerAdapter({ baseUrl: standin.url });
    const startsAt = new Date(Date.now() - 60_000);
    await real.pushAlerts(ALERTS.map((x) => ({ ...x, startsAt })));
    for (const x of ALERTS) standin.push({ labels: x.labels, annotations: {}, startsAt, status: 'firing', fingerprint: labelFingerprint(x.labels) });
    await waitFor(async () => (await a.listAlerts({})).filter((x) => x.status === 'active').length === ALERTS.length, { what: 'the real Alertmanager to hold the alerts active', timeoutMs: 20_000 });
  }, 60_000);
  afterAll(async () => {
    await real?.stop();
    await standin?.stop();
  });

  it('lists the same alerts for every filter the adapter sends', async () => {
    for (const q of QUERIES) {
      const [x, y] = await both(q);
      expect(y, JSON.stringify(q)).toEqual(x);
    }
  });

  it('answers a malformed matcher with 400 as the real one does', async () => {
    for (const filter of ['foo', 'alertname=unquoted', 'alertname="KubePodCrashLooping"', '=""', 'alertname=~"("']) {
      const [x, y] = await Promise.all([real.url, standin.url].map((u) => fetch(`${u}/api/v2/alerts?filter=${encodeURIComponent(filter)}`).then((r) => r.status)));
      expect([filter, y]).toEqual([filter, x]);
    }
  });

  it('silences alike: the matching alerts show as silenced, and active again once the silence expires', async () => {
    const now = new Date();
    const input = { matchers: [{ name: 'namespace', value: 'payments', isRegex: false, isEqual: true }, { name: 'alertname', value: 'Kube.*', isRegex: true, isEqual: true }], startsAt: now, endsAt: new Date(now.getTime() + 3_600_000), createdBy: 'slack:U0APPROVER', comment: 'contract' };
    const [sa, sb] = await Promise.all([a.createSilence(input), b.createSilence(input)]);
    await waitFor(async () => (await a.listAlerts({ namespace: 'payments' })).some((x) => x.status === 'silenced'), { what: 'the real silence applied', timeoutMs: 20_000 });
    const [x, y] = await both({});
    expect(y).toEqual(x);
    expect(x.filter((z) => z.status === 'silenced').map((z) => z.labels['deployment'])).toEqual(['checkout-api']);
    await Promise.all([a.expireSilence(sa.silenceId), b.expireSilence(sb.silenceId)]);
    await waitFor(async () => (await a.listAlerts({})).every((z) => z.status === 'active'), { what: 'the real silence expired', timeoutMs: 20_000 });
    const [x2, y2] = await both({});
    expect(y2).toEqual(x2);
  });

  it('a resolved alert is no longer listed by either', async () => {
    const gone = ALERTS[0];
    if (!gone) throw new Error('no alert');
    await real.resolveAlerts([gone]);
    standin.push({ labels: gone.labels, annotations: {}, startsAt: new Date(), status: 'resolved', fingerprint: labelFingerprint(gone.labels) });
    await waitFor(async () => (await a.listAlerts({})).length === ALERTS.length - 1, { what: 'the real Alertmanager to drop the resolved alert', timeoutMs: 20_000 });
    const [x, y] = await both({});
    expect(y).toEqual(x);
  });
});
