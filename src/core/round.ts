import { addToTally, emptyTally, removeFromTally, tallyTuple } from '../algorithms/tally.js'
import { compareBytes, PROTOCOL_VERSION, type CloseBody } from '../wire/messages.js'
import { idKey } from '../wire/signing.js'
import { checkClose, evaluateAlgorithm, type CheckedClose } from './verify-close.js'
import type { ProposalContext } from './context.js'
import type { AlgorithmEvaluation, Tally } from '../algorithms/interface.js'
import type { ConsensusDecision, VoteType } from '../types.js'
import type { AnyOpened, OpenedAck, OpenedClose, OpenedVote } from '../wire/envelope.js'

/** What adding a vote did. */
export type VoteEffect = 'counted' | 'duplicate' | 'equivocation' | 'repeat-equivocation' | 'non-member' | 'wrong-proposal'

/** What adding an ack did. */
export type AckEffect = 'counted' | 'duplicate' | 'conflict' | 'non-member' | 'wrong-proposal'

/**
 * The state of one proposal on one peer: the votes it holds (first valid vote per voter counts;
 * a second, different one is equivocation evidence and excludes the voter), a running tally kept in
 * O(1) per vote, the closes it verified, the acks per close, and finality. Synchronous and free of
 * I/O: the manager verifies signatures first and does all sending.
 */
export class Round {
  readonly ctx: ProposalContext
  readonly key: string
  /** every verified envelope of this proposal by content id, to answer pulls */
  readonly envelopes = new Map<string, AnyOpened>()
  readonly equivocations = new Map<string, [OpenedVote, OpenedVote]>()
  /** voter → choice for every voter currently counted, in the order their first votes arrived */
  readonly counted: CountedVotes
  /** the electorate's PeerIds by slot: the one copy every held vote's body points at */
  private readonly voterIds: string[]
  readonly tally: Tally
  /** closes that passed every check, in arrival order */
  readonly closes = new Map<string, CheckedClose>()
  /** signature-valid closes still waiting for cited votes */
  readonly pendingCloses = new Map<string, OpenedClose>()
  /** local time each pending close arrived */
  readonly pendingSince = new Map<string, number>()
  /** closes that arrived before their time by our clock, held until then: id → closer */
  readonly earlyClosers = new Map<string, string>()
  readonly ackBySigner = new Map<string, OpenedAck>()
  readonly ackWeight = new Map<string, number>()
  /** this peer's own vote, once it decided to vote (guards against voting twice) */
  myVote: 'signing' | OpenedVote | undefined
  /** the close this peer acknowledged (one per proposal, ever) */
  myAck: string | undefined
  /** set while this peer is signing a close, so it never signs two */
  closing = false
  /**
   * The proposal is no newer than one the datastore dropped (beyond `maxClosedProposals`) and the
   * datastore did not give it back: this peer may have voted, acked or closed on it before a
   * restart and forgotten, so it signs nothing for it (it still verifies and adopts the decision).
   */
  observeOnly = false
  finalized: CheckedClose | undefined
  finalizedAt: number | undefined
  /** pulls made while waiting, to rotate through peers */
  pulls = 0
  /** local time this peer first held the proposal */
  knownSince = 0
  /** the requester's horizon passed without finality */
  gaveUp = false

  constructor (ctx: ProposalContext) {
    this.ctx = ctx
    this.key = ctx.proposal.key
    this.tally = emptyTally(ctx.electorate)
    this.envelopes.set(this.key, ctx.proposal)
    this.counted = new CountedVotes(ctx.electorate)
    this.voterIds = []
    for (const [voter, slot] of this.counted.slots) this.voterIds[slot] = voter
  }

  /** The proposal's pinned deadline (coordinator's clock). */
  get deadline (): number { return this.ctx.proposal.body.deadline }

  /** True once any close passed verification here. */
  get closed (): boolean { return this.closes.size > 0 }

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
      this.envelopes.set(vote.key, vote)
      this.share(vote, slot)
      counted.count(slot, vote)
      addToTally(this.tally, vote.body.choice, weight)
      return 'counted'
    }
    if (this.envelopes.has(vote.key)) return 'duplicate'
    this.envelopes.set(vote.key, vote)
    this.share(vote, slot)
    if (this.equivocations.has(voter)) return 'repeat-equivocation'
    this.equivocations.set(voter, first.key < vote.key ? [first, vote] : [vote, first])
    counted.exclude(slot)
    removeFromTally(this.tally, first.body.choice, weight)
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
    return evaluateAlgorithm(this.ctx, this.counted, this.tally)
  }

  /** Look up a held vote by id. */
  vote (key: string): OpenedVote | undefined {
    const envelope = this.envelopes.get(key)
    return envelope?.body.type === 'vote' ? envelope as OpenedVote : undefined
  }

  /**
   * Verify a close against the votes held. Returns the ids still missing (the close is kept pending),
   * or the checked close (stored). Throws `InvalidMessageError` if the close is provably bad.
   */
  addClose (close: OpenedClose, now: number): CheckedClose | { missing: string[] } {
    const known = this.closes.get(close.key)
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
      if (!this.pendingCloses.has(close.key)) this.pendingSince.set(close.key, now)
      this.pendingCloses.set(close.key, close)
      return result
    }
    this.dropPending(close.key)
    this.closes.set(close.key, result)
    this.envelopes.set(close.key, close)
    return result
  }

  /** Closes by `closer` this round holds, checked, pending or early. */
  closesBy (closer: string): number {
    let n = 0
    for (const c of this.closes.values()) if (c.close.body.closer === closer) n++
    for (const c of this.pendingCloses.values()) if (c.body.closer === closer) n++
    return n + [...this.earlyClosers.values()].filter(c => c === closer).length
  }

  /**
   * Whether a close of a rank below `rank` that arrived less than `window` ago is still being
   * checked: a closer holds back for it, but not forever (one citing votes nobody has would
   * otherwise block closing), and never for a close of its own rank or above.
   */
  awaitsPendingClose (rank: number, now: number, window: number): boolean {
    for (const [key, since] of this.pendingSince) {
      if (now - since < window && (this.pendingCloses.get(key)?.body.rank ?? Infinity) < rank) return true
    }
    return false
  }

  private dropPending (key: string): void {
    this.pendingCloses.delete(key)
    this.pendingSince.delete(key)
  }

  /** Record a signature-verified ack: one per member per proposal; a second, different one is a conflict. */
  addAck (ack: OpenedAck): AckEffect {
    if (!sameId(ack.body.proposal, this.ctx.proposal.id)) return 'wrong-proposal'
    const weight = this.ctx.electorate.get(ack.body.signer)
    if (weight === undefined) return 'non-member'
    const previous = this.ackBySigner.get(ack.body.signer)
    if (previous !== undefined) return previous.key === ack.key ? 'duplicate' : 'conflict'
    this.ackBySigner.set(ack.body.signer, ack)
    this.envelopes.set(ack.key, ack)
    const closeKey = idKey(ack.body.close)
    this.ackWeight.set(closeKey, (this.ackWeight.get(closeKey) ?? 0) + weight)
    return 'counted'
  }

  /**
   * The verified close whose acks carry strictly more than 2/3 of the electorate's weight, if any.
   * Each honest member acks one close, so two closes cannot both get there unless more than 1/3 of
   * the weight signs two acks — which is itself evidence.
   */
  finalCandidate (): CheckedClose | undefined {
    for (const [closeKey, weight] of this.ackWeight) {
      const checked = this.closes.get(closeKey)
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
      excluded: [...this.equivocations.values()].map(([a, b]) => [a.id, b.id] as [Uint8Array, Uint8Array]).sort((x, y) => compareBytes(x[0], y[0])),
      tally: tallyTuple(this.tally)
    }
  }

  /**
   * What to send a peer that wants `ids` of this proposal; with no ids, what helps it converge: once
   * closed, the proposal, closes and acks (it then pulls any counted vote it lacks by id); while
   * open, the proposal and every vote, so a fallback closer counts what we counted.
   */
  repliesTo (ids: string[]): AnyOpened[] {
    if (ids.length > 0) {
      return ids.map(key => this.envelopes.get(key) ?? this.pendingCloses.get(key)).filter((m): m is AnyOpened => m !== undefined)
    }
    if (this.closed) return [...this.envelopes.values()].filter(m => m.body.type !== 'vote')
    return [...this.envelopes.values(), ...this.pendingCloses.values()]
  }

  /** The proof of a final decision: proposal, close, the votes it counts or cites, the acks. Empty until final. */
  proof (): AnyOpened[] {
    if (this.finalized === undefined) return []
    return [this.ctx.proposal, this.finalized.close, ...this.finalized.votes, ...this.acksFor(this.finalized.close.key)]
  }

  /** Acks held for a close, sorted by signer (deterministic certificates). */
  acksFor (closeKey: string): OpenedAck[] {
    return [...this.ackBySigner.values()]
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

/**
 * The counted votes of a round as a read-only `voter → choice` map, kept in per-voter slots: one map
 * lookup (voter → slot) per vote instead of the four of separate first-vote and counted maps, which
 * at 10⁴ votes held cost ~250 ns each, cache misses mostly. Iterates in the order first votes
 * arrived, leaving out excluded equivocators, as the map it replaces did.
 */
export class CountedVotes implements ReadonlyMap<string, VoteType> {
  /** voter → slot: the electorate's order */
  readonly slots = new Map<string, number>()
  /** weight by slot */
  readonly weights: number[] = []
  /** first vote held by slot */
  readonly first: Array<OpenedVote | undefined> = []
  private readonly arrival: number[] = []
  private readonly excluded = new Set<number>()
  private counted = 0

  constructor (electorate: ReadonlyMap<string, number>) {
    for (const [voter, weight] of electorate) {
      this.slots.set(voter, this.weights.length)
      this.weights.push(weight)
      this.first.push(undefined)
    }
  }

  /** @internal the first vote of the voter in `slot` */
  count (slot: number, vote: OpenedVote): void {
    this.first[slot] = vote
    this.arrival.push(slot)
    this.counted++
  }

  /** @internal the voter in `slot` equivocated: no longer counted */
  exclude (slot: number): void {
    if (this.excluded.has(slot)) return
    this.excluded.add(slot)
    this.counted--
  }

  get size (): number { return this.counted }

  get (voter: string): VoteType | undefined {
    const slot = this.slots.get(voter)
    if (slot === undefined || this.excluded.has(slot)) return undefined
    return this.first[slot]?.body.choice
  }

  has (voter: string): boolean {
    return this.get(voter) !== undefined
  }

  /** The counted votes themselves, in arrival order. */
  * votes (): IterableIterator<OpenedVote> {
    for (const slot of this.arrival) {
      if (!this.excluded.has(slot)) yield this.first[slot] as OpenedVote
    }
  }

  * entries (): MapIterator<[string, VoteType]> {
    for (const vote of this.votes()) yield [vote.body.voter, vote.body.choice]
  }

  * keys (): MapIterator<string> {
    for (const vote of this.votes()) yield vote.body.voter
  }

  * values (): MapIterator<VoteType> {
    for (const vote of this.votes()) yield vote.body.choice
  }

  [Symbol.iterator] (): MapIterator<[string, VoteType]> {
    return this.entries()
  }

  forEach (callback: (value: VoteType, key: string, map: ReadonlyMap<string, VoteType>) => void, thisArg?: unknown): void {
    for (const [voter, choice] of this.entries()) callback.call(thisArg, choice, voter, this)
  }
}
