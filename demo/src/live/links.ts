/**
 * How this tab reaches each peer, in words, from the agent's own link classification
 * (`linkKinds`): direct (WebRTC, tab to tab), relayed (a circuit through a hub: WebRTC signalling
 * only), a websocket (to a hub), or no connection of its own (gossip reaches the peer through a hub).
 */
import { linkKinds, type LinkKind } from '../../../src/agent/index.js'
import type { Libp2p } from '@libp2p/interface'

/** A link as the page names it. */
export type LinkLabel = 'direct' | 'relayed' | 'websocket' | 'via hub'

const LABEL: Record<LinkKind, LinkLabel> = {
  webrtc: 'direct', relayed: 'relayed', websocket: 'websocket', tcp: 'websocket', memory: 'websocket', other: 'websocket'
}

/** Each connected peer's link label. */
export function linkLabels (node: Pick<Libp2p, 'getConnections'>): Map<string, LinkLabel> {
  return new Map([...linkKinds(node)].map(([peer, kind]) => [peer, LABEL[kind]]))
}

/** Words for a link, shown beside a peer. */
export const LINK_WORDS: Record<LinkLabel, string> = {
  direct: 'direct · WebRTC',
  relayed: 'relayed by a hub',
  websocket: 'websocket',
  'via hub': 'through a hub'
}
