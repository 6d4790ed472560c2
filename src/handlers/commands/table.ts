/**
 * The /incident command table: one entry per subcommand; help is generated from it.
 * Handlers parse and authorise; the work is in the workflows.
 */
import type { Mitigation } from '../../domain/diagnostics.js';
import { Role } from '../../domain/incident.js';
import type { Incident } from '../../domain/incident.js';
import { AppError, isAppError, toUserReply } from '../../errors.js';
import { declareModal } from '../../integrations/slack/blocks/declare.js';
import type { Ports } from '../../workflows/context.js';
import { rerunDiagnosis } from '../../workflows/diagnostics/engine.js';
import { acknowledgeIncident, resolveIncident } from '../../workflows/incidents.js';
import { requestPostmortem, timelineView } from '../../workflows/lifecycle.js';
import { propose, silenceOf } from '../../workflows/mitigations/index.js';
import { addNote, assignRole, declareIncident, postStatusUpdate, setSeverity, splitFromStorm, type CommandOutcome } from '../../workflows/triage.js';
import { openIncidentsText, statusText } from './format.js';
import { intArg, need, parseHpaArgs, parseMinutes, parseSeverity, parseTarget, parseUser, words } from './parse.js';

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

const inc = (ctx: CommandContext) => ctx.incident as Incident;

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
      return { ok: true, message: openIncidentsText(await ctx.deps.incidents.listOpen()) };
    },
  },
  {
    name: 'status',
    usage: 'status',
    description: 'Where this incident stands.',
    where: 'incident',
    run: async (ctx) => {
      return { ok: true, message: statusText(inc(ctx), await ctx.deps.incidents.listAlerts(inc(ctx).id)) };
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
  { name: 'split', usage: 'split <key>', description: 'In a storm channel: give one key (as on the storm card) its own incident and channel.', where: 'incident', run: (ctx) => splitFromStorm(ctx.deps, inc(ctx), ctx.userId, ctx.args) },
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
      return proposeHere(ctx, silenceOf(await ctx.deps.incidents.listAlerts(inc(ctx).id), minutes));
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
