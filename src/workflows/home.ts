/**
 * The App Home tab: the open incidents for whoever opens it (published at once on app_home_opened),
 * and refreshed on incident changes for the people who respond to incidents (the routes' responders,
 * user groups expanded). A refresh is one coalesced, low-priority job per window (refresh-home), so a
 * burst of changes costs one views.publish per person per window, behind the incident work.
 */
import { refreshHomeJob } from './jobs/refresh-home.js';
import { nextWindow } from './jobs/define.js';
import type { Ports } from './context.js';

/** How often, at most, the Home tabs are republished after changes. */
export const HOME_REFRESH_INTERVAL_MS = 10_000;

/** Publishes one person's Home tab from the current open incidents. */
export async function publishHome(deps: Pick<Ports, 'incidents' | 'chat' | 'render' | 'clock'>, userId: string, notice?: string): Promise<void> {
  const incidents = await deps.incidents.listOpen();
  await deps.chat.publishHome(userId, deps.render.home({ incidents, now: deps.clock.now(), ...(notice ? { notice } : {}) }));
}

/**
 * User-group members as read for the Home audience, per worker process, for 5 minutes:
 * usergroups.users.list is Tier 2 (20 a minute), shared with the approver checks, so a refresh every
 * window must not read it every time.
 */
const GROUP_TTL_MS = 5 * 60_000;
const groupCache = new Map<string, { at: number; members: string[] }>();

/** The people whose Home tab follows incident changes: every route's responders, user groups expanded. */
export async function homeAudience(deps: Pick<Ports, 'config' | 'chat' | 'log' | 'clock'>): Promise<string[]> {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const r of deps.config.routes) {
    for (const u of r.responders.users) users.add(u);
    for (const g of r.responders.usergroups) groups.add(g);
  }
  const now = deps.clock.now().getTime();
  for (const g of groups) {
    const cached = groupCache.get(g);
    let members = cached && now - cached.at < GROUP_TTL_MS ? cached.members : undefined;
    if (!members) {
      try {
        members = await deps.chat.usergroupMembers(g);
        groupCache.set(g, { at: now, members });
      } catch (e) {
        // A failed read is not remembered: the last known members serve until the next window.
        deps.log.warn({ err: e, usergroup: g }, 'home refresh: user group not readable');
        members = cached?.members ?? [];
      }
    }
    for (const u of members) users.add(u);
  }
  return [...users].sort();
}

/** Republishes the Home tab of the audience (the refresh-home job). */
export async function refreshHomes(deps: Ports): Promise<number> {
  const audience = await homeAudience(deps);
  for (const u of audience) await publishHome(deps, u);
  return audience.length;
}

/** Schedules the Home refresh of the current window (one job per window, whatever the number of changes). */
export async function scheduleHomeRefresh(deps: Pick<Ports, 'queue' | 'clock'>): Promise<void> {
  const { window, delayMs } = nextWindow(deps.clock.now().getTime(), HOME_REFRESH_INTERVAL_MS);
  await deps.queue.enqueue(refreshHomeJob, { window }, { delayMs });
}
