/** A diagnosis run: the progress message, the plan, and the flow of checks under one assess parent. */
import { z } from 'zod';
import { startDiagnosis } from '../diagnostics/engine.js';
import { defineJob, PRIORITY } from './define.js';

export const diagnoseJob = defineJob({
  name: 'diagnose',
  queue: 'diagnose',
  schema: z.object({
    incidentId: z.string().min(1),
    runId: z.string().min(1),
    /** Who asked (`/incident diagnose`); absent for the run that starts with the incident. */
    requestedBy: z.string().min(1).optional(),
  }),
  id: (d) => `diag-${d.incidentId}-${d.runId}`,
  options: { priority: PRIORITY.findings },
  run: (deps, d) => startDiagnosis(deps, d.incidentId, d.runId, d.requestedBy),
});
