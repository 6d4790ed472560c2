import type { Proposal } from '../../../domain/proposal.js';
import { describeMitigation } from '../../../workflows/mitigations/catalogue.js';
import type { ChatMessage } from '../../../workflows/ports.js';
import { ACTIONS } from './ids.js';
import { actions, button, clampBlocks, context, cut, esc, fields, fmtTime, header, section, type Block } from './kit.js';

const STATUS_LINE: Record<Proposal['status'], string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  approved: ':white_check_mark: Approved; executing',
  executing: ':gear: Executing',
  executed: ':gear: Executed; verifying',
  watching: ':eyes: Executed; watching the alarm through a flap cycle',
  verified: ':white_check_mark: Executed and verified',
  unverified: ':warning: Executed; not verified',
  failed: ':x: Failed',
  denied: ':no_entry: Denied',
  expired: ':alarm_clock: Expired',
  refused: ':no_entry_sign: Refused',
};

/** The approval policy's answer for this proposal: the rule, how many approvals, and who may give them. */
function policyFields(p: Proposal): string[] {
  if (!p.rule) return [];
  const self = p.approvers?.allowSelfApproval ? 'the requester may approve' : 'not the requester';
  const policy = `*Approval policy*\n“${esc(p.rule)}”: ${p.requiredApprovals} approval${p.requiredApprovals === 1 ? '' : 's'}, ${self}${p.protectedEnvironment ? ' (protected)' : ''}`;
  if (!p.approvers) return [policy];
  const who = [...p.approvers.users.map((u) => `<@${u}>`), ...p.approvers.usergroups.map((g) => `<!subteam^${g}>`)];
  return [policy, `*Who may approve*\n${who.length ? cut(who.join(', '), 1900) : '_nobody is named in the rule_'}`];
}

export function proposalCard(p: Proposal): ChatMessage {
  const what = describeMitigation(p.mitigation);
  const diff = p.diff.length ? p.diff.map((d) => `${esc(d.field)}: \`${esc(d.before)}\` → \`${esc(d.after)}\``).join('\n') : '_no change computed_';
  const blocks: Block[] = [
    header(`Proposed: ${what}`),
    section(`*What changes* (server-side dry run)\n${cut(diff, 2800)}`),
    fields([
      `*Why*\n${esc(p.rationale)}`,
      `*Risk*\n${esc(p.risk)}`,
      `*Requested by*\n${p.requestedBy.startsWith('U') ? `<@${p.requestedBy}>` : esc(p.requestedBy)}`,
      `*Expires*\n${fmtTime(p.expiresAt)}`,
      `*Approvals*\n${p.approvals.length}/${p.requiredApprovals}${p.approvals.length ? ` (${p.approvals.map((a) => `<@${a.userId}>`).join(', ')})` : ''}`,
      ...policyFields(p),
      `*Pinned to*\n${[p.pinned.resourceVersion ? `resourceVersion ${p.pinned.resourceVersion}` : '', p.pinned.revision !== undefined ? `revision ${p.pinned.revision}` : ''].filter(Boolean).join(', ') || '—'}`,
    ]),
  ];
  if (p.because.length) blocks.push(context([cut(`Because of: ${p.because.map(esc).join(', ')}`, 2000)]));
  blocks.push(section(`*Status:* ${STATUS_LINE[p.status]}${p.outcome ? `\n${esc(p.outcome)}` : ''}`));
  if (p.status === 'pending') {
    blocks.push(
      actions(`proposal_${p.id}`, [
        button('Approve', ACTIONS.approve, p.id, 'primary', { title: 'Approve this change?', text: cut(what, 280), confirm: 'Approve', deny: 'Cancel' }),
        button('Deny', ACTIONS.deny, p.id, 'danger'),
      ]),
    );
  }
  // Only when there is something to revert to (a restart or a silence has no automatic inverse).
  if (p.status === 'failed' && p.revert) blocks.push(actions(`proposal_${p.id}_revert`, [button('Propose revert', ACTIONS.revert, p.id)]));
  blocks.push(context([`proposal ${p.id}${p.protectedEnvironment ? ' · protected environment: four-eyes' : ''}${p.environment ? ` · ${esc(p.environment)}` : ''}`]));
  return { text: cut(`Proposal ${p.id}: ${what} (${p.status})`, 3000), blocks: clampBlocks(blocks) };
}
