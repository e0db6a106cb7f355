import type { Ballot } from '../types.js'
import type { OpenedVote } from '../wire/envelope.js'

/** Slots and weights of an electorate, made once per electorate map (the peers of one process share a decoded proposal's). */
const layouts = new WeakMap<ReadonlyMap<string, number>, { slots: ReadonlyMap<string, number>, weights: readonly number[] }>()

/**
 * The counted votes of a proposal as a read-only `voter → ballot` map, kept in per-voter slots: one
 * map lookup (voter → slot) per vote instead of the four of separate first-vote and counted maps, which
 * at 10⁴ votes held cost ~250 ns each, cache misses mostly. Iterates in the order voters were first
 * counted, leaving out excluded equivocators. A voter's counted vote is its first, or, where votes may
 * change, its latest (highest sequence number) held.
 */
export class CountedVotes implements ReadonlyMap<string, Ballot> {
  /** voter → slot: the electorate's order (shared by every holder of one electorate: never changed) */
  readonly slots: ReadonlyMap<string, number>
  /** weight by slot (shared like `slots`) */
  readonly weights: readonly number[]
  /** the vote counted for the voter in each slot */
  readonly current: Array<OpenedVote | undefined>
  private readonly arrival: number[] = []
  private readonly excluded = new Set<number>()
  private counted = 0

  constructor (electorate: ReadonlyMap<string, number>) {
    let layout = layouts.get(electorate)
    if (layout === undefined) {
      const slots = new Map<string, number>()
      const weights: number[] = []
      for (const [voter, weight] of electorate) {
        slots.set(voter, weights.length)
        weights.push(weight)
      }
      layout = { slots, weights }
      layouts.set(electorate, layout)
    }
    this.slots = layout.slots
    this.weights = layout.weights
    this.current = new Array<OpenedVote | undefined>(layout.weights.length).fill(undefined)
  }

  /** @internal the first vote of the voter in `slot` */
  count (slot: number, vote: OpenedVote): void {
    this.current[slot] = vote
    this.arrival.push(slot)
    this.counted++
  }

  /** @internal the voter in `slot` changed its vote: `vote` counts instead */
  replace (slot: number, vote: OpenedVote): void {
    this.current[slot] = vote
  }

  /** @internal the voter in `slot` equivocated: no longer counted */
  exclude (slot: number): void {
    if (this.excluded.has(slot)) return
    this.excluded.add(slot)
    this.counted--
  }

  get size (): number { return this.counted }

  get (voter: string): Ballot | undefined {
    const slot = this.slots.get(voter)
    if (slot === undefined || this.excluded.has(slot)) return undefined
    return this.current[slot]?.body.choice
  }

  has (voter: string): boolean {
    return this.get(voter) !== undefined
  }

  /** The counted votes themselves, in the order their voters were first counted. */
  * votes (): IterableIterator<OpenedVote> {
    for (const slot of this.arrival) {
      if (!this.excluded.has(slot)) yield this.current[slot] as OpenedVote
    }
  }

  * entries (): MapIterator<[string, Ballot]> {
    for (const vote of this.votes()) yield [vote.body.voter, vote.body.choice]
  }

  * keys (): MapIterator<string> {
    for (const vote of this.votes()) yield vote.body.voter
  }

  * values (): MapIterator<Ballot> {
    for (const vote of this.votes()) yield vote.body.choice
  }

  [Symbol.iterator] (): MapIterator<[string, Ballot]> {
    return this.entries()
  }

  forEach (callback: (value: Ballot, key: string, map: ReadonlyMap<string, Ballot>) => void, thisArg?: unknown): void {
    for (const [voter, choice] of this.entries()) callback.call(thisArg, choice, voter, this)
  }
}
