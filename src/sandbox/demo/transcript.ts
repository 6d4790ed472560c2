/**
 * A readable transcript of a Slack channel: each message (as it stands now: cards are updated in
 * place) rendered from its Block Kit blocks, else its fallback text, with its thread replies
 * indented beneath it. Pure: messages in, lines out.
 */
import { z } from 'zod';

const TextObject = z.looseObject({ type: z.string(), text: z.string() });
const Element = z.looseObject({ type: z.string(), text: z.union([TextObject, z.string()]).optional(), value: z.string().optional(), action_id: z.string().optional(), alt_text: z.string().optional(), elements: z.array(z.unknown()).optional() });
const Block = z.looseObject({
  type: z.string(),
  text: TextObject.optional(),
  fields: z.array(TextObject).optional(),
  elements: z.array(z.unknown()).optional(),
  accessory: Element.optional(),
  title: TextObject.optional(),
});

export interface TranscriptMessage {
  ts: string;
  user?: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  files?: { name: string; title?: string }[];
}

function elementText(raw: unknown): string | undefined {
  const e = Element.safeParse(raw);
  if (!e.success) return undefined;
  const el = e.data;
  const label = typeof el.text === 'string' ? el.text : el.text?.text;
  switch (el.type) {
    case 'button':
      return `[${label ?? el.action_id ?? 'button'}]`;
    case 'image':
      return el.alt_text ? `(image: ${el.alt_text})` : undefined;
    case 'mrkdwn':
    case 'plain_text':
      return label;
    default:
      if (el.elements) return el.elements.map(richText).join('');
      return label;
  }
}

/** rich_text sections, lists and leaves: their text, concatenated. */
function richText(raw: unknown): string {
  if (raw === null || typeof raw !== 'object') return '';
  const o = raw as Record<string, unknown>;
  if (typeof o['text'] === 'string') return o['text'];
  if (o['type'] === 'user' && typeof o['user_id'] === 'string') return `<@${o['user_id']}>`;
  if (o['type'] === 'link' && typeof o['url'] === 'string') return o['url'];
  if (Array.isArray(o['elements'])) return o['elements'].map(richText).join(o['type'] === 'rich_text_list' ? '\n' : '');
  return '';
}

/** The lines of one block. */
export function blockLines(raw: unknown): string[] {
  const parsed = Block.safeParse(raw);
  if (!parsed.success) return [];
  const b = parsed.data;
  switch (b.type) {
    case 'header':
      return b.text ? [`== ${b.text.text} ==`] : [];
    case 'divider':
      return ['----'];
    case 'section': {
      const out: string[] = [];
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(`  ${f.text.replace(/\n/g, ' ')}`);
      const acc = b.accessory ? elementText(b.accessory) : undefined;
      if (acc) out.push(`  ${acc}`);
      return out;
    }
    case 'context': {
      const parts = (b.elements ?? []).map(elementText).filter((x): x is string => Boolean(x));
      return parts.length ? [parts.join(' · ')] : [];
    }
    case 'actions': {
      const parts = (b.elements ?? []).map(elementText).filter((x): x is string => Boolean(x));
      return parts.length ? [parts.join(' ')] : [];
    }
    case 'rich_text':
      return (b.elements ?? []).map(richText).filter(Boolean);
    case 'image':
      return [b.title ? `(image: ${b.title.text})` : '(image)'];
    default:
      return b.text ? [b.text.text] : [];
  }
}

/** The text of a message: its blocks when it has any, else its fallback text; files named. */
export function messageText(m: Pick<TranscriptMessage, 'text' | 'blocks' | 'files'>): string {
  const fromBlocks = (m.blocks ?? []).flatMap(blockLines);
  const body = fromBlocks.length ? fromBlocks.join('\n') : m.text;
  const files = (m.files ?? []).map((f) => `[file: ${f.title ?? f.name}]`);
  return [body, ...files].filter(Boolean).join('\n');
}

function clock(ts: string): string {
  const ms = Math.round(Number(ts) * 1000);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : ts;
}

/**
 * The channel as text: top-level messages in order, each with its replies indented.
 * `names` maps user ids to display names (the bot's id to "warroom").
 */
export function renderChannel(messages: readonly TranscriptMessage[], names: Record<string, string>): string[] {
  const top = messages.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
  const lines: string[] = [];
  const who = (u: string | undefined) => (u ? (names[u] ?? u) : 'unknown');
  const emit = (m: TranscriptMessage, indent: string) => {
    const text = messageText(m).split('\n');
    lines.push(`${indent}[${clock(m.ts)}] ${who(m.user)}: ${text[0] ?? ''}`);
    for (const l of text.slice(1)) lines.push(`${indent}    ${l}`);
  };
  for (const m of top) {
    emit(m, '');
    for (const r of messages.filter((x) => x.thread_ts === m.ts && x.ts !== m.ts)) emit(r, '    ↳ ');
  }
  return lines;
}
