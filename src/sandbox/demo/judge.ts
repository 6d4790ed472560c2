/**
 * Judges a played scenario's diagnosis against what the scenario expects (`expect`): the top
 * hypothesis (alone: a tie is not an answer; `inconclusive` means nothing may be supported), the
 * hypotheses it must refute, what the assessment must mention, and the mitigations: exactly the
 * expected ones (`none`: no mitigation at all; one nobody expected is a mismatch too, since a
 * proposal the world makes pointless is the failure this guards against).
 */
import type { Assessment, Mitigation } from '../../domain/diagnostics.js';
import { INCONCLUSIVE, expectedProposals, type Expectation, type ProposalRef } from '../scenario/schema.js';

export interface Judgement {
  ok: boolean;
  /** One line per expectation: `ok …` or `MISMATCH …` with expected and got. */
  lines: string[];
}

const PREFIX = 'hypothesis:';
const bare = (id: string): string => (id.startsWith(PREFIX) ? id.slice(PREFIX.length) : id);

/** Does a mitigation match a scenario's proposal reference (kind, and namespace / name when given)? */
export function mitigationMatches(m: Mitigation, ref: ProposalRef | undefined): boolean {
  if (!ref) return true;
  if (m.kind !== ref.kind) return false;
  if (m.kind === 'silence') return ref.namespace === undefined && ref.deployment === undefined && ref.name === undefined;
  if (ref.namespace !== undefined && m.namespace !== ref.namespace) return false;
  const name = m.kind === 'hpa' ? m.name : m.deployment;
  if (ref.deployment !== undefined && name !== ref.deployment) return false;
  if (ref.name !== undefined && name !== ref.name) return false;
  return true;
}

export function describeRef(ref: ProposalRef): string {
  const name = ref.deployment ?? ref.name;
  return `${ref.kind}${ref.namespace || name ? ` ${ref.namespace ?? '*'}/${name ?? '*'}` : ''}`;
}

function describeMitigation(m: Mitigation): string {
  if (m.kind === 'silence') return `silence ${JSON.stringify(m.matchers)}`;
  const { kind, namespace, ...rest } = m;
  const name = 'name' in rest ? rest.name : 'deployment' in rest ? rest.deployment : '';
  const params = Object.entries(rest).filter(([k]) => k !== 'name' && k !== 'deployment');
  return `${kind} ${namespace}/${name}${params.length ? ` ${JSON.stringify(Object.fromEntries(params))}` : ''}`;
}

export function judge(expect: Expectation, assessment: Assessment | undefined): Judgement {
  const lines: string[] = [];
  let ok = true;
  const mismatch = (text: string): void => {
    ok = false;
    lines.push(`MISMATCH ${text}`);
  };
  if (!assessment) {
    mismatch('no assessment was posted');
    return { ok, lines };
  }
  const supported = assessment.hypotheses.filter((h) => h.verdict === 'supported');
  const top = supported[0];
  const ties = assessment.ties ?? [];
  const got = ties.length > 1 ? `a tie between ${ties.map(bare).join(' and ')}` : top ? `${bare(top.id)} (score ${top.score})` : 'inconclusive (nothing supported)';
  if (expect.topHypothesis === INCONCLUSIVE) {
    if (top) mismatch(`top hypothesis: expected inconclusive (nothing supported), got ${got}`);
    else lines.push(`ok top hypothesis: inconclusive${assessment.notChecked?.length ? ` (not checked: ${assessment.notChecked.join('; ')})` : ''}`);
  } else if (ties.length > 1 || !top || bare(top.id) !== expect.topHypothesis) {
    mismatch(`top hypothesis: expected ${expect.topHypothesis}, got ${got}`);
  } else lines.push(`ok top hypothesis: ${expect.topHypothesis}`);

  for (const id of expect.refuted) {
    const h = assessment.hypotheses.find((x) => bare(x.id) === id);
    if (h?.verdict === 'refuted') lines.push(`ok refuted: ${id}`);
    else mismatch(`refuted: expected ${id} refuted, got ${h ? h.verdict : 'no such hypothesis'}${h ? ` (${h.explanation})` : ''}`);
  }

  const text = JSON.stringify(assessment);
  const missing = expect.mustInclude.filter((s) => !text.includes(s));
  if (missing.length) mismatch(`must include: ${missing.map((s) => JSON.stringify(s)).join(', ')} not in the assessment`);
  else if (expect.mustInclude.length) lines.push(`ok must include: ${expect.mustInclude.length} item(s)`);

  const wanted = expectedProposals(expect);
  const proposed = assessment.proposals.map((p) => p.mitigation);
  for (const ref of wanted) {
    if (proposed.some((m) => mitigationMatches(m, ref))) lines.push(`ok proposal: ${describeRef(ref)}`);
    else mismatch(`proposal: expected ${describeRef(ref)}, got ${proposed.length ? proposed.map(describeMitigation).join('; ') : 'none'}`);
  }
  const unexpected = proposed.filter((m) => !wanted.some((ref) => mitigationMatches(m, ref)));
  for (const m of unexpected) mismatch(`proposal: unexpected ${describeMitigation(m)}${wanted.length ? '' : ' (expected none)'}`);
  if (wanted.length === 0 && unexpected.length === 0) lines.push('ok proposal: none');
  return { ok, lines };
}
