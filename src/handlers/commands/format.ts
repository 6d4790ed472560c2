/** What /incident list and status answer: the person's view of incidents, untrusted titles escaped. */
import type { Incident, IncidentAlert } from '../../domain/incident.js';
import { esc } from '../../integrations/slack/blocks/kit.js';

export function openIncidentsText(open: Incident[]): string {
  if (!open.length) return 'No open incidents. :sunny:';
  return open.map((i) => `• *${i.id}* ${i.severity} ${i.status}: ${esc(i.title)}${i.channelId ? ` <#${i.channelId}>` : ''}`).join('\n');
}

export function statusText(i: Incident, alerts: IncidentAlert[]): string {
  const firing = alerts.filter((a) => a.status === 'firing').length;
  return `*${i.id}* ${i.severity} *${i.status}* — ${esc(i.title)}\n${firing} of ${alerts.length} alerts firing · opened ${i.createdAt}${i.acknowledgedAt ? ` · acknowledged by <@${i.acknowledgedBy}>` : ''}`;
}
