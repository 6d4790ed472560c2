/**
 * The PromQL syntax tree the stand-in evaluates, built from the `@prometheus-io/lezer-promql` parse
 * tree (see ./parse.ts). Only the constructs the stand-in can evaluate have a node here; the others
 * are refused by the parser with an `unsupported` error that names them.
 */

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Prometheus's own names for the types, as they appear in its error messages. */
export const TYPE_NAMES: Record<ValueType, string> = { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' };

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
  /** For =~ and !~: the value anchored as Prometheus anchors it (`^(?:value)$`). */
  re?: RegExp;
}

export interface VectorSelector {
  kind: 'vectorSelector';
  /** The text as written (for messages). */
  text: string;
  matchers: Matcher[];
  offsetMs: number;
}

export interface MatrixSelector {
  kind: 'matrixSelector';
  selector: VectorSelector;
  rangeMs: number;
}

export const ARITHMETIC_OPS = ['+', '-', '*', '/', '%', '^', 'atan2'] as const;
export const COMPARISON_OPS = ['==', '!=', '>', '<', '>=', '<='] as const;
export const SET_OPS = ['and', 'or', 'unless'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type SetOp = (typeof SET_OPS)[number];
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export const isComparison = (op: BinaryOp): op is ComparisonOp => (COMPARISON_OPS as readonly string[]).includes(op);
export const isSetOp = (op: BinaryOp): op is SetOp => (SET_OPS as readonly string[]).includes(op);

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** true: `on(labels)`; false: `ignoring(labels)` (no modifier: ignoring nothing). */
  on: boolean;
  labels: string[];
  /** Labels of group_left/group_right, taken from the "one" side. */
  include: string[];
}

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Set when both sides are instant vectors. */
  matching?: VectorMatching;
}

export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'quantile'] as const;
export type AggregationOp = (typeof AGGREGATIONS)[number];

export interface AggregateExpr {
  kind: 'aggregate';
  op: AggregationOp;
  without: boolean;
  grouping: string[];
  param?: Expr;
  expr: Expr;
}

export interface Call {
  kind: 'call';
  fn: string;
  args: Expr[];
}

export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | VectorSelector
  | MatrixSelector
  | Call
  | AggregateExpr
  | BinaryExpr
  | { kind: 'unary'; negate: boolean; expr: Expr }
  | { kind: 'paren'; expr: Expr };

export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
      return 'vector';
    case 'matrixSelector':
      return 'matrix';
    case 'call':
      return FUNCTIONS[e.fn]?.returns ?? 'vector';
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}

export interface FunctionSignature {
  args: ValueType[];
  /** How many trailing arguments may be left out. */
  optional?: number;
  returns: ValueType;
}

/** The functions the stand-in evaluates, with Prometheus's signatures. */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  rate: { args: ['matrix'], returns: 'vector' },
  irate: { args: ['matrix'], returns: 'vector' },
  increase: { args: ['matrix'], returns: 'vector' },
  delta: { args: ['matrix'], returns: 'vector' },
  idelta: { args: ['matrix'], returns: 'vector' },
  avg_over_time: { args: ['matrix'], returns: 'vector' },
  min_over_time: { args: ['matrix'], returns: 'vector' },
  max_over_time: { args: ['matrix'], returns: 'vector' },
  sum_over_time: { args: ['matrix'], returns: 'vector' },
  count_over_time: { args: ['matrix'], returns: 'vector' },
  last_over_time: { args: ['matrix'], returns: 'vector' },
  present_over_time: { args: ['matrix'], returns: 'vector' },
  quantile_over_time: { args: ['scalar', 'matrix'], returns: 'vector' },
  abs: { args: ['vector'], returns: 'vector' },
  ceil: { args: ['vector'], returns: 'vector' },
  floor: { args: ['vector'], returns: 'vector' },
  sqrt: { args: ['vector'], returns: 'vector' },
  exp: { args: ['vector'], returns: 'vector' },
  ln: { args: ['vector'], returns: 'vector' },
  log2: { args: ['vector'], returns: 'vector' },
  log10: { args: ['vector'], returns: 'vector' },
  clamp: { args: ['vector', 'scalar', 'scalar'], returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  vector: { args: ['scalar'], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
};
