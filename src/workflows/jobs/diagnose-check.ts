/** One check on one subject, a child of the run's assess job. */
import { z } from 'zod';
import { Subject } from '../../domain/diagnostics.js';
import { runCheckJob } from '../diagnostics/engine.js';
import { subjectKey } from '../diagnostics/types.js';
import { defineJob, PRIORITY } from './define.js';

export const CheckData = z.object({
  incidentId: z.string().min(1),
  runId: z.string().min(1),
  subject: Subject,
  check: z.string().min(1),
  /** Facts the subject was discovered with. */
  inherited: z.record(z.string(), z.unknown()).default({}),
});
export type CheckData = z.infer<typeof CheckData>;

export const checkJobId = (d: Pick<CheckData, 'incidentId' | 'runId' | 'subject' | 'check'>): string => `check-${d.incidentId}-${d.runId}-${d.check}-${Buffer.from(subjectKey(d.subject)).toString('base64url')}`;

export const diagnoseCheckJob = defineJob({
  name: 'diagnose-check',
  queue: 'diagnose',
  schema: CheckData,
  id: (d) => checkJobId(d),
  // Attempts come from the config (diagnostics.attempts) when the engine adds it.
  options: { priority: PRIORITY.findings },
  run: (deps, d, ctx) => runCheckJob(deps, d, ctx),
});
