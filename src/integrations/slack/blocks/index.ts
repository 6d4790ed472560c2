import type { Incident } from '../../../domain/incident.js';
import type { TimelineEvent } from '../../../domain/timeline.js';
import type { ChatMessage, MessageRenderer } from '../../../workflows/ports.js';
import { assessment, finding, progress } from './diagnostics.js';
import { announcement, incidentCard } from './incident.js';
import { ACTIONS } from './ids.js';
import { actions, button, context, cut, esc, section } from './kit.js';
import { proposalCard } from './proposal.js';

function roles(incident: Incident): ChatMessage {
  const names = ['commander', 'comms', 'scribe'] as const;
  const lines = names.map((r) => `*${r}*: ${incident.roles[r] ? `<@${incident.roles[r]}>` : '_unassigned_'}`);
  return { text: `Roles for ${incident.id}`, blocks: [section(`Roles for ${incident.id}\n${lines.join('\n')}`)] };
}

function fmtZone(iso: string, tz: string): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZoneName: 'short' }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

function timelinePage(events: TimelineEvent[], page: number, pageCount: number, tz: string): ChatMessage {
  const lines = events.map((e) => {
    const utc = `${e.at.slice(0, 16).replace('T', ' ')} UTC`;
    const local = tz !== 'UTC' ? ` (${fmtZone(e.at, tz)})` : '';
    const who = e.actor.startsWith('U') ? `<@${e.actor}>` : esc(e.actor);
    return `${utc}${local} · ${who} · ${esc(e.text)}`;
  });
  const blocks = [section(cut(lines.join('\n') || '_No events._', 3000)), context([`page ${page}/${pageCount}`])];
  if (pageCount > 1) {
    blocks.push(actions('timeline_pager', [
      ...(page > 1 ? [button('‹ Previous', `${ACTIONS.timelinePage}_prev`, String(page - 1))] : []),
      ...(page < pageCount ? [button('Next ›', `${ACTIONS.timelinePage}_next`, String(page + 1))] : []),
    ]));
  }
  return { text: cut(lines.join('\n') || 'No events.', 3000), blocks };
}

export const slackRenderer: MessageRenderer = {
  incidentCard,
  announcement,
  text: (text) => ({ text: cut(text, 3900) }),
  finding,
  progress,
  assessment,
  proposalCard,
  roles,
  timelinePage,
};
