/**
 * Plugs the later stages (diagnostics, mitigations, triage extras, post-mortem) into the composition
 * root. Kept apart from deps.ts so each stage wires its own adapters, routes and jobs in one place.
 */
import type { Deps } from './deps.js';

export function wireStages(deps: Deps): Deps {
  return deps;
}
