import type { Incident } from '../../../domain/incident.js';
import type { ChatMessage, MessageRenderer } from '../../../workflows/ports.js';
import { assessment, findings, findingsIn, progress } from './diagnostics.js';
import { announcement, incidentCard } from './incident.js';
import { ACTIONS } from './ids.js';
import { actions, button, context, cut, section } from './kit.js';
import { homeView } from './home.js';
import { proposalCard } from './proposal.js';

function roles(incident: Incident): ChatMessage {
  const names = ['commander', 'comms', 'scribe'] as const;
  const lines = names.map((r) => `*${r}*: ${incident.roles[r] ? `<@${incident.roles[r]}>` : '_unassigned_'}`);
  return { text: `Roles for ${incident.id}`, blocks: [section(`Roles for ${incident.id}\n${lines.join('\n')}`)] };
}

/** One page of the `/incident timeline` view; lines come formatted (and escaped) from the workflow. */
function timelinePage(lines: string[], page: number, pageCount: number): ChatMessage {
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
  findings,
  findingsIn,
  progress,
  assessment,
  proposalCard,
  roles,
  timelinePage,
  home: homeView,
};
