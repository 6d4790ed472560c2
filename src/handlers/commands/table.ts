/**
 * The /incident command table: one entry per subcommand; help is generated from it.
 * Handlers parse and authorise; the work is in the workflows.
 */
import type { Severity } from '../../domain/alert.js';
import type { Mitigation } from '../../domain/diagnostics.js';
import { Role } from '../../domain/incident.js';
import type { Incident } from '../../domain/incident.js';
import { AppError, isAppError, toUserReply } from '../../errors.js';
import { CALLBACKS, DECLARE_FIELDS } from '../../integrations/slack/blocks/ids.js';
import { esc } from '../../integrations/slack/blocks/kit.js';
import type { Ports } from '../../workflows/context.js';
import { rerunDiagnosis } from '../../workflows/diagnostics/engine.js';
import { acknowledgeIncident, resolveIncident } from '../../workflows/incidents.js';
import { requestPostmortem, timelineView } from '../../workflows/lifecycle.js';
import { propose } from '../../workflows/mitigations/index.js';
import { addNote, assignRole, declareIncident, postStatusUpdate, setSeverity, type CommandOutcome } from '../../workflows/triage.js';

export interface CommandContext {
  deps: Ports;
  userId: string;
  channelId: string;
  triggerId?: string;
  requestId: string;
  args: string;
  /** Set when the command runs in an incident channel. */
  incident?: Incident;
}

export interface CommandReply extends CommandOutcome {
  blocks?: unknown[];
}

export interface CommandSpec {
  name: string;
  usage: string;
  description: string;
  /** incident: only in an incident channel; outside: only outside one; anywhere. */
  where: 'incident' | 'outside' | 'anywhere';
  run(ctx: CommandContext): Promise<CommandReply>;
}

const SEV = /^(?:sev)?([1-4])$/i;
export function parseSeverity(s: string | undefined): Severity | undefined {
  const m = SEV.exec((s ?? '').trim());
  return m ? (`SEV${m[1]}` as Severity) : undefined;
}

const USER = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
export function parseUser(s: string | undefined): string | undefined {
  const t = (s ?? '').trim();
  const m = USER.exec(t);
  if (m) return m[1];
  return /^[UW][A-Z0-9]{2,}$/.test(t) ? t : undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function parseTarget(s: string | undefined, what: string): { namespace: string; name: string } {
  const t = (s ?? '').trim();
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(t);
  if (!m) throw new AppError('bad_request', `expected <namespace>/<${what}>, got “${t || '(nothing)'}”`);
  const [, namespace = '', name = ''] = m;
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) throw new AppError('bad_request', `namespace “${namespace}” is not a valid DNS-1123 label (lowercase letters, digits and '-', at most 63)`);
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) throw new AppError('bad_request', `${what} name “${name}” is not a valid DNS-1123 name`);
  return { namespace, name };
}

function intArg(s: string | undefined, what: string, min: number, max: number): number {
  if (s === undefined || !/^\d+$/.test(s)) throw new AppError('bad_request', `${what} must be a whole number between ${min} and ${max}`);
  const n = Number(s);
  if (n < min || n > max) throw new AppError('bad_request', `${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseMinutes(s: string | undefined): number {
  const m = /^(\d+)\s*(m|min|h|d)?$/i.exec((s ?? '').trim());
  if (!m) throw new AppError('bad_request', 'duration must look like 30m, 2h or 1d');
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const minutes = unit === 'h' ? n * 60 : unit === 'd' ? n * 1440 : n;
  if (minutes < 1 || minutes > 7 * 1440) throw new AppError('bad_request', 'silence duration must be between 1 minute and 7 days');
  return minutes;
}

export function parseHpaArgs(args: string[]): { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number } {
  const out: { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number } = {};
  for (const a of args) {
    const m = /^(min|max|target)=(\S+)$/.exec(a);
    if (!m) throw new AppError('bad_request', `unexpected “${a}”; use min=<n> max=<n> target=<pct>`);
    const [, key, value] = m;
    if (key === 'min') out.minReplicas = intArg(value, 'min', 1, 1000);
    if (key === 'max') out.maxReplicas = intArg(value, 'max', 1, 1000);
    if (key === 'target') out.targetCPUUtilizationPercentage = intArg(value?.replace(/%$/, ''), 'target', 1, 100);
  }
  if (Object.keys(out).length === 0) throw new AppError('bad_request', 'give at least one of min=<n> max=<n> target=<pct>');
  if (out.minReplicas !== undefined && out.maxReplicas !== undefined && out.minReplicas > out.maxReplicas) throw new AppError('bad_request', `min (${out.minReplicas}) must not exceed max (${out.maxReplicas})`);
  return out;
}

function words(s: string): string[] {
  return s.trim().split(/\s+/).filter(Boolean);
}

function need<T>(v: T | undefined, usage: string): T {
  if (v === undefined) throw new AppError('bad_request', `usage: \`/incident ${usage}\``);
  return v;
}

const inc = (ctx: CommandContext) => ctx.incident as Incident;

/** The declare form: title, severity and extra responders, read back by the view_submission listener. */
export function declareModal(channelId: string): Record<string, unknown> {
  const plain = (text: string) => ({ type: 'plain_text', text });
  const sevOption = (n: number) => ({ text: plain(`SEV${n}`), value: `SEV${n}` });
  return {
    type: 'modal',
    callback_id: CALLBACKS.declare,
    private_metadata: JSON.stringify({ channelId }),
    title: plain('Declare an incident'),
    submit: plain('Declare'),
    close: plain('Cancel'),
    blocks: [
      { type: 'input', block_id: DECLARE_FIELDS.title.block, label: plain('Title'), element: { type: 'plain_text_input', action_id: DECLARE_FIELDS.title.action, max_length: 140, placeholder: plain('Checkout is failing for EU customers') } },
      {
        type: 'input',
        block_id: DECLARE_FIELDS.severity.block,
        label: plain('Severity'),
        element: { type: 'static_select', action_id: DECLARE_FIELDS.severity.action, initial_option: sevOption(3), options: [1, 2, 3, 4].map(sevOption) },
      },
      { type: 'input', optional: true, block_id: DECLARE_FIELDS.responders.block, label: plain('Responders to invite'), element: { type: 'multi_users_select', action_id: DECLARE_FIELDS.responders.action } },
    ],
  };
}

const proposeHere = (ctx: CommandContext, m: Mitigation): Promise<CommandReply> => propose(ctx.deps, inc(ctx), m, ctx.userId);

export const COMMANDS: CommandSpec[] = [
  { name: 'help', usage: 'help', description: 'This help.', where: 'anywhere', run: async () => ({ ok: true, message: helpText() }) },
  {
    name: 'declare',
    usage: 'declare [sev1-4] <title>',
    description: 'Declare an incident by hand (no title: opens a form).',
    where: 'anywhere',
    run: async (ctx) => {
      const w = words(ctx.args);
      const severity = parseSeverity(w[0]);
      const title = (severity ? w.slice(1) : w).join(' ').trim();
      if (!title) {
        if (ctx.triggerId) {
          // The form's fields are what the view_submission listener reads.
          await ctx.deps.chat.openView(ctx.triggerId, declareModal(ctx.channelId));
          return { ok: true, message: '' };
        }
        throw new AppError('bad_request', 'usage: `/incident declare [sev1-4] <title>`');
      }
      if (title.length > 140) throw new AppError('bad_request', 'title is too long (at most 140 characters)');
      return declareIncident(ctx.deps, { title, severity: severity ?? 'SEV3', userId: ctx.userId, requestId: ctx.requestId });
    },
  },
  {
    name: 'list',
    usage: 'list',
    description: 'Open incidents.',
    where: 'anywhere',
    run: async (ctx) => {
      const open = await ctx.deps.incidents.listOpen();
      if (!open.length) return { ok: true, message: 'No open incidents. :sunny:' };
      return { ok: true, message: open.map((i) => `• *${i.id}* ${i.severity} ${i.status}: ${esc(i.title)}${i.channelId ? ` <#${i.channelId}>` : ''}`).join('\n') };
    },
  },
  {
    name: 'status',
    usage: 'status',
    description: 'Where this incident stands.',
    where: 'incident',
    run: async (ctx) => {
      const i = inc(ctx);
      const alerts = await ctx.deps.incidents.listAlerts(i.id);
      const firing = alerts.filter((a) => a.status === 'firing').length;
      return { ok: true, message: `*${i.id}* ${i.severity} *${i.status}* — ${esc(i.title)}\n${firing} of ${alerts.length} alerts firing · opened ${i.createdAt}${i.acknowledgedAt ? ` · acknowledged by <@${i.acknowledgedBy}>` : ''}` };
    },
  },
  { name: 'ack', usage: 'ack', description: 'Acknowledge: you are on it.', where: 'incident', run: (ctx) => acknowledgeIncident(ctx.deps, inc(ctx).id, ctx.userId) },
  { name: 'resolve', usage: 'resolve [summary]', description: 'Resolve the incident.', where: 'incident', run: (ctx) => resolveIncident(ctx.deps, inc(ctx).id, ctx.userId, ctx.args.trim() || undefined) },
  { name: 'update', usage: 'update <text>', description: 'Post a status update here and in the announcement channel.', where: 'incident', run: (ctx) => postStatusUpdate(ctx.deps, inc(ctx), ctx.userId, ctx.args) },
  {
    name: 'sev',
    usage: 'sev <1-4>',
    description: 'Change the severity.',
    where: 'incident',
    run: (ctx) => setSeverity(ctx.deps, inc(ctx), ctx.userId, need(parseSeverity(words(ctx.args)[0]), 'sev <1-4>')),
  },
  {
    name: 'role',
    usage: 'role <commander|comms|scribe> @user',
    description: 'Assign a role.',
    where: 'incident',
    run: (ctx) => {
      const [r, u] = words(ctx.args);
      const role = Role.safeParse(r?.toLowerCase());
      if (!role.success) throw new AppError('bad_request', 'usage: `/incident role <commander|comms|scribe> @user`');
      return assignRole(ctx.deps, inc(ctx), ctx.userId, role.data, need(parseUser(u), 'role <commander|comms|scribe> @user'));
    },
  },
  {
    name: 'roles',
    usage: 'roles',
    description: 'Who holds which role.',
    where: 'incident',
    run: async (ctx) => {
      const m = ctx.deps.render.roles(inc(ctx));
      return { ok: true, message: m.text, ...(m.blocks ? { blocks: m.blocks } : {}) };
    },
  },
  { name: 'note', usage: 'note <text> | note action: <text>', description: 'Add a note (or an action item) to the timeline.', where: 'incident', run: (ctx) => addNote(ctx.deps, inc(ctx), ctx.userId, ctx.args) },
  {
    name: 'timeline',
    usage: 'timeline [page]',
    description: 'The timeline so far (only you see it).',
    where: 'incident',
    run: async (ctx) => {
      const page = ctx.args.trim() ? intArg(words(ctx.args)[0], 'page', 1, 10_000) : 1;
      const m = await timelineView(ctx.deps, inc(ctx), page);
      return { ok: true, message: m.text, ...(m.blocks ? { blocks: m.blocks } : {}) };
    },
  },
  {
    name: 'diagnose',
    usage: 'diagnose',
    description: 'Run the diagnostics again.',
    where: 'incident',
    run: (ctx) => rerunDiagnosis(ctx.deps, inc(ctx).id, ctx.userId),
  },
  {
    name: 'postmortem',
    usage: 'postmortem',
    description: 'Draft the post-mortem now.',
    where: 'incident',
    run: (ctx) => requestPostmortem(ctx.deps, inc(ctx), ctx.userId),
  },
  {
    name: 'rollback',
    usage: 'rollback <namespace>/<deployment> [revision]',
    description: 'Propose rolling a deployment back (previous or a named revision).',
    where: 'incident',
    run: (ctx) => {
      const [target, rev] = words(ctx.args);
      const t = parseTarget(target, 'deployment');
      return proposeHere(ctx, { kind: 'rollback', namespace: t.namespace, deployment: t.name, ...(rev !== undefined ? { toRevision: intArg(rev, 'revision', 1, 1_000_000) } : {}) });
    },
  },
  {
    name: 'scale',
    usage: 'scale <namespace>/<deployment> <replicas>',
    description: 'Propose scaling a deployment.',
    where: 'incident',
    run: (ctx) => {
      const [target, n] = words(ctx.args);
      const t = parseTarget(target, 'deployment');
      return proposeHere(ctx, { kind: 'scale', namespace: t.namespace, deployment: t.name, replicas: intArg(n, 'replicas', 0, 500) });
    },
  },
  {
    name: 'restart',
    usage: 'restart <namespace>/<deployment>',
    description: 'Propose a rolling restart.',
    where: 'incident',
    run: (ctx) => {
      const t = parseTarget(words(ctx.args)[0], 'deployment');
      return proposeHere(ctx, { kind: 'restart', namespace: t.namespace, deployment: t.name });
    },
  },
  {
    name: 'hpa',
    usage: 'hpa <namespace>/<name> min=<n> max=<n> target=<pct>',
    description: 'Propose new HPA bounds or target.',
    where: 'incident',
    run: (ctx) => {
      const [target, ...rest] = words(ctx.args);
      const t = parseTarget(target, 'hpa');
      return proposeHere(ctx, { kind: 'hpa', namespace: t.namespace, name: t.name, ...parseHpaArgs(rest) });
    },
  },
  {
    name: 'silence',
    usage: 'silence <duration>',
    description: 'Propose an Alertmanager silence for this incident’s alerts (e.g. 2h).',
    where: 'incident',
    run: async (ctx) => {
      const minutes = parseMinutes(words(ctx.args)[0]);
      const alerts = (await ctx.deps.incidents.listAlerts(inc(ctx).id)).filter((a) => a.source === 'alertmanager');
      const first = alerts[0];
      if (!first) throw new AppError('bad_request', 'this incident has no Alertmanager alerts to silence');
      const common = Object.entries(first.labels).filter(([k, v]) => alerts.every((a) => a.labels[k] === v));
      if (!common.length) throw new AppError('bad_request', 'the alerts share no labels to build matchers from');
      return proposeHere(ctx, { kind: 'silence', durationMinutes: minutes, matchers: common.map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })) });
    },
  },
];

export function helpText(): string {
  const inIncident = COMMANDS.filter((c) => c.where === 'incident');
  const anywhere = COMMANDS.filter((c) => c.where !== 'incident');
  const line = (c: CommandSpec) => `• \`/incident ${c.usage}\` — ${c.description}`;
  return `*warroom* commands\n*Anywhere*\n${anywhere.map(line).join('\n')}\n*In an incident channel*\n${inIncident.map(line).join('\n')}`;
}

export function findCommand(text: string): { spec: CommandSpec | undefined; name: string; args: string } {
  const trimmed = text.trim();
  const i = trimmed.search(/\s/);
  const name = (i < 0 ? trimmed : trimmed.slice(0, i)).toLowerCase();
  const args = i < 0 ? '' : trimmed.slice(i + 1).trimStart();
  return { spec: COMMANDS.find((c) => c.name === name), name, args };
}

/** Runs one /incident invocation: unknown -> help; location rules; bad arguments -> a clear message. */
export async function runCommand(ctx: Omit<CommandContext, 'args' | 'incident'>, text: string): Promise<CommandReply> {
  const { spec, name, args } = findCommand(text);
  if (!spec) return { ok: name === '', message: `${name ? `Unknown subcommand “${name}”.\n` : ''}${helpText()}` };
  const incident = await ctx.deps.incidents.findByChannel(ctx.channelId);
  if (spec.where === 'incident' && !incident) return { ok: false, message: `\`/incident ${spec.name}\` works in an incident channel. Open incidents: \`/incident list\`.` };
  try {
    // The workflows log with the command, the person and the incident bound.
    const log = ctx.deps.log.child({ command: spec.name, userId: ctx.userId, ...(incident ? { incidentId: incident.id } : {}) });
    return await spec.run({ ...ctx, deps: { ...ctx.deps, log }, args, ...(incident ? { incident } : {}) });
  } catch (e) {
    if (isAppError(e) && e.userFacing) return { ok: false, message: `${toUserReply(e)}\nUsage: \`/incident ${spec.usage}\`` };
    throw e;
  }
}
