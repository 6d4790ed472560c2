/**
 * After execution: the kind checks the change took effect (rollout watched to completion, HPA fields,
 * replica counts), then the signal that paged is re-checked (CloudWatch alarm state, Alertmanager
 * alerts). A flapping alarm (FLAPPING_MIN_CYCLES OK -> ALARM cycles in the 6 h before) is watched
 * through one flap cycle plus a margin: "watching until HH:MM UTC", re-read by delayed jobs
 * (jobs/watch-mitigation.ts; no worker sleeps), then verified (it stayed OK) or not verified (it
 * went to ALARM again, and when). A signal that cannot be read is "not re-checked", never verified.
 * Only verified marks the incident mitigated.
 */
import type { Proposal, VerificationResult } from '../../domain/proposal.js';
import { errorMessage } from '../../errors.js';
import type { Ports } from '../context.js';
import { ALARM_HISTORY_LOOKBACK_MS, flapCycle, transitionsOf } from '../diagnostics/checks/alarm-history.js';
import { duration } from '../diagnostics/types.js';
import { scheduleCardRefresh } from '../incidents.js';
import { doneOnce } from '../once.js';
import { watchMitigationJob } from '../jobs/watch-mitigation.js';
import { describeMitigation, kindOf } from './catalogue.js';
import { DEFAULT_VERIFY } from './kind.js';
import { BOT, record, refreshCard } from './record.js';

const WORD: Record<VerificationResult, { outcome: string; label: string; icon: string }> = {
  verified: { outcome: 'Verified', label: 'verified', icon: ':white_check_mark:' },
  'not-yet': { outcome: 'Executed; not yet verified', label: 'not yet verified', icon: ':hourglass:' },
  'not-verified': { outcome: 'Executed; not verified', label: 'not verified', icon: ':warning:' },
  'not-rechecked': { outcome: 'Executed; not re-checked', label: 'not re-checked', icon: ':grey_question:' },
  failed: { outcome: 'Verification failed', label: 'failed', icon: ':x:' },
};

/** The watch window after the flap cycle: a quarter of the cycle, at least 5 minutes. */
export function watchWindowMs(cycleMs: number): number {
  return cycleMs + Math.max(Math.round(cycleMs / 4), 5 * 60_000);
}

const ceilMinute = (ms: number) => Math.ceil(ms / 60_000) * 60_000;
const utc = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

type Signal =
  | { read: false; text: string }
  | { read: true; source: 'cloudwatch' | 'alertmanager'; cleared: boolean; text: string; alarm?: { region: string; alarmName: string; cycleMs?: number; cycles: number } };

/** Concluded already: a job run again after a Slack write of its verdict was deferred (the job was delayed). */
const concluded = (p: Proposal | undefined): p is Proposal & { verification: NonNullable<Proposal['verification']> } => Boolean(p?.verification && (p.status === 'verified' || p.status === 'failed' || p.status === 'unverified'));

export async function verify(deps: Ports, proposalId: string, signal?: AbortSignal): Promise<void> {
  const p = await deps.proposals.get(proposalId);
  // Run again after the watch began (interrupted, or Slack's budget deferred its message): what follows
  // the start of the watch is finished (each step once) and its first look queued (deterministic id).
  if (p?.status === 'watching') return announceWatch(deps, p);
  // The verdict stands; what follows it (card, message, mitigated) is finished.
  if (concluded(p)) return conclude(deps, p, p.verification.result, [p.verification.detail]);
  if (!p || p.status !== 'executed') return;
  const m = p.mitigation;
  // Without a cluster there is no object to watch; the paging signal is still re-checked.
  const took = deps.kubernetes || m.kind === 'silence' ? await kindOf(m).verify(deps, m, { ...DEFAULT_VERIFY, ...deps.verify, ...(signal ? { signal } : {}) }) : { result: 'verified' as const, lines: [] };
  const lines = [...took.lines];
  if (took.result === 'failed') return conclude(deps, p, 'failed', lines);
  const sig = await readSignal(deps, p).catch((e: unknown): Signal => ({ read: false, text: `could not re-check the paging signal: ${errorMessage(e)}` }));
  lines.push(sig.text);
  if (!sig.read) return conclude(deps, p, 'not-rechecked', lines);
  if (took.result === 'not-yet') return conclude(deps, p, 'not-yet', lines);
  if (sig.alarm?.cycleMs !== undefined) return startWatch(deps, p, { ...sig.alarm, cycleMs: sig.alarm.cycleMs }, lines);
  // Alerts resolve a few evaluations after the cause is gone: still active alerts are watched until they clear.
  if (!sig.cleared && sig.source === 'alertmanager') return startWatch(deps, p, undefined, lines);
  return conclude(deps, p, sig.cleared ? 'verified' : 'not-yet', lines);
}

/** How long Alertmanager alerts still active after the rollout are watched for clearing (Prometheus evaluations, resolve timeout). */
export const ALERTS_CLEAR_WINDOW_MS = 10 * 60_000;

/** Is the signal that paged still there? CloudWatch alarm state (and whether it flaps), or the Alertmanager alerts. */
async function readSignal(deps: Ports, p: Proposal): Promise<Signal> {
  const alerts = await deps.incidents.listAlerts(p.incidentId);
  const cw = alerts.find((a) => a.cloudwatch)?.cloudwatch;
  if (cw) {
    if (!deps.cloudwatch) return { read: false, text: `alarm ${cw.alarmName} not re-checked: CloudWatch is not reachable from this deployment` };
    const alarm = await deps.cloudwatch.describeAlarm(cw.region, cw.alarmName).catch((e: unknown) => errorMessage(e));
    if (typeof alarm === 'string') return { read: false, text: `could not read alarm ${cw.alarmName}: ${alarm}` };
    if (!alarm) return { read: false, text: `alarm ${cw.alarmName} no longer exists in ${cw.region}` };
    if (alarm.stateValue !== 'OK' && alarm.stateValue !== 'ALARM') return { read: false, text: `alarm ${alarm.alarmName} has no data (${alarm.stateValue})` };
    const now = deps.clock.now();
    const start = new Date(now.getTime() - ALARM_HISTORY_LOOKBACK_MS);
    const items = await deps.cloudwatch.alarmHistory(cw.region, cw.alarmName, start, now).catch((e: unknown) => errorMessage(e));
    if (typeof items === 'string') return { read: false, text: `alarm ${alarm.alarmName} is ${alarm.stateValue}, but its history could not be read to tell whether it flaps: ${items}` };
    const flap = flapCycle(transitionsOf(items, start, now));
    const cycleMs = flap.flapping ? flap.cycleMs : undefined;
    return { read: true, source: 'cloudwatch', cleared: alarm.stateValue === 'OK', text: `alarm ${alarm.alarmName} is ${alarm.stateValue}`, alarm: { region: cw.region, alarmName: cw.alarmName, cycles: flap.cycles.length, ...(cycleMs !== undefined ? { cycleMs } : {}) } };
  }
  const am = alerts.filter((a) => a.source === 'alertmanager');
  if (am.length) {
    if (!deps.alertmanager) return { read: false, text: `${am.length} Alertmanager alert(s) not re-checked: ALERTMANAGER_URL is not configured` };
    let firing = 0;
    try {
      for (const a of am) {
        const live = await deps.alertmanager.listAlerts({ alertname: a.labels.alertname ?? a.name, ...(a.labels.namespace ? { namespace: a.labels.namespace } : {}) });
        firing += live.filter((x) => x.status === 'active').length;
      }
    } catch (e) {
      return { read: false, text: `could not read Alertmanager: ${errorMessage(e)}` };
    }
    return { read: true, source: 'alertmanager', cleared: firing === 0, text: `${firing} matching alert(s) still active in Alertmanager` };
  }
  const sources = [...new Set(alerts.map((a) => a.source))].filter((s) => s !== 'manual');
  return { read: false, text: sources.length ? `no paging signal that can be re-checked live (alerts from ${sources.join(', ')})` : 'no paging signal to re-check (declared by hand)' };
}

/**
 * Watched before any verdict: a flapping alarm through one flap cycle plus a margin; Alertmanager
 * alerts still active after the rollout for ALERTS_CLEAR_WINDOW_MS, until they clear.
 */
async function startWatch(deps: Ports, p: Proposal, alarm: { region: string; alarmName: string; cycleMs: number; cycles: number } | undefined, lines: string[]): Promise<void> {
  const since = deps.clock.now();
  const until = new Date(ceilMinute(since.getTime() + (alarm ? watchWindowMs(alarm.cycleMs) : ALERTS_CLEAR_WINDOW_MS)));
  const why = alarm
    ? `alarm ${alarm.alarmName} cycled OK→ALARM ${alarm.cycles} times in the last 6 h, about every ${duration(alarm.cycleMs)}; verified only if it stays OK through the next cycle`
    : `${lines.at(-1) ?? 'the alerts are still active'}; verified once they clear`;
  const text = `watching until ${utc(until)}: ${why}`;
  const watching = (
    await deps.proposals.update(p.id, (cur) =>
      cur.status === 'executed' ? { ...cur, status: 'watching', watch: { since: since.toISOString(), until: until.toISOString(), ...(alarm ? { alarm: { region: alarm.region, alarmName: alarm.alarmName, cycleMs: alarm.cycleMs } } : {}), took: lines.slice(0, -1), why }, outcome: `Executed; ${text} (${lines.join('; ')})` } : undefined,
    )
  )?.value;
  if (!watching || watching.status !== 'watching') return;
  await announceWatch(deps, watching);
}

/**
 * The watch said (timeline, card, "watching until HH:MM UTC" in the channel), then its first look
 * queued. Run again by a job delayed by Slack's budget: the message is posted once, after it succeeded.
 */
async function announceWatch(deps: Ports, p: Proposal): Promise<void> {
  const w = p.watch;
  if (!w) return;
  const what = describeMitigation(p.mitigation);
  const until = new Date(w.until);
  const why = w.why ? ` — ${w.why}` : '';
  await record(deps, p, 'mitigation.watching', BOT, `Watching: ${what} — watching until ${utc(until)}${w.why ? `: ${w.why}` : ''}`, { since: w.since, until: w.until, ...(w.alarm ? { cycleMs: w.alarm.cycleMs, alarmName: w.alarm.alarmName } : {}) });
  await refreshCard(deps, p);
  const channel = (await deps.incidents.get(p.incidentId))?.channelId;
  if (channel) await doneOnce(deps, `watching-${p.id}`, () => deps.chat.post(channel, deps.render.text(`:eyes: ${what}: executed; *watching until ${utc(until)}*${why}.`)));
  await scheduleWatch(deps, p, 1);
}

async function scheduleWatch(deps: Ports, p: Proposal, n: number): Promise<void> {
  const until = Date.parse(p.watch?.until ?? '');
  const poll = deps.verify?.watchPollMs ?? DEFAULT_VERIFY.watchPollMs;
  const delayMs = Math.max(0, Math.min(poll, until - deps.clock.now().getTime()));
  await deps.queue.enqueue(watchMitigationJob, { proposalId: p.id, n }, { delayMs });
}

/**
 * One look at a watched signal. A flapping alarm: went to ALARM since the change -> not verified,
 * with when; the window not over -> the next look; over -> verified when OK now, else not verified.
 * Alertmanager alerts: cleared -> verified; still active at the window's end -> not verified.
 */
export async function watch(deps: Ports, proposalId: string, n: number): Promise<void> {
  const found = await deps.proposals.get(proposalId);
  if (concluded(found)) return conclude(deps, found, found.verification.result, [found.verification.detail]);
  const w = found?.watch;
  if (!found || !w || found.status !== 'watching') return;
  const p = found;
  // The verdict repeats what was found on the object when the watch began.
  const verdict = (result: VerificationResult, lines: string[]) => conclude(deps, p, result, [...w.took, ...lines]);
  const now = deps.clock.now();
  const since = new Date(w.since);
  const until = new Date(w.until);
  const over = now.getTime() >= until.getTime();
  const after = (at: Date) => `${duration(at.getTime() - since.getTime())} after the change`;
  const notRead = async (what: string, why: string, watched: string[]) => {
    // A failed read during the window is tried again at the next look; at its end it is the verdict.
    if (!over) {
      deps.log.warn({ proposalId, what, why }, 'watch: the signal could not be read; looking again later');
      return scheduleWatch(deps, p, n + 1);
    }
    return verdict('not-rechecked', [`${what} not re-checked at the end of the watch (${utc(until)}): ${why}`, ...watched]);
  };
  const a = w.alarm;
  if (!a) {
    const sig = await readSignal(deps, p).catch((e: unknown): Signal => ({ read: false, text: errorMessage(e) }));
    const watched = [`watched since ${utc(since)}`];
    if (!sig.read) return notRead('the alerts that paged', sig.text, watched);
    if (sig.cleared) return verdict('verified', [`the alerts that paged cleared by ${utc(now)}, ${after(now)} (${sig.text})`]);
    if (!over) return scheduleWatch(deps, p, n + 1);
    return verdict('not-verified', [`${sig.text} at the end of the watch (${utc(until)})`, ...watched]);
  }
  const watched = [`watched since ${utc(since)}, flap cycle about ${duration(a.cycleMs)}`];
  const cw = deps.cloudwatch;
  if (!cw) return notRead(`alarm ${a.alarmName}`, 'CloudWatch is not reachable from this deployment', watched);
  const items = await cw.alarmHistory(a.region, a.alarmName, since, now).catch((e: unknown) => errorMessage(e));
  if (typeof items === 'string') return notRead(`alarm ${a.alarmName}`, `its history could not be read: ${items}`, watched);
  const again = transitionsOf(items, since, now).find((t) => t.to === 'ALARM');
  if (again) return verdict('not-verified', [`alarm ${a.alarmName} went to ALARM again at ${utc(again.at)}, ${after(again.at)}`, ...watched]);
  if (!over) return scheduleWatch(deps, p, n + 1);
  const alarm = await cw.describeAlarm(a.region, a.alarmName).catch((e: unknown) => errorMessage(e));
  if (typeof alarm === 'string') return notRead(`alarm ${a.alarmName}`, alarm, watched);
  if (!alarm) return notRead(`alarm ${a.alarmName}`, `the alarm no longer exists in ${a.region}`, watched);
  if (alarm.stateValue === 'INSUFFICIENT_DATA') return notRead(`alarm ${a.alarmName}`, 'it has no data (INSUFFICIENT_DATA)', watched);
  if (alarm.stateValue !== 'OK') return verdict('not-verified', [`alarm ${a.alarmName} is ${alarm.stateValue} at the end of the watch (${utc(until)})`, ...watched]);
  return verdict('verified', [`alarm ${a.alarmName} stayed OK from ${utc(since)} to ${utc(now)} (${duration(now.getTime() - since.getTime())}, more than one flap cycle of about ${duration(a.cycleMs)})`]);
}

/** The verdict: stored, recorded, the card updated, said in the channel; verified marks the incident mitigated. */
async function conclude(deps: Ports, p: Proposal, result: VerificationResult, lines: string[]): Promise<void> {
  const what = describeMitigation(p.mitigation);
  const detail = lines.join('; ');
  const status = result === 'verified' ? 'verified' : result === 'failed' ? 'failed' : 'unverified';
  const done = (await deps.proposals.update(p.id, (cur) => (cur.status === 'executed' || cur.status === 'watching' ? { ...cur, status, verification: { result, detail }, outcome: `${WORD[result].outcome}: ${detail}` } : undefined)))?.value;
  if (!done || done.status !== status) return;
  const event = result === 'verified' ? 'mitigation.verified' : result === 'failed' ? 'mitigation.failed' : 'mitigation.unverified';
  await record(deps, done, event, BOT, `${WORD[result].outcome}: ${what} — ${detail}`, { result, detail });
  const incident = await deps.incidents.get(p.incidentId);
  // The incident's state first, then the Slack writes that tell people (which the budget may defer).
  if (result === 'verified' && incident && incident.status !== 'resolved' && incident.status !== 'mitigated') {
    const at = deps.clock.now().toISOString();
    await deps.incidents.update(incident.id, (cur) => (cur.status === 'resolved' || cur.status === 'mitigated' ? undefined : { ...cur, status: 'mitigated', mitigatedAt: at, updatedAt: at }));
    await deps.timeline.append(incident.id, { at, kind: 'incident.mitigated', actor: BOT, text: `Mitigated: ${what} verified`, data: { proposalId: p.id } }, `mitigated-${p.id}`);
    await scheduleCardRefresh(deps, incident.id);
  }
  await refreshCard(deps, done);
  const channel = incident?.channelId;
  // Once, even when the job runs again after this post was deferred by the Slack budget.
  if (channel) await doneOnce(deps, `verdict-${p.id}`, () => deps.chat.post(channel, deps.render.text(`${WORD[result].icon} ${what}: *${WORD[result].label}* — ${detail}${result === 'failed' && p.revert ? '\nUse “Propose revert” on the card to undo it.' : ''}`)));
}
