import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { ChoiceAlgorithm, defaultAlgorithms } from '../algorithms/index.js'
import { checkChoices, parseRule } from '../algorithms/ballots/index.js'
import {
  AbortError, AlreadyVotedError, TooManyProposalsError, InvalidMessageError, InvalidParametersError, NotEligibleError, NotStartedError, ProposalClosedError,
  UnknownAlgorithmError, UnknownProposalError
} from '../errors.js'
import { PeerLimiter } from '../limiter.js'
import { isVoteType, isVotingType, VoteType, votingTypeOf, VotingType, type Ballot, type CborRecord } from '../types.js'
import { CATCH_UP_PROPOSAL_ID } from '../wire/catch-up.js'
import { idKey } from '../wire/ids.js'
import { alreadyVerified, decodeMessage, sealedSize, sealMessage, verifyMessage, type AnyOpened } from '../wire/envelope.js'
import { defaultDecodeLimits, type DecodeLimits } from '../wire/limits.js'
import { systemClock } from '../clock.js'
import { AlgorithmRegistry } from './algorithm-registry.js'
import * as C from './constants.js'
import { checkProposal } from './context.js'
import { EarlyBuffer } from './early.js'
import { buildElectorate } from './electorate.js'
import { isPromise, react, type HandlerContext, type Reactions } from './handlers/context.js'
import { dispatch } from './handlers/dispatch.js'
import { castVote, ownBallotProblem } from './handlers/vote.js'
import {
  CHOICE_OPTIONS, checkCbor, checkTiming, type ConsensusManagerEvents, type ConsensusManagerInit, type RequestConsensusOptions
} from './options.js'
import { Outbox } from './outbox.js'
import { draftProposal, type Proposer } from './proposal-draft.js'
import { replay } from './replay.js'
import { PendingRequests } from './requests.js'
import { proposalView, StatsTracker, type AlgorithmStats, type ConsensusResult, type ProposalView } from './results.js'
import { Rounds } from './rounds.js'
import { Scheduler } from './scheduler.js'
import { ProposalStore } from './store.js'
import { ignore, reject, verdictOn } from './verdicts.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { Coordinator, HandlerOptions, Verdict } from '../transport/coordinator.js'

/** What a request proposes, its options checked. */
interface RequestShape { algorithmName: string, algorithm: ConsensusAlgorithm, choices: string[], voteChange: boolean }

/** `record` without its undefined fields (an absent option is not pinned). */
function withoutUndefined <T extends object> (record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Read afresh (not narrowed by an earlier check): an await may have passed since. */
function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

export type { ConsensusManagerEvents, ConsensusManagerInit, EvidenceEvent, RequestConsensusOptions, VoteDecision, VoteEvent, Voter } from './options.js'

/**
 * Consensus peer to peer: any agent can request consensus; every agent that sees the proposal
 * verifies it, votes (automatically through `voter`, or with `recordVote`), checks every close
 * against its own tally, acknowledges one close, and reports the decision once members holding more
 * than 2/3 of the weight acknowledged the same close — so every honest peer that decides, decides
 * the same. This class is the lifecycle, the public API and the dispatch of inbound messages; each
 * message kind has its handler in `handlers/`.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork()
 * const identity = await createIdentity()
 * const manager = new ConsensusManager({ identity, coordinator: network.join(identity.peerId), voter: () => 'for' })
 * await manager.start()
 * const result = await manager.requestConsensus({ action: 'deploy' }, { timeoutMs: 5000 })
 * ```
 */
export class ConsensusManager extends TypedEventEmitter<ConsensusManagerEvents> {
  /** `'libp2p-consensus/manager'` */
  readonly [Symbol.toStringTag] = 'libp2p-consensus/manager'
  /** this peer's id (its identity's Ed25519 PeerId) */
  readonly peerId: string
  /** the namespace its messages carry (peers of other namespaces are ignored) */
  readonly namespace: string
  private readonly coordinator: Coordinator
  private readonly limits: DecodeLimits
  private readonly defaultAlgorithm: string
  private readonly proposer: Proposer
  private readonly algorithms: AlgorithmRegistry
  /** messages a second per author (or, for wants, per asking peer), before any signature check */
  private readonly budget: PeerLimiter
  private readonly rounds: Rounds
  private readonly requests = new PendingRequests()
  private readonly stats = new StatsTracker()
  /** what the handlers share; the manager reads its settings and state from there too */
  private readonly core: HandlerContext
  private seq = 0
  private running = false
  /** the names peers announced, to resolve `participants` and weight keys given by name */
  private readonly peerNames: (() => ReadonlyMap<string, string>) | undefined

  constructor (init: ConsensusManagerInit) {
    super()
    if (init.identity?.peerId !== init.coordinator?.peerId) {
      throw new InvalidParametersError(`identity ${init.identity?.peerId} and coordinator ${init.coordinator?.peerId} must be the same peer`)
    }
    const peerId = this.peerId = init.identity.peerId
    const namespace = this.namespace = init.namespace ?? C.DEFAULT_NAMESPACE
    this.coordinator = init.coordinator
    this.peerNames = init.peerNames
    const clock = init.clock ?? systemClock
    const log = (init.logger ?? defaultLogger()).forComponent('libp2p:consensus')
    // the shared default object when nothing is overridden: the decoder keys its cache by it
    this.limits = init.limits === undefined ? defaultDecodeLimits : { ...defaultDecodeLimits, ...init.limits }
    this.proposer = { coordinator: peerId, namespace, fallbackClosers: init.fallbackClosers ?? C.DEFAULT_FALLBACK_CLOSERS }
    const rate = init.maxMessagesPerSecondPerPeer ?? C.DEFAULT_MAX_MESSAGES_PER_SECOND_PER_PEER
    this.budget = new PeerLimiter({ clock, ratePerSecond: rate, burst: 2 * rate })
    this.algorithms = new AlgorithmRegistry(this.limits.maxIdLength)
    const store = new ProposalStore(init.datastore, namespace)
    const scheduler = new Scheduler(clock, log)
    const rounds = this.rounds = new Rounds({
      maxClosedProposals: init.maxClosedProposals ?? C.DEFAULT_MAX_CLOSED_PROPOSALS,
      maxOpenProposals: init.maxOpenProposals ?? C.DEFAULT_MAX_OPEN_PROPOSALS,
      maxOpenProposalsPerPeer: init.maxOpenProposalsPerPeer ?? C.DEFAULT_MAX_OPEN_PROPOSALS_PER_PEER
    }, scheduler, store, log)
    const core: HandlerContext = this.core = {
      peerId,
      namespace,
      identity: init.identity,
      clock,
      log,
      clockToleranceMs: init.clockToleranceMs ?? C.DEFAULT_CLOCK_TOLERANCE_MS,
      voter: init.voter,
      kinds: this.algorithms.ofKind,
      rounds,
      early: new EarlyBuffer(clock),
      scheduler,
      outbox: new Outbox(this.coordinator, namespace, this.limits, log),
      store,
      requests: this.requests,
      stats: this.stats,
      catchUps: PeerLimiter.oncePer(C.CATCH_UP_INTERVAL_MS, clock),
      askBack: {
        peers: PeerLimiter.oncePer(C.CATCH_UP_INTERVAL_MS, clock),
        proposals: new PeerLimiter({ clock, ratePerSecond: 3_000 / C.CATCH_UP_INTERVAL_MS, burst: 3 })
      },
      fromTopic: new WeakSet(),
      replaying: false,
      // no promise at all where nothing is stored (a promise and an await less per message every peer takes)
      remember: (proposalKey, message) => core.replaying || !store.persistent ? undefined : store.save(proposalKey, message),
      // not while replaying the store (those were dispatched before the restart), nor when nobody
      // listens (an event object per vote and ack is most of a delivery's cost in a large simulation)
      emit: (type, init) => { if (!core.replaying && this.listenerCount(type) > 0) this.safeDispatchEvent(type, init) },
      processNow: (opened, from) => this.processNow(opened, from)
    }
    for (const [name, algorithm] of Object.entries({ ...defaultAlgorithms(), ...init.algorithms })) this.registerAlgorithm(name, algorithm)
    this.defaultAlgorithm = init.defaultAlgorithm ?? C.DEFAULT_ALGORITHM
    if (!this.algorithms.has(this.defaultAlgorithm)) throw new UnknownAlgorithmError(`default algorithm ${this.defaultAlgorithm} is not registered`)
  }

  /** Start taking messages from the coordinator. */
  async start (): Promise<void> {
    this.running = true
    this.core.scheduler.start()
    await this.core.store.loadForgotten()
    await replay(this.core, this.limits)
    this.coordinator.setHandler((bytes, from, options) => this.handleMessage(bytes, from, options))
  }

  /** Stop: no more messages or timers; open requests reject with `AbortError`. */
  async stop (): Promise<void> {
    this.running = false
    this.coordinator.setHandler(undefined)
    this.core.scheduler.stop()
    this.requests.rejectAll(() => new AbortError('consensus manager stopped'))
  }

  /** Whether `start` was called and `stop` was not. */
  isStarted (): boolean { return this.running }

  /** Add an algorithm under a name; peers evaluate proposals by its `kind`, so register the same kind on every peer. */
  registerAlgorithm (name: string, algorithm: ConsensusAlgorithm): void {
    this.algorithms.register(name, algorithm)
  }

  /** Decision figures by algorithm, over every proposal this peer saw decided. */
  getAlgorithmStats (): AlgorithmStats {
    let active = 0
    for (const round of this.rounds.values()) if (round.finalized === undefined) active++
    return this.stats.snapshot(active)
  }

  /** The proposals this peer holds that are not decided yet. */
  getOpenProposals (): ProposalView[] {
    return [...this.rounds.values()].filter(r => r.finalized === undefined).map(proposalView)
  }

  /**
   * Propose `proposal` to the swarm and wait for the decision. Resolves once the decision is final;
   * if finality is not reached within a few close slots after the deadline, resolves with decision
   * `timeout` and `metadata.finality === 'unconfirmed'`.
   */
  async requestConsensus (proposal: CborRecord, options: RequestConsensusOptions = {}): Promise<ConsensusResult> {
    if (!this.running) throw new NotStartedError('call start() before requestConsensus()')
    if (options.signal?.aborted === true) throw new AbortError('request aborted before it started')
    const payload = checkCbor(proposal, 'proposal')
    const { timeoutMs, step } = checkTiming(options, this.core.clockToleranceMs)
    const { algorithmName, algorithm, choices, voteChange } = this.requestShape(options)
    const electorate = buildElectorate(
      options.participants ?? this.defaultElectorate(), algorithm, this.limits.maxElectorate, options.weights, this.peerNames?.()
    )
    if (this.rounds.full(this.peerId)) {
      const limits = this.rounds.limits
      throw new TooManyProposalsError(`${limits.maxOpenProposalsPerPeer} proposals of this peer are still open (or ${limits.maxOpenProposals} in all): ` +
        'peers would ignore another; wait for a decision')
    }
    const createdAt = Math.floor(this.core.clock.now())
    const draft = draftProposal(this.proposer, {
      seq: this.seq, createdAt, timeoutMs, step, electorate, algorithmName, algorithm, payload, choices, voteChange
    })
    // every peer would reject a proposal above the message limit (and gossipsub would lower our score): refuse it here
    const size = sealedSize(draft)
    if (size > this.limits.maxMessageBytes) {
      throw new InvalidParametersError(
        `proposal is ${size} bytes once sealed, over the ${this.limits.maxMessageBytes}-byte message limit: make the payload smaller`
      )
    }
    this.seq++
    const sealed = await sealMessage(this.core.identity, draft)
    // signing may have yielded: honour an abort or a stop that came meanwhile
    if (isAborted(options.signal)) throw new AbortError('request aborted')
    if (!this.running) throw new AbortError('consensus manager stopped')
    const result = this.requests.wait(sealed.key, options.signal)
    try {
      // check before it leaves, then send it before our own vote on it can overtake it
      checkProposal(sealed, this.algorithms.ofKind)
    } catch (err: any) {
      this.requests.take(sealed.key)
      throw new InvalidParametersError(`proposal is not valid: ${String(err?.message ?? err)}`)
    }
    await this.core.outbox.broadcast(sealed)
    await this.processNow(sealed, this.peerId)
    return result
  }

  /**
   * Cast this agent's vote on an open proposal: a {@link VoteType} on a binary proposal, a
   * {@link Ballot} of its voting type on one with choices. Where the proposal allows vote changes,
   * calling it again signs a change (a higher sequence number) that replaces the earlier vote until the
   * close; elsewhere a second, different vote would be equivocation, so it throws `AlreadyVotedError`.
   * A ballot that does not fit the proposal throws `InvalidParametersError` saying why.
   */
  async recordVote (proposalId: string, vote: Ballot, options: { metadata?: CborRecord } = {}): Promise<void> {
    if (!this.running) throw new NotStartedError('call start() before recordVote()')
    const round = this.rounds.get(proposalId)
    if (round === undefined) {
      if (this.rounds.isDecided(proposalId)) throw new ProposalClosedError(`proposal ${proposalId} is already decided`)
      throw new UnknownProposalError(`unknown proposal ${String(proposalId)}`)
    }
    const body = round.ctx.proposal.body
    if (body.choices.length === 0 && !isVoteType(vote)) {
      throw new InvalidParametersError(`vote must be one of ${Object.values(VoteType).join(', ')}, got ${String(vote)}`)
    }
    const metadata = checkCbor(options.metadata ?? {}, 'metadata')
    if (round.closed) throw new ProposalClosedError(`proposal ${proposalId} is already closed`)
    if (!round.ctx.electorate.has(this.peerId)) throw new NotEligibleError(`${this.peerId} is not in the electorate of ${proposalId}`)
    if (round.observeOnly) {
      throw new NotEligibleError(`${proposalId} is older than proposals this peer's datastore already dropped: ` +
        'a vote it cast before a restart may be forgotten, so it does not vote on it')
    }
    const own = round.ownVote
    if (own.state === 'signing') throw new AlreadyVotedError(`a vote of ${this.peerId} on ${proposalId} is being signed`)
    if (own.state === 'cast' && !body.voteChange) throw new AlreadyVotedError(`${this.peerId} already voted on ${proposalId}, which allows no vote changes`)
    const problem = ownBallotProblem(round, vote)
    if (problem !== undefined) throw new InvalidParametersError(`ballot ${JSON.stringify(vote)} cannot count on ${proposalId}: ${problem}`)
    await castVote(this.core, round, vote, metadata)
  }

  /**
   * Ask `peerId` for the proofs of its recent decisions — what a peer that joins late (or restarts)
   * does to learn what was decided while it was away — and for what it holds of each proposal still
   * open here (at most `CATCH_UP_OPEN_PROPOSALS`, 16, the newest): a peer that failed over to
   * another hub mid-vote gets the votes gossiped while it was between hubs, which gossipsub never
   * re-sends to a newly grafted peer. Each message is verified like any other.
   */
  async catchUp (peerId: string): Promise<void> {
    if (!this.running) throw new NotStartedError('call start() before catchUp()')
    // list what we already hold, so the answer carries only what we missed
    await this.core.outbox.pull(CATCH_UP_PROPOSAL_ID, this.rounds.recentlyDecided(C.CATCH_UP_HAVE), peerId)
    const open = [...this.rounds.values()].filter(round => round.open).slice(-C.CATCH_UP_OPEN_PROPOSALS)
    for (const round of open) await this.core.outbox.pull(round.key, [], peerId)
  }

  /**
   * Feed one message from the network. Transports call this (through `setHandler`); the verdict
   * says whether to relay (accept), drop (ignore) or drop and penalise the sender (reject). What
   * the message makes this peer do (vote, close, ack) runs before the promise resolves, unless the
   * transport passes `options.defer`: then the verdict comes as soon as the message is verified
   * and recorded, and the reaction is handed to `defer`.
   */
  async handleMessage (bytes: Uint8Array, from: string, options: HandlerOptions = {}): Promise<Verdict> {
    if (!this.running) return ignore('not-started')
    let opened: AnyOpened
    try {
      const decoded = decodeMessage(bytes, this.limits)
      // rate limits come before the expensive part, the signature check; a want counts against
      // the peer that asks, anything signed against its author (a relaying hub is not throttled)
      if (!this.budget.take(decoded.signer ?? from)) return ignore('rate-limited')
      opened = alreadyVerified(decoded) ?? await verifyMessage(decoded)
    } catch (err) {
      const verdict = err instanceof InvalidMessageError ? verdictOn(err) : reject('malformed')
      this.core.log('rejected message from %s: %s', from, verdict.reason)
      return verdict
    }
    if (opened.body.ns !== this.namespace) return reject('wrong-namespace')
    const reactions: Reactions = []
    try {
      const dispatched = dispatch(this.core, opened, from, reactions, options.direct === false)
      const verdict = isPromise(dispatched) ? await dispatched : dispatched
      if (options.direct === true && verdict.result === 'accept') this.relayDirect(opened)
      if (reactions.length > 0) {
        if (options.defer === undefined) {
          const reacting = react(reactions)
          if (reacting !== undefined) await reacting
        } else {
          options.defer(async () => {
            try {
              await react(reactions)
            } catch (err) {
              this.core.log.error('reacting to %s %s failed: %e', opened.body.type, opened.key, err)
            }
          })
        }
      }
      return verdict
    } catch (err) {
      if (err instanceof InvalidMessageError) {
        this.core.log('rejected %s %s from %s: %s', opened.body.type, opened.key, from, err.message)
        return verdictOn(err)
      }
      this.core.log.error('failed to process %s from %s: %e', opened.body.type, from, err)
      return ignore('internal-error')
    }
  }

  /** A new message that came point to point, of a proposal still open here: publish it, since no one else relays it. */
  private relayDirect (opened: AnyOpened): void {
    const { type } = opened.body
    if (type === 'want' || type === 'presence') return
    const key = type === 'proposal' ? opened.key : idKey(opened.body.proposal)
    if (this.rounds.get(key)?.open === true) void this.core.outbox.broadcast(opened)
  }

  /** Process a message and run its reactions at once (our own messages, replay, held messages). */
  private async processNow (opened: AnyOpened, from: string): Promise<Verdict> {
    const reactions: Reactions = []
    const verdict = await dispatch(this.core, opened, from, reactions)
    await react(reactions)
    return verdict
  }

  /**
   * What a request proposes: a binary proposal under the named (or default) algorithm, or, with
   * `choices`, ballots of a voting type under its winning rule. Throws `InvalidParametersError` for
   * options that do not fit together.
   */
  private requestShape (options: RequestConsensusOptions): RequestShape {
    if (options.allowVoteChange !== undefined && typeof options.allowVoteChange !== 'boolean') {
      throw new InvalidParametersError(`allowVoteChange must be true or false, got ${String(options.allowVoteChange)}`)
    }
    if (options.choices === undefined) {
      const stray = CHOICE_OPTIONS.filter(name => options[name] !== undefined)
      if (stray.length > 0) throw new InvalidParametersError(`${stray.join(', ')} apply to proposals with choices: pass choices too`)
      const algorithmName = options.algorithm ?? this.defaultAlgorithm
      const algorithm = this.algorithms.named(algorithmName)
      if (votingTypeOf(algorithm.kind) !== undefined) {
        throw new InvalidParametersError(`algorithm ${algorithmName} scores ballots over choices: pass choices too`)
      }
      return { algorithmName, algorithm, choices: [], voteChange: options.allowVoteChange ?? false }
    }
    const choices = checkChoices(options.choices)
    if (options.algorithm !== undefined && options.votingType !== undefined) {
      throw new InvalidParametersError('pass votingType or algorithm (a registered choice algorithm), not both')
    }
    if (options.votingType !== undefined && !isVotingType(options.votingType)) {
      throw new InvalidParametersError(`votingType must be one of ${Object.values(VotingType).join(', ')}, got ${String(options.votingType)}`)
    }
    // a registered choice algorithm (its rule), or a voting type (the default rule, or the one given here)
    const registered = options.algorithm === undefined ? undefined : this.algorithms.named(options.algorithm)
    const votingType = registered === undefined ? options.votingType ?? VotingType.SingleChoice : votingTypeOf(registered.kind)
    if (votingType === undefined) {
      throw new InvalidParametersError(`algorithm ${options.algorithm} (${registered?.kind}) decides binary proposals: for choices pass a votingType`)
    }
    const rule = withoutUndefined({
      threshold: options.threshold, quorum: options.quorum, quorumType: options.quorumType, rejectChoice: options.rejectChoice, tieBreak: options.tieBreak
    })
    const algorithm = registered !== undefined && Object.keys(rule).length === 0 ? registered : new ChoiceAlgorithm(votingType, rule)
    parseRule(algorithm.params, votingType, choices.length)
    const algorithmName = options.algorithm ?? votingType
    return { algorithmName, algorithm, choices, voteChange: options.allowVoteChange ?? true }
  }

  /** The live swarm: peers present now, and this peer if it answers proposals. */
  private defaultElectorate (): string[] {
    const ids = this.core.outbox.peers().filter(p => p !== this.peerId)
    if (this.core.voter !== undefined) ids.push(this.peerId)
    return ids
  }
}
