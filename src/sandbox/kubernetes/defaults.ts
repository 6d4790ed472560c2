/**
 * Defaulting as the API server applies it on every write (k8s.io/kubernetes pkg/apis/core/v1 and
 * apps/v1 defaults.go, plus what the Service registry fills in), so objects read back, and
 * `kubectl describe`, look like a real cluster's: container ports `protocol: TCP`, probe timings,
 * `imagePullPolicy`, termination message path/policy, `restartPolicy`, `dnsPolicy`,
 * `schedulerName`, `securityContext: {}`, Deployment strategy, `revisionHistoryLimit`,
 * `progressDeadlineSeconds`... Every function is idempotent: defaulting a defaulted object changes
 * nothing. Unknown fields are kept as they are.
 */
import { createHash } from 'node:crypto';
import { child, isRecord, rec, str, type JsonObject } from './json.js';

function setIfAbsent(o: JsonObject, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

function records(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** parsers.ParseImageName's tag: the text after the last ':' of the last path part; "latest" when there is neither tag nor digest. */
function imageTag(image: string): string {
  const [name, digest] = image.split('@');
  const last = (name ?? '').split('/').pop() ?? '';
  const i = last.lastIndexOf(':');
  if (i >= 0) return last.slice(i + 1);
  return digest !== undefined ? '' : 'latest';
}

function defaultProbe(p: unknown): void {
  if (!isRecord(p)) return;
  setIfAbsent(p, 'timeoutSeconds', 1);
  setIfAbsent(p, 'periodSeconds', 10);
  setIfAbsent(p, 'successThreshold', 1);
  setIfAbsent(p, 'failureThreshold', 3);
  const http = p['httpGet'];
  if (isRecord(http)) {
    setIfAbsent(http, 'path', '/');
    setIfAbsent(http, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: JsonObject, hostNetwork: boolean): void {
  if (c['imagePullPolicy'] === undefined || c['imagePullPolicy'] === '') {
    c['imagePullPolicy'] = imageTag(str(c['image']) ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  for (const port of records(c['ports'])) {
    setIfAbsent(port, 'protocol', 'TCP');
    if (hostNetwork && port['hostPort'] === undefined) port['hostPort'] = port['containerPort'];
  }
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[key]);
  for (const env of records(c['env'])) {
    const ref = rec(env['valueFrom'])['fieldRef'];
    if (isRecord(ref)) setIfAbsent(ref, 'apiVersion', 'v1');
  }
}

function defaultVolume(v: JsonObject): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v['emptyDir'] = {};
  for (const key of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const src = v[key];
    if (isRecord(src)) setIfAbsent(src, 'defaultMode', 420);
  }
}

/** SetDefaults_PodSpec and the container/volume defaults beneath it. */
export function defaultPodSpec(spec: JsonObject): void {
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'restartPolicy', 'Always');
  if (!isRecord(spec['securityContext'])) spec['securityContext'] = {};
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = spec['hostNetwork'] === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) for (const c of records(spec[key])) defaultContainer(c, hostNetwork);
  for (const v of records(spec['volumes'])) defaultVolume(v);
}

function defaultTemplate(owner: JsonObject): void {
  const template = rec(rec(owner['spec'])['template']);
  if (isRecord(template['spec'])) defaultPodSpec(template['spec']);
}

function defaultDeployment(d: JsonObject): void {
  const spec = child(d, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', '25%');
    setIfAbsent(ru, 'maxSurge', '25%');
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  setIfAbsent(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(d);
}

function defaultReplicaSet(rs: JsonObject): void {
  setIfAbsent(child(rs, 'spec'), 'replicas', 1);
  defaultTemplate(rs);
}

/**
 * SetDefaults_Pod: the pod spec, service links, and requests copied from limits where absent; and,
 * as the v1 conversion does, `podIPs`/`hostIPs` from a lone `podIP`/`hostIP`.
 */
function defaultPod(p: JsonObject): void {
  const status = rec(p['status']);
  for (const [one, many] of [['podIP', 'podIPs'], ['hostIP', 'hostIPs']] as const) {
    const ip = str(status[one]);
    if (ip && !Array.isArray(status[many])) status[many] = [{ ip }];
  }
  const spec = child(p, 'spec');
  defaultPodSpec(spec);
  setIfAbsent(spec, 'enableServiceLinks', true);
  for (const key of ['initContainers', 'containers']) {
    for (const c of records(spec[key])) {
      const resources = rec(c['resources']);
      const limits = rec(resources['limits']);
      if (Object.keys(limits).length === 0) continue;
      const requests = rec(resources['requests']);
      for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
      resources['requests'] = requests;
      c['resources'] = resources;
    }
  }
}

/** A stable address in 10.96.0.0/12 for a Service that has none (the registry allocates one). */
function clusterIpFor(namespace: string, name: string): string {
  const h = createHash('sha256').update(`${namespace}/${name}`).digest();
  return `10.${96 + ((h[0] ?? 0) % 16)}.${h[1] ?? 0}.${1 + ((h[2] ?? 0) % 254)}`;
}

function defaultService(s: JsonObject): void {
  const spec = child(s, 'spec');
  setIfAbsent(spec, 'type', 'ClusterIP');
  setIfAbsent(spec, 'sessionAffinity', 'None');
  for (const port of records(spec['ports'])) {
    setIfAbsent(port, 'protocol', 'TCP');
    if (port['targetPort'] === undefined || port['targetPort'] === 0) port['targetPort'] = port['port'];
  }
  if (spec['type'] === 'ExternalName') return;
  setIfAbsent(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') setIfAbsent(spec, 'externalTrafficPolicy', 'Cluster');
  const md = rec(s['metadata']);
  setIfAbsent(spec, 'clusterIP', clusterIpFor(str(md['namespace']) ?? 'default', str(md['name']) ?? ''));
  if (!Array.isArray(spec['clusterIPs'])) spec['clusterIPs'] = [spec['clusterIP']];
  if (!Array.isArray(spec['ipFamilies'])) spec['ipFamilies'] = ['IPv4'];
  setIfAbsent(spec, 'ipFamilyPolicy', 'SingleStack');
}

function defaultNamespace(n: JsonObject): void {
  const spec = child(n, 'spec');
  if (!Array.isArray(spec['finalizers'])) spec['finalizers'] = ['kubernetes'];
  setIfAbsent(child(n, 'status'), 'phase', 'Active');
}

const BY_RESOURCE: Record<string, (o: JsonObject) => void> = {
  deployments: defaultDeployment,
  replicasets: defaultReplicaSet,
  pods: defaultPod,
  services: defaultService,
  namespaces: defaultNamespace,
};

/** Applies the API server's defaults for `resource` to `obj` in place and returns it. */
export function applyDefaults(resource: string, obj: JsonObject): JsonObject {
  BY_RESOURCE[resource]?.(obj);
  return obj;
}

