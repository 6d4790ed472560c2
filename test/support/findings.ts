/**
 * Which findings a thread's replies hold: each finding's first section carries its block_id
 * (findingBlockId), whether a reply holds one finding or several.
 */
import type { Finding } from '../../src/domain/diagnostics.js';
import { findingBlockId } from '../../src/integrations/slack/blocks/diagnostics.js';

/** The block_ids of the finding sections in `replies`, one per finding posted (a finding posted twice appears twice). */
export function postedFindingBlocks(replies: readonly { blocks?: unknown[] }[]): string[] {
  return replies.flatMap((r) => (r.blocks ?? []).flatMap((b) => {
    const id = typeof b === 'object' && b !== null ? (b as Record<string, unknown>)['block_id'] : undefined;
    return typeof id === 'string' && id.startsWith('finding') ? [id] : [];
  }));
}

/** How many times each finding was posted in `replies` (0 when it was not). */
export function timesPosted(findings: readonly Finding[], replies: readonly { blocks?: unknown[] }[]): Record<string, number> {
  const posted = postedFindingBlocks(replies);
  return Object.fromEntries(findings.map((f) => [f.id, posted.filter((id) => id === findingBlockId(f)).length]));
}
