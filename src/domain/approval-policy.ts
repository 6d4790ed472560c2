/**
 * Which approval rule governs a proposed action: a pure function of the rules and the action's subject,
 * and the startup check that refuses a policy whose protected rules could never apply.
 *
 * How a rule is chosen (what an operator reads in the config):
 * 1. **The object's namespace governs.** The first rule that lists the namespace of the object acted on
 *    decides, whatever the incident's route or environment.
 * 2. Else the first rule that lists the incident's environment (the route's `environment`).
 * 3. Else the first rule that lists the incident's route.
 * 4. Else the first rule with an empty match (the catch-all).
 * A selector is an alternative, never a second gate: a rule listing `namespaces: [prod]` and
 * `environments: [prod]` governs objects in namespace prod and actions in prod incidents alike.
 *
 * Silences have no object: an exact `namespace=` matcher names their namespace. A silence without one
 * can mute alerts of every namespace, so the strictest rule that lists any namespace (protected first,
 * then the most approvals, then no self-approval) governs it, unless its environment or route is named
 * by a stricter rule.
 */
import type { Mitigation } from './diagnostics.js';

export interface PolicyRule {
  name: string;
  match: { namespaces: string[]; environments: string[]; routes?: string[] | undefined };
  protected: boolean;
  allowSelfApproval: boolean;
  requiredApprovals: number;
}

export interface PolicySubject {
  kind: Mitigation['kind'];
  /** The namespace of the object acted on; for a silence, its exact namespace matcher if any. */
  namespace?: string;
  /** The incident's route environment. */
  environment?: string;
  /** The incident's route. */
  route: string;
  /** A silence without an exact namespace matcher: it may touch every namespace. */
  anyNamespace?: boolean;
}

const isCatchAll = (r: PolicyRule) => r.match.namespaces.length === 0 && r.match.environments.length === 0 && (r.match.routes ?? []).length === 0;

/** Stricter first: protected, then more approvals, then no self-approval. */
function strictness(r: PolicyRule): number {
  return (r.protected ? 1000 : 0) + r.requiredApprovals * 10 + (r.allowSelfApproval ? 0 : 1);
}

/** The subject of a mitigation proposed in an incident of `route` (with its environment). */
export function policySubject(m: Mitigation, route: string, environment: string | undefined): PolicySubject {
  const base = { kind: m.kind, route, ...(environment ? { environment } : {}) };
  if (m.kind !== 'silence') return { ...base, namespace: m.namespace };
  const exact = m.matchers.filter((x) => x.name === 'namespace' && x.isEqual && !x.isRegex);
  const others = m.matchers.filter((x) => x.name === 'namespace' && !(x.isEqual && !x.isRegex));
  return exact.length === 1 && others.length === 0 ? { ...base, namespace: exact[0]!.value } : { ...base, anyNamespace: true };
}

export function selectRule<R extends PolicyRule>(rules: readonly R[], s: PolicySubject): R | undefined {
  if (s.namespace !== undefined) {
    const byNs = rules.find((r) => r.match.namespaces.includes(s.namespace!));
    if (byNs) return byNs;
  }
  const byEnv = s.environment !== undefined ? rules.find((r) => r.match.environments.includes(s.environment!)) : undefined;
  const byRoute = rules.find((r) => (r.match.routes ?? []).includes(s.route));
  const fallback = byEnv ?? byRoute ?? rules.find(isCatchAll);
  if (!s.anyNamespace) return fallback;
  // A silence of every namespace answers to the strictest rule any namespace is governed by.
  const namespaceRules = rules.filter((r) => r.match.namespaces.length > 0);
  const candidates = [...namespaceRules, ...(fallback ? [fallback] : [])];
  return candidates.reduce<R | undefined>((best, r) => (!best || strictness(r) > strictness(best) ? r : best), undefined);
}

/**
 * Problems that make a policy say something other than what an operator reads in it; the config is
 * refused at start with each one. `routes` are the configured routes (name and environment).
 */
export function policyProblems(rules: readonly PolicyRule[], routes: readonly { name: string; environment?: string | undefined }[]): string[] {
  const problems: string[] = [];
  const environments = new Set(routes.map((r) => r.environment).filter((e): e is string => Boolean(e)));
  const routeNames = new Set(routes.map((r) => r.name));
  rules.forEach((rule, i) => {
    const at = `approvals.${i} (${rule.name})`;
    const rs = rule.match.routes ?? [];
    for (const r of rs) if (!routeNames.has(r)) problems.push(`${at}: match.routes names "${r}", which is not a configured route`);
    if (rule.protected && rule.allowSelfApproval) problems.push(`${at}: protected rules never allow self-approval; remove allowSelfApproval or protected`);
    if (!rule.protected) return;
    const reachableEnvs = rule.match.environments.filter((e) => environments.has(e));
    const unreachable = rule.match.environments.filter((e) => !environments.has(e));
    if (unreachable.length && rule.match.namespaces.length === 0 && rs.length === 0 && reachableEnvs.length === 0) {
      problems.push(`${at}: protected, but it can never match: no route declares environment ${unreachable.map((e) => `"${e}"`).join(', ')} and it lists no namespaces or routes`);
      return;
    }
    if (isCatchAll(rule)) {
      const earlier = rules.slice(0, i).find(isCatchAll);
      if (earlier) problems.push(`${at}: protected, but shadowed: the earlier catch-all rule "${earlier.name}" always decides first`);
      return;
    }
    // Shadowed when every selector value is claimed by an earlier rule of the same tier.
    const claimed = (pick: (r: PolicyRule) => string[], v: string) => rules.slice(0, i).find((r) => pick(r).includes(v));
    const values: [string, string, PolicyRule | undefined][] = [
      ...rule.match.namespaces.map((v): [string, string, PolicyRule | undefined] => ['namespace', v, claimed((r) => r.match.namespaces, v)]),
      ...reachableEnvs.map((v): [string, string, PolicyRule | undefined] => ['environment', v, claimed((r) => r.match.environments, v)]),
      ...rs.map((v): [string, string, PolicyRule | undefined] => ['route', v, claimed((r) => r.match.routes ?? [], v)]),
    ];
    if (values.length > 0 && values.every(([, , by]) => by)) {
      problems.push(`${at}: protected, but shadowed: ${values.map(([what, v, by]) => `${what} "${v}" is decided first by "${by!.name}"`).join('; ')}`);
    }
  });
  return problems;
}
