/** The post-mortem draft uploaded to the channel: after a resolve, or on `/incident postmortem`. */
import { z } from 'zod';
import { draftPostmortem } from '../lifecycle.js';
import { defineJob, PRIORITY } from './define.js';

export const PostmortemDraftData = z.discriminatedUnion('after', [
  z.object({ incidentId: z.string().min(1), after: z.literal('resolved'), reopenCount: z.number().int().nonnegative() }),
  z.object({ incidentId: z.string().min(1), after: z.literal('command'), userId: z.string().min(1), requestedAt: z.number().int().nonnegative() }),
]);
export type PostmortemDraftData = z.infer<typeof PostmortemDraftData>;

export const postmortemDraftJob = defineJob({
  name: 'postmortem-draft',
  queue: 'incident',
  schema: PostmortemDraftData,
  // One draft per resolve; one per command invocation.
  id: (d) => (d.after === 'resolved' ? `pm-${d.incidentId}-resolved-${d.reopenCount}` : `pm-${d.incidentId}-cmd-${d.requestedAt}`),
  options: { priority: PRIORITY.record },
  run: (deps, d) => draftPostmortem(deps, d.incidentId, d.after === 'command' ? d.userId : undefined),
});
