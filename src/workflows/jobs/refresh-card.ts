/** The incident card updated in place from the latest state; coalesced per window (see scheduleCardRefresh). */
import { z } from 'zod';
import { refreshCard } from '../incidents.js';
import { defineJob, PRIORITY } from './define.js';

export const refreshCardJob = defineJob({
  name: 'refresh-card',
  queue: 'incident',
  schema: z.object({
    incidentId: z.string().min(1),
    /** The coalescing window this refresh stands for (only its id uses it). Absent in jobs of older versions. */
    window: z.number().int().nonnegative().default(0),
  }),
  id: (d) => `card-${d.incidentId}-${d.window}`,
  options: { priority: PRIORITY.decoration },
  run: (deps, d) => refreshCard(deps, d.incidentId),
});
