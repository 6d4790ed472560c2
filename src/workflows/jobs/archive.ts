/** Days after the resolve: archive the channel, unless the incident was reopened since. */
import { z } from 'zod';
import { archiveChannel } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const archiveJob = defineJob({
  name: 'archive',
  queue: 'incident',
  schema: z.object({
    incidentId: z.string().min(1),
    /** The resolve it follows (only the id uses it). Absent in jobs of older versions. */
    reopenCount: z.number().int().nonnegative().default(0),
  }),
  id: (d) => `archive-${d.incidentId}-${d.reopenCount}`,
  options: { priority: PRIORITY.housekeeping },
  run: (deps, d) => archiveChannel(deps, d.incidentId),
});
