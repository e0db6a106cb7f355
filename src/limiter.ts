import type { Clock } from './clock.js'

/** Options of a {@link PeerLimiter}. */
export interface PeerLimiterInit {
  /** Where time comes from: the wall clock in production, a virtual clock in a simulation. */
  clock: Clock
  /** Tokens a key earns per second, on average. */
  ratePerSecond: number
  /** Most tokens a key can save up: the largest burst it may spend at once. */
  burst: number
  /**
   * Most keys remembered; beyond it the least recently seen is forgotten first (a forgotten key
   * starts again with a full bucket, so a lapse only ever lets one more through).
   *
   * @default 10000
   */
  maxKeys?: number
}

interface Bucket {
  tokens: number
  at: number
  movedAt: number
}

/**
 * A token bucket per key (a peer, a proposal) with bounded memory: every per-peer limit of the
 * package is one of these. "At most once per interval" is a bucket of burst 1 that earns one token
 * per interval ({@link PeerLimiter.oncePer}).
 *
 * Not `@libp2p/utils`' `RateLimiter`: that one reads `Date.now()` and arms a real timer per key, so a
 * simulation in virtual time could not replay it from a seed.
 */
export class PeerLimiter {
  private readonly clock: Clock
  private readonly rate: number
  private readonly burst: number
  private readonly maxKeys: number
  private readonly buckets = new Map<string, Bucket>()

  constructor (init: PeerLimiterInit) {
    this.clock = init.clock
    this.rate = init.ratePerSecond
    this.burst = init.burst
    this.maxKeys = init.maxKeys ?? 10_000
  }

  /** A limiter that lets each key through at most once every `intervalMs`. */
  static oncePer (intervalMs: number, clock: Clock, maxKeys?: number): PeerLimiter {
    return new PeerLimiter({ clock, ratePerSecond: 1000 / intervalMs, burst: 1, maxKeys })
  }

  /** Spend one token of `key` now; false (and nothing spent) when its bucket is empty. */
  take (key: string): boolean {
    const now = this.clock.now()
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string)
      bucket = { tokens: this.burst, at: now, movedAt: now }
      this.buckets.set(key, bucket)
    } else {
      // Map order is recency order, refreshed at most once a second per key: a delete and an insert
      // per message would cost more than the order is worth (it matters only once maxKeys are held)
      if (now - bucket.movedAt >= 1000 || now < bucket.movedAt) {
        this.buckets.delete(key)
        this.buckets.set(key, bucket)
        bucket.movedAt = now
      }
      bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) * this.rate) / 1000)
      bucket.at = now
    }
    // a float's rounding must not cost a whole interval (0.1 + 0.2 earned is a token)
    if (bucket.tokens < 0.999999999) return false
    bucket.tokens -= 1
    return true
  }

  /** Forget `key`: its next `take` starts with a full bucket (e.g. after its connection closed). */
  reset (key: string): void {
    this.buckets.delete(key)
  }
}
