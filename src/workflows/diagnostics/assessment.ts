/**
 * The assessment: hypotheses (causes) ranked by what they explain, each supported, refuted or
 * inconclusive with the findings named; the mitigations the findings propose; one summary line.
 * Deterministic: the same findings in any order give the same assessment.
 *
 * Verdict: a finding weighs by its severity (critical 3, warning 2, info 1, error 0); the net
 * weight = support - refutation; supported above 0, refuted below, inconclusive at 0 (or with no
 * finding).
 *
 * Ranking (the causal model, causes.ts): among the supported causes, those with nothing refuting
 * them come first; then the cause that explains more of the observed symptoms (those its own
 * supporting findings report, and those its declaration says it explains in their scope); then the
 * stronger evidence. `score` encodes exactly that order: 100 x symptoms explained + net weight (up
 * to 99) for an uncontested supported cause, the net weight otherwise. Causes with equal scores at
 * the top are TIED: the assessment lists them in `ties` and says so; the order among them (by id)
 * is only for stable output.
 * A supported cause whose every explained symptom a higher-ranked cause also explains is how that
 * cause shows (`causedBy`), never its rival. Observed symptoms no supported cause explains are
 * `unexplained`; what the diagnosis could not see is `notChecked`.
 */
import { z } from 'zod';
import type { Assessment, Finding, Hypothesis, ProposedMitigation, Symptom, Verdict } from '../../domain/diagnostics.js';
import { HYPOTHESES, HYPOTHESIS_DEFS, explainsSymptom, isHypothesisName, symptomKey } from './causes.js';
import { BECAUSE_FACT, CANNOT_SEE_FACT, PROPOSALS_FACT, mitigationKey, stableStringify } from './types.js';

const WEIGHT: Record<Finding['severity'], number> = { critical: 3, warning: 2, info: 1, error: 0 };
const KIND_ORDER = ['rollback', 'hpa', 'scale', 'restart', 'silence'];
const VERDICT_ORDER: Record<Verdict, number> = { supported: 0, inconclusive: 1, refuted: 2 };
const PREFIX = 'hypothesis:';

const BecauseFact = z.record(z.string(), z.string());
const ProposalsFact = z.array(z.object({ key: z.string(), rationale: z.string(), risk: z.string() }));
const CannotSeeFact = z.array(z.string());
const SkippedFact = z.string();

function because(f: Finding, hypothesisId: string): string {
  const parsed = BecauseFact.safeParse(f.facts[BECAUSE_FACT]);
  return (parsed.success ? parsed.data[hypothesisId] : undefined) ?? f.title;
}

const byWeightThenId = (a: Finding, b: Finding): number => WEIGHT[b.severity] - WEIGHT[a.severity] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Heaviest first, then by id. */
function strongest(fs: Finding[]): Finding | undefined {
  return [...fs].sort(byWeightThenId)[0];
}

const sum = (fs: Finding[]): number => fs.reduce((a, f) => a + WEIGHT[f.severity], 0);

/** One finding per id, chosen independently of input order. */
function normalise(findings: Finding[]): Finding[] {
  const byId = new Map<string, { f: Finding; key: string }>();
  for (const f of findings) {
    const key = stableStringify(f);
    const cur = byId.get(f.id);
    if (!cur || key < cur.key) byId.set(f.id, { f, key });
  }
  return [...byId.values()].map((x) => x.f).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function titleOf(name: string, findings: Finding[]): string {
  const change = findings.find((f) => f.check === 'change-correlation' && typeof f.facts.deployVersion === 'string');
  if (name === 'bad-deploy' && change) return `deploy ${String(change.facts.deployVersion)}`;
  const config = findings.find((f) => typeof f.facts.configChange === 'string');
  if (name === 'config-change' && config) return `config change ${String(config.facts.configChange)}`;
  return isHypothesisName(name) ? HYPOTHESIS_DEFS[name].title : name;
}

interface Observed {
  symptom: Symptom;
  key: string;
}

/** Every symptom the (non-error) findings report, one per key, its text from the strongest finding. */
function observedSymptoms(findings: Finding[]): Map<string, Observed> {
  const out = new Map<string, Observed>();
  for (const f of [...findings].sort(byWeightThenId)) {
    for (const s of f.symptoms ?? []) {
      const key = symptomKey(s);
      if (!out.has(key)) out.set(key, { symptom: s, key });
    }
  }
  return out;
}

interface Scored {
  name: string;
  hypothesis: Hypothesis;
  support: Finding[];
  refutation: Finding[];
  /** Keys of the observed symptoms it explains (own findings' symptoms included). */
  explained: Set<string>;
}

const EXPLAINED_UNIT = 100;

/** The ranking score: uncontested supported causes by symptoms explained, then evidence; the rest by evidence. */
function rankScore(verdict: Verdict, net: number, explained: number, contested: boolean): number {
  if (verdict !== 'supported' || contested) return net;
  return EXPLAINED_UNIT * explained + Math.min(net, EXPLAINED_UNIT - 1);
}

export function assess(incidentId: string, input: Finding[]): Assessment {
  const findings = normalise(input);
  const live = findings.filter((f) => f.severity !== 'error');
  const observed = observedSymptoms(live);
  const names = new Set<string>(HYPOTHESES);
  for (const f of findings) for (const k of Object.keys(f.signals)) if (k.startsWith(PREFIX)) names.add(k.slice(PREFIX.length));

  const scored: Scored[] = [];
  for (const name of [...names].sort()) {
    const id = `${PREFIX}${name}`;
    const sup = live.filter((f) => f.signals[id] === 'supports');
    const ref = live.filter((f) => f.signals[id] === 'refutes');
    const net = sum(sup) - sum(ref);
    const explained = new Set<string>();
    for (const o of observed.values()) if (explainsSymptom(name, o.symptom)) explained.add(o.key);
    for (const f of sup) {
      if ((f.symptoms ?? []).length === 0) explained.add(`finding:${f.id}`);
      for (const s of f.symptoms ?? []) explained.add(symptomKey(s));
    }
    const verdict: Verdict = sup.length === 0 && ref.length === 0 ? 'inconclusive' : net > 0 ? 'supported' : net < 0 ? 'refuted' : 'inconclusive';
    const score = rankScore(verdict, net, explained.size, ref.length > 0);
    const title = titleOf(name, findings);
    let explanation: string;
    if (sup.length === 0 && ref.length === 0) explanation = `${title}: inconclusive, no finding speaks to it`;
    else if (verdict === 'inconclusive') {
      const s = strongest(sup);
      const r = strongest(ref);
      explanation = `${title}: inconclusive, evidence both ways: ${s ? because(s, id) : ''}; but ${r ? because(r, id) : ''}`;
    } else {
      const top = verdict === 'refuted' ? strongest(ref) : strongest(sup);
      const other = verdict === 'refuted' ? strongest(sup) : strongest(ref);
      explanation = `${title}: ${verdict}, ${top ? because(top, id) : ''}`;
      if (other) explanation += `; against it: ${because(other, id)}`;
    }
    const explains = verdict === 'supported' ? [...explained].filter((k) => observed.has(k)).sort().map((k) => observed.get(k)?.symptom.text ?? k) : [];
    scored.push({
      name,
      support: sup,
      refutation: ref,
      explained,
      hypothesis: {
        id,
        title,
        verdict,
        score,
        supportedBy: sup.map((f) => f.id).sort(),
        refutedBy: ref.map((f) => f.id).sort(),
        explanation,
        ...(explains.length > 0 ? { explains } : {}),
      },
    });
  }

  const supported = scored.filter((s) => s.hypothesis.verdict === 'supported').sort((a, b) => b.hypothesis.score - a.hypothesis.score || a.hypothesis.id.localeCompare(b.hypothesis.id));
  const rest = scored
    .filter((s) => s.hypothesis.verdict !== 'supported')
    .sort((a, b) => b.hypothesis.score - a.hypothesis.score || VERDICT_ORDER[a.hypothesis.verdict] - VERDICT_ORDER[b.hypothesis.verdict] || a.hypothesis.id.localeCompare(b.hypothesis.id));

  // Mechanisms: everything a lower-ranked cause explains, a strictly higher-ranked root explains too.
  for (let j = 1; j < supported.length; j++) {
    const low = supported[j];
    if (!low) continue;
    for (let i = 0; i < j; i++) {
      const high = supported[i];
      if (!high || high.hypothesis.causedBy !== undefined) continue;
      if (high.hypothesis.score <= low.hypothesis.score) continue;
      if (low.explained.size > 0 && [...low.explained].every((k) => high.explained.has(k))) {
        low.hypothesis.causedBy = high.hypothesis.id;
        low.hypothesis.explanation += ` (how the ${high.hypothesis.title} shows)`;
        break;
      }
    }
  }
  const first = supported[0];
  const tied = first ? supported.filter((s) => s.hypothesis.score === first.hypothesis.score) : [];
  const ties = tied.length > 1 ? tied.map((s) => s.hypothesis.id) : [];
  for (const s of tied.length > 1 ? tied : []) s.hypothesis.explanation += ` (tied for first with ${tied.filter((t) => t !== s).map((t) => t.hypothesis.title).join(', ')})`;

  const hypotheses = [...supported, ...rest].map((s) => s.hypothesis);
  const verdictOf = new Map(hypotheses.map((h) => [h.id, h]));
  const rankOf = new Map(hypotheses.map((h, i) => [h.id, i]));

  // Unexplained: observed symptoms no supported cause accounts for.
  const explainedByAny = new Set(supported.flatMap((s) => [...s.explained]));
  const unexplained = [...observed.values()].filter((o) => !explainedByAny.has(o.key)).map((o) => o.symptom.text).sort();
  const notChecked = notCheckedOf(findings);

  // Proposals: from the findings, unless everything their finding supports was refuted.
  const merged = new Map<string, { p: ProposedMitigation; rank: number }>();
  for (const f of live) {
    if (f.mitigations.length === 0) continue;
    const backs = Object.entries(f.signals)
      .filter(([, s]) => s === 'supports')
      .map(([h]) => verdictOf.get(h))
      .filter((h): h is Hypothesis => h !== undefined);
    if (backs.length > 0 && backs.every((h) => h.verdict === 'refuted')) continue;
    const rank = Math.min(hypotheses.length, ...backs.filter((h) => h.verdict === 'supported').map((h) => rankOf.get(h.id) ?? hypotheses.length));
    const notes = ProposalsFact.safeParse(f.facts[PROPOSALS_FACT]);
    for (const m of f.mitigations) {
      const key = mitigationKey(m);
      const note = notes.success ? notes.data.find((n) => n.key === key) : undefined;
      const cur = merged.get(key);
      if (cur) {
        cur.p.because = [...new Set([...cur.p.because, f.id])].sort();
        cur.rank = Math.min(cur.rank, rank);
      } else {
        merged.set(key, {
          p: { mitigation: m, because: [f.id], rationale: note?.rationale ?? f.summary, risk: note?.risk ?? 'changes a production object; review the dry-run diff' },
          rank,
        });
      }
    }
  }
  const proposals = [...merged.entries()]
    .sort((a, b) => a[1].rank - b[1].rank || KIND_ORDER.indexOf(a[1].p.mitigation.kind) - KIND_ORDER.indexOf(b[1].p.mitigation.kind) || a[0].localeCompare(b[0]))
    .map(([, v]) => v.p);

  return {
    incidentId,
    hypotheses,
    findings,
    proposals,
    summary: summarise(hypotheses, ties, unexplained, notChecked, proposals, findings),
    ...(ties.length > 0 ? { ties } : {}),
    ...(unexplained.length > 0 ? { unexplained } : {}),
    ...(notChecked.length > 0 ? { notChecked } : {}),
  };
}

/** Checks not configured or failed, and the sources checks said they cannot see. */
function notCheckedOf(findings: Finding[]): string[] {
  const out = new Set<string>();
  for (const f of findings) {
    if (f.severity === 'error') out.add(`${f.check} (failed: ${f.summary})`);
    const skipped = SkippedFact.safeParse(f.facts.skipped);
    if (skipped.success) out.add(`${f.check} (${skipped.data} is not configured)`);
    const blind = CannotSeeFact.safeParse(f.facts[CANNOT_SEE_FACT]);
    if (blind.success) for (const b of blind.data) out.add(b);
  }
  return [...out].sort();
}

function list(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`;
}

function summarise(hypotheses: Hypothesis[], ties: string[], unexplained: string[], notChecked: string[], proposals: ProposedMitigation[], findings: Finding[]): string {
  const supported = hypotheses.filter((h) => h.verdict === 'supported');
  const refuted = hypotheses.filter((h) => h.verdict === 'refuted');
  const errors = findings.filter((f) => f.severity === 'error').length;
  const parts: string[] = [];
  const top = supported[0];
  if (ties.length > 1) {
    const tied = supported.filter((h) => ties.includes(h.id));
    const rest = supported.filter((h) => !ties.includes(h.id)).map((h) => h.title);
    parts.push(`Tied: ${list(tied.map((h) => h.title))} explain the same evidence equally well; no single cause stands out.${rest.length ? ` Also supported: ${rest.join(', ')}.` : ''}`);
  } else if (top) {
    const shows = supported.filter((h) => h.causedBy === top.id).map((h) => h.title);
    const rest = supported.slice(1).filter((h) => h.causedBy !== top.id).map((h) => h.title);
    parts.push(`Most likely: ${top.title}${shows.length ? ` (shows as ${list(shows)})` : ''}${rest.length ? `, with ${rest.join(', ')}` : ''}.`);
  } else parts.push('Inconclusive: no hypothesis is supported.');
  if (refuted.length) parts.push(`Ruled out: ${refuted.map((h) => h.title).join(', ')}.`);
  if (unexplained.length) parts.push(`Unexplained: ${unexplained.join('; ')}.`);
  if (!top && notChecked.length) parts.push(`Not checked: ${notChecked.join('; ')}.`);
  parts.push(proposals.length ? `${proposals.length} mitigation${proposals.length === 1 ? '' : 's'} proposed.` : 'No mitigation proposed.');
  if (errors) parts.push(`${errors} check${errors === 1 ? '' : 's'} failed.`);
  return parts.join(' ');
}
