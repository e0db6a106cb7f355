/**
 * A token bucket per peer: `ratePerSecond` messages a second on average, bursts up to `burst`.
 * Bounded: at most `maxPeers` buckets are kept (the least recently seen is forgotten first).
 */
export class PeerBudget {
  private readonly rate: number
  private readonly burst: number
  private readonly maxPeers: number
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

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
      bucket = { tokens: this.burst, at: now }
    } else {
      this.buckets.delete(peer) // re-inserted below: Map order is recency order
      bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) * this.rate) / 1000)
      bucket.at = now
    }
    this.buckets.set(peer, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
