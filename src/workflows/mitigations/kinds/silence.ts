/** An Alertmanager silence of the incident's alerts, created by the approver. */
import type { Mitigation } from '../../../domain/diagnostics.js';
import type { IncidentAlert } from '../../../domain/incident.js';
import { AppError } from '../../../errors.js';
import type { DiffLine } from '../../../domain/proposal.js';
import { formatDuration } from '../../postmortem/figures.js';
import { needAlertmanager, type MitigationKind } from '../kind.js';

type Silence = Extract<Mitigation, { kind: 'silence' }>;

const op = (x: { isRegex: boolean; isEqual: boolean }): string => (x.isRegex ? (x.isEqual ? '=~' : '!~') : x.isEqual ? '=' : '!=');
const matcher = (x: Silence['matchers'][number]) => `${x.name}${op(x)}"${x.value}"`;

export const silence: MitigationKind<Silence, undefined> = {
  kind: 'silence',
  describe: (m) => ['Silence alerts matching', ...m.matchers.flatMap((x, i) => (i === 0 ? [{ literal: matcher(x) }] : [',', { literal: matcher(x) }])), `for ${formatDuration(m.durationMinutes * 60_000)}`],
  risk: () => 'Notifications for the matched alerts stop for the duration, including new problems that match.',
  dryRun: async (ports, m) => {
    needAlertmanager(ports);
    const diff: DiffLine[] = [
      { field: 'silence matchers', before: '(none)', after: m.matchers.map(matcher).join(', ') },
      { field: 'duration', before: '—', after: `${m.durationMinutes} min` },
    ];
    return { result: { before: null, after: null, diff }, pinned: {} };
  },
  // A silence is expired by hand in Alertmanager; no automatic inverse.
  revertOf: () => undefined,
  apply: async (ports, p, m) => {
    const now = ports.clock.now();
    const approver = p.approvals.at(-1)?.userId ?? p.requestedBy;
    const { silenceId } = await needAlertmanager(ports).createSilence({ matchers: m.matchers, startsAt: now, endsAt: new Date(now.getTime() + m.durationMinutes * 60_000), createdBy: `slack:${approver}`, comment: m.comment ?? `warroom ${p.incidentId} proposal ${p.id}` });
    return { silenceId };
  },
  // Nothing to watch: the paging signal is re-checked for every kind.
  verify: async () => ({ result: 'verified', lines: [] }),
};

/** A silence of an incident's Alertmanager alerts: exact matchers on the labels they all share. */
export function silenceOf(alerts: IncidentAlert[], durationMinutes: number): Silence {
  const am = alerts.filter((a) => a.source === 'alertmanager');
  const first = am[0];
  if (!first) throw new AppError('bad_request', 'this incident has no Alertmanager alerts to silence');
  const common = Object.entries(first.labels).filter(([k, v]) => am.every((a) => a.labels[k] === v));
  if (!common.length) throw new AppError('bad_request', 'the alerts share no labels to build matchers from');
  return { kind: 'silence', durationMinutes, matchers: common.map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })) };
}
