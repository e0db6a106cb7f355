/**
 * @packageDocumentation
 *
 * A ready-made consensus agent: a libp2p node with websockets, noise, yamux, identify, gossipsub
 * and the consensus service, that dials one or more hubs and stays connected to them. The same
 * code runs in a browser tab and in Node; in Node it can also listen and be the hub.
 *
 * @example
 * ```ts
 * import { createAgent } from 'libp2p-consensus/agent'
 *
 * const agent = await createAgent({ hubs: ['/dns4/hub.example.com/tcp/443/wss/p2p/12D3KooW...'], consensus: { voter: () => 'for' } })
 * const result = await agent.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum' })
 * ```
 *
 * @module libp2p-consensus/agent
 */
import { InvalidParametersError } from '@libp2p/interface'
import { hubGater } from './gater.js'
import { systemClock } from '../clock.js'
import { createConsensusNode, type ConsensusNode } from './node.js'
import { checkRedialDelay, ConnectionKeeper, parsePeerAddresses, type KeptPeer } from './redial.js'
import { rendezvousOrder } from './rendezvous.js'
import { isBrowser } from './webrtc.js'
import type { ConsensusInit, GossipsubPreset } from '../libp2p/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export { createConsensusNode, connectFullMesh, type ConsensusNode, type ConsensusNodeInit, type ConsensusNodeServices } from './node.js'
export { connectionKind, linkKinds, isWebRTCLink, type LinkKind } from './webrtc.js'
export { rendezvousOrder } from './rendezvous.js'
export { peersTopicFor, type WebRTCPeersStatus, type WebRTCPeersCounters } from './discovery.js'

/** A libp2p node running the consensus service (`agent.services.consensus`), made by {@link createAgent}. */
export type ConsensusAgent = ConsensusNode

/** Options of {@link createAgent}; every field is optional. */
export interface AgentInit {
  /**
   * Hubs to stay connected to, as multiaddrs ending in `/p2p/<peer id>`, e.g.
   * `/ip4/192.168.1.20/tcp/9090/ws/p2p/12D3KooW...` or `/dns4/hub.example.com/tcp/443/wss/p2p/12D3KooW...`.
   * A page served over https can only open `wss://` connections (browsers block mixed content).
   * Several addresses of one hub (same PeerId) count as one hub. The agent keeps
   * {@link AgentInit.hubConnections} of them connected, chosen as described there.
   *
   * @default []
   */
  hubs?: string[]
  /**
   * How many of `hubs` to stay connected to at once (`Infinity`: all of them).
   *
   * Which ones: every agent ranks the hubs by rendezvous hashing — SHA-256 of its own PeerId and
   * the hub's ({@link rendezvousOrder}) — and keeps the first ones in that order that answer. The
   * order is deterministic and differs from agent to agent, so a swarm given the same list spreads
   * evenly over the hubs, with no coordination. When a connected hub goes away (or cannot be
   * reached at start) the agent dials the next hub in its order at once (failover), and keeps
   * retrying its preferred hubs with backoff ({@link AgentInit.redialDelayMs}, doubling up to 30 s).
   * When a preferred hub is back, the agent connects to it and, a moment later (`redialDelayMs`),
   * drops the connection it failed over to: it moves back, so the spread is restored after an outage.
   * Consensus traffic does not depend on which hub an agent uses: hubs linked by `peers` relay
   * everything between them.
   *
   * What an agent misses while it fails over (the few hundred milliseconds until its next hub has it
   * in its gossipsub mesh) it pulls from that hub as soon as it subscribes there: all the hub holds of
   * each proposal still open, which the agent then publishes on. With 2, losing one hub does not even
   * open that gap: worth it for an agent that coordinates many proposals.
   *
   * @default 1
   */
  hubConnections?: number
  /**
   * Addresses to listen on (Node only: browsers cannot accept connections), e.g.
   * `['/ip4/0.0.0.0/tcp/9090/ws']` for a hub reachable from other machines.
   *
   * @default []
   */
  listen?: string[]
  /**
   * The gossipsub shape of this node: a `hub` keeps every leaf in its mesh and relays for all of them.
   *
   * @default 'hub' when `listen` is given, else 'leaf'
   */
  preset?: GossipsubPreset
  /** Options of the consensus service (voter, algorithms, namespace, timeouts...). */
  consensus?: ConsensusInit
  /**
   * A display name to announce in the agent's signed presence (`expert-backend-001`): peers list the
   * agent by it and may pass it in `participants` or `agentWeights`. The same as `consensus.name`;
   * self-declared, so proposals and certificates still hold the PeerId.
   *
   * @default no name
   */
  name?: string
  /**
   * A role to announce next to the name (`reviewer`); the same as `consensus.role`.
   *
   * @default no role
   */
  role?: string
  /** The agent's Ed25519 key (its PeerId and vote signatures); a fresh one when absent. */
  privateKey?: PrivateKey
  /** Where the agent keeps proposals, votes and decisions across restarts (memory when absent). */
  datastore?: Datastore
  /**
   * libp2p's browser connection gater refuses plain `ws://` and private or loopback addresses. With
   * this on, the addresses listed in `hubs` are allowed anyway (a hub on your laptop or LAN during
   * development); every other address keeps the browser rule. It changes nothing in Node, whose
   * gater allows them all.
   *
   * @default true
   */
  allowLocalHubs?: boolean
  /**
   * After a hub connection drops or a dial fails, retry that hub after this delay, doubling up to
   * 30 s while it keeps failing (another hub takes its place meanwhile, see {@link AgentInit.hubConnections}).
   *
   * @default 1000
   */
  redialDelayMs?: number
  /**
   * Direct links to other agents over WebRTC, through a hub's circuit relay (see
   * `ConsensusNodeInit.webrtc`). In Node it needs Node ≥ 22 and `node-datachannel`'s binary.
   *
   * @default true in a browser page, false in Node
   */
  webrtc?: boolean
  /** ICE servers and other WebRTC settings, used with `webrtc` on (default: `@libp2p/webrtc`'s public STUN servers). */
  rtcConfiguration?: RTCConfiguration
  /**
   * Most direct WebRTC links this agent keeps (dialed and accepted); inbound ones beyond it are
   * closed, and an agent at the cap stops announcing itself (see `ConsensusNodeInit.maxDirectLinks`).
   *
   * @default 8
   */
  maxDirectLinks?: number
}

/** `init.consensus` with `init.name` and `init.role` in it; the two places may not disagree. */
function withIdentityLabels (init: AgentInit): ConsensusInit | undefined {
  if (init.name === undefined && init.role === undefined) return init.consensus
  for (const key of ['name', 'role'] as const) {
    const inner = init.consensus?.[key]
    if (init[key] !== undefined && inner !== undefined && inner !== init[key]) {
      throw new InvalidParametersError(`${key} is given twice, as ${JSON.stringify(init[key])} and consensus.${key} ${JSON.stringify(inner)}: give one`)
    }
  }
  return {
    ...init.consensus,
    ...(init.name === undefined ? {} : { name: init.name }),
    ...(init.role === undefined ? {} : { role: init.role })
  }
}

/** The default {@link AgentInit.hubConnections}. */
export const DEFAULT_HUB_CONNECTIONS = 1

/**
 * Create and start an agent, then connect to its hubs: resolves once `hubConnections` of them are
 * connected, or every hub was tried once (a hub that cannot be reached yet is retried in the
 * background; it does not fail the call).
 *
 * @example
 * ```ts
 * // a Node hub on this machine, and an agent that joins it
 * const hub = await createAgent({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
 * const agent = await createAgent({ hubs: hub.getMultiaddrs().map(String), consensus: { voter: () => 'for' } })
 * ```
 */
export async function createAgent (init: AgentInit = {}): Promise<ConsensusAgent> {
  const hubs = parsePeerAddresses(init.hubs ?? [], 'hub address')
  const redialDelayMs = checkRedialDelay(init.redialDelayMs)
  const hubConnections = init.hubConnections ?? DEFAULT_HUB_CONNECTIONS
  if (!(hubConnections === Infinity || (Number.isInteger(hubConnections) && hubConnections >= 1))) {
    throw new InvalidParametersError(`hubConnections must be an integer ≥ 1 (or Infinity: every hub), got ${String(init.hubConnections)}`)
  }
  const consensus = withIdentityLabels(init)
  const node: ConsensusAgent = await createConsensusNode({
    ...(init.listen === undefined ? {} : { listen: init.listen }),
    ...(init.preset === undefined ? {} : { preset: init.preset }),
    ...(consensus === undefined ? {} : { consensus }),
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(init.datastore === undefined ? {} : { datastore: init.datastore }),
    ...(init.webrtc === undefined ? {} : { webrtc: init.webrtc }),
    ...(init.rtcConfiguration === undefined ? {} : { rtcConfiguration: init.rtcConfiguration }),
    ...(init.maxDirectLinks === undefined ? {} : { maxDirectLinks: init.maxDirectLinks }),
    ...(init.allowLocalHubs === false || hubs.length === 0 ? {} : { connectionGater: hubGater(hubs.flatMap(h => h.addrs)) })
  })
  const byId = new Map(hubs.map(h => [h.peerId, h]))
  const order = rendezvousOrder(node.peerId.toString(), hubs.map(h => h.peerId)).map(id => byId.get(id) as KeptPeer)
  const keeper = new ConnectionKeeper(node, order, {
    connections: hubConnections,
    baseDelayMs: redialDelayMs,
    clock: init.consensus?.clock ?? systemClock
  })
  node.addEventListener('stop', () => { keeper.stop() }, { once: true })
  leaveWithThePage(node)
  await keeper.start()
  return node
}

/**
 * In a page: when it is closed or navigated away from for good (`pagehide`, not kept in the
 * back-forward cache), tell the swarm at once, then stop. A closing page runs no asynchronous work to
 * its end, so the leave goes out already signed (`consensus.announceLeaving()`); without it the
 * tab would stay in the rosters of peers it was not connected to until their presence TTL.
 */
function leaveWithThePage (node: ConsensusAgent): void {
  if (!isBrowser() || typeof globalThis.addEventListener !== 'function') return
  const onPageHide = (evt: Event): void => {
    if ((evt as PageTransitionEvent).persisted) return
    node.services.consensus.announceLeaving()
    void Promise.resolve(node.stop()).catch(() => {})
  }
  globalThis.addEventListener('pagehide', onPageHide)
  node.addEventListener('stop', () => { globalThis.removeEventListener('pagehide', onPageHide) }, { once: true })
}
