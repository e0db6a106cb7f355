import { addToTally, emptyTally, removeFromTally, tallyTuple } from '../algorithms/tally.js'
import { AckPhase, compareBytes, PROTOCOL_VERSION, type CloseBody } from '../wire/messages.js'
import { idKey } from '../wire/ids.js'
import { roundStart } from './round-clock.js'
import { voteProblem } from './ballot-check.js'
import { CountedVotes } from './counted-votes.js'
import { checkClose, closesAtEnd, decisionFor, evaluateAlgorithm, winnerFor, type CheckedClose } from './verify-close.js'
import type { ProposalContext } from './context.js'
import type { AlgorithmEvaluation, Tally } from '../algorithms/interface.js'
import type { ConsensusDecision } from '../types.js'
import type { AnyOpened, OpenedAck, OpenedClose, OpenedVote } from '../wire/envelope.js'

/** What adding a vote did. */
export type VoteEffect =
  | 'counted' | 'replaced' | 'superseded' | 'duplicate' | 'equivocation' | 'repeat-equivocation' | 'non-member' | 'wrong-proposal' | 'bad-ballot'

/** What adding an ack did. */
export type AckEffect = 'counted' | 'duplicate' | 'conflict' | 'non-member' | 'wrong-proposal'

/** Where this peer stands on its own vote: none yet, one being decided or signed, or cast (its latest, where votes may change). */
export type OwnVote =
  | { state: 'none' }
  /** deciding or signing a vote: no second one may start meanwhile */
  | { state: 'signing' }
  | { state: 'cast', vote: OpenedVote }

/** How a round starts on this peer. */
export interface ProposalStateInit {
  /** local time this peer first held the proposal */
  knownSince?: number
  /**
   * The proposal is no newer than one the datastore dropped (beyond `maxClosedProposals`) and the
   * datastore did not give it back: this peer may have voted, acked or closed on it before a
   * restart and forgotten, so it signs nothing for it (it still verifies and adopts the decision).
   */
  observeOnly?: boolean
}

const NO_VOTE: OwnVote = { state: 'none' }
const SIGNING: OwnVote = { state: 'signing' }

/** The value a nil prevote counts for in a round's prevote tally. */
export const NIL = 'nil'

/** Further values an equivocating member's acks count for in one round and phase (beyond, they are only evidence). */
const MAX_VALUES_PER_SLOT = 3

/** An outcome (by id) and the round it is tied to: a polka's, a lock's or a decision's. */
export interface RoundValue {
  round: number
  value: string
}

/** How a proposal was decided: every member prevoting one round-0 outcome, or precommits of more than 2/3 of the weight in one round. */
export type DecisionPath = 'fast' | 'precommit'

/** A decision reached here: the outcome, how, and the acks that prove it. */
export interface Decision extends RoundValue {
  close: CheckedClose
  path: DecisionPath
  acks: OpenedAck[]
}

/** weight per value (an outcome id, or {@link NIL}) of one round and phase */
type Tally2 = Map<string, number>

/**
 * The state of one proposal on one peer: the votes it holds (first valid vote per voter counts;
 * a second, different one is equivocation evidence and excludes the voter), a running tally kept in
 * O(1) per vote, the closes it verified, every member's prevotes and precommits per round, this
 * peer's own acks and closes (from which its lock follows), and the decision. Synchronous and free of
 * I/O: the manager verifies signatures first and does all sending. Its state changes only through
 * its own methods; the handlers decide when to call them.
 */
export class ProposalState {
  readonly ctx: ProposalContext
  readonly key: string
  /** voter → choice for every voter currently counted, in the order their first votes arrived */
  readonly counted: CountedVotes
  /** local time this peer first held the proposal */
  readonly knownSince: number
  /** see {@link ProposalStateInit.observeOnly} */
  readonly observeOnly: boolean
  /** the electorate's PeerIds by slot: the one copy every held vote's body points at */
  private readonly voterIds: string[]
  private readonly runningTally: Tally
  /** the proposal, votes and verified closes by content id (acks are in `acks`) */
  private readonly held = new Map<string, AnyOpened>()
  private readonly equivocators = new Map<string, [OpenedVote, OpenedVote]>()
  /** where votes may change: slot → sequence number → the vote held for it */
  private readonly votesBySeq = new Map<number, Map<number, OpenedVote>>()
  private readonly checkedCloses = new Map<string, CheckedClose>()
  /** outcome id → the first verified close carrying it */
  private readonly outcomes = new Map<string, CheckedClose>()
  private readonly waitingCloses = new Map<string, OpenedClose>()
  /** pending close id → the cited vote ids it still lacks (emptied as those votes arrive) */
  private readonly lacking = new Map<string, Set<string>>()
  /** vote id → the pending closes that lack it */
  private readonly awaited = new Map<string, string[]>()
  /** round-0 timeouts that arrived before the deadline by our clock, held until then: id → close */
  private readonly earlyCloses = new Map<string, OpenedClose>()
  /**
   * round and phase ({@link ackSlot}) → each member's first ack of them, by the member's slot in the
   * electorate: one shared map lookup (member → slot) per ack, where a map of maps per signer cost
   * three lookups in maps of its own, cache misses mostly, for every ack every peer takes
   */
  private readonly acks = new Map<number, Array<OpenedAck | undefined>>()
  /** `member slot/round and phase` → the member's further acks of that round and phase, each for another value (an equivocator's) */
  private readonly moreAcks = new Map<string, OpenedAck[]>()
  private readonly prevotes = new Map<number, Tally2>()
  private readonly precommits = new Map<number, Tally2>()
  /** round → weight of the distinct members that sent any ack of it (for jumping ahead) */
  private readonly roundWeight = new Map<number, number>()
  /** member slots that prevoted two values in round 0 (equivocation: it counts against each) */
  private readonly round0Twice = new Set<number>()
  private readonly ownPrevotes = new Map<number, string>()
  private readonly ownPrecommits = new Map<number, string>()
  private readonly ownCloseRounds = new Set<number>()
  private own: OwnVote = NO_VOTE
  private roundNow = 0
  private decision: Decision | undefined
  private finalAt: number | undefined
  private pullCount = 0
  private abandoned = false
  /** outcomes acked to us before we held their close, already asked for once */
  private readonly askedFor = new Set<string>()

  constructor (ctx: ProposalContext, init: ProposalStateInit = {}) {
    this.ctx = ctx
    this.key = ctx.proposal.key
    this.knownSince = init.knownSince ?? 0
    this.observeOnly = init.observeOnly ?? false
    this.runningTally = emptyTally(ctx.electorate)
    this.held.set(this.key, ctx.proposal)
    this.counted = new CountedVotes(ctx.electorate)
    this.voterIds = []
    for (const [voter, slot] of this.counted.slots) this.voterIds[slot] = voter
  }

  /** Every verified envelope of this proposal held: the proposal, its votes, closes and acks. */
  envelopes (): AnyOpened[] {
    return [...this.held.values(), ...this.heldAcks()]
  }

  /** Every ack held (acks are kept by member and round, not among the other envelopes by id: one map insert less per ack). */
  private * heldAcks (): Generator<OpenedAck> {
    for (const first of this.acks.values()) for (const ack of first) if (ack !== undefined) yield ack
    for (const more of this.moreAcks.values()) yield * more
  }

  /** voter → the two votes that prove it equivocated */
  get equivocations (): ReadonlyMap<string, readonly [OpenedVote, OpenedVote]> { return this.equivocators }
  /** the running tally of the counted votes */
  get tally (): Readonly<Tally> { return this.runningTally }
  /** closes that passed every check, in arrival order */
  get closes (): ReadonlyMap<string, CheckedClose> { return this.checkedCloses }
  /** signature-valid closes still waiting for cited votes */
  get pendingCloses (): ReadonlyMap<string, OpenedClose> { return this.waitingCloses }

  /** Where this peer stands on its own vote. */
  get ownVote (): OwnVote { return this.own }
  /** The decision reached here, once one is. */
  get decided (): Decision | undefined { return this.decision }
  /** The close whose outcome was decided here, once one was. */
  get finalized (): CheckedClose | undefined { return this.decision?.close }
  /** Local time the proposal was decided here. */
  get finalizedAt (): number | undefined { return this.finalAt }
  /** Whether the requester's horizon passed without finality. */
  get gaveUp (): boolean { return this.abandoned }
  /** Neither final nor given up on: what counts against the open-proposal limits. */
  get open (): boolean { return this.decision === undefined && !this.abandoned }
  /** The round this peer is in. */
  get currentRound (): number { return this.roundNow }

  /** Start deciding or signing this peer's vote: nothing else may start one until it is cast or released. */
  lockOwnVote (): void { this.own = SIGNING }
  /** Deciding ended without a vote: one may be started again. */
  releaseOwnVote (): void { this.own = NO_VOTE }
  /** This peer signed `vote`: it is its vote on the proposal (until it signs a change, where changes are allowed). */
  recordOwnVote (vote: OpenedVote): void { this.own = { state: 'cast', vote } }
  /** A vote of this peer came back (from the datastore or a relay) while none is under way here: it is our vote. */
  adoptOwnVote (vote: OpenedVote): void {
    if (this.own.state === 'none' || (this.own.state === 'cast' && vote.body.seq > this.own.vote.body.seq)) this.own = { state: 'cast', vote }
  }

  /** Enter round `r` (never back). Returns whether this moved the peer forward. */
  enterRound (r: number): boolean {
    if (r <= this.roundNow) return false
    this.roundNow = r
    return true
  }

  /** This peer's prevote of round `r` (an outcome id or {@link NIL}), if it sent one. */
  ownPrevote (r: number): string | undefined { return this.ownPrevotes.get(r) }
  /** This peer's precommit of round `r`, if it sent one. */
  ownPrecommit (r: number): string | undefined { return this.ownPrecommits.get(r) }
  /** Claim round `r`'s prevote before it is signed: false when this peer already has one (one per round, ever). */
  choosePrevote (r: number, value: string): boolean {
    if (this.ownPrevotes.has(r)) return false
    this.ownPrevotes.set(r, value)
    return true
  }

  /** Claim round `r`'s precommit before it is signed: false when this peer already has one. */
  choosePrecommit (r: number, value: string): boolean {
    if (this.ownPrecommits.has(r)) return false
    this.ownPrecommits.set(r, value)
    return true
  }

  /** Claim round `r`'s close as its closer: false when this peer already signed one for that round. */
  chooseClose (r: number): boolean {
    if (this.ownCloseRounds.has(r)) return false
    this.ownCloseRounds.add(r)
    return true
  }

  /** Whether this peer signed (or is signing) a close of round `r`. */
  closedRound (r: number): boolean { return this.ownCloseRounds.has(r) }

  /** The highest round in which this peer signed a precommit or a non-nil prevote (−1 if none): it may still precommit a polka of that round or later. */
  get lastBindingRound (): number {
    let last = -1
    for (const [round, value] of this.ownPrevotes) if (value !== NIL && round > last) last = round
    for (const round of this.ownPrecommits.keys()) if (round > last) last = round
    return last
  }

  /** The lock this peer holds: its precommit of the highest round (Tendermint's lockedValue/lockedRound). */
  get locked (): RoundValue | undefined {
    let best: RoundValue | undefined
    for (const [round, value] of this.ownPrecommits) if (best === undefined || round > best.round) best = { round, value }
    return best
  }

  /** The outcome of the highest round with a polka whose close this peer verified (Tendermint's validValue/validRound). */
  get valid (): RoundValue | undefined {
    let best: RoundValue | undefined
    for (const round of this.prevotes.keys()) {
      const value = this.polka(round)
      if (value !== undefined && this.outcomes.has(value) && (best === undefined || round > best.round)) best = { round, value }
    }
    return best
  }

  /** The outcome with prevotes of more than 2/3 of the weight in round `r`, if any (a nil polka does not count). */
  polka (r: number): string | undefined {
    for (const [value, weight] of this.prevotes.get(r) ?? []) {
      if (value !== NIL && weight * 3 > this.ctx.totalWeight * 2) return value
    }
    return undefined
  }

  /**
   * Whether this peer's round-0 prevote for `value` no longer binds it: members carrying more than
   * 1/3 of the weight prevoted something else in round 0 (nil, another outcome, or two things), so
   * `value` cannot have had every member's prevote and cannot have been decided on the fast path.
   */
  round0Released (value: string): boolean {
    let other = 0
    const weights = this.counted.weights
    const first = this.acks.get(ackSlot(0, AckPhase.Prevote)) ?? []
    for (let member = 0; member < first.length; member++) {
      const ack = first[member]
      if (ack !== undefined && (this.round0Twice.has(member) || ackValue(ack) !== value)) other += weights[member] as number
    }
    return other * 3 > this.ctx.totalWeight
  }

  /**
   * The round-0 outcome a closer of a later round must re-propose, if one may still have been
   * decided on the fast path: one that {@link round0Released} does not release (at most one can be
   * unreleased once the prevotes of more than 2/3 of the weight are held); the heaviest if several.
   */
  get round0Candidate (): string | undefined {
    let best: string | undefined
    let bestWeight = -1
    for (const [value, weight] of this.prevotes.get(0) ?? []) {
      if (value === NIL || this.round0Released(value)) continue
      if (weight > bestWeight || (weight === bestWeight && best !== undefined && value < best)) {
        best = value
        bestWeight = weight
      }
    }
    return best
  }

  /** The highest round ahead of ours in which members carrying more than 1/3 of the weight sent acks: evidence that round has begun. */
  get roundAhead (): number | undefined {
    let ahead: number | undefined
    for (const [round, weight] of this.roundWeight) {
      if (round > this.roundNow && weight * 3 > this.ctx.totalWeight && (ahead === undefined || round > ahead)) ahead = round
    }
    return ahead
  }

  /**
   * The decision the acks held prove, if any, for an outcome whose close this peer verified: a
   * round-0 outcome prevoted by every member (the fast path), or an outcome precommitted by members
   * carrying more than 2/3 of the weight in one round.
   */
  decisionCandidate (): Omit<Decision, 'acks'> | undefined {
    const total = this.ctx.totalWeight
    for (const [value, weight] of this.prevotes.get(0) ?? []) {
      const close = this.outcomes.get(value)
      if (value !== NIL && weight === total && close !== undefined) return { round: 0, value, close, path: 'fast' }
    }
    for (const [round, tally] of this.precommits) {
      for (const [value, weight] of tally) {
        const close = this.outcomes.get(value)
        if (weight * 3 > total * 2 && close !== undefined) return { round, value, close, path: 'precommit' }
      }
    }
    return undefined
  }

  /** The decision `candidate` became final at local time `at`; nothing changes it after this. */
  finalize (candidate: Omit<Decision, 'acks'>, at: number): Decision {
    const phase = candidate.path === 'fast' ? AckPhase.Prevote : AckPhase.Precommit
    const acks = this.acksOf(candidate.round, phase, candidate.value)
    this.decision = { ...candidate, acks }
    this.finalAt = at
    return this.decision
  }

  /** The requester's horizon passed without finality: the proposal stops counting as open. */
  giveUp (): void { this.abandoned = true }

  /** Whether the close of outcome `value` was not asked for yet (it is, by the caller, once). */
  firstAskFor (value: string): boolean {
    if (this.askedFor.has(value)) return false
    this.askedFor.add(value)
    return true
  }

  /** Count one more pull made while waiting, returning the new count (to rotate through peers). */
  advancePulls (): number { return ++this.pullCount }

  /** Hold a round-0 timeout that is early by our clock until the deadline comes. */
  holdEarlyClose (close: OpenedClose): void { this.earlyCloses.set(close.key, close) }
  /** An early close's time came: it is no longer held as early. */
  releaseEarlyClose (key: string): void { this.earlyCloses.delete(key) }
  /** Whether this proposal holds the close `key`, checked, pending or early. */
  holdsClose (key: string): boolean {
    return this.checkedCloses.has(key) || this.waitingCloses.has(key) || this.earlyCloses.has(key)
  }

  /** The proposal's pinned deadline (coordinator's clock). */
  get deadline (): number { return this.ctx.proposal.body.deadline }

  /**
   * True once a close of this peer's round or an earlier one passed verification here: voting is over
   * (round 0 is the coordinator's; a later round starts after the deadline). A close of a round this
   * peer has not reached — a closer whose clock runs ahead, or one forward-dating its close — does not
   * end the vote early.
   */
  get closed (): boolean {
    for (const checked of this.checkedCloses.values()) if (checked.close.body.round <= this.roundNow) return true
    return false
  }

  /** The verified close carrying outcome `value`, if this peer holds one. */
  outcome (value: string): CheckedClose | undefined { return this.outcomes.get(value) }

  /** Verified closes of round `r`, in arrival order. */
  closesOfRound (r: number): CheckedClose[] {
    return [...this.checkedCloses.values()].filter(c => c.close.body.round === r)
  }

  /**
   * Record a signature-verified vote. The first valid vote of a voter counts. Where the proposal allows
   * vote changes, one with a higher sequence number replaces it and one with a lower number is held
   * (a close may cite it) but not counted; two different votes of one sequence number are
   * equivocation. Where it does not, any second different vote is.
   */
  addVote (vote: OpenedVote): VoteEffect {
    if (!sameId(vote.body.proposal, this.ctx.proposal.id)) return 'wrong-proposal'
    const voter = vote.body.voter
    const counted = this.counted
    const slot = counted.slots.get(voter)
    if (slot === undefined) return 'non-member'
    if (this.held.has(vote.key)) return 'duplicate'
    if (voteProblem(this.ctx, vote.body) !== undefined) return 'bad-ballot'
    const weight = counted.weights[slot] as number
    const current = counted.current[slot]
    this.held.set(vote.key, vote)
    if (this.awaited.size > 0) this.arrived(vote.key)
    this.share(vote, slot)
    if (current === undefined) {
      counted.count(slot, vote)
      addToTally(this.runningTally, vote.body.choice, weight)
      this.noteSeq(slot, vote)
      return 'counted'
    }
    if (this.equivocators.has(voter)) return 'repeat-equivocation'
    const twin = this.ctx.proposal.body.voteChange ? this.sameSeq(slot, vote) : current
    if (twin !== undefined) {
      this.equivocators.set(voter, twin.key < vote.key ? [twin, vote] : [vote, twin])
      counted.exclude(slot)
      removeFromTally(this.runningTally, current.body.choice, weight)
      return 'equivocation'
    }
    this.noteSeq(slot, vote)
    if (vote.body.seq < current.body.seq) return 'superseded'
    counted.replace(slot, vote)
    removeFromTally(this.runningTally, current.body.choice, weight)
    addToTally(this.runningTally, vote.body.choice, weight)
    return 'replaced'
  }

  /** Where votes may change: remember which vote of its voter holds each sequence number. */
  private noteSeq (slot: number, vote: OpenedVote): void {
    if (!this.ctx.proposal.body.voteChange) return
    let bySeq = this.votesBySeq.get(slot)
    if (bySeq === undefined) {
      bySeq = new Map()
      this.votesBySeq.set(slot, bySeq)
    }
    if (!bySeq.has(vote.body.seq)) bySeq.set(vote.body.seq, vote)
  }

  /** The held vote of the voter in `slot` with `vote`'s sequence number, if any. */
  private sameSeq (slot: number, vote: OpenedVote): OpenedVote | undefined {
    return this.votesBySeq.get(slot)?.get(vote.body.seq)
  }

  /**
   * Point a held vote's body at the proposal's copies of what all its votes carry — the proposal id,
   * the voter's PeerId, the namespace — instead of its own freshly decoded ones (equal values;
   * ~340 of the ~1,250 bytes a held vote costs, a quarter of an open proposal's memory).
   */
  private share (vote: OpenedVote, slot: number): void {
    vote.body.proposal = this.ctx.proposal.id
    vote.body.voter = this.voterIds[slot] as string
    if (vote.body.ns === this.ctx.proposal.body.ns) vote.body.ns = this.ctx.proposal.body.ns
  }

  /** The algorithm's view of the votes counted so far. */
  evaluate (): AlgorithmEvaluation {
    return evaluateAlgorithm(this.ctx, this.counted, this.runningTally)
  }

  /** A vote pending closes cited arrived: they lack one vote fewer. */
  private arrived (key: string): void {
    const closes = this.awaited.get(key)
    if (closes === undefined) return
    this.awaited.delete(key)
    for (const close of closes) this.lacking.get(close)?.delete(key)
  }

  /**
   * Whether the pending close `key` may pass now: every vote it cites has arrived since it was last
   * checked. A pending close is checked again only then (or on a timer), not at every vote: at 300
   * voters a close waiting for a few lost votes was re-checked against all its cited votes ~300 times.
   */
  completes (key: string): boolean {
    return this.lacking.get(key)?.size === 0
  }

  /** Look up a held vote by id. */
  vote (key: string): OpenedVote | undefined {
    const envelope = this.held.get(key)
    return envelope?.body.type === 'vote' ? envelope as OpenedVote : undefined
  }

  /**
   * Verify a close against the votes held. Returns the ids still missing (the close is kept pending),
   * or the checked close (stored). Throws `InvalidMessageError` if the close is provably bad.
   */
  addClose (close: OpenedClose): CheckedClose | { missing: string[] } {
    const known = this.checkedCloses.get(close.key)
    if (known !== undefined) return known
    let result: CheckedClose | { missing: string[] }
    try {
      result = checkClose(this.ctx, close, key => this.vote(key))
    } catch (err) {
      // found bad once its votes arrived: forget it, it must not block anything
      this.dropPending(close.key)
      throw err
    }
    if ('missing' in result) {
      this.waitingCloses.set(close.key, close)
      this.noteLacking(close.key, result.missing)
      return result
    }
    this.dropPending(close.key)
    this.checkedCloses.set(close.key, result)
    if (!this.outcomes.has(result.value)) this.outcomes.set(result.value, result)
    this.held.set(close.key, close)
    return result
  }

  /** Closes by `closer` for round `r` this proposal holds, checked, pending or early. */
  closesBy (closer: string, r: number): number {
    let n = 0
    for (const c of this.checkedCloses.values()) if (c.close.body.closer === closer && c.close.body.round === r) n++
    for (const c of this.waitingCloses.values()) if (c.body.closer === closer && c.body.round === r) n++
    for (const c of this.earlyCloses.values()) if (c.body.closer === closer && c.body.round === r) n++
    return n
  }

  private dropPending (key: string): void {
    this.waitingCloses.delete(key)
    this.noteLacking(key, [])
  }

  /** The votes the pending close `key` lacks now (none: it is no longer pending, or complete). */
  private noteLacking (key: string, missing: string[]): void {
    const before = this.lacking.get(key)
    for (const vote of before ?? []) {
      const closes = this.awaited.get(vote)?.filter(c => c !== key) ?? []
      if (closes.length === 0) this.awaited.delete(vote)
      else this.awaited.set(vote, closes)
    }
    if (!this.waitingCloses.has(key)) {
      this.lacking.delete(key)
      return
    }
    const lacking = new Set(missing)
    this.lacking.set(key, lacking)
    for (const vote of lacking) {
      const closes = this.awaited.get(vote)
      if (closes === undefined) this.awaited.set(vote, [key])
      else closes.push(key)
    }
  }

  /**
   * Record a signature-verified ack: one per member per round and phase counts; a second, different
   * one is a conflict (kept as round-0 evidence: it releases the round-0 lock of the values it contradicts).
   */
  addAck (ack: OpenedAck): AckEffect {
    if (!sameId(ack.body.proposal, this.ctx.proposal.id)) return 'wrong-proposal'
    const { signer, round, phase } = ack.body
    const member = this.counted.slots.get(signer)
    if (member === undefined) return 'non-member'
    const weight = this.counted.weights[member] as number
    // as for a vote (see share): the proposal's copy of its id, not the ack's own freshly decoded one
    ack.body.proposal = this.ctx.proposal.id
    const value = ackValue(ack)
    const slot = ackSlot(round, phase)
    const first = this.acksIn(slot)
    const previous = first[member]
    if (previous !== undefined) {
      if (previous.key === ack.key) return 'duplicate'
      this.addConflictingAck(ack, member, slot, value, weight, ackValue(previous))
      return 'conflict'
    }
    const other = this.acks.get(phase === AckPhase.Prevote ? slot + 1 : slot - 1)
    const firstInRound = other?.[member] === undefined
    first[member] = ack
    if (firstInRound) this.roundWeight.set(round, (this.roundWeight.get(round) ?? 0) + weight)
    const tallies = phase === AckPhase.Prevote ? this.prevotes : this.precommits
    let tally = tallies.get(round)
    if (tally === undefined) {
      tally = new Map()
      tallies.set(round, tally)
    }
    tally.set(value, (tally.get(value) ?? 0) + weight)
    return 'counted'
  }

  /** The members' first acks of round and phase `slot`, made on first use. */
  private acksIn (slot: number): Array<OpenedAck | undefined> {
    let first = this.acks.get(slot)
    if (first === undefined) {
      first = new Array<OpenedAck | undefined>(this.counted.weights.length).fill(undefined)
      this.acks.set(slot, first)
    }
    return first
  }

  /**
   * An equivocator's further ack of one round and phase counts for its own value too (once per value,
   * a few values at most): two peers holding different first acks of it must still see the same
   * quorums, or an equivocator can leave some honest members one ack short for ever. This is safe
   * while equivocators hold less than 1/3 of the weight: two quorums of more than 2/3 for different
   * values of one round would still share more than 1/3 of the weight, which would all have signed twice.
   */
  private addConflictingAck (ack: OpenedAck, member: number, slot: number, value: string, weight: number, first: string): void {
    const { round, phase } = ack.body
    if (round === 0 && phase === AckPhase.Prevote) this.round0Twice.add(member)
    const key = `${member}/${slot}`
    const more = this.moreAcks.get(key) ?? []
    if (value === first || more.length >= MAX_VALUES_PER_SLOT || more.some(a => a.key === ack.key || ackValue(a) === value)) return
    more.push(ack)
    this.moreAcks.set(key, more)
    const tallies = phase === AckPhase.Prevote ? this.prevotes : this.precommits
    const tally = tallies.get(round) as Tally2
    tally.set(value, (tally.get(value) ?? 0) + weight)
  }

  /** A member's counted ack of round `r` and `phase`, if held. */
  ackOf (signer: string, r: number, phase: AckPhase): OpenedAck | undefined {
    const member = this.counted.slots.get(signer)
    return member === undefined ? undefined : this.acks.get(ackSlot(r, phase))?.[member]
  }

  /** The counted acks of round `r` and `phase` for `value`, sorted by signer (deterministic certificates). */
  acksOf (r: number, phase: AckPhase, value: string): OpenedAck[] {
    const found: OpenedAck[] = []
    const slot = ackSlot(r, phase)
    const first = this.acks.get(slot) ?? []
    for (let member = 0; member < first.length; member++) {
      const ack = first[member]
      if (ack === undefined) continue
      const counted = ackValue(ack) === value ? ack : this.moreAcks.get(`${member}/${slot}`)?.find(a => ackValue(a) === value)
      if (counted !== undefined) found.push(counted)
    }
    return found.sort((a, b) => a.body.signer < b.body.signer ? -1 : 1)
  }

  /**
   * Whether an ack still matters to a peer that is behind: a round-0 prevote (the round-0 rule), an
   * ack of this peer's round or the one before, or a prevote of a round that a close of this round
   * cites as its `validRound` (a member must see that polka to accept the close). Re-sends and pull
   * answers carry only these, so they stay a few acks per member however many rounds pass.
   */
  private ackMatters (ack: OpenedAck, cited: ReadonlySet<number>): boolean {
    const r = ack.body.round
    if (r === this.roundNow || r === this.roundNow - 1) return true
    return ack.body.phase === AckPhase.Prevote && (r === 0 || cited.has(r))
  }

  /** The `validRound`s the closes of this peer's round cite. */
  private citedRounds (): Set<number> {
    const cited = new Set<number>()
    for (const c of this.checkedCloses.values()) if (c.close.body.round === this.roundNow && c.close.body.validRound >= 0) cited.add(c.close.body.validRound)
    return cited
  }

  /** This peer's own acks to re-send while undecided: those that still matter, oldest round first. */
  ownAcks (peerId: string): OpenedAck[] {
    const cited = this.citedRounds()
    const member = this.counted.slots.get(peerId)
    if (member === undefined) return []
    const own: OpenedAck[] = []
    for (const first of this.acks.values()) {
      const ack = first[member]
      if (ack !== undefined && this.ackMatters(ack, cited)) own.push(ack)
    }
    return own.sort((a, b) => a.body.round - b.body.round || (a.body.phase === b.body.phase ? 0 : a.body.phase === AckPhase.Prevote ? -1 : 1))
  }

  /**
   * The close this peer signs as closer of round `r` over its own count: every counted vote, the
   * equivocation pairs as evidence, the running tally, the decision and winner its evaluation gives,
   * and `closedAt` no earlier than the round's start (for round 0: any time when the outcome is
   * settled and votes may not change, else the deadline).
   */
  draftClose (closer: string, r: number, evaluation: AlgorithmEvaluation, now: number): CloseBody {
    const body = this.ctx.proposal.body
    const early = evaluation.outcome !== 'pending' && !body.voteChange
    const closedAt = Math.max(now, r > 0 ? roundStart(body, r) : early ? 0 : body.deadline)
    // defined: either the outcome is settled or the close is dated at or after the deadline
    const decision = decisionFor(evaluation, closesAtEnd(this.ctx, { round: r, closedAt })) as ConsensusDecision
    return {
      type: 'close',
      v: PROTOCOL_VERSION,
      ns: body.ns,
      proposal: this.ctx.proposal.id,
      closer,
      round: r,
      validRound: -1,
      closedAt,
      decision,
      votes: [...this.counted.votes()].map(vote => vote.id).sort(compareBytes),
      excluded: [...this.equivocators.values()].map(([a, b]) => [a.id, b.id] as [Uint8Array, Uint8Array]).sort((x, y) => compareBytes(x[0], y[0])),
      tally: tallyTuple(this.runningTally),
      winner: winnerFor(evaluation, decision)
    }
  }

  /** The close this peer signs as closer of round `r ≥ 1` re-proposing an outcome it verified (`validRound` −1 or a polka's round). */
  reproposeClose (closer: string, r: number, outcome: CheckedClose, validRound: number, now: number): CloseBody {
    const from = outcome.close.body
    return {
      ...from,
      closer,
      round: r,
      validRound,
      closedAt: Math.max(now, roundStart(this.ctx.proposal.body, r))
    }
  }

  /**
   * What to send a peer that wants `ids` of this proposal; with no ids, what helps it converge: once
   * decided, the proof; once closed, the proposal, the closes and the acks of the rounds that still
   * matter (it then pulls any counted vote it lacks by id); while open, the proposal and everything
   * held, so a later closer counts what we counted.
   */
  repliesTo (ids: string[]): AnyOpened[] {
    if (ids.length > 0) {
      let acks: Map<string, OpenedAck> | undefined
      const find = (key: string): AnyOpened | undefined => {
        const found = this.held.get(key) ?? this.waitingCloses.get(key)
        if (found !== undefined) return found
        // an ack by id (our own pulls never ask for one): indexed once per want, only when asked
        acks ??= new Map([...this.heldAcks()].map(ack => [ack.key, ack]))
        return acks.get(key)
      }
      return ids.map(find).filter((m): m is AnyOpened => m !== undefined)
    }
    if (this.decision !== undefined) return this.proof()
    if (this.closed) {
      const cited = this.citedRounds()
      return [...[...this.held.values()].filter(m => m.body.type !== 'vote'), ...[...this.heldAcks()].filter(ack => this.ackMatters(ack, cited))]
    }
    return [...this.held.values(), ...this.heldAcks(), ...this.waitingCloses.values()]
  }

  /** The proof of a final decision: proposal, close, the votes it counts or cites, the deciding acks. Empty until final. */
  proof (): AnyOpened[] {
    const decision = this.decision
    if (decision === undefined) return []
    return [this.ctx.proposal, decision.close.close, ...decision.close.votes, ...decision.acks]
  }
}

/** Hex spelling of an ack's value (an outcome id, or {@link NIL}). */
export function ackValue (ack: OpenedAck): string {
  return ack.body.value === null ? NIL : idKey(ack.body.value)
}

/** The number of round `round` and `phase` among a proposal's acks: its prevotes, then its precommits. */
function ackSlot (round: number, phase: AckPhase): number {
  return 2 * round + (phase === AckPhase.Prevote ? 0 : 1)
}

/** Two 32-byte ids equal (cheaper than comparing their hex spellings on the per-vote path). */
function sameId (a: Uint8Array, b: Uint8Array): boolean {
  // a vote or ack another agent of this process already took points at the proposal's own id
  if (a === b) return true
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
