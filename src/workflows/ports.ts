/**
 * Ports: what the workflows need from the outside world, declared by the workflows that use them
 * and listing only what is used (DESIGN principle 3). Adapters in src/integrations implement them;
 * src/deps.ts alone picks which. No SDK type appears here.
 */
import type { Alert, Severity } from '../domain/alert.js';
import type { CheckDone, CheckOutcome, RunRef } from '../domain/diagnosis-run.js';
import type { Assessment, Finding, Mitigation } from '../domain/diagnostics.js';
import type { Incident, IncidentAlert, Role } from '../domain/incident.js';
import type { DiffLine, Proposal } from '../domain/proposal.js';
import type { TimelineEvent } from '../domain/timeline.js';
import type { K8sConfigMap, K8sDeployment, K8sEvent, K8sHpa, K8sNode, K8sPod, K8sReplicaSet, K8sService, K8sTargetGroupBinding } from './kubernetes-types.js';
import type { JobDef, JobOptions, PreparedJob } from './jobs/define.js';

// ---------------------------------------------------------------------------------------------
// Runtime basics

export interface Clock {
  now(): Date;
}

/** The subset of pino the workflows use. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** What the workflows count (Prometheus behind it). */
export interface WorkflowMetrics {
  incidentsOpened(n: number): void;
}

// ---------------------------------------------------------------------------------------------
// State (Redis behind it; in-memory twins pass the same contract tests)

export interface CreateIncidentInput {
  key: string;
  title: string;
  severity: Severity;
  source: Incident['source'];
  route: string;
  responders: string[];
}

/**
 * The result of a compare-and-set update: the stored value, and whether the change function changed
 * it (returned a value) in the attempt that settled. The change may run several times on races, so
 * callers read `changed` instead of setting flags inside it.
 */
export interface Updated<T> {
  value: T;
  changed: boolean;
}

/** A change applied by compare-and-set: return the next value, or undefined to leave it as it is. */
export type Change<T> = (current: T) => T | undefined;

export interface IncidentStore {
  /**
   * Atomic get-or-create of the open incident for `key`: concurrent callers (replicas, redeliveries)
   * all get the same incident; exactly one sees created=true. A resolved incident whose resolvedAt is
   * within `reopenWindowMs` of now is returned (reopened=true, status back to triggered) instead of a new one.
   */
  getOrCreate(input: CreateIncidentInput, now: Date, reopenWindowMs: number): Promise<{ incident: Incident; created: boolean; reopened: boolean }>;
  get(id: string): Promise<Incident | undefined>;
  /** The incident currently held by a correlation key (open or resolved), without creating one. */
  findByKey(key: string): Promise<Incident | undefined>;
  findByChannel(channelId: string): Promise<Incident | undefined>;
  /** Compare-and-set on the stored incident (retried on races). AppError('not_found') when there is none. */
  update(id: string, change: Change<Incident>): Promise<Updated<Incident>>;
  /** Open incidents, oldest first. */
  listOpen(): Promise<Incident[]>;
  /** The newest `limit` incidents, newest first. */
  listAll(limit: number): Promise<Incident[]>;

  /** Records the alert's current state; returns whether anything changed (status, or first sight). */
  upsertAlert(incidentId: string, alert: Alert, now: Date): Promise<{ changed: boolean; previous?: IncidentAlert; current: IncidentAlert }>;
  listAlerts(incidentId: string): Promise<IncidentAlert[]>;
}

export interface TimelineStore {
  /** Append-only. With `dedupeId`, a second append with the same id is a no-op (returns false). */
  append(incidentId: string, event: TimelineEvent, dedupeId?: string): Promise<boolean>;
  /** Removes an event appended with `dedupeId` (a removed pin or reaction). */
  remove(incidentId: string, dedupeId: string): Promise<boolean>;
  /** By time; ties in the order they were appended. */
  list(incidentId: string): Promise<TimelineEvent[]>;
}

export interface ProposalStore {
  save(proposal: Proposal): Promise<void>;
  get(id: string): Promise<Proposal | undefined>;
  /** Compare-and-set on the stored proposal; undefined when there is none. */
  update(id: string, change: Change<Proposal>): Promise<Updated<Proposal> | undefined>;
  /** An incident's proposals in the order they were requested. */
  list(incidentId: string): Promise<Proposal[]>;
}

/** The state of diagnosis runs: findings, per-check outcomes, progress, and each incident's latest assessment. */
export interface DiagnosisStore {
  /** Stored once per run and finding id; true the first time. */
  saveFinding(run: RunRef, finding: Finding): Promise<boolean>;
  /** The findings of `runId`, else of the incident's latest run. */
  listFindings(incidentId: string, runId?: string): Promise<Finding[]>;
  getOutcome(run: RunRef, subject: string, check: string): Promise<CheckOutcome | undefined>;
  saveOutcome(run: RunRef, subject: string, check: string, outcome: CheckOutcome): Promise<void>;
  /** Counts a check as scheduled, once per check job id. */
  markScheduled(run: RunRef, checkJobId: string): Promise<void>;
  scheduledCount(run: RunRef): Promise<number>;
  /** Records a finished check once per check job id, in the order they finish. */
  markDone(run: RunRef, checkJobId: string, done: CheckDone): Promise<void>;
  listDone(run: RunRef): Promise<CheckDone[]>;
  /** Adds a subject to the run; true when it was not there yet. */
  addSubject(run: RunRef, subject: string): Promise<boolean>;
  listSubjects(run: RunRef): Promise<string[]>;
  /** The ts of the run's progress message. */
  getProgressTs(run: RunRef): Promise<string | undefined>;
  setProgressTs(run: RunRef, ts: string): Promise<void>;
  markFinished(run: RunRef): Promise<void>;
  isFinished(run: RunRef): Promise<boolean>;
  saveAssessment(incidentId: string, assessment: Assessment): Promise<void>;
  /** The incident's latest assessment. */
  getAssessment(incidentId: string): Promise<Assessment | undefined>;
}

export interface ClaimStore {
  /** First writer wins: true only for the first caller with this key (TTL in ms, 0 = forever). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** A counter's value (0 when absent or lapsed). */
  count(key: string): Promise<number>;
  /** Adds one and returns the new value; the TTL (ms, 0 = forever) starts with the first increment. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** A small shared value (TTL in ms, 0 = forever); undefined when absent or lapsed. */
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string, ttlMs: number): Promise<void>;
}

/** The stores, one per concern. */
export interface Stores {
  incidents: IncidentStore;
  timeline: TimelineStore;
  proposals: ProposalStore;
  diagnosis: DiagnosisStore;
  claims: ClaimStore;
}

// ---------------------------------------------------------------------------------------------
// Queues (BullMQ behind it; jobs are defined in workflows/jobs)

export interface EnqueueOptions extends JobOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

export interface JobQueue {
  /**
   * Durable enqueue: resolves only once the queue has it; the same id twice is a no-op. The payload is
   * checked by the job's schema (prepareJob). Throws AppError('unavailable') when Redis is down.
   */
  enqueue<T>(job: JobDef<T>, data: T, opts?: EnqueueOptions): Promise<void>;
  /** Removes the delayed or waiting job `job.id(data)` (cancel a reminder). */
  cancel<T>(job: JobDef<T>, data: T): Promise<void>;
  /** Parent/child jobs (BullMQ flows): the parent runs once every child has finished. */
  addFlow(parent: PreparedJob, children: PreparedJob[]): Promise<void>;
  /** Adds a child to a parent that is still waiting for its children. Same id twice: no-op. */
  addChild(parent: Pick<PreparedJob, 'queue' | 'id'>, child: PreparedJob): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Chat (Slack behind it)

/** A rendered message: fallback text plus Block Kit blocks (built by the renderer, opaque here). */
export interface ChatMessage {
  text: string;
  blocks?: unknown[];
}

/** A taken name is the one outcome the workflow handles (next suffix); other failures throw, classified. */
export type CreateChannelResult = { ok: true; id: string; name: string } | { ok: false; error: 'name_taken' };

export interface ChatPort {
  /** A new channel; `private` from the route (`routes[].channel.private`, needs groups:write). */
  createChannel(name: string, opts: { private: boolean }): Promise<CreateChannelResult>;
  setTopic(channelId: string, topic: string): Promise<void>;
  setPurpose(channelId: string, purpose: string): Promise<void>;
  /** Invites users; already_in_channel and cant_invite_self are not errors. */
  invite(channelId: string, userIds: string[]): Promise<void>;
  usergroupMembers(groupId: string): Promise<string[]>;
  post(channelId: string, message: ChatMessage, opts?: { threadTs?: string }): Promise<{ ts: string }>;
  update(channelId: string, ts: string, message: ChatMessage): Promise<void>;
  postEphemeral(channelId: string, userId: string, message: ChatMessage): Promise<void>;
  pin(channelId: string, ts: string): Promise<void>;
  uploadFile(channelId: string, file: { filename: string; title: string; content: string; threadTs?: string; initialComment?: string }): Promise<void>;
  archive(channelId: string): Promise<void>;
  openView(triggerId: string, view: unknown): Promise<void>;
  /** Publishes a user's App Home tab (views.publish): the whole view replaces the last one. */
  publishHome(userId: string, view: unknown): Promise<void>;
  /**
   * The replies of a thread (conversations.replies), oldest first, without its parent. Read only to
   * learn whether a post whose answer was lost (the worker died) went through.
   */
  threadReplies(channelId: string, threadTs: string): Promise<ChatMessage[]>;
  /** A message's permalink (chat.getPermalink). */
  permalink(channelId: string, ts: string): Promise<string>;
  addBookmark(channelId: string, title: string, link: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Evidence sources

export interface MetricQuery {
  /** [a-z][A-Za-z0-9_]* */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  period: number;
  /** Average, Maximum, Sum, SampleCount, Minimum, pNN(.N) */
  stat: string;
  label?: string;
  /**
   * An optional query (typically a percentile): fetched apart from the required ones, so a backend
   * that refuses it (moto answers percentiles with an HTML 500) cannot fail them. When its fetch
   * fails, its series comes back with status 'Unavailable', no datapoints and `error`; the required
   * series are returned as usual. An aborted call (timeout) still fails as a whole.
   */
  optional?: boolean;
}

export interface MetricSeries {
  id: string;
  label?: string;
  /** Ascending. */
  timestamps: Date[];
  values: number[];
  /** CloudWatch's StatusCode, or 'Unavailable': an optional query the backend refused (see `error`). */
  status: 'Complete' | 'PartialData' | 'Forbidden' | 'InternalError' | 'Unavailable';
  /** Why an optional query's series is Unavailable (the backend's error message). */
  error?: string;
}

export interface AlarmDescription {
  alarmName: string;
  alarmArn: string;
  stateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  stateReason?: string;
  stateUpdatedAt?: Date;
  namespace?: string;
  metricName?: string;
  statistic?: string;
  extendedStatistic?: string;
  dimensions: { name: string; value: string }[];
  period?: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  threshold?: number;
  comparisonOperator?: string;
}

export interface AlarmHistoryItem {
  timestamp: Date;
  summary: string;
  oldState?: string;
  newState?: string;
}

export interface CloudWatchPort {
  describeAlarm(region: string, alarmName: string, signal?: AbortSignal): Promise<AlarmDescription | undefined>;
  /** StateUpdate items in [start, end), ascending. Paginates. */
  alarmHistory(region: string, alarmName: string, start: Date, end: Date, signal?: AbortSignal): Promise<AlarmHistoryItem[]>;
  /** ListMetrics: every dimension set of the metric that includes the given dimensions. */
  listMetrics(region: string, namespace: string, metricName: string, dimensions: { name: string; value?: string }[], signal?: AbortSignal): Promise<{ name: string; value: string }[][]>;
  /**
   * One series per query, in query order; a period without data has no datapoint (never 0).
   * Required queries that fail make the call throw; optional ones come back 'Unavailable' instead.
   */
  getMetricData(region: string, queries: MetricQuery[], start: Date, end: Date, signal?: AbortSignal): Promise<MetricSeries[]>;
  /** Console link for an alarm or metric (evidence). */
  consoleLink(region: string, what: { alarmName: string } | { namespace: string; metricName: string }): string;
}

export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value] */
  values: [number, number][];
}

export interface PrometheusPort {
  query(promql: string, at: Date, signal?: AbortSignal): Promise<PromSample[]>;
  queryRange(promql: string, start: Date, end: Date, stepSeconds: number, signal?: AbortSignal): Promise<PromSample[]>;
  graphLink(promql: string, start: Date, end: Date): string;
}

// Kubernetes: the object shapes live in kubernetes-types.ts (re-exported here for the checks and mitigations).
export type { K8sMeta, K8sContainer, K8sPodTemplate, K8sCondition, K8sConfigMap, K8sDeployment, K8sReplicaSet, K8sContainerState, K8sPod, K8sEvent, K8sHpa, K8sNode, K8sService, K8sTaint, K8sTargetGroupBinding } from './kubernetes-types.js';

/** The result of a mutation or its server-side dry run. */
export interface MutationResult {
  /** Object before and after (dry run: as it would be stored). */
  before: unknown;
  after: unknown;
  diff: DiffLine[];
  /** resourceVersion after the write (or of the object the dry run ran against). */
  resourceVersion?: string;
  noop?: string;
}

export interface KubernetesPort {
  getDeployment(namespace: string, name: string, signal?: AbortSignal): Promise<K8sDeployment | undefined>;
  listDeployments(namespace: string, signal?: AbortSignal): Promise<K8sDeployment[]>;
  listReplicaSets(namespace: string, labelSelector: string, signal?: AbortSignal): Promise<K8sReplicaSet[]>;
  listPods(namespace: string, labelSelector: string, signal?: AbortSignal): Promise<K8sPod[]>;
  listEvents(namespace: string, fieldSelector?: string, signal?: AbortSignal): Promise<K8sEvent[]>;
  listHpas(namespace: string, signal?: AbortSignal): Promise<K8sHpa[]>;
  getHpa(namespace: string, name: string, signal?: AbortSignal): Promise<K8sHpa | undefined>;
  listNodes(signal?: AbortSignal): Promise<K8sNode[]>;
  /** Pods on all namespaces bound to a node (requests add up against allocatable). */
  listPodsOnNode(nodeName: string, signal?: AbortSignal): Promise<K8sPod[]>;
  listServices(namespace: string, signal?: AbortSignal): Promise<K8sService[]>;
  /** Namespace undefined: all namespaces. */
  listTargetGroupBindings(namespace?: string, signal?: AbortSignal): Promise<K8sTargetGroupBinding[]>;
  listNamespaces(signal?: AbortSignal): Promise<string[]>;
  /** A ConfigMap a pod template references (change correlation), or the cluster autoscaler's status. Undefined when absent. */
  getConfigMap(namespace: string, name: string, signal?: AbortSignal): Promise<K8sConfigMap | undefined>;

  // Mitigations. dryRun=true sends ?dryRun=All. `expect` pins the write to a resourceVersion (409 -> AppError 'conflict').
  rollbackDeployment(namespace: string, name: string, toRevision: number, opts: { dryRun: boolean; expectResourceVersion?: string }): Promise<MutationResult>;
  scaleDeployment(namespace: string, name: string, replicas: number, opts: { dryRun: boolean; expectResourceVersion?: string }): Promise<MutationResult>;
  patchHpa(namespace: string, name: string, change: { minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number }, opts: { dryRun: boolean; expectResourceVersion?: string }): Promise<MutationResult>;
  restartDeployment(namespace: string, name: string, at: Date, opts: { dryRun: boolean; expectResourceVersion?: string }): Promise<MutationResult>;
}

export interface SilenceInput {
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

export interface AlertmanagerPort {
  createSilence(input: SilenceInput): Promise<{ silenceId: string }>;
  expireSilence(silenceId: string): Promise<void>;
  /** Current alerts matching the labels (verification of a silenced/resolved alert). */
  listAlerts(filter: Record<string, string>): Promise<{ fingerprint: string; status: string; labels: Record<string, string> }[]>;
}

// ---------------------------------------------------------------------------------------------
// Rendering (Block Kit builders behind it; pure functions)

export interface IncidentView {
  incident: Incident;
  alerts: IncidentAlert[];
  /** A storm incident (workflows/storm.ts): its keys, most firing first. */
  storm?: StormKeySummary[];
}

/** One key of a storm incident, as its card shows it. */
export interface StormKeySummary {
  key: string;
  title: string;
  alerts: number;
  firing: number;
  resolved: number;
  /** The incident it was split off into (`/incident split`). */
  splitTo?: string;
}

export interface HomeInput {
  incidents: Incident[];
  now: Date;
  /** A line for the person who acted on the Home tab (an acknowledgement refused...). */
  notice?: string;
}

/** One thread reply of findings and the findings it holds. */
export interface FindingsReply {
  findings: Finding[];
  message: ChatMessage;
}

export interface MessageRenderer {
  incidentCard(view: IncidentView): ChatMessage;
  announcement(incident: Incident, kind: 'opened' | 'reopened' | 'resolved' | 'update', text?: string): ChatMessage;
  text(text: string): ChatMessage;
  /** Findings as thread replies, as many to a reply as fit (each finding its own sections); each reply names its findings. */
  findings(findings: readonly Finding[]): FindingsReply[];
  /** Which of `ids` the replies (as render.findings made them) hold. */
  findingsIn(replies: readonly ChatMessage[], ids: readonly string[]): string[];
  progress(input: { incidentId: string; runId: string; total: number; done: { check: string; ok: boolean; title: string }[]; finished: boolean }): ChatMessage;
  assessment(assessment: Assessment): ChatMessage;
  proposalCard(proposal: Proposal): ChatMessage;
  roles(incident: Incident): ChatMessage;
  /** One page of the timeline; the lines are already formatted (formatTimelineLine). */
  timelinePage(lines: string[], page: number, pageCount: number): ChatMessage;
  /** The App Home tab: the open incidents, oldest first (a `home` view for views.publish). */
  home(input: HomeInput): unknown;
}

export type { Role, Mitigation };
