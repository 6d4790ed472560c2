/**
 * Untrusted text (alert titles and labels, people's words) on its way into Slack mrkdwn: the one
 * definition of what makes it inert. `&`, `<` and `>` are escaped as Slack requires, so `<!channel>`,
 * `<!subteam^S0>`, `<@U0>` cannot ping and `<https://evil.example|Open the runbook>` cannot disguise a
 * link; control characters are removed. Formatting characters are the renderer's business.
 */
export function escapeSlackText(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * `text` held to `max` characters, cut at the last word boundary that fits (never inside a word),
 * with `…` when anything was cut. A single word longer than `max` is the only thing cut inside.
 */
export function cutAtWord(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const room = Math.max(1, max - 1);
  const head = t.slice(0, room + 1);
  const boundary = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\u00a0'));
  const cut = boundary > room * 0.4 ? head.slice(0, boundary) : t.slice(0, room);
  return `${cut.replace(/[\s,;:·—-]+$/u, '')}…`;
}
