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
