/**
 * The public types of the consensus service: what `consensus()` returns, its init and its options.
 * A file of its own (re-exported by `index.ts`) so that the class can implement them without an
 * import cycle.
 */
import type { DirectCounters, DirectMessagingComponents, DirectMessagingInit } from './direct.js'
import type { AbsentPeerInfo, PeerInfo, PresenceInit } from './presence.js'
import type { PubSub } from './pubsub.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { ConsensusManagerEvents, ConsensusManagerInit, RequestConsensusOptions } from '../core/options.js'
import type { AlgorithmStats, ConsensusResult, ProposalView } from '../core/results.js'
import type { TopologyInfo } from '../transport/coordinator.js'
import type { Ballot, CborRecord } from '../types.js'
import type { AbortOptions, Libp2pEvents, Metrics, PeerId, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { TypedEventTarget } from 'main-event'

/** What the consensus service needs from the node: only what it uses. */
export interface ConsensusComponents extends DirectMessagingComponents {
  /** the node's PeerId */
  peerId: PeerId
  /** the node's key; consensus messages are signed with it (it must be Ed25519) */
  privateKey: PrivateKey
  /** the pubsub service, configured under the name `pubsub` */
  pubsub: PubSub
  /** libp2p's metrics, when the node has them: counters and the decision latency histogram */
  metrics?: Metrics
  /** the node's datastore: proposals, votes and decisions are kept there unless `init.datastore` says otherwise */
  datastore?: Datastore
  /** the node's events: a peer that reconnects may catch up again at once */
  events?: TypedEventTarget<Libp2pEvents>
}

/** Options of {@link consensus}; every field is optional. */
export interface ConsensusInit extends Omit<ConsensusManagerInit, 'identity' | 'coordinator' | 'logger' | 'peerNames'> {
  /**
   * A display name this node announces in its signed presence (`expert-backend-001`): 1 to 64
   * characters once in Unicode NFC, no leading or trailing whitespace, no control or bidi-control
   * characters (else `InvalidParametersError`). Others list it by that name and may pass it in
   * `participants` or `agentWeights`. Self-declared: it labels this node and lets a coordinator find
   * its PeerId, nothing more; proposals pin, and certificates count, PeerIds only.
   *
   * @default no name
   */
  name?: string
  /**
   * A role this node announces next to its name (`reviewer`, `hub`); the same rules as `name`.
   *
   * @default no role
   */
  role?: string
  /**
   * The pubsub topic; give gossipsub the same one (`consensusGossipsub({ topics })`) so that a
   * Reject lowers the sender's score.
   *
   * @default topicFor(namespace), i.e. 'libp2p-consensus/v2/default'
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
   * {@link Consensus.getPeers} — the default electorate — counts the peers behind a hub too
   * (a browser tab sees only its hub otherwise). `{ intervalMs: 0 }` turns them off.
   */
  presence?: PresenceInit
}

/** Options of {@link Consensus.requestConsensus}: the core's, plus waiting for the swarm to be there. */
export interface ConsensusRequestOptions extends RequestConsensusOptions {
  /** Wait until at least this many peers are subscribed and connected before proposing. */
  minPeers?: number
  /**
   * How long to wait for `minPeers`; then `NotEnoughPeersError` says how many came.
   *
   * @default 10000
   */
  waitForPeersMs?: number
}

/** Options of {@link Consensus.waitForPeers}. */
export interface WaitForPeersOptions extends AbortOptions {
  /**
   * Give up after this long (`Infinity`: only the signal ends the wait).
   *
   * @default 10000
   */
  timeoutMs?: number
  /**
   * Count only peers this node is connected to and knows to be subscribed, not peers known from
   * presence: what to wait for before publishing straight to them.
   *
   * @default false
   */
  neighbours?: boolean
}

/**
 * Events of {@link Consensus}: a proposal seen, a vote counted, a decision reached, evidence of
 * misbehaviour; and, from presence announcements, a peer heard for the first time, one that
 * announced another name, role or voter flag, and one that left.
 */
export interface ConsensusEvents extends ConsensusManagerEvents {
  /** a peer's first presence announcement was heard: its name and role are known from here on */
  'peer:present': CustomEvent<PeerInfo>
  /** a peer already present announced another name, role or voter flag */
  'peer:update': CustomEvent<PeerInfo>
  /**
   * a peer left the presence roster: what it last announced, and `reason` — `left` (it stopped and
   * said so), `disconnected` (from us), or `expired` (not heard from within the TTL)
   */
  'peer:absent': CustomEvent<AbsentPeerInfo>
}

/**
 * The consensus service of a libp2p node (`node.services.consensus`): propose, vote, watch, and
 * see who is there. Every node of a swarm exposes the same API and the same events.
 */
export interface Consensus extends TypedEventTarget<ConsensusEvents> {
  /** The pubsub topic consensus messages travel on. */
  readonly topic: string

  /**
   * Propose to the swarm and wait for the final decision.
   *
   * @example
   * ```ts
   * const result = await node.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum', minPeers: 3 })
   * ```
   */
  requestConsensus(proposal: CborRecord, options?: ConsensusRequestOptions): Promise<ConsensusResult>

  /**
   * Vote by hand on an open proposal (a ballot, on one with choices); call again to change it where the
   * proposal allows vote changes — elsewhere a second vote throws `AlreadyVotedError`.
   */
  recordVote(proposalId: string, vote: Ballot, options?: { metadata?: CborRecord }): Promise<void>

  /** Register an algorithm under a name; register the same kind on every node. */
  registerAlgorithm(name: string, algorithm: ConsensusAlgorithm): void

  /** Statistics over every proposal this node saw decided, whoever coordinated it. */
  getAlgorithmStats(): AlgorithmStats

  /** Proposals this node holds that are not decided yet. */
  getOpenProposals(): ProposalView[]

  /** Peers on the topic now (connected, or announced through a hub), sorted: the default electorate. */
  getPeers(): string[]

  /**
   * Who a peer says it is: the name and role it announced (self-declared), and whether it votes.
   * This node's own PeerId gives its own (`name` and `role` as configured); a peer neither present
   * nor subscribed next to us gives `undefined`.
   *
   * @example
   * ```ts
   * const info = node.services.consensus.getPeerInfo(peerId)
   * console.log(info?.name ?? peerId)
   * ```
   */
  getPeerInfo(peerId: string): PeerInfo | undefined

  /**
   * Every peer on the topic known now, sorted by PeerId, with what it announced: the subscribed
   * peers this node is connected to and those heard through presence, voters or not (this node
   * excluded). A neighbour whose presence has not arrived yet has no name and counts as a voter.
   *
   * @example
   * ```ts
   * for (const peer of node.services.consensus.listPeers()) console.log(peer.name ?? peer.peerId, peer.role ?? '')
   * ```
   */
  listPeers(): PeerInfo[]

  /** `{ type: 'gossipsub', agentCount, connectionCount, health }`. */
  getTopologyInfo(): TopologyInfo

  /**
   * Resolve with {@link getPeers} once at least `count` peers are there; rejects with
   * `NotEnoughPeersError` (saying how many came) when `timeoutMs` passes or `signal` aborts.
   *
   * @example
   * ```ts
   * const peers = await node.services.consensus.waitForPeers(4, { timeoutMs: 5_000 })
   * ```
   */
  waitForPeers(count: number, options?: WaitForPeersOptions): Promise<string[]>

  /** Ask a peer now for the proofs of recent decisions this node does not hold (done on its own whenever a peer subscribes). */
  catchUp(peerId: string): Promise<void>

  /**
   * Tell the swarm at once that this node is leaving: stop announcing presence and publish the
   * signed `leaving` announcement prepared after the last one, without waiting for a signature, so
   * that every roster drops this node now rather than after its TTL. `node.stop()` says it too (signed
   * then); this is for a page's `pagehide`, where nothing asynchronous is sure to finish —
   * `createAgent` in a browser calls it there itself. Returns whether one was sent (not before the
   * first announcement, nor with presence off). The node keeps deciding until it is stopped.
   *
   * @example
   * ```ts
   * addEventListener('pagehide', (evt) => { if (!evt.persisted) node.services.consensus.announceLeaving() })
   * ```
   */
  announceLeaving(): boolean

  /** Frames sent, dropped, received and refused on the direct protocol since the node started. */
  getDirectCounters(): DirectCounters
}
