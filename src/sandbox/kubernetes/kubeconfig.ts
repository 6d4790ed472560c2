/**
 * A kubeconfig for the emulator (token auth over plain HTTP), as a file kubectl, client-go or the
 * bot's `KUBECONFIG` can read, or as the options `@kubernetes/client-node` loads directly.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeConfigOptions {
  clusters: { name: string; server: string; skipTLSVerify: boolean }[];
  users: { name: string; token: string }[];
  contexts: { name: string; cluster: string; user: string; namespace?: string }[];
  currentContext: string;
}

/** The kubeconfig file's YAML for these options. */
function kubeconfigYaml(o: KubeConfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: o.clusters.map((c) => ({ name: c.name, cluster: { server: c.server, 'insecure-skip-tls-verify': c.skipTLSVerify } })),
    users: o.users.map((u) => ({ name: u.name, user: { token: u.token } })),
    contexts: o.contexts.map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    'current-context': o.currentContext,
  });
}

/** Writes the kubeconfig (mode 0600: it holds a token); `namespace` sets the context's default namespace. */
export function writeKubeconfigFile(file: string, o: KubeConfigOptions, namespace?: string): void {
  const options = namespace === undefined ? o : { ...o, contexts: o.contexts.map((c) => ({ ...c, namespace })) };
  writeFileSync(file, kubeconfigYaml(options), { mode: 0o600 });
}
