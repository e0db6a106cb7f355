/**
 * Properties of the ballot scoring module over random electorates, ballots and rules, for each of the six
 * voting types: order does not matter, a settled outcome never changes, scores match a naive reference
 * written straight from Snapshot's definitions, and with every voter in the outcome is the final decision.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  evaluateBallots, parseRule, ruleParams, type BallotEvaluation, type BallotRule, type BallotRuleInit, type CountedBallot
} from '../src/algorithms/index.js'
import type { Ballot, VotingType } from '../src/types.js'

const RUNS = 200
const TYPES: VotingType[] = ['single-choice', 'approval', 'ranked-choice', 'weighted', 'quadratic', 'copeland']

interface Voter { weight: number, ballot: Ballot, voted: boolean, votedLater: boolean }
interface Scenario { type: VotingType, n: number, voters: Voter[], init: BallotRuleInit, rule: BallotRule, shuffle: number[] }

const SHARES = [0, 0, 1, 1, 2, 3, 0.5, 0.25, 1.5, 10]

function ballotArb (type: VotingType, n: number): fc.Arbitrary<Ballot> {
  const all = Array.from({ length: n }, (_, i) => i + 1)
  const cast: fc.Arbitrary<Ballot> = (() => {
    switch (type) {
      case 'single-choice': return fc.integer({ min: 1, max: n })
      case 'approval': return fc.shuffledSubarray(all)
      case 'ranked-choice':
      case 'copeland': return fc.shuffledSubarray(all, { minLength: n, maxLength: n })
      case 'weighted':
      case 'quadratic':
        // each choice is left out or given a share; at least one share is positive
        return fc.array(fc.option(fc.constantFrom(...SHARES), { nil: undefined }), { minLength: n, maxLength: n })
          .filter(shares => shares.some(s => s !== undefined && s > 0))
          .map(shares => Object.fromEntries(shares.flatMap((s, i) => s === undefined ? [] : [[String(i + 1), s]])))
    }
  })()
  return fc.oneof({ arbitrary: cast, weight: 5 }, { arbitrary: fc.constant<Ballot>('abstain'), weight: 1 })
}

function ruleArb (type: VotingType, n: number): fc.Arbitrary<BallotRuleInit> {
  const share = fc.option(fc.integer({ min: 0, max: 19 }).map(k => k / 20), { nil: undefined })
  return fc.record({
    threshold: type === 'copeland' ? fc.constant(undefined) : share,
    quorum: share,
    rejection: fc.boolean(),
    rejectChoice: fc.integer({ min: 1, max: n }),
    tieBreak: fc.constantFrom<BallotRuleInit['tieBreak']>('lowest-index', 'none', undefined)
  }).map(r => {
    const init: BallotRuleInit = {}
    if (r.threshold !== undefined) init.threshold = r.threshold
    if (r.quorum !== undefined) init.quorum = r.quorum
    if (r.quorum !== undefined && r.rejection) { init.quorumType = 'rejection'; init.rejectChoice = r.rejectChoice }
    if (r.tieBreak !== undefined) init.tieBreak = r.tieBreak
    return init
  })
}

const scenarioArb = (type: VotingType): fc.Arbitrary<Scenario> => fc.integer({ min: 1, max: 4 }).chain(n => fc.record({
  voters: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 5 }), ballot: ballotArb(type, n), voted: fc.boolean(), votedLater: fc.boolean() }),
    { minLength: 1, maxLength: 12 }),
  init: ruleArb(type, n),
  keys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 })
}).map(({ voters, init, keys }) => ({
  type,
  n,
  voters,
  init,
  rule: parseRule(ruleParams(init, type, n), type, n),
  // a permutation of the voters: sort their indices by random keys
  shuffle: voters.map((_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b)
})))

const counted = (voters: Voter[]): CountedBallot[] => voters.map(v => ({ ballot: v.ballot, weight: v.weight }))
const eligibleOf = (voters: Voter[]): number => voters.reduce((t, v) => t + v.weight, 0)
const evaluate = (s: Scenario, voters: Voter[], eligible = eligibleOf(s.voters)): BallotEvaluation =>
  evaluateBallots(s.type, s.n, s.rule, counted(voters), eligible)
const decisionOf = (e: BallotEvaluation): unknown => ({ outcome: e.outcome, final: e.final, winner: e.winner, ranking: e.ranking, scores: e.scores })

/** xs[i] += by */
const bump = (xs: number[], i: number, by: number): void => { xs[i] = (xs[i] as number) + by }

// ---------------------------------------------------------------------------------------------
// a naive reference, straight from Snapshot's definitions (src/voting/*.ts), floats and plain loops
// ---------------------------------------------------------------------------------------------

/** Snapshot's instant runoff: every choice still on some ballot is tracked; stop at a majority or fewer than 3 tracked. */
function naiveIrv (n: number, ballots: Array<{ ranking: number[], weight: number }>): number[] {
  for (;;) {
    const tracked = [...new Set(ballots.flatMap(b => b.ranking))].sort((a, b) => a - b)
    const tallies = new Array<number>(n).fill(0)
    for (const b of ballots) tallies[(b.ranking[0] as number) - 1] = (tallies[(b.ranking[0] as number) - 1] as number) + b.weight
    const total = ballots.reduce((t, b) => t + b.weight, 0)
    let top = -Infinity
    let bottom = -1
    let bottomCount = Infinity
    for (const c of tracked) {
      const t = tallies[c - 1] as number
      if (t > top) top = t
      if (t < bottomCount) { bottom = c; bottomCount = t }
    }
    if (tracked.length === 0 || top > total / 2 || tracked.length < 3) return tallies
    ballots = ballots.map(b => ({ ranking: b.ranking.filter(c => c !== bottom), weight: b.weight })).filter(b => b.ranking.length > 0)
  }
}

function naiveScores (type: VotingType, n: number, ballots: CountedBallot[]): number[] {
  const cast = ballots.filter(b => b.ballot !== 'abstain' && !(Array.isArray(b.ballot) && b.ballot.length === 0))
  const total = cast.reduce((t, b) => t + b.weight, 0)
  const scores = new Array<number>(n).fill(0)
  switch (type) {
    case 'single-choice':
      for (const b of cast) bump(scores, (b.ballot as number) - 1, b.weight)
      return scores
    case 'approval':
      for (const b of cast) for (const c of b.ballot as number[]) bump(scores, c - 1, b.weight)
      return scores
    case 'ranked-choice':
      return naiveIrv(n, cast.map(b => ({ ranking: b.ballot as number[], weight: b.weight })))
    case 'weighted':
      for (const b of cast) {
        const shares = b.ballot as Record<string, number>
        const sum = Object.values(shares).reduce((a, s) => a + s, 0)
        for (const [k, s] of Object.entries(shares)) bump(scores, Number(k) - 1, b.weight * s / sum)
      }
      return scores
    case 'quadratic': {
      for (let i = 0; i < n; i++) {
        let roots = 0
        for (const b of cast) {
          const shares = b.ballot as Record<string, number>
          const sum = Object.values(shares).reduce((a, s) => a + s, 0)
          roots += Math.sqrt((shares[String(i + 1)] ?? 0) / sum * b.weight)
        }
        scores[i] = roots * roots
      }
      const all = scores.reduce((a, s) => a + s, 0)
      return scores.map(s => all === 0 ? 0 : s / all * total)
    }
    case 'copeland': {
      const pair = Array.from({ length: n }, () => new Array<number>(n).fill(0))
      const support = new Array<number>(n).fill(0)
      for (const b of cast) {
        const r = b.ballot as number[]
        for (let x = 0; x < r.length; x++) {
          for (let y = x + 1; y < r.length; y++) {
            const hi = (r[x] as number) - 1
            const lo = (r[y] as number) - 1
            bump(pair[hi] as number[], lo, b.weight)
            bump(pair[lo] as number[], hi, -b.weight)
            bump(support, hi, b.weight)
          }
        }
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue
          const m = (pair[i] as number[])[j] as number
          if (m > 0) bump(scores, i, 1)
          else if (m < 0) bump(scores, j, 1)
          else { bump(scores, i, 0.5); bump(scores, j, 0.5) }
        }
      }
      if (total > 0 && n > 1) for (let i = 0; i < n; i++) bump(scores, i, 0.5 * (support[i] as number) / ((n - 1) * total))
      const sum = scores.reduce((a, s) => a + s, 0)
      return sum > 0 ? scores.map(s => s / sum * total) : scores.map(() => total / n)
    }
  }
}

/** The rule applied to integer scores (single-choice, approval, ranked-choice), with BigInt comparisons; the winner or null. */
function naiveWinner (s: Scenario, scores: number[], turnout: number, eligible: number): number | null {
  const big = BigInt
  const ratio = (x: number | undefined): [bigint, bigint] | undefined => {
    if (x === undefined) return undefined
    const [num, den] = ruleParams({ threshold: x }, s.type, s.n).threshold as [number, number]
    return [big(num), big(den)]
  }
  const quorum = ratio(s.init.quorum)
  if (quorum !== undefined && s.init.quorumType !== 'rejection' && big(turnout) * quorum[1] < quorum[0] * big(eligible)) return null
  if (quorum !== undefined && s.init.quorumType === 'rejection' &&
    big(scores[(s.init.rejectChoice as number) - 1] as number) * quorum[1] >= quorum[0] * big(eligible)) return null
  let best: number | null = null
  let tie = false
  for (let c = 1; c <= s.n; c++) {
    if (c === s.init.rejectChoice) continue
    if (best === null || (scores[c - 1] as number) > (scores[best - 1] as number)) {
      best = c
      tie = false
    } else if (scores[c - 1] === scores[best - 1]) tie = true
  }
  if (best === null || (tie && s.init.tieBreak === 'none')) return null
  // a winner needs some support: no one wins on abstentions alone
  if ((scores[best - 1] as number) <= 0) return null
  const threshold = ratio(s.init.threshold)
  if (threshold !== undefined && big(scores[best - 1] as number) * threshold[1] <= threshold[0] * big(eligible)) return null
  return best
}

/**
 * Snapshot sums these scores as floats (and, for quadratic, through Math.sqrt per ballot) in its own order;
 * the module computes exact rationals or fixed-point roots and converts once: they agree to rounding only.
 */
const FLOAT_TYPES = new Set<VotingType>(['weighted', 'quadratic', 'copeland'])

function expectScoresClose (type: VotingType, actual: number[], expected: number[]): void {
  if (!FLOAT_TYPES.has(type)) {
    expect(actual).toEqual(expected)
    return
  }
  expect(actual).toHaveLength(expected.length)
  actual.forEach((a, i) => {
    const e = expected[i] as number
    expect(Math.abs(a - e), `choice ${i + 1}: ${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)))
  })
}

for (const type of TYPES) {
  describe(`${type} ballots`, () => {
    it('(a) outcome, final, winner, ranking and scores do not depend on ballot order', () => {
      fc.assert(fc.property(scenarioArb(type), s => {
        const inOrder = evaluate(s, s.voters.filter(v => v.voted))
        const shuffled = evaluate(s, s.shuffle.map(i => s.voters[i] as Voter).filter(v => v.voted))
        expect(decisionOf(shuffled)).toEqual(decisionOf(inOrder))
        const all = evaluate(s, s.voters)
        const allShuffled = evaluate(s, s.shuffle.map(i => s.voters[i] as Voter))
        expect(decisionOf(allShuffled)).toEqual(decisionOf(all))
      }), { numRuns: RUNS })
    })

    it('(b) a settled outcome stays settled, with the same winner, whatever the missing voters cast', () => {
      let settled = 0
      fc.assert(fc.property(scenarioArb(type), s => {
        const sub = evaluate(s, s.voters.filter(v => v.voted))
        if (sub.outcome === 'pending') return
        settled++
        expect(sub.final).toBe(sub.outcome)
        for (const superset of [s.voters.filter(v => v.voted || v.votedLater), s.voters]) {
          const later = evaluate(s, superset)
          expect(later.outcome).toBe(sub.outcome)
          expect(later.final).toBe(sub.outcome)
          expect(later.winner).toBe(sub.winner)
        }
      }), { numRuns: RUNS })
      // the property is not vacuous: some random subsets do settle early
      expect(settled).toBeGreaterThan(0)
    })

    it('(c) scores, totals and (integer types) the winner match a naive reference', () => {
      fc.assert(fc.property(scenarioArb(type), s => {
        const voters = s.voters.filter(v => v.voted)
        const eligible = eligibleOf(s.voters)
        const got = evaluate(s, voters, eligible)
        const ballots = counted(voters)
        expectScoresClose(type, got.scores, naiveScores(type, s.n, ballots))
        const cast = ballots.filter(b => b.ballot !== 'abstain' && !(Array.isArray(b.ballot) && b.ballot.length === 0))
        expect(got.scoresTotal).toBe(cast.reduce((t, b) => t + b.weight, 0))
        expect(got.turnout).toBe(eligibleOf(voters))
        if (voters.length === 0) expect(got.final).toBe('timeout')
        else if (!FLOAT_TYPES.has(type)) expect(got.winner).toBe(naiveWinner(s, got.scores, got.turnout, eligible))
        expect(got.final === 'approved').toBe(got.winner !== null)
      }), { numRuns: RUNS })
    })

    it('(d) with no missing weight the outcome is the final decision', () => {
      fc.assert(fc.property(scenarioArb(type), s => {
        const got = evaluate(s, s.voters)
        expect(got.final).not.toBe('timeout')
        expect(got.outcome).toBe(got.final)
      }), { numRuns: RUNS })
    })
  })
}
