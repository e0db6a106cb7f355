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
 *
 * Hubs link into a backbone with `peers`: each hub dials the hubs it is given and stays connected
 * to them, and gossipsub carries every consensus message across those links, so agents behind
 * different hubs see each other's proposals, votes and presence.
 *
 * @module libp2p-consensus/hub
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { InvalidParametersError } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import { createConsensusNode, type ConsensusAgent } from '../agent/index.js'
import { checkRedialDelay, ConnectionKeeper, parsePeerAddresses, type KeptPeer } from '../agent/redial.js'
import { systemClock, type Clock } from '../clock.js'
import { DEFAULT_HUB_HOST, hubListenAddress } from './listen.js'
import { hubRelayServer } from './relay.js'
import type { ConsensusResult } from '../core/results.js'
import type { Consensus, ConsensusInit, PeerInfo } from '../libp2p/index.js'
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
  /**
   * Other hubs to link with, as websocket multiaddrs ending in `/p2p/<peer id>` (what their
   * `multiaddrs` list, e.g. `/ip4/192.168.1.21/tcp/9090/ws/p2p/12D3KooW...`). The hub dials every
   * one, stays connected (a dropped or unreachable peer is redialed after `redialDelayMs`, doubling
   * up to 30 s), and keeps them in its gossipsub mesh, so consensus traffic crosses the backbone.
   * A link needs one side to list the other; listing each other is fine too. The hub's own address
   * is skipped, so every hub of a backbone can be given the same list.
   *
   * @default []
   */
  peers?: string[]
  /**
   * The first retry of a backbone peer that dropped or could not be reached waits this long, then twice as long each time.
   *
   * @default 1000
   */
  redialDelayMs?: number
  /** Options of the hub's consensus service (namespace, voter, algorithms...). Without a `voter` the hub relays and watches but does not vote. */
  consensus?: ConsensusInit
  /**
   * A display name the hub announces in its presence (`hub-eu-1`), as `createAgent({ name })`; the same as `consensus.name`.
   *
   * @default no name
   */
  name?: string
  /**
   * A role the hub announces next to its name; the same as `consensus.role`.
   *
   * @default no role
   */
  role?: string
  /**
   * The hub's Ed25519 key. Keep it (e.g. `privateKeyFromProtobuf` of saved bytes) so the hub's
   * multiaddr stays the same across restarts; a fresh one when absent.
   */
  privateKey?: PrivateKey
  /** Where the hub keeps proposals, votes and decisions across restarts (memory when absent). */
  datastore?: Datastore
}

/** Detail of the `agent:join`, `agent:update` and `agent:leave` events. */
export interface HubAgentEvent {
  /** the agent's PeerId */
  peerId: string
  /**
   * The display name the agent announced in its presence, once the hub has heard it (self-declared).
   * An agent subscribes before its first presence arrives, so `agent:join` often has none yet: the
   * name then comes with a later `agent:update`.
   */
  name?: string
  /** The role the agent announced, once heard (as `name`). */
  role?: string
  /** how many agents are on the topic after this change */
  agents: number
}

/** Detail of the `peer:join` and `peer:leave` events. */
export interface HubPeerEvent {
  /** the other hub's PeerId */
  peerId: string
  /** how many other hubs are linked to this one after this change */
  peers: number
}

/** Events of {@link ConsensusHub}. */
export interface ConsensusHubEvents {
  /** an agent subscribed to the consensus topic (with its name and role if its presence came first) */
  'agent:join': CustomEvent<HubAgentEvent>
  /** an agent already joined announced a name or role (its first presence after the join, or a changed one) */
  'agent:update': CustomEvent<HubAgentEvent>
  /** an agent unsubscribed or disconnected */
  'agent:leave': CustomEvent<HubAgentEvent>
  /** another hub (one of `peers`, or one that listed this hub) linked to this one on the consensus topic */
  'peer:join': CustomEvent<HubPeerEvent>
  /** a linked hub unsubscribed or disconnected */
  'peer:leave': CustomEvent<HubPeerEvent>
  /** a decision the hub saw finalized (its own service's `decision` event) */
  decision: CustomEvent<ConsensusResult>
}

/**
 * A running hub: see {@link createHub}. Agents dial one of its `multiaddrs`; it relays their
 * consensus traffic, to its backbone peers too, and re-dispatches what it sees as events.
 *
 * Other hubs are not agents: a peer is a hub when it is one of `peers` or runs a circuit relay
 * server (every hub does; identify tells), and it shows up in `peer:join`/`peers()`, never in
 * `agent:join`/`agents()`. A hub without a `voter` also announces itself as a non-voter in
 * presence, so it is in no default electorate either.
 */
export class ConsensusHub extends TypedEventEmitter<ConsensusHubEvents> {
  /** `'libp2p-consensus/hub'` */
  readonly [Symbol.toStringTag] = 'libp2p-consensus/hub'
  /** The libp2p node (a {@link ConsensusAgent} that listens, with the `hub` gossipsub preset and a circuit relay server). */
  readonly node: ConsensusAgent
  /** The hub's consensus service. */
  readonly consensus: Consensus
  /** The backbone peers it was given (its own address left out), as given. */
  readonly peerAddresses: readonly string[]
  private readonly keeper: ConnectionKeeper
  private readonly configured: ReadonlySet<string>
  private readonly presentAgents = new Set<string>()
  private readonly presentPeers = new Set<string>()
  /** what each joined agent last announced, for its `agent:leave` after its presence is gone */
  private readonly labels = new Map<string, { name?: string, role?: string }>()

  /** @internal use {@link createHub} */
  constructor (node: ConsensusAgent, peers: readonly KeptPeer[], redialDelayMs: number, clock: Clock = systemClock) {
    super()
    this.node = node
    this.consensus = node.services.consensus
    this.configured = new Set(peers.map(p => p.peerId))
    this.peerAddresses = peers.flatMap(p => p.addrs.map(String))
    this.keeper = new ConnectionKeeper(node, peers, { baseDelayMs: redialDelayMs, clock })
    node.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    node.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.consensus.addEventListener('decision', this.onDecision)
    this.consensus.addEventListener('peer:present', this.onPresence)
    this.consensus.addEventListener('peer:update', this.onPresence)
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

  /** PeerIds of the agents connected to this hub and subscribed to its consensus topic (not other hubs), sorted. */
  agents (): string[] {
    return [...this.presentAgents].sort()
  }

  /** PeerIds of the other hubs linked to this one on the consensus topic now, sorted. */
  peers (): string[] {
    return [...this.presentPeers].sort()
  }

  /** Dial the backbone peers; resolves once each was dialed once (an unreachable one is retried in the background). */
  async start (): Promise<void> {
    await this.keeper.start()
  }

  /** Stop the hub: open requests of its own reject, agents and backbone peers are disconnected. */
  async stop (): Promise<void> {
    this.keeper.stop()
    this.node.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.consensus.removeEventListener('decision', this.onDecision)
    this.consensus.removeEventListener('peer:present', this.onPresence)
    this.consensus.removeEventListener('peer:update', this.onPresence)
    this.presentAgents.clear()
    this.labels.clear()
    this.presentPeers.clear()
    await this.node.stop()
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<PubSubSubscriptionChange>): void => {
    const change = evt.detail.subscriptions.findLast(s => s.topic === this.consensus.topic)
    if (change === undefined) return
    if (change.subscribe) void this.join(evt.detail.peerId)
    else this.leave(evt.detail.peerId.toString())
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.leave(evt.detail.toString())
  }

  /** A joined agent's presence with a new name or role: `agent:update`. */
  private readonly onPresence = (evt: CustomEvent<PeerInfo>): void => {
    const id = evt.detail.peerId
    if (!this.presentAgents.has(id)) return
    const before = this.labels.get(id) ?? {}
    const label = this.labelOf(id)
    if (before.name === label.name && before.role === label.role) return
    this.labels.set(id, label)
    this.safeDispatchEvent('agent:update', { detail: { peerId: id, ...label, agents: this.presentAgents.size } })
  }

  /** What `id` announced, if the hub has heard it: `{ name?, role? }`. */
  private labelOf (id: string): { name?: string, role?: string } {
    const info = this.consensus.getPeerInfo(id)
    return { ...(info?.name === undefined ? {} : { name: info.name }), ...(info?.role === undefined ? {} : { role: info.role }) }
  }

  private readonly onDecision = (evt: CustomEvent<ConsensusResult>): void => {
    this.safeDispatchEvent('decision', { detail: evt.detail })
  }

  /** One of `peers`, or a peer that runs a relay server: identify has run before gossipsub subscribes, so the peer store knows. */
  private async isHub (peerId: PeerId): Promise<boolean> {
    if (this.configured.has(peerId.toString())) return true
    try {
      return (await this.node.peerStore.get(peerId)).protocols.includes(RELAY_V2_HOP_CODEC)
    } catch {
      return false
    }
  }

  private async join (peerId: PeerId): Promise<void> {
    const id = peerId.toString()
    if (this.presentAgents.has(id) || this.presentPeers.has(id)) return
    const hub = await this.isHub(peerId)
    // a subscription can trail a connection that already closed (or closed while we looked)
    if (this.presentAgents.has(id) || this.presentPeers.has(id) || this.node.getConnections(peerId).length === 0) return
    if (hub) {
      this.presentPeers.add(id)
      this.safeDispatchEvent('peer:join', { detail: { peerId: id, peers: this.presentPeers.size } })
    } else {
      this.presentAgents.add(id)
      const label = this.labelOf(id)
      this.labels.set(id, label)
      this.safeDispatchEvent('agent:join', { detail: { peerId: id, ...label, agents: this.presentAgents.size } })
    }
  }

  private leave (id: string): void {
    if (this.presentAgents.delete(id)) {
      const label = this.labels.get(id) ?? {}
      this.labels.delete(id)
      this.safeDispatchEvent('agent:leave', { detail: { peerId: id, ...label, agents: this.presentAgents.size } })
    } else if (this.presentPeers.delete(id)) this.safeDispatchEvent('peer:leave', { detail: { peerId: id, peers: this.presentPeers.size } })
  }
}

/**
 * Start a hub: a Node consensus agent listening on `ws://host:port`, with the `hub` gossipsub preset
 * (every peer in its mesh, raised inbound limits) so that it relays for many tabs, and a circuit
 * relay server (unlimited reservations; each relayed connection carries WebRTC signalling, not
 * gossip: see `src/hub/relay.ts` for its limits and why). With `peers` it links into a backbone:
 * it dials them and stays connected. Resolves once listening and each peer was dialed once;
 * throws `InvalidParametersError` for a bad host, port, peer address or delay.
 *
 * @example
 * ```ts
 * import { createHub } from 'libp2p-consensus/hub'
 * import { createAgent } from 'libp2p-consensus/agent'
 *
 * const hub = await createHub()
 * const second = await createHub({ peers: hub.multiaddrs })   // a backbone of two hubs
 * hub.addEventListener('agent:join', (evt) => { console.log('joined', evt.detail.peerId) })
 * const agent = await createAgent({ hubs: [...hub.multiaddrs, ...second.multiaddrs], consensus: { voter: () => 'for' } })
 * // …
 * await agent.stop()
 * await second.stop()
 * await hub.stop()
 * ```
 */
export async function createHub (init: HubInit = {}): Promise<ConsensusHub> {
  const listen = hubListenAddress(init.host ?? DEFAULT_HUB_HOST, init.port ?? 0)
  const peers = parsePeerAddresses(init.peers ?? [], 'peer address')
  const redialDelayMs = checkRedialDelay(init.redialDelayMs)
  for (const key of ['name', 'role'] as const) {
    const inner = init.consensus?.[key]
    if (init[key] !== undefined && inner !== undefined && inner !== init[key]) {
      throw new InvalidParametersError(`${key} is given twice, as ${JSON.stringify(init[key])} and consensus.${key} ${JSON.stringify(inner)}: give one`)
    }
  }
  const node = await createConsensusNode({
    listen: [listen],
    preset: 'hub',
    services: { relay: hubRelayServer() },
    ...(init.consensus === undefined && init.name === undefined && init.role === undefined
      ? {}
      : { consensus: { ...init.consensus, ...(init.name === undefined ? {} : { name: init.name }), ...(init.role === undefined ? {} : { role: init.role }) } }),
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(init.datastore === undefined ? {} : { datastore: init.datastore })
  })
  const self = node.peerId.toString()
  const hub = new ConsensusHub(node, peers.filter(p => p.peerId !== self), redialDelayMs, init.consensus?.clock)
  await hub.start()
  return hub
}
