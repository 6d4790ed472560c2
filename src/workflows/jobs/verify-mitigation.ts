/** After execution: watch the rollout, then re-check the signal that paged. */
import { z } from 'zod';
import { verify } from '../mitigations/index.js';
import { defineJob, PRIORITY } from './define.js';

export const verifyMitigationJob = defineJob({
  name: 'verify-mitigation',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1) }),
  id: (d) => `verify-${d.proposalId}`,
  options: { attempts: 2, priority: PRIORITY.person },
  run: (deps, d, ctx) => verify(deps, d.proposalId, ctx.signal),
});
