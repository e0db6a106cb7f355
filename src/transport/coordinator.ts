/**
 * The seam between the core and a network. The core never imports a transport; a transport
 * implements this (in memory, gossipsub, …) and hands inbound bytes to the manager's handler, which
 * answers how to treat them.
 */

/** How a transport should treat an inbound message (gossipsub's three outcomes). */
export type ValidationResult = 'accept' | 'ignore' | 'reject'

/** Why a message was accepted: deliver it and relay it. */
export const AcceptReason = {
  /** a new valid proposal */
  New: 'new',
  /** this peer's own proposal */
  Own: 'own',
  /** a vote, counted */
  Counted: 'counted',
  /** a second, different vote of one voter (of one sequence number, where votes may change): relayed as evidence, the voter is no longer counted */
  Equivocation: 'equivocation',
  /** a vote change: a vote with a higher sequence number replaced its voter's counted one */
  Replaced: 'replaced',
  /** a close that passed every check */
  Close: 'close',
  /** an ack, counted */
  Ack: 'ack',
  /** a presence announcement (the libp2p transport's roster) */
  Presence: 'presence'
} as const

/** Why a message was accepted. */
export type AcceptReason = typeof AcceptReason[keyof typeof AcceptReason]

/** Why a message was ignored: drop it, no penalty (not provably bad). */
export const IgnoreReason = {
  /** the manager is not started */
  NotStarted: 'not-started',
  /** over the sender's budget, before any signature check */
  RateLimited: 'rate-limited',
  /** presence reached the core: it is the transport's business */
  Presence: 'presence',
  /** a message already held */
  Duplicate: 'duplicate',
  /** a message for a decided proposal, or a vote after a close */
  Late: 'late',
  /** a vote older (lower sequence number) than the one its voter has counted here: kept for closes that cite it, not counted */
  Superseded: 'superseded',
  /** a message for a proposal not seen yet: kept and the proposal pulled */
  UnknownProposal: 'unknown-proposal',
  /** a proposal over the open-proposal limit of its coordinator or of all */
  TooManyOpenProposals: 'too-many-open-proposals',
  /** a proposal of an algorithm kind this peer does not know */
  UnknownAlgorithm: 'unknown-algorithm',
  /** the pinned algorithm threw: a local fault, not the sender's */
  AlgorithmError: 'algorithm-error',
  /** a third close from one closer */
  CloseLimit: 'close-limit',
  /** a close early by our clock: checked, then held until its slot */
  EarlyClose: 'early-close',
  /** a close still missing cited votes: kept and the votes pulled, never adopted until complete */
  MissingVotes: 'missing-votes',
  /** a second, different ack of one member for one round and phase: kept as evidence */
  ConflictingAck: 'conflicting-ack',
  /** a close or ack for a round too far ahead of this peer's (it is re-sent while it matters) */
  FutureRound: 'future-round',
  /** this peer's own message (a pull or catch-up request, a presence announcement) */
  Own: 'own',
  /** a pull or catch-up request: answered directly, never relayed */
  Pull: 'pull',
  /** a catch-up request within the interval of the last one answered for that peer */
  CatchUpTooSoon: 'catch-up-too-soon',
  /** a presence announcement older than the transport's window */
  Stale: 'stale',
  /** a presence announcement from a new peer while the roster is full */
  RosterFull: 'roster-full',
  /** processing failed on this peer */
  InternalError: 'internal-error'
} as const

/** Why a message was ignored. */
export type IgnoreReason = typeof IgnoreReason[keyof typeof IgnoreReason]

/** Why a message was rejected: drop it and penalise the sender (provably bad). */
export const RejectReason = {
  /** larger than the decode limits allow */
  Oversize: 'oversize',
  /** not a message of this protocol: bad CBOR, wrong shape, a wrong or missing field */
  Malformed: 'malformed',
  /** a message of another protocol version (a v1 peer's): refused, not read */
  WrongVersion: 'wrong-version',
  /** valid CBOR, but not the canonical encoding of its value */
  NonCanonical: 'non-canonical',
  /** the signature does not verify for the peer the body names */
  BadSignature: 'bad-signature',
  /** for another namespace */
  WrongNamespace: 'wrong-namespace',
  /** a vote or ack by, or a close counting, a peer outside the electorate */
  NonMember: 'non-member',
  /** a vote, ack or close that names another proposal */
  WrongProposal: 'wrong-proposal',
  /** an electorate weight above the maximum */
  BadWeight: 'bad-weight',
  /** an electorate member that is not an Ed25519 PeerId */
  BadMember: 'bad-member',
  /** an electorate that carries no weight */
  NoWeight: 'no-weight',
  /** a closer that is not an Ed25519 PeerId */
  BadCloser: 'bad-closer',
  /** algorithm parameters the pinned kind refuses */
  BadParams: 'bad-params',
  /** a close by a peer that is not the closer of its round */
  NotCloser: 'not-closer',
  /** a close of round r ≥ 1 dated before that round starts */
  BeforeSlot: 'before-slot',
  /** a close dated before the deadline whose votes do not settle the outcome (a timeout, or any close where votes may still change) */
  EarlyTimeout: 'early-timeout',
  /** a vote whose ballot does not fit the proposal (its choices and voting type, or a vote change where none is allowed), or a close counting one */
  BadBallot: 'bad-ballot',
  /** a close whose equivocation evidence is not two votes of one voter */
  BadEvidence: 'bad-evidence',
  /** a close counting two votes of one voter, or an excluded equivocator */
  DoubleVote: 'double-vote',
  /** a close whose tally is not what its votes give */
  WrongTally: 'wrong-tally',
  /** a close whose decision is not what its votes give */
  WrongDecision: 'wrong-decision'
} as const

/** Why a message was rejected. */
export type RejectReason = typeof RejectReason[keyof typeof RejectReason]

const REJECT_REASONS: ReadonlySet<string> = new Set(Object.values(RejectReason))

/** Whether `reason` is one of {@link RejectReason} (e.g. an `InvalidMessageError`'s reason). */
export function isRejectReason (reason: string): reason is RejectReason {
  return REJECT_REASONS.has(reason)
}

/**
 * The handler's answer: accept (deliver and relay), ignore (drop, no penalty), reject (drop and
 * penalise the sender), each with its reason.
 */
export type Verdict =
  | {
    /** deliver and relay */
    result: 'accept'
    /** why: one of {@link AcceptReason} */
    reason: AcceptReason
  }
  | {
    /** drop, no penalty */
    result: 'ignore'
    /** why: one of {@link IgnoreReason} */
    reason: IgnoreReason
  }
  | {
    /** drop and penalise the sender */
    result: 'reject'
    /** why: one of {@link RejectReason} */
    reason: RejectReason
  }

/** What a transport may offer the handler besides the message. */
export interface HandlerOptions {
  /**
   * Run `work` later, after the verdict has been acted on (the message forwarded). When given, the
   * handler resolves its verdict as soon as the message is verified and recorded, and hands what
   * the message makes this peer do (its vote, close or ack) to `defer`; the verdict never depends
   * on that work. When absent, the handler finishes that work before it resolves.
   */
  defer?(work: () => Promise<void>): void
  /**
   * The message came over a point-to-point stream (a pull answer, a roster), not the topic, so
   * nobody relays it: a new message of a proposal still open here is published on the topic by the
   * handler. That is how what one peer held reaches the peers that lost it when a hub went away
   * mid-vote (gossipsub never re-sends a message it has seen, so a re-publish by its author is a no-op).
   * `false`: it came over the topic, which relays it; the handler does not pass it on either (a close
   * whose missing votes were pulled is not re-published). Absent: the route is unknown, and a close
   * is passed on once its votes are in, as for a point-to-point one.
   */
  direct?: boolean
}

/** Receives every inbound message with the peer it came from (the relayer, not necessarily the author). */
export type MessageHandler = (message: Uint8Array, from: string, options?: HandlerOptions) => Promise<Verdict>

/** The shape and health of a network, for display. */
export interface TopologyInfo {
  /** the network's shape: `'gossipsub'`, or `'mesh'` / `'partitioned-mesh'` in memory */
  type: string
  /** agents on the network as this peer sees it, itself included */
  agentCount: number
  /** links: this node's open connections on libp2p, every pair of agents in memory */
  connectionCount: number
  /** `unhealthy` when this peer is stopped, crashed or alone; `degraded` when some peers are cut off (or reached only through gossip) */
  health: 'healthy' | 'degraded' | 'unhealthy'
}

/** A network as the core needs it. */
export interface Coordinator {
  /** This peer's id (its Ed25519 PeerId string). */
  readonly peerId: string
  /** Start (a function) or stop (`undefined`) delivering inbound messages. */
  setHandler(handler: MessageHandler | undefined): void
  /** Send to every peer on the topic; resolves with how many peers it was handed to. */
  broadcast(message: Uint8Array): Promise<number>
  /** Send to one peer (pull requests and their answers). */
  send(peerId: string, message: Uint8Array): Promise<void>
  /** Peers currently present: the default electorate. */
  getPeers(): string[]
  /** Peers `send` can reach directly now (pull targets); `getPeers()` when absent. */
  getNeighbours?(): string[]
  /** Shape and health of the network. */
  getTopologyInfo(): TopologyInfo
}
