/** Every mitigation kind (like the diagnostic checks' catalogue). A new kind is a file in kinds/ and a line here. */
import type { Mitigation } from '../../domain/diagnostics.js';
import type { DescriptionPart, MitigationKind } from './kind.js';
import { hpa } from './kinds/hpa.js';
import { restart } from './kinds/restart.js';
import { rollback } from './kinds/rollback.js';
import { scale } from './kinds/scale.js';
import { silence } from './kinds/silence.js';

type KindOf<K extends Mitigation['kind']> = Extract<Mitigation, { kind: K }>;

export const KINDS: { readonly [K in Mitigation['kind']]: MitigationKind<KindOf<K>, unknown> } = { rollback, scale, restart, hpa, silence };

/**
 * The kind of a mitigation, typed for it. (TypeScript cannot correlate `KINDS[m.kind]` with `m`; the
 * mapped type above is what makes the cast sound.)
 */
export function kindOf<M extends Mitigation>(m: M): MitigationKind<M, unknown> {
  return KINDS[m.kind] as unknown as MitigationKind<M, unknown>;
}

/** Renders a description; `literal` sets object names and matchers apart (Markdown code spans). */
export function renderDescription(parts: DescriptionPart[], literal: (text: string) => string = (t) => t): string {
  let out = '';
  for (const part of parts) {
    const text = typeof part === 'string' ? part : literal(part.literal);
    if (out && !(typeof part === 'string' && /^[,:;.)]/.test(part))) out += ' ';
    out += text;
  }
  return out;
}

/** The one plain-text description of a mitigation: the timeline, the Slack cards, the post-mortem. */
export function describeMitigation(m: Mitigation, literal?: (text: string) => string): string {
  return renderDescription(kindOf(m).describe(m), literal);
}
