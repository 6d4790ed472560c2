/**
 * Proposing a mitigation: the policy that would govern it, the server-side dry run, the proposal pinned
 * to the object's state, and the card with Approve/Deny. By hand (`/incident rollback|scale|...`), from
 * an assessment, or as the revert of a failed action.
 */
import type { Assessment, Mitigation } from '../../domain/diagnostics.js';
import type { Incident } from '../../domain/incident.js';
import type { Proposal } from '../../domain/proposal.js';
import { isAppError, toUserReply } from '../../errors.js';
import type { Ports } from '../context.js';
import { expireProposalJob } from '../jobs/expire-proposal.js';
import { routeOf } from '../routing.js';
import type { CommandOutcome } from '../triage.js';
import { describeMitigation, kindOf } from './catalogue.js';
import { shortHash, type DryRun } from './kind.js';
import { ruleFor } from './policy.js';
import { BOT } from './record.js';

export interface ProposeExtra {
  because?: string[];
  rationale?: string;
  risk?: string;
  /** Makes the proposal id deterministic (an assessment run, a revert): proposing twice is a no-op. */
  idSeed?: string;
}

/** Proposes a mitigation: dry run, policy lookup, the card with Approve/Deny. Idempotent by `idSeed`. */
export async function propose(deps: Ports, incident: Incident, m: Mitigation, requestedBy: string, extra: ProposeExtra = {}): Promise<CommandOutcome & { proposalId?: string }> {
  if (incident.status === 'resolved') return { ok: false, message: `${incident.id} is resolved; reopen it before proposing a change.` };
  // Without a cluster or an Alertmanager there is nothing to act on: say so.
  if (!deps.kubernetes && !deps.alertmanager) return { ok: false, message: 'Mitigations are not enabled in this deployment (no Kubernetes or Alertmanager configured).' };
  const what = describeMitigation(m);
  const id = `P${shortHash(`${incident.id}|${extra.idSeed ?? `${requestedBy}|${deps.clock.now().toISOString()}`}|${JSON.stringify(m)}`)}`;
  const existing = await deps.proposals.get(id);
  if (existing) {
    // Saved by an earlier run whose card the Slack budget deferred (the job was delayed): post it now.
    if (existing.status === 'pending' && !existing.messageTs) await postCard(deps, incident, existing);
    return { ok: true, message: 'Already proposed.', proposalId: id };
  }
  const rule = ruleFor(deps, incident, m);
  if (!rule) return { ok: false, message: `No approval policy covers ${what}; nothing was proposed. Add an approvals rule to the config.` };
  if (!rule.actions.includes(m.kind)) return { ok: false, message: `The approval policy “${rule.name}” does not allow ${m.kind}.` };
  const kind = kindOf(m);
  let dr: DryRun<unknown>;
  try {
    dr = await kind.dryRun(deps, m);
  } catch (e) {
    if (isAppError(e) && e.userFacing) return { ok: false, message: `Cannot propose ${what}: ${toUserReply(e)}` };
    throw e;
  }
  if (dr.result.noop) return { ok: false, message: `Nothing to do: ${dr.result.noop}.` };
  const now = deps.clock.now();
  const env = routeOf(deps.config, incident)?.environment;
  const revert = kind.revertOf(m, dr.before);
  const proposal: Proposal = {
    id,
    incidentId: incident.id,
    mitigation: m,
    status: 'pending',
    requestedBy,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + rule.expiry).toISOString(),
    rationale: extra.rationale ?? `Requested by hand with /incident ${m.kind}`,
    risk: extra.risk ?? kind.risk(m),
    because: extra.because ?? [],
    pinned: dr.pinned,
    diff: dr.result.diff,
    approvals: [],
    requiredApprovals: rule.requiredApprovals,
    protectedEnvironment: rule.protected,
    rule: rule.name,
    approvers: { users: [...rule.approvers.users], usergroups: [...rule.approvers.usergroups], allowSelfApproval: rule.allowSelfApproval },
    ...(env ? { environment: env } : {}),
    ...(revert ? { revert } : {}),
  };
  await deps.proposals.save(proposal);
  await deps.timeline.append(incident.id, { at: now.toISOString(), kind: 'mitigation.proposed', actor: requestedBy, text: `Proposed: ${what}`, data: { proposalId: id, mitigation: m, diff: dr.result.diff, rule: rule.name } }, `proposed-${id}`);
  deps.log.info({ proposalId: id, incidentId: incident.id, mitigation: m.kind, requestedBy, rule: rule.name }, 'mitigation proposed');
  await postCard(deps, incident, proposal);
  return { ok: true, message: `Proposed: ${what}; it needs ${rule.requiredApprovals} approval(s) under “${rule.name}” within ${Math.round(rule.expiry / 60_000)} min.`, proposalId: id };
}

/** The proposal's card in the incident channel, and its expiry scheduled (both once, by id). */
async function postCard(deps: Ports, incident: Incident, proposal: Proposal): Promise<void> {
  if (incident.channelId) {
    const { ts } = await deps.chat.post(incident.channelId, deps.render.proposalCard(proposal));
    await deps.proposals.update(proposal.id, (p) => ({ ...p, messageTs: ts }));
  }
  await deps.queue.enqueue(expireProposalJob, { proposalId: proposal.id }, { delayMs: Math.max(0, Date.parse(proposal.expiresAt) - deps.clock.now().getTime()) + 500 });
}

/** “Propose revert” on a failed action's card: the inverse computed when it was proposed. */
export async function proposeRevert(deps: Ports, proposalId: string, userId: string, channelId: string): Promise<CommandOutcome> {
  const p = await deps.proposals.get(proposalId);
  if (!p) return { ok: false, message: 'Unknown proposal.' };
  const incident = await deps.incidents.get(p.incidentId);
  // The button must come from the card's own incident channel: a crafted click elsewhere proposes nothing.
  if (!incident || incident.channelId !== channelId) return { ok: false, message: 'This proposal does not belong to this channel.' };
  if (incident.status === 'resolved') return { ok: false, message: `${incident.id} is resolved; reopen it before changing anything.` };
  if (p.status !== 'failed' || !p.revert) return { ok: false, message: p.revert ? `Only a failed action is reverted from its card; this one is ${p.status}.` : 'This action has no automatic revert; propose the inverse by hand.' };
  return propose(deps, incident, p.revert, userId, { because: [p.id], rationale: `Revert of ${describeMitigation(p.mitigation)} (${p.verification?.detail ?? p.outcome ?? 'failed'})`, idSeed: `revert-${p.id}` });
}

/** The assessment's proposals become cards (once per run). */
export async function proposeFromAssessment(deps: Ports, incidentId: string, runId: string, assessment: Assessment): Promise<void> {
  const incident = await deps.incidents.get(incidentId);
  if (!incident || incident.status === 'resolved') return;
  for (const pm of assessment.proposals) {
    await propose(deps, incident, pm.mitigation, BOT, { because: pm.because, rationale: pm.rationale, risk: pm.risk, idSeed: `assessment-${runId}` });
  }
}
