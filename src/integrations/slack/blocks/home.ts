/**
 * The App Home tab (views.publish): the open incidents, oldest first, each with its severity, status,
 * commander, age, a link to its channel and, while triggered, an Acknowledge button. Slack allows 100
 * blocks in a home view; past that the list says how many are left out.
 */
import type { HomeInput } from '../../../workflows/ports.js';
import { formatDuration } from '../../../workflows/postmortem/figures.js';
import { ACTIONS } from './ids.js';
import { STATUS_EMOJI } from './incident.js';
import { button, context, cut, divider, esc, header, section, type Block } from './kit.js';

/** Blocks per home view (Slack: 100); each incident takes two. */
const HOME_BLOCKS = 100;

export function homeView(input: HomeInput): Record<string, unknown> {
  const { incidents, now } = input;
  const blocks: Block[] = [header(`Open incidents (${incidents.length})`)];
  if (input.notice) blocks.push(section(`:warning: ${esc(input.notice)}`));
  blocks.push(context([`Updated ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC · declare one with the “Declare incident” shortcut or \`/incident declare\``]), divider);
  if (incidents.length === 0) blocks.push(section(':white_check_mark: No open incidents.'));
  const room = Math.floor((HOME_BLOCKS - blocks.length - 1) / 2);
  for (const i of incidents.slice(0, room)) {
    const channel = i.channelId ? `<#${i.channelId}>` : '_channel not created yet_';
    const commander = i.roles.commander ? `<@${i.roles.commander}>` : '_no commander_';
    const age = formatDuration(Math.max(0, now.getTime() - new Date(i.createdAt).getTime()));
    const line = `*${esc(i.id)}* · ${esc(i.severity)} · ${STATUS_EMOJI[i.status]} ${i.status}\n${cut(esc(i.title), 300)}\n${channel} · commander ${commander} · open for ${age}`;
    blocks.push(i.status === 'triggered' ? section(line, { block_id: `home_${i.id}`, accessory: button('Acknowledge', ACTIONS.homeAck, i.id, 'primary') }) : section(line, { block_id: `home_${i.id}` }));
    blocks.push(divider);
  }
  if (incidents.length > room) blocks.push(context([`…and ${incidents.length - room} more open incidents not shown`]));
  return { type: 'home', callback_id: 'warroom_home', blocks };
}
