/**
 * Slack emulator for tests, the demo and the viewer.
 *
 *   const slack = await startSlackEmulator({ signingSecret, users, usergroups, channels });
 *   new App({ token: slack.botToken, signingSecret, clientOptions: { slackApiUrl: slack.apiUrl } });
 *   slack.setBotUrl('http://127.0.0.1:3000');            // where Bolt listens (path /slack/events)
 *   await slack.sendSlashCommand({ command: '/incident', text: 'declare sev2 x', userId, channelId });
 *   slack.messages(channelId); slack.pins(channelId); slack.calls; GET `${slack.baseUrl}/_sandbox/state`
 */
export { startSlackEmulator } from './server.js';
export type {
  ApiCall,
  ChannelView,
  ClickButtonInput,
  DeliveryOptions,
  DeliveryResult,
  Fault,
  SandboxState,
  SlackEmulator,
  SlackEmulatorOptions,
  SlashCommandInput,
  SubmitViewInput,
} from './emulator-types.js';
export type { RateLimitOptions } from './rate-limit.js';
export { DOCUMENTED_LIMITS, UNLIMITED } from './rate-limit.js';
export { slackSignature, signedHeaders } from './signing.js';
export { channelNameError, blocksProblems, viewProblems, BLOCK_LIMITS, POST_TEXT_MAX, UPDATE_TEXT_MAX } from './validate.js';
export type * from './types.js';
