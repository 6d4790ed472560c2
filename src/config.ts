/**
 * Configuration: the environment and the YAML config, each parsed once with zod, failing at start
 * with every problem listed (DESIGN principle 5). Nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Severity } from './domain/alert.js';
import { policyProblems } from './domain/approval-policy.js';
import { DEFAULT_CHANNEL_TEMPLATE } from './domain/channel-name.js';
import { AppError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Durations: "90s", "15m", "2h", "1d", or a number of milliseconds.

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v.trim());
  if (!m) throw new Error(`invalid duration "${v}" (use e.g. 30s, 15m, 2h, 1d)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

export const Duration = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

// ---------------------------------------------------------------------------------------------
// Environment (the names are a contract: README, manifests and external checks rely on them)

const SIGNING_SECRET_RULE = 'is required unless SLACK_APP_TOKEN (Socket Mode) is set';
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const commaList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v ?? []),
  z.array(z.string()),
);

export const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port for Slack, webhooks, health and metrics.'),
    HOST: z.string().default('0.0.0.0').describe('Interface to bind.'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379').describe('Redis for state and queues (AOF on, maxmemory-policy noeviction).'),
    SLACK_BOT_TOKEN: z.string().min(1, 'is required (xoxb-...)').describe('Bot token (xoxb-...).'),
    SLACK_SIGNING_SECRET: optionalString.describe('Signing secret; verifies every request to /slack/events. Required unless SLACK_APP_TOKEN is set.'),
    SLACK_APP_TOKEN: optionalString.describe('App-level token (xapp-...): when set, Slack talks to warroom over Socket Mode.'),
    SLACK_API_URL: optionalString
      .refine((v) => v === undefined || /^https?:\/\/.+\/$/.test(v), 'must be an http(s) URL ending with "/"')
      .describe('Base URL of the Slack Web API (default https://slack.com/api/); the sandbox points it at its emulator.'),
    WARROOM_CONFIG: z.string().min(1, 'is required: path to the YAML config (see config/warroom.example.yaml)').describe('Path to the YAML config.'),
    ALERTMANAGER_WEBHOOK_TOKEN: optionalString.describe('Secret Alertmanager must send (Bearer, or as the basic-auth password). Unset: the Alertmanager webhook refuses everything.'),
    CLOUDWATCH_WEBHOOK_TOKEN: optionalString.describe('Secret an EventBridge API destination must send (Bearer or basic password) to /webhooks/cloudwatch. Unset: EventBridge deliveries are refused (SNS needs no token: it is signed).'),
    SNS_TOPIC_ARNS: commaList.describe('Comma list of SNS topic ARNs allowed to deliver to /webhooks/cloudwatch.'),
    WARROOM_API_TOKEN: optionalString.describe('Bearer token for GET /incidents/<id>/postmortem.md and timeline.json. Unset: those endpoints answer 404.'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
    SERVICES: commaList
      .pipe(z.array(z.enum(['web', 'worker'])).min(1, 'needs at least one of web, worker'))
      .default(['web', 'worker'])
      .describe('Roles this process runs, comma list (default web,worker): web (HTTP intake and Slack), worker (queues).'),
    PROMETHEUS_URL: optionalString.describe('Prometheus HTTP API base URL for diagnostics.'),
    ALERTMANAGER_URL: optionalString.describe('Alertmanager base URL (silences).'),
    KUBERNETES: z.enum(['auto', 'off', 'kubeconfig', 'in-cluster']).default('auto').describe('How to reach Kubernetes: auto (in-cluster when KUBERNETES_SERVICE_HOST is set, else KUBECONFIG when set), off, kubeconfig, in-cluster.'),
    KUBECONFIG: optionalString.describe('Path to a kubeconfig (standard).'),
    KUBERNETES_SERVICE_HOST: optionalString.describe('Set by Kubernetes inside a pod.'),
    CLOUDWATCH_ENDPOINT: optionalString.describe('Explicit CloudWatch endpoint (sandbox). Otherwise the standard AWS configuration applies, including AWS_ENDPOINT_URL_CLOUDWATCH.'),
    PUBLIC_URL: optionalString.describe('Public base URL of warroom (links to the post-mortem and timeline documents).'),
    WARROOM_REDIS_PREFIX: z.string().min(1).default('wr:').describe('Prefix of warroom\'s state keys in Redis (several installations can share one Redis).'),
    WARROOM_QUEUE_PREFIX: z.string().min(1).regex(/^[^:]+$/, 'must not contain ":"').default('bull').describe('BullMQ key prefix of warroom\'s queues.'),
    QUEUE_LOCK_MS: z.coerce.number().int().min(1000).default(30_000).describe('BullMQ job lock: a job whose worker died is picked up again after about this long (also the stalled-job check interval).'),
    MITIGATION_WATCH_POLL_MS: z.coerce.number().int().min(100).default(60_000).describe('How often a flapping alarm is re-read while a mitigation is watched through its flap cycle (one delayed job per look; a flap between looks is still seen in the alarm history).'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000).describe('Deadline for draining workers on SIGTERM; whatever hangs, the process exits (status 1) 5 s after it.'),
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576).describe('Largest request body accepted, webhooks and Slack (413 above).'),
    HTTP_INFLIGHT_BODY_BYTES: z.coerce.number().int().positive().default(32 * 1_048_576).describe('Request bodies buffered at once, all connections together; above it a request gets 503 (retry later). Bodies are read only after the credentials in the headers passed.'),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10_000).describe('A connection must deliver complete request headers within this time (sockets that send nothing are closed).'),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000).describe('A request must be received whole, body included, within this time (SNS itself gives up after 15 s).'),
    HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1000).describe('Open HTTP connections at most; further ones are dropped and logged. Keep it below the open-file limit.'),
  })
  .superRefine((env, ctx) => {
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' });
    }
    if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: SIGNING_SECRET_RULE });
    }
  });
export type Env = z.infer<typeof EnvSchema>;

// ---------------------------------------------------------------------------------------------
// YAML config

/** An IANA time zone the runtime knows (checked per field, so it is listed with every other problem). */
const TimeZone = z.string().superRefine((tz, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    ctx.addIssue({ code: 'custom', message: `unknown time zone "${tz}"` });
  }
});

const LabelMatcher = z.union([z.string(), z.object({ regex: z.string() })]);

export const SeverityMapping = z.object({
  label: z.string().default('severity').describe('Alert label read for the severity.'),
  map: z.record(z.string(), Severity).default({ critical: 'SEV1', page: 'SEV1', high: 'SEV2', error: 'SEV2', warning: 'SEV3', info: 'SEV4' }),
  default: Severity.default('SEV3'),
});

export const Route = z.object({
  name: z.string().min(1).describe('Route name (shown in logs and the timeline).'),
  match: z
    .object({
      source: z.enum(['alertmanager', 'cloudwatch', 'manual']).optional().describe('Only alerts from this source.'),
      labels: z.record(z.string(), LabelMatcher).default({}).describe('label -> exact value, or {regex: ...} (anchored).'),
    })
    .default({ labels: {} })
    .describe('All given matchers must match; an empty match catches everything.'),
  key: z
    .object({
      by: z.enum(['labels', 'groupKey', 'alarm']).default('labels').describe('labels: values of key.labels; groupKey: the Alertmanager group; alarm: the CloudWatch alarm ARN.'),
      labels: z.array(z.string()).default(['alertname', 'namespace', 'service']).describe('Labels whose values form the incident key.'),
    })
    .default({ by: 'labels', labels: ['alertname', 'namespace', 'service'] })
    .describe('How alerts become one incident: by the values of these labels, by the Alertmanager groupKey, or by the CloudWatch alarm ARN.'),
  severity: SeverityMapping.default({ label: 'severity', map: { critical: 'SEV1', page: 'SEV1', high: 'SEV2', error: 'SEV2', warning: 'SEV3', info: 'SEV4' }, default: 'SEV3' }),
  responders: z.object({ users: z.array(z.string()).default([]).describe('Slack user ids invited to the channel.'), usergroups: z.array(z.string()).default([]).describe('Slack user-group ids whose members are invited.') }).default({ users: [], usergroups: [] }),
  channel: z
    .object({
      template: z.string().default(DEFAULT_CHANNEL_TEMPLATE).describe('Channel name template: {id} {service} {symptom} {slug} {date} {sev} (default {id}-{service}-{symptom}, e.g. inc-42-data-service-latency); lowercased, at most 80 characters, the id never cut.'),
      private: z.boolean().default(false).describe('Create private channels (needs groups:write).'),
    })
    .default({ template: DEFAULT_CHANNEL_TEMPLATE, private: false }),
  announce: z.string().optional().describe('Channel id for announcements (opened, updates, resolved).'),
  reopenWindow: Duration.default(30 * 60_000).describe('A re-fire this soon after resolve reopens the incident (flapping) instead of opening a new one.'),
  autoResolve: z.boolean().default(false).describe('Resolve the incident when every alert in it has resolved.'),
  environment: z.string().optional().describe('Environment name for approval policies (e.g. prod).'),
});
export type Route = z.infer<typeof Route>;

export const ApprovalRule = z.object({
  name: z.string().min(1).describe('Rule name, recorded with every approval.'),
  match: z
    .object({
      namespaces: z.array(z.string()).default([]).describe('Namespaces of the objects acted on. The object\'s namespace governs: the first rule listing it decides.'),
      environments: z.array(z.string()).default([]).describe('Environments of the incident\'s route; used when no rule lists the object\'s namespace.'),
      routes: z.array(z.string()).default([]).describe('Incident routes; used when no rule lists the namespace or the environment.'),
    })
    .default({ namespaces: [], environments: [], routes: [] })
    .describe('Alternatives, not gates: namespace first, then environment, then route; a rule with all three empty is the catch-all, used last. A silence is governed by its exact namespace matcher, else by the strictest rule that lists any namespace.'),
  approvers: z.object({ users: z.array(z.string()).default([]), usergroups: z.array(z.string()).default([]) }).describe('Who may approve: Slack user ids and user-group ids (membership checked at click time).'),
  requiredApprovals: z.number().int().min(1).default(1).describe('Distinct approvers needed before execution.'),
  allowSelfApproval: z.boolean().default(false).describe('Whether the requester may approve their own request (never in protected environments).'),
  protected: z.boolean().default(false).describe('Four-eyes: the requester can never approve.'),
  expiry: Duration.default(15 * 60_000).describe('A proposal not approved within this time expires.'),
  actions: z.array(z.enum(['rollback', 'scale', 'hpa', 'restart', 'silence'])).default(['rollback', 'scale', 'hpa', 'restart', 'silence']).describe('Kinds of action this rule allows.'),
});
export type ApprovalRule = z.infer<typeof ApprovalRule>;

export const ConfigSchema = z.object({
  routes: z.array(Route).min(1, 'needs at least one route (the last one usually matches everything)').describe('Tried in order; the first whose matchers match decides key, severity, responders and channel.'),
  status: z
    .object({
      cadence: z.partialRecord(Severity, Duration).default({ SEV1: 15 * 60_000, SEV2: 30 * 60_000, SEV3: 60 * 60_000 }),
    })
    .default({ cadence: { SEV1: 15 * 60_000, SEV2: 30 * 60_000, SEV3: 60 * 60_000 } })
    .describe('Status-update reminder cadence by severity; a severity without a cadence gets no reminders.'),
  approvals: z.array(ApprovalRule).default([]).describe('Approval policy: the first rule listing the object\'s namespace decides, else the first listing the incident\'s environment, else its route, else the first catch-all. No rule: nothing can be proposed. A protected rule that can never decide (unknown environment, shadowed) stops the start.'),
  timeline: z.object({ reaction: z.string().default('pushpin').describe('Messages given this reaction (or pinned) join the timeline.') }).default({ reaction: 'pushpin' }),
  postmortem: z
    .object({ timezone: TimeZone.default('UTC').describe('IANA zone shown beside UTC in the post-mortem timeline.'), reminderAfter: Duration.default(48 * 3_600_000).describe('Reminder to finish the post-mortem after resolve.') })
    .default({ timezone: 'UTC', reminderAfter: 48 * 3_600_000 }),
  archive: z.object({ afterDays: z.number().int().min(0).default(0).describe('0: never archive.') }).default({ afterDays: 0 }),
  storm: z
    .object({
      threshold: z.number().int().min(0).default(8).describe('More than this many new incidents of one route within `window` is a storm: further new keys of that route (of the same or a lower severity) join one storm incident, one channel and one card, instead of a channel each. 0: never group.'),
      window: Duration.default(2 * 60_000).describe('The window the threshold counts in (fixed windows, so a storm straddling two may let up to twice the threshold open on their own).'),
    })
    .default({ threshold: 8, window: 2 * 60_000 })
    .describe('Alert-storm grouping: people cannot work a hundred channels, and Slack opens about 20 a minute (conversations.create is Tier 2). `/incident split <key>` gives one key of a storm its own channel.'),
  diagnostics: z
    .object({
      enabled: z.boolean().default(true).describe('Run the diagnostic checks when an incident opens.'),
      checkTimeout: Duration.default(20_000).describe('Deadline of one check.'),
      attempts: z.number().int().min(1).max(10).default(3).describe('Attempts of a check on transient errors (throttling, 5xx).'),
    })
    .default({ enabled: true, checkTimeout: 20_000, attempts: 3 }),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Cross-field checks of a parsed config (listed with every other problem). */
function configProblems(config: Config): string[] {
  return policyProblems(config.approvals, config.routes);
}

function listIssues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => `${prefix}${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const r = EnvSchema.safeParse(env);
  if (r.success) return r.data;
  const problems = listIssues('', r.error);
  // An object's refinements run only once every field is valid: check the cross-field rule here as
  // well, so it is listed with the other problems instead of surfacing on the next start.
  const given = (v: string | undefined) => v !== undefined && v !== '';
  if (!given(env.SLACK_APP_TOKEN) && !given(env.SLACK_SIGNING_SECRET)) problems.push(`SLACK_SIGNING_SECRET: ${SIGNING_SECRET_RULE}`);
  throw new AppError('config', `invalid environment:\n  ${[...new Set(problems)].join('\n  ')}`);
}

export function parseConfig(text: string, source = 'config'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new AppError('config', `${source}: not valid YAML: ${(e as Error).message}`);
  }
  const r = ConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new AppError('config', `invalid ${source}:\n  ${listIssues('', r.error).join('\n  ')}`);
  const problems = configProblems(r.data);
  if (problems.length) throw new AppError('config', `invalid ${source}:\n  ${problems.join('\n  ')}`);
  return r.data;
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AppError('config', `cannot read WARROOM_CONFIG ${path}: ${(e as Error).message}`);
  }
  return parseConfig(text, path);
}

/** Env and YAML together: every problem of both listed in one error. */
export function loadAll(env: NodeJS.ProcessEnv): { env: Env; config: Config } {
  const problems: string[] = [];
  let parsedEnv: Env | undefined;
  let config: Config | undefined;
  try {
    parsedEnv = parseEnv(env);
  } catch (e) {
    problems.push((e as Error).message);
  }
  const path = env.WARROOM_CONFIG;
  if (path) {
    try {
      config = loadConfigFile(path);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length || !parsedEnv || !config) throw new AppError('config', problems.join('\n'));
  return { env: parsedEnv, config };
}
