/** Whether a proposal still matches the object it was pinned to (at click time and again before the write). */
import type { Proposal } from '../../domain/proposal.js';
import type { Ports } from '../context.js';
import { kindOf } from './catalogue.js';

export interface PinCheck {
  /** Why the proposal can no longer apply. */
  stale?: string;
  /** The object's resourceVersion now, for the write that follows. */
  resourceVersion?: string;
}

/**
 * Pinned to the spec (specHash) and, for Deployments, the revision; proposals made before specHash
 * existed compare resourceVersions. A kind without pinning (a silence) is never stale.
 */
export async function checkPinned(deps: Pick<Ports, 'kubernetes'>, p: Proposal): Promise<PinCheck> {
  const pin = kindOf(p.mitigation).pin;
  if (!pin || !deps.kubernetes) return {};
  const obj = await pin.read(deps.kubernetes, p.mitigation);
  if (!obj) return { stale: 'the object no longer exists' };
  const rv = pin.resourceVersion(obj);
  const current = { ...(rv ? { resourceVersion: rv } : {}) };
  if (p.pinned.specHash) {
    if (pin.specHash(obj, p.mitigation) !== p.pinned.specHash) return { ...current, stale: pin.moved?.(p, obj) ?? `the ${pin.noun} spec changed since it was proposed; propose it again` };
    const revision = pin.revision?.(obj);
    if (pin.revision && p.pinned.revision !== undefined && revision !== p.pinned.revision) return { ...current, stale: `the deployment moved from revision ${p.pinned.revision} to ${revision ?? '?'} since it was proposed; propose it again` };
    return current;
  }
  const pinned = p.pinned.resourceVersion;
  if (pinned && rv !== undefined && rv !== pinned) return { ...current, stale: `the object changed since it was proposed (resourceVersion ${pinned}, now ${rv}); propose it again` };
  return current;
}

/** Click-time check; a failed read leaves it to the pinned write. */
export async function staleness(deps: Pick<Ports, 'kubernetes'>, p: Proposal): Promise<string | undefined> {
  try {
    return (await checkPinned(deps, p)).stale;
  } catch {
    return undefined;
  }
}
