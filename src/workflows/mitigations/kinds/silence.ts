/** An Alertmanager silence of the incident's alerts, created by the approver. */
import type { Mitigation } from '../../../domain/diagnostics.js';
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
