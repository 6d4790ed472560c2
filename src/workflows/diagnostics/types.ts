/**
 * The shape of one diagnostic check and the helpers every check shares.
 *
 * Checks are pure of Slack and of SDKs: they read through the ports (CloudWatch, Kubernetes,
 * Prometheus) and return findings with their evidence. A check never throws for a missing port:
 * it returns a finding that says what it could not check.
 *
 * Facts contract (what the engine hands a check in `ctx.facts`):
 *   facts = { ...inherited, ...facts of the findings of the `dependsOn` checks on the same subject }
 * where `inherited` are the facts the subject was discovered with: the discovering check's own
 * `ctx.facts` merged with the facts of its findings (`factsForDiscovered`). That is how the first
 * flap seen on the alarm reaches the change-correlation check of the workload behind it.
 */
import { z } from 'zod';
import type { Alert } from '../../domain/alert.js';
import type { Evidence, Finding, FindingSeverity, Mitigation, Subject } from '../../domain/diagnostics.js';
import type { CloudWatchPort, KubernetesPort, PrometheusPort } from '../ports.js';
import type { HypothesisName, Scope, SymptomName } from './causes.js';

export interface CheckPorts {
  cloudwatch?: CloudWatchPort;
  kubernetes?: KubernetesPort;
  prometheus?: PrometheusPort;
}

export interface CheckContext {
  subject: Subject;
  incident: { id: string; /** Alert start = page. */ startedAt: Date; alerts: Alert[] };
  now: Date;
  signal: AbortSignal;
  ports: CheckPorts;
  /** Facts from findings of checks this one depends on (and facts the subject was discovered with). */
  facts: Record<string, unknown>;
}

export interface CheckResult {
  findings: Finding[];
  discovered: Subject[];
}

export interface Check {
  id: string;
  title: string;
  subjectKind: Subject['kind'];
  /** Check ids whose facts it needs, on the same subject. */
  dependsOn?: string[];
  /**
   * Whether the plan runs it for this subject (absent: for every subject of its kind). Decides from
   * what the alerts say (labels, the CloudWatch trigger); a check that cannot tell from them runs
   * and decides from what it reads.
   */
  appliesTo?(subject: Subject, alerts: Alert[]): boolean;
  run(ctx: CheckContext): Promise<CheckResult>;
}

/** Hypothesis ids as they appear in `Finding.signals` (the causal model: causes.ts). */
export { HYPOTHESES, type HypothesisName } from './causes.js';
export const hyp = (name: HypothesisName): string => `hypothesis:${name}`;

export type Signal = 'supports' | 'refutes' | 'neutral';

/** A stable key for a subject (used in finding ids and for deduplication). */
export function subjectKey(subject: Subject): string {
  switch (subject.kind) {
    case 'cloudwatch-alarm':
      return `cw/${subject.region}/${subject.alarmName}`;
    case 'target-group':
      return `tg/${subject.region}/${targetGroupName(subject.targetGroup)}`;
    case 'workload':
      return `wl/${subject.namespace}/${subject.deployment}`;
    case 'alert-labels':
      return `labels/${Object.keys(subject.labels)
        .sort()
        .map((k) => `${k}=${subject.labels[k] ?? ''}`)
        .join(',')}`;
  }
}

/** `targetgroup/<name>/<id>` (CloudWatch dimension) or an ARN -> `<name>`. */
export function targetGroupName(dimensionOrArn: string): string {
  const after = dimensionOrArn.includes(':targetgroup/') ? dimensionOrArn.slice(dimensionOrArn.indexOf(':targetgroup/') + 1) : dimensionOrArn;
  const parts = after.split('/');
  if (parts[0] === 'targetgroup' && parts.length >= 2) return parts[1] ?? after;
  return after;
}

/** Deterministic finding id: `<check>:<subject-key>:<discriminator>`. */
export function findingId(check: string, subject: Subject, discriminator: string): string {
  return `${check}:${subjectKey(subject)}:${discriminator}`;
}

/** The short phrase a finding gives the assessment for a hypothesis ("flapping began 4h 35m before it"). */
export const BECAUSE_FACT = 'because';
/** Rationale and risk for the mitigations a finding proposes, keyed by `mitigationKey`. */
export const PROPOSALS_FACT = 'proposals';
/** What a check knows it cannot see (sources outside warroom's reach), listed by the assessment. */
export const CANNOT_SEE_FACT = 'cannotSee';

/** One observation in the causal model's words. */
export interface SymptomInput {
  id: SymptomName;
  scope?: Scope;
  /** How it showed, with numbers ("3 of 3 new pods OOMKilled (exit 137)"). */
  text: string;
}

export interface ProposalNote {
  mitigation: Mitigation;
  rationale: string;
  risk: string;
}

export interface FindingInput {
  check: string;
  subject: Subject;
  discriminator: string;
  severity: FindingSeverity;
  title: string;
  summary: string;
  evidence?: Evidence[];
  /** hypothesis name -> [signal, short phrase naming the evidence] */
  signals?: Partial<Record<HypothesisName, [Signal, string]>>;
  proposals?: ProposalNote[];
  /** What it observed (the causes that explain these rank by them). */
  symptoms?: SymptomInput[];
  /** Sources it could not look at ("the application's logs"). */
  cannotSee?: string[];
  facts?: Record<string, unknown>;
}

/** Builds a complete Finding (defaults filled, ids deterministic). */
export function makeFinding(input: FindingInput): Finding {
  const signals: Record<string, Signal> = {};
  const because: Record<string, string> = {};
  for (const name of Object.keys(input.signals ?? {}).sort()) {
    const entry = input.signals?.[name as HypothesisName];
    if (!entry) continue;
    signals[hyp(name as HypothesisName)] = entry[0];
    because[hyp(name as HypothesisName)] = entry[1];
  }
  const facts: Record<string, unknown> = { ...(input.facts ?? {}) };
  if (Object.keys(because).length > 0) facts[BECAUSE_FACT] = because;
  const proposals = input.proposals ?? [];
  if (proposals.length > 0) {
    facts[PROPOSALS_FACT] = proposals.map((p) => ({ key: mitigationKey(p.mitigation), rationale: p.rationale, risk: p.risk }));
  }
  if (input.cannotSee && input.cannotSee.length > 0) facts[CANNOT_SEE_FACT] = [...input.cannotSee];
  const symptoms = (input.symptoms ?? []).map((x) => ({ id: x.id, ...(x.scope ? { scope: x.scope } : {}), text: x.text }));
  return {
    id: findingId(input.check, input.subject, input.discriminator),
    check: input.check,
    severity: input.severity,
    title: input.title,
    summary: input.summary,
    evidence: (input.evidence ?? []).map((e) => ({ ...e, numbers: e.numbers ?? {} })),
    signals,
    mitigations: proposals.map((p) => p.mitigation),
    ...(symptoms.length > 0 ? { symptoms } : {}),
    facts,
  };
}

/** A check's result made of one finding (and the subjects it leads to). */
export function single(input: FindingInput, discovered: Subject[] = []): CheckResult {
  return { findings: [makeFinding(input)], discovered };
}

/** The finding a check returns when the port it needs is not configured. */
export function notConfigured(check: string, subject: Subject, what: string, port: 'CloudWatch' | 'Kubernetes' | 'Prometheus'): CheckResult {
  return {
    findings: [
      makeFinding({
        check,
        subject,
        discriminator: 'not-configured',
        severity: 'info',
        title: `Could not check ${what}: ${port} is not configured`,
        summary: `could not check ${what}: ${port} is not configured`,
        facts: { skipped: port },
      }),
    ],
    discovered: [],
  };
}

/** Stable JSON (sorted keys): the identity of a mitigation. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function mitigationKey(m: Mitigation): string {
  return stableStringify(m);
}

/** Reads a fact with a schema; undefined when absent or malformed. */
export function readFact<T>(facts: Record<string, unknown>, key: string, schema: z.ZodType<T>): T | undefined {
  if (!(key in facts)) return undefined;
  const parsed = schema.safeParse(facts[key]);
  return parsed.success ? parsed.data : undefined;
}

/** Facts the subjects a check discovered are handed on with (see the contract above). */
export function factsForDiscovered(ctxFacts: Record<string, unknown>, result: CheckResult): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ctxFacts };
  for (const f of result.findings) {
    for (const [k, v] of Object.entries(f.facts)) {
      if (k === BECAUSE_FACT || k === PROPOSALS_FACT || k === CANNOT_SEE_FACT) continue;
      out[k] = v;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Facts shared between checks (names and shapes)

export const FACT = {
  firstFlapAt: 'firstFlapAt',
  flapCycles: 'flapCycles',
  /** Median time between OK->ALARM transitions (ms): one flap cycle, what verification must outlast. */
  flapCycleMs: 'flapCycleMs',
  alarmWindows: 'alarmWindows',
  cpuFleetPeakAvgCores: 'cpuFleetPeakAvgCores',
  cpuPlateauCores: 'cpuPlateauCores',
  cpuEven: 'cpuEven',
  cpuPodCount: 'cpuPodCount',
} as const;

export const IsoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date');
export const WindowsFact = z.array(z.object({ start: IsoDate, end: IsoDate }));
export type Window = { start: Date; end: Date };

export function readWindows(facts: Record<string, unknown>): Window[] | undefined {
  const w = readFact(facts, FACT.alarmWindows, WindowsFact);
  if (!w || w.length === 0) return undefined;
  return w.map((x) => ({ start: new Date(x.start), end: new Date(x.end) }));
}

export function readDate(facts: Record<string, unknown>, key: string): Date | undefined {
  const s = readFact(facts, key, IsoDate);
  return s === undefined ? undefined : new Date(s);
}

// ------------------------------------------------------------------------------------------
// Small formatting and statistics helpers (deterministic)

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** "05:50Z" (or with the date when `withDate`). */
export function hhmm(d: Date, withDate = false): string {
  const iso = d.toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : `${iso.slice(11, 16)}Z`;
}

/** "4h 35m", "12m", "2d 3h". */
export function duration(ms: number): string {
  const totalMin = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] ?? 0;
  const b = s[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

export function inWindows(t: Date, windows: Window[]): boolean {
  const ms = t.getTime();
  return windows.some((w) => ms >= w.start.getTime() && ms < w.end.getTime());
}

export function labelSelector(labels: Record<string, string> | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels?.[k] ?? ''}`)
    .join(',');
}

/** Escapes a string for use inside a PromQL regex matcher (RE2, within a double-quoted string). */
export function promRegexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\\\${c}`);
}
