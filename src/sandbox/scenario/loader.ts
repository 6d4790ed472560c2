/**
 * Loading a scenario file: YAML or JSON, validated with zod, then checked for consistency
 * (alarm histories that chain, alerts naming known alarms, alarms with a metric to read...).
 * Every problem is reported at once with its path, in one AppError('bad_request').
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../../errors.js';
import { aggregatedParts, KUBERNETES_TIME_FIELDS, sameDimensionSet } from './expand.js';
import { Scenario } from './schema.js';
import { alarmStateAtOffset } from './alarms.js';
import { durationMs, isRelativeTime, relativeMs } from './time.js';

export interface ScenarioProblem {
  path: string;
  message: string;
}

/** cloudwatch.alarms[0].threshold */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(root)' : out;
}

function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Short messages for the common zod issues ("expected number, received string"). */
function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = valueAt(input, issue.path);
      return got === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected}, received ${typeName(got)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_value':
      if (valueAt(input, issue.path) === undefined) return `required (one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

function valueAt(input: unknown, p: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function checkRelative(problems: ScenarioProblem[], at: string, p: PropertyKey[]): number | undefined {
  try {
    return relativeMs(at);
  } catch {
    problems.push({ path: formatPath(p), message: 'not a relative time' });
    return undefined;
  }
}

/** Cross-field checks on a structurally valid scenario. */
export function consistencyProblems(s: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const add = (p: PropertyKey[], message: string): void => {
    problems.push({ path: formatPath(p), message });
  };

  const alarmNames = new Set<string>();
  s.cloudwatch.alarms.forEach((a, i) => {
    const base = ['cloudwatch', 'alarms', i];
    if (alarmNames.has(a.name)) add([...base, 'name'], `duplicate alarm name ${JSON.stringify(a.name)}`);
    alarmNames.add(a.name);
    dupDimensionNames(a.dimensions).forEach((n) => add([...base, 'dimensions'], `dimension ${n} given twice`));
    let prev: { at: number; to: string } | undefined;
    a.history.forEach((h, j) => {
      const at = relativeMs(h.at);
      if (h.from === h.to) add([...base, 'history', j], `a transition must change the state (${h.from} -> ${h.to})`);
      if (prev) {
        if (at < prev.at) add([...base, 'history', j, 'at'], 'history must be in time order');
        if (h.from !== prev.to) add([...base, 'history', j, 'from'], `is ${h.from} but the previous transition went to ${prev.to}`);
      }
      prev = { at, to: h.to };
    });
    if (a.history.length > 0 && alarmStateAtOffset(a, 0) !== a.state) {
      add([...base, 'state'], `is ${a.state} but the history leaves the alarm in ${alarmStateAtOffset(a, 0)} at 0s`);
    }
    const metric = s.cloudwatch.metrics.find((m) => m.namespace === a.namespace && m.metricName === a.metricName && sameDimensionSet(m.dimensions, a.dimensions));
    if (!metric) add([...base, 'metricName'], `no cloudwatch.metrics entry for ${a.namespace} ${a.metricName} with exactly the alarm's dimensions`);
  });

  s.cloudwatch.metrics.forEach((m, i) => {
    const base = ['cloudwatch', 'metrics', i];
    dupDimensionNames(m.dimensions).forEach((n) => add([...base, 'dimensions'], `dimension ${n} given twice`));
    const dup = s.cloudwatch.metrics.findIndex((o) => o.namespace === m.namespace && o.metricName === m.metricName && sameDimensionSet(o.dimensions, m.dimensions));
    if (dup !== i) add([...base, 'dimensions'], `same metric and dimension set as cloudwatch.metrics[${dup}]`);
    if (m.pattern) {
      const p = m.pattern;
      if (relativeMs(p.from) >= relativeMs(p.to)) add([...base, 'pattern', 'to'], 'must be after from');
      if (p.burstMinutes * 60_000 > durationMs(p.every)) add([...base, 'pattern', 'burstMinutes'], 'bursts would overlap: longer than every');
      if (durationMs(p.every) === 0) add([...base, 'pattern', 'every'], 'must be positive');
    }
    if (m.aggregate) {
      if (m.dimensions.some((d) => d.name === m.aggregate?.over)) add([...base, 'aggregate', 'over'], `${m.aggregate.over} is already one of the dimensions`);
      else if (aggregatedParts(m, s.cloudwatch.metrics).length === 0) add([...base, 'aggregate'], `no series of ${m.metricName} with these dimensions plus ${m.aggregate.over}`);
    }
  });

  const seen = new Map<string, number>();
  s.kubernetes.objects.forEach((o, i) => {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const first = seen.get(key);
    if (first !== undefined) add(['kubernetes', 'objects', i, 'metadata', 'name'], `duplicate ${o.kind} ${o.metadata.name} (also kubernetes.objects[${first}])`);
    else seen.set(key, i);
    walkTimes(o, ['kubernetes', 'objects', i], problems);
  });

  s.prometheus.series.forEach((ser, i) => {
    const base = ['prometheus', 'series', i];
    if (durationMs(ser.step) === 0) add([...base, 'step'], 'must be positive');
    let prevAt: number | undefined;
    ser.points.forEach((p, j) => {
      const at = relativeMs(p.at);
      if (prevAt !== undefined && at <= prevAt) add([...base, 'points', j, 'at'], 'points must be in strictly increasing time order');
      prevAt = at;
    });
    if (ser.pattern) {
      if (relativeMs(ser.pattern.from) >= relativeMs(ser.pattern.to)) add([...base, 'pattern', 'to'], 'must be after from');
      if (durationMs(ser.pattern.every) === 0) add([...base, 'pattern', 'every'], 'must be positive');
    }
    const dup = s.prometheus.series.findIndex((o) => o.metric === ser.metric && sameLabels(o.labels, ser.labels));
    if (dup !== i) add([...base, 'labels'], `same metric and labels as prometheus.series[${dup}]`);
  });

  s.alerts.forEach((a, i) => {
    if (a.source !== 'cloudwatch') return;
    const alarm = s.cloudwatch.alarms.find((x) => x.name === a.alarm);
    if (!alarm) {
      add(['alerts', i, 'alarm'], `no alarm named ${JSON.stringify(a.alarm)} in cloudwatch.alarms`);
      return;
    }
    const state = alarmStateAtOffset(alarm, relativeMs(a.at));
    if (state !== a.state) add(['alerts', i, 'state'], `is ${a.state} but the alarm's history has it ${state} at ${a.at}`);
  });

  if (s.slack) {
    const users = new Set(s.slack.users.map((u) => u.id));
    const groups = new Set(s.slack.usergroups.map((g) => g.id));
    s.slack.usergroups.forEach((g, i) =>
      g.users.forEach((u, j) => {
        if (!users.has(u)) add(['slack', 'usergroups', i, 'users', j], `unknown user ${u}`);
      }),
    );
    s.slack.responders.forEach((r, i) => {
      if (!users.has(r) && !groups.has(r)) add(['slack', 'responders', i], `unknown user or user group ${r}`);
    });
    s.script.forEach((step, i) => {
      if (!users.has(step.user)) add(['script', i, 'user'], `unknown user ${step.user} (not in slack.users)`);
    });
  }
  return problems;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function dupDimensionNames(dims: readonly { name: string }[]): string[] {
  const names = dims.map((d) => d.name);
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/** Time fields inside Kubernetes objects must be relative times or RFC 3339 timestamps. */
function walkTimes(value: unknown, p: PropertyKey[], problems: ScenarioProblem[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkTimes(v, [...p, i], problems));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (KUBERNETES_TIME_FIELDS.has(k) && typeof v === 'string') {
      const looksRelative = /^[+-]?\d/.test(v) && !/^\d{4}-\d{2}-\d{2}T/.test(v);
      if (looksRelative && !isRelativeTime(v)) checkRelative(problems, v, [...p, k]);
      else if (!looksRelative && Number.isNaN(Date.parse(v))) problems.push({ path: formatPath([...p, k]), message: 'expected a relative time (-15m) or an RFC 3339 timestamp' });
    } else walkTimes(v, [...p, k], problems);
  }
}

function fail(name: string, problems: ScenarioProblem[]): never {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
  throw new AppError('bad_request', `scenario ${name} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
    details: { scenario: name, problems },
  });
}

/** Validates an already-parsed document. */
export function validateScenario(doc: unknown, name: string): Scenario {
  const parsed = Scenario.safeParse(doc);
  if (!parsed.success) {
    fail(
      name,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: issueMessage(i, doc) })),
    );
  }
  const problems = consistencyProblems(parsed.data);
  if (problems.length > 0) fail(name, problems);
  return parsed.data;
}

/** Parses YAML or JSON text (JSON is YAML). `name` names the scenario in errors. */
export function parseScenario(text: string, name: string): Scenario {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    fail(
      name,
      doc.errors.map((e) => ({ path: e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(syntax)', message: e.message.split('\n')[0] ?? e.code })),
    );
  }
  return validateScenario(doc.toJS({ maxAliasCount: 1000 }), name);
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError('not_found', `cannot read scenario ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return parseScenario(text, path.basename(file));
}

/** The directory of the scenarios shipped with warroom (found upwards from this module: src/ or dist/src/). */
export function scenariosDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'scenarios');
    if (existsSync(path.join(candidate, 'flapping-alb-target-response-time.yaml'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new AppError('not_found', 'cannot find the shipped scenarios directory');
}

/** Loads a shipped scenario by name (`flapping-alb-target-response-time`) or a path. */
export function loadNamedScenario(nameOrPath: string): Scenario {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.json')) return loadScenario(nameOrPath);
  return loadScenario(path.join(scenariosDir(), `${nameOrPath}.yaml`));
}
