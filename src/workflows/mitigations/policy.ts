/** The approval policy as the workflows apply it: which rule governs, and who is an approver under it. */
import type { ApprovalRule } from '../../config.js';
import { policySubject, selectRule } from '../../domain/approval-policy.js';
import type { Mitigation } from '../../domain/diagnostics.js';
import type { Incident } from '../../domain/incident.js';
import type { Ports } from '../context.js';
import { routeOf } from '../routing.js';

/** The approval rule that governs `m` in this incident (domain/approval-policy.ts explains the order). */
export function ruleFor(deps: Pick<Ports, 'config'>, incident: Incident, m: Mitigation): ApprovalRule | undefined {
  return selectRule(deps.config.approvals, policySubject(m, incident.route, routeOf(deps.config, incident)?.environment));
}

/** Whether the user approves under the rule: named, or a member of a named user group (read at click time). */
export async function isApprover(deps: Pick<Ports, 'chat'>, rule: ApprovalRule, userId: string): Promise<boolean> {
  if (rule.approvers.users.includes(userId)) return true;
  for (const g of rule.approvers.usergroups) {
    const members = await deps.chat.usergroupMembers(g).catch(() => [] as string[]);
    if (members.includes(userId)) return true;
  }
  return false;
}
