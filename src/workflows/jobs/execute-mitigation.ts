/** An approved proposal carried out, exactly once (deterministic id + compare-and-set approved -> executing); a retry after a crash recovers it, and so does onAbandoned after a second crash. */
import { z } from 'zod';
import { execute } from '../mitigations/index.js';
import { defineJob, PRIORITY } from './define.js';

export const executeMitigationJob = defineJob({
  name: 'execute-mitigation',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1) }),
  id: (d) => `exec-${d.proposalId}`,
  options: { attempts: 3, priority: PRIORITY.person },
  run: (deps, d, ctx) => execute(deps, d.proposalId, ctx),
  // Killed twice (the recovery too): BullMQ fails the job without running it. The same run on its last
  // attempt: an execution left "executing" is completed or failed with the reason (and proposed again).
  onAbandoned: (deps, d, ctx) => execute(deps, d.proposalId, ctx),
});
