import { InvalidParametersError, serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import { ConsensusManager } from '../core/manager.js'
import { topicFor } from './constants.js'
import { ConsensusMetrics } from './metrics.js'
import { PeerThrottle } from './peer-throttle.js'
import { PubSubCoordinator } from './pubsub-coordinator.js'
import type { DirectMessagingComponents, DirectMessagingInit } from './direct.js'
import type { PresenceInit } from './presence.js'
import type { PubSub } from './pubsub.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { ConsensusManagerEvents, ConsensusManagerInit, RequestConsensusOptions } from '../core/options.js'
import type { AlgorithmStats, ConsensusResult, ProposalView } from '../core/results.js'
import type { TopologyInfo } from '../transport/coordinator.js'
import type { CborRecord, VoteType } from '../types.js'
import type { Libp2pEvents, Metrics, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'
import type { Datastore } from 'interface-datastore'

/** What the service needs from the node: only what it uses. */
export interface ConsensusServiceComponents extends DirectMessagingComponents {
  peerId: PeerId
  /** the node's key; consensus messages are signed with it (it must be Ed25519) */
  privateKey: PrivateKey
  /** the pubsub service, configured under the name `pubsub` */
  pubsub: PubSub
  metrics?: Metrics
  /** the node's datastore: proposals, votes and decisions are kept there unless `init.datastore` says otherwise */
  datastore?: Datastore
  /** the node's events: a peer that reconnects may catch up again at once */
  events?: TypedEventTarget<Libp2pEvents>
}

/** Options of {@link consensus}; every field is optional. */
export interface ConsensusServiceInit extends Omit<ConsensusManagerInit, 'identity' | 'coordinator' | 'logger'> {
  /**
   * The pubsub topic; give gossipsub the same one (`consensusGossipsub({ topics })`) so that a
   * Reject lowers the sender's score.
   *
   * @default topicFor(namespace), i.e. 'libp2p-consensus/v1/default'
   */
  topic?: string
  /** Limits of the point-to-point pull channel. */
  direct?: DirectMessagingInit
  /**
   * Whenever a peer (re)subscribes to the topic — on start, after a reconnect or a healed partition —
   * ask it for the decisions we missed, at most once per this interval per peer.
   *
   * @default 30000
   */
  catchUpIntervalMs?: number
  /**
   * Presence announcements: every peer gossips a signed "I am here" every `intervalMs`, so that
   * {@link ConsensusService.getPeers} — the default electorate — counts the peers behind a hub too
   * (a browser tab sees only its hub otherwise). `{ intervalMs: 0 }` turns them off.
   */
  presence?: PresenceInit
}

/** {@link RequestConsensusOptions} plus waiting for the swarm to be there. */
export interface ConsensusServiceRequestOptions extends RequestConsensusOptions {
  /** Wait until at least this many peers are subscribed and connected before proposing. */
  minPeers?: number
  /**
   * How long to wait for `minPeers`; then `NotEnoughPeersError` says how many came.
   *
   * @default 10000
   */
  waitForPeersMs?: number
}

const EVENTS = ['proposal', 'vote', 'decision', 'evidence'] as const

/**
 * The seed's ConsensusManager as a libp2p service: proposals, votes, closes and acks travel on a
 * gossipsub topic, pulls on a direct protocol, and every node exposes the same API and events.
 */
export class ConsensusService extends TypedEventEmitter<ConsensusManagerEvents> implements Startable {
  readonly [Symbol.toStringTag] = '@libp2p-consensus/service'
  readonly [serviceCapabilities]: string[] = ['@libp2p-consensus/consensus']
  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub', '@libp2p/identify']
  /** The transport edge: gossipsub topic plus direct pulls. */
  readonly coordinator: PubSubCoordinator
  /** The core this service wraps. */
  readonly manager: ConsensusManager
  private readonly components: ConsensusServiceComponents
  private readonly catchUpIntervalMs: number
  private readonly caughtUp = new PeerThrottle()

  constructor (components: ConsensusServiceComponents, init: ConsensusServiceInit = {}) {
    super()
    if (components.privateKey?.type !== 'Ed25519') {
      throw new InvalidParametersError(`the consensus service signs with the node's key, which must be Ed25519; this node has ${String(components.privateKey?.type)}`)
    }
    this.components = components
    this.catchUpIntervalMs = init.catchUpIntervalMs ?? 30_000
    const { topic, direct, catchUpIntervalMs, presence, ...managerInit } = init
    const namespace = init.namespace ?? 'default'
    // a peer announces itself as a voter when it answers proposals (a hand-voting page says so itself)
    this.coordinator = new PubSubCoordinator(components, { topic: topic ?? topicFor(namespace), direct, namespace, presence: { voter: init.voter !== undefined, ...presence } })
    const metrics = components.metrics === undefined ? undefined : new ConsensusMetrics(components.metrics)
    this.manager = new ConsensusManager({
      ...managerInit,
      identity: { peerId: components.peerId.toString(), privateKey: components.privateKey },
      datastore: init.datastore ?? components.datastore,
      coordinator: metrics?.instrument(this.coordinator) ?? this.coordinator,
      logger: components.logger
    })
    for (const type of EVENTS) {
      this.manager.addEventListener(type, (evt: CustomEvent<any>) => { this.safeDispatchEvent(type, { detail: evt.detail }) })
    }
    if (metrics !== undefined) {
      this.manager.addEventListener('proposal', () => { metrics.onProposal() })
      this.manager.addEventListener('decision', (evt) => { metrics.onDecision(evt.detail) })
    }
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

  /**
   * Propose to the swarm and wait for the final decision (see `ConsensusManager.requestConsensus`).
   *
   * @example
   * ```ts
   * const result = await node.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum', minPeers: 3 })
   * ```
   */
  async requestConsensus (proposal: CborRecord, options: ConsensusServiceRequestOptions = {}): Promise<ConsensusResult> {
    const { minPeers, waitForPeersMs, ...request } = options
    if (minPeers !== undefined) await this.coordinator.waitForPeers(minPeers, { timeoutMs: waitForPeersMs, signal: options.signal })
    return this.manager.requestConsensus(proposal, request)
  }

  /** Vote by hand on an open proposal (see `ConsensusManager.recordVote`). */
  async recordVote (proposalId: string, vote: VoteType, options: { metadata?: CborRecord } = {}): Promise<void> {
    await this.manager.recordVote(proposalId, vote, options)
  }

  /** Register an algorithm under a name; register the same kind on every node. */
  registerAlgorithm (name: string, algorithm: ConsensusAlgorithm): void {
    this.manager.registerAlgorithm(name, algorithm)
  }

  /** The seed's statistics, over every proposal this node saw decided. */
  getAlgorithmStats (): AlgorithmStats {
    return this.manager.getAlgorithmStats()
  }

  /** Proposals this node holds that are not decided yet. */
  getOpenProposals (): ProposalView[] {
    return this.manager.getOpenProposals()
  }

  /** Peers on the topic now (connected, or announced through a hub): the default electorate. */
  getPeers (): string[] {
    return this.coordinator.getPeers()
  }

  /** `{ type: 'gossipsub', agentCount, connectionCount, health }`. */
  getTopologyInfo (): TopologyInfo {
    return this.coordinator.getTopologyInfo()
  }

  /** A peer that reconnects may have missed anything meanwhile: let it catch up at once. */
  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.caughtUp.reset(evt.detail.toString())
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    const peer = evt.detail.peerId.toString()
    if (!evt.detail.subscriptions.some(s => s.topic === this.coordinator.topic && s.subscribe)) return
    if (!this.caughtUp.take(peer, this.catchUpIntervalMs)) return
    // the request lists what we hold, so the answer carries only what we missed
    this.manager.catchUp(peer).catch(() => {})
  }
}

/**
 * A libp2p service factory: add it to `services` next to `pubsub` (gossipsub) and `identify`.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: { identify: identify(), pubsub: consensusGossipsub(), consensus: consensus({ voter: () => 'for' }) }
 * })
 * const result = await node.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum' })
 * ```
 */
export function consensus (init: ConsensusServiceInit = {}): (components: ConsensusServiceComponents) => ConsensusService {
  return (components) => new ConsensusService(components, init)
}
