/**
 * @packageDocumentation
 *
 * The edge hub (Node only): a consensus agent that listens on websockets, keeps every tab and
 * terminal agent that dials it in its gossipsub mesh, relays their messages to each other, and
 * reports who joins, who leaves and what the swarm decides. It also runs a circuit relay server
 * (`@libp2p/circuit-relay-v2`) on which tabs reserve a slot to reach each other over WebRTC.
 *
 * @example
 * ```ts
 * import { createHub } from 'libp2p-consensus/hub'
 *
 * const hub = await createHub({ port: 9090 })
 * console.log('agents connect to', hub.multiaddrs)
 * hub.addEventListener('decision', (evt) => { console.log(evt.detail.decision) })
 * ```
 */
import { TypedEventEmitter } from 'main-event'
import { createConsensusNode, type ConsensusAgent } from '../agent/index.js'
import { DEFAULT_HUB_HOST, hubListenAddress } from './listen.js'
import { hubRelayServer } from './relay.js'
import type { ConsensusResult } from '../core/results.js'
import type { Consensus, ConsensusInit } from '../libp2p/index.js'
import type { PubSubSubscriptionChange } from '../libp2p/pubsub.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export { DEFAULT_HUB_HOST, hubListenAddress } from './listen.js'

/** Options of {@link createHub}; every field is optional. */
export interface HubInit {
  /**
   * The IP address to listen on. `127.0.0.1` serves this machine only; `0.0.0.0` (or `::`) serves
   * other machines too, and `multiaddrs` then lists one address per network interface.
   *
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * The TCP port of the websocket listener; 0 picks a free one (read it from `multiaddrs`).
   *
   * @default 0
   */
  port?: number
  /** Options of the hub's consensus service (namespace, voter, algorithms...). Without a `voter` the hub relays and watches but does not vote. */
  consensus?: ConsensusInit
  /**
   * The hub's Ed25519 key. Keep it (e.g. `privateKeyFromProtobuf` of saved bytes) so the hub's
   * multiaddr stays the same across restarts; a fresh one when absent.
   */
  privateKey?: PrivateKey
  /** Where the hub keeps proposals, votes and decisions across restarts (memory when absent). */
  datastore?: Datastore
}

/** Detail of the `agent:join` and `agent:leave` events. */
export interface HubAgentEvent {
  /** the agent's PeerId */
  peerId: string
  /** how many agents are on the topic after this change */
  agents: number
}

/** Events of {@link ConsensusHub}. */
export interface ConsensusHubEvents {
  /** an agent subscribed to the consensus topic */
  'agent:join': CustomEvent<HubAgentEvent>
  /** an agent unsubscribed or disconnected */
  'agent:leave': CustomEvent<HubAgentEvent>
  /** a decision the hub saw finalized (its own service's `decision` event) */
  decision: CustomEvent<ConsensusResult>
}

/**
 * A running hub: see {@link createHub}. Agents dial one of its `multiaddrs`; it relays their
 * consensus traffic and re-dispatches what it sees as events.
 */
export class ConsensusHub extends TypedEventEmitter<ConsensusHubEvents> {
  readonly [Symbol.toStringTag] = 'libp2p-consensus/hub'
  /** The libp2p node (a {@link ConsensusAgent} that listens, with the `hub` gossipsub preset). */
  readonly node: ConsensusAgent
  /** The hub's consensus service. */
  readonly consensus: Consensus
  private readonly present = new Set<string>()

  constructor (node: ConsensusAgent) {
    super()
    this.node = node
    this.consensus = node.services.consensus
    node.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    node.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.consensus.addEventListener('decision', this.onDecision)
  }

  /** The hub's PeerId. */
  get peerId (): string {
    return this.node.peerId.toString()
  }

  /**
   * Addresses agents can dial, each ending in `/p2p/<hub peer id>` (pass them to `createAgent({ hubs })`).
   * With host `0.0.0.0` there is one per network interface; give remote agents one of a reachable interface.
   */
  get multiaddrs (): string[] {
    return this.node.getMultiaddrs().map(String)
  }

  /** PeerIds of the agents connected to the hub and subscribed to its consensus topic, sorted. */
  agents (): string[] {
    return this.consensus.getPeers()
  }

  /** Stop the hub: open requests of its own reject, agents are disconnected. */
  async stop (): Promise<void> {
    this.node.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.consensus.removeEventListener('decision', this.onDecision)
    this.present.clear()
    await this.node.stop()
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<PubSubSubscriptionChange>): void => {
    const change = evt.detail.subscriptions.findLast(s => s.topic === this.consensus.topic)
    if (change === undefined) return
    if (change.subscribe) this.join(evt.detail.peerId)
    else this.leave(evt.detail.peerId.toString())
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.leave(evt.detail.toString())
  }

  private readonly onDecision = (evt: CustomEvent<ConsensusResult>): void => {
    this.safeDispatchEvent('decision', { detail: evt.detail })
  }

  private join (peerId: PeerId): void {
    const id = peerId.toString()
    // a subscription can trail a connection that already closed
    if (this.present.has(id) || this.node.getConnections(peerId).length === 0) return
    this.present.add(id)
    this.safeDispatchEvent('agent:join', { detail: { peerId: id, agents: this.present.size } })
  }

  private leave (id: string): void {
    if (!this.present.delete(id)) return
    this.safeDispatchEvent('agent:leave', { detail: { peerId: id, agents: this.present.size } })
  }
}

/**
 * Start a hub: a Node consensus agent listening on `ws://host:port`, with the `hub` gossipsub preset
 * (every leaf in its mesh, raised inbound limits) so that it relays for many tabs, and a circuit
 * relay server (unlimited reservations; each relayed connection carries WebRTC signalling, not
 * gossip: see `src/hub/relay.ts` for its limits and why).
 *
 * @example
 * ```ts
 * import { createHub } from 'libp2p-consensus/hub'
 * import { createAgent } from 'libp2p-consensus/agent'
 *
 * const hub = await createHub()
 * hub.addEventListener('agent:join', (evt) => { console.log('joined', evt.detail.peerId) })
 * const agent = await createAgent({ hubs: hub.multiaddrs, consensus: { voter: () => 'for' } })
 * // …
 * await agent.stop()
 * await hub.stop()
 * ```
 */
export async function createHub (init: HubInit = {}): Promise<ConsensusHub> {
  const listen = hubListenAddress(init.host ?? DEFAULT_HUB_HOST, init.port ?? 0)
  const node = await createConsensusNode({
    listen: [listen],
    preset: 'hub',
    services: { relay: hubRelayServer() },
    ...(init.consensus === undefined ? {} : { consensus: init.consensus }),
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(init.datastore === undefined ? {} : { datastore: init.datastore })
  })
  return new ConsensusHub(node)
}
