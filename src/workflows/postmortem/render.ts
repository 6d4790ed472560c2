/**
 * The post-mortem draft (Markdown), assembled from the timeline, the alerts, the assessment and
 * the proposals. Pure and deterministic: the same input gives the same bytes (timeline by time then
 * insertion order, hypotheses by score then their order in the assessment, proposals by request time).
 *
 * Wording is blameless: it names systems, signals and decisions; people appear as participants,
 * approvers and authors of timeline entries, never as a cause.
 *
 * Mentions: only the incident's participants (role holders, responders, approvers, people in the
 * timeline) are ever rendered as live `<@U...>`. Broadcasts and group mentions are always inert; a
 * user mention inside people's and warroom's timeline texts stays live only for a participant; in
 * anything that comes from an alert (alert events and events by an alert source, labels,
 * annotations, alert names) and in the diagnosis texts every mention is inert.
 *
 * Timeline event data read here (all optional, checked with zod, unknown shapes ignored):
 * - `mitigation.*`: `{ proposalId }` ties the event to a proposal (executed / verified / failed times);
 * - `incident.role`: `{ role, userId }` records who held a role before the current holder;
 * - `incident.action_item`: `{ owner }` (a Slack user id), optional.
 * A finding is listed as a follow-up action item when its facts carry `followUp` (text, or true for
 * its title), or when it is a warning or worse that no hypothesis cites (noted, not the cause: e.g.
 * a missing readiness probe).
 */
import { z } from 'zod';
import { AlertSource } from '../../domain/alert.js';
import type { Assessment, Evidence, Finding, Hypothesis, Mitigation } from '../../domain/diagnostics.js';
import { describeMitigation as describeOnce } from '../mitigations/catalogue.js';
import type { Incident, IncidentAlert, Role } from '../../domain/incident.js';
import type { Proposal } from '../../domain/proposal.js';
import type { TimelineEvent } from '../../domain/timeline.js';
import { AppError } from '../../errors.js';
import { FLAPPING_MIN_CYCLES } from '../diagnostics/checks/alarm-history.js';
import { FACT } from '../diagnostics/types.js';
import { alertStartMs, computeFigures, formatDuration, transitionState, type Figures } from './figures.js';
import { code, escapePipes, cell, fenced, inline, link, mention, PLACEHOLDER, table } from './markdown.js';
import { assertTimeZone, formatUtc, formatZoned, sortByTime, toMs } from './time.js';
import { isSlackUserId, kindLabel, orderTimeline } from './timeline-page.js';

export interface PostmortemInput {
  incident: Incident;
  alerts: readonly IncidentAlert[];
  timeline: readonly TimelineEvent[];
  assessment?: Assessment;
  proposals: readonly Proposal[];
  /** IANA zone shown beside UTC, e.g. Europe/Berlin. */
  timezone: string;
  generatedAt: Date;
  links?: { timelineJson?: string };
}

/** The section headings, in the order the draft has them. */
export const SECTION_TITLES = [
  'Summary',
  'Impact',
  'Participants and roles',
  'Timeline',
  'Alerts',
  'Findings and hypotheses',
  'Mitigations',
  'Contributing factors',
  'What went well',
  'What was hard',
  'Action items',
] as const;

const ProposalRef = z.looseObject({ proposalId: z.string().min(1) });
const RoleData = z.looseObject({ role: z.enum(['commander', 'comms', 'scribe']), userId: z.string().min(1) });
const ActionItemData = z.looseObject({ owner: z.string().min(1).optional() });
const FollowUp = z.union([z.string().min(1), z.literal(true)]);

interface Ctx {
  input: PostmortemInput;
  tz: string;
  timeline: TimelineEvent[];
  figures: Figures;
  findings: Map<string, Finding>;
  hypotheses: Hypothesis[];
  proposals: Proposal[];
  /** Slack user ids of the incident's participants: the only mentions that may stay live in texts. */
  people: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// Small formatters

function utcAt(iso: string | undefined): string {
  const ms = toMs(iso);
  return formatUtc(ms) ?? (iso === undefined ? 'unknown' : `${inline(iso)} (unreadable time)`);
}

/** `2026-11-21 04:12:00 UTC (2026-11-21 05:12:00 CET)` */
function bothAt(iso: string | undefined, tz: string): string {
  const ms = toMs(iso);
  const utc = formatUtc(ms);
  const local = formatZoned(ms, tz);
  if (utc === undefined || local === undefined) return utcAt(iso);
  return `${utc} UTC (${local})`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function proposalIdOf(event: TimelineEvent): string | undefined {
  const parsed = ProposalRef.safeParse(event.data);
  return parsed.success ? parsed.data.proposalId : undefined;
}

function roleName(role: Role): string {
  return role === 'commander' ? 'Commander' : role === 'comms' ? 'Comms' : 'Scribe';
}

/** A person that may not be a Slack user id (a user group, an email): inert unless a user id. */
function person(id: string): string {
  return isSlackUserId(id) ? `<@${id}>` : code(id);
}

/** The mitigation's one description, its object names and matchers as code spans. */
function describeMitigation(m: Mitigation): string {
  return describeOnce(m, code);
}

function evidenceLines(ev: Evidence, indent: string): string[] {
  const out: string[] = [];
  if (ev.query !== undefined && ev.query.trim() !== '') {
    if (/[\r\n]/.test(ev.query.trim())) out.push(`${indent}- Query:`, ...fenced(ev.query.trim(), `${indent}  `));
    else out.push(`${indent}- Query: ${code(ev.query.trim())}`);
  }
  const numbers = Object.entries(ev.numbers);
  if (numbers.length > 0) out.push(`${indent}- Numbers: ${numbers.map(([k, v]) => `${inline(k)} ${typeof v === 'number' ? String(v) : inline(v)}`).join(' · ')}`);
  if (ev.link !== undefined) out.push(`${indent}- Link: ${link('evidence', ev.link)}`);
  if (ev.detail !== undefined && ev.detail.trim() !== '') out.push(`${indent}- Detail:`, ...fenced(ev.detail.trim(), `${indent}  `));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sections

function header(ctx: Ctx): string[] {
  const { incident, generatedAt, links } = ctx.input;
  const gen = generatedAt.toISOString();
  const status = [
    `**Status:** ${incident.status}`,
    `**Severity:** ${incident.severity}`,
    `**Source:** ${incident.source} (route ${code(incident.route)})`,
  ];
  if (incident.channelName !== undefined) status.push(`**Channel:** #${inline(incident.channelName)}`);
  if (ctx.figures.reopenCount > 0) status.push(`**Reopened:** ${plural(ctx.figures.reopenCount, 'time')}`);
  const lines = [
    `# Post-mortem: ${inline(incident.id)} ${inline(incident.title)} (draft)`,
    '',
    status.join(' · '),
    '',
    `> **Draft** generated by warroom on ${bothAt(gen, ctx.tz)} from ${plural(ctx.timeline.length, 'timeline event')}. ` +
      'This is a blameless review: it describes systems, signals and decisions, not individual fault. Edit it before sharing.',
  ];
  if (links?.timelineJson !== undefined) lines.push('', `Full timeline: ${link('timeline.json', links.timelineJson)}`);
  return lines;
}

function summary(ctx: Ctx): string[] {
  const { assessment } = ctx.input;
  const f = ctx.figures;
  const sentences: string[] = [];
  if (assessment !== undefined && assessment.summary.trim() !== '') sentences.push(inline(assessment.summary));
  const top = ctx.hypotheses.find((h) => h.verdict === 'supported');
  if (top) sentences.push(`The leading supported hypothesis is **${inline(top.title)}**: ${inline(top.explanation)}`);
  else if (assessment !== undefined) sentences.push('The diagnosis found no supported hypothesis.');
  else sentences.push('No automated diagnosis was recorded.');

  const firstAlert = [...ctx.input.alerts].sort(byAlertStart)[0];
  const bp = f.impact.beforePage;
  if (f.impact.startAt !== undefined && bp) {
    const name = firstAlert ? code(firstAlert.name) : 'The alarm';
    const end = f.impact.open
      ? '; the impact window was still open when this draft was written.'
      : `; the impact window closed at ${utcAt(f.impact.endAt)} UTC after ${formatDuration(f.impact.durationMs ?? 0)}.`;
    sentences.push(`The problem began before the page: ${name} first flapped at ${utcAt(f.impact.startAt)} UTC and cycled OK→ALARM ${plural(bp.flaps, 'time')} over ${formatDuration(bp.spanMs)} before it paged at ${utcAt(bp.pageAt)} UTC${end}`);
  } else if (f.impact.startAt !== undefined) {
    const what = firstAlert ? `${code(firstAlert.name)} first fired` : 'The first alert fired';
    const times = f.firingCount > 1 ? ` and alerts went to firing ${plural(f.firingCount, 'time')} in all` : '';
    const end = f.impact.open
      ? `; the impact window was still open when this draft was written${f.impact.elapsedMs !== undefined ? ` (${formatDuration(f.impact.elapsedMs)} so far)` : ''}.`
      : `; the impact window closed at ${utcAt(f.impact.endAt)} UTC after ${formatDuration(f.impact.durationMs ?? 0)}.`;
    sentences.push(`${what} at ${utcAt(f.impact.startAt)} UTC${times}${end}`);
  }
  const verified = ctx.proposals.filter((p) => p.status === 'verified');
  if (verified.length > 0) sentences.push(`Verified mitigation: ${verified.map((p) => describeMitigation(p.mitigation)).join('; ')}.`);
  const para = sentences.map((s) => (/[.!?]$/.test(s) ? s : `${s}.`)).join(' ');
  return ['## Summary', '', '_Draft from the diagnosis and the timeline: correct it and say what happened in the team\'s words._', '', para];
}

function impact(ctx: Ctx): string[] {
  const f = ctx.figures;
  const tz = ctx.tz;
  const lines = ['## Impact', ''];
  if (f.impact.startAt === undefined) {
    lines.push('- **Impact window:** no alert start was recorded.');
  } else if (f.impact.open) {
    const elapsed = f.impact.elapsedMs !== undefined ? `, ${formatDuration(f.impact.elapsedMs)} so far` : '';
    lines.push(`- **Impact window:** from ${bothAt(f.impact.startAt, tz)}, still open (an alert still fires${elapsed})`);
  } else {
    lines.push(`- **Impact window:** ${bothAt(f.impact.startAt, tz)} to ${bothAt(f.impact.endAt, tz)}, ${formatDuration(f.impact.durationMs ?? 0)}`);
  }
  if (f.impact.beforePage) {
    const bp = f.impact.beforePage;
    lines.push(`- **Problem began:** ${bothAt(f.impact.startAt, tz)}, the alarm's first flap; ${plural(bp.flaps, 'OK→ALARM cycle')} over ${formatDuration(bp.spanMs)} before the page at ${bothAt(bp.pageAt, tz)} (from the alarm history)`);
  }
  lines.push(`- **Alerts:** ${plural(ctx.input.alerts.length, 'alert')}, ${plural(f.firingCount, 'firing period')}`);
  lines.push(`- **Who and what was affected:** ${PLACEHOLDER}`, '');
  const rows: [string, string, string | undefined, number | undefined][] = [
    ['Detect', f.impact.beforePage ? 'first flap to incident opened' : 'first alert to incident opened', f.openedAt, f.timeToDetectMs],
    ['Acknowledge', 'opened to acknowledged', f.acknowledgedAt, f.timeToAcknowledgeMs],
    ['Mitigate', 'opened to mitigated', f.mitigatedAt, f.timeToMitigateMs],
    ['Resolve', 'opened to resolved', f.resolvedAt, f.timeToResolveMs],
  ];
  lines.push(
    ...table(
      ['Time to', 'Measured', 'Duration', 'Reached (UTC)', `Reached (${cell(tz)})`],
      rows.map(([name, measured, at, ms]) => {
        const atMs = toMs(at);
        return [name, measured, ms === undefined ? '_not reached_' : formatDuration(ms), formatUtc(atMs) ?? '', formatZoned(atMs, tz) ?? ''];
      }),
    ),
  );
  return lines;
}

function participants(ctx: Ctx): string[] {
  const { incident } = ctx.input;
  const lines = ['## Participants and roles', ''];
  for (const role of ['commander', 'comms', 'scribe'] as const) {
    const current = incident.roles[role];
    const earlier: string[] = [];
    for (const e of ctx.timeline) {
      if (e.kind !== 'incident.role') continue;
      const d = RoleData.safeParse(e.data);
      if (d.success && d.data.role === role && d.data.userId !== current && !earlier.includes(d.data.userId)) earlier.push(d.data.userId);
    }
    const holder = current !== undefined ? person(current) : '_not assigned_';
    const before = earlier.length > 0 ? ` (earlier: ${earlier.map(person).join(', ')})` : '';
    lines.push(`- **${roleName(role)}:** ${holder}${before}`);
  }
  const approvers: string[] = [];
  for (const p of ctx.proposals) for (const a of p.approvals) if (!approvers.includes(a.userId)) approvers.push(a.userId);
  lines.push(`- **Approvers:** ${approvers.length > 0 ? approvers.map(person).join(', ') : '_none_'}`);
  if (incident.responders.length > 0) lines.push(`- **Responders invited:** ${incident.responders.map(person).join(', ')}`);
  const counts = new Map<string, number>();
  for (const e of ctx.timeline) if (isSlackUserId(e.actor)) counts.set(e.actor, (counts.get(e.actor) ?? 0) + 1);
  const actors = [...counts.entries()].map(([id, n]) => `${person(id)} (${plural(n, 'entry', 'entries')})`);
  lines.push(`- **In the timeline:** ${actors.length > 0 ? actors.join(', ') : '_no people yet_'}`);
  return lines;
}

/** Alert events and events written on an alert source's behalf carry label values: no live mention at all. */
function fromAlert(e: TimelineEvent): boolean {
  return e.kind.startsWith('alert.') || (AlertSource.options as readonly string[]).includes(e.actor);
}

function timelineSection(ctx: Ctx): string[] {
  const rows = ctx.timeline.map((e) => {
    const ms = toMs(e.at);
    const text = e.text.trim() === '' ? kindLabel(e.kind) : e.text;
    return [formatUtc(ms) ?? cell(e.at), formatZoned(ms, ctx.tz) ?? '', escapePipes(mention(e.actor)), cell(text, fromAlert(e) ? undefined : ctx.people)];
  });
  const lines = ['## Timeline', ''];
  if (rows.length === 0) return [...lines, '_No events were recorded._'];
  return [...lines, ...table(['Time (UTC)', `Time (${cell(ctx.tz)})`, 'Who', 'What'], rows)];
}

function byAlertStart(a: IncidentAlert, b: IncidentAlert): number {
  const am = alertStartMs(a) ?? Number.POSITIVE_INFINITY;
  const bm = alertStartMs(b) ?? Number.POSITIVE_INFINITY;
  if (am !== bm) return am < bm ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
}

function alertsSection(ctx: Ctx): string[] {
  const lines = ['## Alerts'];
  const alerts = [...ctx.input.alerts].sort(byAlertStart);
  if (alerts.length === 0) return [...lines, '', '_No alerts were recorded for this incident._'];
  for (const a of alerts) {
    lines.push('', `### ${inline(a.name)}`, '');
    lines.push(`- **Source:** ${a.source} · **Severity:** ${a.severity} · **Now:** ${a.status}`);
    lines.push(`- **Fingerprint:** ${code(a.fingerprint)}`);
    const t = a.cloudwatch?.trigger;
    if (a.cloudwatch !== undefined) {
      const cw = a.cloudwatch;
      const what = t ? `${code(`${t.namespace ?? '?'} ${t.metricName ?? 'metric math'}`)} ${inline(t.statistic ?? '')} ${inline(t.comparisonOperator)} ${t.threshold}, ${t.evaluationPeriods} x ${t.period} s` : 'trigger not recorded';
      lines.push(`- **Alarm:** ${code(cw.alarmName)} in ${code(cw.region)}, ${what}`);
    }
    const labels = Object.entries(a.labels);
    if (labels.length > 0) lines.push(`- **Labels:** ${labels.map(([k, v]) => code(`${k}=${v}`)).join(', ')}`);
    for (const [k, v] of Object.entries(a.annotations)) lines.push(`- **${inline(k)}:** ${inline(v)}`);
    for (const l of a.links) lines.push(`- ${link(l.title, l.url)}`);
    const transitions =
      a.transitions.length > 0
        ? sortByTime(a.transitions, (tr) => tr.at)
        : [{ at: a.startsAt, status: 'firing' }, ...(a.status === 'resolved' && a.endsAt !== undefined ? [{ at: a.endsAt, status: 'resolved' }] : [])];
    lines.push(
      '',
      ...table(
        ['Time (UTC)', `Time (${cell(ctx.tz)})`, 'Transition'],
        transitions.map((tr) => [formatUtc(toMs(tr.at)) ?? cell(tr.at), formatZoned(toMs(tr.at), ctx.tz) ?? '', cell(transitionState(tr.status) === 'other' ? tr.status : transitionState(tr.status))]),
      ),
    );
  }
  return lines;
}

function hypothesisLines(ctx: Ctx, h: Hypothesis, n: number): string[] {
  const lines = [`${n}. **${inline(h.title)}** (score ${h.score}): ${inline(h.explanation)}`];
  const refs: [string, readonly string[]][] = [
    ['Supported by', h.supportedBy],
    ['Refuted by', h.refutedBy],
  ];
  for (const [label, ids] of refs) {
    for (const id of ids) {
      const f = ctx.findings.get(id);
      if (!f) {
        lines.push(`   - ${label} finding ${code(id)} (not in the assessment)`);
        continue;
      }
      lines.push(`   - ${label}: ${inline(f.title)} (${code(f.id)}): ${inline(f.summary)}`);
      // What refuted a hypothesis is spelled out with its numbers and queries.
      if (label === 'Refuted by' || h.verdict !== 'refuted') for (const ev of f.evidence) lines.push(...evidenceLines(ev, '     '));
    }
  }
  return lines;
}

function findingsSection(ctx: Ctx): string[] {
  const lines = ['## Findings and hypotheses'];
  const { assessment } = ctx.input;
  if (assessment === undefined) return [...lines, '', '_No diagnosis was recorded for this incident._'];
  lines.push('', '_Hypotheses in the order the diagnosis ranked them; each verdict names its evidence._');
  const groups: [string, Hypothesis['verdict']][] = [
    ['Supported', 'supported'],
    ['Refuted', 'refuted'],
    ['Inconclusive', 'inconclusive'],
  ];
  for (const [title, verdict] of groups) {
    const hs = ctx.hypotheses.filter((h) => h.verdict === verdict);
    lines.push('', `### ${title}`, '');
    if (hs.length === 0) lines.push('_None._');
    hs.forEach((h, i) => lines.push(...hypothesisLines(ctx, h, i + 1)));
  }
  const cited = citedFindings(ctx);
  const others = assessment.findings.filter((f) => !cited.has(f.id));
  if (others.length > 0) {
    lines.push('', '### Other findings', '');
    for (const f of others) {
      lines.push(`- **${inline(f.title)}** (${f.severity}, ${code(f.id)}): ${inline(f.summary)}`);
      for (const ev of f.evidence) lines.push(...evidenceLines(ev, '  '));
    }
  }
  return lines;
}

function citedFindings(ctx: Ctx): Set<string> {
  return new Set(ctx.hypotheses.flatMap((h) => [...h.supportedBy, ...h.refutedBy]));
}

function mitigationsSection(ctx: Ctx): string[] {
  const lines = ['## Mitigations'];
  if (ctx.proposals.length === 0) return [...lines, '', '_No mitigation went through warroom. Record manual mitigations here._'];
  ctx.proposals.forEach((p, i) => {
    const events = ctx.timeline.filter((e) => e.kind.startsWith('mitigation.') && proposalIdOf(e) === p.id);
    const executed = events.find((e) => e.kind === 'mitigation.executed');
    const verification = events.filter((e) => e.kind === 'mitigation.verified' || e.kind === 'mitigation.unverified' || e.kind === 'mitigation.failed').at(-1);
    const watched = events.find((e) => e.kind === 'mitigation.watching');
    const decision = events.find((e) => e.kind === 'mitigation.denied' || e.kind === 'mitigation.refused' || e.kind === 'mitigation.expired');
    lines.push('', `### ${i + 1}. ${describeMitigation(p.mitigation)}`, '');
    lines.push(`- **Status:** ${p.status}${p.environment !== undefined ? ` · environment ${code(p.environment)}${p.protectedEnvironment ? ' (protected)' : ''}` : ''}`);
    lines.push(`- **Why:** ${inline(p.rationale)}`);
    const because = p.because.map((id) => ctx.findings.get(id)?.title ?? id);
    if (because.length > 0) lines.push(`- **From findings:** ${because.map((b) => inline(b)).join('; ')}`);
    lines.push(`- **Risk:** ${inline(p.risk)}`);
    lines.push(`- **Requested by:** ${mention(p.requestedBy)} at ${utcAt(p.requestedAt)} UTC`);
    if (p.approvals.length > 0) {
      for (const a of p.approvals) lines.push(`- **Approved by:** ${person(a.userId)} at ${utcAt(a.at)} UTC under rule ${code(a.rule)}`);
      lines.push(`- **Approvals:** ${p.approvals.length} of ${p.requiredApprovals} required`);
    } else {
      lines.push(`- **Approved by:** _no approval recorded_ (${p.requiredApprovals} required)`);
    }
    if (decision !== undefined) lines.push(`- **${decision.kind === 'mitigation.denied' ? 'Denied' : decision.kind === 'mitigation.refused' ? 'Refused' : 'Expired'}:** ${utcAt(decision.at)} UTC by ${mention(decision.actor)}: ${inline(decision.text)}`);
    else if (p.status === 'denied' && p.decidedBy !== undefined) lines.push(`- **Denied by:** ${person(p.decidedBy)}`);
    lines.push(`- **Executed:** ${executed ? `${bothAt(executed.at, ctx.tz)}` : '_not executed_'}`);
    if (watched) lines.push(`- **Watched:** from ${utcAt(watched.at)} UTC: ${inline(watched.text)}`);
    if (verification) {
      const verdict = verification.kind === 'mitigation.verified' ? 'verified' : verification.kind === 'mitigation.failed' ? 'failed' : (p.verification?.result ?? 'not verified');
      lines.push(`- **Verification:** ${verdict} at ${utcAt(verification.at)} UTC: ${inline(verification.text)}`);
    } else {
      lines.push(`- **Verification:** ${p.verification?.result ?? (p.status === 'verified' || p.status === 'failed' ? p.status : '_no verification recorded_')}`);
    }
    if (p.outcome !== undefined) lines.push(`- **Outcome:** ${inline(p.outcome)}`);
    if (p.diff.length > 0) lines.push('', ...table(['Field', 'Before', 'After'], p.diff.map((d) => [escapePipes(code(d.field)), cell(d.before), cell(d.after)])));
  });
  return lines;
}

function contributingFactors(ctx: Ctx): string[] {
  const supported = ctx.hypotheses.filter((h) => h.verdict === 'supported');
  const lines = ['## Contributing factors', '', '_Draft from the supported hypotheses: confirm, merge or remove, and add what the diagnosis could not see._', ''];
  for (const h of supported) lines.push(`- ${inline(h.title)}: ${inline(h.explanation)}`);
  lines.push(`- ${PLACEHOLDER}`);
  return lines;
}

function followUps(ctx: Ctx): { text: string; source: string }[] {
  const { assessment } = ctx.input;
  if (assessment === undefined) return [];
  const cited = citedFindings(ctx);
  const out: { text: string; source: string }[] = [];
  for (const f of assessment.findings) {
    const explicit = FollowUp.safeParse(f.facts.followUp);
    const noted = !cited.has(f.id) && f.severity !== 'info';
    if (!explicit.success && !noted) continue;
    const text = explicit.success && explicit.data !== true ? explicit.data : `Follow up: ${f.title}`;
    out.push({ text, source: `finding ${code(f.id)}` });
  }
  return out;
}

function actionItems(ctx: Ctx): string[] {
  const rows: string[][] = [];
  for (const e of ctx.timeline) {
    if (e.kind !== 'incident.action_item') continue;
    const d = ActionItemData.safeParse(e.data);
    const owner = d.success && d.data.owner !== undefined ? person(d.data.owner) : '_owner_';
    rows.push([cell(e.text, ctx.people), escapePipes(owner), escapePipes(`note by ${mention(e.actor)}, ${utcAt(e.at)} UTC`)]);
  }
  for (const f of followUps(ctx)) rows.push([cell(f.text), '_owner_', escapePipes(f.source)]);
  rows.push([PLACEHOLDER, '_owner_', '']);
  return ['## Action items', '', ...table(['#', 'Action', 'Owner', 'Source'], rows.map((r, i) => [String(i + 1), ...r]))];
}

function participantIds(input: PostmortemInput, timeline: readonly TimelineEvent[]): Set<string> {
  const ids: string[] = [...Object.values(input.incident.roles), ...input.incident.responders];
  for (const e of timeline) {
    ids.push(e.actor);
    const role = RoleData.safeParse(e.data);
    if (e.kind === 'incident.role' && role.success) ids.push(role.data.userId);
  }
  for (const p of input.proposals) {
    ids.push(p.requestedBy, ...p.approvals.map((a) => a.userId));
    if (p.decidedBy !== undefined) ids.push(p.decidedBy);
  }
  return new Set(ids.filter((id): id is string => id !== undefined && isSlackUserId(id)));
}

// ---------------------------------------------------------------------------------------------

/** The paging alarm's flapping before the page, as the alarm-history check found it. */
export function flappingOf(assessment: Assessment | undefined): { flapping?: { firstAt: string; cycles: number } } {
  for (const f of assessment?.findings ?? []) {
    if (f.check !== 'alarm-history') continue;
    const firstAt = f.facts[FACT.firstFlapAt];
    const cycles = f.facts[FACT.flapCycles];
    if (typeof firstAt === 'string' && typeof cycles === 'number' && cycles >= FLAPPING_MIN_CYCLES) return { flapping: { firstAt, cycles } };
  }
  return {};
}

export function renderPostmortem(input: PostmortemInput): string {
  const tz = assertTimeZone(input.timezone);
  if (!Number.isFinite(input.generatedAt.getTime())) throw new AppError('bad_request', 'generatedAt is not a valid date');
  const timeline = orderTimeline(input.timeline);
  const hypotheses = (input.assessment?.hypotheses ?? [])
    .map((h, i) => ({ h, i }))
    .sort((a, b) => (a.h.score !== b.h.score ? b.h.score - a.h.score : a.i - b.i))
    .map((x) => x.h);
  const ctx: Ctx = {
    input,
    tz,
    timeline,
    figures: computeFigures({ incident: input.incident, alerts: input.alerts, timeline, now: input.generatedAt, ...flappingOf(input.assessment) }),
    findings: new Map((input.assessment?.findings ?? []).map((f) => [f.id, f])),
    hypotheses,
    proposals: sortByTime(input.proposals, (p) => p.requestedAt),
    people: participantIds(input, timeline),
  };
  const sections = [
    header(ctx),
    summary(ctx),
    impact(ctx),
    participants(ctx),
    timelineSection(ctx),
    alertsSection(ctx),
    findingsSection(ctx),
    mitigationsSection(ctx),
    contributingFactors(ctx),
    ['## What went well', '', PLACEHOLDER],
    ['## What was hard', '', PLACEHOLDER],
    actionItems(ctx),
  ];
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
