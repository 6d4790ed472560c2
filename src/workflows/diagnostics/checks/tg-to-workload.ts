/**
 * tg-to-workload: from an ALB target group to the Kubernetes workload behind it.
 * First the TargetGroupBindings (the AWS Load Balancer Controller creates one per target group,
 * named like it, in the Service's namespace); else the controller's name format
 * `k8s-<ns %.8s>-<svc %.8s>-<hash %.10s>` (non-alphanumerics removed before truncating), matched
 * by prefix against namespaces and services. The deployment is the one whose pod labels the
 * service selector matches. Discovers a `workload` subject.
 */
import type { Subject } from '../../../domain/diagnostics.js';
import type { K8sService, KubernetesPort } from '../../ports.js';
import { makeFinding, notConfigured, targetGroupName, type Check, type CheckResult } from '../types.js';
import { deploymentsForService, sanitize } from './k8s-util.js';

const ID = 'tg-to-workload';
const TG_NAME = /^k8s-([A-Za-z0-9]+)-([A-Za-z0-9]+)-([0-9a-f]{10})$/;
const MAX_CANDIDATES = 3;

/** Parses a controller-made target group name; undefined for any other name. */
export function parseControllerName(name: string): { ns: string; svc: string; hash: string } | undefined {
  const m = TG_NAME.exec(name);
  if (!m || !m[1] || !m[2] || !m[3]) return undefined;
  return { ns: m[1].toLowerCase(), svc: m[2].toLowerCase(), hash: m[3] };
}

/** Does a truncated, sanitized segment name this object? Exact first, else a prefix (the controller truncates to 8). */
export function segmentMatches(segment: string, name: string): 'exact' | 'prefix' | undefined {
  const s = sanitize(name).toLowerCase();
  if (s === segment) return 'exact';
  if (s.startsWith(segment)) return 'prefix';
  return undefined;
}

interface ServiceRef {
  namespace: string;
  service: K8sService;
  via: string;
}

async function resolveServices(k8s: KubernetesPort, tg: string, signal: AbortSignal): Promise<{ refs: ServiceRef[]; query: string; method: 'binding' | 'name' | 'none'; note?: string }> {
  const name = targetGroupName(tg);
  const bindings = await k8s.listTargetGroupBindings(undefined, signal);
  const matching = bindings
    .filter((b) => {
      const arn = b.spec.targetGroupARN;
      if (arn) return arn.endsWith(`:${tg}`) || targetGroupName(arn) === name;
      return b.spec.targetGroupName === name || b.metadata.name === name;
    })
    .sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  if (matching.length > 0) {
    const refs: ServiceRef[] = [];
    for (const b of matching) {
      const ns = b.metadata.namespace ?? '';
      const svc = (await k8s.listServices(ns, signal)).find((s) => s.metadata.name === b.spec.serviceRef.name);
      if (svc) refs.push({ namespace: ns, service: svc, via: `TargetGroupBinding ${ns}/${b.metadata.name}` });
    }
    return { refs, query: 'kubectl get targetgroupbindings.elbv2.k8s.aws -A', method: 'binding', ...(refs.length === 0 ? { note: 'the binding names a service that does not exist' } : {}) };
  }
  const parsed = parseControllerName(name);
  const query = `kubectl get targetgroupbindings.elbv2.k8s.aws -A (none for ${name}); kubectl get namespaces,services`;
  if (!parsed) return { refs: [], query, method: 'none', note: `no TargetGroupBinding, and ${name} is not a controller name (k8s-<ns>-<svc>-<hash>)` };
  const namespaces = (await k8s.listNamespaces(signal)).filter((ns) => segmentMatches(parsed.ns, ns) !== undefined).sort();
  const scored: { ref: ServiceRef; score: number }[] = [];
  for (const ns of namespaces) {
    const nsMatch = segmentMatches(parsed.ns, ns);
    for (const svc of await k8s.listServices(ns, signal)) {
      const svcMatch = segmentMatches(parsed.svc, svc.metadata.name);
      if (!svcMatch) continue;
      scored.push({
        ref: { namespace: ns, service: svc, via: `name ${name} = k8s-${parsed.ns}-${parsed.svc}-${parsed.hash}` },
        score: (nsMatch === 'exact' ? 2 : 1) + (svcMatch === 'exact' ? 2 : 1),
      });
    }
  }
  scored.sort((a, b) => b.score - a.score || a.ref.namespace.localeCompare(b.ref.namespace) || a.ref.service.metadata.name.localeCompare(b.ref.service.metadata.name));
  const best = scored[0]?.score;
  const refs = scored.filter((s) => s.score === best).map((s) => s.ref);
  return { refs, query, method: 'name', ...(refs.length === 0 ? { note: `no service matches namespace prefix "${parsed.ns}" and service prefix "${parsed.svc}"` } : {}) };
}

export const tgToWorkloadCheck: Check = {
  id: ID,
  title: 'Target group to workload',
  subjectKind: 'target-group',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'target-group') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'which workload serves the target group', 'Kubernetes');
    const name = targetGroupName(subject.targetGroup);
    const { refs, query, method, note } = await resolveServices(k8s, subject.targetGroup, ctx.signal);
    if (refs.length === 0) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'unmapped',
            severity: 'warning',
            title: `Target group ${name}: no Kubernetes service found`,
            summary: `could not map ${name} to a service: ${note ?? 'no match'}`,
            evidence: [{ query, numbers: { candidates: 0 } }],
          }),
        ],
        discovered: [],
      };
    }
    const discovered: Subject[] = [];
    const lines: string[] = [];
    for (const ref of refs.slice(0, MAX_CANDIDATES)) {
      const deployments = await deploymentsForService(k8s, ref.namespace, ref.service, ctx.signal);
      const selector = Object.entries(ref.service.spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      if (deployments.length === 0) {
        lines.push(`${ref.namespace}/${ref.service.metadata.name} (via ${ref.via}): no deployment matches selector {${selector}}`);
        continue;
      }
      for (const d of deployments) {
        discovered.push({ kind: 'workload', namespace: ref.namespace, deployment: d.metadata.name, service: ref.service.metadata.name });
        lines.push(`${ref.namespace}/${ref.service.metadata.name} -> deployment ${d.metadata.name} (via ${ref.via}, selector {${selector}})`);
      }
    }
    const ambiguous = refs.length > 1;
    const first = discovered[0];
    const target = first && first.kind === 'workload' ? `${first.namespace}/${first.deployment}` : undefined;
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'mapped',
          severity: discovered.length === 0 || ambiguous ? 'warning' : 'info',
          title: target ? `Target group ${name} is served by ${target}${ambiguous ? ` (and ${discovered.length - 1} other candidate(s))` : ''}` : `Target group ${name}: service found, no deployment`,
          summary: `${name} -> ${lines.join('; ')}${method === 'name' ? ' (matched by the controller name format: no TargetGroupBinding was found)' : ''}`,
          evidence: [{ query, numbers: { candidates: refs.length, workloads: discovered.length, method }, detail: lines.join('\n') }],
          facts: target ? { workload: target } : {},
        }),
      ],
      discovered,
    };
  },
};
