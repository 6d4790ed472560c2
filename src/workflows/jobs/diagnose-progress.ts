/** The run's progress message updated in place; coalesced per window. */
import { z } from 'zod';
import { updateProgress } from '../diagnostics/engine.js';
import { defineJob, PRIORITY } from './define.js';

export const diagnoseProgressJob = defineJob({
  name: 'diagnose-progress',
  queue: 'diagnose',
  schema: z.object({
    incidentId: z.string().min(1),
    runId: z.string().min(1),
    /** The coalescing window (only the id uses it). Absent in jobs of older versions. */
    window: z.number().int().nonnegative().default(0),
  }),
  id: (d) => `progress-${d.incidentId}-${d.runId}-${d.window}`,
  options: { priority: PRIORITY.decoration },
  run: (deps, d) => updateProgress(deps, d.incidentId, d.runId),
});
