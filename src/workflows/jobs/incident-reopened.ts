/** A re-fire within the reopen window reopened the incident: say so here and in the announcement channel. */
import { z } from 'zod';
import { announceReopened } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const incidentReopenedJob = defineJob({
  name: 'incident-reopened',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1), reopenCount: z.number().int().nonnegative() }),
  id: (d) => `reopened-${d.incidentId}-${d.reopenCount}`,
  options: { priority: PRIORITY.record },
  run: (deps, d) => announceReopened(deps, d.incidentId, d.reopenCount),
});
