/**
 * The connection gater of an agent: libp2p's browser rule (no plain `ws://`, no private or loopback
 * addresses) except for the hubs the agent was told to dial. In Node every address is allowed.
 */
import { isPrivate } from '@libp2p/utils'
import { WebSockets } from '@multiformats/multiaddr-matcher'
import type { ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** libp2p's browser rule (no plain ws, no private addresses) except for the hubs we were told to dial. */
export function hubGater (hubs: readonly Multiaddr[]): ConnectionGater {
  const allowed = new Set(hubs.map(String))
  return {
    denyDialMultiaddr: (addr: Multiaddr) => {
      const text = addr.toString()
      if ([...allowed].some(hub => hub === text || hub.startsWith(text + '/p2p/'))) return false
      if (typeof globalThis.document === 'undefined') return false
      return WebSockets.matches(addr) || isPrivate(addr)
    }
  }
}
