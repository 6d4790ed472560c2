import { z } from 'zod';
import { Alert, AlertSource, Severity } from './alert.js';

export const IncidentStatus = z.enum(['triggered', 'acknowledged', 'mitigated', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const Role = z.enum(['commander', 'comms', 'scribe']);
export type Role = z.infer<typeof Role>;

export const Incident = z.object({
  /** Short, human, monotonic: INC-42. Never cut from channel names. */
  id: z.string(),
  /** The correlation key (hash of the route's key labels, groupKey, or alarm ARN). */
  key: z.string(),
  title: z.string(),
  severity: Severity,
  status: IncidentStatus,
  source: AlertSource,
  /** Name of the config route that matched. */
  route: z.string(),
  channelId: z.string().optional(),
  channelName: z.string().optional(),
  /** ts of the pinned incident card. */
  cardTs: z.string().optional(),
  roles: z.partialRecord(Role, z.string()).default({}),
  responders: z.array(z.string()).default([]),
  createdAt: z.string(),
  updatedAt: z.string(),
  acknowledgedAt: z.string().optional(),
  acknowledgedBy: z.string().optional(),
  mitigatedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  resolvedBy: z.string().optional(),
  reopenCount: z.number().int().nonnegative().default(0),
  /** The last reopen whose follow-up (the incident-reopened job) ran: below `reopenCount`, the reopen is still to be announced. */
  reopenAnnounced: z.number().int().nonnegative().optional(),
  lastUpdateAt: z.string().optional(),
});
export type Incident = z.infer<typeof Incident>;

/** An alert as kept inside an incident: the last known state plus its transitions. */
export const IncidentAlert = Alert.extend({
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  transitions: z.array(z.object({ at: z.string(), status: z.string() })).default([]),
});
export type IncidentAlert = z.infer<typeof IncidentAlert>;

