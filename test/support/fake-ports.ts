/**
 * In-memory implementations of CloudWatchPort, KubernetesPort and PrometheusPort built from plain
 * fixture data (legitimate fakes, not mocks): they answer the way the real services do for the
 * subset the checks use.
 * - CloudWatch: GetMetricData matches dimension sets EXACTLY (as CloudWatch does: a TargetGroup-only
 *   query returns nothing for TargetResponseTime), start inclusive / end exclusive, ascending;
 *   ListMetrics returns every dimension set that includes the given dimensions; ids validated.
 * - Prometheus: evaluates the PromQL shapes the checks send (`sum by (...) (rate(m{matchers}[w]))`,
 *   optionally divided by another such term) over fixture series whose values are the per-second
 *   rates; label matchers (=, !=, =~, !~, fully anchored RE2-style) and grouping are applied for
 *   real; any other query is refused with a bad_request AppError, like a parse error.
 * - Kubernetes: equality label selectors (`a=b,c!=d`), event field selectors, all-namespace lists;
 *   read-only: mutations are refused (diagnostics never mutate).
 *
 * Below the fakes: fixture worlds (the seed investigation and three other incidents).
 */
import type { Alert } from '../../src/domain/alert.js';
import { cloudWatchConsoleUrl } from '../../src/domain/aws-console.js';
import { AppError } from '../../src/errors.js';
import type {
  AlarmDescription,
  AlarmHistoryItem,
  CloudWatchPort,
  K8sConfigMap,
  K8sDeployment,
  K8sEvent,
  K8sHpa,
  K8sNode,
  K8sPod,
  K8sReplicaSet,
  K8sService,
  K8sTargetGroupBinding,
  KubernetesPort,
  MetricQuery,
  MetricSeries,
  MutationResult,
  PromSample,
  PrometheusPort,
} from '../../src/workflows/ports.js';

// =============================================================================================
// CloudWatch

export interface MetricFixture {
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  stat: string;
  /** [epoch ms, value], any order. */
  points: [number, number][];
}

export interface CloudWatchWorld {
  alarms?: AlarmDescription[];
  /** alarm name -> history items */
  history?: Record<string, AlarmHistoryItem[]>;
  metrics?: MetricFixture[];
  /**
   * Statistics this backend refuses, as moto refuses percentiles (an HTML 500): a call with a
   * required query for one fails (AppError unavailable); an optional one comes back 'Unavailable'.
   */
  refusedStats?: string[];
}

const sameDims = (a: { name: string; value: string }[], b: { name: string; value: string }[]): boolean =>
  a.length === b.length && a.every((d) => b.some((e) => e.name === d.name && e.value === d.value));

function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3];
}

/**
 * Datapoints combined into the requested period, as CloudWatch does: Sum and SampleCount added,
 * Maximum/Minimum of the parts, Average as the mean of the parts (the fixtures carry no counts);
 * a percentile of several stored points is not computable and its bucket is left out.
 */
function aggregate(points: [number, number][], stat: string, periodSec: number): [number, number][] {
  const p = periodSec * 1000;
  const buckets = new Map<number, number[]>();
  for (const [t, v] of points) {
    const b = Math.floor(t / p) * p;
    buckets.set(b, [...(buckets.get(b) ?? []), v]);
  }
  const out: [number, number][] = [];
  for (const [t, vs] of buckets) {
    if (vs.length === 1) out.push([t, vs[0] ?? 0]);
    else if (stat === 'Sum' || stat === 'SampleCount') out.push([t, vs.reduce((a, b) => a + b, 0)]);
    else if (stat === 'Maximum') out.push([t, Math.max(...vs)]);
    else if (stat === 'Minimum') out.push([t, Math.min(...vs)]);
    else if (stat === 'Average') out.push([t, vs.reduce((a, b) => a + b, 0) / vs.length]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export class FakeCloudWatch implements CloudWatchPort {
  /** Every GetMetricData query received (to check the dimension sets the checks ask for). */
  readonly metricQueries: MetricQuery[] = [];
  /** The queries of each GetMetricData call, in call order. */
  readonly metricCalls: MetricQuery[][] = [];
  constructor(private readonly world: CloudWatchWorld) {}

  async describeAlarm(region: string, alarmName: string): Promise<AlarmDescription | undefined> {
    return this.world.alarms?.find((a) => a.alarmName === alarmName && (regionOfArn(a.alarmArn) ?? region) === region);
  }

  async alarmHistory(_region: string, alarmName: string, start: Date, end: Date): Promise<AlarmHistoryItem[]> {
    return (this.world.history?.[alarmName] ?? [])
      .filter((i) => i.timestamp.getTime() >= start.getTime() && i.timestamp.getTime() < end.getTime())
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  async listMetrics(_region: string, namespace: string, metricName: string, dimensions: { name: string; value?: string }[]): Promise<{ name: string; value: string }[][]> {
    const out: { name: string; value: string }[][] = [];
    for (const m of this.world.metrics ?? []) {
      if (m.namespace !== namespace || m.metricName !== metricName) continue;
      const ok = dimensions.every((d) => m.dimensions.some((e) => e.name === d.name && (d.value === undefined || e.value === d.value)));
      if (ok && !out.some((s) => sameDims(s, m.dimensions))) out.push(m.dimensions.map((d) => ({ ...d })));
    }
    return out;
  }

  async getMetricData(_region: string, queries: MetricQuery[], start: Date, end: Date): Promise<MetricSeries[]> {
    if (queries.length > 500) throw new AppError('bad_request', 'GetMetricData: at most 500 queries');
    const ids = new Set<string>();
    for (const q of queries) {
      if (!/^[a-z][A-Za-z0-9_]*$/.test(q.id)) throw new AppError('bad_request', `GetMetricData: invalid id ${q.id}`);
      if (ids.has(q.id)) throw new AppError('bad_request', `GetMetricData: duplicate id ${q.id}`);
      ids.add(q.id);
      if (q.period % 60 !== 0) throw new AppError('bad_request', 'GetMetricData: period must be a multiple of 60');
    }
    this.metricQueries.push(...queries);
    this.metricCalls.push([...queries]);
    const refused = (q: MetricQuery): boolean => (this.world.refusedStats ?? []).includes(q.stat);
    const failing = queries.find((q) => !q.optional && refused(q));
    if (failing) throw new AppError('unavailable', `CloudWatch GetMetricData failed: 500: ${failing.stat} is not supported by this backend`);
    return queries.map((q): MetricSeries => {
      if (refused(q)) return { id: q.id, ...(q.label ? { label: q.label } : {}), timestamps: [], values: [], status: 'Unavailable', error: `CloudWatch GetMetricData failed: 500: ${q.stat} is not supported by this backend` };
      const m = (this.world.metrics ?? []).find((x) => x.namespace === q.namespace && x.metricName === q.metricName && x.stat === q.stat && sameDims(x.dimensions, q.dimensions));
      const pts = aggregate((m?.points ?? []).filter(([t]) => t >= start.getTime() && t < end.getTime()), q.stat, q.period);
      return { id: q.id, ...(q.label ? { label: q.label } : {}), timestamps: pts.map(([t]) => new Date(t)), values: pts.map(([, v]) => v), status: 'Complete' as const };
    });
  }

  consoleLink(region: string, what: { alarmName: string } | { namespace: string; metricName: string }): string {
    return cloudWatchConsoleUrl(region, what);
  }
}

// =============================================================================================
// Prometheus

export interface PromFixtureSeries {
  /** Metric name, e.g. container_cpu_usage_seconds_total. */
  name: string;
  labels: Record<string, string>;
  /** [unix seconds, per-second rate]: what rate(name[...]) evaluates to at that time. */
  rate: [number, number][];
}

interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

interface Term {
  by: string[];
  metric: string;
  matchers: Matcher[];
}

const TERM = /^sum by \(([a-z_, ]*)\) \(rate\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\[(\d+[smh])\]\)\)$/;

function parseMatchers(s: string): Matcher[] {
  const out: Matcher[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    const [, label, op, raw] = m;
    if (!label || !op || raw === undefined) break;
    out.push({ label, op: op as Matcher['op'], value: raw.replace(/\\(.)/g, '$1') });
    consumed = re.lastIndex;
    if (consumed >= s.length) break;
  }
  if (consumed !== s.length) throw new AppError('bad_request', `parse error in matchers: ${s}`);
  return out;
}

function parseTerm(s: string): Term {
  const m = TERM.exec(s.trim());
  if (!m || m[1] === undefined || !m[2] || m[3] === undefined) throw new AppError('bad_request', `unsupported query shape for the fake: ${s}`);
  return { by: m[1].split(',').map((x) => x.trim()).filter(Boolean), metric: m[2], matchers: parseMatchers(m[3]) };
}

function matches(labels: Record<string, string>, ms: Matcher[]): boolean {
  return ms.every((m) => {
    const v = labels[m.label] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

const LOOKBACK_S = 300;
const SELECTOR = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}$/;

export class FakePrometheus implements PrometheusPort {
  readonly queries: string[] = [];
  constructor(private readonly series: PromFixtureSeries[]) {}

  private valueAt(s: PromFixtureSeries, t: number): number | undefined {
    let best: [number, number] | undefined;
    for (const p of s.rate) if (p[0] <= t && p[0] > t - LOOKBACK_S && (!best || p[0] > best[0])) best = p;
    return best?.[1];
  }

  private evalTerm(term: Term, t: number): Map<string, { labels: Record<string, string>; value: number }> {
    const out = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const s of this.series) {
      if (s.name !== term.metric || !matches(s.labels, term.matchers)) continue;
      const v = this.valueAt(s, t);
      if (v === undefined) continue;
      const labels: Record<string, string> = {};
      for (const b of term.by) if (s.labels[b] !== undefined) labels[b] = s.labels[b] ?? '';
      const key = JSON.stringify(term.by.map((b) => labels[b] ?? ''));
      const cur = out.get(key);
      out.set(key, { labels, value: (cur?.value ?? 0) + v });
    }
    return out;
  }

  /** A plain instant selector (`name{...}` or `{__name__=~"...", ...}`): every matching series with all its labels. */
  private evalSelector(name: string | undefined, matchers: Matcher[], t: number): Map<string, { labels: Record<string, string>; value: number }> {
    const out = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const s of this.series) {
      const labels = { ...s.labels, __name__: s.name };
      if ((name !== undefined && s.name !== name) || !matches(labels, matchers)) continue;
      const v = this.valueAt(s, t);
      if (v !== undefined) out.set(JSON.stringify(labels), { labels, value: v });
    }
    return out;
  }

  private evalAt(promql: string, t: number): Map<string, { labels: Record<string, string>; value: number }> {
    const sel = SELECTOR.exec(promql.trim());
    if (sel) return this.evalSelector(sel[1] || undefined, parseMatchers(sel[2] ?? ''), t);
    const parts = promql.split(' / ');
    if (parts.length > 2) throw new AppError('bad_request', 'unsupported query shape for the fake');
    const left = this.evalTerm(parseTerm(parts[0] ?? ''), t);
    if (parts.length === 1) return left;
    const right = this.evalTerm(parseTerm(parts[1] ?? ''), t);
    const out = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const [k, l] of left) {
      const r = right.get(k);
      if (!r) continue;
      out.set(k, { labels: l.labels, value: r.value === 0 ? Number.NaN : l.value / r.value });
    }
    return out;
  }

  async query(promql: string, at: Date): Promise<PromSample[]> {
    this.queries.push(promql);
    const t = Math.floor(at.getTime() / 1000);
    return [...this.evalAt(promql, t).values()].map((v) => ({ metric: v.labels, values: [[t, v.value]] }));
  }

  async queryRange(promql: string, start: Date, end: Date, stepSeconds: number): Promise<PromSample[]> {
    this.queries.push(promql);
    if (stepSeconds <= 0) throw new AppError('bad_request', 'step must be positive');
    if ((end.getTime() - start.getTime()) / 1000 / stepSeconds > 11_000) throw new AppError('bad_request', 'exceeded maximum resolution of 11,000 points per timeseries');
    parseTerm(promql.split(' / ')[0] ?? '');
    const out = new Map<string, PromSample>();
    for (let t = Math.floor(start.getTime() / 1000); t <= end.getTime() / 1000; t += stepSeconds) {
      for (const [k, v] of this.evalAt(promql, t)) {
        const s = out.get(k) ?? { metric: v.labels, values: [] };
        s.values.push([t, v.value]);
        out.set(k, s);
      }
    }
    return [...out.values()];
  }

  graphLink(promql: string, start: Date, end: Date): string {
    const range = Math.max(60, Math.round((end.getTime() - start.getTime()) / 1000));
    return `http://prometheus.test/graph?g0.expr=${encodeURIComponent(promql)}&g0.tab=0&g0.end_input=${encodeURIComponent(end.toISOString())}&g0.range_input=${range}s`;
  }
}

// =============================================================================================
// Kubernetes

export interface KubeWorld {
  namespaces?: string[];
  deployments?: K8sDeployment[];
  replicaSets?: K8sReplicaSet[];
  pods?: K8sPod[];
  events?: K8sEvent[];
  hpas?: K8sHpa[];
  nodes?: K8sNode[];
  /** Pods of other workloads (daemonsets...) that count against node allocatable. */
  otherPods?: K8sPod[];
  services?: K8sService[];
  targetGroupBindings?: K8sTargetGroupBinding[];
  configMaps?: K8sConfigMap[];
}

function parseSelector(sel: string): { key: string; op: '=' | '!='; value: string }[] {
  if (sel.trim() === '') return [];
  return sel.split(',').map((part) => {
    const m = /^\s*([^!=\s]+)\s*(==|=|!=)\s*([^\s]*)\s*$/.exec(part);
    if (!m || !m[1] || !m[2] || m[3] === undefined) throw new AppError('bad_request', `unable to parse requirement: ${part}`);
    return { key: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}

function selected(labels: Record<string, string> | undefined, sel: string): boolean {
  return parseSelector(sel).every((r) => (r.op === '=' ? labels?.[r.key] === r.value : labels?.[r.key] !== r.value));
}

function eventField(e: K8sEvent, key: string): string | undefined {
  switch (key) {
    case 'reason':
      return e.reason;
    case 'type':
      return e.type;
    case 'involvedObject.name':
      return e.involvedObject.name;
    case 'involvedObject.kind':
      return e.involvedObject.kind;
    case 'involvedObject.namespace':
      return e.involvedObject.namespace;
    case 'metadata.name':
      return e.metadata.name;
    default:
      throw new AppError('bad_request', `field label not supported: ${key}`);
  }
}

const clone = <T>(x: T): T => structuredClone(x);

export class FakeKubernetes implements KubernetesPort {
  constructor(private readonly world: KubeWorld) {}

  async getDeployment(namespace: string, name: string): Promise<K8sDeployment | undefined> {
    const d = this.world.deployments?.find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
    return d ? clone(d) : undefined;
  }
  async listDeployments(namespace: string): Promise<K8sDeployment[]> {
    return clone((this.world.deployments ?? []).filter((x) => x.metadata.namespace === namespace));
  }
  async listReplicaSets(namespace: string, labelSelector: string): Promise<K8sReplicaSet[]> {
    return clone((this.world.replicaSets ?? []).filter((x) => x.metadata.namespace === namespace && selected(x.metadata.labels, labelSelector)));
  }
  async listPods(namespace: string, labelSelector: string): Promise<K8sPod[]> {
    return clone((this.world.pods ?? []).filter((x) => x.metadata.namespace === namespace && selected(x.metadata.labels, labelSelector)));
  }
  async listEvents(namespace: string, fieldSelector?: string): Promise<K8sEvent[]> {
    const reqs = fieldSelector ? parseSelector(fieldSelector) : [];
    return clone(
      (this.world.events ?? []).filter(
        (e) => e.metadata.namespace === namespace && reqs.every((r) => (r.op === '=' ? eventField(e, r.key) === r.value : eventField(e, r.key) !== r.value)),
      ),
    );
  }
  async listHpas(namespace: string): Promise<K8sHpa[]> {
    return clone((this.world.hpas ?? []).filter((x) => x.metadata.namespace === namespace));
  }
  async getHpa(namespace: string, name: string): Promise<K8sHpa | undefined> {
    const h = this.world.hpas?.find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
    return h ? clone(h) : undefined;
  }
  async listNodes(): Promise<K8sNode[]> {
    return clone(this.world.nodes ?? []);
  }
  async listPodsOnNode(nodeName: string): Promise<K8sPod[]> {
    return clone([...(this.world.pods ?? []), ...(this.world.otherPods ?? [])].filter((p) => p.spec.nodeName === nodeName));
  }
  async listServices(namespace: string): Promise<K8sService[]> {
    return clone((this.world.services ?? []).filter((x) => x.metadata.namespace === namespace));
  }
  async listTargetGroupBindings(namespace?: string): Promise<K8sTargetGroupBinding[]> {
    return clone((this.world.targetGroupBindings ?? []).filter((x) => namespace === undefined || x.metadata.namespace === namespace));
  }
  async listNamespaces(): Promise<string[]> {
    if (this.world.namespaces) return [...this.world.namespaces];
    const all = [...(this.world.deployments ?? []), ...(this.world.services ?? []), ...(this.world.pods ?? [])].map((o) => o.metadata.namespace ?? '');
    return [...new Set(all)].filter(Boolean).sort();
  }
  async getConfigMap(namespace: string, name: string): Promise<K8sConfigMap | undefined> {
    const cm = this.world.configMaps?.find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
    return cm ? clone(cm) : undefined;
  }
  private readOnly(): Promise<MutationResult> {
    return Promise.reject(new AppError('forbidden', 'the diagnostics fake is read-only'));
  }
  rollbackDeployment(): Promise<MutationResult> {
    return this.readOnly();
  }
  scaleDeployment(): Promise<MutationResult> {
    return this.readOnly();
  }
  patchHpa(): Promise<MutationResult> {
    return this.readOnly();
  }
  restartDeployment(): Promise<MutationResult> {
    return this.readOnly();
  }
}

// =============================================================================================
// Fixture builders

export const MIN = 60_000;
export const at = (iso: string): Date => new Date(iso);

/** Epoch-ms minute timestamps in [start, end). */
export function minutes(start: Date, end: Date): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(start.getTime() / MIN) * MIN; t < end.getTime(); t += MIN) out.push(t);
  return out;
}

export function history(transitions: [string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'][]): AlarmHistoryItem[] {
  return transitions.map(([iso, from, to]) => ({ timestamp: new Date(iso), summary: `Alarm updated from ${from} to ${to}`, oldState: from, newState: to }));
}

export interface PodSpecInput {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  rs?: string;
  node?: string;
  containers: K8sPod['spec']['containers'];
  phase?: string;
  ready?: boolean;
  statuses?: NonNullable<K8sPod['status']['containerStatuses']>;
  reason?: string;
  message?: string;
}

export function pod(p: PodSpecInput): K8sPod {
  const ready = p.ready ?? true;
  return {
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      ...(p.rs ? { ownerReferences: [{ kind: 'ReplicaSet', name: p.rs, uid: `uid-${p.rs}`, controller: true }] } : {}),
    },
    spec: { ...(p.node ? { nodeName: p.node } : {}), containers: p.containers },
    status: {
      phase: p.phase ?? 'Running',
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.message ? { message: p.message } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: p.statuses ?? p.containers.map((c) => ({ name: c.name, ready, restartCount: 0, image: c.image, state: { running: { startedAt: '2025-03-14T10:28:00Z' } } })),
    },
  };
}

export function node(name: string, allocatable: { cpu: string; memory: string }, conditions: Record<string, string> = {}): K8sNode {
  const base: Record<string, string> = { Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', ...conditions };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { allocatable, capacity: allocatable, conditions: Object.entries(base).map(([type, status]) => ({ type, status })) },
  };
}

export function daemonPod(name: string, nodeName: string, cpu: string, memory: string): K8sPod {
  return pod({ name, namespace: 'kube-system', labels: { app: 'node-agent' }, node: nodeName, containers: [{ name: 'agent', image: 'agent:1', resources: { requests: { cpu, memory } } }] });
}

export function replicaSet(input: { namespace: string; deployment: string; deploymentUid: string; hash: string; revision: number; createdAt: string; labels: Record<string, string>; containers: K8sReplicaSet['spec']['template']['spec']['containers']; replicas: number }): K8sReplicaSet {
  const labels = { ...input.labels, 'pod-template-hash': input.hash };
  return {
    metadata: {
      name: `${input.deployment}-${input.hash}`,
      namespace: input.namespace,
      uid: `uid-${input.deployment}-${input.hash}`,
      creationTimestamp: input.createdAt,
      labels,
      annotations: { 'deployment.kubernetes.io/revision': String(input.revision) },
      ownerReferences: [{ kind: 'Deployment', name: input.deployment, uid: input.deploymentUid, controller: true }],
    },
    spec: { replicas: input.replicas, template: { metadata: { labels }, spec: { containers: input.containers } } },
    status: { replicas: input.replicas, readyReplicas: input.replicas },
  };
}

export interface Incident {
  id: string;
  startedAt: Date;
  alerts: Alert[];
}

export interface World {
  now: Date;
  incident: Incident;
  cloudwatch?: FakeCloudWatch;
  kubernetes?: FakeKubernetes;
  prometheus?: FakePrometheus;
  kube: KubeWorld;
  promSeries: PromFixtureSeries[];
  cw: CloudWatchWorld;
}

// ---------------------------------------------------------------------------------------------
// The seed: the flapping ALB TargetResponseTime alarm of domain/investigation-flapping-alb-alarm.txt

export const SEED = {
  now: at('2025-03-14T11:00:00Z'),
  region: 'us-east-1',
  alarmName: 'k8s-api-prod-core-7db0ccf2c3-target-response-time',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:k8s-api-prod-core-7db0ccf2c3-target-response-time',
  loadBalancer: 'app/k8s-apiprodcore-7db0ccf2c3/50dc6c495c0c9188',
  culpritTg: 'targetgroup/k8s-default-dataservice-88e28b4b6c/73e2d6bc24d8a067',
  otherTgs: [
    'targetgroup/k8s-default-authapi-1a2b3c4d5e/1111111111111111',
    'targetgroup/k8s-default-catalog-2b3c4d5e6f/2222222222222222',
    'targetgroup/k8s-default-checkout-3c4d5e6f7a/3333333333333333',
    'targetgroup/k8s-default-search-4d5e6f7a8b/4444444444444444',
    'targetgroup/k8s-default-webfront-5e6f7a8b9c/5555555555555555',
  ],
  /** The 9 OK->ALARM transitions; each ALARM lasts 6 minutes. */
  alarmStarts: ['05:52', '06:25', '07:03', '07:41', '08:18', '08:57', '09:33', '10:08', '10:42'].map((hm) => at(`2025-03-14T${hm}:00Z`)),
  alarmMinutes: 6,
  pageAt: at('2025-03-14T10:42:00Z'),
  deployAt: '2025-03-14T10:27:00Z',
  culpritAvg: 5.83,
  culpritMax: 29.7,
  namespace: 'default',
  deployment: 'data-service',
  oldHash: '6b7c8d9f5',
  newHash: '7d9f8b6c4',
  /** Plateau values per pod (cores); their mean is 0.9 = 75% of the 1200m request. */
  plateau: [0.95, 0.92, 0.88, 0.85],
};

function seedBurstMinute(t: number): number | undefined {
  // Minute offset within a burst: bursts start 3 minutes before the ALARM transition and last until OK.
  for (const s of SEED.alarmStarts) {
    const k = Math.round((t - (s.getTime() - 3 * MIN)) / MIN);
    if (k >= 0 && k < 3 + SEED.alarmMinutes) return k;
  }
  return undefined;
}

const appContainers = (image: string): K8sDeployment['spec']['template']['spec']['containers'] => [
  {
    name: 'data-service',
    image,
    resources: { requests: { cpu: '1200m', memory: '2560Mi' }, limits: { cpu: '1500m', memory: '4Gi' } },
    startupProbe: { httpGet: { path: '/internal/precache', port: 8080 }, failureThreshold: 30, periodSeconds: 10 },
    livenessProbe: { httpGet: { path: '/health', port: 8080 } },
    ports: [{ containerPort: 8080 }],
  },
];

export function seedWorld(opts: { prometheus?: boolean; kubernetes?: boolean; cloudwatch?: boolean } = {}): World {
  const now = SEED.now;
  const start = new Date(now.getTime() - 7 * 3600_000);
  const mins = minutes(start, now);
  const lbDim = { name: 'LoadBalancer', value: SEED.loadBalancer };
  const metrics: MetricFixture[] = [];
  const groups = [SEED.culpritTg, ...SEED.otherTgs];
  const lbAgg = new Map<number, { w: number; r: number; mx: number }>();
  groups.forEach((tg, gi) => {
    const dims = [lbDim, { name: 'TargetGroup', value: tg }];
    const avg: [number, number][] = [];
    const max: [number, number][] = [];
    const req: [number, number][] = [];
    for (const t of mins) {
      const k = seedBurstMinute(t);
      const burst = k !== undefined;
      let a: number;
      let m: number;
      let r: number;
      if (gi === 0) {
        a = burst ? SEED.culpritAvg : 0.35;
        // One request of 29.7 s in the last burst; otherwise the slowest are ~18-25 s.
        m = burst ? (t === SEED.alarmStarts[8]!.getTime() + 2 * MIN ? SEED.culpritMax : 18 + ((t / MIN) % 7)) : 1.2;
        r = burst ? 200 : 40;
      } else {
        a = burst ? 0.12 + gi * 0.06 : 0.1;
        m = burst ? 0.9 + gi * 0.1 : 0.6;
        r = burst ? 260 : 200;
      }
      avg.push([t, a]);
      max.push([t, m]);
      req.push([t, r]);
      const agg = lbAgg.get(t) ?? { w: 0, r: 0, mx: 0 };
      lbAgg.set(t, { w: agg.w + a * r, r: agg.r + r, mx: Math.max(agg.mx, m) });
    }
    metrics.push(
      { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: dims, stat: 'Average', points: avg },
      { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: dims, stat: 'Maximum', points: max },
      { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: dims, stat: 'Sum', points: req },
      // The AZ-split dimension set exists too; it must not be mistaken for a target group split.
      { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: [...dims, { name: 'AvailabilityZone', value: 'us-east-1a' }], stat: 'Average', points: avg },
    );
  });
  const lbPoints = [...lbAgg.entries()].sort((a, b) => a[0] - b[0]);
  metrics.push(
    { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: [lbDim], stat: 'Average', points: lbPoints.map(([t, x]) => [t, x.w / x.r]) },
    { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: [lbDim], stat: 'Maximum', points: lbPoints.map(([t, x]) => [t, x.mx]) },
    { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: [lbDim], stat: 'p99', points: lbPoints.map(([t, x]) => [t, x.mx * 0.85]) },
    { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: [lbDim], stat: 'Sum', points: lbPoints.map(([t, x]) => [t, x.r]) },
  );
  const transitions: [string, 'OK' | 'ALARM', 'OK' | 'ALARM'][] = [];
  for (const s of SEED.alarmStarts) {
    transitions.push([s.toISOString(), 'OK', 'ALARM']);
    transitions.push([new Date(s.getTime() + SEED.alarmMinutes * MIN).toISOString(), 'ALARM', 'OK']);
  }
  const cw: CloudWatchWorld = {
    alarms: [
      {
        alarmName: SEED.alarmName,
        alarmArn: SEED.alarmArn,
        stateValue: 'OK',
        namespace: 'AWS/ApplicationELB',
        metricName: 'TargetResponseTime',
        statistic: 'Average',
        dimensions: [lbDim],
        period: 60,
        evaluationPeriods: 2,
        threshold: 0.8,
        comparisonOperator: 'GreaterThanThreshold',
      },
    ],
    history: { [SEED.alarmName]: history(transitions) },
    metrics,
  };

  // Kubernetes
  const ns = SEED.namespace;
  const labels = { app: 'data-service' };
  const deploymentUid = 'uid-data-service';
  const nodes = [node('ip-10-0-1-11', { cpu: '3920m', memory: '15Gi' }), node('ip-10-0-2-12', { cpu: '3920m', memory: '15Gi' }), node('ip-10-0-3-13', { cpu: '3920m', memory: '15Gi' })];
  const podNodes = ['ip-10-0-1-11', 'ip-10-0-1-11', 'ip-10-0-2-12', 'ip-10-0-3-13'];
  const suffixes = ['x2k9p', 'b7m4q', 'h5n8r', 'z3w6t'];
  const newImage = 'registry.example.com/data-service:v1.14.3-prod';
  const pods = suffixes.map((sfx, i) =>
    pod({ name: `data-service-${SEED.newHash}-${sfx}`, namespace: ns, labels: { ...labels, 'pod-template-hash': SEED.newHash }, rs: `data-service-${SEED.newHash}`, node: podNodes[i] ?? 'ip-10-0-1-11', containers: appContainers(newImage) }),
  );
  const kube: KubeWorld = {
    namespaces: ['default', 'kube-system', 'payments', 'staging'],
    deployments: [
      {
        metadata: { name: 'data-service', namespace: ns, uid: deploymentUid, resourceVersion: '918273', generation: 13, annotations: { 'deployment.kubernetes.io/revision': '13' } },
        spec: { replicas: 4, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: appContainers(newImage) } } },
        status: { replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 },
      },
      {
        metadata: { name: 'dataservice-admin', namespace: ns, uid: 'uid-admin' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'dataservice-admin' } }, template: { metadata: { labels: { app: 'dataservice-admin' } }, spec: { containers: [{ name: 'admin', image: 'admin:1' }] } } },
      },
    ],
    replicaSets: [
      replicaSet({ namespace: ns, deployment: 'data-service', deploymentUid, hash: '5f6a7b8c9', revision: 11, createdAt: '2025-03-01T09:00:00Z', labels, containers: appContainers('registry.example.com/data-service:v1.14.1-prod'), replicas: 0 }),
      replicaSet({ namespace: ns, deployment: 'data-service', deploymentUid, hash: SEED.oldHash, revision: 12, createdAt: '2025-03-10T14:00:00Z', labels, containers: appContainers('registry.example.com/data-service:v1.14.2-prod'), replicas: 0 }),
      replicaSet({ namespace: ns, deployment: 'data-service', deploymentUid, hash: SEED.newHash, revision: 13, createdAt: SEED.deployAt, labels, containers: appContainers(newImage), replicas: 4 }),
    ],
    pods,
    otherPods: nodes.map((n, i) => daemonPod(`node-agent-${i}`, n.metadata.name, '400m', '512Mi')),
    events: [],
    hpas: [
      {
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'data-service', namespace: ns, resourceVersion: '55102' },
        scaleTargetRef: { kind: 'Deployment', name: 'data-service', apiVersion: 'apps/v1' },
        minReplicas: 4,
        maxReplicas: 7,
        targetCPUUtilizationPercentage: 80,
        currentReplicas: 4,
        desiredReplicas: 4,
        currentCPUUtilizationPercentage: 12,
        conditions: [],
      },
    ],
    nodes,
    services: [
      { metadata: { name: 'data-service', namespace: ns }, spec: { selector: labels, type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort: 31892 }], externalTrafficPolicy: 'Cluster' } },
      { metadata: { name: 'dataservice-admin', namespace: ns }, spec: { selector: { app: 'dataservice-admin' }, type: 'ClusterIP', ports: [{ port: 80 }] } },
      { metadata: { name: 'data-sync', namespace: ns }, spec: { selector: { app: 'data-sync' }, ports: [{ port: 80 }] } },
      { metadata: { name: 'data-service', namespace: 'staging' }, spec: { selector: labels, ports: [{ port: 80 }] } },
    ],
    targetGroupBindings: [],
  };

  // Prometheus: per-pod CPU (old ReplicaSet's pods until the deploy, new ones after) and CFS periods.
  const promSeries: PromFixtureSeries[] = [];
  const deployMs = Date.parse(SEED.deployAt);
  const oldSfx = ['q1w2e', 'r3t4y', 'u5i6o', 'p7a8s'];
  for (let i = 0; i < 4; i += 1) {
    for (const [hash, sfx, from, to] of [
      [SEED.oldHash, oldSfx[i] ?? 'zzzzz', start.getTime(), deployMs + MIN],
      [SEED.newHash, suffixes[i] ?? 'zzzzz', deployMs, now.getTime() + MIN],
    ] as const) {
      const podName = `data-service-${hash}-${sfx}`;
      const cpu: [number, number][] = [];
      const throttled: [number, number][] = [];
      const periods: [number, number][] = [];
      for (const t of minutes(new Date(from), new Date(to))) {
        const k = seedBurstMinute(t);
        const ramp = [0.6, 0.75, 0.85, 0.5 + 0.01 * i, 0.7 - 0.01 * i];
        const v = k === undefined ? 0.12 + 0.02 * i : k < ramp.length ? (ramp[k] ?? 0.5) : (SEED.plateau[i] ?? 0.9);
        cpu.push([t / 1000, v]);
        periods.push([t / 1000, 10]);
        throttled.push([t / 1000, k === undefined ? 0 : 0.2 + 0.05 * i]);
      }
      const lab = { namespace: ns, pod: podName, container: 'data-service' };
      promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: lab, rate: cpu });
      // The pod-level cgroup series (container="") and the pause container must not be counted.
      promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: { namespace: ns, pod: podName, container: '' }, rate: cpu });
      promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: { namespace: ns, pod: podName, container: 'POD' }, rate: cpu.map(([t]) => [t, 0.001]) });
      promSeries.push({ name: 'container_cpu_cfs_throttled_periods_total', labels: lab, rate: throttled });
      promSeries.push({ name: 'container_cpu_cfs_periods_total', labels: lab, rate: periods });
    }
  }
  // A sibling deployment whose name extends ours: its pods must not be counted.
  promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: { namespace: ns, pod: 'data-service-worker-5d6f7g8h9-aaaaa', container: 'worker' }, rate: minutes(start, now).map((t) => [t / 1000, 3.5]) });

  const alert: Alert = {
    source: 'cloudwatch',
    fingerprint: SEED.alarmArn,
    status: 'firing',
    name: SEED.alarmName,
    severity: 'SEV2',
    labels: {},
    annotations: {},
    startsAt: SEED.pageAt.toISOString(),
    links: [],
    cloudwatch: {
      alarmName: SEED.alarmName,
      alarmArn: SEED.alarmArn,
      accountId: '123456789012',
      region: SEED.region,
      state: 'ALARM',
      previousState: 'OK',
      trigger: {
        metricName: 'TargetResponseTime',
        namespace: 'AWS/ApplicationELB',
        statistic: 'Average',
        dimensions: [lbDim],
        period: 60,
        evaluationPeriods: 2,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0.8,
        metrics: [],
      },
    },
  };
  return assemble(now, { id: 'INC-7', startedAt: SEED.pageAt, alerts: [alert] }, cw, kube, promSeries, opts);
}

function assemble(now: Date, incident: Incident, cw: CloudWatchWorld, kube: KubeWorld, promSeries: PromFixtureSeries[], opts: { prometheus?: boolean; kubernetes?: boolean; cloudwatch?: boolean }): World {
  return {
    now,
    incident,
    cw,
    kube,
    promSeries,
    ...(opts.cloudwatch === false ? {} : { cloudwatch: new FakeCloudWatch(cw) }),
    ...(opts.kubernetes === false ? {} : { kubernetes: new FakeKubernetes(kube) }),
    ...(opts.prometheus === false ? {} : { prometheus: new FakePrometheus(promSeries) }),
  };
}

export function amAlert(name: string, labels: Record<string, string>, startsAt: string): Alert {
  return {
    source: 'alertmanager',
    fingerprint: `fp-${name}-${Object.values(labels).join('-')}`,
    status: 'firing',
    name,
    severity: 'SEV2',
    labels: { alertname: name, ...labels },
    annotations: {},
    startsAt,
    links: [],
  };
}

// ---------------------------------------------------------------------------------------------
// An OOM crash loop right after a deploy (no Prometheus configured).

export function oomAfterDeployWorld(): World {
  const now = at('2025-03-14T10:20:00Z');
  const ns = 'payments';
  const labels = { app: 'payments-api' };
  const uid = 'uid-payments-api';
  const containers = (image: string): K8sDeployment['spec']['template']['spec']['containers'] => [
    { name: 'api', image, resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } }, readinessProbe: { httpGet: { path: '/ready', port: 8080 } }, livenessProbe: { httpGet: { path: '/health', port: 8080 } } },
  ];
  const newImage = 'registry.example.com/payments-api:v2.3.0';
  const oldImage = 'registry.example.com/payments-api:v2.2.9';
  const crashing = (sfx: string, nodeName: string, restartCount: number): K8sPod =>
    pod({
      name: `payments-api-5c8d7f9b6-${sfx}`,
      namespace: ns,
      labels: { ...labels, 'pod-template-hash': '5c8d7f9b6' },
      rs: 'payments-api-5c8d7f9b6',
      node: nodeName,
      containers: containers(newImage),
      ready: false,
      statuses: [
        {
          name: 'api',
          ready: false,
          restartCount,
          image: newImage,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2025-03-14T10:14:00Z', finishedAt: '2025-03-14T10:14:20Z' } },
        },
      ],
    });
  const kube: KubeWorld = {
    deployments: [
      {
        metadata: { name: 'payments-api', namespace: ns, uid, resourceVersion: '7001', annotations: { 'deployment.kubernetes.io/revision': '5' } },
        spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: containers(newImage) } } },
        status: { replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 },
      },
    ],
    replicaSets: [
      replicaSet({ namespace: ns, deployment: 'payments-api', deploymentUid: uid, hash: '84b5c6d7e', revision: 4, createdAt: '2025-03-05T12:00:00Z', labels, containers: containers(oldImage), replicas: 2 }),
      replicaSet({ namespace: ns, deployment: 'payments-api', deploymentUid: uid, hash: '5c8d7f9b6', revision: 5, createdAt: '2025-03-14T09:52:00Z', labels, containers: containers(newImage), replicas: 2 }),
    ],
    pods: [
      crashing('x1k2z', 'node-a', 6),
      crashing('m3n4b', 'node-b', 5),
      pod({ name: 'payments-api-84b5c6d7e-aa111', namespace: ns, labels: { ...labels, 'pod-template-hash': '84b5c6d7e' }, rs: 'payments-api-84b5c6d7e', node: 'node-a', containers: containers(oldImage) }),
      pod({ name: 'payments-api-84b5c6d7e-bb222', namespace: ns, labels: { ...labels, 'pod-template-hash': '84b5c6d7e' }, rs: 'payments-api-84b5c6d7e', node: 'node-b', containers: containers(oldImage) }),
    ],
    nodes: [node('node-a', { cpu: '3920m', memory: '15Gi' }), node('node-b', { cpu: '3920m', memory: '15Gi' })],
    otherPods: [],
    events: [],
    hpas: [],
    services: [{ metadata: { name: 'payments-api', namespace: ns }, spec: { selector: labels, ports: [{ port: 80 }] } }],
  };
  const alert = amAlert('KubePodCrashLooping', { namespace: ns, pod: 'payments-api-5c8d7f9b6-x1k2z', container: 'api', severity: 'critical' }, '2025-03-14T10:00:00Z');
  return assemble(now, { id: 'INC-8', startedAt: at('2025-03-14T10:00:00Z'), alerts: [alert] }, {}, kube, [], { prometheus: false, cloudwatch: false });
}

// ---------------------------------------------------------------------------------------------
// A throttled sidecar (istio-proxy at its 200m limit), no HPA.

export function throttledSidecarWorld(): World {
  const now = at('2025-03-14T15:00:00Z');
  const ns = 'checkout';
  const labels = { app: 'checkout-api' };
  const uid = 'uid-checkout-api';
  const image = 'registry.example.com/checkout-api:v3.1.0';
  const containers: K8sDeployment['spec']['template']['spec']['containers'] = [
    { name: 'app', image, resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } }, readinessProbe: { httpGet: { path: '/ready', port: 8080 } } },
    { name: 'istio-proxy', image: 'istio/proxyv2:1.22.0', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } }, readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } } },
  ];
  const sfx = ['abcde', 'fghij', 'klmno'];
  const start = new Date(now.getTime() - 3 * 3600_000);
  const promSeries: PromFixtureSeries[] = [];
  sfx.forEach((s, i) => {
    const podName = `checkout-api-6f7d8c9b5-${s}`;
    const mins = minutes(start, new Date(now.getTime() + MIN));
    const wave = (t: number): number => 0.5 + 0.5 * Math.sin(t / MIN / 9 + i);
    promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: { namespace: ns, pod: podName, container: 'app' }, rate: mins.map((t) => [t / 1000, 0.2 + 0.25 * wave(t)]) });
    promSeries.push({ name: 'container_cpu_usage_seconds_total', labels: { namespace: ns, pod: podName, container: 'istio-proxy' }, rate: mins.map((t) => [t / 1000, 0.19]) });
    promSeries.push({ name: 'container_cpu_cfs_periods_total', labels: { namespace: ns, pod: podName, container: 'app' }, rate: mins.map((t) => [t / 1000, 10]) });
    promSeries.push({ name: 'container_cpu_cfs_throttled_periods_total', labels: { namespace: ns, pod: podName, container: 'app' }, rate: mins.map((t) => [t / 1000, 0.1]) });
    promSeries.push({ name: 'container_cpu_cfs_periods_total', labels: { namespace: ns, pod: podName, container: 'istio-proxy' }, rate: mins.map((t) => [t / 1000, 10]) });
    promSeries.push({ name: 'container_cpu_cfs_throttled_periods_total', labels: { namespace: ns, pod: podName, container: 'istio-proxy' }, rate: mins.map((t) => [t / 1000, 5.8 + 0.2 * i]) });
  });
  const kube: KubeWorld = {
    deployments: [
      {
        metadata: { name: 'checkout-api', namespace: ns, uid },
        spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } },
        status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 },
      },
    ],
    replicaSets: [replicaSet({ namespace: ns, deployment: 'checkout-api', deploymentUid: uid, hash: '6f7d8c9b5', revision: 7, createdAt: '2025-03-04T08:00:00Z', labels, containers, replicas: 3 })],
    pods: sfx.map((s, i) => pod({ name: `checkout-api-6f7d8c9b5-${s}`, namespace: ns, labels: { ...labels, 'pod-template-hash': '6f7d8c9b5' }, rs: 'checkout-api-6f7d8c9b5', node: `node-${i}`, containers })),
    nodes: [0, 1, 2].map((i) => node(`node-${i}`, { cpu: '3920m', memory: '15Gi' })),
    otherPods: [],
    events: [],
    hpas: [],
    services: [],
  };
  const alert = amAlert('CPUThrottlingHigh', { namespace: ns, pod: 'checkout-api-6f7d8c9b5-abcde', container: 'istio-proxy' }, '2025-03-14T14:30:00Z');
  return assemble(now, { id: 'INC-9', startedAt: at('2025-03-14T14:30:00Z'), alerts: [alert] }, {}, kube, promSeries, { cloudwatch: false });
}

// ---------------------------------------------------------------------------------------------
// An HPA pinned at max replicas with utilisation above target.

export function hpaAtMaxWorld(): World {
  const now = at('2025-03-14T18:00:00Z');
  const ns = 'web';
  const labels = { app: 'frontend' };
  const uid = 'uid-frontend';
  const image = 'registry.example.com/frontend:v5.0.2';
  const containers: K8sDeployment['spec']['template']['spec']['containers'] = [
    { name: 'frontend', image, resources: { requests: { cpu: '1500m', memory: '1Gi' }, limits: { cpu: '3', memory: '2Gi' } }, readinessProbe: { httpGet: { path: '/ready', port: 3000 } } },
  ];
  const sfx = ['a1b2c', 'd3e4f', 'g5h6i', 'j7k8l', 'm9n0o', 'p1q2r'];
  const start = new Date(now.getTime() - 2 * 3600_000);
  const promSeries: PromFixtureSeries[] = sfx.map((s, i) => ({
    name: 'container_cpu_usage_seconds_total',
    labels: { namespace: ns, pod: `frontend-7c8d9e0f1-${s}`, container: 'frontend' },
    rate: minutes(start, new Date(now.getTime() + MIN)).map((t) => [t / 1000, 1.3 + 0.15 * Math.abs(Math.sin(t / MIN / 5 + i))]),
  }));
  const kube: KubeWorld = {
    deployments: [
      {
        metadata: { name: 'frontend', namespace: ns, uid },
        spec: { replicas: 6, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } },
        status: { replicas: 6, readyReplicas: 6, availableReplicas: 6, updatedReplicas: 6 },
      },
    ],
    replicaSets: [replicaSet({ namespace: ns, deployment: 'frontend', deploymentUid: uid, hash: '7c8d9e0f1', revision: 21, createdAt: '2025-03-11T10:00:00Z', labels, containers, replicas: 6 })],
    pods: sfx.map((s, i) => pod({ name: `frontend-7c8d9e0f1-${s}`, namespace: ns, labels: { ...labels, 'pod-template-hash': '7c8d9e0f1' }, rs: 'frontend-7c8d9e0f1', node: `node-${i % 3}`, containers })),
    nodes: [0, 1, 2].map((i) => node(`node-${i}`, { cpu: '7910m', memory: '30Gi' })),
    otherPods: [],
    events: [],
    hpas: [
      {
        apiVersion: 'autoscaling/v2',
        metadata: { name: 'frontend', namespace: ns, resourceVersion: '4242' },
        scaleTargetRef: { kind: 'Deployment', name: 'frontend', apiVersion: 'apps/v1' },
        minReplicas: 2,
        maxReplicas: 6,
        targetCPUUtilizationPercentage: 70,
        currentReplicas: 6,
        desiredReplicas: 6,
        currentCPUUtilizationPercentage: 95,
        conditions: [
          { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
          { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
          { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' },
        ],
        lastScaleTime: '2025-03-14T16:40:00Z',
      },
    ],
    services: [],
  };
  const alert = amAlert('KubeHpaMaxedOut', { namespace: ns, horizontalpodautoscaler: 'frontend' }, '2025-03-14T17:30:00Z');
  return assemble(now, { id: 'INC-10', startedAt: at('2025-03-14T17:30:00Z'), alerts: [alert] }, {}, kube, promSeries, { cloudwatch: false });
}
