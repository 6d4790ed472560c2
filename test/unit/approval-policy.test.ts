/**
 * The approval policy as a table: which rule governs each action kind for incidents from each alert
 * source, under the shipped example config (the one an operator copies); and the startup check that
 * refuses protected rules that could never decide.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { policyProblems, policySubject, selectRule } from '../../src/domain/approval-policy.js';
import type { Mitigation } from '../../src/domain/diagnostics.js';

const EXAMPLE = readFileSync(path.resolve(import.meta.dirname, '../../config/warroom.example.yaml'), 'utf8');
const example: Config = parseConfig(EXAMPLE, 'example');

/** The route an incident of each source lands on in the example config (first match wins). */
const ROUTE_OF = { alertmanager: 'default', cloudwatch: 'cloudwatch', manual: 'default' } as const;

function ruleFor(config: Config, source: keyof typeof ROUTE_OF, m: Mitigation): string | undefined {
  const route = config.routes.find((r) => r.name === ROUTE_OF[source]);
  return selectRule(config.approvals, policySubject(m, ROUTE_OF[source], route?.environment))?.name;
}

const inNs = (ns: string): Mitigation[] => [
  { kind: 'rollback', namespace: ns, deployment: 'checkout' },
  { kind: 'scale', namespace: ns, deployment: 'checkout', replicas: 3 },
  { kind: 'hpa', namespace: ns, name: 'checkout', maxReplicas: 12 },
  { kind: 'restart', namespace: ns, deployment: 'checkout' },
  { kind: 'silence', durationMinutes: 7 * 1440, matchers: [{ name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true }, { name: 'namespace', value: ns, isRegex: false, isEqual: true }] },
];

describe('the example config governs every source and action kind as an operator reads it', () => {
  const sources = ['alertmanager', 'cloudwatch', 'manual'] as const;
  for (const source of sources) {
    for (const m of inNs('prod')) {
      it(`${source} incident, ${m.kind} in namespace prod: the protected "production" rule`, () => {
        expect(ruleFor(example, source, m)).toBe('production');
        expect(example.approvals.find((r) => r.name === 'production')?.protected).toBe(true);
      });
    }
    for (const m of inNs('staging')) {
      // The cloudwatch route is environment prod: its actions fall under production even in other namespaces.
      const expected = source === 'cloudwatch' ? 'production' : 'everything-else';
      it(`${source} incident, ${m.kind} in namespace staging: "${expected}"`, () => {
        expect(ruleFor(example, source, m)).toBe(expected);
      });
    }
  }

  it('a silence without an exact namespace matcher may mute production: the strictest rule governs it', () => {
    const anyNs: Mitigation = { kind: 'silence', durationMinutes: 10080, matchers: [{ name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true }] };
    const regexNs: Mitigation = { kind: 'silence', durationMinutes: 60, matchers: [{ name: 'namespace', value: 'pro.*', isRegex: true, isEqual: true }] };
    for (const source of sources) {
      expect(ruleFor(example, source, anyNs)).toBe('production');
      expect(ruleFor(example, source, regexNs)).toBe('production');
    }
  });

  it('the example config passes the startup check', () => {
    expect(policyProblems(example.approvals, example.routes)).toEqual([]);
  });
});

describe('selection order: namespace, then environment, then route, then the catch-all', () => {
  const rules = [
    { name: 'staging-env', match: { namespaces: [], environments: ['staging'], routes: [] }, protected: false, allowSelfApproval: true, requiredApprovals: 1 },
    { name: 'prod-ns', match: { namespaces: ['prod'], environments: [], routes: [] }, protected: true, allowSelfApproval: false, requiredApprovals: 1 },
    { name: 'db-route', match: { namespaces: [], environments: [], routes: ['db'] }, protected: false, allowSelfApproval: false, requiredApprovals: 2 },
    { name: 'rest', match: { namespaces: [], environments: [], routes: [] }, protected: false, allowSelfApproval: true, requiredApprovals: 1 },
  ];
  const rb = (ns: string): Mitigation => ({ kind: 'rollback', namespace: ns, deployment: 'x' });
  it.each([
    ['a prod object from a staging incident: the namespace governs', rb('prod'), 'staging', 'web', 'prod-ns'],
    ['a staging-env incident on another namespace', rb('web'), 'staging', 'web', 'staging-env'],
    ['the db route without environment', rb('web'), undefined, 'db', 'db-route'],
    ['nothing named: the catch-all', rb('web'), undefined, 'web', 'rest'],
  ] as const)('%s', (_what, m, env, route, expected) => {
    expect(selectRule(rules, policySubject(m, route, env))?.name).toBe(expected);
  });

  it('no rule at all: undefined (nothing can be proposed)', () => {
    expect(selectRule([], policySubject(rb('prod'), 'r', undefined))).toBeUndefined();
  });
});

describe('startup refuses a policy whose protected rules could never decide', () => {
  const routes = `
routes:
  - name: alerts
    match: { source: alertmanager }
  - name: cw
    match: { source: cloudwatch }
    environment: production
`;
  const withApprovals = (approvals: string) => () => parseConfig(`${routes}\napprovals:\n${approvals}`, 'test');

  it('a protected rule naming only an environment no route declares', () => {
    expect(withApprovals(`  - name: prod\n    match: { environments: [prod] }\n    approvers: { users: [U1] }\n    protected: true\n`)).toThrow(
      /approvals\.0 \(prod\): protected, but it can never match: no route declares environment "prod"/,
    );
  });

  it('a protected rule whose every namespace an earlier rule claims', () => {
    expect(
      withApprovals(`  - name: loose\n    match: { namespaces: [prod, web] }\n    approvers: { users: [U1] }\n    allowSelfApproval: true\n  - name: prod\n    match: { namespaces: [prod] }\n    approvers: { users: [U1] }\n    protected: true\n`),
    ).toThrow(/approvals\.1 \(prod\): protected, but shadowed: namespace "prod" is decided first by "loose"/);
  });

  it('a protected catch-all after another catch-all', () => {
    expect(withApprovals(`  - name: any\n    approvers: { users: [U1] }\n  - name: strict\n    approvers: { users: [U1] }\n    protected: true\n`)).toThrow(/approvals\.1 \(strict\): protected, but shadowed: the earlier catch-all rule "any"/);
  });

  it('protected together with allowSelfApproval, and an unknown route', () => {
    expect(withApprovals(`  - name: p\n    match: { routes: [nope] }\n    approvers: { users: [U1] }\n    protected: true\n    allowSelfApproval: true\n`)).toThrow(
      /match\.routes names "nope", which is not a configured route[^]*protected rules never allow self-approval/,
    );
  });

  it('a catch-all before a protected namespace rule is not shadowing: the namespace decides first', () => {
    expect(withApprovals(`  - name: any\n    approvers: { users: [U1] }\n    allowSelfApproval: true\n  - name: prod\n    match: { namespaces: [prod] }\n    approvers: { users: [U2] }\n    protected: true\n`)).not.toThrow();
  });
});
