/**
 * resolve-workload: from Alertmanager labels (namespace plus pod, horizontalpodautoscaler,
 * service or replicaset) to the deployment behind them. Discovers a `workload` subject.
 */
import type { Subject } from '../../../domain/diagnostics.js';
import type { KubernetesPort } from '../../ports.js';
import { makeFinding, notConfigured, type Check, type CheckResult } from '../types.js';
import { deploymentsForService } from './k8s-util.js';

const ID = 'resolve-workload';

/** `<deploy>-<rs hash>-<5 chars>` -> `<deploy>`; `<deploy>-<rs hash>` -> `<deploy>` for replicasets. */
export function deploymentFromPodName(pod: string): string | undefined {
  const m = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(pod);
  return m?.[1];
}

async function deploymentOfReplicaSet(k8s: KubernetesPort, ns: string, rsName: string, signal: AbortSignal): Promise<string | undefined> {
  const rss = await k8s.listReplicaSets(ns, '', signal);
  const rs = rss.find((r) => r.metadata.name === rsName);
  return rs?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name;
}

async function resolve(k8s: KubernetesPort, labels: Record<string, string>, signal: AbortSignal): Promise<{ deployments: string[]; via: string; service?: string } | undefined> {
  const ns = labels.namespace ?? labels.exported_namespace;
  if (!ns) return undefined;
  if (labels.deployment) return { deployments: [labels.deployment], via: `label deployment=${labels.deployment}` };
  const hpaName = labels.horizontalpodautoscaler ?? labels.hpa;
  if (hpaName) {
    const h = await k8s.getHpa(ns, hpaName, signal);
    if (h && h.scaleTargetRef.kind === 'Deployment') return { deployments: [h.scaleTargetRef.name], via: `HPA ${hpaName} scaleTargetRef` };
  }
  const pod = labels.pod ?? labels.pod_name;
  if (pod) {
    const pods = await k8s.listPods(ns, '', signal);
    const p = pods.find((x) => x.metadata.name === pod);
    const rsName = p?.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
    if (rsName) {
      const d = await deploymentOfReplicaSet(k8s, ns, rsName, signal);
      if (d) return { deployments: [d], via: `pod ${pod} -> replicaset ${rsName}` };
    }
    const guess = deploymentFromPodName(pod);
    if (guess && (await k8s.getDeployment(ns, guess, signal))) return { deployments: [guess], via: `pod name ${pod}` };
  }
  if (labels.replicaset) {
    const d = await deploymentOfReplicaSet(k8s, ns, labels.replicaset, signal);
    if (d) return { deployments: [d], via: `replicaset ${labels.replicaset}` };
  }
  const svcName = labels.service;
  if (svcName) {
    const svc = (await k8s.listServices(ns, signal)).find((s) => s.metadata.name === svcName);
    if (svc) {
      const ds = await deploymentsForService(k8s, ns, svc, signal);
      if (ds.length > 0) return { deployments: ds.map((d) => d.metadata.name), via: `service ${svcName} selector`, service: svcName };
    }
  }
  return undefined;
}

export const resolveWorkloadCheck: Check = {
  id: ID,
  title: 'Alert labels to workload',
  subjectKind: 'alert-labels',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'alert-labels') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'which workload the alert is about', 'Kubernetes');
    const ns = subject.labels.namespace ?? subject.labels.exported_namespace;
    const found = await resolve(k8s, subject.labels, ctx.signal);
    const labelText = Object.keys(subject.labels)
      .sort()
      .map((k) => `${k}=${subject.labels[k] ?? ''}`)
      .join(', ');
    if (!found || !ns) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'unresolved',
            severity: 'info',
            title: 'Alert labels name no deployment',
            summary: `could not find a deployment from the alert's labels (${labelText})${ns ? '' : ': no namespace label'}`,
          }),
        ],
        discovered: [],
      };
    }
    const discovered: Subject[] = found.deployments.sort().map((d) => ({ kind: 'workload', namespace: ns, deployment: d, ...(found.service ? { service: found.service } : {}) }));
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'resolved',
          severity: 'info',
          title: `Alert is about ${found.deployments.map((d) => `${ns}/${d}`).join(', ')}`,
          summary: `${labelText} -> deployment ${found.deployments.join(', ')} in ${ns} (via ${found.via})`,
          evidence: [{ query: `labels ${labelText}`, numbers: { deployments: found.deployments.length } }],
        }),
      ],
      discovered,
    };
  },
};
