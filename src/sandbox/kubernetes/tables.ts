/**
 * `Table` responses (meta.k8s.io/v1), asked for with `Accept: application/json;as=Table;v=v1;
 * g=meta.k8s.io`, with the columns and cells the API server prints for each kind
 * (k8s.io/kubernetes pkg/printers/internalversion/printers.go; for the TargetGroupBinding CRD, its
 * additionalPrinterColumns). Columns with priority 1 are the `-o wide` ones. Ages are written with
 * apimachinery's duration.HumanDuration against the emulator's clock.
 */
import { isRecord, num, rec, str, strMap, type JsonObject } from './json.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { selectorString } from './selectors.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean;

interface Printer {
  columns: Column[];
  row(o: JsonObject, now: Date): Cell[];
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: "<unknown>" for a missing time. */
function since(ts: unknown, now: Date): string {
  const t = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const col = (name: string, type: Column['type'], description: string, priority = 0, format = ''): Column => ({ name, type, format, description, priority });
const NAME = col('Name', 'string', NAME_DOC, 0, 'name');
const AGE = col('Age', 'string', AGE_DOC);
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', 1);

const meta = (o: JsonObject): JsonObject => rec(o['metadata']);
const nameOf = (o: JsonObject): string => str(meta(o)['name']) ?? '';
const age = (o: JsonObject, now: Date): string => since(meta(o)['creationTimestamp'], now);
const records = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isRecord) : []);

function containerCells(template: unknown): [string, string] {
  const containers = records(rec(rec(template)['spec'])['containers']);
  return [containers.map((c) => str(c['name']) ?? '').join(','), containers.map((c) => str(c['image']) ?? '').join(',')];
}

/** metav1.FormatLabelSelector: matchLabels and matchExpressions, `<none>` when empty. */
function formatLabelSelector(sel: unknown): string {
  const s = rec(sel);
  const parts = [selectorString(strMap(s['matchLabels']))].filter((x) => x.length > 0);
  for (const e of records(s['matchExpressions'])) {
    const key = str(e['key']) ?? '';
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const op = str(e['operator']);
    if (op === 'In') parts.push(`${key} in (${values.join(',')})`);
    else if (op === 'NotIn') parts.push(`${key} notin (${values.join(',')})`);
    else if (op === 'Exists') parts.push(key);
    else if (op === 'DoesNotExist') parts.push(`!${key}`);
  }
  const out = parts.join(',');
  return out.length === 0 ? '<none>' : out;
}

/** printPod: READY, STATUS (the reason a person sees: CrashLoopBackOff, OOMKilled, Completed...) and RESTARTS. */
function podRow(p: JsonObject, now: Date): Cell[] {
  const spec = rec(p['spec']);
  const status = rec(p['status']);
  let reason = str(status['reason']) || str(status['phase']) || '';
  const conditions = records(status['conditions']);
  if (conditions.some((c) => c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated')) reason = 'SchedulingGated';
  const total = records(spec['containers']).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart = Number.NaN;
  const noteRestart = (cs: JsonObject): void => {
    restarts += num(cs['restartCount']) ?? 0;
    const finished = Date.parse(str(rec(rec(cs['lastState'])['terminated'])['finishedAt']) ?? '');
    if (!Number.isNaN(finished) && !(finished <= lastRestart)) lastRestart = finished;
  };
  let initializing = false;
  const initStatuses = records(status['initContainerStatuses']);
  const initCount = records(spec['initContainers']).length;
  for (const [i, cs] of initStatuses.entries()) {
    noteRestart(cs);
    const state = rec(cs['state']);
    const term = rec(state['terminated']);
    const waiting = rec(state['waiting']);
    if (isRecord(state['terminated']) && num(term['exitCode']) === 0) continue;
    if (isRecord(state['terminated'])) reason = str(term['reason']) ? `Init:${str(term['reason']) ?? ''}` : num(term['signal']) ? `Init:Signal:${num(term['signal']) ?? 0}` : `Init:ExitCode:${num(term['exitCode']) ?? 0}`;
    else if (str(waiting['reason']) && waiting['reason'] !== 'PodInitializing') reason = `Init:${str(waiting['reason']) ?? ''}`;
    else reason = `Init:${i}/${initCount}`;
    initializing = true;
    break;
  }
  const initialized = conditions.some((c) => c['type'] === 'Initialized' && c['status'] === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    lastRestart = Number.NaN;
    let hasRunning = false;
    const statuses = records(status['containerStatuses']);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      noteRestart(cs);
      const state = rec(cs['state']);
      const term = rec(state['terminated']);
      if (str(rec(state['waiting'])['reason'])) reason = str(rec(state['waiting'])['reason']) ?? reason;
      else if (isRecord(state['terminated']) && str(term['reason'])) reason = str(term['reason']) ?? reason;
      else if (isRecord(state['terminated'])) reason = num(term['signal']) ? `Signal:${num(term['signal']) ?? 0}` : `ExitCode:${num(term['exitCode']) ?? 0}`;
      else if (cs['ready'] === true && isRecord(state['running'])) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True') ? 'Running' : 'NotReady';
  }
  const phase = str(status['phase']);
  if (meta(p)['deletionTimestamp'] !== undefined && status['reason'] === 'NodeLost') reason = 'Unknown';
  else if (meta(p)['deletionTimestamp'] !== undefined && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  const restartsCell = restarts !== 0 && !Number.isNaN(lastRestart) ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : String(restarts);
  const ips = records(status['podIPs']);
  const gates = records(spec['readinessGates']);
  const gatesCell =
    gates.length === 0 ? '<none>' : `${gates.filter((g) => conditions.find((c) => c['type'] === g['conditionType'])?.['status'] === 'True').length}/${gates.length}`;
  return [nameOf(p), `${ready}/${total}`, reason, restartsCell, age(p, now), str(ips[0]?.['ip']) || '<none>', str(spec['nodeName']) || '<none>', str(status['nominatedNodeName']) || '<none>', gatesCell];
}

function eventTime(e: JsonObject, field: 'firstTimestamp' | 'lastTimestamp', now: Date): string {
  return since(e[field] ?? (field === 'firstTimestamp' ? e['eventTime'] : e['firstTimestamp'] ?? e['eventTime']), now);
}

function hpaTargets(h: JsonObject): string {
  const spec = rec(h['spec']);
  const current = records(rec(h['status'])['currentMetrics']);
  const metrics = records(spec['metrics']);
  if (metrics.length === 0) return '<none>';
  const list = metrics.map((m, i) => {
    const cur = rec(current[i]);
    if (m['type'] === 'Resource') {
      const r = rec(m['resource']);
      const target = rec(r['target']);
      const now = rec(rec(cur['resource'])['current']);
      if (target['averageValue'] !== undefined) return `${str(r['name']) ?? ''}: ${now['averageValue'] !== undefined ? String(now['averageValue']) : '<unknown>'}/${String(target['averageValue'])}`;
      const u = num(now['averageUtilization']);
      const t = num(target['averageUtilization']);
      return `${str(r['name']) ?? ''}: ${u !== undefined ? `${u}%` : '<unknown>'}/${t !== undefined ? `${t}%` : '<auto>'}`;
    }
    return '<unknown type>';
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'string', 'podIP address allocated to the pod.', 1),
      col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    row: podRow,
  },
  deployments: {
    columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), col('Up-to-date', 'string', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.'), col('Available', 'string', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'), AGE, CONTAINERS, IMAGES, col('Selector', 'string', 'Label selector for pods.', 1)],
    row: (d, now) => {
      const st = rec(d['status']);
      const spec = rec(d['spec']);
      return [nameOf(d), `${num(st['readyReplicas']) ?? 0}/${num(spec['replicas']) ?? 0}`, num(st['updatedReplicas']) ?? 0, num(st['availableReplicas']) ?? 0, age(d, now), ...containerCells(spec['template']), formatLabelSelector(spec['selector'])];
    },
  },
  replicasets: {
    columns: [NAME, col('Desired', 'integer', 'Replicas is the number of desired pods.'), col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods.'), col('Ready', 'integer', 'The number of ready replicas for this replica set.'), AGE, CONTAINERS, IMAGES, col('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1)],
    row: (rs, now) => {
      const st = rec(rs['status']);
      const spec = rec(rs['spec']);
      return [nameOf(rs), num(spec['replicas']) ?? 0, num(st['replicas']) ?? 0, num(st['readyReplicas']) ?? 0, age(rs, now), ...containerCells(spec['template']), formatLabelSelector(spec['selector'])];
    },
  },
  services: {
    columns: [NAME, col('Type', 'string', 'type determines how the Service is exposed.'), col('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'), col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'), col('Port(s)', 'string', 'The list of ports that are exposed by this service.'), AGE, col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1)],
    row: (s, now) => {
      const spec = rec(s['spec']);
      const type = str(spec['type']) ?? '';
      const ips = Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'].map(String) : [];
      const external = Array.isArray(spec['externalIPs']) ? spec['externalIPs'].map(String) : [];
      const lb = records(rec(rec(rec(s['status'])['loadBalancer']))['ingress']).map((i) => str(i['ip']) || str(i['hostname']) || '').filter((x) => x.length > 0);
      const externalCell =
        type === 'ClusterIP' || type === 'NodePort' ? (external.length > 0 ? external.join(',') : '<none>') : type === 'LoadBalancer' ? ([...lb, ...external].join(',') || '<pending>') : type === 'ExternalName' ? (str(spec['externalName']) ?? '') : '<unknown>';
      const ports = records(spec['ports']).map((p) => (num(p['nodePort']) ? `${num(p['port']) ?? 0}:${num(p['nodePort']) ?? 0}/${str(p['protocol']) ?? ''}` : `${num(p['port']) ?? 0}/${str(p['protocol']) ?? ''}`));
      const selector = selectorString(strMap(spec['selector']));
      return [nameOf(s), type, ips[0] ?? '<none>', externalCell, ports.join(',') || '<none>', age(s, now), selector.length > 0 ? selector : '<none>'];
    },
  },
  configmaps: {
    columns: [NAME, col('Data', 'integer', 'Data contains the configuration data.'), AGE],
    row: (cm, now) => [nameOf(cm), Object.keys(rec(cm['data'])).length + Object.keys(rec(cm['binaryData'])).length, age(cm, now)],
  },
  nodes: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    row: (n, now) => {
      const status = rec(n['status']);
      const readyCond = records(status['conditions']).find((c) => c['type'] === 'Ready');
      const states = [readyCond ? (readyCond['status'] === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
      if (rec(n['spec'])['unschedulable'] === true) states.push('SchedulingDisabled');
      const roles = Object.entries(strMap(meta(n)['labels'])).flatMap(([k, v]) => (k.startsWith('node-role.kubernetes.io/') && k.length > 24 ? [k.slice(24)] : k === 'kubernetes.io/role' && v !== '' ? [v] : []));
      const info = rec(status['nodeInfo']);
      const address = (type: string): string => str(records(status['addresses']).find((a) => a['type'] === type)?.['address']) ?? '<none>';
      return [nameOf(n), states.join(','), roles.sort().join(',') || '<none>', age(n, now), str(info['kubeletVersion']) ?? '', address('InternalIP'), address('ExternalIP'), str(info['osImage']) || '<unknown>', str(info['kernelVersion']) || '<unknown>', str(info['containerRuntimeVersion']) || '<unknown>'];
    },
  },
  namespaces: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    row: (n, now) => [nameOf(n), str(rec(n['status'])['phase']) ?? '', age(n, now)],
  },
  events: {
    columns: [
      col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
      col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      col('Name', 'string', NAME_DOC, 1, 'name'),
    ],
    row: (e, now) => {
      const inv = rec(e['involvedObject']);
      const kind = (str(inv['kind']) ?? '').toLowerCase();
      const target = str(inv['name']) ? `${kind}/${str(inv['name']) ?? ''}` : kind;
      const source = rec(e['source']);
      const component = str(source['component']) || str(e['reportingComponent']) || '';
      const host = str(source['host']) || str(e['reportingInstance']) || '';
      const count = num(rec(e['series'])['count']) ?? (num(e['count']) || 1);
      return [eventTime(e, 'lastTimestamp', now), str(e['type']) ?? '', str(e['reason']) ?? '', target, str(inv['fieldPath']) ?? '', host ? `${component}, ${host}` : component, (str(e['message']) ?? '').trim(), eventTime(e, 'firstTimestamp', now), count, nameOf(e)];
    },
  },
  horizontalpodautoscalers: {
    columns: [
      NAME,
      col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
      col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
      col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
      col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
      col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
      AGE,
    ],
    row: (h, now) => {
      const spec = rec(h['spec']);
      const ref = rec(spec['scaleTargetRef']);
      const min = num(spec['minReplicas']);
      return [nameOf(h), `${str(ref['kind']) ?? ''}/${str(ref['name']) ?? ''}`, hpaTargets(h), min !== undefined ? String(min) : '<unset>', num(spec['maxReplicas']) ?? 0, num(rec(h['status'])['currentReplicas']) ?? 0, age(h, now)];
    },
  },
  // The AWS Load Balancer Controller CRD's additionalPrinterColumns (the server prepends Name).
  targetgroupbindings: {
    columns: [
      NAME,
      col('SERVICE-NAME', 'string', "The Kubernetes Service's name"),
      col('SERVICE-PORT', 'string', "The Kubernetes Service's port"),
      col('TARGET-TYPE', 'string', "The AWS TargetGroup's TargetType"),
      col('ARN', 'string', "The AWS TargetGroup's Amazon Resource Name", 1),
      col('AGE', 'date', ''),
    ],
    row: (t, now) => {
      const spec = rec(t['spec']);
      const ref = rec(spec['serviceRef']);
      const asText = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
      return [nameOf(t), asText(ref['name']), asText(ref['port']), asText(spec['targetType']), asText(spec['targetGroupARN']), age(t, now)];
    },
  },
};

/** The Accept header asks for a Table (meta.k8s.io v1 or v1beta1). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io');
  });
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * A Table of `items` (already in the served version). `noHeaders` leaves out the column
 * definitions (watch events after the first, as the API server sends them).
 */
export function toTable(def: ResourceDef, version: string, items: JsonObject[], opts: { now: Date; includeObject: IncludeObject; resourceVersion?: string; noHeaders?: boolean }): JsonObject {
  const printer = PRINTERS[def.resource] ?? { columns: [NAME, AGE], row: (o: JsonObject, now: Date) => [nameOf(o), age(o, now)] };
  const rows = items.map((o) => {
    const row: JsonObject = { cells: printer.row(o, opts.now) };
    if (opts.includeObject === 'Object') row['object'] = { ...o, apiVersion: apiVersionOf(def.group, version), kind: def.kind };
    else if (opts.includeObject === 'Metadata') row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(o) };
    return row;
  });
  const table: JsonObject = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {} };
  if (!opts.noHeaders) table['columnDefinitions'] = printer.columns;
  table['rows'] = rows;
  return table;
}

/** `includeObject` as the API server reads it: Metadata by default; anything else is a 400. */
export function parseIncludeObject(v: string | undefined): IncludeObject | undefined {
  if (v === undefined || v === '') return 'Metadata';
  return v === 'None' || v === 'Metadata' || v === 'Object' ? v : undefined;
}
