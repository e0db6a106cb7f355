/**
 * A token bucket per peer: `ratePerSecond` messages a second on average, bursts up to `burst`.
 * Bounded: at most `maxPeers` buckets are kept (the least recently seen is forgotten first).
 */
export class PeerBudget {
  private readonly rate: number
  private readonly burst: number
  private readonly maxPeers: number
  private readonly buckets = new Map<string, { tokens: number, at: number, movedAt: number }>()

  constructor (ratePerSecond: number, burst: number, maxPeers = 10_000) {
    this.rate = ratePerSecond
    this.burst = burst
    this.maxPeers = maxPeers
  }

  /** Spend one token of `peer` at time `now` (ms); false when its budget is exhausted. */
  take (peer: string, now: number): boolean {
    let bucket = this.buckets.get(peer)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxPeers) this.buckets.delete(this.buckets.keys().next().value as string)
      bucket = { tokens: this.burst, at: now, movedAt: now }
      this.buckets.set(peer, bucket)
    } else {
      // Map order is recency order, refreshed at most once a second per peer: moving the bucket to
      // the end on every message was a delete and an insert per message, for an order that only
      // matters once `maxPeers` peers are tracked
      if (now - bucket.movedAt >= 1000 || now < bucket.movedAt) {
        this.buckets.delete(peer)
        this.buckets.set(peer, bucket)
        bucket.movedAt = now
      }
      bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) * this.rate) / 1000)
      bucket.at = now
    }
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
