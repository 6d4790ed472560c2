/**
 * Plays a scenario in a running world: delivers its alerts (signed SNS notifications for CloudWatch
 * alarms, version-4 webhooks for Alertmanager), waits for the bot's milestones, performs the
 * script as the scenario's people would (signed button clicks and slash commands through the Slack
 * emulator), and collects what happened: the channel transcript, every Slack Web API call, the
 * assessment, the proposals, the timeline and, when resolved, the post-mortem.
 *
 * Time is compressed. Alerts at or before `0s` go at once, in order. Diagnostics then run against
 * the world as it was at the page; once the assessment is posted, the later alerts follow one step
 * apart, each first moving the world clock to its time. Script steps run in order, each after its
 * milestone (`after`); a relative time there moves the clock too. Every wait is bounded and a
 * timeout names what did not happen.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Assessment } from '../../domain/diagnostics.js';
import type { Incident } from '../../domain/incident.js';
import type { Proposal } from '../../domain/proposal.js';
import type { TimelineEvent } from '../../domain/timeline.js';
import { AppError, errorMessage } from '../../errors.js';
import { ACTIONS } from '../../integrations/slack/blocks/ids.js';
import { buildPostmortem } from '../../workflows/lifecycle.js';
import { describeMitigation } from '../../workflows/mitigations/catalogue.js';
import { cloudWatchAlarmNotification } from '../scenario/alarms.js';
import { alertsInOrder, type TimedAlert } from '../scenario/expand.js';
import { expectedProposals, type ScriptStep } from '../scenario/schema.js';
import { isRelativeTime, relativeMs } from '../scenario/time.js';
import type { ApiCall } from '../slack/index.js';
import { mitigationMatches } from './judge.js';
import { renderChannel } from './transcript.js';
import type { World } from './world.js';

export type Milestone = 'page' | 'channel' | 'assessment' | 'proposal' | 'executed' | 'verified' | 'postmortem';

export interface PlayTimeouts {
  channel: number;
  assessment: number;
  proposal: number;
  decision: number;
  executed: number;
  verified: number;
  postmortem: number;
  /** Acknowledge/resolve taking effect after the command. */
  command: number;
  /** A person deciding on a proposal in the viewer (paced demo). */
  person: number;
}

export const DEFAULT_TIMEOUTS: PlayTimeouts = { channel: 30_000, assessment: 120_000, proposal: 30_000, decision: 15_000, executed: 30_000, verified: 90_000, postmortem: 30_000, command: 15_000, person: 60 * 60_000 };

export interface PlayOptions {
  timeouts?: Partial<PlayTimeouts>;
  /** Pause between compressed steps (later alerts, relative-time script steps). Default 1000 ms. */
  stepDelayMs?: number;
  /** Progress lines as they happen (the CLI prints them). */
  onLog?: (line: string) => void;
  /** Leave the scenario's script to a person (the viewer): play the alerts, wait for the assessment, stop there. */
  skipScript?: boolean;
  /**
   * Pace the play for a person: the script's approve and deny steps are left to them. The runner
   * waits for the proposal card, says where to click (the viewer's URL, as whom), and goes on once
   * the proposal is decided there; the rest of the script (acknowledge, resolve...) plays as written.
   */
  person?: { viewerUrl: string; userName: (id: string) => string };
  /**
   * With skipScript: keep attending verification in the background after returning (held alerts
   * delivered, a flapping alarm's watch skipped to its end), as the scripted play does (the
   * interactive demo). Stops when the world does.
   */
  attendInBackground?: boolean;
}

type ProposalRef = Extract<ScriptStep, { action: 'approve' }>['proposal'];

export interface PlayResult {
  scenario: string;
  incidentId?: string;
  channelId?: string;
  channelName?: string;
  assessment?: Assessment;
  proposals: Proposal[];
  timeline: TimelineEvent[];
  /** The incident channel, readable. */
  transcript: string[];
  /** Every Slack Web API call in order, with its arguments. */
  calls: ApiCall[];
  postmortem?: string;
  /** What the runner did and saw, in order. */
  log: string[];
  /** Why the play stopped early (a milestone that did not happen, a refused delivery...). */
  failure?: string;
}

class PlayFailure extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new PlayFailure(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(150);
  }
}

/** A stable 16-hex fingerprint of a label set (Alertmanager's role for it). */
export function labelFingerprint(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join('\u0000');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The version-4 webhook Alertmanager would send for one scenario alert. */
export function alertmanagerPayload(alert: Extract<TimedAlert, { source: 'alertmanager' }>, anchor: Date): Record<string, unknown> {
  const startsAt = alert.startsAt ? new Date(anchor.getTime() + relativeMs(alert.startsAt)) : alert.time;
  const groupLabels: Record<string, string> = { alertname: alert.labels['alertname'] ?? '', ...(alert.labels['namespace'] ? { namespace: alert.labels['namespace'] } : {}) };
  return {
    version: '4',
    groupKey: `{}:{${Object.entries(groupLabels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')}}`,
    truncatedAlerts: 0,
    receiver: 'warroom',
    status: alert.status,
    alerts: [
      {
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: startsAt.toISOString(),
        endsAt: alert.status === 'resolved' ? alert.time.toISOString() : ZERO_TIME,
        generatorURL: alert.generatorURL ?? '',
        fingerprint: labelFingerprint(alert.labels),
      },
    ],
    groupLabels,
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://alertmanager.sandbox:9093',
  };
}

export function matchesRef(p: Pick<Proposal, 'mitigation'>, ref: ProposalRef | undefined): boolean {
  return mitigationMatches(p.mitigation, ref);
}

function describeRef(ref: ProposalRef | undefined): string {
  if (!ref) return 'any proposal';
  return `a ${ref.kind} proposal${ref.namespace ? ` in ${ref.namespace}` : ''}${ref.deployment ?? ref.name ? ` for ${ref.deployment ?? ref.name}` : ''}`;
}

/** Whether a message's blocks hold a button with this action id and value. */
function hasButton(blocks: unknown[] | undefined, actionId: string, value: string): boolean {
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(walk);
    if (v === null || typeof v !== 'object') return false;
    const o = v as Record<string, unknown>;
    if (o['type'] === 'button' && o['action_id'] === actionId && o['value'] === value) return true;
    return Object.values(o).some(walk);
  };
  return walk(blocks ?? []);
}

export async function playScenario(world: World, opts: PlayOptions = {}): Promise<PlayResult> {
  const t: PlayTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const stepDelay = opts.stepDelayMs ?? 1000;
  const { scenario, running, slack } = world;
  const { incidents, proposals, timeline: timelines, diagnosis } = running.deps.ports;
  const log: string[] = [];
  const note = (line: string) => {
    const stamped = `[${world.clock.now().toISOString().slice(11, 19)}] ${line}`;
    log.push(stamped);
    opts.onLog?.(stamped);
  };
  for (const n of world.notes) note(`note: ${n}`);

  let incident: Incident | undefined;
  let lastProposal: Proposal | undefined;
  const inc = (): Incident => {
    if (!incident) throw new PlayFailure('no incident was opened');
    return incident;
  };
  const refreshIncident = async (): Promise<Incident | undefined> => {
    if (incident) incident = (await incidents.get(incident.id)) ?? incident;
    return incident;
  };
  const timeline = async (): Promise<TimelineEvent[]> => (incident ? timelines.list(incident.id) : []);

  async function deliver(a: TimedAlert): Promise<void> {
    const offset = a.time.getTime() - world.anchor.getTime();
    world.clock.advanceTo(offset);
    if (a.source === 'cloudwatch') {
      const n = cloudWatchAlarmNotification(scenario, world.metrics, world.anchor, { alarm: a.alarm, state: a.state, time: a.time, ...(a.reason ? { reason: a.reason } : {}) });
      const envelope = world.signer.notification({ topicArn: n.topicArn, message: n.message, subject: n.subject, timestamp: world.clock.now() });
      const res = await fetch(`${world.botUrl}/webhooks/cloudwatch`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': n.topicArn, 'user-agent': 'Amazon Simple Notification Service Agent' },
        body: JSON.stringify(envelope),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      if (res.status >= 300) throw new PlayFailure(`the bot refused the SNS notification for ${a.alarm} ${a.state}: HTTP ${res.status} ${body}`);
      note(`delivered CloudWatch alarm ${a.alarm} -> ${a.state} (signed SNS notification, HTTP ${res.status})`);
    } else {
      // Prometheus pushes to Alertmanager, which notifies the bot: the stand-in holds what is firing.
      const payload = alertmanagerPayload(a, world.anchor);
      world.alertmanager.push({ labels: a.labels, annotations: a.annotations, status: a.status, startsAt: a.startsAt ? new Date(world.anchor.getTime() + relativeMs(a.startsAt)) : a.time, fingerprint: labelFingerprint(a.labels) });
      const res = await fetch(`${world.botUrl}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${world.alertmanagerToken}`, 'user-agent': 'Alertmanager/0.27.0' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      if (res.status >= 300) throw new PlayFailure(`the bot refused the Alertmanager webhook for ${a.labels['alertname'] ?? '?'}: HTTP ${res.status} ${body}`);
      note(`delivered Alertmanager alert ${a.labels['alertname'] ?? '?'} ${a.status} (webhook v4, HTTP ${res.status})`);
    }
  }

  async function findProposal(ref: ProposalRef | undefined): Promise<Proposal | undefined> {
    if (!incident) return undefined;
    const ps = await proposals.list(incident.id);
    return ps.filter((p) => p.messageTs && matchesRef(p, ref)).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))[0];
  }

  /** Alerts sent once the approved change is executed (`after: executed`). */
  const held: TimedAlert[] = [];
  const attended = new Set<string>();
  /**
   * Verification in compressed time, once per watch: the alerts the change resolves follow it (sent
   * once verification watches for them, the rollout done); a flapping alarm's watch is skipped to its
   * end (the world clock moves there), so the bot's next look reads the whole window's history.
   */
  async function attend(events: TimelineEvent[]): Promise<void> {
    for (const w of events.filter((e) => e.kind === 'mitigation.watching')) {
      const key = `${String(w.data?.['proposalId'])}|${w.at}`;
      if (attended.has(key)) continue;
      attended.add(key);
      for (const a of held.splice(0)) await deliver(a);
      const until = typeof w.data?.['until'] === 'string' ? Date.parse(w.data['until']) : NaN;
      if (w.data?.['cycleMs'] === undefined || !Number.isFinite(until)) continue;
      note(`${w.text}; the world clock moves to the end of the watch`);
      world.clock.advanceTo(until - world.anchor.getTime() + 1000);
    }
  }

  /** Milestones that happen once per incident; waiting for one again returns at once. */
  const reached = new Set<Milestone>();
  async function waitFor(m: Milestone, ref?: ProposalRef): Promise<void> {
    if (reached.has(m)) return;
    if (m === 'channel' || m === 'assessment' || m === 'postmortem') reached.add(m);
    switch (m) {
      case 'page':
        return;
      case 'channel': {
        incident = await until('the incident channel to open (an incident with a channel and a pinned card)', t.channel, async () => {
          const all = await incidents.listAll(20);
          return all.find((i) => i.channelId && i.cardTs);
        });
        note(`channel #${incident.channelName ?? incident.channelId} opened for ${incident.id} (${incident.severity}): ${incident.title}`);
        return;
      }
      case 'assessment': {
        const a = await until('the assessment to be posted', t.assessment, async () => {
          const doc = await diagnosis.getAssessment(inc().id);
          const posted = (await timeline()).some((e) => e.kind === 'diagnosis.assessment');
          return doc && posted ? doc : undefined;
        });
        note(`assessment posted: ${a.summary}`);
        return;
      }
      case 'proposal': {
        const p = await until(`the proposal card (${describeRef(ref)})`, t.proposal, () => findProposal(ref));
        lastProposal = p;
        note(`proposal card posted: ${p.mitigation.kind} ${JSON.stringify(p.mitigation)} (${p.id}, ${p.status})`);
        return;
      }
      case 'executed':
      case 'verified': {
        const target = lastProposal ?? (await until(`a proposal before it is ${m}`, t.proposal, () => findProposal(ref)));
        const wanted = m === 'executed' ? 'mitigation.executed' : 'mitigation.verified';
        const ev = await until(`proposal ${target.id} (${target.mitigation.kind}) to be ${m}`, m === 'executed' ? t.executed : t.verified, async () => {
          const all = await timeline();
          const events = all.filter((e) => e.data?.['proposalId'] === target.id);
          const bad = events.find((e) => e.kind === 'mitigation.failed' || (e.kind === 'mitigation.refused' && e.actor === 'warroom') || (m === 'verified' && e.kind === 'mitigation.unverified'));
          if (bad) throw new PlayFailure(`proposal ${target.id} was not ${m}: ${bad.text}`);
          if (m === 'verified') await attend(all);
          return events.find((e) => e.kind === wanted);
        });
        note(`${m}: ${ev.text}`);
        return;
      }
      case 'postmortem': {
        await until('the post-mortem draft (postmortem.drafted on the timeline)', t.postmortem, async () => (await timeline()).find((e) => e.kind === 'postmortem.drafted'));
        note('post-mortem draft written');
        return;
      }
    }
  }

  async function command(user: string, text: string): Promise<void> {
    const { channelId } = inc();
    if (!channelId) throw new PlayFailure('the incident has no channel');
    const r = await slack.sendSlashCommand({ command: '/incident', text, userId: user, channelId });
    if (r.status !== 200) throw new PlayFailure(`/incident ${text} by ${user}: HTTP ${r.status} ${r.text}`);
    const reply = typeof r.body === 'object' && r.body !== null && 'text' in r.body ? String((r.body as { text: unknown }).text) : r.text;
    note(`${user}: /incident ${text}${reply ? ` -> ${reply.slice(0, 200)}` : ''}`);
  }

  /** The proposal card an approve or deny step is about (waited for when not there yet). */
  async function stepProposal(step: Extract<ScriptStep, { action: 'approve' | 'deny' }>): Promise<Proposal & { messageTs: string }> {
    const p = (await findProposal(step.proposal)) ?? (await (async () => {
      await waitFor('proposal', step.proposal);
      return findProposal(step.proposal);
    })());
    if (!p?.messageTs) throw new PlayFailure(`no proposal card matches ${describeRef(step.proposal)}`);
    lastProposal = p;
    return { ...p, messageTs: p.messageTs };
  }

  async function click(step: Extract<ScriptStep, { action: 'approve' | 'deny' }>): Promise<void> {
    const p = await stepProposal(step);
    const channelId = inc().channelId ?? '';
    const actionId = step.action === 'approve' ? ACTIONS.approve : ACTIONS.deny;
    const card = slack.messages(channelId).find((m) => m.ts === p.messageTs);
    if (!hasButton(card?.blocks, actionId, p.id)) throw new PlayFailure(`the proposal card ${p.id} has no ${step.action === 'approve' ? 'Approve' : 'Deny'} button`);
    const before = (await timeline()).length;
    const r = await slack.clickButton({ actionId, userId: step.user, channelId, messageTs: p.messageTs });
    if (r.status !== 200) throw new PlayFailure(`${step.action} click by ${step.user}: HTTP ${r.status} ${r.text}`);
    note(`${step.user} clicked ${step.action === 'approve' ? 'Approve' : 'Deny'} on ${p.id} (${p.mitigation.kind})`);
    const decided = await until(`the ${step.action} of ${p.id} by ${step.user} to take effect`, t.decision, async () => {
      const cur = await proposals.get(p.id);
      const refused = (await timeline()).slice(before).find((e) => e.kind === 'mitigation.refused' && e.data?.['proposalId'] === p.id);
      if (refused) throw new PlayFailure(`the ${step.action} was refused: ${refused.text}`);
      if (step.action === 'approve' ? cur?.approvals.some((a) => a.userId === step.user) : cur?.status === 'denied') return cur;
      return undefined;
    });
    note(`proposal ${p.id} is now ${decided.status}`);
  }

  /** The paced demo: the person decides in the viewer; the runner says where and waits. */
  async function personDecides(step: Extract<ScriptStep, { action: 'approve' | 'deny' }>, person: NonNullable<PlayOptions['person']>): Promise<void> {
    const p = await stepProposal(step);
    const channelId = inc().channelId ?? '';
    const approvers = [...(p.approvers?.users ?? []).map((u) => `@${person.userName(u)}`), ...(p.approvers?.usergroups ?? []).map((g) => `@${g}`)];
    note(`YOUR TURN: the proposal ${p.id} (${describeMitigation(p.mitigation)}) is waiting for approval.`);
    note(`  Open ${person.viewerUrl}#${channelId} (acting as @${person.userName(step.user)}), read the card "Proposed: ${describeMitigation(p.mitigation)}": what changes, the approval policy "${p.rule ?? '?'}" (${p.requiredApprovals} approval${p.requiredApprovals === 1 ? '' : 's'}, who may approve: ${approvers.join(', ') || '—'}), then click ${step.action === 'approve' ? 'Approve and confirm' : 'Deny'}.`);
    note('  (Deny works too: nothing then changes in the cluster. Ctrl-C stops the sandbox.)');
    const decided = await until(`a person to approve or deny ${p.id} in the viewer`, t.person, async () => {
      const cur = await proposals.get(p.id);
      return cur && cur.status !== 'pending' ? cur : undefined;
    });
    const by = decided.approvals.map((a) => `@${person.userName(a.userId)}`).join(', ') || (decided.decidedBy ? `@${person.userName(decided.decidedBy)}` : 'someone');
    note(`${by} decided in the viewer: proposal ${p.id} is now ${decided.status}`);
    const declined = decided.status === 'denied' || decided.status === 'expired' || decided.status === 'refused';
    if (step.action === 'deny') {
      if (!declined) note(`(the script denies ${p.id}; it was ${decided.status} instead: the rest of the script may not apply)`);
      return;
    }
    if (declined) throw new PlayFailure(`the proposal ${p.id} was ${decided.status} in the viewer; nothing was changed, the rest of the script does not apply`);
    await waitFor('executed');
  }

  async function incidentStatus(what: string, ok: (i: Incident) => boolean): Promise<void> {
    await until(what, t.command, async () => {
      const i = await refreshIncident();
      return i && ok(i) ? i : undefined;
    });
  }

  async function runStep(step: ScriptStep): Promise<void> {
    const after = step.after;
    if (after === 'previous' || after === 'page') {
      // nothing to wait for
    } else if (after === 'proposal') await waitFor('proposal', step.action === 'approve' || step.action === 'deny' ? step.proposal : undefined);
    else if (after === 'channel' || after === 'assessment' || after === 'executed' || after === 'verified') await waitFor(after);
    else if (isRelativeTime(after)) {
      world.clock.advanceTo(relativeMs(after));
      await sleep(stepDelay);
    }
    switch (step.action) {
      case 'approve':
      case 'deny':
        return opts.person ? personDecides(step, opts.person) : click(step);
      case 'acknowledge':
        await command(step.user, 'ack');
        return incidentStatus(`the incident to be acknowledged by ${step.user}`, (i) => Boolean(i.acknowledgedAt));
      case 'resolve':
        await command(step.user, `resolve${step.summary ? ` ${step.summary}` : ''}`);
        return incidentStatus(`the incident to be resolved by ${step.user}`, (i) => i.status === 'resolved');
      case 'command':
        return command(step.user, step.text);
    }
  }

  function attendInBackground(): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || !incident) return;
      busy = true;
      timeline()
        .then(attend)
        // The world was stopped (or a held alert was refused): nothing more to attend.
        .catch(() => clearInterval(timer))
        .finally(() => {
          busy = false;
        });
    }, 500);
    timer.unref();
  }

  let failure: string | undefined;
  try {
    const alerts = alertsInOrder(scenario, world.anchor);
    const isHeld = (a: TimedAlert) => a.source === 'alertmanager' && a.after === 'executed';
    const now = alerts.filter((a) => a.time.getTime() <= world.anchor.getTime() && !isHeld(a));
    const later = alerts.filter((a) => a.time.getTime() > world.anchor.getTime() && !isHeld(a));
    held.push(...alerts.filter(isHeld));
    for (const a of now) await deliver(a);
    await waitFor('channel');
    await waitFor('assessment');
    for (const a of later) {
      await sleep(stepDelay);
      await deliver(a);
    }
    const expected = expectedProposals(scenario.expect)[0];
    if (expected && !scenario.script.some((s) => s.after === 'proposal')) await waitFor('proposal', expected);
    if (!opts.skipScript) for (const step of scenario.script) await runStep(step);
    // A person plays the script (the viewer): verification is still attended in compressed time.
    else if (opts.attendInBackground) attendInBackground();
    if ((await refreshIncident())?.status === 'resolved') await waitFor('postmortem');
  } catch (e) {
    failure = e instanceof PlayFailure || e instanceof AppError ? e.message : `unexpected error: ${errorMessage(e)}`;
    note(`FAILED: ${failure}`);
  }

  // Collect what happened, whatever the outcome.
  const result: PlayResult = { scenario: scenario.name, proposals: [], timeline: [], transcript: [], calls: [...slack.calls], log, ...(failure ? { failure } : {}) };
  try {
    const i = await refreshIncident();
    if (i) {
      result.incidentId = i.id;
      if (i.channelId) result.channelId = i.channelId;
      if (i.channelName) result.channelName = i.channelName;
      const assessment = await diagnosis.getAssessment(i.id);
      if (assessment) result.assessment = assessment;
      result.proposals = await proposals.list(i.id);
      result.timeline = await timelines.list(i.id);
      if (result.timeline.some((e) => e.kind === 'postmortem.drafted')) result.postmortem = (await buildPostmortem(running.deps.ports, i.id)).markdown;
      if (i.channelId) {
        const names: Record<string, string> = { [slack.botUserId]: 'warroom', ...Object.fromEntries(slack.users().map((u) => [u.id, u.name])) };
        result.transcript = [`#${i.channelName ?? i.channelId}`, ...renderChannel(slack.messages(i.channelId), names)];
      }
    }
  } catch (e) {
    result.failure ??= `collecting the results failed: ${errorMessage(e)}`;
  }
  result.calls = [...slack.calls];
  return result;
}

/** Writes transcript.txt, transcript.json (the Slack calls), assessment.json, timeline.json and postmortem.md (when resolved). */
export function writeArtifacts(result: PlayResult, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, content: string) => {
    const file = path.join(outDir, name);
    writeFileSync(file, content);
    written.push(file);
  };
  write('transcript.txt', `${[...result.transcript, '', '-- runner log --', ...result.log].join('\n')}\n`);
  write('transcript.json', `${JSON.stringify({ scenario: result.scenario, incidentId: result.incidentId, channelId: result.channelId, calls: result.calls }, null, 2)}\n`);
  if (result.assessment) write('assessment.json', `${JSON.stringify(result.assessment, null, 2)}\n`);
  write('timeline.json', `${JSON.stringify({ incidentId: result.incidentId, events: result.timeline, proposals: result.proposals }, null, 2)}\n`);
  if (result.postmortem) write('postmortem.md', result.postmortem);
  return written;
}
