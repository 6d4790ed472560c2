/** One webhook delivery (or a declared incident): each alert lands in exactly one incident. */
import { z } from 'zod';
import { IngestBatch } from '../../domain/alert.js';
import { ingestBatch } from '../incidents.js';
import { defineJob } from './define.js';

export const ingestJob = defineJob({
  name: 'ingest',
  queue: 'ingest',
  schema: z.object({ batch: IngestBatch }),
  // A redelivered webhook has the same delivery id: a no-op.
  id: (d) => d.batch.deliveryId,
  options: {},
  run: async (deps, d) => {
    const r = await ingestBatch(deps, d.batch);
    if (r.opened.length) deps.metrics?.incidentsOpened(r.opened.length);
    return r;
  },
});
