import { VoteType, type Ballot } from '../types.js'
import type { Tally } from './interface.js'

/** A tally with no votes yet, for an electorate of id → weight. */
export function emptyTally (electorate: ReadonlyMap<string, number>): Tally {
  let totalWeight = 0
  for (const weight of electorate.values()) totalWeight += weight
  return {
    electorateSize: electorate.size,
    totalWeight,
    forCount: 0,
    againstCount: 0,
    abstainCount: 0,
    forWeight: 0,
    againstWeight: 0,
    abstainWeight: 0
  }
}

/**
 * Which column of the tally a ballot counts in: a binary vote in its own; on a proposal with choices,
 * an abstention (`'abstain'`, or an approval ballot approving nothing) in `abstain`, any other ballot in `for`.
 */
function column (choice: Ballot): VoteType {
  if (choice === VoteType.Against || choice === VoteType.Abstain) return choice
  if (Array.isArray(choice) && choice.length === 0) return VoteType.Abstain
  return VoteType.For
}

/** Count one more vote in O(1). The caller guarantees one vote per eligible voter. */
export function addToTally (tally: Tally, choice: Ballot, weight: number): void {
  switch (column(choice)) {
    case VoteType.For: tally.forCount++; tally.forWeight += weight; break
    case VoteType.Against: tally.againstCount++; tally.againstWeight += weight; break
    case VoteType.Abstain: tally.abstainCount++; tally.abstainWeight += weight; break
  }
}

/** Tally a whole vote set (voters outside the electorate are ignored). */
export function tallyVotes (electorate: ReadonlyMap<string, number>, votes: ReadonlyMap<string, Ballot>): Tally {
  const tally = emptyTally(electorate)
  for (const [voter, choice] of votes) {
    const weight = electorate.get(voter)
    if (weight !== undefined) addToTally(tally, choice, weight)
  }
  return tally
}

/** Take one counted vote back out in O(1) (an equivocator's, or one its voter changed). */
export function removeFromTally (tally: Tally, choice: Ballot, weight: number): void {
  switch (column(choice)) {
    case VoteType.For: tally.forCount--; tally.forWeight -= weight; break
    case VoteType.Against: tally.againstCount--; tally.againstWeight -= weight; break
    case VoteType.Abstain: tally.abstainCount--; tally.abstainWeight -= weight; break
  }
}

/** The tally as the six integers a close carries. */
export function tallyTuple (t: Tally): [number, number, number, number, number, number] {
  return [t.forCount, t.againstCount, t.abstainCount, t.forWeight, t.againstWeight, t.abstainWeight]
}
