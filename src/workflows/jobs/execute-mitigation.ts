/** An approved proposal carried out, exactly once (deterministic id + compare-and-set approved -> executing). */
import { z } from 'zod';
import { execute } from '../mitigations/index.js';
import { defineJob } from './define.js';

export const executeMitigationJob = defineJob({
  name: 'execute-mitigation',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1) }),
  id: (d) => `exec-${d.proposalId}`,
  options: { attempts: 3 },
  run: (deps, d) => execute(deps, d.proposalId),
});
