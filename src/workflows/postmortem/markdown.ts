/**
 * Markdown building blocks for the post-mortem. Everything that comes from outside (alert names,
 * labels, annotations, people's notes, finding texts) goes through `inline`, `cell` or `code`:
 * Slack control sequences (`<!channel>`, `<!here>`, `<!subteam^S1>`, `<@U1>`, `<#C1>`) and bare
 * `@channel`/`@here`/`@everyone` become inert code spans, raw HTML cannot open a tag, Markdown
 * links and images cannot form (`[click](javascript:...)`, `![x](http://tracker)`: brackets are
 * escaped), bare URLs are shown as code and never become links, and table cells cannot break out of
 * their row or column. Only `mention()` produces a live `<@U...>`, and only `link()` a link.
 */
import { isSlackUserId } from './timeline-page.js';

/** A code span that holds any text (the fence is longer than any backtick run inside it). */
export function code(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block (the fence is longer than any backtick run inside the text). */
export function fenced(text: string, indent = ''): string[] {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${indent}${fence}text`, ...text.replace(/\r\n?/g, '\n').split('\n').map((l) => `${indent}${l}`), `${indent}${fence}`];
}

/**
 * What becomes an inert code span: Slack specials with angle brackets, the bare broadcast words, and
 * URLs (GFM would autolink `https://...` and `www....`).
 */
const SLACK_TOKEN = /<[!@#][^>\r\n]*>|(?<![\w`])@(?:channel|here|everyone)\b|\b[a-z][a-z0-9+.-]*:\/\/[^\s<>`]+|\bwww\.[^\s<>`]+/gi;

/** People whose mentions may stay live in a text (the incident's participants); everything else is inert. */
export type AllowedMentions = ReadonlySet<string>;

const NONE: AllowedMentions = new Set();

function neutraliseLine(line: string, allowed: AllowedMentions): string {
  let out = '';
  let last = 0;
  for (const m of line.matchAll(SLACK_TOKEN)) {
    const at = m.index;
    const user = /^<@([UW][A-Z0-9]+)>$/.exec(m[0])?.[1];
    const keep = user !== undefined && allowed.has(user);
    out += escapeHtmlStart(line.slice(last, at)) + (keep ? m[0] : code(m[0]));
    last = at + m[0].length;
  }
  return out + escapeHtmlStart(line.slice(last));
}

/**
 * `<` that could open an HTML tag, comment or autolink becomes `&lt;` (`a < b` stays readable), and
 * square brackets are escaped so no link, image or reference can form.
 */
function escapeHtmlStart(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, '&lt;').replace(/[[\]]/g, (c) => `\\${c}`);
}

/**
 * Untrusted text on one line (newlines fold to spaces), inert to Slack and HTML. A plain user
 * mention of someone in `allowed` stays live (they are in the incident already); no other does.
 */
export function inline(text: string, allowed: AllowedMentions = NONE): string {
  return neutraliseLine(text.replace(/\s*[\r\n]+\s*/g, ' ').trim(), allowed);
}

/** Untrusted text in a table cell: lines joined with `<br>`, pipes escaped. */
export function cell(text: string, allowed: AllowedMentions = NONE): string {
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n').map((l) => neutraliseLine(l.trim(), allowed));
  return escapePipes(lines.join('<br>'));
}

/**
 * Markdown that is already safe (built from `inline`, `code`, `mention`) made fit for a table cell:
 * newlines become `<br>`, and pipes are escaped together with the backslashes right before them, so
 * `a\\|b` cannot end the cell (GFM reads `\\|` as an escaped backslash and then a column break).
 */
export function escapePipes(markdown: string): string {
  return markdown.replace(/\s*[\r\n]+\s*/g, '<br>').replace(/(\\*)\|/g, (_m, slashes: string) => `${slashes.replace(/\\/g, '\\\\')}\\|`);
}

/** A table row from cells that are already Markdown (pass them through `cell` first). */
export function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

/** A person: a live Slack mention for a user id, otherwise the name as inert text. */
export function mention(actor: string): string {
  return isSlackUserId(actor) ? `<@${actor}>` : inline(actor);
}

/** An http(s) link as `[title](url)`; anything else (javascript:, garbage) as inert code. */
export function link(title: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return code(url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return code(url);
  const href = parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `[${inline(title)}](${href})`;
}

export const PLACEHOLDER = '_To be filled in by the team._';
