/**
 * The assessment: hypotheses ranked by the findings' signals, each supported, refuted or
 * inconclusive with the findings named; the mitigations the findings propose; one summary line.
 * Deterministic: the same findings in any order give the same assessment.
 *
 * Scoring: a finding weighs by its severity (critical 3, warning 2, info 1, error 0); score =
 * support - refutation. Two refinements, both from the seed investigation:
 * - corroboration: a process-model ceiling is a fleet-wide, per-pod saturation of one service, so
 *   once a plateau supports it, "one target group stands out" (shared LB refuted) and "CPU even
 *   across pods" (imbalance refuted) corroborate it (weight 1 each);
 * - root over mechanism: when a bad deploy and an OOM crash loop are both supported, the deploy
 *   ranks first (+1): the crash loop is how the bad deploy shows.
 */
import { z } from 'zod';
import type { Assessment, Finding, Hypothesis, ProposedMitigation, Verdict } from '../../domain/diagnostics.js';
import { BECAUSE_FACT, HYPOTHESES, PROPOSALS_FACT, hyp, mitigationKey, stableStringify, type HypothesisName } from './types.js';

const WEIGHT: Record<Finding['severity'], number> = { critical: 3, warning: 2, info: 1, error: 0 };
const CORROBORATION_WEIGHT = 1;
const ROOT_BONUS = 1;

const TITLES: Record<HypothesisName, string> = {
  'bad-deploy': 'bad deploy',
  'load-imbalance': 'load imbalance',
  'low-traffic-artifact': 'low-traffic artifact',
  'shared-lb': 'shared load balancer / ingress',
  'process-model-ceiling': 'process-model ceiling (one worker, one core)',
  'hpa-never-scales': 'HPA never scales',
  'capacity-ceiling': 'capacity ceiling (HPA at max)',
  'cpu-throttling': 'CPU throttling',
  'oom-crashloop': 'OOM crash loop',
  'node-pressure': 'node pressure',
};

/** hypothesis -> findings that corroborate it (by the signal they give another hypothesis), once it has direct support. */
const CORROBORATES: Partial<Record<HypothesisName, [HypothesisName, 'supports' | 'refutes'][]>> = {
  'process-model-ceiling': [
    ['shared-lb', 'refutes'],
    ['load-imbalance', 'refutes'],
  ],
};

/** [root, mechanism]: when both are supported, the root ranks first. */
const ROOT_OF: [HypothesisName, HypothesisName][] = [['bad-deploy', 'oom-crashloop']];

const KIND_ORDER = ['rollback', 'hpa', 'scale', 'restart', 'silence'];
const VERDICT_ORDER: Record<Verdict, number> = { supported: 0, inconclusive: 1, refuted: 2 };

const BecauseFact = z.record(z.string(), z.string());
const ProposalsFact = z.array(z.object({ key: z.string(), rationale: z.string(), risk: z.string() }));

function because(f: Finding, hypothesisId: string): string {
  const parsed = BecauseFact.safeParse(f.facts[BECAUSE_FACT]);
  return (parsed.success ? parsed.data[hypothesisId] : undefined) ?? f.title;
}

/** Heaviest first, then by id. */
function strongest(fs: Finding[]): Finding | undefined {
  return [...fs].sort((a, b) => WEIGHT[b.severity] - WEIGHT[a.severity] || a.id.localeCompare(b.id))[0];
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
  if (name === 'bad-deploy') {
    const cc = findings.find((f) => f.check === 'change-correlation' && typeof f.facts.deployVersion === 'string');
    if (cc) return `deploy ${String(cc.facts.deployVersion)}`;
  }
  return (TITLES as Record<string, string>)[name] ?? name;
}

interface Scored {
  name: string;
  hypothesis: Hypothesis;
}

export function assess(incidentId: string, input: Finding[]): Assessment {
  const findings = normalise(input);
  const names = new Set<string>(HYPOTHESES);
  for (const f of findings) for (const k of Object.keys(f.signals)) if (k.startsWith('hypothesis:')) names.add(k.slice('hypothesis:'.length));

  const supportOf = (name: string): Finding[] => findings.filter((f) => f.signals[`hypothesis:${name}`] === 'supports');
  const refuteOf = (name: string): Finding[] => findings.filter((f) => f.signals[`hypothesis:${name}`] === 'refutes');

  const scored: Scored[] = [];
  for (const name of [...names].sort()) {
    const id = `hypothesis:${name}`;
    const sup = supportOf(name);
    const ref = refuteOf(name);
    let score = sum(sup) - sum(ref);
    const corroborating: { f: Finding; via: HypothesisName }[] = [];
    if (sup.length > 0) {
      for (const [other, signal] of CORROBORATES[name as HypothesisName] ?? []) {
        for (const f of findings) {
          if (f.signals[hyp(other)] === signal && !sup.includes(f) && !corroborating.some((c) => c.f === f)) corroborating.push({ f, via: other });
        }
      }
      score += CORROBORATION_WEIGHT * corroborating.length;
    }
    const verdict: Verdict = score > 0 ? 'supported' : score < 0 ? 'refuted' : 'inconclusive';
    const title = titleOf(name, findings);
    let explanation: string;
    const top = verdict === 'refuted' ? strongest(ref) : strongest(sup);
    const other = verdict === 'refuted' ? strongest(sup) : strongest(ref);
    if (sup.length === 0 && ref.length === 0) explanation = `${title}: inconclusive, no finding speaks to it`;
    else if (verdict === 'inconclusive') {
      const s = strongest(sup);
      const r = strongest(ref);
      explanation = `${title}: inconclusive, evidence both ways: ${s ? because(s, id) : ''}; but ${r ? because(r, id) : ''}`;
    } else {
      explanation = `${title}: ${verdict}, ${top ? because(top, id) : ''}`;
      if (corroborating.length > 0 && verdict === 'supported') {
        explanation += `; corroborated by: ${corroborating.map((c) => because(c.f, hyp(c.via))).join('; ')}`;
      }
      if (other) explanation += `; against it: ${because(other, id)}`;
    }
    scored.push({
      name,
      hypothesis: {
        id,
        title,
        verdict,
        score,
        supportedBy: [...sup.map((f) => f.id), ...corroborating.map((c) => c.f.id)].sort(),
        refutedBy: ref.map((f) => f.id).sort(),
        explanation,
      },
    });
  }
  // Root over mechanism.
  for (const [root, mechanism] of ROOT_OF) {
    const r = scored.find((s) => s.name === root);
    const m = scored.find((s) => s.name === mechanism);
    if (r && m && r.hypothesis.verdict === 'supported' && m.hypothesis.verdict === 'supported') {
      r.hypothesis.score += ROOT_BONUS;
      m.hypothesis.explanation += ` (how the ${r.hypothesis.title} shows)`;
    }
  }
  const hypotheses = scored
    .map((s) => s.hypothesis)
    .sort((a, b) => b.score - a.score || VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || a.id.localeCompare(b.id));
  const verdictOf = new Map(hypotheses.map((h) => [h.id, h]));

  // Proposals: from the findings, unless everything their finding supports was refuted.
  const merged = new Map<string, { p: ProposedMitigation; rank: number }>();
  for (const f of findings) {
    if (f.mitigations.length === 0) continue;
    const supported = Object.entries(f.signals)
      .filter(([, s]) => s === 'supports')
      .map(([h]) => verdictOf.get(h))
      .filter((h): h is Hypothesis => h !== undefined);
    if (supported.length > 0 && supported.every((h) => h.verdict === 'refuted')) continue;
    const rank = Math.max(0, ...supported.filter((h) => h.verdict === 'supported').map((h) => h.score));
    const notes = ProposalsFact.safeParse(f.facts[PROPOSALS_FACT]);
    for (const m of f.mitigations) {
      const key = mitigationKey(m);
      const note = notes.success ? notes.data.find((n) => n.key === key) : undefined;
      const cur = merged.get(key);
      if (cur) {
        cur.p.because = [...new Set([...cur.p.because, f.id])].sort();
        cur.rank = Math.max(cur.rank, rank);
      } else {
        merged.set(key, {
          p: { mitigation: m, because: [f.id], rationale: note?.rationale ?? f.summary, risk: note?.risk ?? 'changes a production object; review the dry-run diff' },
          rank,
        });
      }
    }
  }
  const proposals = [...merged.entries()]
    .sort((a, b) => b[1].rank - a[1].rank || KIND_ORDER.indexOf(a[1].p.mitigation.kind) - KIND_ORDER.indexOf(b[1].p.mitigation.kind) || a[0].localeCompare(b[0]))
    .map(([, v]) => v.p);

  return { incidentId, hypotheses, findings, proposals, summary: summarise(hypotheses, proposals, findings) };
}

function summarise(hypotheses: Hypothesis[], proposals: ProposedMitigation[], findings: Finding[]): string {
  const supported = hypotheses.filter((h) => h.verdict === 'supported');
  const refuted = hypotheses.filter((h) => h.verdict === 'refuted');
  const errors = findings.filter((f) => f.severity === 'error').length;
  const parts: string[] = [];
  const top = supported[0];
  if (top) {
    const rest = supported.slice(1).map((h) => h.title);
    parts.push(`Most likely: ${top.title}${rest.length ? `, with ${rest.join(', ')}` : ''}.`);
  } else parts.push('No hypothesis is supported yet.');
  if (refuted.length) parts.push(`Ruled out: ${refuted.map((h) => h.title).join(', ')}.`);
  parts.push(proposals.length ? `${proposals.length} mitigation${proposals.length === 1 ? '' : 's'} proposed.` : 'No mitigation proposed.');
  if (errors) parts.push(`${errors} check${errors === 1 ? '' : 's'} failed.`);
  return parts.join(' ');
}
