/**
 * The ballot scoring module against third-party vectors: Snapshot's voting examples and spec cases, and an
 * RCTab instant-runoff case. The vectors live outside the repo (../shared/vectors); without them this file skips.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ballotProblem, evaluateBallots, parseRule, snapshotScores } from '../src/algorithms/index.js'
import { SeededRandom } from '../src/testing/random.js'
import { readRctabRankings } from './helpers/rctab.js'
import type { VotingType } from '../src/types.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const VECTORS = path.resolve(ROOT, '..', 'shared', 'vectors')
const SNAPSHOT = path.join(VECTORS, 'snapshot')
const RCTAB = path.join(VECTORS, 'rctab', 'generic_csv_test')
const absent = (dir: string): string => `(skipped: vectors not found at ${dir})`

interface SnapshotVote { choice: unknown, balance: number }
interface SnapshotExample { proposal: { choices: string[] }, scores: number[], scoresTotal: number, votes: SnapshotVote[] }

const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T

/** Snapshot's file per voting type, and the key of its three-strategy variant in inline-cases.json. */
const FILES: Array<{ type: VotingType, file: string, variant?: string }> = [
  { type: 'single-choice', file: 'singleChoice.json', variant: 'singleChoice' },
  { type: 'approval', file: 'approval.json', variant: 'approval' },
  { type: 'ranked-choice', file: 'rankedChoice.json', variant: 'rankedChoice' },
  { type: 'weighted', file: 'weighted.json', variant: 'weighted' },
  { type: 'quadratic', file: 'quadratic.json', variant: 'quadratic' },
  { type: 'copeland', file: 'copeland.json' }
]

/**
 * Snapshot sums weighted, quadratic and copeland scores as floats in its own order (and quadratic through
 * Math.sqrt per vote); this module computes exact rationals (or fixed-point roots) and converts once, so
 * the last bits may differ. Single-choice, approval and ranked-choice are integer sums: compared exactly.
 */
const FLOAT_TYPES = new Set<VotingType>(['weighted', 'quadratic', 'copeland'])
const REL = 1e-9

function expectScores (type: VotingType, actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length)
  if (!FLOAT_TYPES.has(type)) {
    expect(actual).toEqual(expected)
    return
  }
  actual.forEach((a, i) => {
    const e = expected[i] as number
    expect(Math.abs(a - e), `choice ${i + 1}: ${a} vs ${e}`).toBeLessThanOrEqual(REL * Math.max(1, Math.abs(e)))
  })
}

/** A ballot invalid for `type` over `n` choices here and in Snapshot: out of range, duplicates, negative or zero shares, wrong shapes, partial rankings. */
function invalidBallot (type: VotingType, n: number, random: SeededRandom): unknown {
  const outOfRange = (): number => random.pick([0, -1, n + 1, 1000000])
  const perm = (): number[] => {
    const p = Array.from({ length: n }, (_, i) => i + 1)
    for (let i = p.length - 1; i > 0; i--) { const j = random.int(0, i); [p[i], p[j]] = [p[j] as number, p[i] as number] }
    return p
  }
  const wrongShape = random.pick<unknown>(['not-a-ballot', null, true, { 1: 1 }, [1], 1])
  switch (type) {
    case 'single-choice':
      return random.pick<unknown>([outOfRange(), outOfRange(), [1], 'one', null, { 1: 1 }])
    case 'approval':
      return random.pick<unknown>([[outOfRange()], [1, outOfRange()], [2, 2], [1, 3, 1], 'not-a-list', null, { 1: 1 }, 2])
    case 'ranked-choice':
    case 'copeland': {
      const p = perm()
      return random.pick<unknown>([
        p.slice(0, random.int(0, n - 1)), // partial (or empty) ranking
        [...p.slice(0, n - 1), p[0]], // a duplicate
        [...p.slice(0, n - 1), outOfRange()],
        [...p, n + 1],
        wrongShape === 1 || (Array.isArray(wrongShape) && n === 1) ? 'not-a-ranking' : wrongShape
      ])
    }
    case 'weighted':
    case 'quadratic':
      return random.pick<unknown>([
        { [String(outOfRange())]: 1 },
        { 1: 2, 2: -1 },
        { 1: 0, 2: 0 },
        {},
        { 1: 'one' },
        [1, 2],
        'not-a-map',
        null,
        3
      ])
  }
}

/** Insert `extra` at seeded random positions of `votes`. */
function mixIn<T> (votes: readonly T[], extra: readonly T[], random: SeededRandom): T[] {
  const out = [...votes]
  for (const e of extra) out.splice(random.int(0, out.length), 0, e)
  return out
}

/** 1-based index of the highest score, the lower index on a tie (Snapshot's selected winner). */
const argmax = (scores: number[]): number => scores.indexOf(Math.max(...scores)) + 1

const snapshotPresent = existsSync(SNAPSHOT)

describe.skipIf(!snapshotPresent)(`Snapshot examples ${snapshotPresent ? '' : absent(SNAPSHOT)}`, () => {
  const inline = snapshotPresent ? read<Record<string, any>>(path.join(SNAPSHOT, 'inline-cases.json')) : {}

  for (const { type, file, variant } of FILES) {
    describe(type, () => {
      const example = snapshotPresent ? read<SnapshotExample>(path.join(SNAPSHOT, file)) : undefined as unknown as SnapshotExample
      // copeland.json's own scores are stale; Snapshot's spec asserts its vitest snapshot (inline-cases.json)
      const expected = (): { scores: number[], scoresTotal: number } => type === 'copeland'
        ? { scores: inline.copeland_expected.getScores, scoresTotal: inline.copeland_expected.getScoresTotal }
        : { scores: example.scores, scoresTotal: example.scoresTotal }
      const variantExpected = (): { scores: number[], scoresTotal: number } => type === 'copeland'
        ? {
            scores: inline.copeland_expected.threeStrategies_balance3_scores111.getScores,
            scoresTotal: inline.copeland_expected.threeStrategies_balance3_scores111.getScoresTotal
          }
        : inline.threeStrategyVariants[variant as string]
      const choices = (): string[] => example.proposal.choices

      it('reproduces the example scores and total', () => {
        const got = snapshotScores(type, choices(), example.votes)
        expectScores(type, got.scores, expected().scores)
        expect(got.scoresTotal).toBe(expected().scoresTotal)
      })

      it('reproduces the three-strategy variant (balance 3)', () => {
        const votes = example.votes.map(v => ({ choice: v.choice, balance: 3 }))
        const got = snapshotScores(type, choices(), votes)
        expectScores(type, got.scores, variantExpected().scores)
        expect(got.scoresTotal).toBe(variantExpected().scoresTotal)
      })

      it('ignores 100 random invalid ballots mixed in', () => {
        for (const balance of [1, 3]) {
          const random = new SeededRandom(type.length * 7919 + balance)
          const n = choices().length
          const invalid = Array.from({ length: 100 }, () => ({ choice: invalidBallot(type, n, random), balance }))
          for (const v of invalid) expect(ballotProblem(type, v.choice, n), JSON.stringify(v.choice)).toBeTypeOf('string')
          const base = example.votes.map(v => ({ choice: v.choice, balance }))
          const want = balance === 1 ? expected() : variantExpected()
          const got = snapshotScores(type, choices(), mixIn(base, invalid, random))
          expectScores(type, got.scores, want.scores)
          // Snapshot's getScoresTotal counts every vote's balance, invalid ones too, except copeland's (valid votes only)
          expect(got.scoresTotal).toBe(want.scoresTotal + (type === 'copeland' ? 0 : 100 * balance))
        }
      })

      it('evaluateBallots with weights = balances elects Snapshot\'s top score and ranks as it does', () => {
        const n = choices().length
        const ballots = example.votes.map(v => ({ ballot: v.choice as never, weight: v.balance }))
        // the electorate is the voters whose ballots count: a voter with an invalid ballot has not voted (yet)
        const eligible = ballots.filter(b => ballotProblem(type, b.ballot, n) === undefined).reduce((t, b) => t + b.weight, 0)
        const result = evaluateBallots(type, n, parseRule({}, type, n), ballots, eligible)
        const want = expected().scores
        expect(result.final).toBe('approved')
        expect(result.outcome).toBe('approved')
        expect(result.winner).toBe(argmax(want))
        const order = want.map((_, i) => i + 1).sort((a, b) => (want[b - 1] as number) - (want[a - 1] as number) || a - b)
        expect(result.ranking).toEqual(order)
        expectScores(type, result.scores, want)
      })
    })
  }

  describe('ranked-choice getFinalRound cases (rankedChoice.spec.js)', () => {
    type FinalRoundCase = { name: string, votes: SnapshotVote[], expected: Array<[string, [number]]> }
    const cases = snapshotPresent ? inline.rankedChoice_getFinalRound.cases as FinalRoundCase[] : []
    for (const c of cases) {
      it(c.name, () => {
        const ballots = c.votes.map(v => ({ ballot: v.choice as number[], weight: v.balance }))
        const eligible = ballots.reduce((t, b) => t + b.weight, 0)
        const result = evaluateBallots('ranked-choice', 4, parseRule({}, 'ranked-choice', 4), ballots, eligible)
        const finalTallies = [0, 0, 0, 0]
        for (const [choice, [total]] of c.expected) finalTallies[Number(choice) - 1] = total
        const rounds = result.irvRounds ?? []
        expect(rounds.at(-1)?.tallies).toEqual(finalTallies)
        expect(rounds.at(-1)?.eliminated).toBeNull()
        expect(result.winner).toBe(Number(c.expected[0]?.[0]))
        expect(result.scores).toEqual(finalTallies)
      })
    }
  })

  describe('isValidChoice lists (rankedChoice.spec.js) through ballotProblem', () => {
    // copeland's isValidChoice has the same rule (a full permutation), so the lists hold for both types
    for (const type of ['ranked-choice', 'copeland'] as const) {
      it(type, () => {
        const lists = inline.rankedChoice_isValidChoice
        for (const ballot of lists.valid) expect(ballotProblem(type, ballot, 4), JSON.stringify(ballot)).toBeUndefined()
        expect(ballotProblem(type, lists.validSingleChoiceProposal.choice, lists.validSingleChoiceProposal.choices.length)).toBeUndefined()
        for (const [kind, ballots] of Object.entries(lists.invalid as Record<string, unknown[]>)) {
          for (const ballot of ballots) expect(ballotProblem(type, ballot, 4), `${kind} ${JSON.stringify(ballot)}`).toBeTypeOf('string')
        }
      })
    }
  })
})

const rctabPresent = existsSync(RCTAB)

describe.skipIf(!rctabPresent)(`RCTab generic_csv_test ${rctabPresent ? '' : absent(RCTAB)}`, () => {
  interface Round {
    round: number
    tally: Record<string, string>
    tallyResults: Array<{ eliminated?: string, elected?: string }>
    inactiveBallots: Record<string, string>
  }

  it('instant runoff reproduces RCTab\'s rounds 2–4 once the Write-In column is dropped; Cucumber wins', () => {
    const { candidates, rankings } = readRctabRankings(RCTAB)
    const ballots = rankings.map(ballot => ({ ballot, weight: 1 }))
    expect(ballots).toHaveLength(26)

    const report = read<{ results: Round[] }>(path.join(RCTAB, 'generic_csv_test_expected_detailed_report.json'))
    for (const r of report.results) expect(r.inactiveBallots.exhaustedChoices).toBe('0')
    const expected = report.results.filter(r => r.round >= 2).map(r => {
      const eliminated = r.tallyResults[0]?.eliminated
      return {
        tallies: candidates.map(c => Number(r.tally[c] ?? 0)),
        eliminated: eliminated === undefined ? null : candidates.indexOf(eliminated) + 1
      }
    })
    expect(expected).toHaveLength(3)

    const n = candidates.length
    const result = evaluateBallots('ranked-choice', n, parseRule({}, 'ranked-choice', n), ballots, ballots.length)
    expect(result.irvRounds).toEqual(expected)
    const elected = report.results.at(-1)?.tallyResults[0]?.elected
    expect(elected).toBe('Cucumber')
    expect(result.winner).toBe(candidates.indexOf(elected as string) + 1)
    expect(result.final).toBe('approved')
  })
})
