/**
 * The shape of one mitigation kind (like a diagnostic check: one file per kind in kinds/, listed in
 * catalogue.ts). Everything that differs between kinds is here; propose, decide, execute and verify
 * are written once, over the catalogue.
 */
import { createHash } from 'node:crypto';
import type { Mitigation } from '../../domain/diagnostics.js';
import type { PinnedState, Proposal, VerificationResult } from '../../domain/proposal.js';
import { AppError } from '../../errors.js';
import type { Ports } from '../context.js';
import type { AlertmanagerPort, KubernetesPort, MutationResult } from '../ports.js';

/** What a kind may use: the ports it acts through and the clock. */
export type KindPorts = Pick<Ports, 'kubernetes' | 'alertmanager' | 'clock'>;

/** A description: words, and literals (object names, matchers) a medium may set apart (Markdown code). */
export type DescriptionPart = string | { literal: string };

/** The dry run of a proposal: the diff and the state the proposal is pinned to; `before` is the object read. */
export interface DryRun<O> {
  result: MutationResult;
  pinned: PinnedState;
  before?: O;
}

export interface Applied {
  result?: MutationResult;
  silenceId?: string;
}

/** What a kind can say about its object: the change took effect, not yet, or it failed. */
export type TookEffect = Extract<VerificationResult, 'verified' | 'not-yet' | 'failed'>;

export interface VerifyOptions {
  /** How often the rollout is polled. */
  pollMs: number;
  /** How long a rollout may take before it is reported as not done yet. */
  rolloutDeadlineMs: number;
  /** How often a flapping alarm is re-read while it is watched (a delayed job each time; MITIGATION_WATCH_POLL_MS). */
  watchPollMs: number;
}

export const DEFAULT_VERIFY: VerifyOptions = { pollMs: 1000, rolloutDeadlineMs: 5 * 60_000, watchPollMs: 60_000 };

/** Whether the change took effect on the object (the paging signal is re-checked by verify.ts for every kind). */
export interface Verification {
  result: TookEffect;
  lines: string[];
}

/**
 * How a kind pins a proposal to its object's state (PinnedState.specHash): every field the proposal
 * changes or shows in its diff, nothing an autoscaler rewrites every few seconds.
 */
export interface Pinning<M, O> {
  /** "deployment", "HPA": in the stale message. */
  noun: string;
  read(k8s: KubernetesPort, m: M): Promise<O | undefined>;
  specHash(o: O, m: M): string;
  resourceVersion(o: O): string | undefined;
  /** The object's revision, when the proposal is pinned to one too. */
  revision?(o: O): number | undefined;
  /** A kind's own, clearer reason the spec moved (a scale card's replica count). */
  moved?(p: Proposal, o: O): string | undefined;
  /**
   * Whether the object already carries the change (an execution interrupted after its write landed):
   * absent when the object cannot tell (a rollback or a restart looks like any other template change).
   */
  applied?(o: O, m: M): boolean;
}

export interface MitigationKind<M extends Mitigation = Mitigation, O = unknown> {
  kind: M['kind'];
  /** The one description of the change: the timeline, the Slack cards and the post-mortem render it. */
  describe(m: M): DescriptionPart[];
  /** The risk a card shows when the proposal names none (proposed by hand). */
  risk(m: M): string;
  /** Server-side dry run: the diff, the pinned state and the object as it was. */
  dryRun(ports: KindPorts, m: M): Promise<DryRun<O>>;
  /** The mitigation that undoes this one, from the object as it was before; undefined when there is none. */
  revertOf(m: M, before: O | undefined): Mitigation | undefined;
  /** Absent: nothing to pin (a silence creates a new object). */
  pin?: Pinning<M, O>;
  /** The write, conditional on `expectResourceVersion` where the kind has an object. */
  apply(ports: KindPorts, p: Proposal, m: M, opts: { expectResourceVersion?: string }): Promise<Applied>;
  verify(ports: KindPorts, m: M, opts: VerifyOptions & { signal?: AbortSignal }): Promise<Verification>;
}

export function needKubernetes(ports: KindPorts): KubernetesPort {
  if (!ports.kubernetes) throw new AppError('bad_request', 'Kubernetes mitigations need a cluster connection (KUBECONFIG or in-cluster)');
  return ports.kubernetes;
}

export function needAlertmanager(ports: KindPorts): AlertmanagerPort {
  if (!ports.alertmanager) throw new AppError('bad_request', 'silences need ALERTMANAGER_URL to be configured');
  return ports.alertmanager;
}

export const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** JSON with sorted keys: the same object hashes the same whatever its key order. */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
