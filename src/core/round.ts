import { addToTally, emptyTally, removeFromTally, tallyTuple } from '../algorithms/tally.js'
import { compareBytes, PROTOCOL_VERSION, type CloseBody } from '../wire/messages.js'
import { idKey } from '../wire/ids.js'
import { CountedVotes } from './counted-votes.js'
import { checkClose, evaluateAlgorithm, type CheckedClose } from './verify-close.js'
import type { ProposalContext } from './context.js'
import type { AlgorithmEvaluation, Tally } from '../algorithms/interface.js'
import type { ConsensusDecision } from '../types.js'
import type { AnyOpened, OpenedAck, OpenedClose, OpenedVote } from '../wire/envelope.js'

/** What adding a vote did. */
export type VoteEffect = 'counted' | 'duplicate' | 'equivocation' | 'repeat-equivocation' | 'non-member' | 'wrong-proposal'

/** What adding an ack did. */
export type AckEffect = 'counted' | 'duplicate' | 'conflict' | 'non-member' | 'wrong-proposal'

/** Where this peer stands on casting its own vote on a round: at most one vote, ever. */
export type OwnVote =
  | { state: 'none' }
  /** deciding or signing a vote: no second one may start meanwhile */
  | { state: 'signing' }
  | { state: 'cast', vote: OpenedVote }

/** How a round starts on this peer. */
export interface RoundInit {
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

/**
 * The state of one proposal on one peer: the votes it holds (first valid vote per voter counts;
 * a second, different one is equivocation evidence and excludes the voter), a running tally kept in
 * O(1) per vote, the closes it verified, the acks per close, and finality. Synchronous and free of
 * I/O: the manager verifies signatures first and does all sending. Its state changes only through
 * its own methods; the handlers decide when to call them.
 */
export class Round {
  readonly ctx: ProposalContext
  readonly key: string
  /** voter → choice for every voter currently counted, in the order their first votes arrived */
  readonly counted: CountedVotes
  /** local time this peer first held the proposal */
  readonly knownSince: number
  /** see {@link RoundInit.observeOnly} */
  readonly observeOnly: boolean
  /** the electorate's PeerIds by slot: the one copy every held vote's body points at */
  private readonly voterIds: string[]
  private readonly runningTally: Tally
  private readonly held = new Map<string, AnyOpened>()
  private readonly equivocators = new Map<string, [OpenedVote, OpenedVote]>()
  private readonly checkedCloses = new Map<string, CheckedClose>()
  private readonly waitingCloses = new Map<string, OpenedClose>()
  /** local time each pending close arrived */
  private readonly pendingSince = new Map<string, number>()
  /** closes that arrived before their time by our clock, held until then: id → closer */
  private readonly earlyClosers = new Map<string, string>()
  private readonly acks = new Map<string, OpenedAck>()
  private readonly weightByClose = new Map<string, number>()
  private own: OwnVote = NO_VOTE
  private chosenAck: string | undefined
  private signingClose = false
  private finalClose: CheckedClose | undefined
  private finalAt: number | undefined
  private pullCount = 0
  private abandoned = false

  constructor (ctx: ProposalContext, init: RoundInit = {}) {
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

  /** every verified envelope of this proposal by content id, to answer pulls */
  get envelopes (): ReadonlyMap<string, AnyOpened> { return this.held }
  /** voter → the two votes that prove it equivocated */
  get equivocations (): ReadonlyMap<string, readonly [OpenedVote, OpenedVote]> { return this.equivocators }
  /** the running tally of the counted votes */
  get tally (): Readonly<Tally> { return this.runningTally }
  /** closes that passed every check, in arrival order */
  get closes (): ReadonlyMap<string, CheckedClose> { return this.checkedCloses }
  /** signature-valid closes still waiting for cited votes */
  get pendingCloses (): ReadonlyMap<string, OpenedClose> { return this.waitingCloses }
  /** each member's ack */
  get ackBySigner (): ReadonlyMap<string, OpenedAck> { return this.acks }
  /** close id → weight of the members that acked it */
  get ackWeight (): ReadonlyMap<string, number> { return this.weightByClose }

  /** Where this peer stands on its own vote. */
  get ownVote (): OwnVote { return this.own }
  /** The close this peer acknowledges (one per proposal, ever). */
  get ackedClose (): string | undefined { return this.chosenAck }
  /** Whether this peer signed, or is signing, a close (it never signs two). */
  get closing (): boolean { return this.signingClose }
  /** The close that became final here, once one did. */
  get finalized (): CheckedClose | undefined { return this.finalClose }
  /** Local time the round became final. */
  get finalizedAt (): number | undefined { return this.finalAt }
  /** Whether the requester's horizon passed without finality. */
  get gaveUp (): boolean { return this.abandoned }
  /** Neither final nor given up on: what counts against the open-proposal limits. */
  get open (): boolean { return this.finalClose === undefined && !this.abandoned }

  /** Start deciding or signing this peer's vote: nothing else may start one until it is cast or released. */
  lockOwnVote (): void { this.own = SIGNING }
  /** Deciding ended without a vote: one may be started again. */
  releaseOwnVote (): void { this.own = NO_VOTE }
  /** This peer signed `vote`: it is its one vote on the proposal. */
  recordOwnVote (vote: OpenedVote): void { this.own = { state: 'cast', vote } }
  /** A vote of this peer came back (from the datastore or a relay) while none is under way here: it is our vote. */
  adoptOwnVote (vote: OpenedVote): void {
    if (this.own.state === 'none') this.own = { state: 'cast', vote }
  }

  /** Choose the close this peer acknowledges; false when it already chose one (it acks one close, ever). */
  chooseAck (closeKey: string): boolean {
    if (this.chosenAck !== undefined) return false
    this.chosenAck = closeKey
    return true
  }

  /** This peer signs, or saw its own, close: it will sign no other. */
  markClosing (): void { this.signingClose = true }

  /** `close` became final at local time `at`; nothing changes the decision after this. */
  finalize (close: CheckedClose, at: number): void {
    this.finalClose = close
    this.finalAt = at
  }

  /** The requester's horizon passed without finality: the round stops counting as open. */
  giveUp (): void { this.abandoned = true }

  /** Count one more pull made while waiting, returning the new count (to rotate through peers). */
  advancePulls (): number { return ++this.pullCount }

  /** Hold a close that is early by our clock until its slot comes. */
  holdEarlyClose (close: OpenedClose): void { this.earlyClosers.set(close.key, close.body.closer) }
  /** An early close's slot came: it is no longer held as early. */
  releaseEarlyClose (key: string): void { this.earlyClosers.delete(key) }
  /** Whether this round holds the close `key`, checked, pending or early. */
  holdsClose (key: string): boolean {
    return this.checkedCloses.has(key) || this.waitingCloses.has(key) || this.earlyClosers.has(key)
  }

  /** The proposal's pinned deadline (coordinator's clock). */
  get deadline (): number { return this.ctx.proposal.body.deadline }

  /** True once any close passed verification here. */
  get closed (): boolean { return this.checkedCloses.size > 0 }

  /** Record a signature-verified vote. */
  addVote (vote: OpenedVote): VoteEffect {
    if (!sameId(vote.body.proposal, this.ctx.proposal.id)) return 'wrong-proposal'
    const voter = vote.body.voter
    const counted = this.counted
    const slot = counted.slots.get(voter)
    if (slot === undefined) return 'non-member'
    const weight = counted.weights[slot] as number
    const first = counted.first[slot]
    if (first === undefined) {
      // every vote held is some voter's: none of this voter's can be held yet
      this.held.set(vote.key, vote)
      this.share(vote, slot)
      counted.count(slot, vote)
      addToTally(this.runningTally, vote.body.choice, weight)
      return 'counted'
    }
    if (this.held.has(vote.key)) return 'duplicate'
    this.held.set(vote.key, vote)
    this.share(vote, slot)
    if (this.equivocators.has(voter)) return 'repeat-equivocation'
    this.equivocators.set(voter, first.key < vote.key ? [first, vote] : [vote, first])
    counted.exclude(slot)
    removeFromTally(this.runningTally, first.body.choice, weight)
    return 'equivocation'
  }

  /**
   * Point a held vote's body at the round's copies of what all its votes carry — the proposal id,
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

  /** Look up a held vote by id. */
  vote (key: string): OpenedVote | undefined {
    const envelope = this.held.get(key)
    return envelope?.body.type === 'vote' ? envelope as OpenedVote : undefined
  }

  /**
   * Verify a close against the votes held. Returns the ids still missing (the close is kept pending),
   * or the checked close (stored). Throws `InvalidMessageError` if the close is provably bad.
   */
  addClose (close: OpenedClose, now: number): CheckedClose | { missing: string[] } {
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
      if (!this.waitingCloses.has(close.key)) this.pendingSince.set(close.key, now)
      this.waitingCloses.set(close.key, close)
      return result
    }
    this.dropPending(close.key)
    this.checkedCloses.set(close.key, result)
    this.held.set(close.key, close)
    return result
  }

  /** Closes by `closer` this round holds, checked, pending or early. */
  closesBy (closer: string): number {
    let n = 0
    for (const c of this.checkedCloses.values()) if (c.close.body.closer === closer) n++
    for (const c of this.waitingCloses.values()) if (c.body.closer === closer) n++
    return n + [...this.earlyClosers.values()].filter(c => c === closer).length
  }

  /**
   * Whether a close of a rank below `rank` that arrived less than `window` ago is still being
   * checked: a closer holds back for it, but not forever (one citing votes nobody has would
   * otherwise block closing), and never for a close of its own rank or above.
   */
  awaitsPendingClose (rank: number, now: number, window: number): boolean {
    for (const [key, since] of this.pendingSince) {
      if (now - since < window && (this.waitingCloses.get(key)?.body.rank ?? Infinity) < rank) return true
    }
    return false
  }

  private dropPending (key: string): void {
    this.waitingCloses.delete(key)
    this.pendingSince.delete(key)
  }

  /** Record a signature-verified ack: one per member per proposal; a second, different one is a conflict. */
  addAck (ack: OpenedAck): AckEffect {
    if (!sameId(ack.body.proposal, this.ctx.proposal.id)) return 'wrong-proposal'
    const weight = this.ctx.electorate.get(ack.body.signer)
    if (weight === undefined) return 'non-member'
    const previous = this.acks.get(ack.body.signer)
    if (previous !== undefined) return previous.key === ack.key ? 'duplicate' : 'conflict'
    this.acks.set(ack.body.signer, ack)
    this.held.set(ack.key, ack)
    const closeKey = idKey(ack.body.close)
    this.weightByClose.set(closeKey, (this.weightByClose.get(closeKey) ?? 0) + weight)
    return 'counted'
  }

  /**
   * The verified close whose acks carry strictly more than 2/3 of the electorate's weight, if any.
   * Each honest member acks one close, so two closes cannot both get there unless more than 1/3 of
   * the weight signs two acks — which is itself evidence.
   */
  finalCandidate (): CheckedClose | undefined {
    for (const [closeKey, weight] of this.weightByClose) {
      const checked = this.checkedCloses.get(closeKey)
      if (checked !== undefined && weight * 3 > this.ctx.totalWeight * 2) return checked
    }
    return undefined
  }

  /**
   * The close this peer would sign as closer of `rank` now: every counted vote, the equivocation
   * pairs as evidence, the running tally, and `closedAt` no earlier than the rank's slot.
   */
  draftClose (closer: string, rank: number, decision: ConsensusDecision, now: number): CloseBody {
    const body = this.ctx.proposal.body
    const slot = rank > 0 ? body.deadline + rank * body.step : decision === 'timeout' ? body.deadline : 0
    return {
      type: 'close',
      v: PROTOCOL_VERSION,
      ns: body.ns,
      proposal: this.ctx.proposal.id,
      closer,
      rank,
      closedAt: Math.max(now, slot),
      decision,
      votes: [...this.counted.votes()].map(vote => vote.id).sort(compareBytes),
      excluded: [...this.equivocators.values()].map(([a, b]) => [a.id, b.id] as [Uint8Array, Uint8Array]).sort((x, y) => compareBytes(x[0], y[0])),
      tally: tallyTuple(this.runningTally)
    }
  }

  /**
   * What to send a peer that wants `ids` of this proposal; with no ids, what helps it converge: once
   * closed, the proposal, closes and acks (it then pulls any counted vote it lacks by id); while
   * open, the proposal and every vote, so a fallback closer counts what we counted.
   */
  repliesTo (ids: string[]): AnyOpened[] {
    if (ids.length > 0) {
      return ids.map(key => this.held.get(key) ?? this.waitingCloses.get(key)).filter((m): m is AnyOpened => m !== undefined)
    }
    if (this.closed) return [...this.held.values()].filter(m => m.body.type !== 'vote')
    return [...this.held.values(), ...this.waitingCloses.values()]
  }

  /** The proof of a final decision: proposal, close, the votes it counts or cites, the acks. Empty until final. */
  proof (): AnyOpened[] {
    if (this.finalClose === undefined) return []
    return [this.ctx.proposal, this.finalClose.close, ...this.finalClose.votes, ...this.acksFor(this.finalClose.close.key)]
  }

  /** Acks held for a close, sorted by signer (deterministic certificates). */
  acksFor (closeKey: string): OpenedAck[] {
    return [...this.acks.values()]
      .filter(ack => idKey(ack.body.close) === closeKey)
      .sort((a, b) => a.body.signer < b.body.signer ? -1 : 1)
  }
}

/** Two 32-byte ids equal (cheaper than comparing their hex spellings on the per-vote path). */
function sameId (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
