/** A new incident: channel, card (posted and pinned), topic, responders, announcement. */
import { z } from 'zod';
import { openIncident } from '../incidents.js';
import { defineJob, PRIORITY } from './define.js';

export const openIncidentJob = defineJob({
  name: 'open-incident',
  queue: 'incident',
  schema: z.object({ incidentId: z.string().min(1) }),
  id: (d) => `open-${d.incidentId}`,
  options: { priority: PRIORITY.open(4) },
  run: (deps, d) => openIncident(deps, d.incidentId),
});
