/**
 * The scenario format: one YAML or JSON file describing a whole incident world (CloudWatch alarms
 * and metrics, Kubernetes objects, Prometheus series, the alerts that page, and what responders
 * do). Every time is relative to the anchor (the page moment). Documented in docs/scenarios.md.
 */
import { z } from 'zod';
import { DURATION, RELATIVE_TIME } from './time.js';

export const RelTime = z.string().regex(RELATIVE_TIME, 'expected a relative time such as -15m, +2m, 0s, -5h');
export const Duration = z.string().regex(DURATION, 'expected a duration such as 15s, 36m, 1h');

const Dimension = z.strictObject({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024) });
export type ScenarioDimension = z.infer<typeof Dimension>;

export const AlarmStateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmStateValue = z.infer<typeof AlarmStateValue>;

export const STATISTICS = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'] as const;
/** pNN(.N), tmNN, tcNN, tsNN, wmNN, the bounded forms TM(a:b)..., PR(a:b), IQM. */
export const EXTENDED_STATISTIC = /^(?:(?:p|tm|tc|ts|wm)\d{1,3}(?:\.\d+)?|(?:TM|TC|TS|WM|PR)\([^)]*\)|IQM)$/;
export const COMPARISON_OPERATORS = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;

const AlarmTransition = z.strictObject({
  at: RelTime,
  from: AlarmStateValue,
  to: AlarmStateValue,
  /** Free text; absent: built from the metric's datapoints as CloudWatch words it. */
  reason: z.string().optional(),
});

export const ScenarioAlarm = z
  .strictObject({
    name: z.string().min(1).max(255),
    description: z.string().max(1024).optional(),
    namespace: z.string().min(1),
    metricName: z.string().min(1),
    statistic: z.enum(STATISTICS).optional(),
    /** p99, p99.9, tm90... */
    extendedStatistic: z.string().regex(EXTENDED_STATISTIC, 'expected an extended statistic such as p99').optional(),
    dimensions: z.array(Dimension).max(30).default([]),
    unit: z.string().optional(),
    period: z.number().int().positive(),
    evaluationPeriods: z.number().int().positive(),
    datapointsToAlarm: z.number().int().positive().optional(),
    threshold: z.number(),
    comparisonOperator: z.enum(COMPARISON_OPERATORS),
    treatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).default('missing'),
    /** The state now (at the anchor). */
    state: AlarmStateValue,
    /** When the alarm was created (a ConfigurationUpdate history item); default: before all history. */
    createdAt: RelTime.optional(),
    /** SNS topic ARNs notified on each state (Action history items). */
    actions: z
      .strictObject({
        alarm: z.array(z.string()).default([]),
        ok: z.array(z.string()).default([]),
        insufficientData: z.array(z.string()).default([]),
      })
      .optional(),
    history: z.array(AlarmTransition).default([]),
  })
  .refine((a) => (a.statistic === undefined) !== (a.extendedStatistic === undefined), {
    message: 'give exactly one of statistic or extendedStatistic',
    path: ['statistic'],
  });
export type ScenarioAlarm = z.infer<typeof ScenarioAlarm>;

const StatValue = z.number().finite();
/** One datapoint's statistics (the ones a scenario wants to serve). */
export const Stats = z.strictObject({
  average: StatValue.optional(),
  maximum: StatValue.optional(),
  minimum: StatValue.optional(),
  sum: StatValue.optional(),
  sampleCount: z.number().nonnegative().optional(),
  p50: StatValue.optional(),
  p90: StatValue.optional(),
  p95: StatValue.optional(),
  p99: StatValue.optional(),
});
export type Stats = z.infer<typeof Stats>;
export const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99'] as const;

/** Bursts on a baseline: a burst starts at from+offset, then every `every`, and lasts burstMinutes. */
export const MetricPattern = z.strictObject({
  from: RelTime,
  to: RelTime,
  every: Duration,
  offset: Duration.default('0s'),
  burstMinutes: z.number().int().positive(),
  /** Between bursts; absent: no datapoint (an ALB with no traffic publishes nothing). */
  base: Stats.optional(),
  burst: Stats,
});
export type MetricPattern = z.infer<typeof MetricPattern>;

export const ScenarioMetric = z
  .strictObject({
    namespace: z.string().min(1),
    metricName: z.string().min(1),
    dimensions: z.array(Dimension).max(30).default([]),
    unit: z.string().optional(),
    /** Seconds; ALB metrics are 60 s. */
    period: z.number().int().positive().default(60),
    points: z.array(Stats.extend({ at: RelTime })).default([]),
    pattern: MetricPattern.optional(),
    /**
     * Derive sum, sampleCount, average, maximum and minimum from the series of the same metric whose
     * dimension set is this one plus the named dimension (the LoadBalancer total of its target groups).
     * Percentiles cannot be combined: give them through points/pattern if wanted.
     */
    aggregate: z.strictObject({ over: z.string().min(1) }).optional(),
  })
  .refine((m) => m.points.length > 0 || m.pattern !== undefined || m.aggregate !== undefined, {
    message: 'a metric needs points, a pattern or an aggregate',
    path: ['points'],
  });
export type ScenarioMetric = z.infer<typeof ScenarioMetric>;

export const KUBERNETES_KINDS = {
  Namespace: { apiVersions: ['v1'], namespaced: false },
  Node: { apiVersions: ['v1'], namespaced: false },
  Pod: { apiVersions: ['v1'], namespaced: true },
  Service: { apiVersions: ['v1'], namespaced: true },
  ConfigMap: { apiVersions: ['v1'], namespaced: true },
  Event: { apiVersions: ['v1', 'events.k8s.io/v1'], namespaced: true },
  Deployment: { apiVersions: ['apps/v1'], namespaced: true },
  ReplicaSet: { apiVersions: ['apps/v1'], namespaced: true },
  HorizontalPodAutoscaler: { apiVersions: ['autoscaling/v1', 'autoscaling/v2'], namespaced: true },
  TargetGroupBinding: { apiVersions: ['elbv2.k8s.aws/v1beta1'], namespaced: true },
} as const satisfies Record<string, { apiVersions: readonly string[]; namespaced: boolean }>;
export type KubernetesKind = keyof typeof KUBERNETES_KINDS;

const K8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name (lowercase letters, digits, "-" and ".")');

/** A raw Kubernetes object: the envelope is checked, the rest passes through. */
export const KubernetesObject = z
  .looseObject({
    apiVersion: z.string().min(1),
    kind: z.enum(Object.keys(KUBERNETES_KINDS) as [KubernetesKind, ...KubernetesKind[]]),
    metadata: z.looseObject({ name: K8sName, namespace: K8sName.optional() }),
  })
  .superRefine((o, ctx) => {
    const rule = KUBERNETES_KINDS[o.kind];
    if (!(rule.apiVersions as readonly string[]).includes(o.apiVersion)) {
      ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: `${o.kind} must be ${rule.apiVersions.join(' or ')}, not ${o.apiVersion}` });
    }
    if (rule.namespaced && o.metadata.namespace === undefined) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'namespace'], message: `required: ${o.kind} is namespaced` });
    }
    if (!rule.namespaced && o.metadata.namespace !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'namespace'], message: `${o.kind} is cluster-scoped: no namespace` });
    }
  });
export type KubernetesObject = z.infer<typeof KubernetesObject>;

export const PodBehaviour = z.enum(['healthy', 'crashloop-oom']);
export type PodBehaviour = z.infer<typeof PodBehaviour>;

const Kubernetes = z.strictObject({
  objects: z.array(KubernetesObject).default([]),
  /** Per image: what pods of that image do after a rollout (used by the Kubernetes emulator). */
  behaviour: z.record(z.string().min(1), PodBehaviour).optional(),
});

const PromPattern = z.strictObject({
  from: RelTime,
  to: RelTime,
  every: Duration,
  offset: Duration.default('0s'),
  burstMinutes: z.number().int().positive(),
  base: z.number().finite(),
  /** One value for the whole burst, or values spread evenly over it (a ramp). */
  burst: z.union([z.number().finite(), z.array(z.number().finite()).min(1)]),
});
export type PromPattern = z.infer<typeof PromPattern>;

export const PrometheusSeries = z
  .strictObject({
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name'),
    labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.string()).default({}),
    /** counter: the points are RATES per second, integrated into a monotonic counter. */
    type: z.enum(['gauge', 'counter']),
    step: Duration.default('15s'),
    /** Counter value at the first sample. */
    initial: z.number().nonnegative().default(0),
    points: z.array(z.strictObject({ at: RelTime, value: z.number().finite() })).default([]),
    pattern: PromPattern.optional(),
  })
  .refine((s) => s.points.length > 0 || s.pattern !== undefined, { message: 'a series needs points or a pattern', path: ['points'] })
  .refine((s) => s.type !== 'counter' || (s.points.every((p) => p.value >= 0) && (s.pattern === undefined || [s.pattern.base, ...[s.pattern.burst].flat()].every((v) => v >= 0))), {
    message: 'counter rates cannot be negative',
    path: ['points'],
  });
export type PrometheusSeries = z.infer<typeof PrometheusSeries>;

export const ScenarioAlert = z.discriminatedUnion('source', [
  z.strictObject({
    at: RelTime,
    source: z.literal('cloudwatch'),
    alarm: z.string().min(1),
    state: AlarmStateValue,
    reason: z.string().optional(),
  }),
  z.strictObject({
    at: RelTime,
    source: z.literal('alertmanager'),
    labels: z.record(z.string(), z.string()).refine((l) => typeof l.alertname === 'string' && l.alertname.length > 0, { message: 'labels.alertname is required' }),
    annotations: z.record(z.string(), z.string()).default({}),
    status: z.enum(['firing', 'resolved']),
    /** When the alert started firing; default: `at`. */
    startsAt: RelTime.optional(),
    generatorURL: z.string().optional(),
    /**
     * `executed`: sent once the approved change is executed (at `at` or later), as Prometheus would
     * resolve an alert whose cause the change removed; the runner holds it until then.
     */
    after: z.literal('executed').optional(),
  }),
]);
export type ScenarioAlert = z.infer<typeof ScenarioAlert>;

export const MILESTONES = ['page', 'channel', 'assessment', 'proposal', 'executed', 'verified', 'previous'] as const;
const After = z.union([z.enum(MILESTONES), RelTime]).default('previous');
const ProposalRef = z.strictObject({
  kind: z.enum(['rollback', 'scale', 'hpa', 'restart', 'silence']),
  namespace: z.string().optional(),
  deployment: z.string().optional(),
  name: z.string().optional(),
});

export const ScriptStep = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('approve'), after: After, proposal: ProposalRef, user: z.string().min(1) }),
  z.strictObject({ action: z.literal('deny'), after: After, proposal: ProposalRef, user: z.string().min(1), reason: z.string().optional() }),
  z.strictObject({ action: z.literal('acknowledge'), after: After, user: z.string().min(1) }),
  z.strictObject({ action: z.literal('resolve'), after: After, user: z.string().min(1), summary: z.string().optional() }),
  z.strictObject({ action: z.literal('command'), after: After, text: z.string().min(1), user: z.string().min(1) }),
]);
export type ScriptStep = z.infer<typeof ScriptStep>;

const SlackUser = z.strictObject({
  id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id (U...)'),
  name: z.string().min(1),
  realName: z.string().optional(),
  email: z.string().optional(),
  isBot: z.boolean().default(false),
  tz: z.string().optional(),
});
const SlackUserGroup = z.strictObject({
  id: z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id (S...)'),
  handle: z.string().min(1),
  name: z.string().optional(),
  users: z.array(z.string()).default([]),
});
const Slack = z.strictObject({
  users: z.array(SlackUser).default([]),
  usergroups: z.array(SlackUserGroup).default([]),
  /** User or user group ids invited to the incident channel. */
  responders: z.array(z.string()).default([]),
});

/** `expect.topHypothesis` when the right answer is that nothing warroom can see explains the incident. */
export const INCONCLUSIVE = 'inconclusive';
/** `expect.proposal` when the right answer is no mitigation at all. */
export const NO_PROPOSAL = 'none';

export const Expectation = z.strictObject({
  /** Id of the hypothesis the assessment should rank first (alone, not tied), or `inconclusive`: none supported. */
  topHypothesis: z.string().min(1),
  /** Finding ids, or strings the assessment must contain. */
  mustInclude: z.array(z.string().min(1)).default([]),
  /** Hypotheses the assessment should refute. */
  refuted: z.array(z.string().min(1)).default([]),
  /**
   * The mitigation(s) the bot should propose, and nothing else; `none` (or leaving it out): no
   * mitigation at all.
   */
  proposal: z.union([ProposalRef, z.array(ProposalRef).min(1), z.literal(NO_PROPOSAL)]).optional(),
});
export type Expectation = z.infer<typeof Expectation>;
export type ProposalRef = z.infer<typeof ProposalRef>;

/** The proposals a scenario expects (empty: none). */
export function expectedProposals(e: Pick<Expectation, 'proposal'>): ProposalRef[] {
  if (e.proposal === undefined || e.proposal === NO_PROPOSAL) return [];
  return Array.isArray(e.proposal) ? e.proposal : [e.proposal];
}

export const Scenario = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and "-"'),
  description: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region code such as us-east-1'),
  accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits'),
  expect: Expectation,
  cloudwatch: z
    .strictObject({
      alarms: z.array(ScenarioAlarm).default([]),
      metrics: z.array(ScenarioMetric).default([]),
    })
    .default({ alarms: [], metrics: [] }),
  kubernetes: Kubernetes.default({ objects: [] }),
  prometheus: z.strictObject({ series: z.array(PrometheusSeries).default([]) }).default({ series: [] }),
  alerts: z.array(ScenarioAlert).min(1),
  script: z.array(ScriptStep).default([]),
  slack: Slack.optional(),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
