/** The JSON shapes of the Web API: a channel, a user, a file as Slack returns them. */
import type { EmulatedUser, FileRef, StoredFile } from './types.js';
import { type ChannelState, type Workspace } from './workspace.js';

export function channelJson(ws: Workspace, ch: ChannelState): Record<string, unknown> {
  return {
    ...structuredClone(ch.info),
    is_member: ch.members.has(ws.opts.botUserId),
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    unlinked: 0,
    num_members: ch.members.size,
  };
}

export function userJson(ws: Workspace, u: EmulatedUser): Record<string, unknown> {
  const realName = u.realName ?? u.name;
  return {
    id: u.id,
    team_id: ws.opts.teamId,
    name: u.name,
    deleted: false,
    real_name: realName,
    tz: 'Etc/UTC',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: Boolean(u.isBot),
    is_app_user: false,
    profile: { real_name: realName, real_name_normalized: realName, display_name: u.name, display_name_normalized: u.name, team: ws.opts.teamId },
  };
}

export function fileRef(ws: Workspace, f: StoredFile): FileRef {
  return { id: f.id, name: f.name, title: f.title, mimetype: f.mimetype, filetype: f.filetype, size: f.size, url_private: f.url_private };
}
