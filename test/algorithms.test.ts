import { InvalidParametersError } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import {
  QuorumAlgorithm,
  SupermajorityAlgorithm,
  UnanimousAlgorithm,
  WeightedAlgorithm,
  addToTally,
  defaultAlgorithms,
  emptyTally,
  exceeds,
  parseRatio,
  quorum,
  supermajority,
  tallyVotes,
  thresholdToRatio,
  unanimous,
  weighted,
  type AlgorithmEvaluation,
  type ConsensusAlgorithm
} from '../src/algorithms/index.js'
import type { CborRecord, CborValue, VoteType } from '../src/types.js'

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** `n` members `m0 … m(n-1)` of weight 1. */
function members (n: number, weight = 1): Map<string, number> {
  return new Map(Array.from({ length: n }, (_, i) => [`m${i}`, weight]))
}

/** Votes: the first `f` members for, the next `a` against, the next `s` abstain; the rest missing. */
function votesFor (f: number, a = 0, s = 0): Map<string, VoteType> {
  const votes = new Map<string, VoteType>()
  let i = 0
  for (let k = 0; k < f; k++) votes.set(`m${i++}`, 'for')
  for (let k = 0; k < a; k++) votes.set(`m${i++}`, 'against')
  for (let k = 0; k < s; k++) votes.set(`m${i++}`, 'abstain')
  return votes
}

function run (
  algorithm: ConsensusAlgorithm,
  electorate: ReadonlyMap<string, number>,
  votes: ReadonlyMap<string, VoteType>,
  params: CborRecord = algorithm.params
): AlgorithmEvaluation {
  return algorithm.evaluate({ params, tally: tallyVotes(electorate, votes), electorate, votes, ballots: votes, choices: [] })
}

function expectInvalid (fn: () => unknown, message: RegExp): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeInstanceOf(InvalidParametersError)
  expect((thrown as Error).name).toBe('InvalidParametersError')
  expect((thrown as Error).message).toMatch(message)
}

const allAlgorithms = (): Array<[string, ConsensusAlgorithm]> => [
  ['quorum', new QuorumAlgorithm()],
  ['weighted', new WeightedAlgorithm()],
  ['unanimous', new UnanimousAlgorithm()],
  ['supermajority', new SupermajorityAlgorithm()]
]

// ---------------------------------------------------------------------------------------------
// ratio arithmetic
// ---------------------------------------------------------------------------------------------

describe('thresholdToRatio', () => {
  it('turns decimal thresholds into the exact fraction their spelling denotes', () => {
    expect(thresholdToRatio(0.5)).toEqual([1, 2])
    expect(thresholdToRatio(0.7)).toEqual([7, 10])
    expect(thresholdToRatio(0.6)).toEqual([3, 5])
    expect(thresholdToRatio(0.75)).toEqual([3, 4])
    expect(thresholdToRatio(0.25)).toEqual([1, 4])
  })

  it('accepts 0 and up to 9 decimal places, including exponent spellings', () => {
    expect(thresholdToRatio(0)).toEqual([0, 1])
    expect(thresholdToRatio(0.123456789)).toEqual([123456789, 1_000_000_000])
    expect(thresholdToRatio(1e-7)).toEqual([1, 10_000_000])
    expect(thresholdToRatio(5e-9)).toEqual([1, 200_000_000])
    expect(thresholdToRatio(0.999999999)).toEqual([999999999, 1_000_000_000])
  })

  it('rejects thresholds outside [0, 1) naming the range', () => {
    for (const bad of [1, 1.5, -0.1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expectInvalid(() => thresholdToRatio(bad), /threshold must be a number in \[0, 1\)/)
    }
    expectInvalid(() => thresholdToRatio(Number.NaN), /got NaN/)
    expectInvalid(() => thresholdToRatio('0.5' as unknown as number), /threshold must be a number/)
  })

  it('rejects more than 9 decimal places, naming the value', () => {
    expectInvalid(() => thresholdToRatio(0.1234567891), /0\.1234567891 has more than 9 decimal places/)
    expectInvalid(() => thresholdToRatio(1.5e-9), /more than 9 decimal places/)
    expectInvalid(() => thresholdToRatio(1 / 3), /more than 9 decimal places/)
    // 0.1 + 0.2 is 0.30000000000000004 in binary floating point: refused rather than silently rounded
    expectInvalid(() => thresholdToRatio(0.1 + 0.2), /more than 9 decimal places/)
  })

  it('the algorithm constructors validate their threshold', () => {
    expectInvalid(() => new QuorumAlgorithm({ threshold: 1 }), /threshold must be a number in \[0, 1\)/)
    expectInvalid(() => new QuorumAlgorithm({ threshold: -0.1 }), /threshold must be a number in \[0, 1\)/)
    expectInvalid(() => new QuorumAlgorithm({ threshold: Number.NaN }), /threshold must be a number/)
    expectInvalid(() => new QuorumAlgorithm({ threshold: 0.1234567891 }), /more than 9 decimal places/)
    expectInvalid(() => new WeightedAlgorithm({ threshold: 1 }), /threshold must be a number in \[0, 1\)/)
    expectInvalid(() => new WeightedAlgorithm({ threshold: -0.1 }), /threshold must be a number in \[0, 1\)/)
    expectInvalid(() => new WeightedAlgorithm({ threshold: Number.NaN }), /threshold must be a number/)
    expectInvalid(() => new WeightedAlgorithm({ threshold: 0.1234567891 }), /more than 9 decimal places/)
  })
})

describe('parseRatio', () => {
  it('accepts well-formed pinned ratios', () => {
    expect(parseRatio([7, 10])).toEqual([7, 10])
    expect(parseRatio([0, 1])).toEqual([0, 1])
    expect(parseRatio([999_999_999, 1_000_000_000])).toEqual([999_999_999, 1_000_000_000])
  })

  it('rejects malformed pinned params', () => {
    const shape = /threshold must be \[numerator, denominator\]/
    const range = /threshold must be integers with 0 ≤ numerator < denominator ≤ 1000000000/
    expectInvalid(() => parseRatio('x'), shape)
    expectInvalid(() => parseRatio(undefined), shape)
    expectInvalid(() => parseRatio(null), shape)
    expectInvalid(() => parseRatio(0.5), shape)
    expectInvalid(() => parseRatio([1]), shape)
    expectInvalid(() => parseRatio([1, 2, 3]), shape)
    expectInvalid(() => parseRatio({ num: 1, den: 2 }), shape)
    expectInvalid(() => parseRatio([1, 0]), range) // zero denominator
    expectInvalid(() => parseRatio([3, 2]), range) // more than 1
    expectInvalid(() => parseRatio([2, 2]), range) // exactly 1 can never be exceeded
    expectInvalid(() => parseRatio([1.5, 2]), range) // not an integer
    expectInvalid(() => parseRatio([1, 2.5]), range)
    expectInvalid(() => parseRatio([-1, 2]), range)
    expectInvalid(() => parseRatio(['1', '2']), range)
    expectInvalid(() => parseRatio([1, 1_000_000_001]), range)
    expectInvalid(() => parseRatio([Number.NaN, 2]), range)
  })

  it('names the parameter it checks', () => {
    expectInvalid(() => parseRatio('x', 'quorum'), /^quorum must be/)
  })

  it('is what evaluate and validateParams use on pinned params', () => {
    const bad: CborValue[] = [[1, 0], [3, 2], 'x', [1.5, 2]]
    for (const threshold of bad) {
      for (const algorithm of [new QuorumAlgorithm(), new WeightedAlgorithm()]) {
        expectInvalid(() => algorithm.validateParams({ threshold }), /threshold must be/)
        expectInvalid(() => run(algorithm, members(3), votesFor(3), { threshold }), /threshold must be/)
      }
    }
    expectInvalid(() => new QuorumAlgorithm().evaluate({
      params: {},
      tally: emptyTally(members(1)),
      electorate: members(1),
      votes: new Map(),
      ballots: new Map(),
      choices: []
    }), /threshold must be \[numerator, denominator\]/)
  })
})

describe('exceeds', () => {
  it('is strict and exact', () => {
    expect(exceeds(7, 10, [7, 10])).toBe(false)
    expect(exceeds(8, 10, [7, 10])).toBe(true)
    expect(exceeds(2, 3, [2, 3])).toBe(false)
    expect(exceeds(0, 10, [0, 1])).toBe(false)
    expect(exceeds(1, 10, [0, 1])).toBe(true)
    // beyond float precision: 2^53 + 1 vs 2^53 would be equal as floats
    expect(exceeds(2 ** 52 + 1, 2 ** 53, [1, 2])).toBe(true)
    expect(exceeds(2 ** 52, 2 ** 53, [1, 2])).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// tallies
// ---------------------------------------------------------------------------------------------

describe('tally', () => {
  it('counts members and weights per choice, ignoring non-members', () => {
    const electorate = new Map([['a', 3], ['b', 2], ['c', 0], ['d', 1]])
    const votes = new Map<string, VoteType>([['a', 'for'], ['b', 'against'], ['c', 'abstain'], ['outsider', 'for']])
    expect(tallyVotes(electorate, votes)).toEqual({
      electorateSize: 4,
      totalWeight: 6,
      forCount: 1,
      againstCount: 1,
      abstainCount: 1,
      forWeight: 3,
      againstWeight: 2,
      abstainWeight: 0
    })
  })

  it('incremental addToTally equals tallyVotes', () => {
    const electorate = new Map([['a', 3], ['b', 2], ['c', 1]])
    const tally = emptyTally(electorate)
    addToTally(tally, 'abstain', 1)
    addToTally(tally, 'for', 3)
    addToTally(tally, 'against', 2)
    expect(tally).toEqual(tallyVotes(electorate, new Map([['c', 'abstain'], ['a', 'for'], ['b', 'against']])))
  })
})

// ---------------------------------------------------------------------------------------------
// every algorithm
// ---------------------------------------------------------------------------------------------

describe('every algorithm', () => {
  it.each(allAlgorithms())('%s rejects (never approves) with a zero electorate', (_name, algorithm) => {
    const result = run(algorithm, new Map(), new Map())
    expect(result.outcome).toBe('rejected')
    // votes from outsiders do not make an empty electorate approve
    expect(run(algorithm, new Map(), new Map([['outsider', 'for']])).outcome).toBe('rejected')
  })

  it.each(allAlgorithms())('%s rejects an abstain-only electorate', (_name, algorithm) => {
    const electorate = members(5)
    expect(run(algorithm, electorate, votesFor(0, 0, 5)).outcome).toBe('rejected')
  })

  it.each(allAlgorithms())('%s approves when everyone votes for', (_name, algorithm) => {
    expect(run(algorithm, members(7), votesFor(7)).outcome).toBe('approved')
  })

  it.each(allAlgorithms())('%s rejects when everyone votes against', (_name, algorithm) => {
    expect(run(algorithm, members(7), votesFor(0, 7)).outcome).toBe('rejected')
  })

  it.each(allAlgorithms())('%s is pending before anyone votes', (_name, algorithm) => {
    expect(run(algorithm, members(4), new Map()).outcome).toBe('pending')
  })

  it.each(allAlgorithms())('%s ignores votes from outside the electorate', (_name, algorithm) => {
    const electorate = members(3)
    const votes = votesFor(1)
    votes.set('outsider-1', 'for')
    votes.set('outsider-2', 'for')
    votes.set('outsider-3', 'for')
    expect(run(algorithm, electorate, votes).outcome).toBe('pending')
  })

  it('defaultAlgorithms registers the four binary kinds and the six voting types under their kinds', () => {
    const algorithms = defaultAlgorithms()
    expect(Object.keys(algorithms).sort()).toEqual([
      'ballot/approval', 'ballot/copeland', 'ballot/quadratic', 'ballot/ranked-choice', 'ballot/single-choice', 'ballot/weighted',
      'quorum', 'supermajority', 'unanimous', 'weighted'
    ])
    for (const [name, algorithm] of Object.entries(algorithms)) expect(algorithm.kind).toBe(name)
    expect(quorum().kind).toBe('quorum')
    expect(weighted().kind).toBe('weighted')
    expect(unanimous().kind).toBe('unanimous')
    expect(supermajority().kind).toBe('supermajority')
  })
})

// ---------------------------------------------------------------------------------------------
// quorum
// ---------------------------------------------------------------------------------------------

describe('QuorumAlgorithm', () => {
  it('defaults to threshold 0.5 pinned as an exact fraction', () => {
    const algorithm = new QuorumAlgorithm()
    expect(algorithm.params).toEqual({ threshold: [1, 2] })
    expect(run(algorithm, members(10), votesFor(5, 5)).threshold).toBe(0.5)
  })

  it('a 5–5 tie of 10 at 0.5 is rejected and settled', () => {
    const result = run(new QuorumAlgorithm(), members(10), votesFor(5, 5))
    expect(result.outcome).toBe('rejected')
    expect(result.metadata).toEqual({ approval: 0.5 })
  })

  it('5 for, 4 against of 10 at 0.5 waits for the last vote, which decides', () => {
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5)).outcome).toBe('pending')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5, 4)).outcome).toBe('pending')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(6, 4)).outcome).toBe('approved')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5, 5)).outcome).toBe('rejected')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5, 4, 1)).outcome).toBe('rejected')
  })

  it('settles early: 6 for of 10 at 0.5 approves with 4 still missing', () => {
    expect(run(new QuorumAlgorithm(), members(10), votesFor(6)).outcome).toBe('approved')
  })

  it('settles early: 5 against of 10 at 0.5 rejects with 5 still missing', () => {
    expect(run(new QuorumAlgorithm(), members(10), votesFor(0, 5)).outcome).toBe('rejected')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(0, 4)).outcome).toBe('pending')
  })

  it('approval is a share of the eligible electorate, not of votes cast', () => {
    // 3 for, 0 against of 10: 100% of cast, 30% of eligible → not approved, pending
    expect(run(new QuorumAlgorithm(), members(10), votesFor(3)).outcome).toBe('pending')
  })

  it('abstain counts for turnout but never for approval', () => {
    // 5 for + 5 abstain of 10 at 0.5: everyone voted, 5/10 is not > 0.5
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5, 0, 5)).outcome).toBe('rejected')
    // 5 for + 4 abstain: one missing could still push it to 6/10
    expect(run(new QuorumAlgorithm(), members(10), votesFor(5, 0, 4)).outcome).toBe('pending')
    // 4 for + 2 abstain of 10: even all 4 missing for gives 8 > 5 → pending; with 5 abstain → rejected
    expect(run(new QuorumAlgorithm(), members(10), votesFor(4, 0, 2)).outcome).toBe('pending')
    expect(run(new QuorumAlgorithm(), members(10), votesFor(1, 0, 5)).outcome).toBe('rejected')
  })

  describe('threshold 0.7 with 10 voters (strictly greater, exact)', () => {
    const algorithm = new QuorumAlgorithm({ threshold: 0.7 })

    it('pins 0.7 as [7, 10]', () => {
      expect(algorithm.params).toEqual({ threshold: [7, 10] })
    })

    it('7 for of 10 is NOT approved (7/10 is not > 0.7)', () => {
      // 0.7 * 10 === 7.000000000000001 in floating point; 7 / 10 === 0.7. Neither may decide.
      const result = run(algorithm, members(10), votesFor(7, 3))
      expect(result.outcome).toBe('rejected')
      expect(result.threshold).toBe(0.7)
      expect(run(algorithm, members(10), votesFor(7)).outcome).toBe('pending')
    })

    it('8 for of 10 is approved', () => {
      expect(run(algorithm, members(10), votesFor(8)).outcome).toBe('approved')
      expect(run(algorithm, members(10), votesFor(8, 2)).outcome).toBe('approved')
    })

    it('3 against of 10 settles as rejected (at most 7 for remain)', () => {
      expect(run(algorithm, members(10), votesFor(0, 3)).outcome).toBe('rejected')
      expect(run(algorithm, members(10), votesFor(0, 2)).outcome).toBe('pending')
    })

    it('other thresholds sitting on a float boundary', () => {
      // 0.3 * 10 = 3.0000000000000004 and 0.6 * 5 = 3; exact fractions decide
      expect(run(new QuorumAlgorithm({ threshold: 0.3 }), members(10), votesFor(3, 7)).outcome).toBe('rejected')
      expect(run(new QuorumAlgorithm({ threshold: 0.3 }), members(10), votesFor(4)).outcome).toBe('approved')
      expect(run(new QuorumAlgorithm({ threshold: 0.6 }), members(5), votesFor(3, 2)).outcome).toBe('rejected')
      expect(run(new QuorumAlgorithm({ threshold: 0.6 }), members(5), votesFor(4)).outcome).toBe('approved')
    })
  })

  it('evaluates the params pinned in the proposal, not the instance', () => {
    const local = new QuorumAlgorithm() // 0.5
    const pinned = { threshold: [7, 10] }
    const result = run(local, members(10), votesFor(7, 3), pinned)
    expect(result.outcome).toBe('rejected') // would be approved at the instance's 0.5
    expect(result.threshold).toBe(0.7)
    expect(run(local, members(10), votesFor(8), pinned).outcome).toBe('approved')
    // and the other way round: a strict instance evaluating a lax pinned proposal
    expect(run(new QuorumAlgorithm({ threshold: 0.9 }), members(10), votesFor(6), { threshold: [1, 2] }).outcome).toBe('approved')
  })

  it('threshold 0 approves on the first vote for, rejects only when all voted without a for', () => {
    const algorithm = new QuorumAlgorithm({ threshold: 0 })
    expect(run(algorithm, members(10), votesFor(1)).outcome).toBe('approved')
    expect(run(algorithm, members(10), votesFor(0, 9)).outcome).toBe('pending')
    expect(run(algorithm, members(10), votesFor(0, 9, 1)).outcome).toBe('rejected')
  })

  it('counts members, not weights', () => {
    const electorate = new Map([['heavy', 100], ['a', 1], ['b', 1]])
    const votes = new Map<string, VoteType>([['heavy', 'for'], ['a', 'against'], ['b', 'against']])
    expect(run(new QuorumAlgorithm(), electorate, votes).outcome).toBe('rejected')
  })

  it('reports the approval share of the eligible electorate', () => {
    expect(run(new QuorumAlgorithm(), members(4), votesFor(1, 1)).metadata).toEqual({ approval: 0.25 })
    expect(run(new QuorumAlgorithm(), new Map(), new Map()).metadata).toEqual({ approval: 0 })
  })
})

// ---------------------------------------------------------------------------------------------
// weighted
// ---------------------------------------------------------------------------------------------

describe('WeightedAlgorithm', () => {
  const expertWeights = {
    'expert-backend-001': 3,
    'expert-frontend-001': 2,
    'agent-junior-001': 1,
    'agent-junior-002': 1
  }
  const ids = Object.keys(expertWeights)
  const expert = (): WeightedAlgorithm => new WeightedAlgorithm({ threshold: 0.6, agentWeights: expertWeights })
  const expertElectorate = (): Map<string, number> => expert().weights(ids)

  it('defaults to threshold 0.6 and weight 1', () => {
    const algorithm = new WeightedAlgorithm()
    expect(algorithm.params).toEqual({ threshold: [3, 5] })
    expect(algorithm.weights(['a', 'b'])).toEqual(new Map([['a', 1], ['b', 1]]))
  })

  it('takes weights from agentWeights in electorate order', () => {
    expect(expertElectorate()).toEqual(new Map(Object.entries(expertWeights)))
    expect(emptyTally(expertElectorate()).totalWeight).toBe(7)
  })

  it('members missing from agentWeights get defaultWeight', () => {
    const algorithm = new WeightedAlgorithm({ agentWeights: { a: 5 }, defaultWeight: 2 })
    expect(algorithm.weights(['a', 'b', 'c'])).toEqual(new Map([['a', 5], ['b', 2], ['c', 2]]))
    expect(new WeightedAlgorithm({ agentWeights: { a: 5 } }).weights(['a', 'b'])).toEqual(new Map([['a', 5], ['b', 1]]))
    // the default weight is what decides: a, b for (5 + 2) of 9 > 0.6; with b alone (2/9) it cannot
    const electorate = algorithm.weights(['a', 'b', 'c'])
    expect(run(algorithm, electorate, new Map([['a', 'for'], ['b', 'for']])).outcome).toBe('approved')
    expect(run(algorithm, electorate, new Map([['b', 'for'], ['c', 'for'], ['a', 'against']])).outcome).toBe('rejected')
  })

  it('a weight for someone outside the electorate is an error naming them, never silently dropped', () => {
    const algorithm = new WeightedAlgorithm({ agentWeights: { ghost: 100, a: 2 } })
    expectInvalid(() => algorithm.weights(['a', 'b']), /agentWeights names ghost, not in this proposal's electorate.*\(the electorate: a, b\)/)
    // a name where a PeerId belongs (as MoAI-Flow's examples write them) is the same mistake
    const named = new WeightedAlgorithm({ agentWeights: { 'expert-backend-001': 3 } })
    expectInvalid(() => named.weights(['12D3KooWA', '12D3KooWB']), /agentWeights names expert-backend-001.*keys are PeerId strings of members/)
    // with the ghost in the electorate it counts like anyone else
    const electorate = algorithm.weights(['a', 'b', 'ghost'])
    expect(run(algorithm, electorate, new Map([['a', 'for'], ['b', 'for'], ['ghost', 'against']])).outcome).toBe('rejected')
  })

  describe("the seed's expert example (threshold 0.6, total weight 7)", () => {
    it('backend + frontend for = 5/7 > 0.6: approved, even with the juniors still missing', () => {
      const votes = new Map<string, VoteType>([['expert-backend-001', 'for'], ['expert-frontend-001', 'for']])
      const result = run(expert(), expertElectorate(), votes)
      expect(result.outcome).toBe('approved')
      expect(result.threshold).toBe(0.6)
      expect(result.metadata).toEqual({ weightedApproval: 5 / 7 })
    })

    it('backend alone for, everyone else absent: pending (3/7 now, up to 7/7)', () => {
      const votes = new Map<string, VoteType>([['expert-backend-001', 'for']])
      const result = run(expert(), expertElectorate(), votes)
      expect(result.outcome).toBe('pending')
      expect(result.metadata).toEqual({ weightedApproval: 3 / 7 })
    })

    it('backend + junior for, frontend against: 4/7 ≈ 0.571 is rejected once settled', () => {
      const votes = new Map<string, VoteType>([
        ['expert-backend-001', 'for'],
        ['agent-junior-001', 'for'],
        ['expert-frontend-001', 'against']
      ])
      // junior-002 still missing: 4/7 now, 5/7 if it votes for → pending
      expect(run(expert(), expertElectorate(), votes).outcome).toBe('pending')
      // junior-002 against: settled at 4/7
      votes.set('agent-junior-002', 'against')
      const result = run(expert(), expertElectorate(), votes)
      expect(result.outcome).toBe('rejected')
      expect(result.metadata?.weightedApproval).toBeCloseTo(0.571, 3)
      // junior-002 abstains: turnout, not approval → still 4/7, rejected
      votes.set('agent-junior-002', 'abstain')
      expect(run(expert(), expertElectorate(), votes).outcome).toBe('rejected')
      // junior-002 for: 5/7 → approved
      votes.set('agent-junior-002', 'for')
      expect(run(expert(), expertElectorate(), votes).outcome).toBe('approved')
    })

    it('the backend expert against settles it: at most 4/7 remain', () => {
      const votes = new Map<string, VoteType>([['expert-backend-001', 'against']])
      expect(run(expert(), expertElectorate(), votes).outcome).toBe('rejected')
    })

    it('without the backend the three others reach only 4/7: rejected', () => {
      const votes = new Map<string, VoteType>([
        ['expert-frontend-001', 'for'],
        ['agent-junior-001', 'for'],
        ['agent-junior-002', 'for'],
        ['expert-backend-001', 'abstain']
      ])
      expect(run(expert(), expertElectorate(), votes).outcome).toBe('rejected')
    })
  })

  it('a weighted tie is rejected', () => {
    const electorate = new Map([['a', 3], ['b', 3]])
    const result = run(new WeightedAlgorithm({ threshold: 0.5 }), electorate, new Map([['a', 'for'], ['b', 'against']]))
    expect(result.outcome).toBe('rejected')
    expect(result.metadata).toEqual({ weightedApproval: 0.5 })
  })

  it('weight-0 members count in the electorate but never move the outcome', () => {
    const algorithm = new WeightedAlgorithm({ threshold: 0.5, agentWeights: { observer: 0 } })
    const electorate = algorithm.weights(['a', 'b', 'observer'])
    expect(electorate.get('observer')).toBe(0)
    const tally = tallyVotes(electorate, new Map([['observer', 'for']]))
    expect(tally.forCount).toBe(1)
    expect(tally.forWeight).toBe(0)
    // only the observer voted for: 0/2, still pending on a and b
    expect(run(algorithm, electorate, new Map([['observer', 'for']])).outcome).toBe('pending')
    // a for, b against: 1/2 is not > 0.5; the observer missing cannot change it → settled
    expect(run(algorithm, electorate, new Map([['a', 'for'], ['b', 'against']])).outcome).toBe('rejected')
    // a and b for: approved without waiting for the observer
    expect(run(algorithm, electorate, new Map([['a', 'for'], ['b', 'for']])).outcome).toBe('approved')
  })

  it('an electorate of weight-0 members only (total weight 0) rejects, never approves', () => {
    const algorithm = new WeightedAlgorithm({ defaultWeight: 0 })
    const electorate = algorithm.weights(['a', 'b'])
    const result = run(algorithm, electorate, new Map([['a', 'for'], ['b', 'for']]))
    expect(result.outcome).toBe('rejected')
    expect(result.metadata).toEqual({ weightedApproval: 0 })
    expect(run(algorithm, electorate, new Map()).outcome).toBe('rejected')
  })

  it('an abstain-only weighted electorate is rejected', () => {
    const electorate = expertElectorate()
    const votes = new Map<string, VoteType>(ids.map(id => [id, 'abstain']))
    const result = run(expert(), electorate, votes)
    expect(result.outcome).toBe('rejected')
    expect(result.metadata).toEqual({ weightedApproval: 0 })
  })

  it('evaluates the params pinned in the proposal, not the instance', () => {
    const electorate = expertElectorate()
    const votes = new Map<string, VoteType>([['expert-backend-001', 'for'], ['expert-frontend-001', 'for']])
    // 5/7 ≈ 0.714: passes the instance's 0.6, fails a pinned 0.75
    expect(run(expert(), electorate, votes, { threshold: [3, 4] }).outcome).toBe('pending')
    votes.set('agent-junior-001', 'against')
    votes.set('agent-junior-002', 'abstain')
    const result = run(expert(), electorate, votes, { threshold: [3, 4] })
    expect(result.outcome).toBe('rejected')
    expect(result.threshold).toBe(0.75)
  })

  it('reports metadata.weightedApproval as for weight over total weight', () => {
    const electorate = new Map([['a', 1], ['b', 3]])
    expect(run(new WeightedAlgorithm(), electorate, new Map([['b', 'for']])).metadata).toEqual({ weightedApproval: 0.75 })
    expect(run(new WeightedAlgorithm(), electorate, new Map([['a', 'for'], ['b', 'abstain']])).metadata).toEqual({ weightedApproval: 0.25 })
    expect(run(new WeightedAlgorithm(), electorate, new Map()).metadata).toEqual({ weightedApproval: 0 })
  })

  it('negative, non-finite, too precise or too large weights throw InvalidParametersError naming the member', () => {
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { bob: -1 } }), /weight of bob must be a finite number in 0…4294967296, got -1/)
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { carol: Number.NaN } }), /weight of carol must be a finite number/)
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { erin: Infinity } }), /weight of erin must be a finite number/)
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { dave: 2 ** 32 + 1 } }), /weight of dave must be a finite number in 0…4294967296/)
    expectInvalid(() => new WeightedAlgorithm({ defaultWeight: -1 }), /weight of defaultWeight must be a finite number.*got -1/)
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { fay: 1.1234567 } }), /weight of fay has 7 decimal places, at most 6/)
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { gus: 1e-7 } }), /weight of gus has 7 decimal places/)
    // scaling to integers must still fit: 2^32 with a 0.5 beside it would be 2^33 halves
    expectInvalid(() => new WeightedAlgorithm({ agentWeights: { max: 2 ** 32, half: 0.5 } }), /weight of max is 42949672960 once every weight is scaled by 10/)
    // the boundary values are fine
    expect(() => new WeightedAlgorithm({ agentWeights: { zero: 0, max: 2 ** 32 } })).not.toThrow()
  })

  it('decimal weights, as MoAI-Flow writes them, are pinned as exact integers of the same ratios', () => {
    const algorithm = new WeightedAlgorithm({ threshold: 0.6, agentWeights: { backend: 3.0, frontend: 1.5, qa: 0.25 } })
    const electorate = algorithm.weights(['backend', 'frontend', 'qa', 'junior'])
    // one scale for all (100: qa has two decimals), default weight 1 included
    expect(electorate).toEqual(new Map([['backend', 300], ['frontend', 150], ['qa', 25], ['junior', 100]]))
    // 3 + 1.5 of 5.75 = 0.78 > 0.6; 1.5 + 0.25 + 1 of 5.75 = 0.48 is not
    expect(run(algorithm, electorate, new Map([['backend', 'for'], ['frontend', 'for']])).outcome).toBe('approved')
    expect(run(algorithm, electorate, new Map([['frontend', 'for'], ['qa', 'for'], ['junior', 'for'], ['backend', 'against']])).outcome).toBe('rejected')
    expect(run(algorithm, electorate, new Map([['backend', 'for'], ['frontend', 'for']])).metadata).toEqual({ weightedApproval: 450 / 575 })
    // integer weights stay as they are
    expect(new WeightedAlgorithm({ agentWeights: { a: 3 } }).weights(['a', 'b'])).toEqual(new Map([['a', 3], ['b', 1]]))
  })
})

// ---------------------------------------------------------------------------------------------
// unanimous
// ---------------------------------------------------------------------------------------------

describe('UnanimousAlgorithm', () => {
  it('approves only when every member voted for', () => {
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(5)).outcome).toBe('approved')
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(4)).outcome).toBe('pending')
    expect(run(new UnanimousAlgorithm(), members(1), votesFor(1)).outcome).toBe('approved')
  })

  it('one abstain rejects, settled at once', () => {
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(0, 0, 1)).outcome).toBe('rejected')
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(4, 0, 1)).outcome).toBe('rejected')
  })

  it('one against rejects, settled at once', () => {
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(0, 1)).outcome).toBe('rejected')
    expect(run(new UnanimousAlgorithm(), members(5), votesFor(4, 1)).outcome).toBe('rejected')
  })

  it('an empty electorate rejects', () => {
    const result = run(new UnanimousAlgorithm(), new Map(), new Map())
    expect(result.outcome).toBe('rejected')
    expect(result.threshold).toBe(1)
    expect(result.metadata).toEqual({ approval: 0 })
  })

  it('weight-0 members are still members: their for is needed, their against rejects', () => {
    const electorate = new Map([['a', 1], ['zero', 0]])
    expect(run(new UnanimousAlgorithm(), electorate, new Map([['a', 'for']])).outcome).toBe('pending')
    expect(run(new UnanimousAlgorithm(), electorate, new Map([['a', 'for'], ['zero', 'against']])).outcome).toBe('rejected')
    expect(run(new UnanimousAlgorithm(), electorate, new Map([['a', 'for'], ['zero', 'for']])).outcome).toBe('approved')
  })

  it('outsiders voting for do not complete unanimity', () => {
    const votes = votesFor(2)
    votes.set('outsider', 'for')
    expect(run(new UnanimousAlgorithm(), members(3), votes).outcome).toBe('pending')
  })

  it('reports the approval share', () => {
    expect(run(new UnanimousAlgorithm(), members(4), votesFor(3)).metadata).toEqual({ approval: 0.75 })
  })
})

// ---------------------------------------------------------------------------------------------
// supermajority
// ---------------------------------------------------------------------------------------------

describe('SupermajorityAlgorithm', () => {
  it('exactly 2/3 is not enough: 6 of 9 for is not approved', () => {
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(6)).outcome).toBe('pending')
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(6, 3)).outcome).toBe('rejected')
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(6, 0, 3)).outcome).toBe('rejected')
    expect(run(new SupermajorityAlgorithm(), members(3), votesFor(2, 1)).outcome).toBe('rejected')
  })

  it('7 of 9 for is approved, even with 2 missing', () => {
    const result = run(new SupermajorityAlgorithm(), members(9), votesFor(7))
    expect(result.outcome).toBe('approved')
    expect(result.threshold).toBeCloseTo(2 / 3, 12)
    expect(result.metadata).toEqual({ weightedApproval: 7 / 9 })
  })

  it('3 against of 9 settles it as rejected (at most 6/9 remain)', () => {
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(0, 3)).outcome).toBe('rejected')
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(0, 2)).outcome).toBe('pending')
  })

  it('BFT sizing: n = 3f + 1 = 4 needs 3 for', () => {
    expect(run(new SupermajorityAlgorithm(), members(4), votesFor(3)).outcome).toBe('approved')
    expect(run(new SupermajorityAlgorithm(), members(4), votesFor(2, 2)).outcome).toBe('rejected')
  })

  it('uses weights: exactly 2/3 of the weight is not enough, more is', () => {
    const electorate = new Map([['a', 4], ['b', 2], ['c', 3]]) // total 9
    // a + b = 6/9, exactly 2/3
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['a', 'for'], ['b', 'for'], ['c', 'against']])).outcome).toBe('rejected')
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['a', 'for'], ['b', 'for']])).outcome).toBe('pending')
    // a + c = 7/9
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['a', 'for'], ['c', 'for']])).outcome).toBe('approved')
    // a heavy member alone: 7 of 9 weight
    const heavy = new Map([['big', 7], ['x', 1], ['y', 1]])
    expect(run(new SupermajorityAlgorithm(), heavy, new Map([['big', 'for']])).outcome).toBe('approved')
    expect(run(new SupermajorityAlgorithm(), heavy, new Map([['big', 'against']])).outcome).toBe('rejected')
  })

  it('weight-0 members never block a settled supermajority', () => {
    const electorate = new Map([['a', 1], ['b', 1], ['c', 1], ['z', 0]])
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['a', 'for'], ['b', 'for'], ['c', 'for']])).outcome).toBe('approved')
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['z', 'for']])).outcome).toBe('pending')
  })

  it('total weight 0 rejects', () => {
    const electorate = new Map([['a', 0], ['b', 0]])
    expect(run(new SupermajorityAlgorithm(), electorate, new Map([['a', 'for'], ['b', 'for']])).outcome).toBe('rejected')
  })

  it('ignores any pinned params (the rule is fixed at 2/3)', () => {
    expect(run(new SupermajorityAlgorithm(), members(9), votesFor(6, 3), { threshold: [1, 2] }).outcome).toBe('rejected')
  })
})
