/** Roll a Deployment back to a named or the previous revision (`kubectl rollout undo` semantics, in the adapter). */
import type { Mitigation } from '../../../domain/diagnostics.js';
import type { K8sDeployment } from '../../ports.js';
import { needKubernetes, type MitigationKind } from '../kind.js';
import { deploymentPinning, pinnedRevision, readForDryRun, watchRollout } from './deployment.js';

type Rollback = Extract<Mitigation, { kind: 'rollback' }>;

export const rollback: MitigationKind<Rollback, K8sDeployment> = {
  kind: 'rollback',
  describe: (m) => ['Roll back deployment', { literal: `${m.namespace}/${m.deployment}` }, m.toRevision ? `to revision ${m.toRevision}` : 'to the previous revision'],
  risk: () => 'Reverts every change since that revision (config too); pods restart with the old template.',
  dryRun: async (ports, m) => {
    const { k8s, d, pinned, opts } = await readForDryRun(ports, m);
    return { result: await k8s.rollbackDeployment(m.namespace, m.deployment, m.toRevision ?? 0, opts), pinned, before: d };
  },
  // Back to the revision it was pinned to.
  revertOf: (m, before) => {
    const revision = before ? pinnedRevision(before) : undefined;
    return revision ? { kind: 'rollback', namespace: m.namespace, deployment: m.deployment, toRevision: revision } : undefined;
  },
  pin: deploymentPinning<Rollback>(),
  apply: async (ports, _p, m, opts) => ({ result: await needKubernetes(ports).rollbackDeployment(m.namespace, m.deployment, m.toRevision ?? 0, { dryRun: false, ...opts }) }),
  verify: (ports, m, opts) => watchRollout(ports, m, opts),
};
