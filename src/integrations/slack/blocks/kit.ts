/**
 * Tiny Block Kit helpers: escaping of untrusted text and Slack's limits (50 blocks per message,
 * 3,000 characters per section text, 150 per header, 75 per button, 10 fields, 10 context elements).
 */
import { cutAtWord, escapeSlackText } from '../../../domain/text.js';

export const LIMITS = { blocks: 50, sectionText: 3000, header: 150, button: 75, fields: 10, fieldText: 2000, contextElements: 10, text: 3900 } as const;

export type Block = Record<string, unknown>;

/**
 * Untrusted text (alert labels, titles, command arguments) rendered inert in mrkdwn: &, <, > escaped as
 * Slack requires, so `<!channel>` or `<@U123>` cannot ping and `<http://x|y>` cannot disguise a link;
 * formatting characters are neutralised so `*bold*` stays literal.
 */
export function esc(text: string): string {
  return escapeSlackText(text).replace(/([*_~`])/g, '\u200b$1\u200b');
}

/** For plain_text fields: only control characters removed (plain_text never renders mentions). */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

export function header(text: string): Block {
  // Slack asks for &, <, > escaped in every text, plain_text included (it shows them decoded).
  // Cut at a word (before escaping, so an entity is never cut in half), then escaped.
  const fitted = cutAtWord(plain(text), LIMITS.header - 10);
  return { type: 'header', text: { type: 'plain_text', text: cut(fitted.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), LIMITS.header), emoji: true } };
}

export function section(mrkdwn: string, extra: Block = {}): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(mrkdwn, LIMITS.sectionText) }, ...extra };
}

export function fields(items: string[]): Block {
  return { type: 'section', fields: items.slice(0, LIMITS.fields).map((t) => ({ type: 'mrkdwn', text: cut(t, LIMITS.fieldText) })) };
}

export function context(items: string[]): Block {
  return { type: 'context', elements: items.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: cut(t, LIMITS.fieldText) })) };
}

export const divider: Block = { type: 'divider' };

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger', confirm?: { title: string; text: string; confirm: string; deny: string }): Block {
  return {
    type: 'button',
    text: { type: 'plain_text', text: cut(plain(text), LIMITS.button), emoji: true },
    action_id: actionId,
    value: cut(value, 2000),
    ...(style ? { style } : {}),
    ...(confirm
      ? { confirm: { title: { type: 'plain_text', text: confirm.title }, text: { type: 'mrkdwn', text: cut(confirm.text, 300) }, confirm: { type: 'plain_text', text: confirm.confirm }, deny: { type: 'plain_text', text: confirm.deny } } }
      : {}),
  };
}

export function actions(blockId: string, elements: Block[]): Block {
  return { type: 'actions', block_id: blockId, elements: elements.slice(0, 25) };
}

/** Keeps a message within 50 blocks: the tail is replaced by a note that says how much was left out. */
export function clampBlocks(blocks: Block[], note = (n: number) => `…and ${n} more not shown`): Block[] {
  if (blocks.length <= LIMITS.blocks) return blocks;
  const kept = blocks.slice(0, LIMITS.blocks - 1);
  return [...kept, context([note(blocks.length - kept.length)])];
}

export function fmtTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
