/**
 * One look at a flapping alarm watched after a mitigation (mitigations/verify.ts): each look is a
 * delayed job, `n` numbering them so each id is deterministic; no worker sleeps through the window.
 */
import { z } from 'zod';
import { watch } from '../mitigations/index.js';
import { defineJob, PRIORITY } from './define.js';

export const watchMitigationJob = defineJob({
  name: 'watch-mitigation',
  queue: 'mitigation',
  schema: z.object({ proposalId: z.string().min(1), n: z.number().int().positive() }),
  id: (d) => `watch-${d.proposalId}-${d.n}`,
  // Part of verifying an approved change: someone waits for its verdict (as verify-mitigation).
  options: { attempts: 3, priority: PRIORITY.person },
  run: (deps, d) => watch(deps, d.proposalId, d.n),
});
