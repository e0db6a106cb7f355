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
 */
import { InvalidParametersError } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { WebSockets, WebSocketsSecure } from '@multiformats/multiaddr-matcher'
import { hubGater } from './gater.js'
import { systemClock, type Clock } from '../clock.js'
import { createConsensusNode, type ConsensusNode } from './node.js'
import type { ConsensusInit, GossipsubPreset } from '../libp2p/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export { createConsensusNode, connectFullMesh, type ConsensusNode, type ConsensusNodeInit, type ConsensusNodeServices } from './node.js'

/** A libp2p node running the consensus service (`agent.services.consensus`), made by {@link createAgent}. */
export type ConsensusAgent = ConsensusNode

/** Options of {@link createAgent}; every field is optional. */
export interface AgentInit {
  /**
   * Hubs to dial and stay connected to, as multiaddrs ending in `/p2p/<peer id>`, e.g.
   * `/ip4/192.168.1.20/tcp/9090/ws/p2p/12D3KooW...` or `/dns4/hub.example.com/tcp/443/wss/p2p/12D3KooW...`.
   * A page served over https can only open `wss://` connections (browsers block mixed content).
   *
   * @default []
   */
  hubs?: string[]
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
   * After a hub connection drops, redial it after this delay, doubling up to 30 s while it fails.
   *
   * @default 1000
   */
  redialDelayMs?: number
}

const MAX_REDIAL_DELAY_MS = 30_000

/**
 * Create and start an agent, then dial its hubs (resolves once every hub was dialed once; a hub
 * that cannot be reached yet is retried in the background, it does not fail the call).
 *
 * @example
 * ```ts
 * // a Node hub on this machine, and an agent that joins it
 * const hub = await createAgent({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
 * const agent = await createAgent({ hubs: hub.getMultiaddrs().map(String), consensus: { voter: () => 'for' } })
 * ```
 */
export async function createAgent (init: AgentInit = {}): Promise<ConsensusAgent> {
  const hubs = parseHubs(init.hubs ?? [])
  const redialDelayMs = init.redialDelayMs ?? 1000
  if (!(redialDelayMs > 0)) throw new InvalidParametersError(`redialDelayMs must be > 0, got ${String(init.redialDelayMs)}`)
  const node: ConsensusAgent = await createConsensusNode({
    ...(init.listen === undefined ? {} : { listen: init.listen }),
    ...(init.preset === undefined ? {} : { preset: init.preset }),
    ...(init.consensus === undefined ? {} : { consensus: init.consensus }),
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(init.datastore === undefined ? {} : { datastore: init.datastore }),
    ...(init.allowLocalHubs === false || hubs.length === 0 ? {} : { connectionGater: hubGater(hubs.map(h => h.addr)) })
  })
  const redial = keepConnected(node, hubs, redialDelayMs, init.consensus?.clock ?? systemClock)
  // a hub that is not up yet is retried in the background, like one that goes away later
  await Promise.all(hubs.map(async hub => node.dial(hub.addr).catch(() => { redial(hub) })))
  return node
}

/** A hub to stay connected to: its address and the PeerId that address ends in. */
export interface Hub { addr: Multiaddr, peerId: string }

function parseHubs (hubs: string[]): Hub[] {
  if (!Array.isArray(hubs)) throw new InvalidParametersError('hubs must be an array of multiaddr strings')
  return hubs.map(text => {
    let addr: Multiaddr
    try {
      addr = multiaddr(text)
    } catch (err) {
      throw new InvalidParametersError(`hub address ${JSON.stringify(text)} is not a multiaddr: ${(err as Error).message}`)
    }
    const peerId = addr.getComponents().findLast(c => c.name === 'p2p')?.value
    if (peerId === undefined) throw new InvalidParametersError(`hub address ${text} must end in /p2p/<peer id> so the agent knows whom it reaches`)
    if (!WebSockets.matches(addr) && !WebSocketsSecure.matches(addr)) {
      throw new InvalidParametersError(`hub address ${text} is not a websocket address (…/ws or …/wss)`)
    }
    return { addr, peerId }
  })
}

/** Redial a hub whenever its connection drops, backing off while it stays away; returns the scheduler. */
function keepConnected (node: ConsensusAgent, hubs: Hub[], baseDelayMs: number, clock: Clock): (hub: Hub) => void {
  const timers = new Map<string, unknown>()
  const delays = new Map<string, number>()
  const connected = (hub: Hub): boolean => node.getConnections().some(c => c.remotePeer.toString() === hub.peerId)
  const schedule = (hub: Hub): void => {
    if (timers.has(hub.peerId) || node.status !== 'started') return
    const delay = delays.get(hub.peerId) ?? baseDelayMs
    delays.set(hub.peerId, Math.min(delay * 2, MAX_REDIAL_DELAY_MS))
    timers.set(hub.peerId, clock.setTimeout(() => {
      timers.delete(hub.peerId)
      if (node.status !== 'started' || connected(hub)) return
      node.dial(hub.addr).then(() => { delays.delete(hub.peerId) }, () => { schedule(hub) })
    }, delay))
  }
  node.addEventListener('peer:disconnect', (evt) => {
    const hub = hubs.find(h => h.peerId === evt.detail.toString())
    if (hub !== undefined) schedule(hub)
  })
  node.addEventListener('stop', () => {
    for (const timer of timers.values()) clock.clearTimeout(timer)
    timers.clear()
  })
  return schedule
}
