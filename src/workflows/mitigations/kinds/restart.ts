/** A rolling restart: the `kubectl.kubernetes.io/restartedAt` pod-template annotation, stamped when it runs. */
import type { Mitigation } from '../../../domain/diagnostics.js';
import type { K8sDeployment } from '../../ports.js';
import { needKubernetes, type MitigationKind } from '../kind.js';
import { deploymentPinning, readForDryRun, watchRollout } from './deployment.js';

type Restart = Extract<Mitigation, { kind: 'restart' }>;

export const restart: MitigationKind<Restart, K8sDeployment> = {
  kind: 'restart',
  describe: (m) => ['Restart deployment', { literal: `${m.namespace}/${m.deployment}` }, '(rolling)'],
  risk: () => 'Rolling restart: capacity dips while pods start; in-flight requests on terminating pods may fail.',
  dryRun: async (ports, m) => {
    const { k8s, d, pinned, opts } = await readForDryRun(ports, m);
    return { result: await k8s.restartDeployment(m.namespace, m.deployment, ports.clock.now(), opts), pinned, before: d };
  },
  // Restarted pods cannot be un-restarted.
  revertOf: () => undefined,
  pin: deploymentPinning<Restart>(),
  apply: async (ports, _p, m, opts) => ({ result: await needKubernetes(ports).restartDeployment(m.namespace, m.deployment, ports.clock.now(), { dryRun: false, ...opts }) }),
  verify: (ports, m, opts) => watchRollout(ports, m, opts),
};
