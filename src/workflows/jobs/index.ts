/**
 * The job registry: every job the workers run. The queue adapters derive their queues from it
 * (integrations/queue/bullmq.ts, integrations/memory/queue.ts); a new job is a file in this
 * directory and a line here.
 */
import { archiveJob } from './archive.js';
import type { JobDef, QueueName } from './define.js';
import { diagnoseAssessJob } from './diagnose-assess.js';
import { diagnoseCheckJob } from './diagnose-check.js';
import { diagnoseFindingsJob } from './diagnose-findings.js';
import { diagnoseProgressJob } from './diagnose-progress.js';
import { diagnoseJob } from './diagnose.js';
import { executeMitigationJob } from './execute-mitigation.js';
import { expireProposalJob } from './expire-proposal.js';
import { incidentReopenedJob } from './incident-reopened.js';
import { incidentResolvedJob } from './incident-resolved.js';
import { ingestJob } from './ingest.js';
import { legacyCommandJob, legacyPostmortemJob } from './legacy.js';
import { openIncidentJob } from './open-incident.js';
import { postmortemDraftJob } from './postmortem-draft.js';
import { postmortemReminderJob } from './postmortem-reminder.js';
import { refreshCardJob } from './refresh-card.js';
import { refreshHomeJob } from './refresh-home.js';
import { refreshProposalCardJob } from './refresh-proposal-card.js';
import { remindJob } from './remind.js';
import { verifyMitigationJob } from './verify-mitigation.js';
import { watchMitigationJob } from './watch-mitigation.js';

export const JOBS: readonly JobDef[] = [
  ingestJob,
  openIncidentJob,
  refreshCardJob,
  refreshHomeJob,
  incidentReopenedJob,
  incidentResolvedJob,
  remindJob,
  postmortemDraftJob,
  postmortemReminderJob,
  archiveJob,
  diagnoseJob,
  diagnoseCheckJob,
  diagnoseAssessJob,
  diagnoseFindingsJob,
  diagnoseProgressJob,
  executeMitigationJob,
  verifyMitigationJob,
  watchMitigationJob,
  expireProposalJob,
  refreshProposalCardJob,
  legacyCommandJob,
  legacyPostmortemJob,
];

/** The jobs of one queue. */
export function jobsOf(queue: QueueName, jobs: readonly JobDef[] = JOBS): JobDef[] {
  return jobs.filter((j) => j.queue === queue);
}

export {
  archiveJob,
  diagnoseAssessJob,
  diagnoseCheckJob,
  diagnoseFindingsJob,
  diagnoseJob,
  diagnoseProgressJob,
  executeMitigationJob,
  expireProposalJob,
  incidentReopenedJob,
  incidentResolvedJob,
  ingestJob,
  openIncidentJob,
  postmortemDraftJob,
  postmortemReminderJob,
  refreshCardJob,
  refreshHomeJob,
  refreshProposalCardJob,
  remindJob,
  verifyMitigationJob,
  watchMitigationJob,
};
export { PRIORITY, QUEUES, defineJob, jobBindings, nextWindow, parsePayload, prepareJob, runAbandoned, runJob, type JobContext, type JobDef, type JobOptions, type PreparedJob, type QueueName } from './define.js';
