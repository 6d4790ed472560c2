/** An approved proposal carried out, exactly once (deterministic id + compare-and-set approved -> executing); a retry after a crash recovers it. */
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
});
