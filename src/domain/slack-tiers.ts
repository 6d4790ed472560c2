/**
 * Slack's documented rate-limit tiers per Web API method (protocols 5.2; docs.slack.dev/apis/web-api/rate-limits),
 * defined once: the bot's budget (integrations/slack/budget.ts) paces to them and the emulator
 * (sandbox/slack/rate-limit.ts) enforces them. Tier 1..4 allow 1, 20, 50, 100+ calls per minute per
 * method per workspace; chat.postMessage is "special": about one message per second per channel,
 * short bursts allowed.
 */
export type SlackTier = 1 | 2 | 3 | 4;

export const TIER_PER_MINUTE: Record<SlackTier, number> = { 1: 1, 2: 20, 3: 50, 4: 100 };

/** chat.postMessage, per channel: about one per second, short bursts allowed. */
export const POST_MESSAGE_PER_CHANNEL = { perSecond: 1, burst: 3 } as const;

/** Documented tiers of the methods warroom and the emulator use. Special methods are absent. */
export const METHOD_TIERS: Readonly<Record<string, SlackTier>> = {
  'conversations.create': 2,
  'conversations.invite': 3,
  'conversations.setTopic': 2,
  'conversations.setPurpose': 2,
  'conversations.info': 3,
  'conversations.join': 3,
  'conversations.history': 3,
  'conversations.replies': 3,
  'conversations.members': 4,
  'conversations.archive': 2,
  'conversations.unarchive': 2,
  'conversations.list': 2,
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'pins.add': 2,
  'pins.remove': 2,
  'pins.list': 2,
  'reactions.add': 3,
  'reactions.remove': 2,
  'users.info': 4,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
  'bookmarks.add': 2,
  'bookmarks.list': 3,
  'views.open': 4,
  'views.update': 4,
  'views.publish': 4,
};
