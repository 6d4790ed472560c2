/** After a resolve: the summary with its figures, reminders cancelled, post-mortem and archive scheduled. */
import { z } from 'zod';
import { afterResolve } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const incidentResolvedJob = defineJob({
  name: 'incident-resolved',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1), reopenCount: z.number().int().nonnegative() }),
  id: (d) => `resolved-${d.incidentId}-${d.reopenCount}`,
  options: { priority: PRIORITY.record },
  run: (deps, d) => afterResolve(deps, d.incidentId, d.reopenCount),
});
