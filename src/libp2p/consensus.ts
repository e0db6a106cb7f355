import { InvalidParametersError, serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import { systemClock } from '../clock.js'
import { ConsensusManager } from '../core/manager.js'
import { PeerLimiter } from '../limiter.js'
import { topicFor } from './constants.js'
import { ConsensusMetrics } from './metrics.js'
import { checkDisplayName, type PeerInfo } from './presence.js'
import { PubSubCoordinator } from './pubsub-coordinator.js'
import type { Consensus, ConsensusComponents, ConsensusEvents, ConsensusInit, ConsensusRequestOptions, WaitForPeersOptions } from './interface.js'
import type { DirectCounters } from './direct.js'
import type { PubSubSubscriptionChange } from './pubsub.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { AlgorithmStats, ConsensusResult, ProposalView } from '../core/results.js'
import type { TopologyInfo } from '../transport/coordinator.js'
import type { Ballot, CborRecord } from '../types.js'
import type { PeerId, Startable } from '@libp2p/interface'

/** How often a peer that (re)subscribes is asked for the decisions we missed, unless configured. */
const DEFAULT_CATCH_UP_INTERVAL_MS = 30_000

const EVENTS = ['proposal', 'vote', 'decision', 'evidence'] as const
const PRESENCE_EVENTS = ['peer:present', 'peer:update', 'peer:absent'] as const

/**
 * A {@link ConsensusManager} as a libp2p service: proposals, votes, closes and acks travel on a
 * gossipsub topic, pulls on a direct protocol, and every node exposes the same API and events.
 */
export class ConsensusService extends TypedEventEmitter<ConsensusEvents> implements Consensus, Startable {
  readonly [Symbol.toStringTag] = 'libp2p-consensus/service'
  readonly [serviceCapabilities]: string[] = ['libp2p-consensus/consensus']
  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub', '@libp2p/identify']
  private readonly coordinator: PubSubCoordinator
  private readonly manager: ConsensusManager
  private readonly components: ConsensusComponents
  private readonly caughtUp: PeerLimiter
  /** The display name this node announces (NFC), if any. */
  readonly name: string | undefined
  /** The role this node announces (NFC), if any. */
  readonly role: string | undefined

  constructor (components: ConsensusComponents, init: ConsensusInit = {}) {
    super()
    if (components.privateKey?.type !== 'Ed25519') {
      const type = String(components.privateKey?.type)
      throw new InvalidParametersError(`the consensus service signs with the node's key, which must be Ed25519; this node has ${type}`)
    }
    this.components = components
    const clock = init.clock ?? systemClock
    this.caughtUp = PeerLimiter.oncePer(init.catchUpIntervalMs ?? DEFAULT_CATCH_UP_INTERVAL_MS, clock)
    const { topic, direct, catchUpIntervalMs, presence, name, role, ...managerInit } = init
    const namespace = init.namespace ?? 'default'
    this.name = checkDisplayName(name, 'name')
    this.role = checkDisplayName(role, 'role')
    // a peer announces itself as a voter when it answers proposals (a hand-voting page says so itself)
    this.coordinator = new PubSubCoordinator(components, {
      topic: topic ?? topicFor(namespace),
      direct,
      namespace,
      clock,
      presence: {
        voter: init.voter !== undefined,
        ...(this.name === undefined ? {} : { name: this.name }),
        ...(this.role === undefined ? {} : { role: this.role }),
        ...presence
      }
    })
    const metrics = components.metrics === undefined ? undefined : new ConsensusMetrics(components.metrics)
    this.manager = new ConsensusManager({
      ...managerInit,
      identity: { peerId: components.peerId.toString(), privateKey: components.privateKey },
      datastore: init.datastore ?? components.datastore,
      coordinator: metrics?.instrument(this.coordinator) ?? this.coordinator,
      logger: components.logger,
      peerNames: () => this.peerNames()
    })
    for (const type of EVENTS) {
      this.manager.addEventListener(type, (evt: CustomEvent<any>) => { this.safeDispatchEvent(type, { detail: evt.detail }) })
    }
    for (const type of PRESENCE_EVENTS) {
      this.coordinator.presence?.addEventListener(type, (evt) => { this.safeDispatchEvent(type, { detail: evt.detail }) })
    }
    if (metrics !== undefined) {
      this.manager.addEventListener('proposal', () => { metrics.onProposal() })
      this.manager.addEventListener('decision', (evt) => { metrics.onDecision(evt.detail) })
    }
  }

  get topic (): string {
    return this.coordinator.topic
  }

  /** Nothing to do until the other services run: see `afterStart`. */
  async start (): Promise<void> {}

  /** Subscribe and start deciding, once gossipsub is running. */
  async afterStart (): Promise<void> {
    await this.coordinator.start()
    await this.manager.start()
    this.components.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.components.events?.addEventListener('peer:disconnect', this.onPeerDisconnect)
  }

  /** Stop deciding (open requests reject with `AbortError`) and leave the topic. */
  async beforeStop (): Promise<void> {
    this.components.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.events?.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    await this.manager.stop()
    await this.coordinator.stop()
  }

  async stop (): Promise<void> {}

  async requestConsensus (proposal: CborRecord, options: ConsensusRequestOptions = {}): Promise<ConsensusResult> {
    const { minPeers, waitForPeersMs, ...request } = options
    if (minPeers !== undefined) await this.coordinator.waitForPeers(minPeers, { timeoutMs: waitForPeersMs, signal: options.signal })
    return this.manager.requestConsensus(proposal, request)
  }

  async recordVote (proposalId: string, vote: Ballot, options: { metadata?: CborRecord } = {}): Promise<void> {
    await this.manager.recordVote(proposalId, vote, options)
  }

  registerAlgorithm (name: string, algorithm: ConsensusAlgorithm): void {
    this.manager.registerAlgorithm(name, algorithm)
  }

  getAlgorithmStats (): AlgorithmStats {
    return this.manager.getAlgorithmStats()
  }

  getOpenProposals (): ProposalView[] {
    return this.manager.getOpenProposals()
  }

  getPeers (): string[] {
    return this.coordinator.getPeers()
  }

  getPeerInfo (peerId: string): PeerInfo | undefined {
    if (peerId === this.coordinator.peerId) return this.ownInfo()
    const announced = this.coordinator.presence?.info(peerId)
    if (announced !== undefined) return announced
    return this.coordinator.getNeighbours().includes(peerId) ? { peerId, voter: true } : undefined
  }

  announceLeaving (): boolean {
    return this.coordinator.presence?.leaveNow() ?? false
  }

  listPeers (): PeerInfo[] {
    const presence = this.coordinator.presence
    const ids = new Set([...this.coordinator.getNeighbours(), ...(presence?.peers() ?? [])])
    ids.delete(this.coordinator.peerId)
    return [...ids].sort().map(peerId => presence?.info(peerId) ?? { peerId, voter: true })
  }

  private ownInfo (): PeerInfo {
    return {
      peerId: this.coordinator.peerId,
      ...(this.name === undefined ? {} : { name: this.name }),
      ...(this.role === undefined ? {} : { role: this.role }),
      voter: this.coordinator.presence?.voter ?? false
    }
  }

  /** The names known to resolve `participants` and weight keys: those announced, and this node's own. */
  private peerNames (): Map<string, string> {
    const names = this.coordinator.presence?.names() ?? new Map<string, string>()
    if (this.name !== undefined) names.set(this.coordinator.peerId, this.name)
    return names
  }

  getTopologyInfo (): TopologyInfo {
    return this.coordinator.getTopologyInfo()
  }

  async waitForPeers (count: number, options: WaitForPeersOptions = {}): Promise<string[]> {
    return this.coordinator.waitForPeers(count, options)
  }

  async catchUp (peerId: string): Promise<void> {
    await this.manager.catchUp(peerId)
  }

  getDirectCounters (): DirectCounters {
    return { ...this.coordinator.direct.counters }
  }

  /** A peer that reconnects may have missed anything meanwhile: let it catch up at once. */
  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.caughtUp.reset(evt.detail.toString())
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<PubSubSubscriptionChange>): void => {
    const peer = evt.detail.peerId.toString()
    if (!evt.detail.subscriptions.some(s => s.topic === this.coordinator.topic && s.subscribe)) return
    if (!this.caughtUp.take(peer)) return
    // the request lists what we hold, so the answer carries only what we missed
    this.manager.catchUp(peer).catch(() => {})
  }
}
