/** A pending proposal past its expiry: marked expired, its card updated. */
import { z } from 'zod';
import { expire } from '../mitigations/index.js';
import { defineJob, PRIORITY } from './define.js';

export const expireProposalJob = defineJob({
  name: 'expire-proposal',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1) }),
  id: (d) => `expire-${d.proposalId}`,
  options: { priority: PRIORITY.record },
  run: (deps, d) => expire(deps, d.proposalId),
});
