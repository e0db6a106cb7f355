/** Most peers a {@link PeerThrottle} remembers; beyond it, it starts over (a lapse costs one extra send). */
const MAX_REMEMBERED_PEERS = 10_000

/**
 * "At most once per interval per peer", for the courtesies a node offers peers that subscribe next
 * to it (a catch-up request, the presence roster), with bounded memory.
 */
export class PeerThrottle {
  private readonly lastAt = new Map<string, number>()

  /** Whether `peer` may have it now, `intervalMs` after the last time; if so, that is now. */
  take (peer: string, intervalMs: number, now = Date.now()): boolean {
    if ((this.lastAt.get(peer) ?? -Infinity) + intervalMs > now) return false
    if (this.lastAt.size >= MAX_REMEMBERED_PEERS) this.lastAt.clear()
    this.lastAt.set(peer, now)
    return true
  }

  /** Let `peer` have it again at once (e.g. after its connection closed). */
  reset (peer: string): void {
    this.lastAt.delete(peer)
  }
}
