import { InvalidParametersError } from '@libp2p/interface'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  QuorumAlgorithm,
  SupermajorityAlgorithm,
  UnanimousAlgorithm,
  WeightedAlgorithm,
  addToTally,
  emptyTally,
  parseRatio,
  tallyVotes,
  thresholdToRatio,
  type AlgorithmEvaluation,
  type ConsensusAlgorithm,
  type Outcome,
  type Ratio,
  type Tally
} from '../src/algorithms/index.js'
import type { CborRecord, VoteType } from '../src/types.js'

const RUNS = 400

// ---------------------------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------------------------

/** A member's vote, or `missing` when it has not voted (yet). */
type Choice = VoteType | 'missing'

interface Scenario {
  ids: string[]
  /** integer weight per member, same index as `ids` */
  weights: number[]
  /** what each member voted, same index as `ids` */
  choices: Choice[]
  /** a random pinned threshold [num, den], 0 ≤ num < den ≤ 100 */
  ratio: Ratio
  /** two random permutations of the member indices (orders in which votes arrive) */
  order: number[]
  order2: number[]
  /** how many times each member's vote is delivered (duplicates) */
  copies: number[]
  /** what each still-missing member votes later (`missing` = still not) */
  extra: Choice[]
  /** votes from peers outside the electorate */
  outsiders: Array<[string, VoteType]>
}

const voteArb = fc.constantFrom<VoteType>('for', 'against', 'abstain')
const choiceArb = fc.constantFrom<Choice>('for', 'against', 'abstain', 'missing')
const ratioArb: fc.Arbitrary<Ratio> = fc.integer({ min: 1, max: 100 })
  .chain(den => fc.tuple(fc.integer({ min: 0, max: den - 1 }), fc.constant(den)))

function scenarioArb (maxMembers = 30, choice: fc.Arbitrary<Choice> = choiceArb): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 0, max: maxMembers }).chain(n => {
    const indices = Array.from({ length: n }, (_, i) => i)
    const perMember = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(arb, { minLength: n, maxLength: n })
    return fc.record({
      ids: fc.constant(indices.map(i => `agent-${i}`)),
      weights: perMember(fc.integer({ min: 0, max: 10 })),
      choices: perMember(choice),
      ratio: ratioArb,
      order: fc.shuffledSubarray(indices, { minLength: n, maxLength: n }),
      order2: fc.shuffledSubarray(indices, { minLength: n, maxLength: n }),
      copies: perMember(fc.integer({ min: 1, max: 3 })),
      extra: perMember(choiceArb),
      outsiders: fc.array(fc.tuple(fc.string({ maxLength: 4 }).map(s => `outsider-${s}`), voteArb), { maxLength: 3 })
    })
  })
}

function electorateOf (s: Scenario): Map<string, number> {
  return new Map(s.ids.map((id, i) => [id, s.weights[i] ?? 0]))
}

/** The cast votes as a Map, inserted in `order` (plus outsiders, which must be ignored). */
function votesOf (s: Scenario, choices: readonly Choice[], order: readonly number[], outsiders = true): Map<string, VoteType> {
  const votes = new Map<string, VoteType>()
  if (outsiders) for (const [id, vote] of s.outsiders.slice(0, 1)) votes.set(id, vote)
  for (const i of order) {
    const choice = choices[i]
    if (choice !== undefined && choice !== 'missing') votes.set(s.ids[i] ?? '', choice)
  }
  if (outsiders) for (const [id, vote] of s.outsiders.slice(1)) votes.set(id, vote)
  return votes
}

function missingIndices (choices: readonly Choice[]): number[] {
  const out: number[] = []
  choices.forEach((c, i) => { if (c === 'missing') out.push(i) })
  return out
}

// ---------------------------------------------------------------------------------------------
// independent reference implementations (plain loops, no imports from src)
// ---------------------------------------------------------------------------------------------

function naiveTally (weights: readonly number[], choices: readonly Choice[]): Tally {
  const t: Tally = {
    electorateSize: 0,
    totalWeight: 0,
    forCount: 0,
    againstCount: 0,
    abstainCount: 0,
    forWeight: 0,
    againstWeight: 0,
    abstainWeight: 0
  }
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0
    t.electorateSize += 1
    t.totalWeight += w
    if (choices[i] === 'for') { t.forCount += 1; t.forWeight += w }
    if (choices[i] === 'against') { t.againstCount += 1; t.againstWeight += w }
    if (choices[i] === 'abstain') { t.abstainCount += 1; t.abstainWeight += w }
  }
  return t
}

/**
 * Threshold rule by exact integer comparison (all figures here are < 2^53): approved iff
 * for·den > num·total; pending iff not approved now but all missing voting for would approve;
 * otherwise rejected. An electorate of zero (weight) can never approve.
 */
function referenceThreshold (weights: readonly number[], choices: readonly Choice[], [num, den]: Ratio): Outcome {
  let total = 0
  let forPart = 0
  let missingPart = 0
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0
    total += w
    if (choices[i] === 'for') forPart += w
    if (choices[i] === 'missing') missingPart += w
  }
  if (total === 0) return 'rejected'
  if (forPart * den > num * total) return 'approved'
  if ((forPart + missingPart) * den > num * total) return 'pending'
  return 'rejected'
}

function referenceUnanimous (choices: readonly Choice[]): Outcome {
  if (choices.length === 0) return 'rejected'
  let allFor = true
  for (const c of choices) {
    if (c === 'against' || c === 'abstain') return 'rejected'
    if (c !== 'for') allFor = false
  }
  return allFor ? 'approved' : 'pending'
}

interface Spec {
  name: string
  algorithm: ConsensusAlgorithm
  params: (ratio: Ratio) => CborRecord
  reference: (s: Scenario, choices: readonly Choice[]) => Outcome
}

const ones = (n: number): number[] => Array.from({ length: n }, () => 1)

const specs: Spec[] = [
  {
    name: 'quorum',
    // the instance's own threshold (0.9) must not matter: the pinned params decide
    algorithm: new QuorumAlgorithm({ threshold: 0.9 }),
    params: ratio => ({ threshold: ratio }),
    reference: (s, choices) => referenceThreshold(ones(s.ids.length), choices, s.ratio)
  },
  {
    name: 'weighted',
    algorithm: new WeightedAlgorithm({ threshold: 0.1 }),
    params: ratio => ({ threshold: ratio }),
    reference: (s, choices) => referenceThreshold(s.weights, choices, s.ratio)
  },
  {
    name: 'unanimous',
    algorithm: new UnanimousAlgorithm(),
    params: () => ({}),
    reference: (_s, choices) => referenceUnanimous(choices)
  },
  {
    name: 'supermajority',
    algorithm: new SupermajorityAlgorithm(),
    params: () => ({}),
    reference: (s, choices) => referenceThreshold(s.weights, choices, [2, 3])
  }
]

function evaluate (spec: Spec, s: Scenario, votes: ReadonlyMap<string, VoteType>, tally?: Tally): AlgorithmEvaluation {
  const electorate = electorateOf(s)
  return spec.algorithm.evaluate({
    params: spec.params(s.ratio),
    tally: Object.freeze(tally ?? tallyVotes(electorate, votes)),
    electorate,
    votes,
    ballots: votes,
    choices: []
  })
}

const outcomeOf = (spec: Spec, s: Scenario, choices: readonly Choice[]): Outcome =>
  evaluate(spec, s, votesOf(s, choices, s.order)).outcome

// ---------------------------------------------------------------------------------------------
// tally properties (algorithm independent)
// ---------------------------------------------------------------------------------------------

describe('tally properties', () => {
  it('(c) tallyVotes equals a naive reference tally, ignoring outsiders', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      expect(tallyVotes(electorateOf(s), votesOf(s, s.choices, s.order))).toEqual(naiveTally(s.weights, s.choices))
    }), { numRuns: RUNS })
  })

  it('(a) incremental addToTally in any order equals tallyVotes in any order', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      const electorate = electorateOf(s)
      const incremental = emptyTally(electorate)
      for (const i of s.order2) {
        const choice = s.choices[i]
        if (choice !== undefined && choice !== 'missing') addToTally(incremental, choice, electorate.get(s.ids[i] ?? '') ?? NaN)
      }
      const batch1 = tallyVotes(electorate, votesOf(s, s.choices, s.order))
      const batch2 = tallyVotes(electorate, votesOf(s, s.choices, s.order2, false))
      expect(incremental).toEqual(batch1)
      expect(batch2).toEqual(batch1)
    }), { numRuns: RUNS })
  })

  it('(a) delivering the same vote several times into the Map is idempotent', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      const electorate = electorateOf(s)
      // every vote delivered copies[i] times, deliveries interleaved in two different orders
      const deliveries = s.order.flatMap(i => Array.from({ length: s.copies[i] ?? 1 }, () => i))
      const withDuplicates = new Map<string, VoteType>()
      for (const i of [...deliveries, ...[...deliveries].reverse()]) {
        const choice = s.choices[i]
        if (choice !== undefined && choice !== 'missing') withDuplicates.set(s.ids[i] ?? '', choice)
      }
      const deduplicated = votesOf(s, s.choices, s.order, false)
      expect(withDuplicates.size).toBe(deduplicated.size)
      // the core adds each distinct voter once
      const incremental = emptyTally(electorate)
      for (const [voter, choice] of deduplicated) addToTally(incremental, choice, electorate.get(voter) ?? NaN)
      expect(tallyVotes(electorate, withDuplicates)).toEqual(incremental)
      expect(tallyVotes(electorate, deduplicated)).toEqual(incremental)
    }), { numRuns: RUNS })
  })
})

// ---------------------------------------------------------------------------------------------
// per-algorithm properties
// ---------------------------------------------------------------------------------------------

describe.each(specs)('$name properties', spec => {
  it('(e) the outcome agrees with an independent exact-integer reference decision', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      expect(outcomeOf(spec, s, s.choices)).toBe(spec.reference(s, s.choices))
    }), { numRuns: RUNS })
  })

  it('(e) boundary-heavy: small electorates with ratios that often land exactly on the threshold', () => {
    const arb = fc.integer({ min: 0, max: 6 }).chain(n => {
      const indices = Array.from({ length: n }, (_, i) => i)
      const perMember = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(a, { minLength: n, maxLength: n })
      return fc.record({
        ids: fc.constant(indices.map(i => `agent-${i}`)),
        weights: perMember(fc.integer({ min: 0, max: 3 })),
        choices: perMember(choiceArb),
        ratio: fc.constantFrom<Ratio>([0, 1], [1, 2], [1, 3], [2, 3], [3, 5], [7, 10], [3, 4], [1, 4], [5, 6], [99, 100]),
        order: fc.shuffledSubarray(indices, { minLength: n, maxLength: n }),
        order2: fc.constant(indices),
        copies: fc.constant(indices.map(() => 1)),
        extra: perMember(choiceArb),
        outsiders: fc.constant<Array<[string, VoteType]>>([])
      })
    })
    fc.assert(fc.property(arb, s => {
      expect(outcomeOf(spec, s, s.choices)).toBe(spec.reference(s, s.choices))
    }), { numRuns: RUNS })
  })

  it('(a) the outcome does not depend on vote order, duplicates, outsiders or incremental tallying', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      const electorate = electorateOf(s)
      const first = evaluate(spec, s, votesOf(s, s.choices, s.order))
      const second = evaluate(spec, s, votesOf(s, s.choices, s.order2, false))
      const incremental = emptyTally(electorate)
      for (const i of s.order2) {
        const choice = s.choices[i]
        if (choice !== undefined && choice !== 'missing') addToTally(incremental, choice, electorate.get(s.ids[i] ?? '') ?? NaN)
      }
      const third = evaluate(spec, s, votesOf(s, s.choices, s.order2), incremental)
      const duplicated = new Map<string, VoteType>()
      for (const i of [...s.order2, ...s.order]) {
        const choice = s.choices[i]
        if (choice !== undefined && choice !== 'missing') duplicated.set(s.ids[i] ?? '', choice)
      }
      const fourth = evaluate(spec, s, duplicated)
      expect(second).toEqual(first)
      expect(third).toEqual(first)
      expect(fourth).toEqual(first)
    }), { numRuns: RUNS })
  })

  it('(b) a settled outcome stays the same for every superset of votes, vote by vote', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      let settled: Outcome | undefined
      const choices = [...s.choices]
      const check = (): void => {
        const outcome = outcomeOf(spec, s, choices)
        if (settled !== undefined) expect(outcome).toBe(settled)
        else if (outcome !== 'pending') settled = outcome
      }
      check()
      // the missing members vote later, in random order (some never do)
      for (const i of s.order2) {
        const later = s.extra[i]
        if (choices[i] === 'missing' && later !== undefined && later !== 'missing') {
          choices[i] = later
          check()
        }
      }
      // and if everyone finally votes, the settled outcome still holds
      for (let i = 0; i < choices.length; i++) if (choices[i] === 'missing') choices[i] = 'against'
      check()
    }), { numRuns: RUNS })
  })

  it('(b) pending is honest and settled is final: brute force over every completion of the missing votes', () => {
    const fewMissing = fc.oneof(
      { arbitrary: fc.constant<Choice>('missing'), weight: 1 },
      { arbitrary: voteArb as fc.Arbitrary<Choice>, weight: 4 }
    )
    fc.assert(fc.property(scenarioArb(16, fewMissing), s => {
      const missing = missingIndices(s.choices)
      fc.pre(missing.length <= 6)
      const seen = new Set<Outcome>()
      const options: VoteType[] = ['for', 'against', 'abstain']
      for (let code = 0; code < 3 ** missing.length; code++) {
        const completed = [...s.choices]
        let c = code
        for (const i of missing) { completed[i] = options[c % 3] ?? 'for'; c = Math.floor(c / 3) }
        seen.add(outcomeOf(spec, s, completed))
      }
      expect(seen.has('pending')).toBe(false)
      const outcome = outcomeOf(spec, s, s.choices)
      if (outcome === 'pending') {
        // some completion approves and some rejects: closing early would have been wrong
        expect([...seen].sort()).toEqual(['approved', 'rejected'])
      } else {
        // no completion could change it
        expect([...seen]).toEqual([outcome])
      }
    }), { numRuns: RUNS })
  })

  it('(d) when every member has voted, the outcome is never pending', () => {
    fc.assert(fc.property(scenarioArb(30, voteArb), s => {
      const outcome = outcomeOf(spec, s, s.choices)
      expect(outcome).not.toBe('pending')
      expect(outcome).toBe(spec.reference(s, s.choices))
    }), { numRuns: RUNS })
  })

  it('never approves an empty or weightless electorate; abstentions never approve', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      const zero = { ...s, weights: s.weights.map(() => 0) }
      const outcome = outcomeOf(spec, zero, zero.choices)
      if (spec.name === 'weighted' || spec.name === 'supermajority' || s.ids.length === 0) {
        expect(outcome).toBe('rejected')
      }
      // turning for votes into abstentions can never turn a non-approval into an approval
      const abstained = s.choices.map(c => c === 'for' ? 'abstain' : c)
      if (outcomeOf(spec, s, s.choices) !== 'approved') expect(outcomeOf(spec, s, abstained)).not.toBe('approved')
      // all-abstain is rejected
      expect(outcomeOf(spec, s, s.choices.map(() => 'abstain'))).toBe('rejected')
    }), { numRuns: RUNS })
  })

  it('is pure and reports figures consistent with the tally', () => {
    fc.assert(fc.property(scenarioArb(), s => {
      const votes = votesOf(s, s.choices, s.order)
      const before = [...votes]
      const a = evaluate(spec, s, votes)
      const b = evaluate(spec, s, votes)
      expect(b).toEqual(a)
      expect([...votes]).toEqual(before)
      const t = naiveTally(s.weights, s.choices)
      if (spec.name === 'weighted' || spec.name === 'supermajority') {
        expect(a.metadata?.weightedApproval).toBe(t.totalWeight === 0 ? 0 : t.forWeight / t.totalWeight)
      } else {
        expect(a.metadata?.approval).toBe(t.electorateSize === 0 ? 0 : t.forCount / t.electorateSize)
      }
      if (spec.name === 'quorum' || spec.name === 'weighted') expect(a.threshold).toBe(s.ratio[0] / s.ratio[1])
    }), { numRuns: RUNS })
  })
})

// ---------------------------------------------------------------------------------------------
// ratios
// ---------------------------------------------------------------------------------------------

function gcd (a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

describe('ratio properties', () => {
  it('thresholdToRatio(k / 10^j) is the reduced fraction k/10^j for up to 9 decimals, and parses back', () => {
    const arb = fc.integer({ min: 1, max: 9 }).chain(j => fc.tuple(fc.integer({ min: 0, max: 10 ** j - 1 }), fc.constant(j)))
    fc.assert(fc.property(arb, ([k, j]) => {
      const den = 10 ** j
      const g = gcd(k, den)
      const ratio = thresholdToRatio(k / den)
      expect(ratio).toEqual([k / g, den / g])
      expect(parseRatio(ratio)).toEqual(ratio)
    }), { numRuns: RUNS })
  })

  it('a quorum built from threshold k/10 approves exactly when for > k of 10 (no float slack)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 10 }), (k, f) => {
      const algorithm = new QuorumAlgorithm({ threshold: k / 10 })
      const electorate = new Map(Array.from({ length: 10 }, (_, i) => [`m${i}`, 1]))
      const votes = new Map<string, VoteType>(Array.from({ length: 10 }, (_, i) => [`m${i}`, i < f ? 'for' : 'against']))
      const { outcome } = algorithm.evaluate({ params: algorithm.params, tally: tallyVotes(electorate, votes), electorate, votes, ballots: votes, choices: [] })
      expect(outcome).toBe(f > k ? 'approved' : 'rejected')
    }), { numRuns: 200 })
  })

  it('parseRatio accepts exactly the integer pairs 0 ≤ n < d ≤ 10^9', () => {
    const component = fc.oneof(
      fc.integer({ min: -3, max: 120 }),
      fc.double({ noNaN: false }),
      fc.constantFrom(1_000_000_000, 1_000_000_001, 0.5, -0, Number.MAX_SAFE_INTEGER + 2)
    )
    fc.assert(fc.property(component, component, (num, den) => {
      const valid = Number.isInteger(num) && Number.isInteger(den) && num >= 0 && num < den && den <= 1_000_000_000
      if (valid) expect(parseRatio([num, den])).toEqual([num, den])
      else expect(() => parseRatio([num, den])).toThrow(InvalidParametersError)
    }), { numRuns: RUNS })
  })
})
