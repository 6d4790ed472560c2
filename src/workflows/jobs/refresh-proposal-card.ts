/**
 * A proposal card update the Slack budget deferred: the card is brought to the proposal's current state
 * later, instead of failing the step (execute, verify, a click) that changed it. One per proposal state.
 */
import { z } from 'zod';
import { refreshProposalCardNow } from '../mitigations/record.js';
import { defineJob, PRIORITY } from './define.js';

export const refreshProposalCardJob = defineJob({
  name: 'refresh-proposal-card',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1), state: z.string().min(1) }),
  id: (d) => `pcard-${d.proposalId}-${d.state}`,
  options: { priority: PRIORITY.record },
  run: (deps, d) => refreshProposalCardNow(deps, d.proposalId),
});
