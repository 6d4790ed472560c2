/**
 * The incident card updated in place from the latest state. Coalesced: at most one refresh waits per
 * incident (its id carries the incident's refresh sequence number; see scheduleCardRefresh).
 */
import { z } from 'zod';
import { refreshCard } from '../incidents.js';
import { defineJob, PRIORITY } from './define.js';

export const refreshCardJob = defineJob({
  name: 'refresh-card',
  queue: 'incident',
  schema: z.object({
    incidentId: z.string().min(1),
    /** The incident's refresh sequence number when this refresh was asked for (0 in jobs of older versions). */
    seq: z.number().int().nonnegative().default(0),
    /** Hand-overs after a failed write (bounded, see refreshCard). */
    tries: z.number().int().nonnegative().default(0),
    /** Asked for by a person's action: runs at a person's priority (see scheduleCardRefresh). */
    person: z.boolean().default(false),
  }),
  id: (d) => `card-${d.incidentId}-s${d.seq}${d.person ? '-p' : ''}`,
  options: { priority: PRIORITY.decoration },
  run: (deps, d) => refreshCard(deps, d.incidentId, d.seq, d.tries, d.person),
});
