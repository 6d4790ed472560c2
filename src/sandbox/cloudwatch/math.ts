/**
 * Metric math for GetMetricData `Expression` queries: a parser and evaluator for the forms warroom
 * and people at a terminal send. Supported: numbers, query ids, `+ - * / ^`, unary minus,
 * parentheses, array literals `[m1, m2]`, and the functions FILL(x, value | REPEAT | LINEAR),
 * SUM, AVG, MIN, MAX (of an array: a time series; of a time series: a number), METRICS() and
 * METRICS('id-substring'), ABS, CEIL, FLOOR.
 *
 * Semantics, as CloudWatch documents them: arithmetic between two time series is computed at the
 * timestamps both have (a datapoint missing on either side stays missing; FILL fills it); a result
 * that is not a finite number (division by zero) is no datapoint, never zero or Infinity.
 * Anything else (SEARCH, IF, comparisons, ANOMALY_DETECTION_BAND, RATE, DIFF...) is refused with an
 * ExpressionError marked `unsupported`; docs/sandbox.md lists what is answered.
 */

/** timestamp (epoch ms) -> value */
export type Points = Map<number, number>;
export interface NamedPoints {
  id: string;
  points: Points;
}
export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; points: Points } | { kind: 'array'; items: NamedPoints[] };

export class ExpressionError extends Error {
  /** True: valid CloudWatch metric math that the emulator does not evaluate. */
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.unsupported = unsupported;
  }
}

export type MathNode =
  | { t: 'num'; value: number }
  | { t: 'str'; value: string }
  | { t: 'id'; name: string }
  | { t: 'keyword'; name: 'REPEAT' | 'LINEAR' }
  | { t: 'neg'; e: MathNode }
  | { t: 'bin'; op: '+' | '-' | '*' | '/' | '^'; l: MathNode; r: MathNode }
  | { t: 'call'; fn: string; args: MathNode[] }
  | { t: 'list'; items: MathNode[] };

type Token = { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'name'; v: string } | { k: 'op'; v: string };

const IMPLEMENTED = new Set(['FILL', 'SUM', 'AVG', 'MIN', 'MAX', 'METRICS', 'ABS', 'CEIL', 'FLOOR']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) {
      out.push({ k: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (name) {
      out.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionError(`unterminated string at position ${i + 1}`);
      out.push({ k: 'str', v: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if ('+-*/^()[],'.includes(c)) {
      out.push({ k: 'op', v: c });
      i++;
      continue;
    }
    if ('<>=!&|'.includes(c)) throw new ExpressionError(`comparison and logical operators ('${c}') are not supported by the warroom CloudWatch emulator`, true);
    throw new ExpressionError(`unexpected character '${c}' at position ${i + 1}`);
  }
  return out;
}

/** Parses a metric math expression. Throws ExpressionError. */
export function parseExpression(text: string): MathNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t?.k === 'op' && t.v === v;
  };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}'${peek() ? '' : ' before the end of the expression'}`);
    pos++;
  };
  const list = (close: string): MathNode[] => {
    const items: MathNode[] = [];
    if (isOp(close)) {
      pos++;
      return items;
    }
    for (;;) {
      items.push(sum());
      if (isOp(',')) {
        pos++;
        continue;
      }
      expect(close);
      return items;
    }
  };
  const primary = (): MathNode => {
    const t = peek();
    if (!t) throw new ExpressionError('unexpected end of the expression');
    pos++;
    if (t.k === 'num') return { t: 'num', value: t.v };
    if (t.k === 'str') return { t: 'str', value: t.v };
    if (t.k === 'op' && t.v === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t.k === 'op' && t.v === '[') return { t: 'list', items: list(']') };
    if (t.k === 'name') {
      if (isOp('(')) {
        pos++;
        const fn = t.v;
        if (!IMPLEMENTED.has(fn)) {
          throw new ExpressionError(/^[A-Z_]+$/.test(fn) ? `the function ${fn} is not supported by the warroom CloudWatch emulator` : `unknown function ${fn}`, /^[A-Z_]+$/.test(fn));
        }
        return { t: 'call', fn, args: list(')') };
      }
      if (t.v === 'REPEAT' || t.v === 'LINEAR') return { t: 'keyword', name: t.v };
      if (!/^[a-z]/.test(t.v)) throw new ExpressionError(`'${t.v}' is not a metric id (ids start with a lowercase letter)`);
      return { t: 'id', name: t.v };
    }
    throw new ExpressionError(`unexpected '${t.v}'`);
  };
  const unary = (): MathNode => {
    if (isOp('-')) {
      pos++;
      return { t: 'neg', e: unary() };
    }
    if (isOp('+')) {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): MathNode => {
    const base = primary();
    if (isOp('^')) {
      pos++;
      return { t: 'bin', op: '^', l: base, r: unary() };
    }
    return base;
  };
  const product = (): MathNode => {
    let l = unary();
    while (isOp('*') || isOp('/')) {
      const op = (peek() as { v: '*' | '/' }).v;
      pos++;
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const sum = (): MathNode => {
    let l = product();
    while (isOp('+') || isOp('-')) {
      const op = (peek() as { v: '+' | '-' }).v;
      pos++;
      l = { t: 'bin', op, l, r: product() };
    }
    return l;
  };
  const root = sum();
  if (pos < tokens.length) throw new ExpressionError(`unexpected '${String(tokens[pos]?.v)}' after the end of the expression`);
  return root;
}

/** The query ids an expression reads (METRICS() reads every metric query: reported as usesMetrics). */
export function references(node: MathNode): { ids: Set<string>; usesMetrics: boolean } {
  const ids = new Set<string>();
  let usesMetrics = false;
  const walk = (n: MathNode): void => {
    if (n.t === 'id') ids.add(n.name);
    else if (n.t === 'neg') walk(n.e);
    else if (n.t === 'bin') {
      walk(n.l);
      walk(n.r);
    } else if (n.t === 'call') {
      if (n.fn === 'METRICS') usesMetrics = true;
      n.args.forEach(walk);
    } else if (n.t === 'list') n.items.forEach(walk);
  };
  walk(node);
  return { ids, usesMetrics };
}

export interface MathEnv {
  /** The value of another query of the request. */
  lookup(id: string): MathValue;
  /** The metric (MetricStat) queries whose id contains `filter` (all without one), in request order. */
  metrics(filter?: string): NamedPoints[];
  /** The period timestamps of the query range at the expression's period (what FILL fills). */
  grid: number[];
}

const ARITH: Record<'+' | '-' | '*' | '/' | '^', (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
};

function mapPoints(p: Points, f: (v: number) => number): Points {
  const out: Points = new Map();
  for (const [t, v] of p) {
    const r = f(v);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return out;
}

function elementwise(v: MathValue, f: (x: number) => number): MathValue {
  if (v.kind === 'scalar') return { kind: 'scalar', value: f(v.value) };
  if (v.kind === 'series') return { kind: 'series', points: mapPoints(v.points, f) };
  return { kind: 'array', items: v.items.map((i) => ({ id: i.id, points: mapPoints(i.points, f) })) };
}

function binary(op: keyof typeof ARITH, a: MathValue, b: MathValue): MathValue {
  const f = ARITH[op];
  if (a.kind === 'array' && b.kind === 'array') throw new ExpressionError('arithmetic between two arrays of time series is not supported by the warroom CloudWatch emulator', true);
  if (a.kind === 'array') return { kind: 'array', items: a.items.map((i) => ({ id: i.id, points: seriesOf(binary(op, { kind: 'series', points: i.points }, b)) })) };
  if (b.kind === 'array') return { kind: 'array', items: b.items.map((i) => ({ id: i.id, points: seriesOf(binary(op, a, { kind: 'series', points: i.points })) })) };
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: f(a.value, b.value) };
  if (a.kind === 'scalar' && b.kind === 'series') return { kind: 'series', points: mapPoints(b.points, (v) => f(a.value, v)) };
  if (a.kind === 'series' && b.kind === 'scalar') return { kind: 'series', points: mapPoints(a.points, (v) => f(v, b.value)) };
  if (a.kind === 'series' && b.kind === 'series') {
    const out: Points = new Map();
    for (const [t, v] of a.points) {
      const w = b.points.get(t);
      if (w === undefined) continue;
      const r = f(v, w);
      if (Number.isFinite(r)) out.set(t, r);
    }
    return { kind: 'series', points: out };
  }
  throw new ExpressionError('unsupported operands');
}

function seriesOf(v: MathValue): Points {
  if (v.kind !== 'series') throw new ExpressionError('expected a time series');
  return v.points;
}

function fill(p: Points, how: number | 'REPEAT' | 'LINEAR', grid: readonly number[]): Points {
  const out: Points = new Map(p);
  const known = grid.filter((t) => p.has(t));
  grid.forEach((t) => {
    if (out.has(t)) return;
    if (typeof how === 'number') {
      out.set(t, how);
      return;
    }
    const before = [...known].reverse().find((k) => k < t);
    const after = known.find((k) => k > t);
    if (how === 'REPEAT') {
      if (before !== undefined) out.set(t, p.get(before) as number);
    } else if (before !== undefined && after !== undefined) {
      const a = p.get(before) as number;
      const b = p.get(after) as number;
      out.set(t, a + ((b - a) * (t - before)) / (after - before));
    }
  });
  return new Map([...out.entries()].sort((x, y) => x[0] - y[0]));
}

const REDUCE: Record<'SUM' | 'AVG' | 'MIN' | 'MAX', (xs: number[]) => number> = {
  SUM: (xs) => xs.reduce((a, b) => a + b, 0),
  AVG: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  MIN: (xs) => Math.min(...xs),
  MAX: (xs) => Math.max(...xs),
};

function reduce(fn: keyof typeof REDUCE, v: MathValue): MathValue {
  const r = REDUCE[fn];
  if (v.kind === 'series') {
    const xs = [...v.points.values()];
    return { kind: 'scalar', value: xs.length === 0 ? Number.NaN : r(xs) };
  }
  if (v.kind === 'array') {
    const times = [...new Set(v.items.flatMap((i) => [...i.points.keys()]))].sort((a, b) => a - b);
    const out: Points = new Map();
    for (const t of times) {
      const xs = v.items.map((i) => i.points.get(t)).filter((x): x is number => x !== undefined);
      const value = r(xs);
      if (Number.isFinite(value)) out.set(t, value);
    }
    return { kind: 'series', points: out };
  }
  throw new ExpressionError(`${fn} takes a time series or an array of time series`);
}

/** Evaluates a parsed expression. Throws ExpressionError. */
export function evaluate(node: MathNode, env: MathEnv): MathValue {
  const ev = (n: MathNode): MathValue => evaluate(n, env);
  switch (node.t) {
    case 'num':
      return { kind: 'scalar', value: node.value };
    case 'str':
      throw new ExpressionError(`a string ('${node.value}') is only valid as the argument of METRICS`);
    case 'keyword':
      throw new ExpressionError(`${node.name} is only valid as the second argument of FILL`);
    case 'id':
      return env.lookup(node.name);
    case 'neg':
      return elementwise(ev(node.e), (x) => -x);
    case 'bin':
      return binary(node.op, ev(node.l), ev(node.r));
    case 'list': {
      const items: NamedPoints[] = [];
      node.items.forEach((item, i) => {
        const v = ev(item);
        if (v.kind === 'array') items.push(...v.items);
        else if (v.kind === 'series') items.push({ id: item.t === 'id' ? item.name : `item${i + 1}`, points: v.points });
        else throw new ExpressionError('an array holds time series, not numbers');
      });
      return { kind: 'array', items };
    }
    case 'call': {
      const args = node.args;
      const arity = (n: number, m = n): void => {
        if (args.length < n || args.length > m) throw new ExpressionError(`${node.fn} takes ${n === m ? n : `${n} to ${m}`} argument${m === 1 ? '' : 's'}, not ${args.length}`);
      };
      switch (node.fn) {
        case 'METRICS': {
          arity(0, 1);
          const filter = args[0];
          if (filter && filter.t !== 'str') throw new ExpressionError('METRICS takes a string');
          return { kind: 'array', items: env.metrics(filter?.t === 'str' ? filter.value : undefined) };
        }
        case 'FILL': {
          arity(2);
          const target = ev(args[0] as MathNode);
          const how = args[1] as MathNode;
          const with_ = how.t === 'keyword' ? how.name : ev(how);
          if (typeof with_ !== 'string' && with_.kind !== 'scalar') throw new ExpressionError('the second argument of FILL is a number, REPEAT or LINEAR');
          const value = typeof with_ === 'string' ? with_ : with_.value;
          if (target.kind === 'series') return { kind: 'series', points: fill(target.points, value, env.grid) };
          if (target.kind === 'array') return { kind: 'array', items: target.items.map((i) => ({ id: i.id, points: fill(i.points, value, env.grid) })) };
          throw new ExpressionError('FILL takes a time series or an array of time series');
        }
        case 'SUM':
        case 'AVG':
        case 'MIN':
        case 'MAX':
          arity(1);
          return reduce(node.fn, ev(args[0] as MathNode));
        case 'ABS':
          arity(1);
          return elementwise(ev(args[0] as MathNode), Math.abs);
        case 'CEIL':
          arity(1);
          return elementwise(ev(args[0] as MathNode), Math.ceil);
        case 'FLOOR':
          arity(1);
          return elementwise(ev(args[0] as MathNode), Math.floor);
        default:
          throw new ExpressionError(`the function ${node.fn} is not supported by the warroom CloudWatch emulator`, true);
      }
    }
  }
}
