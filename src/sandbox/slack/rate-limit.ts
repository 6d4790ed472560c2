/**
 * Rate limits of the Slack emulator (protocols 5.2): token buckets per method (Tier 1..4 are
 * 1, 20, 50, 100 calls per minute, bursts allowed) and chat.postMessage's special limit of about one
 * message per second per channel with short bursts. Time is passed in, so the buckets are pure.
 */
import { METHOD_TIERS, POST_MESSAGE_PER_CHANNEL, TIER_PER_MINUTE } from '../../domain/slack-tiers.js';

export interface MethodLimit {
  perMinute: number;
}

export interface PerChannelLimit {
  /** Sustained rate (default 1 per second). */
  perSecond?: number;
  /** Messages allowed at once before the sustained rate applies (default 3). */
  burst?: number;
}

/**
 * The emulator's limits. Absent (the default): the documented limits, `{ tiers: true,
 * postMessagePerChannel: true }`, as Slack enforces them. A test that needs an unlimited Slack says
 * so with `UNLIMITED` (`{ tiers: false }`).
 */
export interface RateLimitOptions {
  /** Per-method limits, e.g. `{ 'conversations.create': { perMinute: 20 } }`. */
  methods?: Record<string, MethodLimit>;
  /** Apply the documented tier (protocols 5.2) to every method not listed in `methods` (default true). */
  tiers?: boolean;
  /** chat.postMessage per channel: `true` for ~1/s with a burst of 3, or explicit numbers (default: true when `tiers` is). */
  postMessagePerChannel?: boolean | PerChannelLimit;
}

/** Slack's documented limits (the default). */
export const DOCUMENTED_LIMITS: RateLimitOptions = { tiers: true, postMessagePerChannel: true };
/** No limit at all: only for a test that says why it needs an unlimited Slack. */
export const UNLIMITED: RateLimitOptions = { tiers: false, postMessagePerChannel: false };

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
  private readonly opts: RateLimitOptions;
  constructor(opts: RateLimitOptions = DOCUMENTED_LIMITS) {
    const tiers = opts.tiers ?? true;
    this.opts = { ...opts, tiers, postMessagePerChannel: opts.postMessagePerChannel ?? tiers };
  }

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
        b = new Bucket(cfg.burst ?? POST_MESSAGE_PER_CHANNEL.burst, (cfg.perSecond ?? POST_MESSAGE_PER_CHANNEL.perSecond) / 1000, now);
        this.channelBuckets.set(channel, b);
      }
      return b.take(now);
    }
    return 0;
  }
}
