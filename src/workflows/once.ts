/**
 * A Slack write done once per key, within one job (the mark kept for `ttlMs`, 0 = forever). The mark is set after the write succeeded, so a
 * write the budget deferred or Slack answered 429 (the job is delayed and runs again) is not lost; a
 * crash between the write and the mark may repeat it once. Only for writes that one job makes (its id is
 * deterministic, so no two run at once); work several jobs race for keeps claimOnce.
 */
import type { Ports } from './context.js';

/** The mark doneOnce keeps for `key` (for work that marks several keys done after one write). */
export const doneMark = (key: string): string => `done-${key}`;

export async function doneOnce(deps: Pick<Ports, 'claims'>, key: string, write: () => Promise<unknown>, ttlMs = 0): Promise<boolean> {
  const mark = doneMark(key);
  if (await deps.claims.getValue(mark)) return false;
  await write();
  await deps.claims.setValue(mark, '1', ttlMs);
  return true;
}
