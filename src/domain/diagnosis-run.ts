/** What a diagnosis run keeps while its checks run (the diagnosis-run store holds it). */
import { z } from 'zod';
import { Finding, Subject } from './diagnostics.js';

/** The result of one check on one subject, stored once per run so a retry or redelivery reuses it. */
export const CheckOutcome = z.object({
  findings: z.array(Finding),
  discovered: z.array(Subject),
  /** The facts the discovered subjects inherit. */
  handOn: z.record(z.string(), z.unknown()),
});
export type CheckOutcome = z.infer<typeof CheckOutcome>;

/** One finished check, as the progress message lists it. */
export const CheckDone = z.object({ check: z.string(), ok: z.boolean(), title: z.string() });
export type CheckDone = z.infer<typeof CheckDone>;

/** A run of one incident's diagnosis. */
export interface RunRef {
  incidentId: string;
  runId: string;
}
