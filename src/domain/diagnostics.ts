import { z } from 'zod';

/**
 * What a check looks at. A check may discover new subjects (a CloudWatch target group
 * leads to a Kubernetes service) and ask for checks on them.
 */
export const Subject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cloudwatch-alarm'), alarmName: z.string(), region: z.string() }),
  z.object({
    kind: z.literal('target-group'),
    /** CloudWatch dimension value: targetgroup/<name>/<id> */
    targetGroup: z.string(),
    loadBalancer: z.string(),
    region: z.string(),
  }),
  z.object({ kind: z.literal('workload'), namespace: z.string(), deployment: z.string(), service: z.string().optional() }),
  z.object({ kind: z.literal('alert-labels'), labels: z.record(z.string(), z.string()) }),
]);
export type Subject = z.infer<typeof Subject>;

export const Evidence = z.object({
  /** The query or API call that produced it (PromQL, GetMetricData query, kubectl-equivalent). */
  query: z.string().optional(),
  /** The numbers, named. */
  numbers: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  link: z.string().optional(),
  /** Longer evidence (a table) rendered as a details section or file. */
  detail: z.string().optional(),
});
export type Evidence = z.infer<typeof Evidence>;

export const FindingSeverity = z.enum(['info', 'warning', 'critical', 'error']);
export type FindingSeverity = z.infer<typeof FindingSeverity>;

/**
 * What a finding observed, in the words of the causal model (src/workflows/diagnostics/causes.ts):
 * a symptom id, where it is confined (the new revision, one pod...) and how it showed.
 */
export const Symptom = z.object({ id: z.string(), scope: z.string().optional(), text: z.string() });
export type Symptom = z.infer<typeof Symptom>;

/** Tags name what a finding is about; hypotheses are scored from them. */
export const Finding = z.object({
  /** Deterministic id: check id + subject + a stable discriminator. */
  id: z.string(),
  check: z.string(),
  severity: FindingSeverity,
  title: z.string(),
  summary: z.string(),
  evidence: z.array(Evidence).default([]),
  /** e.g. { 'hypothesis:low-traffic-artifact': 'refutes' } */
  signals: z.record(z.string(), z.enum(['supports', 'refutes', 'neutral'])).default({}),
  mitigations: z.array(z.lazy(() => Mitigation)).default([]),
  /** The symptoms it observed (the assessment counts which cause explains them). */
  symptoms: z.array(Symptom).optional(),
  /** Facts other checks and the assessment use (numbers keyed by name). */
  facts: z.record(z.string(), z.unknown()).default({}),
});
export type Finding = z.infer<typeof Finding>;

const K8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name (lowercase letters, digits, "-" and ".")');
const K8sNamespace = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');

export const Mitigation = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rollback'),
    namespace: K8sNamespace,
    deployment: K8sName,
    /** 0 or absent: the previous revision (kubectl rollout undo). */
    toRevision: z.number().int().nonnegative().optional(),
  }),
  z.object({ kind: z.literal('scale'), namespace: K8sNamespace, deployment: K8sName, replicas: z.number().int().min(0).max(500) }),
  z.object({
    kind: z.literal('hpa'),
    namespace: K8sNamespace,
    name: K8sName,
    minReplicas: z.number().int().min(1).max(1000).optional(),
    maxReplicas: z.number().int().min(1).max(1000).optional(),
    targetCPUUtilizationPercentage: z.number().int().min(1).max(100).optional(),
  }),
  z.object({ kind: z.literal('restart'), namespace: K8sNamespace, deployment: K8sName }),
  z.object({
    kind: z.literal('silence'),
    matchers: z.array(z.object({ name: z.string().min(1), value: z.string(), isRegex: z.boolean().default(false), isEqual: z.boolean().default(true) })).min(1),
    durationMinutes: z.number().int().min(1).max(7 * 24 * 60),
    comment: z.string().optional(),
  }),
]);
export type Mitigation = z.infer<typeof Mitigation>;
export type MitigationKind = Mitigation['kind'];

export const ProposedMitigation = z.object({
  mitigation: Mitigation,
  /** Why: ids of the findings that led to it. */
  because: z.array(z.string()).default([]),
  rationale: z.string(),
  risk: z.string(),
});
export type ProposedMitigation = z.infer<typeof ProposedMitigation>;

export const Verdict = z.enum(['supported', 'refuted', 'inconclusive']);
export type Verdict = z.infer<typeof Verdict>;

export const Hypothesis = z.object({
  id: z.string(),
  title: z.string(),
  verdict: Verdict,
  /**
   * Higher ranks first (deterministic). The net weight of the evidence (support - refutation, by
   * severity); for a supported cause nothing refutes, 100 x the observed symptoms it explains plus
   * that weight (up to 99): what explains more ranks first.
   */
  score: z.number(),
  supportedBy: z.array(z.string()).default([]),
  refutedBy: z.array(z.string()).default([]),
  /** One line: why this verdict, naming the evidence. */
  explanation: z.string(),
  /** The observed symptoms this cause explains ("3 of 3 new pods OOMKilled"). */
  explains: z.array(z.string()).optional(),
  /** Set when everything this hypothesis accounts for is explained by a higher-ranked one: it is how that cause shows. */
  causedBy: z.string().optional(),
});
export type Hypothesis = z.infer<typeof Hypothesis>;

export const Assessment = z.object({
  incidentId: z.string(),
  hypotheses: z.array(Hypothesis),
  findings: z.array(Finding),
  proposals: z.array(ProposedMitigation),
  summary: z.string(),
  /** Ids of the hypotheses tied for first place (two or more), when no single cause stands out. */
  ties: z.array(z.string()).optional(),
  /** Observed symptoms no supported hypothesis explains. */
  unexplained: z.array(z.string()).optional(),
  /** What the diagnosis could not see (checks not configured or failed, sources outside its reach). */
  notChecked: z.array(z.string()).optional(),
});
export type Assessment = z.infer<typeof Assessment>;
