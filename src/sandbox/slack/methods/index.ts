/** Every Web API method the emulator answers, by name: what `Workspace.call` dispatches on. */
import { ok, type MethodResult, type Workspace } from '../workspace.js';
import { chatDelete, chatGetPermalink, chatPostEphemeral, chatPostMessage, chatUpdate, pinsChange, pinsList, reactionsChange } from './chat.js';
import { channelOp, conversationsCreate, conversationsHistory, conversationsInfo, conversationsInvite, conversationsList, conversationsOpen, conversationsReplies, setTopicOrPurpose } from './conversations.js';
import { usergroupsList, usergroupsUsersList, usersInfo } from './directory.js';
import { bookmarksAdd, bookmarksList, filesComplete, filesGetUploadUrl } from './files.js';
import { viewsOpen, viewsPublish, viewsUpdate } from './views.js';

export type WebApiMethod = (ws: Workspace, args: Record<string, unknown>, now: number) => MethodResult;

export const WEB_API: Readonly<Record<string, WebApiMethod>> = {
  'api.test': (_ws, args) => ok({ args }),
  'auth.test': (ws) =>
    ok({
      url: `https://${ws.opts.teamDomain}.slack.com/`,
      team: ws.opts.teamDomain,
      user: ws.users.get(ws.opts.botUserId)?.name ?? 'warroom',
      team_id: ws.opts.teamId,
      user_id: ws.opts.botUserId,
      bot_id: ws.opts.botId,
      is_enterprise_install: false,
    }),
  'conversations.create': conversationsCreate,
  'conversations.invite': (ws, args) => conversationsInvite(ws, args),
  'conversations.setTopic': (ws, args, now) => setTopicOrPurpose(ws, 'conversations.setTopic', args, now),
  'conversations.setPurpose': (ws, args, now) => setTopicOrPurpose(ws, 'conversations.setPurpose', args, now),
  'conversations.info': (ws, args) => conversationsInfo(ws, args),
  'conversations.history': (ws, args) => conversationsHistory(ws, args),
  'conversations.replies': (ws, args) => conversationsReplies(ws, args),
  'conversations.archive': (ws, args) => channelOp(ws, 'conversations.archive', args),
  'conversations.unarchive': (ws, args) => channelOp(ws, 'conversations.unarchive', args),
  'conversations.join': (ws, args) => channelOp(ws, 'conversations.join', args),
  'conversations.members': (ws, args) => channelOp(ws, 'conversations.members', args),
  'conversations.list': (ws, args) => conversationsList(ws, args),
  'conversations.open': conversationsOpen,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'chat.delete': (ws, args) => chatDelete(ws, args),
  'chat.postEphemeral': chatPostEphemeral,
  'chat.getPermalink': (ws, args) => chatGetPermalink(ws, args),
  'pins.add': (ws, args, now) => pinsChange(ws, 'pins.add', args, now),
  'pins.remove': (ws, args, now) => pinsChange(ws, 'pins.remove', args, now),
  'pins.list': (ws, args) => pinsList(ws, args),
  'reactions.add': (ws, args) => reactionsChange(ws, 'reactions.add', args),
  'reactions.remove': (ws, args) => reactionsChange(ws, 'reactions.remove', args),
  'users.info': (ws, args) => usersInfo(ws, args),
  'usergroups.list': (ws, args) => usergroupsList(ws, args),
  'usergroups.users.list': (ws, args) => usergroupsUsersList(ws, args),
  'files.getUploadURLExternal': filesGetUploadUrl,
  'files.completeUploadExternal': filesComplete,
  'bookmarks.add': bookmarksAdd,
  'bookmarks.list': (ws, args) => bookmarksList(ws, args),
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
  'views.publish': viewsPublish,
};

/** Every Web API method the emulator serves. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set(Object.keys(WEB_API));
