/**
 * Rate limits of the Slack emulator (protocols 5.2): token buckets per method (Tier 1..4 are
 * 1, 20, 50, 100 calls per minute, bursts allowed) and chat.postMessage's special limit of about one
 * message per second per channel with short bursts. Time is passed in, so the buckets are pure.
 */

export interface MethodLimit {
  perMinute: number;
}

export interface PerChannelLimit {
  /** Sustained rate (default 1 per second). */
  perSecond?: number;
  /** Messages allowed at once before the sustained rate applies (default 3). */
  burst?: number;
}

export interface RateLimitOptions {
  /** Per-method limits, e.g. `{ 'conversations.create': { perMinute: 20 } }`. */
  methods?: Record<string, MethodLimit>;
  /** Apply the documented tier (protocols 5.2) to every method not listed in `methods`. */
  tiers?: boolean;
  /** chat.postMessage per channel: `true` for ~1/s with a burst of 3, or explicit numbers. */
  postMessagePerChannel?: boolean | PerChannelLimit;
}

const TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;

/** Documented tiers of the methods the emulator serves (protocols 5.2). Special methods are absent. */
export const METHOD_TIERS: Record<string, 1 | 2 | 3 | 4> = {
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

class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait (at least 1). */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000));
  }
}

export class RateLimiter {
  private readonly methodBuckets = new Map<string, Bucket>();
  private readonly channelBuckets = new Map<string, Bucket>();
  constructor(private readonly opts: RateLimitOptions = {}) {}

  private methodLimit(method: string): MethodLimit | undefined {
    const explicit = this.opts.methods?.[method];
    if (explicit) return explicit;
    const tier = METHOD_TIERS[method];
    if (this.opts.tiers && tier !== undefined) return { perMinute: TIER_PER_MINUTE[tier] };
    return undefined;
  }

  /**
   * Whether a call may go through now. Returns 0 when allowed, else the Retry-After seconds.
   * `channel` is the target channel of chat.postMessage.
   */
  check(method: string, now: number, channel?: string): number {
    const limit = this.methodLimit(method);
    if (limit) {
      let b = this.methodBuckets.get(method);
      if (!b) {
        b = new Bucket(Math.max(1, limit.perMinute), limit.perMinute / 60_000, now);
        this.methodBuckets.set(method, b);
      }
      const wait = b.take(now);
      if (wait > 0) return wait;
    }
    const per = this.opts.postMessagePerChannel;
    if (method === 'chat.postMessage' && per && channel !== undefined) {
      const cfg: PerChannelLimit = per === true ? {} : per;
      let b = this.channelBuckets.get(channel);
      if (!b) {
        b = new Bucket(cfg.burst ?? 3, (cfg.perSecond ?? 1) / 1000, now);
        this.channelBuckets.set(channel, b);
      }
      return b.take(now);
    }
    return 0;
  }
}
