/**
 * The AWS SDK for JavaScript v3 emits, once per process on Node < 22, a `process.emitWarning`
 * "NodeVersionSupportWarning: ... versions published after the first week of January 2027 will
 * require node >=22". The plan is known and written down (docs/operations.md: the image runs Node
 * 22; Node 20 stays supported for development until the SDK's January 2027 releases), so the
 * warning is switched off through the SDK's own documented switch,
 * `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true` (aws/aws-sdk-js-v3 issue 7983), read when a
 * client is constructed. Only that warning: every other process warning is still printed. A value
 * the operator set (e.g. `false`, to see it) is left alone.
 */
export const NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env[NODE_VERSION_WARNING_SWITCH] ??= 'true';
}
