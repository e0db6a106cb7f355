/**
 * Unit tests of the ballot scoring module: why a ballot is refused, which rules are refused, and what each
 * winning rule (tie-break, quorum of turnout or of rejection, threshold) decides, early or at the end.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import {
  ballotProblem, evaluateBallots, isValidBallot, isqrt, parseRule, ruleParams, type BallotRuleInit, type CountedBallot
} from '../src/algorithms/index.js'
import type { Ballot, VotingType } from '../src/types.js'

const rule = (type: VotingType, n: number, init: BallotRuleInit = {}): ReturnType<typeof parseRule> => parseRule(ruleParams(init, type, n), type, n)
const cast = (...ballots: Array<[Ballot, number]>): CountedBallot[] => ballots.map(([ballot, weight]) => ({ ballot, weight }))

describe('ballotProblem', () => {
  it('accepts an abstention and a valid ballot of every type', () => {
    const valid: Array<[VotingType, Ballot]> = [
      ['single-choice', 2], ['approval', [3, 1]], ['approval', []], ['ranked-choice', [2, 3, 1]], ['copeland', [3, 1, 2]],
      ['weighted', { 1: 0.3, 3: 2 }], ['quadratic', { 2: 0, 3: 1.5 }]
    ]
    for (const [type, ballot] of valid) {
      expect(ballotProblem(type, ballot, 3), `${type} ${JSON.stringify(ballot)}`).toBeUndefined()
      expect(isValidBallot(type, 'abstain', 3)).toBe(true)
    }
  })

  it('says a choice is out of range', () => {
    expect(ballotProblem('single-choice', 4, 3)).toBe('choice 4 is out of range 1..3')
    expect(ballotProblem('single-choice', 0, 3)).toBe('choice 0 is out of range 1..3')
    expect(ballotProblem('approval', [1, -1], 3)).toBe('choice -1 is out of range 1..3')
    expect(ballotProblem('ranked-choice', [1, 2, 4], 3)).toBe('choice 4 is out of range 1..3')
    expect(ballotProblem('weighted', { 4: 1 }, 3)).toBe('choice 4 is out of range 1..3')
    expect(ballotProblem('quadratic', { '01': 1 }, 3)).toBe('choice 01 is out of range 1..3')
  })

  it('says a ranking repeats a choice, an approval lists one twice, a ranking is partial', () => {
    expect(ballotProblem('ranked-choice', [1, 2, 1], 3)).toBe('the ranking repeats choice 1')
    expect(ballotProblem('copeland', [2, 2, 3], 3)).toBe('the ranking repeats choice 2')
    expect(ballotProblem('approval', [3, 3], 3)).toBe('it lists choice 3 twice')
    expect(ballotProblem('ranked-choice', [1, 2], 3)).toBe('a ranked-choice ballot ranks all 3 choices; got 2')
    expect(ballotProblem('copeland', [], 3)).toBe('a copeland ballot ranks all 3 choices; got 0')
  })

  it('says a share is negative, not a number, too fine or too large, or that all shares are zero', () => {
    expect(ballotProblem('weighted', { 1: 1, 2: -0.5 }, 3)).toBe('share of choice 2 is negative')
    expect(ballotProblem('quadratic', { 1: 'one' }, 3)).toBe('share of choice 1 is not a number')
    expect(ballotProblem('quadratic', { 1: Number.NaN }, 3)).toBe('share of choice 1 is not a number')
    expect(ballotProblem('weighted', { 1: 0.1234567 }, 3)).toBe('share 0.1234567 has more than 6 decimal places')
    expect(ballotProblem('weighted', { 1: 0.1 + 0.2 }, 3)).toMatch(/more than 6 decimal places/)
    expect(ballotProblem('weighted', { 1: 2e9 }, 3)).toBe('share of choice 1 is above 1000000000')
    expect(ballotProblem('quadratic', { 1: 0, 2: 0 }, 3)).toBe('shares are all zero')
    expect(ballotProblem('weighted', {}, 3)).toBe('a weighted ballot gives a share to at least one choice')
  })

  it('says a ballot has the wrong shape for its type', () => {
    expect(ballotProblem('single-choice', [1], 3)).toBe('a single-choice ballot is one choice index')
    expect(ballotProblem('single-choice', 1.5, 3)).toBe('1.5 is not a choice index')
    expect(ballotProblem('approval', 1, 3)).toBe('an approval ballot is a list of choice indices')
    expect(ballotProblem('ranked-choice', 'for', 3)).toBe('a ranked-choice ballot is a ranking: a list of choice indices, best first')
    expect(ballotProblem('copeland', { 1: 1 }, 3)).toBe('a copeland ballot is a ranking: a list of choice indices, best first')
    expect(ballotProblem('weighted', [1, 2], 3)).toBe('a weighted ballot is a map of choice index → share')
    expect(ballotProblem('quadratic', null, 3)).toBe('a quadratic ballot is a map of choice index → share')
    expect(ballotProblem('approval', ['1'], 3)).toBe('"1" is not a choice index')
  })
})

describe('parseRule and ruleParams', () => {
  it('pin decimals as exact ratios and leave absent options out', () => {
    expect(ruleParams({ threshold: 0.3, quorum: 0.25, tieBreak: 'none' }, 'weighted', 3)).toEqual({ threshold: [3, 10], quorum: [1, 4], tieBreak: 'none' })
    expect(ruleParams({}, 'copeland', 3)).toEqual({})
    expect(parseRule({}, 'single-choice', 3)).toEqual({ quorumType: 'turnout', tieBreak: 'lowest-index' })
  })

  const refused: Array<[string, () => unknown, RegExp]> = [
    ['a threshold for copeland', () => ruleParams({ threshold: 0.5 }, 'copeland', 3), /copeland .* takes no threshold/],
    ['a quorum of rejection without rejectChoice', () => ruleParams({ quorum: 0.2, quorumType: 'rejection' }, 'single-choice', 3), /needs rejectChoice/],
    ['a rejectChoice out of range', () => ruleParams({ quorum: 0.2, quorumType: 'rejection', rejectChoice: 4 }, 'approval', 3), /from 1 to 3/],
    ['a quorum of rejection without a quorum', () => parseRule({ quorumType: 'rejection', rejectChoice: 1 }, 'single-choice', 3), /needs a quorum/],
    ['a rejectChoice with a turnout quorum', () => ruleParams({ quorum: 0.2, rejectChoice: 1 }, 'single-choice', 3), /quorumType rejection only/],
    ['a bad tieBreak', () => parseRule({ tieBreak: 'random' }, 'single-choice', 3), /tieBreak must be lowest-index or none/],
    ['a bad quorumType', () => parseRule({ quorumType: 'majority' }, 'single-choice', 3), /quorumType must be turnout or rejection/],
    ['an unknown parameter', () => parseRule({ majority: true }, 'single-choice', 3), /unknown rule parameter majority/],
    ['a threshold of 1', () => ruleParams({ threshold: 1 }, 'single-choice', 3), /threshold must be a number in \[0, 1\)/]
  ]
  for (const [what, call, message] of refused) {
    it(`refuse ${what}`, () => {
      expect(call).toThrow(InvalidParametersError)
      expect(call).toThrow(message)
    })
  }
})

describe('evaluateBallots: winning rules', () => {
  it('breaks a tie at the top by the lower index, or leaves no winner with tieBreak none', () => {
    const ballots = cast([2, 3], [3, 3], [1, 1])
    const lowest = evaluateBallots('single-choice', 3, rule('single-choice', 3), ballots, 7)
    expect(lowest).toMatchObject({ outcome: 'approved', final: 'approved', winner: 2, ranking: [2, 3, 1], scores: [1, 3, 3] })
    const none = evaluateBallots('single-choice', 3, rule('single-choice', 3, { tieBreak: 'none' }), ballots, 7)
    expect(none).toMatchObject({ outcome: 'rejected', final: 'rejected', winner: null, ranking: [2, 3, 1] })
    // while ballots are missing a tie is not final: one more ballot for 3 would break it
    expect(evaluateBallots('single-choice', 3, rule('single-choice', 3, { tieBreak: 'none' }), ballots, 8).outcome).toBe('pending')
  })

  it('counts abstentions toward the turnout quorum only', () => {
    const r = rule('single-choice', 2, { quorum: 0.5 })
    const withAbstain = evaluateBallots('single-choice', 2, r, cast([1, 2], ['abstain', 3]), 10)
    expect(withAbstain).toMatchObject({ final: 'approved', winner: 1, scores: [2, 0], scoresTotal: 2, turnout: 5 })
    const without = evaluateBallots('single-choice', 2, r, cast([1, 2]), 10)
    expect(without).toMatchObject({ outcome: 'pending', final: 'rejected', winner: null, turnout: 2 })
    // an empty approval is an abstention too
    const approval = evaluateBallots('approval', 2, rule('approval', 2, { quorum: 0.5 }), cast([[2], 2], [[], 3]), 10)
    expect(approval).toMatchObject({ final: 'approved', winner: 2, scores: [0, 2], scoresTotal: 2, turnout: 5 })
    // a quorum once met stays met, so the vote can settle early: 6 of 10 turned out and 6 beats 0 + the 4 missing
    expect(evaluateBallots('single-choice', 2, r, cast([1, 6]), 10)).toMatchObject({ outcome: 'approved', final: 'approved', winner: 1 })
  })

  it('rejects when the reject choice reaches a quorum of rejection, else elects the top other choice', () => {
    const r = rule('single-choice', 3, { quorum: 0.3, quorumType: 'rejection', rejectChoice: 3 })
    expect(evaluateBallots('single-choice', 3, r, cast([1, 2], [3, 3]), 10)).toMatchObject({ outcome: 'rejected', final: 'rejected', winner: null })
    // choice 3 leads but stays below 3 of 10: the best of the others wins once no missing ballot could lift 3 to 3
    const below = evaluateBallots('single-choice', 3, r, cast([1, 1], [3, 2]), 10)
    expect(below).toMatchObject({ outcome: 'pending', final: 'approved', winner: 1, ranking: [3, 1, 2] })
    // 1 + the 1 missing stays below 3, and 8 beats 0 + 1
    const settled = evaluateBallots('single-choice', 3, r, cast([1, 8], [3, 1]), 10)
    expect(settled).toMatchObject({ outcome: 'approved', winner: 1 })
    // 2 + the 1 missing could reach 3: not settled yet
    expect(evaluateBallots('single-choice', 3, r, cast([1, 7], [3, 2]), 10)).toMatchObject({ outcome: 'pending', final: 'approved', winner: 1 })
  })

  it('needs the winner strictly above the threshold share of the eligible weight', () => {
    const r = rule('single-choice', 2, { threshold: 0.5 })
    expect(evaluateBallots('single-choice', 2, r, cast([1, 5], [2, 5]), 10)).toMatchObject({ outcome: 'rejected', final: 'rejected', winner: null })
    expect(evaluateBallots('single-choice', 2, r, cast([1, 6], [2, 4]), 10)).toMatchObject({ outcome: 'approved', winner: 1 })
    // the threshold is over the eligible weight, not the turnout: 4 of 10 is not more than half even if everyone else stays away
    expect(evaluateBallots('single-choice', 2, r, cast([1, 4]), 10)).toMatchObject({ outcome: 'pending', final: 'rejected' })
    expect(evaluateBallots('weighted', 2, rule('weighted', 2, { threshold: 0.5 }), cast([{ 1: 0.6, 2: 0.4 }, 10]), 10))
      .toMatchObject({ final: 'approved', winner: 1, scores: [6, 4] })
  })

  it('times out with no ballot at all (invalid ones do not count)', () => {
    for (const type of ['single-choice', 'approval', 'ranked-choice', 'weighted', 'quadratic', 'copeland'] as const) {
      for (const ballots of [[], cast([99 as Ballot, 3])]) {
        const result = evaluateBallots(type, 3, rule(type, 3), ballots, 10)
        expect(result, type).toMatchObject({ outcome: 'pending', final: 'timeout', winner: null, turnout: 0, scoresTotal: 0 })
      }
    }
  })
})

describe('evaluateBallots: settled before every vote is in', () => {
  // eligible weight 10 throughout; each case: the ballots that settle it, and ballots one step short that leave it pending
  const cases: Array<{ type: VotingType, settled: CountedBallot[], short: CountedBallot[] }> = [
    // leader 6 beats 0 + the 4 missing
    { type: 'single-choice', settled: cast([1, 6]), short: cast([1, 5]) },
    // 7 beats 0 + 3 missing; 7 against 6 + 3 does not
    { type: 'approval', settled: cast([[1], 7]), short: cast([[1, 2], 6], [[1], 1]) },
    // 8 × 3/4 = 6 against 8 × 1/4 = 2, with 2 missing: 6 > 4
    { type: 'weighted', settled: cast([{ 1: 3, 2: 1 }, 8]), short: cast([{ 1: 1, 2: 1 }, 8]) },
    // √8 ≈ 2.83 against 0 + (at most √w ≤ w for) the 2 missing; √5 against 5 missing is not enough
    { type: 'quadratic', settled: cast([{ 1: 1 }, 8]), short: cast([{ 1: 1 }, 5]) },
    // more than half of the eligible weight ranks 1 first: it wins round 1 whatever comes
    { type: 'ranked-choice', settled: cast([[1, 2, 3], 6]), short: cast([[1, 2, 3], 5]) },
    // every pairwise margin (6) exceeds the missing weight (4)
    { type: 'copeland', settled: cast([[1, 2, 3], 6]), short: cast([[1, 2, 3], 5]) }
  ]
  for (const { type, settled, short } of cases) {
    it(type, () => {
      expect(evaluateBallots(type, 3, rule(type, 3), settled, 10)).toMatchObject({ outcome: 'approved', final: 'approved', winner: 1 })
      expect(evaluateBallots(type, 3, rule(type, 3), short, 10)).toMatchObject({ outcome: 'pending', final: 'approved', winner: 1 })
    })
  }
})

describe('quadratic determinism', () => {
  it('isqrt is exact on big squares and their neighbours', () => {
    for (const k of [1n, 2n, 3n, (1n << 64n) - 1n, 1n << 64n, (1n << 100n) + 12345n, 3n ** 150n, (1n << 160n) * 4n + 7n]) {
      expect(isqrt(k * k)).toBe(k)
      expect(isqrt(k * k + 1n)).toBe(k)
      expect(isqrt(k * k + 2n * k)).toBe(k) // (k + 1)² − 1
      expect(isqrt(k * k - 1n)).toBe(k - 1n)
    }
    expect([0n, 1n, 2n, 3n, 4n, 8n, 9n].map(isqrt)).toEqual([0n, 1n, 1n, 1n, 2n, 2n, 3n])
  })

  it('ranks sums of roots by their fixed point, the same in every order, even where the true sums are equal', () => {
    // 2 × √2 and √8 are equal; the fixed-point sums (2^64 per unit, each root floored) decide, the same everywhere
    const ballots = cast([{ 1: 1 }, 2], [{ 2: 1 }, 8], [{ 1: 1 }, 2])
    const one = 2n * isqrt(2n << 128n)
    const two = isqrt(8n << 128n)
    const expected = two > one ? 2 : 1
    for (const order of [ballots, [...ballots].reverse(), [ballots[1], ballots[0], ballots[2]] as CountedBallot[]]) {
      const result = evaluateBallots('quadratic', 2, rule('quadratic', 2), order, 12)
      expect(result.winner).toBe(expected)
      // the rescaled scores sum to the valid weight and are (almost) equal
      expect(result.scores[0] as number).toBeCloseTo(6, 12)
      expect(result.scores[1] as number).toBeCloseTo(6, 12)
    }
    expect(evaluateBallots('quadratic', 2, rule('quadratic', 2, { tieBreak: 'none' }), ballots, 12).final).toBe(two === one ? 'rejected' : 'approved')
  })
})
