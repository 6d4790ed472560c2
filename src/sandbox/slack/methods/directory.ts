/** users.info and usergroups.*: who is in the workspace. */
import { parseArgs, schemas } from '../args.js';
import { fail, ok, type MethodResult, type Workspace } from '../workspace.js';
import { userJson } from '../shapes.js';

export function usersInfo(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['users.info'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const u = a.value.user ? ws.users.get(a.value.user) : undefined;
  return u ? ok({ user: userJson(ws, u) }) : fail('user_not_found');
}

export function usergroupsList(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['usergroups.list'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  return ok({
    usergroups: [...ws.usergroups.values()].map((g) => ({
      id: g.id,
      team_id: ws.opts.teamId,
      is_usergroup: true,
      name: g.name ?? g.handle,
      handle: g.handle,
      user_count: g.users.length,
      ...(a.value.include_users ? { users: [...g.users] } : {}),
    })),
  });
}

export function usergroupsUsersList(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['usergroups.users.list'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const g = a.value.usergroup ? ws.usergroups.get(a.value.usergroup) : undefined;
  return g ? ok({ users: [...g.users] }) : fail('no_such_subteam');
}
