/**
 * After execution: the kind checks the change took effect (rollout watched to completion, HPA fields),
 * then the signal that paged is re-checked (CloudWatch alarm state, Alertmanager alerts). Verified,
 * not yet, or failed is posted with the numbers; verified marks the incident mitigated.
 */
import type { Proposal } from '../../domain/proposal.js';
import { errorMessage } from '../../errors.js';
import type { Ports } from '../context.js';
import { scheduleCardRefresh } from '../incidents.js';
import { describeMitigation, kindOf } from './catalogue.js';
import { DEFAULT_VERIFY, type VerificationResult } from './kind.js';
import { BOT, record, refreshCard } from './record.js';

const WORD: Record<VerificationResult, { outcome: string; event: string; icon: string }> = {
  verified: { outcome: 'Verified', event: 'Verified', icon: ':white_check_mark:' },
  'not-yet': { outcome: 'Executed; not yet verified', event: 'Not yet verified', icon: ':hourglass:' },
  failed: { outcome: 'Verification failed', event: 'Verification failed', icon: ':x:' },
};

export async function verify(deps: Ports, proposalId: string, signal?: AbortSignal): Promise<void> {
  const p = await deps.proposals.get(proposalId);
  if (!p || p.status !== 'executed') return;
  const m = p.mitigation;
  const what = describeMitigation(m);
  // Without a cluster there is no object to watch; the paging signal is still re-checked.
  const took = deps.kubernetes || m.kind === 'silence' ? await kindOf(m).verify(deps, m, { ...DEFAULT_VERIFY, ...deps.verify, ...(signal ? { signal } : {}) }) : { result: 'verified' as const, lines: [] };
  let result: VerificationResult = took.result;
  const lines = [...took.lines];
  if (result !== 'failed') {
    const sig = await recheckSignal(deps, p).catch((e: unknown) => ({ cleared: undefined, text: `could not re-check the paging signal: ${errorMessage(e)}` }));
    lines.push(sig.text);
    if (sig.cleared === false && result === 'verified') result = 'not-yet';
  }
  const detail = lines.join('; ');
  const done = (await deps.proposals.update(p.id, (cur) => ({ ...cur, status: result === 'failed' ? 'failed' : 'verified', verification: { result, detail }, outcome: `${WORD[result].outcome}: ${detail}` })))?.value;
  if (!done) return;
  await record(deps, done, result === 'failed' ? 'mitigation.failed' : 'mitigation.verified', BOT, `${WORD[result].event}: ${what} — ${detail}`, { result, detail });
  await refreshCard(deps, done);
  const incident = await deps.incidents.get(p.incidentId);
  if (incident?.channelId) {
    await deps.chat.post(incident.channelId, deps.render.text(`${WORD[result].icon} ${what}: *${result}* — ${detail}${result === 'failed' && p.revert ? '\nUse “Propose revert” on the card to undo it.' : ''}`));
  }
  if (result === 'verified' && incident && incident.status !== 'resolved' && incident.status !== 'mitigated') {
    const at = deps.clock.now().toISOString();
    await deps.incidents.update(incident.id, (cur) => (cur.status === 'resolved' || cur.status === 'mitigated' ? undefined : { ...cur, status: 'mitigated', mitigatedAt: at, updatedAt: at }));
    await deps.timeline.append(incident.id, { at, kind: 'incident.mitigated', actor: BOT, text: `Mitigated: ${what} verified`, data: { proposalId: p.id } }, `mitigated-${p.id}`);
    await scheduleCardRefresh(deps, incident.id);
  }
}

/** Is the signal that paged still there? CloudWatch alarm state, or the Alertmanager alerts. */
async function recheckSignal(deps: Ports, p: Proposal): Promise<{ cleared: boolean | undefined; text: string }> {
  const alerts = await deps.incidents.listAlerts(p.incidentId);
  const cw = alerts.find((a) => a.cloudwatch);
  if (cw?.cloudwatch && deps.cloudwatch) {
    const alarm = await deps.cloudwatch.describeAlarm(cw.cloudwatch.region, cw.cloudwatch.alarmName);
    if (alarm) return { cleared: alarm.stateValue === 'OK', text: `alarm ${alarm.alarmName} is ${alarm.stateValue}` };
  }
  const am = alerts.filter((a) => a.source === 'alertmanager');
  if (am.length && deps.alertmanager) {
    let firing = 0;
    for (const a of am) {
      const live = await deps.alertmanager.listAlerts({ alertname: a.labels.alertname ?? a.name, ...(a.labels.namespace ? { namespace: a.labels.namespace } : {}) });
      firing += live.filter((x) => x.status === 'active').length;
    }
    return { cleared: firing === 0, text: `${firing} matching alert(s) still active in Alertmanager` };
  }
  const stillFiring = alerts.filter((a) => a.status === 'firing').length;
  return { cleared: undefined, text: `paging signal not re-checked live (${stillFiring} alert(s) last seen firing)` };
}
