/** The status-update reminder of one slot (see scheduleReminder in incidents.ts). */
import { z } from 'zod';
import { reminderJobId } from '../incidents.js';
import { remind } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const RemindData = z.object({
  incidentId: z.string().min(1),
  /** The last status update (else the opening) the reminder counts from; a newer one makes it stale. */
  since: z.string(),
  /** Slot n is due at since + n * cadence (only the id uses it). Absent in jobs of older versions. */
  slot: z.number().int().min(1).default(1),
});
export type RemindData = z.infer<typeof RemindData>;

export const remindJob = defineJob({
  name: 'remind',
  queue: 'incident',
  schema: RemindData,
  id: (d) => reminderJobId(d.incidentId, Date.parse(d.since), d.slot),
  options: { priority: PRIORITY.record },
  run: (deps, d) => remind(deps, d),
});
