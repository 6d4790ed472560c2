/** Scale a Deployment through its scale subresource. */
import type { Mitigation } from '../../../domain/diagnostics.js';
import type { K8sDeployment } from '../../ports.js';
import { needKubernetes, plural, type MitigationKind } from '../kind.js';
import { deploymentPinning, readForDryRun, watchRollout } from './deployment.js';

type Scale = Extract<Mitigation, { kind: 'scale' }>;

export const scale: MitigationKind<Scale, K8sDeployment> = {
  kind: 'scale',
  describe: (m) => ['Scale deployment', { literal: `${m.namespace}/${m.deployment}` }, `to ${plural(m.replicas, 'replica')}`],
  risk: () => 'An HPA targeting this deployment overrides manual replicas within ~15 s; prefer raising its min. Nodes may not fit more pods.',
  dryRun: async (ports, m) => {
    const { k8s, d, pinned, opts } = await readForDryRun(ports, m);
    return { result: await k8s.scaleDeployment(m.namespace, m.deployment, m.replicas, opts), pinned, before: d };
  },
  revertOf: (m, before) => (before ? { kind: 'scale', namespace: m.namespace, deployment: m.deployment, replicas: before.spec.replicas ?? 1 } : undefined),
  // The card showed `replicas 4 → 3`: a different count now is named as such.
  pin: deploymentPinning<Scale>((p, d) => {
    const shown = p.diff.find((l) => l.field === 'replicas')?.before;
    const now = d.spec.replicas ?? 1;
    return shown !== undefined && String(now) !== String(shown) ? `the deployment now has ${now} replicas, not the ${shown} the card showed; propose it again` : undefined;
  }, (d, m) => (d.spec.replicas ?? 1) === m.replicas),
  apply: async (ports, _p, m, opts) => ({ result: await needKubernetes(ports).scaleDeployment(m.namespace, m.deployment, m.replicas, { dryRun: false, ...opts }) }),
  // The rollout settling is not enough: the approved count must be what the deployment asks for and has available.
  verify: async (ports, m, opts) => {
    const r = await watchRollout(ports, m, opts);
    if (r.result === 'failed') return r;
    const d = await needKubernetes(ports).getDeployment(m.namespace, m.deployment);
    if (!d) return { result: 'failed', lines: [...r.lines, 'deployment not found'] };
    const asked = d.spec.replicas ?? 1;
    const available = d.status?.availableReplicas ?? 0;
    const count = `replicas: ${available} available of ${m.replicas} approved`;
    if (asked !== m.replicas) return { result: 'failed', lines: [...r.lines, `${count}; the deployment now asks for ${plural(asked, 'replica')}, not ${m.replicas} (an HPA or another writer changed it)`] };
    if (available < m.replicas) return { result: 'not-yet', lines: [...r.lines, count] };
    return { result: r.result, lines: [...r.lines, count] };
  },
};
