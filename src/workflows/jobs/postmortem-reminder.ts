/** A while after the resolve: a reminder in the channel to finish the post-mortem. */
import { z } from 'zod';
import { remindPostmortem } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const postmortemReminderJob = defineJob({
  name: 'postmortem-reminder',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1), reopenCount: z.number().int().nonnegative() }),
  id: (d) => `pm-${d.incidentId}-reminder-${d.reopenCount}`,
  options: { priority: PRIORITY.record },
  run: (deps, d) => remindPostmortem(deps, d.incidentId),
});
