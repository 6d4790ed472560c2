/**
 * Deployment files: Dockerfile, docker-compose.yml (+ infra/compose), infra/kubernetes, the Slack
 * app manifest, the AWS policies and .env.example. Every file is parsed (YAML multi-document aware,
 * duplicate keys refused) and checked with zod schemas of the fields that matter, then against each
 * other and against the bot's own env/config parser (src/config.ts), so a renamed env var, a missing
 * secret key or a probe on the wrong port fails here rather than in a cluster. Kubernetes objects are
 * also checked field by field against the OpenAPI models of @kubernetes/client-node (unknown field =
 * typo). Where the real tools are installed (promtool, amtool, redis-server, kubectl), they check the
 * files too. There is no Docker engine on this machine: the Dockerfile is checked statically and its
 * HEALTHCHECK command is run with this machine's node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { EnvSchema, parseConfig, parseEnv } from '../../src/config.js';
import { SHORTCUTS } from '../../src/integrations/slack/blocks/ids.js';
import { requireBinary } from '../support/binaries.js';
import { freePort, startProc, tmpDir, waitForPort } from '../support/procs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const K8S_DIR = 'infra/kubernetes';

const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const exists = (rel: string): boolean => existsSync(path.join(ROOT, rel));

/** Every document of a YAML file as plain JS; parse errors (including duplicate keys) throw. */
function loadDocs(rel: string, opts: { merge?: boolean } = {}): unknown[] {
  const docs = parseAllDocuments(read(rel), { merge: opts.merge ?? false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) if (d.errors.length > 0) throw new Error(`${rel}: ${d.errors.map((e) => e.message).join('; ')}`);
  return list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

function loadOne(rel: string, opts: { merge?: boolean } = {}): unknown {
  const docs = loadDocs(rel, opts);
  expect(docs, `${rel} holds one document`).toHaveLength(1);
  return docs[0];
}

function run(cmd: string, args: string[], cwd = ROOT): { status: number | null; stdout: string; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// The env names the deployment files must carry (a contract with src/config.ts and the README).
const CONTRACT_ENV = [
  'PORT', 'REDIS_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'WARROOM_CONFIG',
  'ALERTMANAGER_WEBHOOK_TOKEN', 'SNS_TOPIC_ARNS', 'LOG_LEVEL', 'SERVICES', 'PROMETHEUS_URL', 'ALERTMANAGER_URL', 'KUBECONFIG',
  'AWS_REGION', 'SHUTDOWN_TIMEOUT_MS',
] as const;
/** Variables that are credentials: only ever by reference in Kubernetes, placeholders in examples. */
const SECRET_ENV = ['REDIS_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'ALERTMANAGER_WEBHOOK_TOKEN', 'CLOUDWATCH_WEBHOOK_TOKEN', 'WARROOM_API_TOKEN'];
const looksLikeRealSlackToken = (v: string) => /^xox[abpr]-\d|^xapp-\d/.test(v);

// ---------------------------------------------------------------------------------------------
// Kubernetes

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const StringMap = z.record(z.string(), z.string());

const K8sObject = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().regex(DNS1123).max(63),
    namespace: z.string().regex(DNS1123).optional(),
    labels: StringMap.optional(),
  }),
});
type K8sObject = z.infer<typeof K8sObject>;

const SecretKeyRef = z.object({ name: z.string(), key: z.string(), optional: z.boolean().optional() });
const EnvVar = z.union([
  z.strictObject({ name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/), value: z.string() }),
  z.strictObject({ name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/), valueFrom: z.strictObject({ secretKeyRef: SecretKeyRef }) }),
]);
const HttpProbe = z.looseObject({ httpGet: z.looseObject({ path: z.string().startsWith('/'), port: z.union([z.string(), z.number().int()]) }) });
const Container = z.looseObject({
  name: z.string(),
  image: z.string().min(1),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number().int() })).min(1),
  env: z.array(EnvVar),
  envFrom: z.never({ message: 'envFrom would import every key of a Secret or ConfigMap; list env vars one by one' }).optional(),
  livenessProbe: HttpProbe,
  readinessProbe: HttpProbe,
  resources: z.object({
    requests: z.object({ cpu: z.string(), memory: z.string() }),
    limits: z.looseObject({ memory: z.string() }),
  }),
  securityContext: z.looseObject({
    allowPrivilegeEscalation: z.literal(false),
    readOnlyRootFilesystem: z.literal(true),
    runAsNonRoot: z.literal(true).optional(),
    privileged: z.literal(false).optional(),
    capabilities: z.object({ drop: z.array(z.string()).refine((d) => d.includes('ALL'), 'must drop ALL'), add: z.never().optional() }),
  }),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })),
});
const Volume = z.looseObject({
  name: z.string(),
  configMap: z.looseObject({ name: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })).optional() }).optional(),
});
const Deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: z.looseObject({ name: z.string(), namespace: z.literal('warroom') }),
  spec: z.looseObject({
    replicas: z.number().int().min(1),
    selector: z.object({ matchLabels: StringMap }),
    template: z.object({
      metadata: z.looseObject({ labels: StringMap }),
      spec: z.looseObject({
        serviceAccountName: z.literal('warroom'),
        terminationGracePeriodSeconds: z.number().int().gt(25),
        securityContext: z.looseObject({
          runAsNonRoot: z.literal(true),
          runAsUser: z.number().int().positive(),
          seccompProfile: z.object({ type: z.literal('RuntimeDefault') }),
        }),
        hostNetwork: z.never().optional(),
        hostPID: z.never().optional(),
        containers: z.array(Container).length(1),
        volumes: z.array(Volume),
      }),
    }),
  }),
});
type Deployment = z.infer<typeof Deployment>;

const Kustomization = z.looseObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  resources: z.array(z.string()).min(1),
  namespace: z.never({ message: 'a namespace override would rewrite the RBAC objects in other namespaces' }).optional(),
  images: z.array(z.object({ name: z.string(), newName: z.string().optional(), newTag: z.string().optional() })).optional(),
});

const kustomization = () => Kustomization.parse(loadOne(`${K8S_DIR}/kustomization.yaml`));

/** Every object of every file the kustomization lists, with the file it came from. */
function kustomizedObjects(): { file: string; obj: K8sObject }[] {
  return kustomization().resources.flatMap((file) =>
    loadDocs(`${K8S_DIR}/${file}`).map((doc) => ({ file, obj: K8sObject.parse(doc) })),
  );
}

function deployment(role: 'web' | 'worker'): Deployment {
  return Deployment.parse(loadOne(`${K8S_DIR}/deployment-${role}.yaml`));
}

function container(d: Deployment) {
  const c = d.spec.template.spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
}

function secretExampleData(): Record<string, string> {
  const secret = z
    .object({ kind: z.literal('Secret'), metadata: z.looseObject({ name: z.string() }), stringData: StringMap })
    .parse(loadOne(`${K8S_DIR}/secret.example.yaml`));
  expect(secret.metadata.name).toBe('warroom-secrets');
  return secret.stringData;
}

/** A Deployment's container env as the process would see it, with secrets taken from the example. */
function resolvedEnv(d: Deployment): NodeJS.ProcessEnv {
  const secrets = secretExampleData();
  const env: NodeJS.ProcessEnv = {};
  for (const e of container(d).env) {
    if ('value' in e) env[e.name] = e.value;
    else {
      const v = secrets[e.valueFrom.secretKeyRef.key];
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}

/** Model class name of a Kubernetes object in @kubernetes/client-node: apps/v1 Deployment -> V1Deployment. */
function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop() ?? apiVersion;
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

const AttributeTypeMap = z.array(z.object({ baseName: z.string(), type: z.string() }));
const models = new Map<string, unknown>(Object.entries(k8s));

function attributesOf(type: string): Map<string, string> | undefined {
  const model = models.get(type);
  if (typeof model !== 'function' || !('getAttributeTypeMap' in model) || typeof model.getAttributeTypeMap !== 'function') return undefined;
  const attrs = AttributeTypeMap.parse(model.getAttributeTypeMap());
  return new Map(attrs.map((a) => [a.baseName, a.type]));
}

/** Fields the Kubernetes API does not know (typos, misplaced keys) and wrong scalar types. */
function schemaProblems(value: unknown, type: string, at: string): string[] {
  if (type === 'any' || type === '{ [key: string]: any; }') return [];
  const list = /^Array<(.+)>$/.exec(type);
  if (list?.[1]) {
    const item = list[1];
    return Array.isArray(value) ? value.flatMap((v, i) => schemaProblems(v, item, `${at}[${i}]`)) : [`${at}: expected a list`];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) {
    const item = map[1];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected a map`];
    return Object.entries(value).flatMap(([k, v]) => schemaProblems(v, item, `${at}.${k}`));
  }
  switch (type) {
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${at}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected true or false, got ${JSON.stringify(value)}`];
    case 'IntOrString':
      return typeof value === 'string' || Number.isInteger(value) ? [] : [`${at}: expected an integer or a string`];
  }
  const attrs = attributesOf(type);
  if (!attrs) return [`${at}: no model ${type} in @kubernetes/client-node`];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object (${type})`];
  return Object.entries(value).flatMap(([k, v]) => {
    const t = attrs.get(k);
    return t === undefined ? [`${at}.${k}: unknown field of ${type}`] : schemaProblems(v, t, `${at}.${k}`);
  });
}

describe('Kubernetes manifests', () => {
  it('every YAML file parses, and every object has apiVersion, kind and a DNS-1123 metadata.name', () => {
    const files = readdirSync(path.join(ROOT, K8S_DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect(files).toEqual(expect.arrayContaining(['namespace.yaml', 'deployment-web.yaml', 'deployment-worker.yaml', 'service.yaml', 'pdb.yaml', 'configmap.yaml', 'secret.example.yaml']));
    for (const f of files) {
      const docs = loadDocs(`${K8S_DIR}/${f}`);
      expect(docs.length, f).toBeGreaterThan(0);
      for (const d of docs) expect(() => K8sObject.parse(d), f).not.toThrow();
    }
  });

  it('the schema walker reports unknown fields and wrong scalar types (it can fail)', () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: '2', template: { spec: { containers: [{ name: 'c', readinesProbe: {} }] } } } };
    expect(schemaProblems(bad, 'V1Deployment', 'x')).toEqual([
      'x.spec.replicas: expected a number, got "2"',
      'x.spec.template.spec.containers[0].readinesProbe: unknown field of V1Container',
    ]);
  });

  it('every object the kustomization applies uses only fields the Kubernetes API knows', () => {
    const problems = kustomizedObjects().flatMap(({ file, obj }) => schemaProblems(obj, modelName(obj.apiVersion, obj.kind), `${file} ${obj.kind}/${obj.metadata.name}`));
    expect(problems).toEqual([]);
    // The example secret is checked too, although it is not applied.
    const secret = loadOne(`${K8S_DIR}/secret.example.yaml`);
    expect(schemaProblems(secret, 'V1Secret', 'secret.example.yaml')).toEqual([]);
  });

  it('the kustomization lists files that exist: all manifests including rbac.yaml, but not the example secret', () => {
    const { resources } = kustomization();
    for (const f of resources) expect(exists(`${K8S_DIR}/${f}`), `${f} listed in kustomization.yaml`).toBe(true);
    expect(resources).toEqual(expect.arrayContaining(['namespace.yaml', 'rbac.yaml', 'configmap.yaml', 'deployment-web.yaml', 'deployment-worker.yaml', 'service.yaml', 'pdb.yaml']));
    expect(resources).not.toContain('secret.example.yaml');
    expect(new Set(resources).size).toBe(resources.length);
    const unlisted = readdirSync(path.join(ROOT, K8S_DIR)).filter((f) => /\.ya?ml$/.test(f) && !resources.includes(f) && f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect(unlisted, 'manifests nobody applies').toEqual([]);
  });

  it('the namespace exists, every namespaced object of ours is in it, and the warroom ServiceAccount is defined', () => {
    const objs = kustomizedObjects();
    expect(objs.some(({ obj }) => obj.kind === 'Namespace' && obj.metadata.name === 'warroom')).toBe(true);
    for (const { file, obj } of objs) {
      if (file === 'rbac.yaml' || obj.kind === 'Namespace') continue;
      expect(obj.metadata.namespace, `${file} ${obj.kind}/${obj.metadata.name}`).toBe('warroom');
    }
    // The Deployments run as serviceAccountName: warroom; rbac.yaml must create it.
    expect(objs.some(({ obj }) => obj.kind === 'ServiceAccount' && obj.metadata.name === 'warroom' && obj.metadata.namespace === 'warroom')).toBe(true);
  });

  it('RBAC stays least-privilege: no wildcards, no secrets or exec, no destructive verbs, no built-in admin roles', () => {
    const Rule = z.looseObject({
      apiGroups: z.array(z.string()).optional(),
      resources: z.array(z.string()).optional(),
      nonResourceURLs: z.array(z.string()).optional(),
      verbs: z.array(z.string()),
    });
    const objs = kustomizedObjects().map(({ obj }) => obj);
    const roles = objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.length, 'rbac.yaml defines at least one Role or ClusterRole').toBeGreaterThan(0);
    const FORBIDDEN_RESOURCES = ['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', 'serviceaccounts/token'];
    const FORBIDDEN_VERBS = ['delete', 'deletecollection', 'escalate', 'bind', 'impersonate'];
    for (const role of roles) {
      const rules = z.array(Rule).parse((role as { rules?: unknown }).rules ?? []);
      for (const r of rules) {
        const where = `${role.kind}/${role.metadata.name}`;
        for (const v of [...(r.apiGroups ?? []), ...(r.resources ?? []), ...r.verbs]) expect(v, `${where}: wildcard`).not.toContain('*');
        expect((r.resources ?? []).filter((x) => FORBIDDEN_RESOURCES.includes(x)), where).toEqual([]);
        expect(r.verbs.filter((x) => FORBIDDEN_VERBS.includes(x)), where).toEqual([]);
      }
    }
    const RoleRef = z.object({ roleRef: z.object({ kind: z.string(), name: z.string() }) });
    for (const b of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      const { roleRef } = RoleRef.parse(b);
      expect(['cluster-admin', 'admin', 'edit'], `${b.kind}/${b.metadata.name}`).not.toContain(roleRef.name);
      expect(roles.some((r) => r.kind === roleRef.kind && r.metadata.name === roleRef.name), `${b.kind}/${b.metadata.name} binds a role defined here`).toBe(true);
    }
  });

  it('no two objects of the kustomization collide', () => {
    const ids = kustomizedObjects().map(({ obj }) => `${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  for (const role of ['web', 'worker'] as const) {
    describe(`deployment-${role}.yaml`, () => {
      it('runs as non-root with a read-only root, no capabilities and no privilege escalation', () => {
        // The zod schema requires runAsNonRoot, seccomp RuntimeDefault, drop ALL, readOnlyRootFilesystem.
        const d = deployment(role);
        expect(d.spec.template.spec.securityContext.runAsUser).toBe(10001); // the Dockerfile's USER
        expect(container(d).volumeMounts.some((m) => m.mountPath === '/tmp'), 'a writable /tmp').toBe(true);
      });

      it('selects its own pods, labelled with its role', () => {
        const d = deployment(role);
        const labels = d.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(labels[k], k).toBe(v);
        expect(d.spec.selector.matchLabels['app.kubernetes.io/component']).toBe(role);
        expect(d.metadata.name).toBe(`warroom-${role}`);
      });

      it('probes /healthz for liveness and /readyz for readiness on a declared container port', () => {
        const c = container(deployment(role));
        expect(c.livenessProbe.httpGet.path).toBe('/healthz');
        expect(c.readinessProbe.httpGet.path).toBe('/readyz');
        const env = Object.fromEntries(c.env.flatMap((e) => ('value' in e ? [[e.name, e.value]] : [])));
        for (const probe of [c.livenessProbe, c.readinessProbe]) {
          const port = c.ports.find((p) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port);
          expect(port, `probe port ${String(probe.httpGet.port)}`).toBeDefined();
          expect(String(port?.containerPort)).toBe(env.PORT); // the process listens on PORT
        }
      });

      it('sets SERVICES to its role', () => {
        const env = resolvedEnv(deployment(role));
        expect(env.SERVICES).toBe(role);
      });

      it('takes credentials only by secretKeyRef from warroom-secrets, with keys the example secret documents', () => {
        const c = container(deployment(role));
        const documented = read(`${K8S_DIR}/secret.example.yaml`);
        const data = secretExampleData();
        for (const e of c.env) {
          if (SECRET_ENV.includes(e.name) || /TOKEN|SECRET|PASSWORD|_KEY$/.test(e.name)) {
            expect('valueFrom' in e, `${e.name} must come from a Secret`).toBe(true);
          }
          if ('value' in e) {
            expect(looksLikeRealSlackToken(e.value), `${e.name} holds a token inline`).toBe(false);
            continue;
          }
          const ref = e.valueFrom.secretKeyRef;
          expect(ref.name).toBe('warroom-secrets');
          if (ref.optional) expect(documented, `optional key ${ref.key} is documented`).toContain(ref.key);
          else expect(data[ref.key], `required key ${ref.key} in secret.example.yaml`).toBeDefined();
        }
        for (const name of ['REDIS_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'ALERTMANAGER_WEBHOOK_TOKEN']) {
          expect(c.env.find((e) => e.name === name), name).toBeDefined();
        }
      });

      it('gives the pod more time to stop than the worker drain deadline', () => {
        const d = deployment(role);
        const env = parseEnv(resolvedEnv(d));
        expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(env.SHUTDOWN_TIMEOUT_MS + 5_000);
      });

      it('mounts the warroom-config ConfigMap read-only where WARROOM_CONFIG points', () => {
        const d = deployment(role);
        const c = container(d);
        const env = resolvedEnv(d);
        expect(env.WARROOM_CONFIG).toBe('/etc/warroom/warroom.yaml');
        const vol = d.spec.template.spec.volumes.find((v) => v.configMap?.name === 'warroom-config');
        expect(vol).toBeDefined();
        const mount = c.volumeMounts.find((m) => m.name === vol?.name);
        expect(mount?.readOnly).toBe(true);
        const item = vol?.configMap?.items?.find((i) => i.key === 'warroom.yaml');
        expect(path.posix.join(mount?.mountPath ?? '', item?.path ?? 'warroom.yaml')).toBe(env.WARROOM_CONFIG);
      });

      it('passes the bot’s own environment parser (names and values are the contract)', () => {
        const env = parseEnv(resolvedEnv(deployment(role)));
        expect(env.SERVICES).toEqual([role]);
        expect(env.PORT).toBe(3000);
        expect(env.SNS_TOPIC_ARNS.every((a) => a.startsWith('arn:aws:sns:'))).toBe(true);
        const known = new Set(Object.keys(EnvSchema.shape));
        for (const e of container(deployment(role)).env) expect(known.has(e.name) || e.name.startsWith('AWS_'), `${e.name} is read by the bot`).toBe(true);
      });
    });
  }

  it('both roles run the same image, and the kustomization rewrites it', () => {
    const images = (['web', 'worker'] as const).map((r) => container(deployment(r)).image);
    expect(images[0]).toBe(images[1]);
    expect(kustomization().images?.some((i) => i.name === images[0])).toBe(true);
  });

  it('the ConfigMap carries a config the bot accepts', () => {
    const cm = z.object({ kind: z.literal('ConfigMap'), metadata: z.looseObject({ name: z.literal('warroom-config') }), data: z.object({ 'warroom.yaml': z.string() }) })
      .parse(loadOne(`${K8S_DIR}/configmap.yaml`));
    const config = parseConfig(cm.data['warroom.yaml'], 'configmap.yaml');
    expect(config.routes.length).toBeGreaterThan(0);
    // Production mitigations need four-eyes in the example.
    expect(config.approvals.some((a) => a.protected && a.match.environments.includes('prod'))).toBe(true);
  });

  it('the Service sends traffic to the web pods’ named HTTP port', () => {
    const svc = z.object({
      kind: z.literal('Service'),
      metadata: z.looseObject({ name: z.string() }),
      spec: z.looseObject({ selector: StringMap, ports: z.array(z.looseObject({ port: z.number(), targetPort: z.union([z.string(), z.number()]) })).min(1) }),
    }).parse(loadOne(`${K8S_DIR}/service.yaml`));
    const web = deployment('web');
    const labels = web.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k], k).toBe(v);
    expect(deployment('worker').spec.template.metadata.labels['app.kubernetes.io/component']).not.toBe(svc.spec.selector['app.kubernetes.io/component']);
    const ports = container(web).ports;
    for (const p of svc.spec.ports) expect(ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)).toBe(true);
  });

  it('there is a PodDisruptionBudget for web and one for worker, each selecting its pods', () => {
    const Pdb = z.object({
      apiVersion: z.literal('policy/v1'),
      kind: z.literal('PodDisruptionBudget'),
      metadata: z.looseObject({ name: z.string() }),
      spec: z.looseObject({ selector: z.object({ matchLabels: StringMap }) }).refine((s) => 'minAvailable' in s || 'maxUnavailable' in s),
    });
    const pdbs = loadDocs(`${K8S_DIR}/pdb.yaml`).map((d) => Pdb.parse(d));
    for (const role of ['web', 'worker'] as const) {
      const labels = deployment(role).spec.template.metadata.labels;
      const matching = pdbs.filter((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect(matching, role).toHaveLength(1);
    }
  });

  it('the in-cluster Redis runs with AOF and noeviction', () => {
    const sts = loadDocs(`${K8S_DIR}/redis.yaml`).map((d) => K8sObject.parse(d)).find((o) => o.kind === 'StatefulSet');
    const args = z.object({ spec: z.looseObject({ template: z.looseObject({ spec: z.looseObject({ containers: z.array(z.looseObject({ args: z.array(z.string()) })) }) }) }) })
      .parse(sts).spec.template.spec.containers[0]?.args ?? [];
    expect(optionValue(args, '--appendonly')).toBe('yes');
    expect(optionValue(args, '--maxmemory-policy')).toBe('noeviction');
  });
});

// ---------------------------------------------------------------------------------------------
// docker compose

const ComposeEnv = z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]);
const ComposeService = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: ComposeEnv.optional(),
  env_file: z.union([z.string(), z.array(z.union([z.string(), z.object({ path: z.string() })]))]).optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({ target: z.number(), published: z.union([z.string(), z.number()]).optional(), host_ip: z.string().optional() })])).optional(),
  profiles: z.array(z.string()).optional(),
  volumes: z.array(z.union([z.string(), z.looseObject({ type: z.string(), source: z.string().optional(), target: z.string() })])).optional(),
  healthcheck: z.looseObject({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  secrets: z.array(z.union([z.string(), z.looseObject({ source: z.string(), target: z.string().optional() })])).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }))]).optional(),
});
const Compose = z.looseObject({
  services: z.record(z.string(), ComposeService),
  volumes: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.union([z.object({ file: z.string() }), z.object({ environment: z.string() })])).optional(),
});
type ComposeService = z.infer<typeof ComposeService>;

const compose = () => Compose.parse(loadOne('docker-compose.yml', { merge: true }));

function service(name: string): ComposeService {
  const s = compose().services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

function serviceEnv(s: ComposeService): Record<string, string> {
  if (!s.environment) return {};
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((kv) => [kv.split('=')[0] ?? '', kv.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function commandArgs(s: ComposeService): string[] {
  if (s.command === undefined) return [];
  return typeof s.command === 'string' ? s.command.split(/\s+/) : s.command;
}

/** `--flag value` or `--flag=value` in an argument list. */
function optionValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** `${VAR:-default}` with VAR unset, as compose resolves it without an .env entry. */
function interpolateDefaults(s: string, env: Record<string, string> = {}): string {
  return s.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => env[name] ?? def ?? '');
}

function volumeMounts(s: ComposeService): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: interpolateDefaults(v.source ?? ''), target: v.target, readOnly: v.read_only === true };
    const parts = interpolateDefaults(v).split(':');
    return { source: parts[0] ?? '', target: parts[1] ?? '', readOnly: (parts[2] ?? '').split(',').includes('ro') };
  });
}

/** The host address a compose port binding listens on; undefined = all interfaces. */
function hostIp(p: string | number | { host_ip?: string | undefined }): string | undefined {
  if (typeof p === 'number') return undefined;
  if (typeof p === 'object') return p.host_ip;
  const parts = p.split(':');
  return parts.length === 3 ? parts[0] : undefined;
}

function envExample(): { names: Set<string>; active: Record<string, string> } {
  const names = new Set<string>();
  const active: Record<string, string> = {};
  for (const line of read('.env.example').split('\n')) {
    const m = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[2]) continue;
    names.add(m[2]);
    if (!m[1]) active[m[2]] = m[3] ?? '';
  }
  return { names, active };
}

describe('docker-compose.yml', () => {
  it('parses (anchors and merge keys resolved) and every dependency, volume and secret it names is declared', () => {
    const c = compose();
    for (const [name, s] of Object.entries(c.services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(c.services[d], `${name} depends on ${d}`).toBeDefined();
      for (const m of volumeMounts(s)) {
        const src = m.source;
        if (src.startsWith('.') || src.startsWith('/')) expect(exists(src), `${name} mounts ${src}`).toBe(true);
        else expect(c.volumes?.[src], `${name} uses volume ${src}`).toBeDefined();
      }
      for (const sec of s.secrets ?? []) expect(c.secrets?.[typeof sec === 'string' ? sec : sec.source], `${name} secret`).toBeDefined();
    }
  });

  it('redis runs with AOF and noeviction, keeps its data on a volume, has a healthcheck and is not published', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7/);
    const args = commandArgs(redis);
    expect(optionValue(args, '--appendonly')).toBe('yes');
    expect(optionValue(args, '--maxmemory-policy')).toBe('noeviction');
    expect(volumeMounts(redis).some((m) => m.target === '/data' && compose().volumes?.[m.source] !== undefined)).toBe(true);
    expect(redis.healthcheck).toBeDefined();
    expect(redis.ports ?? []).toEqual([]);
  });

  it('binds every published port to 127.0.0.1 only', () => {
    const published = Object.entries(compose().services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, p })));
    expect(published.length).toBeGreaterThan(0);
    for (const { name, p } of published) expect(hostIp(p), `${name} ${JSON.stringify(p)}`).toBe('127.0.0.1');
    expect(service('warroom-web').ports).toContain('127.0.0.1:3000:3000');
    expect(hostIp('0.0.0.0:3000:3000')).toBe('0.0.0.0');
    expect(hostIp('3000:3000')).toBeUndefined();
  });

  it('web and worker come from the same build and image, each with SERVICES set to its role', () => {
    const web = service('warroom-web');
    const worker = service('warroom-worker');
    expect(web.build).toBeDefined();
    expect(web.build).toEqual(worker.build);
    expect(web.image).toBe(worker.image);
    const context = typeof web.build === 'string' ? web.build : web.build?.context;
    expect(context).toBe('.');
    expect(serviceEnv(web).SERVICES).toBe('web');
    expect(serviceEnv(worker).SERVICES).toBe('worker');
    expect(web.profiles).toBeUndefined();
    expect(worker.profiles).toBeUndefined();
  });

  it('web and worker read .env, reach the compose redis and mount the config read-only at WARROOM_CONFIG', () => {
    const example = envExample().active;
    for (const name of ['warroom-web', 'warroom-worker']) {
      const s = service(name);
      const files = typeof s.env_file === 'string' ? [s.env_file] : (s.env_file ?? []).map((f) => (typeof f === 'string' ? f : f.path));
      expect(files).toContain('.env');
      const env = { ...example, ...serviceEnv(s) };
      expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
      const mount = volumeMounts(s).find((m) => m.target === env.WARROOM_CONFIG);
      expect(mount?.readOnly, `${name} config mount`).toBe(true);
      // Without WARROOM_CONFIG_FILE in .env, compose mounts the default of ${WARROOM_CONFIG_FILE:-...}.
      const hostFile = mount?.source ?? '';
      expect(hostFile).toBe(example.WARROOM_CONFIG_FILE);
      expect(exists(hostFile), hostFile).toBe(true);
      // The process would start with this environment and the mounted config.
      expect(parseEnv(env).SERVICES).toEqual([serviceEnv(s).SERVICES]);
      expect(() => parseConfig(read(hostFile), hostFile)).not.toThrow();
    }
  });

  it('the observability profile adds Prometheus scraping both roles and Alertmanager posting to the bot', () => {
    const prometheus = service('prometheus');
    const alertmanager = service('alertmanager');
    expect(prometheus.profiles).toEqual(['observability']);
    expect(alertmanager.profiles).toEqual(['observability']);
    expect(prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(alertmanager.image).toMatch(/^prom\/alertmanager:/);

    const promConfigMount = volumeMounts(prometheus).find((m) => m.target === optionValue(commandArgs(prometheus), '--config.file'));
    expect(promConfigMount?.source).toBe('./infra/compose/prometheus.yml');
    const prom = z.looseObject({
      scrape_configs: z.array(z.looseObject({ job_name: z.string(), metrics_path: z.string().optional(), static_configs: z.array(z.looseObject({ targets: z.array(z.string()) })) })),
      alerting: z.object({ alertmanagers: z.array(z.looseObject({ static_configs: z.array(z.object({ targets: z.array(z.string()) })) })) }),
    }).parse(loadOne('infra/compose/prometheus.yml'));
    const port = serviceEnv(service('warroom-web')).PORT;
    const scraped = prom.scrape_configs.filter((j) => (j.metrics_path ?? '/metrics') === '/metrics').flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(scraped).toEqual(expect.arrayContaining([`warroom-web:${port}`, `warroom-worker:${port}`]));
    expect(prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toContain('alertmanager:9093');

    const amConfigMount = volumeMounts(alertmanager).find((m) => m.target === optionValue(commandArgs(alertmanager), '--config.file'));
    expect(amConfigMount?.source).toBe('./infra/compose/alertmanager.yml');
  });

  it('the compose Alertmanager sends firing and resolved alerts to warroom-web with the bearer token from .env', () => {
    const am = z.object({
      global: z.looseObject({}).optional(),
      route: z.looseObject({ receiver: z.string() }),
      receivers: z.array(z.object({
        name: z.string(),
        webhook_configs: z.array(z.object({
          url: z.string(),
          send_resolved: z.literal(true),
          max_alerts: z.number().optional(),
          http_config: z.object({ authorization: z.object({ type: z.literal('Bearer'), credentials_file: z.string() }) }),
        })).min(1),
      })),
    }).parse(loadOne('infra/compose/alertmanager.yml'));
    const receiver = am.receivers.find((r) => r.name === am.route.receiver);
    const hook = receiver?.webhook_configs[0];
    expect(hook?.url).toBe('http://warroom-web:3000/webhooks/alertmanager');
    expect(new URL(hook?.url ?? '').port).toBe(serviceEnv(service('warroom-web')).PORT);
    // The credentials file is the compose secret, made from ALERTMANAGER_WEBHOOK_TOKEN.
    const alertmanager = service('alertmanager');
    const secretName = (alertmanager.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source)).find((s) => hook?.http_config.authorization.credentials_file === `/run/secrets/${s}`);
    expect(secretName).toBeDefined();
    expect(compose().secrets?.[secretName ?? '']).toEqual({ environment: 'ALERTMANAGER_WEBHOOK_TOKEN' });
  });
});

describe('.env.example', () => {
  it('names every environment variable of the contract and every one the bot reads', () => {
    const { names } = envExample();
    for (const n of CONTRACT_ENV) expect(names.has(n), n).toBe(true);
    // Set by Kubernetes itself inside a pod: nobody writes it.
    const readByBot = Object.keys(EnvSchema.shape).filter((n) => n !== 'KUBERNETES_SERVICE_HOST');
    for (const n of readByBot) expect(names.has(n), n).toBe(true);
  });

  it('holds placeholders, never credentials, and its active lines pass the bot’s env parser', () => {
    const { active } = envExample();
    for (const [k, v] of Object.entries(active)) {
      if (/TOKEN|SECRET|PASSWORD|_KEY$/.test(k)) expect(v, k).toMatch(/REPLACE-ME/);
      expect(looksLikeRealSlackToken(v), k).toBe(false);
    }
    const env = parseEnv(active);
    expect(env.SERVICES).toEqual(['web', 'worker']);
    expect(env.SHUTDOWN_TIMEOUT_MS).toBe(25_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Slack app manifest

const EVENTS = ['app_home_opened', 'pin_added', 'pin_removed', 'reaction_added', 'reaction_removed'] as const;
const SLACK_URL = z.url({ protocol: /^https$/ }).refine((u) => new URL(u).pathname === '/slack/events', 'must be the Bolt endpoint /slack/events');

// Strict objects: a misspelt key is an error, as it is for Slack's manifest validator.
const SlackManifest = z.strictObject({
  _metadata: z.strictObject({ major_version: z.number().int(), minor_version: z.number().int() }).optional(),
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().max(140).optional(),
    long_description: z.string().min(175).max(4000).optional(),
    background_color: z.string().regex(/^#[0-9a-fA-F]{6}$/).optional(),
  }),
  features: z.strictObject({
    app_home: z.strictObject({ home_tab_enabled: z.boolean().optional(), messages_tab_enabled: z.boolean().optional(), messages_tab_read_only_enabled: z.boolean().optional() }).optional(),
    // Slack: a shortcut's name at most 24 characters, its description at most 150 (manifest reference).
    shortcuts: z.array(z.strictObject({ name: z.string().min(1).max(24), type: z.enum(['global', 'message']), callback_id: z.string().min(1).max(255), description: z.string().min(1).max(150) })).max(10).optional(),
    bot_user: z.strictObject({ display_name: z.string().regex(/^[a-z0-9._-]{1,80}$/), always_online: z.boolean().optional() }),
    slash_commands: z.array(z.strictObject({
      command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
      description: z.string().min(1).max(2000),
      url: SLACK_URL.optional(),
      usage_hint: z.string().max(1000).optional(),
      should_escape: z.boolean().optional(),
    })).max(50),
  }),
  oauth_config: z.strictObject({ scopes: z.strictObject({ bot: z.array(z.string()) }) }),
  settings: z.strictObject({
    interactivity: z.strictObject({ is_enabled: z.boolean(), request_url: SLACK_URL.optional() }),
    event_subscriptions: z.strictObject({ request_url: SLACK_URL.optional(), bot_events: z.array(z.string()) }),
    org_deploy_enabled: z.boolean().optional(),
    socket_mode_enabled: z.boolean(),
    token_rotation_enabled: z.boolean().optional(),
  }),
});

describe('infra/slack/manifest.yaml', () => {
  const manifest = () => SlackManifest.parse(loadOne('infra/slack/manifest.yaml'));

  it('declares /incident with a usage hint, interactivity and the events, on https request URLs', () => {
    const m = manifest();
    const incident = m.features.slash_commands.find((c) => c.command === '/incident');
    expect(incident?.usage_hint).toBeTruthy();
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect([...m.settings.event_subscriptions.bot_events].sort()).toEqual([...EVENTS].sort());
    expect(m.settings.socket_mode_enabled).toBe(false);
    // Request URLs mode: every URL is present and the same Bolt endpoint.
    const urls = [incident?.url, m.settings.interactivity.request_url, m.settings.event_subscriptions.request_url];
    expect(new Set(urls)).toEqual(new Set(['https://warroom.example.com/slack/events']));
  });

  // The bot scopes and events are checked against the calls and listeners in src/ by test/unit/slack-manifest.test.ts.

  it('declares the Home tab and the shortcuts the bot listens for (their callback ids are the bot\'s)', () => {
    const m = manifest();
    expect(m.features.app_home?.home_tab_enabled).toBe(true);
    const shortcuts = (m.features.shortcuts ?? []).map((s) => [s.type, s.callback_id]).sort();
    expect(shortcuts).toEqual([['global', SHORTCUTS.declare], ['message', SHORTCUTS.addToTimeline]].sort());
    // Shortcuts are delivered under the commands scope.
    expect(m.oauth_config.scopes.bot).toContain('commands');
  });

  it('explains how to switch to Socket Mode', () => {
    const text = read('infra/slack/manifest.yaml');
    expect(text).toMatch(/connections:write/);
    expect(text).toMatch(/SLACK_APP_TOKEN/);
  });
});

// ---------------------------------------------------------------------------------------------
// AWS

const IamStatement = z.strictObject({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.union([z.string(), z.array(z.string())]).optional(),
  Principal: z.unknown().optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string())]))).optional(),
});
const IamPolicy = z.strictObject({ Version: z.literal('2012-10-17'), Statement: z.array(IamStatement).min(1) });
const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('infra/aws', () => {
  it('the CloudWatch policy allows exactly the four read-only calls and nothing else', () => {
    const policy = IamPolicy.parse(JSON.parse(read('infra/aws/cloudwatch-readonly-policy.json')));
    const allowed = policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action));
    expect([...new Set(allowed)].sort()).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:ListMetrics']);
    expect(allowed.some((a) => a.includes('*'))).toBe(false);
    for (const s of policy.Statement) expect(s.Principal, 'an identity policy has no Principal').toBeUndefined();
  });

  it('the IRSA trust policy lets only the warroom service account assume the role', () => {
    const policy = IamPolicy.parse(JSON.parse(read('infra/aws/irsa-trust-policy.example.json')));
    const [st] = policy.Statement;
    expect(policy.Statement).toHaveLength(1);
    expect(st?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    const conds = st?.Condition?.StringEquals ?? {};
    const sub = Object.entries(conds).find(([k]) => k.endsWith(':sub'))?.[1];
    const web = deployment('web');
    expect(sub).toBe(`system:serviceaccount:${web.metadata.namespace}:${web.spec.template.spec.serviceAccountName}`);
    expect(Object.entries(conds).find(([k]) => k.endsWith(':aud'))?.[1]).toBe('sts.amazonaws.com');
  });

  it('the README shows the subscription, SNS_TOPIC_ARNS, raw delivery off and SignatureVersion 2', () => {
    const text = read('infra/aws/README.md');
    expect(text).toContain('--protocol https');
    expect(text).toContain('--notification-endpoint https://warroom.example.com/webhooks/cloudwatch');
    expect(text).toContain('SNS_TOPIC_ARNS');
    expect(text).toMatch(/Raw message delivery must stay OFF/i);
    expect(text).toContain('--attribute-name SignatureVersion --attribute-value 2');
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction { op: string; args: string; line: number }

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && /^\s*#/.test(line)) return;
    if (buf !== '' && /^\s*#/.test(line)) return; // comments inside a continuation
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(buf);
    if (m?.[1]) out.push({ op: m[1].toUpperCase(), args: (m[2] ?? '').trim(), line: start });
    buf = '';
  });
  return out;
}

interface Stage { name: string | undefined; from: string; steps: Instruction[] }

function dockerStages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of dockerInstructions(text)) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m?.[1]) throw new Error(`bad FROM at line ${ins.line}`);
      stages.push({ name: m[2], from: interpolateDefaults(m[1].replace(/\$\{?([A-Z_]+)\}?/g, '${$1}'), args), steps: [] });
    } else if (ins.op === 'ARG' && stages.length === 0) {
      const [k, v] = ins.args.split('=');
      if (k) args[k] = v ?? '';
    } else {
      stages.at(-1)?.steps.push(ins);
    }
  }
  return { args, stages };
}

/** .dockerignore semantics: last matching pattern wins, '!' re-includes, a match on a parent excludes. */
function dockerIgnored(rel: string, patterns: string[]): boolean {
  // Glob to RegExp, one token at a time: '**/' any directories, '**' anything, '*' and '?' within a name.
  const toRe = (p: string) => new RegExp(`^${(p.replace(/^\//, '').match(/\*\*\/|\*\*|\*|\?|[^*?]+/g) ?? [])
    .map((t) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[t] ?? t.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
    .join('')}$`);
  const parts = rel.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const re = toRe(negate ? raw.slice(1) : raw);
    if (candidates.some((c) => re.test(c))) ignored = !negate;
  }
  return ignored;
}

const dockerignore = () => read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

const JsonExec = z.array(z.string()).min(1);

function healthcheckCommand(): string[] {
  const { stages } = dockerStages(read('Dockerfile'));
  const hc = stages.at(-1)?.steps.find((s) => s.op === 'HEALTHCHECK');
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(hc?.args ?? '')?.[1];
  return JsonExec.parse(JSON.parse(json ?? 'null'));
}

describe('Dockerfile', () => {
  const { stages } = dockerStages(read('Dockerfile'));
  const final = () => {
    const s = stages.at(-1);
    if (!s) throw new Error('no stage');
    return s;
  };
  const stageByName = (name: string) => stages.find((s) => s.name === name);
  const copyFrom = (s: Stage) => s.steps.filter((x) => x.op === 'COPY').map((x) => ({ from: /--from=(\S+)/.exec(x.args)?.[1], args: x.args.replace(/--\S+\s*/g, '').split(/\s+/) }));

  it('is multi-stage: builds with npm ci and npm run build, and ships only production dependencies on a slim Node', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:(20|22)-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    const runs = (s: Stage) => s.steps.filter((x) => x.op === 'RUN').map((x) => x.args).join('\n');
    const copies = copyFrom(final());
    const distFrom = stageByName(copies.find((c) => c.args[0]?.endsWith('/dist'))?.from ?? '');
    const modulesFrom = stageByName(copies.find((c) => c.args[0]?.endsWith('/node_modules'))?.from ?? '');
    expect(distFrom, 'dist copied from a build stage').toBeDefined();
    expect(modulesFrom, 'node_modules copied from a stage').toBeDefined();
    if (!distFrom || !modulesFrom) return;
    expect(runs(distFrom)).toMatch(/npm ci\b/);
    expect(runs(distFrom)).toMatch(/npm run build\b/);
    expect(runs(modulesFrom)).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(runs(final())).not.toMatch(/npm (ci|install)/);
  });

  it('runs the final stage as the non-root uid 10001 in production mode and exposes 3000', () => {
    const users = final().steps.filter((s) => s.op === 'USER');
    const user = users.at(-1)?.args ?? '';
    expect(user).toMatch(/^10001(:10001)?$/); // numeric, so Kubernetes runAsNonRoot can verify it
    const envs = final().steps.filter((s) => s.op === 'ENV').map((s) => s.args).join(' ');
    expect(envs).toMatch(/\bNODE_ENV=production\b/);
    expect(final().steps.some((s) => s.op === 'EXPOSE' && s.args.split(/\s+/).includes('3000'))).toBe(true);
    // Nothing after USER switches back to root.
    const idx = final().steps.lastIndexOf(users.at(-1) as Instruction);
    expect(final().steps.slice(idx + 1).some((s) => s.op === 'RUN')).toBe(false);
  });

  it('starts with CMD ["node", "dist/main.js"], which the TypeScript build produces from src/main.ts', () => {
    const cmd = final().steps.filter((s) => s.op === 'CMD').at(-1);
    expect(JsonExec.parse(JSON.parse(cmd?.args ?? 'null'))).toEqual(['node', 'dist/main.js']);
    expect(final().steps.some((s) => s.op === 'ENTRYPOINT')).toBe(false);
    const build = z.object({ compilerOptions: z.looseObject({ rootDir: z.string(), outDir: z.string() }) }).parse(JSON.parse(read('tsconfig.build.json')));
    expect(build.compilerOptions.outDir).toBe('dist');
    expect(exists(path.join(build.compilerOptions.rootDir, 'main.ts')), 'src/main.ts').toBe(true);
  });

  it('has a HEALTHCHECK on /healthz that uses node, not curl or wget', () => {
    const cmd = healthcheckCommand();
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain('/healthz');
    expect(cmd.join(' ')).not.toMatch(/\b(curl|wget)\b/);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const patterns = dockerignore();
    const sources = stages.flatMap((s) => copyFrom(s).filter((c) => c.from === undefined).flatMap((c) => c.args.slice(0, -1)));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']));
    for (const src of sources) {
      expect(exists(src), src).toBe(true);
      expect(dockerIgnored(src.replace(/\/$/, ''), patterns), `${src} is excluded by .dockerignore`).toBe(false);
    }
    for (const secret of ['.env', 'node_modules', 'dist', '.git', 'test/unit/x.test.ts']) expect(dockerIgnored(secret, patterns), secret).toBe(true);
    expect(dockerIgnored('.env.example', patterns)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The real tools, where this machine has them

describe('checked by the real tools', () => {
  it('the Dockerfile HEALTHCHECK command exits 0 on a healthy /healthz and 1 otherwise (run with this node)', async () => {
    const cmd = healthcheckCommand();
    let status = 200;
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/healthz' ? status : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const check = async () => {
      const p = startProc(cmd[0] ?? 'node', cmd.slice(1), { env: { PORT: String(port) } });
      const code = await new Promise<number | null>((resolve) => p.child.once('exit', (c) => resolve(c)));
      return code;
    };
    try {
      expect(await check()).toBe(0);
      status = 503;
      expect(await check()).toBe(1);
      expect(paths).toEqual(['/healthz', '/healthz']);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // Nothing listening: fails rather than hangs.
    const p = startProc(cmd[0] ?? 'node', cmd.slice(1), { env: { PORT: String(await freePort()) } });
    expect(await new Promise((resolve) => p.child.once('exit', resolve))).toBe(1);
  });

  it('promtool accepts the compose Prometheus config and its rules', () => {
    requireBinary('promtool', 'prometheus');
    const config = run('promtool', ['check', 'config', 'infra/compose/prometheus.yml']);
    expect(config.status, config.out).toBe(0);
    expect(config.out).toMatch(/1 rule files found/);
    const rules = run('promtool', ['check', 'rules', 'infra/compose/rules.yml']);
    expect(rules.status, rules.out).toBe(0);
  });

  it('amtool accepts the compose Alertmanager config and routes every alert to warroom', () => {
    requireBinary('amtool', 'prometheus-alertmanager');
    const check = run('amtool', ['check-config', 'infra/compose/alertmanager.yml']);
    expect(check.status, check.out).toBe(0);
    const route = run('amtool', ['config', 'routes', 'test', '--config.file=infra/compose/alertmanager.yml', 'alertname=Anything', 'severity=critical']);
    expect(route.status, route.out).toBe(0);
    expect(route.stdout.trim()).toBe('warroom');
  });

  it('kubectl kustomize builds the manifests with the image rewritten for both roles', () => {
    requireBinary('kubectl', 'kubectl');
    const r = run('kubectl', ['kustomize', K8S_DIR]);
    expect(r.status, r.out).toBe(0);
    const objs = r.stdout.split(/^---$/m).map((d) => parseYaml(d) as unknown).filter(Boolean).map((o) => K8sObject.parse(o));
    expect(objs.length).toBe(kustomizedObjects().length);
    const image = kustomization().images?.[0];
    for (const role of ['web', 'worker']) {
      const dep = Deployment.parse(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === `warroom-${role}`));
      expect(container(dep).image).toBe(`${image?.newName}:${image?.newTag}`);
    }
  });

  for (const source of ['docker-compose.yml', `${K8S_DIR}/redis.yaml`] as const) {
    it(`redis-server runs with the ${source} flags: AOF on, noeviction, and an acknowledged write survives SIGKILL`, async () => {
      requireBinary('redis-server', 'redis-server');
      const args = source === 'docker-compose.yml'
        ? commandArgs(service('redis')).filter((a) => a !== 'redis-server')
        : z.array(z.string()).parse(
          z.object({ spec: z.looseObject({ template: z.looseObject({ spec: z.looseObject({ containers: z.array(z.looseObject({ args: z.array(z.string()) })) }) }) }) })
            .parse(loadDocs(source).find((d) => K8sObject.parse(d).kind === 'StatefulSet')).spec.template.spec.containers[0]?.args,
        ).map((a) => a.replace('$(REDIS_PASSWORD)', 'test-password'));
      const password = optionValue(args, '--requirepass');
      const port = await freePort();
      const { dir, cleanup } = tmpDir('manifest-redis');
      const start = async () => {
        const p = startProc('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir]);
        await waitForPort(port);
        return p;
      };
      const connect = () => new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 1 });
      let proc = await start();
      try {
        const client = connect();
        await client.connect();
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        await client.set('warroom:manifest-test', 'kept');
        client.disconnect();
        await proc.stop('SIGKILL'); // no shutdown save: only the AOF can bring the key back
        proc = await start();
        const again = connect();
        await again.connect();
        expect(await again.get('warroom:manifest-test')).toBe('kept');
        again.disconnect();
      } finally {
        await proc.stop();
        cleanup();
      }
    });
  }

});
