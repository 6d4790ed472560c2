/**
 * PromQL text -> the stand-in's syntax tree (./ast.ts). The grammar is Prometheus's own
 * `@prometheus-io/lezer-promql` (the one its web UI uses); this module walks that tree, refuses what
 * the grammar accepts but Prometheus 2.x does not (durations without a unit, quoted label names...),
 * applies the type checks of Prometheus's parser (checkAST: argument types and counts, BOOL between
 * scalars, vector matching only between vectors...) and refuses, naming it, every construct the
 * stand-in cannot evaluate (subqueries, `@`, topk, histogram functions...): a query either gets
 * the answer Prometheus would give or a clear error, never a silently different answer.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import {
  AGGREGATIONS,
  FUNCTIONS,
  TYPE_NAMES,
  isComparison,
  isSetOp,
  typeOf,
  type AggregateExpr,
  type AggregationOp,
  type BinaryOp,
  type Cardinality,
  type Expr,
  type MatchType,
  type Matcher,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';

import { PromQLError } from './parse-error.js';
import { re2ToRegExp } from './regex.js';

export { PromQLError, type PromQLErrorKind } from './parse-error.js';

const SUPPORTED =
  'the stand-in evaluates selectors (with offset), rate/irate/increase/delta/idelta, *_over_time, sum/avg/min/max/count/group/stddev/stdvar/quantile by/without, ' +
  'arithmetic, comparison and set operators with on/ignoring/group_left/group_right, and abs/ceil/floor/sqrt/exp/ln/log2/log10/clamp*/scalar/vector/time; ' +
  'install the real Prometheus (apt-get install prometheus) for the rest';

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Add: '+',
  Sub: '-',
  Atan2: 'atan2',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const MATCH_OPS: Readonly<Record<string, MatchType>> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `line:col: ` of a character offset, as Prometheus's parser prefixes its messages. */
function position(input: string, pos: number): string {
  const before = input.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${col}`;
}

const UNIT_MS: Readonly<Record<string, number>> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Prometheus's duration syntax (model.ParseDuration): units in descending order, each at most once; undefined when invalid. */
export function parseDurationMs(s: string): number | undefined {
  if (s === '0') return 0;
  const m = DURATION.exec(s);
  if (!m || s === '') return undefined;
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let ms = 0;
  units.forEach((u, i) => {
    const n = m[i + 1];
    if (n !== undefined) ms += Number(n) * (UNIT_MS[u] ?? 0);
  });
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A PromQL number literal (Go's ParseInt base 0, then ParseFloat): 1, 1.5e3, 0x1f, 017 (octal), Inf, NaN. */
export function parseNumberLiteral(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = Number.parseInt(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) v = Number.parseInt(s.slice(1), 8);
  else if (/^(inf|infinity)$/i.test(s)) v = Number.POSITIVE_INFINITY;
  else if (/^nan$/i.test(s)) v = Number.NaN;
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) v = Number(s);
  else return undefined;
  return sign * v;
}

/** A Go-quoted string literal ("..." or '...' with escapes, `...` raw) -> its value; undefined when invalid. */
export function unquote(lit: string): string | undefined {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) return undefined;
  const body = lit.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body;
  if (q !== '"' && q !== "'") return undefined;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '\n') return undefined;
    if (c === q) return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e === undefined) return undefined;
    if (simple[e] !== undefined) out += simple[e];
    else if (e === q) out += e;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (e === 'x') out += Buffer.from([code]).toString('latin1');
      else if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) return undefined;
      else out += String.fromCodePoint(code);
      i += len;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else return undefined;
  }
  return out;
}

class Builder {
  constructor(private readonly input: string) {}

  text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  fail(n: SyntaxNode | number, message: string): never {
    const pos = typeof n === 'number' ? n : n.from;
    throw new PromQLError('parse', `${position(this.input, pos)}: parse error: ${message}`);
  }

  unsupported(n: SyntaxNode, what: string): never {
    const snippet = this.text(n);
    const shown = snippet.length > 80 ? `${snippet.slice(0, 77)}...` : snippet;
    throw new PromQLError('unsupported', `${position(this.input, n.from)}: not supported by the sandbox's Prometheus stand-in: ${what} in ${JSON.stringify(shown)} (${SUPPORTED})`);
  }

  children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  child(n: SyntaxNode, name: string): SyntaxNode | undefined {
    return this.children(n).find((c) => c.name === name);
  }

  stringLiteral(n: SyntaxNode): string {
    const v = unquote(this.text(n));
    if (v === undefined) this.fail(n, `invalid string literal ${this.text(n)}`);
    return v;
  }

  duration(n: SyntaxNode | undefined, what: string): number {
    if (!n) return this.fail(this.input.length, `missing ${what}`);
    const kids = this.children(n);
    if (kids.length !== 1 || kids[0]?.name !== 'NumberDurationLiteralInDurationContext') {
      if (kids[0]?.name === 'UnaryOp') this.unsupported(n, `a negative ${what} (Prometheus 2.x refuses it without --enable-feature=promql-negative-offset)`);
      this.unsupported(n, `a computed ${what} (duration expressions)`);
    }
    const text = this.text(n);
    const ms = parseDurationMs(text);
    if (ms === undefined) this.fail(n, `not a valid duration string: ${JSON.stringify(text)}`);
    if (ms <= 0) this.fail(n, 'duration must be greater than 0');
    return ms;
  }

  labelName(n: SyntaxNode): string {
    if (n.name === 'QuotedLabelName') this.unsupported(n, 'a quoted (UTF-8) label name');
    return this.text(n);
  }

  grouping(n: SyntaxNode): string[] {
    return this.children(n).map((c) => this.labelName(c));
  }

  expr(n: SyntaxNode): Expr {
    if (n.type.isError) this.syntaxError(n);
    switch (n.name) {
      case 'NumberDurationLiteral': {
        const v = parseNumberLiteral(this.text(n));
        if (v === undefined) {
          if (/^[+-]?[\d.]+[a-z]/i.test(this.text(n))) this.fail(n, `unexpected duration ${JSON.stringify(this.text(n))}`);
          this.fail(n, `bad number ${JSON.stringify(this.text(n))}`);
        }
        return { kind: 'number', value: v };
      }
      case 'StringLiteral':
        return { kind: 'string', value: this.stringLiteral(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector': {
        const [sel, dur] = this.children(n);
        if (!sel || sel.name !== 'VectorSelector') {
          if (sel) this.fail(sel, 'ranges only allowed for vector selectors');
          this.fail(n, 'ranges only allowed for vector selectors');
        }
        const rangeMs = this.duration(dur, 'range');
        return { kind: 'matrixSelector', selector: this.vectorSelector(sel), rangeMs };
      }
      case 'OffsetExpr': {
        const kids = this.children(n);
        const target = kids[0];
        if (!target) this.fail(n, 'missing expression before offset');
        const offsetMs = this.duration(this.child(n, 'OffsetDurationExpr'), 'offset');
        const inner = this.expr(target);
        if (inner.kind === 'vectorSelector') {
          if (inner.offsetMs) this.fail(n, 'offset may not be set multiple times');
          return { ...inner, offsetMs };
        }
        if (inner.kind === 'matrixSelector') {
          if (inner.selector.offsetMs) this.fail(n, 'offset may not be set multiple times');
          return { ...inner, selector: { ...inner.selector, offsetMs } };
        }
        return this.fail(n, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
      }
      case 'SubqueryExpr':
        return this.unsupported(n, 'a subquery');
      case 'StepInvariantExpr':
        return this.unsupported(n, 'the @ modifier');
      case 'ParenExpr': {
        const [inner] = this.children(n);
        if (!inner) this.fail(n, 'empty parentheses');
        return { kind: 'paren', expr: this.expr(inner) };
      }
      case 'UnaryExpr': {
        const [op, inner] = this.children(n);
        if (!op || !inner) this.fail(n, 'incomplete unary expression');
        const e = this.expr(inner);
        const t = typeOf(e);
        if (t !== 'scalar' && t !== 'vector') this.fail(n, 'unary expression only allowed on expressions of type scalar or instant vector');
        const negate = this.text(op) === '-';
        if (e.kind === 'number') return { kind: 'number', value: negate ? -e.value : e.value };
        return { kind: 'unary', negate, expr: e };
      }
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        return this.unsupported(n, `the construct ${n.name}`);
    }
  }

  vectorSelector(n: SyntaxNode): VectorSelector {
    const matchers: Matcher[] = [];
    let name: string | undefined;
    for (const c of this.children(n)) {
      if (c.name === 'Identifier') {
        name = this.text(c);
        matchers.push({ name: '__name__', type: '=', value: name });
      } else if (c.name === 'LabelMatchers') {
        for (const m of this.children(c)) {
          if (m.type.isError) this.syntaxError(m);
          if (m.name !== 'UnquotedLabelMatcher') this.unsupported(m, m.name === 'QuotedLabelName' ? 'a quoted metric name inside braces' : `the label matcher ${m.name}`);
          const [ln, op, lit] = this.children(m);
          if (!ln || !op || !lit) this.fail(m, 'incomplete label matcher');
          const label = this.labelName(ln);
          if (!LABEL_NAME.test(label)) this.fail(ln, `invalid label name ${JSON.stringify(label)}`);
          const type = MATCH_OPS[op.firstChild?.name ?? ''];
          if (!type) this.fail(op, `unexpected matcher ${this.text(op)}`);
          const value = this.stringLiteral(lit);
          if (label === '__name__' && name !== undefined) this.fail(n, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(value)}`);
          matchers.push(this.matcher(lit, label, type, value));
        }
      } else if (c.type.isError) this.syntaxError(c);
      else this.unsupported(c, `the selector part ${c.name}`);
    }
    if (!matchers.some((m) => !matchMatches(m, ''))) this.fail(n, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vectorSelector', text: this.text(n), matchers, offsetMs: 0 };
  }

  matcher(at: SyntaxNode, name: string, type: MatchType, value: string): Matcher {
    if (type === '=' || type === '!=') return { name, type, value };
    return { name, type, value, re: re2ToRegExp(value, position(this.input, at.from)) };
  }

  call(n: SyntaxNode): Expr {
    const id = this.child(n, 'FunctionIdentifier');
    const body = this.child(n, 'FunctionCallBody');
    if (!id || !body) this.fail(n, 'incomplete function call');
    const fn = this.text(id);
    const known = id.firstChild;
    if (!known || known.name === 'Identifier') this.fail(n, `unknown function with name ${JSON.stringify(fn)}`);
    const sig = FUNCTIONS[fn];
    if (!sig) this.unsupported(n, `the function ${fn}()`);
    const argNodes = this.children(body);
    const args = argNodes.map((a) => this.expr(a));
    const min = sig.args.length - (sig.optional ?? 0);
    if (args.length < min || args.length > sig.args.length) {
      this.fail(n, `expected ${sig.args.length} argument(s) in call to ${JSON.stringify(fn)}, got ${args.length}`);
    }
    args.forEach((a, i) => this.expectType(argNodes[i] ?? body, a, sig.args[i] ?? 'vector', `call to function ${JSON.stringify(fn)}`));
    return { kind: 'call', fn, args };
  }

  expectType(at: SyntaxNode, e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want) this.fail(at, `expected type ${TYPE_NAMES[want]} in ${context}, got ${TYPE_NAMES[got]}`);
  }

  aggregate(n: SyntaxNode): AggregateExpr {
    const opNode = this.child(n, 'AggregateOp');
    const body = this.child(n, 'FunctionCallBody');
    if (!opNode || !body) this.fail(n, 'incomplete aggregation');
    const op = this.text(opNode);
    if (!(AGGREGATIONS as readonly string[]).includes(op)) this.unsupported(n, `the aggregation ${op}`);
    const agg = op as AggregationOp;
    const mod = this.child(n, 'AggregateModifier');
    let without = false;
    let grouping: string[] = [];
    if (mod) {
      without = this.child(mod, 'Without') !== undefined;
      const labels = this.child(mod, 'GroupingLabels');
      grouping = labels ? this.grouping(labels) : [];
    }
    const argNodes = this.children(body);
    const args = argNodes.map((a) => this.expr(a));
    const wantArgs = agg === 'quantile' ? 2 : 1;
    if (args.length !== wantArgs) this.fail(n, `wrong number of arguments for aggregate expression provided, expected ${wantArgs}, got ${args.length}`);
    const expr = args[wantArgs - 1] as Expr;
    this.expectType(argNodes[wantArgs - 1] ?? body, expr, 'vector', 'aggregation expression');
    if (agg === 'quantile') {
      const param = args[0] as Expr;
      this.expectType(argNodes[0] ?? body, param, 'scalar', 'aggregation parameter');
      return { kind: 'aggregate', op: agg, without, grouping, param, expr };
    }
    return { kind: 'aggregate', op: agg, without, grouping, expr };
  }

  binary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const lhsNode = kids[0];
    const opNode = kids[1];
    const rhsNode = kids[kids.length - 1];
    if (!lhsNode || !opNode || !rhsNode || kids.length < 3) this.fail(n, 'incomplete binary expression');
    const op = BINARY_OPS[opNode.name];
    if (!op) this.unsupported(opNode, `the operator ${this.text(opNode)}`);
    const returnBool = kids.some((k) => k.name === 'BoolModifier');
    const clause = kids.find((k) => k.name === 'MatchingModifierClause');
    if (kids.some((k) => k.name === 'FillModifier')) this.unsupported(n, 'fill modifiers');

    // lezer folds a sign into a number literal (`-1 ^ 2` is (-1)^2), but in Prometheus unary minus
    // binds less tightly than ^: -(1^2).
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && /^[+-]/.test(this.text(lhsNode))) {
      const text = this.text(lhsNode);
      const abs = parseNumberLiteral(text.slice(1));
      if (abs === undefined) this.fail(lhsNode, `bad number ${JSON.stringify(text)}`);
      const rhs = this.expr(rhsNode);
      const inner = this.checkBinary(n, opNode, { kind: 'number', value: abs }, rhs, op, returnBool, clause);
      if (!text.startsWith('-')) return inner;
      return inner.kind === 'number' ? { kind: 'number', value: -inner.value } : { kind: 'unary', negate: true, expr: inner };
    }
    return this.checkBinary(n, opNode, this.expr(lhsNode), this.expr(rhsNode), op, returnBool, clause);
  }

  checkBinary(n: SyntaxNode, opNode: SyntaxNode, lhs: Expr, rhs: Expr, op: BinaryOp, returnBool: boolean, clause: SyntaxNode | undefined): Expr {
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if (returnBool && !isComparison(op)) this.fail(opNode, 'bool modifier can only be used on comparison operators');
    if (isComparison(op) && !returnBool && lt === 'scalar' && rt === 'scalar') this.fail(opNode, 'comparisons between scalars must use BOOL modifier');
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) this.fail(n, 'binary expression must contain only scalar and instant vector types');
    let matching: VectorMatching | undefined;
    if (clause) {
      const kids = this.children(clause);
      const on = kids.some((k) => k.name === 'On');
      const groups = kids.filter((k) => k.name === 'GroupingLabels');
      const left = kids.some((k) => k.name === 'GroupLeft');
      const right = kids.some((k) => k.name === 'GroupRight');
      const hasOnOrIgnoring = on || kids.some((k) => k.name === 'Ignoring');
      const labels = hasOnOrIgnoring && groups[0] ? this.grouping(groups[0]) : [];
      const includeNode = hasOnOrIgnoring ? groups[1] : groups[0];
      const include = (left || right) && includeNode ? this.grouping(includeNode) : [];
      const card: Cardinality = left ? 'many-to-one' : right ? 'one-to-many' : 'one-to-one';
      matching = { card, on, labels, include };
    } else matching = { card: 'one-to-one', on: false, labels: [], include: [] };
    if (isSetOp(op) && matching.card === 'one-to-one') matching = { ...matching, card: 'many-to-many' };
    if (matching.on) for (const l of matching.labels) if (matching.include.includes(l)) this.fail(opNode, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
    if (lt !== 'vector' || rt !== 'vector') {
      if (clause && matching.labels.length > 0) this.fail(n, 'vector matching only allowed between instant vectors');
      if (clause && (matching.card === 'many-to-one' || matching.card === 'one-to-many')) this.fail(n, 'vector matching only allowed between instant vectors');
      matching = undefined;
    } else if (isSetOp(op) && matching.card !== 'many-to-many') {
      this.fail(n, `no grouping allowed for ${JSON.stringify(op)} operation`);
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(op)) this.fail(n, `set operator ${JSON.stringify(op)} not allowed in binary scalar expression`);
    return { kind: 'binary', op, lhs, rhs, returnBool, ...(matching ? { matching } : {}) };
  }

  syntaxError(n: SyntaxNode): never {
    // `name(` where name is no function: the grammar stops at the parenthesis.
    const call = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(this.input.slice(0, n.from));
    if (call?.[1] && this.input[n.from] === '(') this.fail(call.index, `unknown function with name ${JSON.stringify(call[1])}`);
    if (n.from >= this.input.length) {
      const open = this.input.lastIndexOf('{') > this.input.lastIndexOf('}') ? ' inside braces' : '';
      this.fail(n, `unexpected end of input${open}`);
    }
    const near = this.input.slice(n.from, Math.max(n.to, n.from + 1)).slice(0, 20);
    return this.fail(n, `unexpected ${JSON.stringify(near)}`);
  }
}

function firstError(n: SyntaxNode): SyntaxNode | undefined {
  if (n.type.isError) return n;
  for (let c = n.firstChild; c; c = c.nextSibling) {
    const e = firstError(c);
    if (e) return e;
  }
  return undefined;
}

/** Whether a matcher accepts a label value (a missing label has the value ""). */
export function matchMatches(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.re?.test(value) ?? false;
    case '!~':
      return !(m.re?.test(value) ?? false);
  }
}

/** Parses and type-checks one PromQL expression; throws PromQLError('parse' | 'unsupported'). */
export function parsePromQL(input: string): Expr {
  const b = new Builder(input);
  if (input.replace(/#[^\n]*/g, '').trim() === '') b.fail(0, 'no expression found in input');
  const top = parser.parse(input).topNode;
  const err = firstError(top);
  if (err) b.syntaxError(err);
  const exprs = b.children(top);
  if (exprs.length === 0) b.fail(0, 'no expression found in input');
  if (exprs.length > 1) b.fail(exprs[1] as SyntaxNode, `unexpected ${JSON.stringify(b.text(exprs[1] as SyntaxNode).slice(0, 20))}`);
  return b.expr(exprs[0] as SyntaxNode);
}

/** A series selector for /api/v1/series (match[]): a vector selector, nothing else. */
export function parseSeriesSelector(input: string): VectorSelector {
  const e = parsePromQL(input);
  if (e.kind !== 'vectorSelector') throw new PromQLError('parse', `1:1: parse error: expected type instant vector selector, got ${e.kind}`);
  if (e.offsetMs) throw new PromQLError('parse', '1:1: parse error: a series selector takes no offset');
  return e;
}
