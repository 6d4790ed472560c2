/**
 * A small deployment controller, enough to make rollouts observable:
 * - a template change finds the ReplicaSet whose template (minus `pod-template-hash`) matches, or
 *   creates one; its revision becomes max+1 (a re-used ReplicaSet records its old number in
 *   `deployment.kubernetes.io/revision-history`), and the Deployment's revision annotation follows;
 * - new pods behave per image: `healthy` pods become Running and ready, `crashloop-oom` pods go to
 *   CrashLoopBackOff with lastState OOMKilled/137 and the rollout ends in ProgressDeadlineExceeded;
 * - status moves in two steps over `rolloutMs` (observed, then settled), so `rollout status` can
 *   be watched going from "waiting" to done or failed;
 * - a replica change scales the current ReplicaSet and its pods.
 */
import { createHash } from 'node:crypto';
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, revisionOf, ROLLBACK_SKIPPED_ANNOTATIONS } from '../../domain/rollout.js';
import { child, clone, isRecord, num, rec, str, strMap, type JsonObject } from './json.js';
import { k8sTime, type ObjectStore } from './store.js';

export type PodBehaviour = 'healthy' | 'crashloop-oom';

export interface ControllerOptions {
  store: ObjectStore;
  behaviour: Record<string, PodBehaviour>;
  rolloutMs: number;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE[(digest[i] ?? 0) % SAFE.length];
  return out;
}

function meta(o: JsonObject): JsonObject {
  return child(o, 'metadata');
}

function nameOf(o: JsonObject): string {
  return str(rec(o['metadata'])['name']) ?? '';
}

function uidOf(o: JsonObject): string {
  return str(rec(o['metadata'])['uid']) ?? '';
}

function controllerUid(o: JsonObject): string | undefined {
  const refs = rec(o['metadata'])['ownerReferences'];
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => isRecord(r) && r['controller'] === true);
  return isRecord(ref) ? str(ref['uid']) : undefined;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function revisionNumber(o: JsonObject): number {
  return revisionOf({ metadata: { annotations: strMap(rec(o['metadata'])['annotations']) } }) ?? 0;
}

function condition(type: string, status: string, reason: string, message: string, at: string): JsonObject {
  return { type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at };
}

function setCondition(status: JsonObject, cond: JsonObject): void {
  const list = Array.isArray(status['conditions']) ? status['conditions'].filter(isRecord) : [];
  const i = list.findIndex((c) => c['type'] === cond['type']);
  if (i >= 0) {
    const prev = list[i] ?? {};
    if (prev['status'] === cond['status']) cond['lastTransitionTime'] = prev['lastTransitionTime'] ?? cond['lastTransitionTime'];
    list[i] = cond;
  } else list.push(cond);
  status['conditions'] = list;
}

export class DeploymentController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tokens = new Map<string, number>();
  private podCounter = 0;
  private eventCounter = 0;
  private nodeCursor = 0;
  private ipCounter = 0;
  private stopped = false;

  constructor(private readonly opts: ControllerOptions) {}

  /** Whether any rollout step is still scheduled. */
  get busy(): boolean {
    return this.timers.size > 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, Math.max(1, Math.round(ms)));
    this.timers.add(t);
  }

  private now(): string {
    return k8sTime(this.opts.store.clock.now());
  }

  /** Called after a stored Deployment's spec changed. */
  deploymentChanged(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const token = (this.tokens.get(key) ?? 0) + 1;
    this.tokens.set(key, token);
    const observeAfter = this.opts.rolloutMs * 0.3;
    this.schedule(observeAfter, () => {
      if (this.tokens.get(key) !== token) return;
      const rollingOut = this.observe(namespace, name);
      if (rollingOut === undefined) return;
      this.schedule(this.opts.rolloutMs - observeAfter, () => {
        if (this.tokens.get(key) !== token) return;
        this.settle(namespace, name);
      });
    });
  }

  private behaviourOf(template: JsonObject): PodBehaviour {
    const containers = rec(template['spec'])['containers'];
    const images = Array.isArray(containers) ? containers.map((c) => str(rec(c)['image']) ?? '') : [];
    return images.some((i) => this.opts.behaviour[i] === 'crashloop-oom') ? 'crashloop-oom' : 'healthy';
  }

  private controlledReplicaSets(d: JsonObject): JsonObject[] {
    const ns = str(meta(d)['namespace']);
    const uid = uidOf(d);
    const selector = strMap(rec(rec(d['spec'])['selector'])['matchLabels']);
    return this.opts.store
      .list('replicasets', ns)
      .filter((rs) => controllerUid(rs) === uid && labelsMatch(selector, strMap(meta(rs)['labels'])));
  }

  private podsOf(rs: JsonObject): JsonObject[] {
    const ns = str(meta(rs)['namespace']);
    const uid = uidOf(rs);
    const selector = strMap(rec(rec(rs['spec'])['selector'])['matchLabels']);
    return this.opts.store.list('pods', ns).filter((p) => {
      const owner = controllerUid(p);
      return owner !== undefined ? owner === uid : Object.keys(selector).length > 0 && labelsMatch(selector, strMap(meta(p)['labels']));
    });
  }

  private event(involved: JsonObject, kind: string, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const md = rec(involved['metadata']);
    const ns = str(md['namespace']) ?? 'default';
    this.eventCounter += 1;
    const at = this.now();
    this.opts.store.put('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${str(md['name']) ?? 'object'}.${(Date.now() * 1000 + this.eventCounter).toString(16)}`, namespace: ns },
      involvedObject: { kind, name: str(md['name']), namespace: ns, uid: str(md['uid']), apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1' },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component },
    });
  }

  private nextNode(): string | undefined {
    const nodes = this.opts.store.list('nodes');
    if (nodes.length === 0) return undefined;
    const n = nodes[this.nodeCursor % nodes.length];
    this.nodeCursor += 1;
    return n ? nameOf(n) : undefined;
  }

  private newPod(rs: JsonObject): JsonObject {
    const rsMeta = meta(rs);
    const template = rec(rec(rs['spec'])['template']);
    this.podCounter += 1;
    const name = `${nameOf(rs)}-${safeEncode(`${uidOf(rs)}/${this.podCounter}`, 5)}`;
    const tMeta = rec(template['metadata']);
    const spec = clone(rec(template['spec']));
    const node = this.nextNode();
    if (node !== undefined) spec['nodeName'] = node;
    const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isRecord) : [];
    const pod: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: rsMeta['namespace'],
        labels: strMap(tMeta['labels']),
        ...(isRecord(tMeta['annotations']) ? { annotations: clone(tMeta['annotations']) } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: nameOf(rs), uid: uidOf(rs), controller: true, blockOwnerDeletion: true }],
      },
      spec,
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: this.now() }],
        containerStatuses: containers.map((c) => ({ name: str(c['name']) ?? '', image: str(c['image']) ?? '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } })),
      },
    };
    return this.opts.store.put('pods', pod);
  }

  private setPodState(pod: JsonObject, behaviour: PodBehaviour): void {
    const p = clone(pod);
    const at = this.now();
    const status = child(p, 'status');
    const spec = rec(p['spec']);
    const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isRecord) : [];
    status['startTime'] = status['startTime'] ?? at;
    this.assignAddresses(p);
    if (behaviour === 'healthy') {
      status['phase'] = 'Running';
      status['conditions'] = [
        { type: 'Initialized', status: 'True', lastTransitionTime: at },
        { type: 'Ready', status: 'True', lastTransitionTime: at },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: at },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
      ];
      status['containerStatuses'] = containers.map((c) => ({ name: str(c['name']) ?? '', image: str(c['image']) ?? '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } } }));
    } else {
      status['phase'] = 'Running';
      status['conditions'] = [
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status', lastTransitionTime: at },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
      ];
      status['containerStatuses'] = containers.map((c) => ({
        name: str(c['name']) ?? '',
        image: str(c['image']) ?? '',
        ready: false,
        started: false,
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 40s restarting failed container=${str(c['name']) ?? ''} pod=${nameOf(p)}` } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: at, finishedAt: at } },
      }));
    }
    const stored = this.opts.store.put('pods', p);
    if (behaviour !== 'healthy') this.event(stored, 'Pod', 'Warning', 'BackOff', 'Back-off restarting failed container', 'kubelet');
  }

  /** The node's InternalIP as hostIP, and a pod IP (as a CNI would hand out) once the pod starts. */
  assignAddresses(pod: JsonObject): void {
    const status = child(pod, 'status');
    if (str(status['podIP'])) return;
    const nodeName = str(rec(pod['spec'])['nodeName']);
    const node = nodeName !== undefined ? this.opts.store.get('nodes', undefined, nodeName) : undefined;
    const addresses = rec(node?.['status'])['addresses'];
    const internal = Array.isArray(addresses) ? addresses.find((a) => isRecord(a) && a['type'] === 'InternalIP') : undefined;
    if (isRecord(internal) && str(internal['address'])) status['hostIP'] = internal['address'];
    this.ipCounter += 1;
    const ip = `10.244.${Math.floor(this.ipCounter / 250) % 250}.${(this.ipCounter % 250) + 2}`;
    status['podIP'] = ip;
    status['podIPs'] = [{ ip }];
  }

  private isReady(pod: JsonObject): boolean {
    const conds = rec(pod['status'])['conditions'];
    return Array.isArray(conds) && conds.some((c) => isRecord(c) && c['type'] === 'Ready' && c['status'] === 'True');
  }

  private scaleReplicaSet(d: JsonObject, rs: JsonObject, replicas: number): JsonObject {
    const pods = this.podsOf(rs);
    const before = num(rec(rs['spec'])['replicas']) ?? pods.length;
    for (let i = pods.length; i < replicas; i++) this.newPod(rs);
    for (const p of pods.slice(replicas).reverse()) this.opts.store.delete('pods', str(meta(p)['namespace']), nameOf(p));
    const copy = clone(rs);
    child(copy, 'spec')['replicas'] = replicas;
    const now = this.podsOf(rs);
    child(copy, 'status')['replicas'] = now.length;
    child(copy, 'status')['readyReplicas'] = now.filter((p) => this.isReady(p)).length;
    child(copy, 'status')['availableReplicas'] = now.filter((p) => this.isReady(p)).length;
    const stored = this.opts.store.put('replicasets', copy);
    if (before !== replicas) {
      this.event(d, 'Deployment', 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > before ? 'up' : 'down'} replica set ${nameOf(rs)} from ${before} to ${replicas}`, 'deployment-controller');
    }
    return stored;
  }

  /** First step: pick or create the new ReplicaSet, record revisions, start its pods. */
  private observe(namespace: string, name: string): JsonObject | undefined {
    const store = this.opts.store;
    const stored = store.get('deployments', namespace, name);
    if (!stored) return undefined;
    const d = clone(stored);
    const spec = rec(d['spec']);
    const template = rec(spec['template']);
    const status = child(d, 'status');
    const at = this.now();
    status['observedGeneration'] = num(meta(d)['generation']) ?? 1;
    if (spec['paused'] === true) {
      setCondition(status, condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', at));
      store.put('deployments', d);
      return undefined;
    }
    const rss = this.controlledReplicaSets(d);
    const maxRev = rss.reduce((m, rs) => Math.max(m, revisionNumber(rs)), 0);
    let newRs = rss.find((rs) => equalIgnoreHash(rec(rs['spec'])['template'], template));
    const depAnnotations = strMap(meta(d)['annotations']);
    const copied = Object.fromEntries(Object.entries(depAnnotations).filter(([k]) => !ROLLBACK_SKIPPED_ANNOTATIONS.includes(k)));
    const desired = num(spec['replicas']) ?? 1;
    if (!newRs) {
      const hash = safeEncode(JSON.stringify(template), 10);
      let rsName = `${name}-${hash}`;
      let n = 0;
      while (store.get('replicasets', namespace, rsName)) rsName = `${name}-${safeEncode(`${hash}/${++n}`, 10)}`;
      const tpl = clone(template);
      const tplMeta = child(tpl, 'metadata');
      const tplLabels = strMap(tplMeta['labels']);
      tplLabels[POD_TEMPLATE_HASH_LABEL] = hash;
      tplMeta['labels'] = tplLabels;
      newRs = store.put('replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace,
          labels: { ...tplLabels },
          annotations: {
            ...copied,
            [REVISION_ANNOTATION]: String(maxRev + 1),
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + Math.ceil(desired * 0.25)),
          },
          generation: 1,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: uidOf(d), controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas: 0, selector: { matchLabels: { ...strMap(rec(spec['selector'])['matchLabels']), [POD_TEMPLATE_HASH_LABEL]: hash } }, template: tpl },
        status: { replicas: 0, observedGeneration: 1 },
      });
    } else if (revisionNumber(newRs) < maxRev) {
      const rsCopy = clone(newRs);
      const ann = strMap(meta(rsCopy)['annotations']);
      const old = ann[REVISION_ANNOTATION] ?? '0';
      const history = ann[REVISION_HISTORY_ANNOTATION];
      meta(rsCopy)['annotations'] = { ...ann, ...copied, [REVISION_ANNOTATION]: String(maxRev + 1), [REVISION_HISTORY_ANNOTATION]: history ? `${history},${old}` : old };
      newRs = store.put('replicasets', rsCopy);
    }
    const revision = revisionNumber(newRs);
    meta(d)['annotations'] = { ...depAnnotations, [REVISION_ANNOTATION]: String(revision) };
    const behaviour = this.behaviourOf(template);
    const newUid = uidOf(newRs);
    const oldActive = this.controlledReplicaSets(d).filter((rs) => uidOf(rs) !== newUid && this.podsOf(rs).length > 0);
    const target = oldActive.length === 0 || behaviour === 'healthy' ? desired : Math.min(desired, Math.max(1, Math.ceil(desired * 0.25)));
    newRs = this.scaleReplicaSet(d, newRs, target);
    this.writeDeploymentStatus(d, newRs);
    setCondition(status, condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${nameOf(newRs)}" is progressing.`, at));
    store.put('deployments', d);
    return newRs;
  }

  private writeDeploymentStatus(d: JsonObject, newRs: JsonObject): void {
    const status = child(d, 'status');
    const desired = num(rec(d['spec'])['replicas']) ?? 1;
    const all = this.controlledReplicaSets(d).flatMap((rs) => this.podsOf(rs));
    const updated = this.podsOf(newRs);
    const available = all.filter((p) => this.isReady(p)).length;
    status['replicas'] = all.length;
    status['updatedReplicas'] = updated.length;
    status['readyReplicas'] = available;
    status['availableReplicas'] = available;
    status['unavailableReplicas'] = Math.max(0, desired - available);
    const at = this.now();
    const minAvailable = desired - Math.floor(desired * 0.25);
    setCondition(
      status,
      available >= minAvailable
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', at)
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', at),
    );
  }

  /** Second step: new pods start (or crash); a healthy rollout retires the old ReplicaSets. */
  private settle(namespace: string, name: string): void {
    const store = this.opts.store;
    const stored = store.get('deployments', namespace, name);
    if (!stored) return;
    const d = clone(stored);
    const template = rec(rec(d['spec'])['template']);
    const rss = this.controlledReplicaSets(d);
    const newRs = rss.find((rs) => equalIgnoreHash(rec(rs['spec'])['template'], template));
    if (!newRs) return;
    const behaviour = this.behaviourOf(template);
    for (const p of this.podsOf(newRs)) if (!this.isReady(p)) this.setPodState(p, behaviour);
    let current = this.scaleReplicaSet(d, newRs, num(rec(newRs['spec'])['replicas']) ?? 0);
    const at = this.now();
    const status = child(d, 'status');
    if (behaviour === 'healthy') {
      for (const rs of rss) if (uidOf(rs) !== uidOf(newRs) && (num(rec(rs['spec'])['replicas']) ?? 0) > 0) this.scaleReplicaSet(d, rs, 0);
      current = store.get('replicasets', namespace, nameOf(current)) ?? current;
      this.writeDeploymentStatus(d, current);
      setCondition(status, condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${nameOf(current)}" has successfully progressed.`, at));
    } else {
      this.writeDeploymentStatus(d, current);
      setCondition(status, condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${nameOf(current)}" has timed out progressing.`, at));
    }
    store.put('deployments', d);
  }
}
