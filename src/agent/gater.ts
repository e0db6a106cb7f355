/**
 * The connection gater of an agent: libp2p's browser rule (no plain `ws://`, no private or loopback
 * addresses) except for the hubs the agent was told to dial, and for circuit addresses through
 * those hubs (`<hub>/p2p-circuit/…`: other tabs' WebRTC addresses, signalled through the hub's
 * relay). In Node every address is allowed.
 */
import { isPrivate } from '@libp2p/utils'
import { WebSockets } from '@multiformats/multiaddr-matcher'
import type { ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const CIRCUIT = '/p2p-circuit'

/** libp2p's browser rule (no plain ws, no private addresses) except for the hubs we were told to dial and circuits through them. */
export function hubGater (hubs: readonly Multiaddr[]): ConnectionGater {
  const allowed = new Set(hubs.map(String))
  const isHub = (text: string): boolean => [...allowed].some(hub => hub === text || hub.startsWith(text + '/p2p/'))
  return {
    denyDialMultiaddr: (addr: Multiaddr) => {
      const text = addr.toString()
      if (isHub(text)) return false
      // a peer reached through a hub's relay: the hub is the only address dialed over the network
      const circuit = text.indexOf(CIRCUIT + '/')
      if (circuit > 0 && isHub(text.slice(0, circuit))) return false
      if (typeof globalThis.document === 'undefined') return false
      return WebSockets.matches(addr) || isPrivate(addr)
    }
  }
}
