/**
 * The causal model the assessment reasons with (DESIGN §4, "How the assessment reasons").
 *
 * Findings report SYMPTOMS: what was observed, where it is confined (its scope) and how it showed
 * ("3 of 3 new pods OOMKilled"). Hypotheses are CAUSES: each declares the symptoms it explains,
 * optionally only in some scopes (a bad deploy explains crash loops confined to the new revision;
 * a crash loop of every revision is not its doing). The assessment ranks the supported causes by
 * how many of the observed symptoms they explain; a cause whose every symptom a higher-ranked one
 * also explains is shown as how that cause shows, not as a rival.
 *
 * Adding a cause: one entry in HYPOTHESIS_DEFS (id, title, the symptoms it explains). A check
 * supports or refutes it with `signals` and reports what it saw with `symptoms` (see makeFinding).
 * Adding a symptom: one entry in SYMPTOMS, then list it under the causes that explain it.
 */

/** Where a symptom is confined. */
export const SCOPES = {
  'new-revision': 'only the newest revision',
  'all-pods': 'every revision / every pod',
  'one-pod': 'one pod of several',
  container: 'one container of every pod',
  'under-load': 'during load peaks',
} as const;
export type Scope = keyof typeof SCOPES;

/** What a check can observe. */
export const SYMPTOMS = {
  latency: 'requests slower than the alarm allows, under real traffic',
  errors: 'requests failing (target 5xx, error budget burning)',
  'elb-errors': '5xx produced by the load balancer itself (no healthy target, resets, timeouts)',
  'all-groups-slow': 'every target group behind the load balancer slow together',
  'recent-change': 'a rollout shortly before the onset',
  'config-change': 'a configuration change shortly before the onset',
  'crash-loop': 'containers in CrashLoopBackOff',
  restarts: 'containers restarting',
  'oom-kill': 'containers OOMKilled',
  'image-pull': 'images that cannot be pulled',
  'config-error': 'containers that cannot start for missing configuration (CreateContainerConfigError)',
  'readiness-failing': 'pods failing their readiness probe',
  'liveness-kill': 'containers killed by their liveness probe',
  'rollout-stuck': 'a rollout past its progress deadline',
  throttling: 'CPU throttled at its limit',
  'hot-pod': 'one pod carrying most of the load',
  'cpu-plateau': 'per-pod CPU flat below the limit near whole cores',
  'hpa-flat-under-load': 'the HPA not adding replicas while load is near or above its target',
  'hpa-at-max': 'the HPA at its maximum with utilisation above target',
  'pending-resources': 'pods Pending for lack of node resources',
  'pending-constraints': 'pods Pending because no node matches their selector, affinity or tolerations',
  'no-room': 'no node can host one more pod',
  eviction: 'pods evicted',
  'node-pressure': 'nodes hosting the workload under pressure',
  'low-traffic-breach': 'breaching periods that carried a fraction of the usual traffic',
} as const;
export type SymptomName = keyof typeof SYMPTOMS;

/** A symptom the cause explains in any scope, or only in the listed scopes. */
type Explains = Partial<Record<SymptomName, 'any' | readonly Scope[]>>;

export interface HypothesisDef {
  title: string;
  explains: Explains;
}

const NEW: readonly Scope[] = ['new-revision'];
const FLEET: readonly Scope[] = ['all-pods', 'under-load', 'container', 'one-pod'];
/** Saturated pods answer their probes late: kills and unready pods during load peaks are how saturation shows. */
const UNDER_LOAD: readonly Scope[] = ['under-load'];

export const HYPOTHESIS_DEFS = {
  'bad-deploy': {
    title: 'bad deploy',
    explains: {
      'recent-change': 'any',
      'crash-loop': NEW,
      restarts: NEW,
      'oom-kill': NEW,
      'image-pull': NEW,
      'config-error': NEW,
      'readiness-failing': NEW,
      'liveness-kill': NEW,
      'pending-constraints': NEW,
      'rollout-stuck': 'any',
      errors: 'any',
      'elb-errors': 'any',
      latency: 'any',
    },
  },
  'config-change': {
    title: 'config change',
    explains: {
      'config-change': 'any',
      'crash-loop': NEW,
      restarts: NEW,
      'config-error': NEW,
      'readiness-failing': NEW,
      'liveness-kill': NEW,
      'rollout-stuck': 'any',
      errors: 'any',
      'elb-errors': 'any',
      latency: 'any',
    },
  },
  'oom-crashloop': {
    title: 'OOM crash loop (memory limit too low)',
    explains: { 'oom-kill': 'any', 'crash-loop': 'any', restarts: 'any', errors: 'any', 'elb-errors': 'any' },
  },
  'probe-kills': {
    title: 'probe failures (liveness kills, readiness drops)',
    explains: { 'liveness-kill': FLEET, 'readiness-failing': FLEET, restarts: FLEET, 'crash-loop': FLEET, errors: 'any', 'elb-errors': 'any', latency: 'any' },
  },
  'load-imbalance': {
    title: 'load imbalance',
    explains: { 'hot-pod': 'any', throttling: ['one-pod'], 'liveness-kill': ['one-pod'], 'readiness-failing': ['one-pod'], latency: 'any' },
  },
  'low-traffic-artifact': {
    title: 'low-traffic artifact',
    explains: { 'low-traffic-breach': 'any' },
  },
  'shared-lb': {
    title: 'shared load balancer / ingress',
    explains: { 'all-groups-slow': 'any', 'elb-errors': 'any', latency: 'any' },
  },
  'process-model-ceiling': {
    title: 'process-model ceiling (one worker, one core)',
    explains: { 'cpu-plateau': 'any', 'hpa-flat-under-load': 'any', 'liveness-kill': UNDER_LOAD, 'readiness-failing': UNDER_LOAD, latency: 'any' },
  },
  'hpa-never-scales': {
    title: 'HPA never scales',
    explains: { 'hpa-flat-under-load': 'any', latency: 'any' },
  },
  'capacity-ceiling': {
    title: 'capacity ceiling (HPA at max)',
    explains: { 'hpa-at-max': 'any', 'liveness-kill': UNDER_LOAD, 'readiness-failing': UNDER_LOAD, latency: 'any', errors: 'any' },
  },
  'cluster-capacity': {
    title: 'cluster capacity (no node can host another pod)',
    explains: { 'pending-resources': 'any', 'no-room': 'any', 'rollout-stuck': 'any', latency: 'any', errors: 'any' },
  },
  'cpu-throttling': {
    title: 'CPU throttling',
    explains: { throttling: 'any', 'liveness-kill': UNDER_LOAD, 'readiness-failing': UNDER_LOAD, latency: 'any' },
  },
  'node-pressure': {
    title: 'node pressure',
    explains: { eviction: 'any', 'node-pressure': 'any', restarts: 'any', latency: 'any' },
  },
} as const satisfies Record<string, HypothesisDef>;

export type HypothesisName = keyof typeof HYPOTHESIS_DEFS;
export const HYPOTHESES = Object.keys(HYPOTHESIS_DEFS) as HypothesisName[];

export function isHypothesisName(name: string): name is HypothesisName {
  return Object.hasOwn(HYPOTHESIS_DEFS, name);
}

/** Does the cause explain this symptom in this scope? Unknown causes or symptoms explain nothing. */
export function explainsSymptom(cause: string, symptom: { id: string; scope?: string | undefined }): boolean {
  if (!isHypothesisName(cause)) return false;
  const explains: Explains = HYPOTHESIS_DEFS[cause].explains;
  const rule = Object.hasOwn(explains, symptom.id) ? explains[symptom.id as SymptomName] : undefined;
  if (rule === undefined) return false;
  if (rule === 'any') return true;
  return symptom.scope !== undefined && (rule as readonly string[]).includes(symptom.scope);
}

/** The key two observations of the same symptom share ("crash-loop@new-revision"). */
export function symptomKey(s: { id: string; scope?: string | undefined }): string {
  return s.scope ? `${s.id}@${s.scope}` : s.id;
}
