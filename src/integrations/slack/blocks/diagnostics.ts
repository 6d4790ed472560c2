import type { Assessment, Evidence, Finding, Hypothesis } from '../../../domain/diagnostics.js';
import { describeMitigation } from '../../../workflows/mitigations/catalogue.js';
import { createHash } from 'node:crypto';
import type { FindingsReply, ChatMessage } from '../../../workflows/ports.js';
import { clampBlocks, context, cut, divider, esc, header, LIMITS, section, type Block } from './kit.js';

const SEV_ICON: Record<Finding['severity'], string> = { info: ':information_source:', warning: ':warning:', critical: ':red_circle:', error: ':grey_question:' };
const VERDICT_ICON: Record<Hypothesis['verdict'], string> = { supported: ':white_check_mark:', refuted: ':x:', inconclusive: ':grey_question:' };

function numbers(e: Evidence): string {
  const parts = Object.entries(e.numbers).map(([k, v]) => `${esc(k)}=${esc(String(v))}`);
  return parts.join(', ');
}

function evidenceLines(f: Finding): string[] {
  return f.evidence.map((e) => {
    const bits = [numbers(e), e.query ? `\`${cut(e.query.replace(/`/g, "'"), 400)}\`` : '', e.link && /^https?:\/\//.test(e.link) ? `<${e.link.replace(/[<>|]/g, '')}|open>` : ''].filter(Boolean);
    return `• ${bits.join(' · ')}`;
  });
}

/** Slack's limit on a block_id. */
const BLOCK_ID_MAX = 255;

/** The block_id of a finding's first section in a findings reply: its id (hashed when longer than Slack allows). */
export function findingBlockId(f: Pick<Finding, 'id'>): string {
  const id = `finding:${f.id}`;
  return id.length <= BLOCK_ID_MAX ? id : `finding#${createHash('sha256').update(f.id).digest('hex')}`;
}

/** One finding's sections: title and summary, its evidence, long evidence in a details section (cut to the limit). */
function findingBlocks(f: Finding): Block[] {
  const blocks: Block[] = [section(`${SEV_ICON[f.severity]} *${esc(f.title)}*\n${esc(f.summary)}`, { block_id: findingBlockId(f) })];
  const ev = evidenceLines(f);
  if (ev.length) blocks.push(context([cut(ev.join('\n'), 2000)]));
  if (f.evidence.some((e) => e.detail)) blocks.push(section(cut('```' + f.evidence.map((e) => e.detail ?? '').filter(Boolean).join('\n').replace(/```/g, "'''") + '```', 3000)));
  return blocks;
}

/**
 * Findings as thread replies: each finding its own sections with its evidence, as many findings to a
 * reply as fit Slack's 50 blocks (split otherwise), in the order given. Each reply says which findings it holds.
 */
export function findings(list: readonly Finding[]): FindingsReply[] {
  const out: FindingsReply[] = [];
  let cur: { findings: Finding[]; blocks: Block[] } | undefined;
  const flush = () => {
    if (!cur) return;
    const [only] = cur.findings;
    const text = cur.findings.length === 1 && only ? `${only.title}: ${only.summary}` : `${cur.findings.length} findings: ${cur.findings.map((f) => f.title).join('; ')}`;
    out.push({ findings: cur.findings, message: { text: cut(text, 3000), blocks: cur.blocks } });
    cur = undefined;
  };
  for (const f of list) {
    const blocks = findingBlocks(f);
    if (cur && cur.blocks.length + blocks.length > LIMITS.blocks) flush();
    cur ??= { findings: [], blocks: [] };
    cur.findings.push(f);
    cur.blocks.push(...blocks);
  }
  flush();
  return out;
}

/** Which of `ids` the replies hold (by the block_id of each finding's first section). */
export function findingsIn(replies: readonly ChatMessage[], ids: readonly string[]): string[] {
  const blockIds = new Set(replies.flatMap((r) => (r.blocks ?? []).map((b) => (typeof b === 'object' && b !== null ? (b as Record<string, unknown>)['block_id'] : undefined))));
  return ids.filter((id) => blockIds.has(findingBlockId({ id })));
}

export function progress(input: { incidentId: string; runId: string; total: number; done: { check: string; ok: boolean; title: string }[]; finished: boolean }): ChatMessage {
  const n = input.done.length;
  const bar = input.total ? `${'▓'.repeat(Math.round((n / input.total) * 10))}${'░'.repeat(10 - Math.round((n / input.total) * 10))}` : '';
  const lines = input.done.slice(-20).map((d) => `${d.ok ? ':white_check_mark:' : ':warning:'} ${esc(d.check)} — ${esc(d.title)}`);
  const head = input.finished ? `:mag: Diagnosis complete: ${n} checks` : `:mag: Diagnosing… ${n}/${input.total} checks ${bar}`;
  return { text: head, blocks: [section(head), ...(lines.length ? [context([cut(lines.join('\n'), 2000)])] : [])] };
}

export function assessment(a: Assessment): ChatMessage {
  const blocks: Block[] = [header(`Assessment · ${a.incidentId}`), section(esc(a.summary))];
  const ties = a.ties ?? [];
  if (ties.length > 1) {
    const names = a.hypotheses.filter((h) => ties.includes(h.id)).map((h) => `*${esc(h.title)}*`);
    blocks.push(section(`:balance_scale: *Tie:* ${names.join(' and ')} explain the evidence equally well. The order below does not rank them.`));
  }
  const titleOf = new Map(a.hypotheses.map((h) => [h.id, h.title]));
  const top = a.hypotheses.slice(0, 8);
  for (const h of top) {
    const verdict = ties.includes(h.id) ? `${h.verdict}, tied for first` : h.causedBy ? `${h.verdict}, how the ${titleOf.get(h.causedBy) ?? h.causedBy} shows` : h.verdict;
    const explains = h.explains?.length ? `\n_Explains:_ ${esc(h.explains.join('; '))}` : '';
    blocks.push(section(cut(`${VERDICT_ICON[h.verdict]} *${esc(h.title)}* — ${esc(verdict)}\n${esc(h.explanation)}${explains}`, 3000)));
  }
  if (a.unexplained?.length) blocks.push(context([cut(`Unexplained: ${esc(a.unexplained.join('; '))}`, 2000)]));
  if (a.notChecked?.length) blocks.push(context([cut(`Not checked: ${esc(a.notChecked.join('; '))}`, 2000)]));
  if (a.hypotheses.length > top.length) blocks.push(context([`${a.hypotheses.length - top.length} more hypotheses were inconclusive or weak.`]));
  if (a.proposals.length) {
    blocks.push(divider, section('*Proposed mitigations* (each needs approval; see the proposal cards below):'));
    for (const p of a.proposals.slice(0, 6)) blocks.push(section(`• ${esc(describeMitigation(p.mitigation))} — ${esc(p.rationale)}`));
  }
  return { text: cut(`Assessment ${a.incidentId}: ${a.summary}`, 3000), blocks: clampBlocks(blocks) };
}
