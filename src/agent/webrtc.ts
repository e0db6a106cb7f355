/**
 * Tab-to-tab links: the transports and listen addresses a node needs to reach other peers over
 * WebRTC through a hub's circuit relay, and what kind of link each connection is.
 *
 * A node with WebRTC on reserves a slot on a hub's relay (`/p2p-circuit`) and accepts WebRTC
 * (`/webrtc`); another peer dials its `…/p2p-circuit/webrtc/p2p/<id>` address, the two exchange SDP
 * over the relayed connection and then talk over a direct RTCPeerConnection. The relayed connection
 * is "limited" (the relay caps its bytes and duration), so nothing but the signalling runs on it.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'

/** What to listen on, besides the node's own addresses, to be reachable over WebRTC via a relay. */
export const WEBRTC_LISTEN: readonly string[] = Object.freeze(['/p2p-circuit', '/webrtc'])

/** Whether this code runs in a browser page (where the default for WebRTC is on). */
export function isBrowser (): boolean {
  return typeof globalThis.document !== 'undefined'
}

/**
 * The transports of a WebRTC-capable node: circuit relay (to reserve a slot on a hub and carry the
 * signalling) and WebRTC. `@libp2p/webrtc` is imported only here, when asked for: in Node it loads
 * `node-datachannel`'s native binary, which hubs and agents without WebRTC never need.
 */
export async function webrtcTransports (rtcConfiguration?: RTCConfiguration): Promise<NonNullable<Libp2pOptions['transports']>> {
  const { webRTC } = await import('@libp2p/webrtc')
  return [
    webRTC(rtcConfiguration === undefined ? {} : { rtcConfiguration }),
    circuitRelayTransport()
  ]
}

/**
 * What carries a connection: `webrtc` is a direct browser-grade link (RTCPeerConnection), `relayed`
 * goes through a third peer's circuit relay (limited, used for WebRTC signalling), `websocket`,
 * `tcp` and `memory` are the plain transports (a tab's link to its hub is `websocket`).
 */
export type LinkKind = 'webrtc' | 'relayed' | 'websocket' | 'tcp' | 'memory' | 'other'

/**
 * The {@link LinkKind} of one connection, read from its remote address.
 *
 * @example
 * ```ts
 * for (const connection of agent.getConnections()) console.log(connection.remotePeer.toString(), connectionKind(connection))
 * ```
 */
export function connectionKind (connection: Pick<Connection, 'remoteAddr'>): LinkKind {
  const names = connection.remoteAddr.getComponents().map(c => c.name)
  // a WebRTC connection's address names the relay it was signalled through (…/p2p-circuit/webrtc/…)
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return 'webrtc'
  if (names.includes('p2p-circuit')) return 'relayed'
  if (names.includes('ws') || names.includes('wss') || names.includes('tls')) return 'websocket'
  if (names.includes('memory')) return 'memory'
  if (names.includes('tcp')) return 'tcp'
  return 'other'
}

/** Which kind wins when a peer has several connections: direct before plain before relayed. */
const PREFERENCE: readonly LinkKind[] = ['webrtc', 'websocket', 'tcp', 'memory', 'other', 'relayed']

/**
 * Each connected peer's best link kind (a peer with a WebRTC link and a relayed one is `webrtc`),
 * keyed by PeerId string: what the demo draws as direct or relayed edges.
 *
 * @example
 * ```ts
 * const direct = [...linkKinds(agent)].filter(([, kind]) => kind === 'webrtc').map(([peer]) => peer)
 * ```
 */
export function linkKinds (node: Pick<Libp2p, 'getConnections'>): Map<string, LinkKind> {
  const kinds = new Map<string, LinkKind>()
  for (const connection of node.getConnections()) {
    if (connection.status !== 'open') continue
    const peer = connection.remotePeer.toString()
    const kind = connectionKind(connection)
    const known = kinds.get(peer)
    if (known === undefined || PREFERENCE.indexOf(kind) < PREFERENCE.indexOf(known)) kinds.set(peer, kind)
  }
  return kinds
}

/** Whether a connection is a direct WebRTC link (not the limited relayed connection that signalled it). */
export function isWebRTCLink (connection: Pick<Connection, 'remoteAddr' | 'limits'>): boolean {
  return connectionKind(connection) === 'webrtc' && connection.limits == null
}
