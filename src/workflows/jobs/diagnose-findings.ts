/**
 * The run's findings posted in the progress thread, apart from the checks that found them. Coalesced:
 * at most one waits per run (its id carries the run's findings sequence number; see scheduleFindingsPost).
 */
import { z } from 'zod';
import { postFindings } from '../diagnostics/engine.js';
import { defineJob, PRIORITY } from './define.js';

export const diagnoseFindingsJob = defineJob({
  name: 'diagnose-findings',
  queue: 'diagnose',
  schema: z.object({
    incidentId: z.string().min(1),
    runId: z.string().min(1),
    /** The run's findings sequence number when this post was asked for. */
    seq: z.number().int().nonnegative(),
  }),
  id: (d) => `findings-${d.incidentId}-${d.runId}-s${d.seq}`,
  // Findings are part of the record (the work lane, findings priority): they follow one another at
  // Slack's pace for the channel. The assessment (diagnose-assess) goes in the interactive lane, which
  // always has a call of the burst left that the work lane cannot spend (integrations/slack/budget.ts),
  // so it is never behind the findings.
  options: { priority: PRIORITY.findings },
  run: (deps, d, ctx) => postFindings(deps, { incidentId: d.incidentId, runId: d.runId }, d.seq, ctx.id),
});
