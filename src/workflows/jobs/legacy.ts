/**
 * Jobs of the names used before each job had one name and one purpose ('command' did reopen and
 * resolve, 'postmortem' drafted and reminded). A delayed one (a post-mortem reminder is due 48 hours
 * after a resolve) may still be waiting in Redis after an upgrade; these run it the new way. Nothing
 * enqueues them. Remove once no installation has such jobs left.
 */
import { z } from 'zod';
import { afterResolve, announceReopened, draftPostmortem, remindPostmortem } from '../lifecycle.js';
import { defineJob } from './define.js';

export const legacyCommandJob = defineJob({
  name: 'command',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1), op: z.enum(['reopened', 'resolved']), reopenCount: z.number().int().nonnegative() }),
  id: (d) => `${d.op}-${d.incidentId}-${d.reopenCount}`,
  options: {},
  run: (deps, d) => (d.op === 'reopened' ? announceReopened(deps, d.incidentId, d.reopenCount) : afterResolve(deps, d.incidentId, d.reopenCount)),
});

export const legacyPostmortemJob = defineJob({
  name: 'postmortem',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1), reason: z.enum(['resolved', 'command', 'reminder']), userId: z.string().optional() }),
  id: (d) => `pm-${d.incidentId}-${d.reason}`,
  options: {},
  run: (deps, d) => (d.reason === 'reminder' ? remindPostmortem(deps, d.incidentId) : draftPostmortem(deps, d.incidentId, d.userId)),
});
