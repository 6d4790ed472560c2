/**
 * Job payloads (zod at the queue boundary: jobs carry ids only) and the handler table the worker runs.
 */
import { z } from 'zod';
import { IngestBatch } from '../domain/alert.js';
import { AppError } from '../errors.js';
import type { WorkflowDeps } from './context.js';
import { ingestBatch, openIncident, refreshCard } from './incidents.js';
import type { JobName } from './ports.js';

export const IncidentJob = z.object({ incidentId: z.string().min(1) });
export const IngestJob = z.object({ batch: IngestBatch });

export type JobTable = Partial<Record<JobName, (data: Record<string, unknown>, job: { id: string; attemptsMade: number; attempts: number; signal?: AbortSignal }) => Promise<unknown>>>;

export function parseJob<T>(schema: z.ZodType<T>, data: unknown, name: string): T {
  const r = schema.safeParse(data);
  // A malformed payload will never become valid: not retried.
  if (!r.success) throw new AppError('bad_request', `invalid ${name} job payload: ${r.error.message}`);
  return r.data;
}

export function coreJobs(deps: WorkflowDeps): JobTable {
  return {
    ingest: async (data) => ingestBatch(deps, parseJob(IngestJob, data, 'ingest').batch),
    'open-incident': async (data) => openIncident(deps, parseJob(IncidentJob, data, 'open-incident').incidentId),
    'refresh-card': async (data) => refreshCard(deps, parseJob(IncidentJob, data, 'refresh-card').incidentId),
  };
}
