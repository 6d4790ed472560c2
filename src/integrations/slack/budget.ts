/**
 * The Slack budget (DESIGN principle 14): every Web API call takes a token from a generic cell rate
 * (GCRA) kept in Redis, so every replica paces one shared allowance: per method at its documented tier,
 * and chat.postMessage per channel at about one per second (domain/slack-tiers.ts). The pace is a little
 * under the documented rate, so a 429 is rare; when one comes anyway the method is paused for every
 * replica until Retry-After (`penalise`).
 *
 * A call that cannot go now is not waited for: `take` says how long until it can, and the caller (a
 * job) is delayed that long (integrations/queue/bullmq.ts), so no worker slot sleeps. Lanes order who
 * may spend the burst: a person waiting (an interactive call, outside any job) may run a little into
 * debt, opening work spends the normal burst, decoration (card refreshes) only the first half of it, so a
 * storm of refreshes always leaves room for a channel, a card or an answer to someone.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Redis } from 'ioredis';
import { METHOD_TIERS, POST_MESSAGE_PER_CHANNEL, TIER_PER_MINUTE, type SlackTier } from '../../domain/slack-tiers.js';

/** Who waits for a call: a person (interactive), the record (work), or nobody in particular (decoration). */
export type Lane = 'interactive' | 'work' | 'decoration';

const laneStore = new AsyncLocalStorage<Lane>();
/** Runs `fn` with its Slack calls in `lane` (the worker sets it per job; outside any job a call is interactive). */
export function withLane<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
  return laneStore.run(lane, fn);
}
export function currentLane(): Lane {
  return laneStore.getStore() ?? 'interactive';
}
/** Whether the call runs inside a job (which can be delayed) rather than for a request in the web role. */
export function inJob(): boolean {
  return laneStore.getStore() !== undefined;
}

export interface Pace {
  /** Milliseconds between calls at the sustained pace. */
  intervalMs: number;
  /** Calls that may go at once (the normal lane). */
  burst: number;
}

/** Share of the documented rate the bot paces to: the rest absorbs clock skew and Slack's own accounting. */
export const PACE_SHARE = 0.9;
const TIER_BURST: Record<SlackTier, number> = { 1: 1, 2: 4, 3: 6, 4: 10 };

/** The pace of a method at its documented tier; undefined for methods Slack lists as special. */
export function methodPace(method: string): Pace | undefined {
  const tier = METHOD_TIERS[method];
  if (tier === undefined) return undefined;
  return { intervalMs: Math.ceil(60_000 / (TIER_PER_MINUTE[tier] * PACE_SHARE)), burst: TIER_BURST[tier] };
}

/** chat.postMessage into one channel. */
export const CHANNEL_PACE: Pace = { intervalMs: Math.ceil(1000 / (POST_MESSAGE_PER_CHANNEL.perSecond * PACE_SHARE)), burst: POST_MESSAGE_PER_CHANNEL.burst - 1 };

/** How many calls of the burst a lane may use. */
export function laneBurst(pace: Pace, lane: Lane): number {
  if (lane === 'interactive') return pace.burst + Math.max(1, Math.floor(pace.burst / 2));
  if (lane === 'decoration') return Math.max(1, Math.floor(pace.burst / 2));
  return pace.burst;
}

/**
 * GCRA in one round trip. KEYS: the cells. ARGV: now, then per cell interval and allowed burst.
 * All cells must admit the call, else none is charged; returns 0 or the ms to wait.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local blocked = tonumber(redis.call('GET', key .. ':429') or '0')
  if blocked - now > wait then wait = blocked - now end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local newTat = tat + interval
  local over = newTat - now - burst * interval
  if over > wait then wait = over end
  tats[i] = newTat
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.max(1000, tats[i] - now + 1000))
end
return 0
`;

/** Nobody takes from a cell before `until` (a 429's Retry-After), whatever their lane. */
const PENALISE = `
local key = KEYS[1] .. ':429'
local cur = tonumber(redis.call('GET', key) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > cur then redis.call('SET', key, untilMs, 'PX', math.max(1000, untilMs - tonumber(ARGV[2]) + 1000)) end
return 1
`;

export interface SlackBudget {
  /** Takes a token for `method` (and `channel`, for chat.postMessage) in `lane`: 0 when it may go now, else ms to wait. */
  take(method: string, opts?: { channel?: string; lane?: Lane }): Promise<number>;
  /** Slack answered 429 with Retry-After: nobody calls `method` (in `channel`) before then. */
  penalise(method: string, retryAfterMs: number, channel?: string): Promise<void>;
}

type BudgetRedis = Redis & {
  slackBudgetTake(n: number, ...args: (string | number)[]): Promise<number>;
  slackBudgetPenalise(key: string, until: number, now: number): Promise<number>;
};

export function createRedisBudget(redis: Redis, opts: { prefix: string; now?: () => number }): SlackBudget {
  const now = opts.now ?? Date.now;
  const r = redis as BudgetRedis;
  if (!('slackBudgetTake' in redis)) {
    redis.defineCommand('slackBudgetTake', { lua: TAKE });
    redis.defineCommand('slackBudgetPenalise', { numberOfKeys: 1, lua: PENALISE });
  }
  const methodKey = (m: string) => `${opts.prefix}slack-budget:${m}`;
  const channelKey = (c: string) => `${opts.prefix}slack-budget:chat.postMessage:${c}`;
  return {
    async take(method, o = {}) {
      const lane = o.lane ?? currentLane();
      const cells: { key: string; pace: Pace }[] = [];
      const pace = methodPace(method);
      if (pace) cells.push({ key: methodKey(method), pace });
      if (method === 'chat.postMessage' && o.channel) cells.push({ key: channelKey(o.channel), pace: CHANNEL_PACE });
      if (!cells.length) return 0;
      const args = cells.flatMap((c) => [c.pace.intervalMs, laneBurst(c.pace, lane)]);
      const wait = await r.slackBudgetTake(cells.length, ...cells.map((c) => c.key), now(), ...args);
      return Math.ceil(Number(wait));
    },
    async penalise(method, retryAfterMs, channel) {
      const t = now();
      const key = method === 'chat.postMessage' && channel ? channelKey(channel) : methodKey(method);
      await r.slackBudgetPenalise(key, t + retryAfterMs, t);
    },
  };
}

/** No pacing (the in-memory twin and clients that talk to a Slack without limits). */
export const UNLIMITED_BUDGET: SlackBudget = { take: async () => 0, penalise: async () => undefined };
