/**
 * The sandbox viewer: a local web page showing the emulated Slack workspace, with working
 * buttons and slash commands (clicked / typed as a workspace user picked on the page).
 */
export { startViewer, parseCommandLine, ClickBody, CommandBody } from './server.js';
export type { Viewer, ViewerOptions, ViewerState } from './server.js';

/**
 * How the demo runner starts it, once the world (emulator + bot) is up:
 *
 *   import { startViewer } from '../viewer/index.js';
 *   const viewer = await startViewer({ slack: world.slack });   // optional: port, actAs: 'U0ONCALL1'
 *   console.log(`Slack viewer: ${viewer.url}`);
 *   // ... on shutdown, before world.stop():
 *   await viewer.stop();
 *
 * The page polls the emulator every second, so it can be opened at any point of the run.
 */
export const cli = `const viewer = await startViewer({ slack: world.slack }); console.log(\`Slack viewer: \${viewer.url}\`); /* on exit: await viewer.stop() */`;
