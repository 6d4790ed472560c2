import type { Incident, IncidentAlert } from '../../../domain/incident.js';
import type { ChatMessage, IncidentView, StormKeySummary } from '../../../workflows/ports.js';
import { ACTIONS } from './ids.js';
import { actions, button, clampBlocks, context, cut, divider, esc, fields, fmtTime, header, section, type Block } from './kit.js';

export const STATUS_EMOJI: Record<Incident['status'], string> = { triggered: ':red_circle:', acknowledged: ':large_orange_circle:', mitigated: ':large_yellow_circle:', resolved: ':large_green_circle:' };
const MAX_ALERT_LINES = 10;

function alertLine(a: IncidentAlert): string {
  const icon = a.status === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const state = a.cloudwatch?.state ?? a.status;
  const where = ['namespace', 'service', 'instance', 'pod'].map((l) => a.labels[l]).filter(Boolean).map((v) => esc(v as string)).join(' · ');
  const link = a.links[0];
  const name = link && /^https?:\/\//.test(link.url) ? `<${link.url.replace(/[<>|]/g, '')}|${esc(a.name)}>` : `*${esc(a.name)}*`;
  return `${icon} ${name} — ${state}${where ? ` · ${where}` : ''} · since ${fmtTime(a.status === 'firing' ? a.startsAt : (a.endsAt ?? a.lastSeenAt))}`;
}

const MAX_STORM_KEYS = 20;

function stormLine(k: StormKeySummary): string {
  const icon = k.splitTo ? ':arrow_right:' : k.firing ? ':rotating_light:' : ':white_check_mark:';
  const state = `${k.alerts} alert${k.alerts === 1 ? '' : 's'} (${k.firing} firing, ${k.resolved} resolved)`;
  return `${icon} *${esc(k.title)}* — ${state} · \`${esc(k.key)}\`${k.splitTo ? ` · split into ${esc(k.splitTo)}` : ''}`;
}

/** A storm card's lines: one per key, most firing first; `/incident split <key>` gives a key its own channel. */
function stormLines(keys: StormKeySummary[]): string[] {
  const lines = [`*${keys.length} keys in this storm.* \`/incident split <key>\` gives one its own channel.`, ...keys.slice(0, MAX_STORM_KEYS).map(stormLine)];
  if (keys.length > MAX_STORM_KEYS) lines.push(`…and ${keys.length - MAX_STORM_KEYS} more keys (${keys.slice(MAX_STORM_KEYS).reduce((n, k) => n + k.firing, 0)} alerts firing among them)`);
  return lines;
}

/** The pinned incident card: updated in place, never re-posted. */
export function incidentCard({ incident, alerts, storm }: IncidentView): ChatMessage {
  const firing = alerts.filter((a) => a.status === 'firing');
  const sorted = [...firing, ...alerts.filter((a) => a.status !== 'firing')];
  const lines = storm ? stormLines(storm) : sorted.slice(0, MAX_ALERT_LINES).map(alertLine);
  if (!storm && sorted.length > MAX_ALERT_LINES) lines.push(`…and ${sorted.length - MAX_ALERT_LINES} more alerts (${firing.length} firing in all)`);
  const roles = Object.entries(incident.roles).map(([r, u]) => `${r}: <@${u}>`).join(' · ');
  const blocks: Block[] = [
    header(`${incident.id} · ${incident.title}`),
    fields([
      `*Severity*\n${incident.severity}`,
      `*Status*\n${STATUS_EMOJI[incident.status]} ${incident.status}`,
      `*Source*\n${incident.source}`,
      `*Started*\n${fmtTime(incident.createdAt)}`,
      `*Alerts*\n${firing.length} firing / ${alerts.length}`,
      `*Roles*\n${roles || '—'}`,
      ...(sorted[0] ? [`*${sorted[0].cloudwatch ? 'Alarm' : 'Alert'}*\n${esc(sorted[0].name)}`] : []),
    ]),
    section(cut(lines.join('\n') || '_No alerts recorded yet._', 3000)),
  ];
  if (incident.status !== 'resolved') {
    blocks.push(
      actions('incident_card_actions', [
        ...(incident.status === 'triggered' ? [button('Acknowledge', ACTIONS.ack, incident.id, 'primary')] : []),
        button('Resolve', ACTIONS.resolve, incident.id, 'danger', { title: 'Resolve incident?', text: `Resolve ${incident.id}? Reminders stop and the post-mortem draft is written.`, confirm: 'Resolve', deny: 'Cancel' }),
      ]),
    );
  }
  const ack = incident.acknowledgedAt ? `acknowledged ${fmtTime(incident.acknowledgedAt)} by <@${incident.acknowledgedBy}>` : 'not acknowledged';
  const resolved = incident.resolvedAt ? ` · resolved ${fmtTime(incident.resolvedAt)}` : '';
  blocks.push(divider, context([`${ack}${resolved}${incident.reopenCount ? ` · reopened ${incident.reopenCount}×` : ''} · \`/incident help\``]));
  return { text: `${incident.severity} ${incident.id} ${incident.status}: ${esc(incident.title)}`, blocks: clampBlocks(blocks) };
}

export function announcement(incident: Incident, kind: 'opened' | 'reopened' | 'resolved' | 'update', text?: string): ChatMessage {
  const where = incident.channelId ? `<#${incident.channelId}>` : incident.id;
  const head = {
    opened: `:rotating_light: *${incident.severity}* ${incident.id} opened: ${esc(incident.title)} — join ${where}`,
    reopened: `:repeat: ${incident.id} reopened (flapping): ${esc(incident.title)} — ${where}`,
    resolved: `:white_check_mark: ${incident.id} resolved: ${esc(incident.title)} — ${where}`,
    update: `:memo: *Status update* ${incident.id} (${incident.severity}, ${incident.status}) — ${where}`,
  }[kind];
  const blocks: Block[] = [section(head)];
  if (text) blocks.push(section(text));
  return { text: cut(`${incident.id} ${kind}: ${esc(incident.title)}${text ? ` — ${text}` : ''}`, 3000), blocks };
}
