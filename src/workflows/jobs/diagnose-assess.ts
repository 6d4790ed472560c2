/**
 * The run's parent: every check has finished; rank the hypotheses, post the assessment, propose. The
 * responders wait for it: person priority, so its posts take the interactive lane and are not paced
 * behind the run's findings (which the diagnose-findings job posts in the work lane).
 */
import { z } from 'zod';
import { finishDiagnosis } from '../diagnostics/engine.js';
import { defineJob, PRIORITY } from './define.js';

export const diagnoseAssessJob = defineJob({
  name: 'diagnose-assess',
  queue: 'diagnose',
  schema: z.object({ incidentId: z.string().min(1), runId: z.string().min(1) }),
  id: (d) => `assess-${d.incidentId}-${d.runId}`,
  options: { attempts: 3, priority: PRIORITY.person },
  run: async (deps, d) => {
    await finishDiagnosis(deps, d.incidentId, d.runId);
  },
});
