/**
 * The App Home tabs republished after incident changes (workflows/home.ts). One job per coalescing
 * window (its id carries the window), at a low priority: incident work of the queue runs first.
 */
import { z } from 'zod';
import { refreshHomes } from '../home.js';
import { defineJob, PRIORITY } from './define.js';

export const refreshHomeJob = defineJob({
  name: 'refresh-home',
  queue: 'incident',
  schema: z.object({ window: z.number().int().nonnegative() }),
  id: (d) => `home-${d.window}`,
  // Behind every other job of the queue, card refreshes included (PRIORITY: larger is later).
  options: { priority: PRIORITY.home, attempts: 2 },
  run: (deps, d) => refreshHomes(deps).then((n) => ({ window: d.window, published: n })),
});
