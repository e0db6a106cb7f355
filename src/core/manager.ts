import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { defaultAlgorithms } from '../algorithms/index.js'
import { AbortError, AlreadyVotedError, TooManyProposalsError, InvalidMessageError, InvalidParametersError, NotEligibleError, NotStartedError, ProposalClosedError, UnknownAlgorithmError, UnknownProposalError } from '../errors.js'
import { VoteType, type CborRecord } from '../types.js'
import { decodeMessage, openMessage, sealMessage, sealWant, verifyMessage, type AnyOpened, type OpenedAck, type OpenedClose, type OpenedProposal, type OpenedVote, type OpenedWant } from '../wire/envelope.js'
import { defaultDecodeLimits, type DecodeLimits } from '../wire/limits.js'
import { PROTOCOL_VERSION } from '../wire/messages.js'
import { contentId, forgetVerified, idFromString, idKey, idToString, type Identity } from '../wire/signing.js'
import { systemClock, type Clock } from '../clock.js'
import * as C from './constants.js'
import { checkProposal } from './context.js'
import { buildElectorate } from './electorate.js'
import { finalResult, proposalView, StatsTracker, unconfirmedResult, type AlgorithmStats, type ConsensusResult, type ProposalView } from './results.js'
import { Round } from './round.js'
import { ProposalStore } from './store.js'
import { PeerBudget } from './budget.js'
import { checkCbor, isVoteType, type ConsensusManagerEvents, type ConsensusManagerInit, type RequestConsensusOptions, type VoteDecision, type Voter } from './options.js'
import { checkClose, closeSlot, decisionFor, type CheckedClose } from './verify-close.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { Coordinator, HandlerOptions, Verdict } from '../transport/coordinator.js'
import type { Logger } from '@libp2p/interface'

export type { ConsensusManagerEvents, ConsensusManagerInit, EvidenceEvent, RequestConsensusOptions, VoteDecision, VoteEvent, Voter } from './options.js'

/** The proposal id a catch-up want names: "your recent decisions, whichever they are". */
const CATCH_UP = '0'.repeat(64)

interface Waiter {
  resolve(result: ConsensusResult): void
  reject(err: Error): void
}

/**
 * What a message makes this peer do beyond judging it — its own vote, close or ack, passing on
 * evidence — collected while the message is processed and run after the verdict, so that a relay
 * forwards a message before reacting to it (gossipsub forwards only once its validator returns).
 */
type Reactions = Array<() => Promise<void>>

const accept = (reason: string): Verdict => ({ result: 'accept', reason })
const ignore = (reason: string): Verdict => ({ result: 'ignore', reason })
const reject = (reason: string): Verdict => ({ result: 'reject', reason })

function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/**
 * The seed's ConsensusManager, peer to peer: any agent can request consensus; every agent that sees
 * the proposal verifies it, votes (automatically through `voter`, or with `recordVote`), checks every
 * close against its own tally, acknowledges one close, and reports the decision once members holding
 * more than 2/3 of the weight acknowledged the same close — so every honest peer that decides,
 * decides the same.
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
  readonly [Symbol.toStringTag] = 'libp2p-consensus/manager'
  readonly peerId: string
  readonly namespace: string
  private readonly identity: Identity
  private readonly coordinator: Coordinator
  private readonly clock: Clock
  private readonly log: Logger
  private readonly limits: DecodeLimits
  private readonly voter?: Voter
  private readonly defaultAlgorithm: string
  private readonly fallbackClosers: number
  private readonly maxClosedProposals: number
  private readonly clockToleranceMs: number
  private readonly algorithms = new Map<string, ConsensusAlgorithm>()
  private readonly kinds = new Map<string, ConsensusAlgorithm>()
  private readonly rounds = new Map<string, Round>()
  private readonly timers = new Map<string, unknown[]>()
  private readonly waiters = new Map<string, Waiter>()
  private readonly decided = new Set<string>()
  private readonly closedOrder: string[] = []
  private readonly early = new Map<string, Array<{ opened: AnyOpened, from: string }>>()
  private readonly lastPull = new Map<string, number>()
  private readonly lastCatchUp = new Map<string, number>()
  private readonly stats = new StatsTracker()
  private readonly store: ProposalStore
  private readonly budget: PeerBudget
  private readonly maxOpenProposals: number
  private readonly maxOpenProposalsPerPeer: number
  private seq = 0
  private running = false
  private replaying = false

  constructor (init: ConsensusManagerInit) {
    super()
    if (init.identity?.peerId !== init.coordinator?.peerId) {
      throw new InvalidParametersError(`identity ${init.identity?.peerId} and coordinator ${init.coordinator?.peerId} must be the same peer`)
    }
    this.identity = init.identity
    this.peerId = init.identity.peerId
    this.coordinator = init.coordinator
    this.namespace = init.namespace ?? C.DEFAULT_NAMESPACE
    this.clock = init.clock ?? systemClock
    this.log = (init.logger ?? defaultLogger()).forComponent('libp2p:consensus')
    // the shared default object when nothing is overridden: the decoder keys its cache by it
    this.limits = init.limits === undefined ? defaultDecodeLimits : { ...defaultDecodeLimits, ...init.limits }
    this.voter = init.voter
    this.fallbackClosers = init.fallbackClosers ?? C.DEFAULT_FALLBACK_CLOSERS
    this.maxClosedProposals = init.maxClosedProposals ?? C.DEFAULT_MAX_CLOSED_PROPOSALS
    this.clockToleranceMs = init.clockToleranceMs ?? C.DEFAULT_CLOCK_TOLERANCE_MS
    this.store = new ProposalStore(init.datastore, this.namespace)
    const rate = init.maxMessagesPerSecondPerPeer ?? C.DEFAULT_MAX_MESSAGES_PER_SECOND_PER_PEER
    this.budget = new PeerBudget(rate, 2 * rate)
    this.maxOpenProposals = init.maxOpenProposals ?? C.DEFAULT_MAX_OPEN_PROPOSALS
    this.maxOpenProposalsPerPeer = init.maxOpenProposalsPerPeer ?? C.DEFAULT_MAX_OPEN_PROPOSALS_PER_PEER
    for (const [name, algorithm] of Object.entries({ ...defaultAlgorithms(), ...init.algorithms })) this.registerAlgorithm(name, algorithm)
    this.defaultAlgorithm = init.defaultAlgorithm ?? C.DEFAULT_ALGORITHM
    if (!this.algorithms.has(this.defaultAlgorithm)) throw new UnknownAlgorithmError(`default algorithm ${this.defaultAlgorithm} is not registered`)
  }

  /** Start taking messages from the coordinator. */
  async start (): Promise<void> {
    this.running = true
    await this.store.loadForgotten()
    await this.replay()
    this.coordinator.setHandler(async (bytes, from, options) => this.handleMessage(bytes, from, options))
  }

  /**
   * Rebuild state from the datastore: every stored message is opened and verified again and
   * processed in order (proposal, votes, acks, closes), oldest proposal first, without events. Our
   * own stored vote and ack are recognised, so we never sign different ones; open proposals resume
   * their timers and pulls.
   */
  private async replay (): Promise<void> {
    const stored: Array<{ proposal: OpenedProposal, rest: AnyOpened[] }> = []
    for await (const { messages } of this.store.load()) {
      const opened: AnyOpened[] = []
      for (const bytes of messages) {
        try {
          opened.push(await openMessage(bytes, this.limits))
        } catch (err) {
          this.log.error('dropping a stored message that no longer verifies: %e', err)
        }
      }
      const proposal = opened.find(m => m.body.type === 'proposal') as OpenedProposal | undefined
      if (proposal !== undefined) stored.push({ proposal, rest: opened.filter(m => m !== proposal) })
    }
    stored.sort((a, b) => a.proposal.body.createdAt - b.proposal.body.createdAt)
    this.replaying = true
    try {
      for (const { proposal, rest } of stored) {
        await this.processNow(proposal, this.peerId).catch(err => { this.log.error('replay of %s failed: %e', proposal.key, err) })
        for (const message of rest) await this.processNow(message, this.peerId).catch(() => {})
      }
    } finally {
      this.replaying = false
    }
    for (const { proposal } of stored) {
      const round = this.rounds.get(proposal.key)
      if (round !== undefined && round.finalized === undefined) await this.maybeAutoVote(round)
    }
    if (stored.length > 0) this.log('replayed %d proposals from the datastore', stored.length)
  }

  /** Stop: no more messages or timers; open requests reject with `AbortError`. */
  async stop (): Promise<void> {
    this.running = false
    this.coordinator.setHandler(undefined)
    for (const key of [...this.timers.keys()]) this.clearTimers(key)
    for (const waiter of this.waiters.values()) waiter.reject(new AbortError('consensus manager stopped'))
    this.waiters.clear()
  }

  /** Whether `start` was called and `stop` was not. */
  isStarted (): boolean { return this.running }

  /**
   * Add an algorithm under a name (the seed's `register_algorithm`). Its `kind` is what peers use to
   * evaluate proposals made with it, so register the same kind on every peer.
   */
  registerAlgorithm (name: string, algorithm: ConsensusAlgorithm): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > this.limits.maxIdLength) throw new InvalidParametersError(`algorithm name must be a non-empty string of at most ${this.limits.maxIdLength} characters`)
    if (typeof algorithm?.evaluate !== 'function' || typeof algorithm.kind !== 'string' || algorithm.kind.length === 0) {
      throw new InvalidParametersError(`algorithm ${name} must implement ConsensusAlgorithm: a kind and evaluate(input)`)
    }
    checkCbor(algorithm.params, `params of algorithm ${name}`)
    this.algorithms.set(name, algorithm)
    if (!this.kinds.has(algorithm.kind)) this.kinds.set(algorithm.kind, algorithm)
  }

  /** The seed's `get_algorithm_stats()`, over every proposal this peer saw decided. */
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
   * Propose `proposal` to the swarm and wait for the decision (the seed's `request_consensus`).
   * Resolves once the decision is final; if finality is not reached within a few close slots after
   * the deadline, resolves with decision `timeout` and `metadata.finality === 'unconfirmed'`.
   */
  async requestConsensus (proposal: CborRecord, options: RequestConsensusOptions = {}): Promise<ConsensusResult> {
    if (!this.running) throw new NotStartedError('call start() before requestConsensus()')
    if (options.signal?.aborted === true) throw new AbortError('request aborted before it started')
    const payload = checkCbor(proposal, 'proposal')
    const timeoutMs = options.timeoutMs ?? C.DEFAULT_TIMEOUT_MS
    if (!Number.isInteger(timeoutMs) || timeoutMs < C.MIN_TIMEOUT_MS || timeoutMs > C.MAX_TIMEOUT_MS) {
      throw new InvalidParametersError(`timeoutMs must be an integer from ${C.MIN_TIMEOUT_MS} to ${C.MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`)
    }
    const step = options.closeStepMs ?? C.defaultCloseStepMs(timeoutMs, this.clockToleranceMs)
    if (!Number.isInteger(step) || step < 1) throw new InvalidParametersError(`closeStepMs must be a positive integer, got ${String(step)}`)
    const name = options.algorithm ?? this.defaultAlgorithm
    const algorithm = this.algorithms.get(name)
    if (algorithm === undefined) throw new UnknownAlgorithmError(`unknown algorithm ${name}; registered: ${[...this.algorithms.keys()].join(', ')}`)
    const electorate = buildElectorate(options.participants ?? this.defaultElectorate(), algorithm, this.limits.maxElectorate)
    if (this.openProposalRefusal(this.peerId) !== undefined) {
      throw new TooManyProposalsError(`${this.maxOpenProposalsPerPeer} proposals of this peer are still open (or ${this.maxOpenProposals} in all): peers would ignore another; wait for a decision`)
    }

    const createdAt = Math.floor(this.clock.now())
    const seq = this.seq++
    const salt = `${this.peerId}/${seq}/${createdAt}/`
    const fallbacks = electorate.map(([id]) => id).filter(id => id !== this.peerId)
      .map(id => ({ id, rank: idToString(contentId(new TextEncoder().encode(salt + id))) }))
      .sort((a, b) => a.rank < b.rank ? -1 : 1).slice(0, this.fallbackClosers).map(f => f.id)
    const sealed = await sealMessage(this.identity, {
      type: 'proposal',
      v: PROTOCOL_VERSION,
      ns: this.namespace,
      coordinator: this.peerId,
      seq,
      createdAt,
      deadline: createdAt + timeoutMs,
      step,
      electorate,
      algorithm: { name, kind: algorithm.kind, params: algorithm.params },
      closers: [this.peerId, ...fallbacks],
      payload
    })
    // signing may have yielded: honour an abort or a stop that came meanwhile
    if (isAborted(options.signal)) throw new AbortError('request aborted')
    if (!this.running) throw new AbortError('consensus manager stopped')
    const result = new Promise<ConsensusResult>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(sealed.key)
        reject(new AbortError(`request for proposal ${sealed.key.slice(0, 12)} aborted`))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.set(sealed.key, {
        resolve: (r) => { options.signal?.removeEventListener('abort', onAbort); resolve(r) },
        reject: (e) => { options.signal?.removeEventListener('abort', onAbort); reject(e) }
      })
    })
    // a stop() while we still send would reject `result` before our caller holds it: not unhandled
    result.catch(() => {})
    try {
      // check before it leaves, then send it before our own vote on it can overtake it
      checkProposal(sealed, kind => this.kinds.get(kind))
    } catch (err: any) {
      this.waiters.delete(sealed.key)
      throw new InvalidParametersError(`proposal is not valid: ${String(err?.message ?? err)}`)
    }
    await this.broadcast(sealed)
    await this.processNow(sealed, this.peerId)
    return result
  }

  /**
   * Cast this agent's vote on an open proposal (the seed's `record_vote`). One vote per proposal:
   * a second, different vote would be equivocation, so it throws `AlreadyVotedError`.
   */
  async recordVote (proposalId: string, vote: VoteType, options: { metadata?: CborRecord } = {}): Promise<void> {
    if (!this.running) throw new NotStartedError('call start() before recordVote()')
    const round = this.rounds.get(proposalId)
    if (round === undefined) {
      if (this.decided.has(proposalId)) throw new ProposalClosedError(`proposal ${proposalId} is already decided`)
      throw new UnknownProposalError(`unknown proposal ${String(proposalId)}`)
    }
    if (!isVoteType(vote)) throw new InvalidParametersError(`vote must be one of ${Object.values(VoteType).join(', ')}, got ${String(vote)}`)
    const metadata = checkCbor(options.metadata ?? {}, 'metadata')
    if (round.closed) throw new ProposalClosedError(`proposal ${proposalId} is already closed`)
    if (!round.ctx.electorate.has(this.peerId)) throw new NotEligibleError(`${this.peerId} is not in the electorate of ${proposalId}`)
    if (round.observeOnly) throw new NotEligibleError(`${proposalId} is older than proposals this peer's datastore already dropped: a vote it cast before a restart may be forgotten, so it does not vote on it`)
    if (round.ownVote.state !== 'none') throw new AlreadyVotedError(`${this.peerId} already voted on ${proposalId}`)
    await this.castVote(round, vote, metadata)
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
      if (!this.budget.take(decoded.signer ?? from, this.clock.now())) return ignore('rate-limited')
      opened = await verifyMessage(decoded)
    } catch (err) {
      const reason = err instanceof InvalidMessageError ? err.reason : 'malformed'
      this.log('rejected message from %s: %s', from, reason)
      return reject(reason)
    }
    if (opened.body.ns !== this.namespace) return reject('wrong-namespace')
    const reactions: Reactions = []
    try {
      const verdict = await this.process(opened, from, reactions)
      if (reactions.length > 0) {
        if (options.defer === undefined) await this.react(reactions)
        else {
          options.defer(async () => {
            try {
              await this.react(reactions)
            } catch (err) {
              this.log.error('reacting to %s %s failed: %e', opened.body.type, opened.key, err)
            }
          })
        }
      }
      return verdict
    } catch (err) {
      if (err instanceof InvalidMessageError) {
        this.log('rejected %s %s from %s: %s', opened.body.type, opened.key, from, err.message)
        return err.reason === 'algorithm-error' ? ignore(err.reason) : reject(err.reason)
      }
      this.log.error('failed to process %s from %s: %e', opened.body.type, from, err)
      return ignore('internal-error')
    }
  }

  // ---- processing verified messages ------------------------------------------------------------

  /** Process a message and run its reactions at once (our own messages, replay, held messages). */
  private async processNow (opened: AnyOpened, from: string): Promise<Verdict> {
    const reactions: Reactions = []
    const verdict = await this.process(opened, from, reactions)
    await this.react(reactions)
    return verdict
  }

  private async react (reactions: Reactions): Promise<void> {
    for (const reaction of reactions) await reaction()
  }

  private async process (opened: AnyOpened, from: string, reactions: Reactions): Promise<Verdict> {
    if (opened.body.type === 'proposal') return this.onProposal(opened as OpenedProposal, from, reactions)
    // presence is the transport's business (who is on the topic); a transport that hands it on gets it back
    if (opened.body.type === 'presence') return ignore('presence')
    const proposalKey = idKey(opened.body.proposal)
    if (opened.body.type === 'want' && proposalKey === CATCH_UP) return this.onCatchUp(from, new Set(opened.body.ids.map(idToString)))
    const round = this.rounds.get(proposalKey)
    if (round === undefined) {
      if (this.decided.has(proposalKey)) return ignore('late')
      if (opened.body.type === 'want') return ignore('unknown-proposal')
      await this.holdEarly(proposalKey, opened, from)
      return ignore('unknown-proposal')
    }
    switch (opened.body.type) {
      case 'vote': return this.onVote(round, opened as OpenedVote, from, reactions)
      case 'close': return this.onClose(round, opened as OpenedClose, from, reactions)
      case 'ack': return this.onAck(round, opened as OpenedAck, from)
      default: return this.onWant(round, opened as OpenedWant, from)
    }
  }

  /**
   * Memory stays bounded whoever floods us: at most `maxOpenProposalsPerPeer` undecided proposals per
   * coordinator and `maxOpenProposals` in all (a proposal is open until decided or given up on).
   */
  private openProposalRefusal (coordinator: string): string | undefined {
    let open = 0
    let fromCoordinator = 0
    for (const round of this.rounds.values()) {
      if (round.finalized !== undefined || round.gaveUp) continue
      open++
      if (round.ctx.proposal.body.coordinator === coordinator) fromCoordinator++
    }
    if (fromCoordinator >= this.maxOpenProposalsPerPeer) return 'too-many-open-proposals'
    if (open >= this.maxOpenProposals) return 'too-many-open-proposals'
    return undefined
  }

  /** Keep a received message in the datastore (not while replaying: it came from there). */
  private async remember (proposalKey: string, message: AnyOpened): Promise<void> {
    if (!this.replaying) await this.store.save(proposalKey, message)
  }

  /**
   * Dispatch an event, except while replaying the store (those were dispatched before the restart)
   * or when nobody listens (an event object per vote and ack is most of a delivery's cost in a
   * large simulation).
   */
  private emit <K extends keyof ConsensusManagerEvents> (type: K, init: { detail: ConsensusManagerEvents[K]['detail'] }): void {
    if (!this.replaying && this.listenerCount(type) > 0) this.safeDispatchEvent(type, init)
  }

  private async onProposal (proposal: OpenedProposal, from: string, reactions: Reactions): Promise<Verdict> {
    if (this.rounds.has(proposal.key) || this.decided.has(proposal.key)) return ignore('duplicate')
    const refusal = this.openProposalRefusal(proposal.body.coordinator)
    if (refusal !== undefined) return ignore(refusal)
    const ctx = checkProposal(proposal, kind => this.kinds.get(kind))
    if (ctx === undefined) return ignore('unknown-algorithm')
    // no older than a proposal the datastore dropped, and not replayed from it: we may have signed
    // for it before a restart and forgotten (while running, `decided` catches those we dropped)
    const observeOnly = !this.replaying && proposal.body.createdAt <= this.store.forgottenUpTo
    const round = new Round(ctx, { knownSince: this.clock.now(), observeOnly })
    this.rounds.set(round.key, round)
    await this.remember(round.key, proposal)
    this.schedule(round)
    this.emit('proposal', { detail: proposalView(round) })
    const early = this.early.get(round.key) ?? []
    this.early.delete(round.key)
    reactions.push(async () => {
      for (const held of early) await this.processNow(held.opened, held.from).catch(() => {})
      // while replaying, our stored vote comes after the proposal: decide about voting once it had its chance
      if (!this.replaying) await this.maybeAutoVote(round)
    })
    return accept(from === this.peerId ? 'own' : 'new')
  }

  private async onVote (round: Round, vote: OpenedVote, from: string, reactions: Reactions): Promise<Verdict> {
    const effect = round.addVote(vote)
    if (effect === 'non-member' || effect === 'wrong-proposal') return reject(effect)
    if (effect === 'duplicate' || effect === 'repeat-equivocation') return ignore('duplicate')
    if (vote.body.voter === this.peerId) round.adoptOwnVote(vote)
    await this.remember(round.key, vote)
    if (effect === 'equivocation') {
      const pair = round.equivocations.get(vote.body.voter) as [OpenedVote, OpenedVote]
      this.emit('evidence', { detail: { kind: 'equivocation', proposalId: round.key, offender: vote.body.voter, messages: pair.map(v => v.bytes) } })
      // an equivocator may have shown each peer a different vote: show everyone both
      reactions.push(async () => { for (const evidence of pair) await this.broadcast(evidence) })
    } else {
      this.emit('vote', { detail: { proposalId: round.key, voter: vote.body.voter, vote: vote.body.choice, metadata: vote.body.metadata } })
    }
    reactions.push(...this.adoptPendingCloses(round, from))
    if (round.closed) return ignore('late')
    if (round.ctx.proposal.body.coordinator === this.peerId && round.evaluate().outcome !== 'pending') reactions.push(async () => this.tryClose(round, 0))
    return accept(effect)
  }

  private async onClose (round: Round, close: OpenedClose, from: string, reactions: Reactions, held = false): Promise<Verdict> {
    if (round.holdsClose(close.key)) return ignore('duplicate')
    // a closer that signs close after close is keeping us busy: one, plus one more as evidence, is all we hold
    if (round.closesBy(close.body.closer) >= 2) return ignore('close-limit')
    const notBefore = closeSlot(round.ctx, close)
    if (!held && this.clock.now() + this.clockToleranceMs < notBefore) {
      // Its signed closedAt claims its slot has come; our clock says not yet. What it claims is
      // checked now (a bad close is rejected at once), but a clock can be wrong, so an early close is
      // not provably bad: hold it, and adopt it only if its time comes here.
      checkClose(round.ctx, close, key => round.vote(key))
      round.holdEarlyClose(close)
      this.at(round, notBefore - this.clockToleranceMs, async () => {
        round.releaseEarlyClose(close.key)
        const later: Reactions = []
        await this.onClose(round, close, from, later, true)
        await this.react(later)
      })
      return ignore('early-close')
    }
    const checked = round.addClose(close, this.clock.now())
    if ('missing' in checked) {
      // ask the sender and one more peer: the sender may be a closer that just died
      await this.pull(round, checked.missing, from)
      await this.pull(round, checked.missing, this.pullPeer(round, from))
      // pulls get lost too: ask again soon rather than at the next retry round
      this.at(round, this.clock.now() + round.ctx.proposal.body.step / 2, async () => this.retryPendingCloses(round, ''))
      return ignore('missing-votes')
    }
    const mustAck = this.noteVerifiedClose(round, checked)
    reactions.push(async () => this.ackClose(round, checked, mustAck))
    return accept('close')
  }

  private async onAck (round: Round, ack: OpenedAck, from: string): Promise<Verdict> {
    const effect = round.addAck(ack)
    if (effect === 'non-member' || effect === 'wrong-proposal') return reject(effect)
    if (effect === 'duplicate') return ignore('duplicate')
    if (effect === 'conflict') {
      const first = round.ackBySigner.get(ack.body.signer) as OpenedAck
      this.emit('evidence', { detail: { kind: 'conflicting-ack', proposalId: round.key, offender: ack.body.signer, messages: [first.bytes, ack.bytes] } })
      return ignore('conflicting-ack')
    }
    const closeKey = idKey(ack.body.close)
    if (ack.body.signer === this.peerId) round.chooseAck(closeKey)
    await this.remember(round.key, ack)
    if (!round.closes.has(closeKey) && !round.pendingCloses.has(closeKey)) await this.pull(round, [closeKey], from)
    this.checkFinality(round)
    return accept('ack')
  }

  private async onWant (round: Round, want: OpenedWant, from: string): Promise<Verdict> {
    if (from === this.peerId) return ignore('own')
    for (const reply of round.repliesTo(want.body.ids.map(idToString))) this.sendInBackground(from, reply.bytes)
    return ignore('pull')
  }

  /** Answer a catch-up: the proof of each recent decision (proposal, close, counted votes, acks). */
  private async onCatchUp (from: string, held: Set<string>): Promise<Verdict> {
    if (from === this.peerId) return ignore('own')
    const now = this.clock.now()
    if ((this.lastCatchUp.get(from) ?? -Infinity) + C.CATCH_UP_INTERVAL_MS > now) return ignore('catch-up-too-soon')
    if (this.lastCatchUp.size >= C.MAX_EARLY_PROPOSALS * 4) this.lastCatchUp.clear()
    this.lastCatchUp.set(from, now)
    const recent = [...new Set(this.closedOrder)].slice(-C.CATCH_UP_DECISIONS)
    for (const key of recent) {
      if (held.has(key)) continue
      for (const message of this.rounds.get(key)?.proof() ?? []) this.sendInBackground(from, message.bytes)
    }
    // a member that was away when a proposal went out (a tab reconnecting) gets it now, and can still vote
    for (const round of this.rounds.values()) {
      if (!round.closed && round.ctx.electorate.has(from)) this.sendInBackground(from, round.ctx.proposal.bytes)
    }
    return ignore('pull')
  }

  /**
   * Ask `peerId` for the proofs of its recent decisions — what a peer that joins late (or restarts)
   * does to learn what was decided while it was away. Each proof is verified like any message.
   */
  async catchUp (peerId: string): Promise<void> {
    if (!this.running) throw new NotStartedError('call start() before catchUp()')
    // list what we already hold, so the answer carries only what we missed
    const held = [...new Set(this.closedOrder)].filter(key => this.rounds.get(key)?.finalized !== undefined).slice(-C.CATCH_UP_HAVE)
    await this.pull(CATCH_UP, held, peerId)
  }

  /**
   * What a verified close changes at once: evidence if it is a second close, and which close this
   * peer will acknowledge (the first it verified, decided here so that no other can take its place
   * while the ack is being signed). Returns whether this peer must now sign that ack.
   */
  private noteVerifiedClose (round: Round, checked: CheckedClose): boolean {
    if (checked.close.body.closer === this.peerId) round.markClosing()
    if (round.closes.size > 1) {
      const other = [...round.closes.values()].find(c => c.close.key !== checked.close.key) as CheckedClose
      this.emit('evidence', { detail: { kind: 'conflicting-close', proposalId: round.key, offender: checked.close.body.closer, messages: [other.close.bytes, checked.close.bytes] } })
    }
    if (round.observeOnly || !round.ctx.electorate.has(this.peerId)) return false
    return round.chooseAck(checked.close.key)
  }

  /** Keep a verified close, sign and send this peer's ack if {@link noteVerifiedClose} chose it, check finality. */
  private async ackClose (round: Round, checked: CheckedClose, mustAck: boolean): Promise<void> {
    await this.remember(round.key, checked.close)
    if (mustAck) {
      const ack = await sealMessage(this.identity, {
        type: 'ack', v: PROTOCOL_VERSION, ns: this.namespace, proposal: round.ctx.proposal.id, close: checked.close.id, signer: this.peerId
      })
      // stored before it leaves: after a crash we must never sign a different ack
      await this.store.save(round.key, ack)
      round.addAck(ack)
      await this.broadcast(ack)
    }
    this.checkFinality(round)
  }

  private checkFinality (round: Round): void {
    if (round.finalized !== undefined) return
    const final = round.finalCandidate()
    if (final === undefined) return
    const at = this.clock.now()
    round.finalize(final, at)
    const result = finalResult(round, final, at)
    this.stats.record(result)
    this.log('proposal %s decided %s by close %s', round.key, result.decision, final.close.key)
    this.clearTimers(round.key)
    this.waiters.get(round.key)?.resolve(result)
    this.waiters.delete(round.key)
    this.emit('decision', { detail: result })
    this.evictDecided(round.key)
  }

  // ---- acting: votes, closes, pulls ------------------------------------------------------------

  private async maybeAutoVote (round: Round): Promise<void> {
    if (this.voter !== undefined && round.ctx.electorate.has(this.peerId) && round.ownVote.state === 'none' && !round.closed && !round.observeOnly) await this.autoVote(round)
  }

  private async autoVote (round: Round): Promise<void> {
    round.lockOwnVote()
    let answer: VoteType | VoteDecision | undefined
    try {
      answer = await this.voter?.(proposalView(round))
    } catch (err) {
      this.log.error('voter failed on %s: %e', round.key, err)
    }
    const decision = typeof answer === 'string' ? { vote: answer } : answer
    if (decision === undefined || !isVoteType(decision.vote)) {
      if (decision !== undefined) this.log.error('voter returned %o, not a VoteType; not voting', decision)
      round.releaseOwnVote()
      return
    }
    let metadata: CborRecord
    try {
      metadata = checkCbor(decision.metadata ?? {}, 'vote metadata')
    } catch (err) {
      this.log.error('voter metadata rejected: %e', err)
      metadata = {}
    }
    round.releaseOwnVote()
    if (!round.closed) await this.castVote(round, decision.vote, metadata)
  }

  private async castVote (round: Round, vote: VoteType, metadata: CborRecord): Promise<void> {
    round.lockOwnVote()
    const sealed = await sealMessage(this.identity, {
      type: 'vote', v: PROTOCOL_VERSION, ns: this.namespace, proposal: round.ctx.proposal.id, voter: this.peerId, choice: vote, metadata
    })
    round.recordOwnVote(sealed)
    // stored before it leaves: after a crash we must never sign a different vote
    await this.store.save(round.key, sealed)
    await this.processNow(sealed, this.peerId)
    await this.broadcast(sealed)
  }

  /**
   * Close as closer of `rank`: the coordinator as soon as the outcome is settled or at the deadline,
   * fallback i at deadline + i·Δ and only if it has seen no close at all (not even one still waiting
   * for votes), so that a fallback never competes with a close already spreading.
   */
  private async tryClose (round: Round, rank: number): Promise<void> {
    const body = round.ctx.proposal.body
    const now = this.clock.now()
    if (body.closers[rank] !== this.peerId || round.closing || round.closed || round.observeOnly || round.awaitsPendingClose(rank, now, body.closers.length * body.step)) return
    if (rank > 0 && now < round.knownSince + body.step) {
      // we learnt of this proposal late: first ask a peer whether a close is already out
      await this.pull(round, [], this.pullPeer(round))
      this.at(round, round.knownSince + body.step, async () => this.tryClose(round, rank))
      return
    }
    // A fallback closes only in its own window [deadline + rank·Δ, deadline + (rank+1)·Δ): once the
    // next closer's slot has begun, two closes would split the acks. The last closer has no end.
    if (rank > 0 && rank < body.closers.length - 1 && now >= body.deadline + (rank + 1) * body.step) return
    const evaluation = round.evaluate()
    if (evaluation.outcome === 'pending' && now < body.deadline) return
    round.markClosing()
    const close = await sealMessage(this.identity, round.draftClose(this.peerId, rank, decisionFor(evaluation), Math.ceil(now)))
    await this.store.save(round.key, close)
    await this.broadcast(close)
    await this.processNow(close, this.peerId)
  }

  private async retryPendingCloses (round: Round, from: string): Promise<void> {
    await this.react(this.adoptPendingCloses(round, from))
  }

  /**
   * Check every pending close again (now, synchronously: whether the round is closed must be known
   * before a verdict); returns what to do about those that now pass. With no `from` (a timer), pull
   * the votes still missing.
   */
  private adoptPendingCloses (round: Round, from: string): Reactions {
    const reactions: Reactions = []
    for (const pending of [...round.pendingCloses.values()]) {
      let checked: CheckedClose | { missing: string[] }
      try {
        checked = round.addClose(pending, this.clock.now())
      } catch (err: any) {
        this.log('dropped close %s once its votes arrived: %s', pending.key, err?.message)
        continue
      }
      if (!('missing' in checked)) {
        const adopted = checked
        const mustAck = this.noteVerifiedClose(round, adopted)
        reactions.push(async () => {
          // we had to pull to check it, so others may lack it too: pass it on with our ack
          await this.broadcast(adopted.close)
          await this.ackClose(round, adopted, mustAck)
        })
      }
      else if (from === '') void this.pull(round, checked.missing, this.pullPeer(round))
    }
    return reactions
  }

  /** Ask one peer for ids of this proposal (all it holds if `ids` is empty). */
  private async pull (round: Round | string, ids: string[], from: string): Promise<void> {
    if (from === this.peerId || from === '') return
    const proposalKey = typeof round === 'string' ? round : round.key
    const want = sealWant({ type: 'want', v: PROTOCOL_VERSION, ns: this.namespace, proposal: idFromString(proposalKey), ids: ids.slice(0, this.limits.maxWantIds).map(idFromString) })
    this.sendInBackground(from, want.bytes)
  }

  /**
   * Point-to-point sends are never awaited where a message is being handled: a transport may hold
   * the message's forwarding until its handler returns, and opening a stream takes a while.
   */
  private sendInBackground (to: string, bytes: Uint8Array): void {
    this.coordinator.send(to, bytes).catch(err => { this.log('send to %s failed: %e', to, err) })
  }

  private pullPeer (round: Round, besides = ''): string {
    const peers = (this.coordinator.getNeighbours?.() ?? this.coordinator.getPeers()).filter(p => p !== this.peerId && p !== besides).sort()
    if (peers.length === 0) return ''
    return peers[(round.advancePulls() + this.peerId.length) % peers.length] as string
  }

  private async holdEarly (proposalKey: string, opened: AnyOpened, from: string): Promise<void> {
    let held = this.early.get(proposalKey)
    if (held === undefined) {
      if (this.early.size >= C.MAX_EARLY_PROPOSALS) this.early.delete(this.early.keys().next().value as string)
      held = []
      this.early.set(proposalKey, held)
    }
    if (held.length < C.MAX_EARLY_PER_PROPOSAL) held.push({ opened, from })
    const now = this.clock.now()
    if ((this.lastPull.get(proposalKey) ?? -Infinity) + C.UNKNOWN_PROPOSAL_PULL_INTERVAL_MS <= now) {
      if (this.lastPull.size >= C.MAX_EARLY_PROPOSALS * 4) this.lastPull.clear()
      this.lastPull.set(proposalKey, now)
      await this.pull(proposalKey, [proposalKey], from)
    }
  }

  private async broadcast (message: AnyOpened): Promise<void> {
    try {
      await this.coordinator.broadcast(message.bytes)
    } catch (err) {
      // pull sync recovers what a failed publish loses
      this.log('broadcast of %s failed: %e', message.body.type, err)
    }
  }

  // ---- timers ----------------------------------------------------------------------------------

  private at (round: Round, time: number, task: () => Promise<void>): void {
    const handle = this.clock.setTimeout(async () => {
      if (!this.running || round.finalized !== undefined) return
      try {
        await task()
      } catch (err) {
        this.log.error('timer task on %s failed: %e', round.key, err)
      }
    }, Math.max(0, time - this.clock.now()))
    const list = this.timers.get(round.key) ?? []
    list.push(handle)
    this.timers.set(round.key, list)
  }

  private clearTimers (key: string): void {
    for (const handle of this.timers.get(key) ?? []) this.clock.clearTimeout(handle)
    this.timers.delete(key)
  }

  /**
   * A round's timeline, in this peer's clock: halfway to the deadline, re-send what may have been
   * lost (the proposal, our vote); at our closer slot, close; after the deadline, every Δ, re-send
   * our close and ack and pull from a peer, until final; then tell a waiting requester "unconfirmed".
   */
  private schedule (round: Round): void {
    const body = round.ctx.proposal.body
    const rank = body.closers.indexOf(this.peerId)
    const resend = async (): Promise<void> => {
      if (round.closed) return
      if (body.coordinator === this.peerId) await this.broadcast(round.ctx.proposal)
      const own = round.ownVote
      if (own.state === 'cast') await this.broadcast(own.vote)
    }
    this.at(round, body.createdAt + (body.deadline - body.createdAt) / 2, resend)
    if (rank >= 0) this.at(round, body.deadline + rank * body.step, async () => this.tryClose(round, rank))
    const rounds = body.closers.length + C.EXTRA_FINALITY_ROUNDS
    // a peer that learns of a proposal after its deadline still gets every retry round, spaced out
    const retriesFrom = Math.max(body.deadline, this.clock.now())
    for (let i = 0; i < rounds; i++) {
      this.at(round, retriesFrom + body.step / 2 + i * body.step, async () => {
        await resend()
        const acked = round.ackedClose === undefined ? undefined : round.closes.get(round.ackedClose)
        if (acked !== undefined) await this.broadcast(acked.close)
        const myAck = round.ackBySigner.get(this.peerId)
        if (myAck !== undefined) await this.broadcast(myAck)
        await this.retryPendingCloses(round, '')
        await this.pull(round, [], this.pullPeer(round))
      })
    }
    this.at(round, retriesFrom + rounds * body.step, async () => {
      const waiter = this.waiters.get(round.key)
      this.waiters.delete(round.key)
      waiter?.resolve(unconfirmedResult(round, this.clock.now()))
      round.giveUp()
      // still open, but no longer worth a slot forever: it ages out like a decided one
      this.closedOrder.push(round.key)
      this.evictOldest()
    })
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  /** The live swarm: peers present now, and this peer if it answers proposals. */
  private defaultElectorate (): string[] {
    const ids = this.coordinator.getPeers().filter(p => p !== this.peerId)
    if (this.voter !== undefined) ids.push(this.peerId)
    return ids
  }

  private evictDecided (key: string): void {
    this.decided.add(key)
    if (this.decided.size > C.DEFAULT_MAX_DECIDED_IDS) this.decided.delete(this.decided.values().next().value as string)
    this.closedOrder.push(key)
    this.evictOldest()
  }

  private evictOldest (): void {
    while (this.closedOrder.length > this.maxClosedProposals) {
      const oldest = this.closedOrder.shift() as string
      const round = this.rounds.get(oldest)
      this.rounds.delete(oldest)
      this.clearTimers(oldest)
      if (round === undefined) continue
      forgetVerified(round.envelopes.keys())
      // the datastore keeps what memory keeps, or it would grow without bound
      this.store.forget(oldest, round.envelopes.values(), round.ctx.proposal.body.createdAt).catch(err => { this.log.error('could not drop proposal %s from the datastore: %e', oldest, err) })
    }
  }
}
