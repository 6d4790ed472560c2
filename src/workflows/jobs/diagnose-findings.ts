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
  // The decoration lane spends only the first half of the channel's burst (integrations/slack/budget.ts),
  // so the progress message and the assessment (findings priority, the work lane) always find room:
  // the findings follow at Slack's pace, the assessment is never behind them.
  options: { priority: PRIORITY.decoration },
  run: (deps, d, ctx) => postFindings(deps, { incidentId: d.incidentId, runId: d.runId }, d.seq, ctx.id),
});
