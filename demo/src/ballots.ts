/**
 * Ballots over choices as the demo makes, reads and colours them: a preference order turned into a
 * valid ballot of any voting type, the simulated crowd's preferences (drawn from a seed), a ballot
 * typed by hand ("2,1,3", "1:2,3:1") parsed and checked, and one colour per first choice.
 * Browser-safe: the page, its worker and the Node agents share it.
 */
import { VoteType, VotingType, ballotProblem, type Ballot } from '../../src/index.js'
import { SeededRandom } from '../../src/testing/index.js'

/** How many choice colours the theme defines (`--c1` … `--c6`); later choices reuse them. */
export const CHOICE_COLOURS = 6

/** What an agent's dot is filled with: its binary vote, or the colour of its first choice. */
export type Mark = 'for' | 'against' | 'abstain' | `c${number}`

/** The colour slot (`c1` … `c6`) of choice `index` (1-based). */
export function choiceMark (index: number): Mark {
  return `c${((index - 1) % CHOICE_COLOURS) + 1}`
}

/** The mark of any vote: a binary value as is, a ballot by its first choice, an abstention (or an empty approval) as abstain. */
export function markOf (vote: Ballot | undefined): Mark | undefined {
  if (vote === undefined) return undefined
  if (vote === 'for' || vote === 'against' || vote === 'abstain') return vote
  const first = firstChoice(vote)
  return first === undefined ? 'abstain' : choiceMark(first)
}

/** The choice a ballot puts first: the one choice, the first listed, or the largest share (the lower index on a tie). */
export function firstChoice (ballot: Ballot): number | undefined {
  if (typeof ballot === 'number') return ballot
  if (Array.isArray(ballot)) return ballot[0]
  if (typeof ballot !== 'object') return undefined
  let best: number | undefined
  let share = 0
  for (const [key, value] of Object.entries(ballot)) {
    const index = Number(key)
    if (value > share || (value === share && value > 0 && best !== undefined && index < best)) { best = index; share = value }
  }
  return best
}

/**
 * A valid ballot of `type` from a full preference order (best first): the favourite; the top two
 * approved; the whole order as a ranking; shares 3 : 1 to the top two.
 */
export function ballotFrom (type: VotingType, order: number[]): Ballot {
  const [first = 1, second] = order
  switch (type) {
    case VotingType.SingleChoice: return first
    case VotingType.Approval: return second === undefined ? [first] : [first, second]
    case VotingType.RankedChoice:
    case VotingType.Copeland: return [...order]
    case VotingType.Weighted:
    case VotingType.Quadratic: return second === undefined ? { [first]: 1 } : { [first]: 3, [second]: 1 }
  }
}

/** How popular each choice is as a first preference, most popular first (the rest share what is left). */
const POPULARITY = [0.34, 0.3, 0.22, 0.14]

/**
 * Simulated agent `index`'s ballot on a proposal with `n` choices: a first choice drawn by
 * popularity, then the others nearest first (an agent who likes plan B likes A and C more than D),
 * so an instant runoff moves votes as people expect. One in twenty abstains. Drawn from the seed,
 * the agent and the proposal id, like the binary crowd's votes, so a replay votes alike.
 */
export function crowdBallot (seed: number, index: number, proposalId: string, type: VotingType, n: number): Ballot {
  const random = new SeededRandom(seed * 7_919 + index * 104_729 + parseInt(proposalId.slice(0, 8), 16) + 17)
  if (random.next() < 0.05) return VoteType.Abstain
  const weights = Array.from({ length: n }, (_, i) => POPULARITY[i] ?? 0.1)
  let r = random.next() * weights.reduce((a, b) => a + b, 0)
  let first = n
  for (const [i, w] of weights.entries()) {
    if (r < w) { first = i + 1; break }
    r -= w
  }
  const others = Array.from({ length: n }, (_, i) => i + 1).filter(c => c !== first)
  // nearest first; between two equally near, a coin per agent
  const lean = random.next() < 0.5 ? -1 : 1
  others.sort((a, b) => Math.abs(a - first) - Math.abs(b - first) || lean * (a - b))
  return ballotFrom(type, [first, ...others])
}

/** What to type for a ballot of `type`, as a placeholder. */
export function ballotHint (type: VotingType, n: number): string {
  const ranking = Array.from({ length: n }, (_, i) => i + 1).reverse().join(',')
  switch (type) {
    case VotingType.SingleChoice: return '1'
    case VotingType.Approval: return n > 1 ? '1,2' : '1'
    case VotingType.RankedChoice:
    case VotingType.Copeland: return ranking
    case VotingType.Weighted:
    case VotingType.Quadratic: return n > 1 ? '1:2,2:1' : '1:1'
  }
}

/**
 * Read a typed ballot of `type` over `n` choices: `abstain`; one index; indices separated by commas
 * (approval: empty approves none; rankings best first); `index:share` pairs for weighted and
 * quadratic. Returns the ballot, or why it is not one (the library's own check, so the words match).
 */
export function parseBallot (type: VotingType, text: string, n: number): { ballot: Ballot } | { problem: string } {
  const input = text.trim()
  if (input.toLowerCase() === 'abstain') return { ballot: VoteType.Abstain }
  const parts = input === '' ? [] : input.split(/[\s,;]+/).filter(p => p !== '')
  let ballot: Ballot
  if (type === VotingType.Weighted || type === VotingType.Quadratic) {
    const shares: Record<string, number> = {}
    for (const part of parts) {
      const [key, value, extra] = part.split(':')
      if (key === undefined || value === undefined || extra !== undefined || key === '' || value === '') {
        return { problem: `"${part}" is not index:share (e.g. 1:2)` }
      }
      if (shares[key] !== undefined) return { problem: `choice ${key} is given twice` }
      shares[key] = Number(value)
    }
    ballot = shares
  } else {
    const indices = parts.map(Number)
    const bad = parts.find((p, i) => !Number.isInteger(indices[i]) || !/^\d+$/.test(p))
    if (bad !== undefined) return { problem: `"${bad}" is not a choice number` }
    if (type === VotingType.SingleChoice) {
      if (indices.length !== 1) return { problem: 'a single-choice ballot is one choice number' }
      ballot = indices[0] as number
    } else {
      ballot = indices
    }
  }
  const problem = ballotProblem(type, ballot, n)
  return problem === undefined ? { ballot } : { problem }
}

/** A ballot as people write it: `plan B`, `B > A > C`, `A, C`, `A 3 · C 1`. */
export function describeBallot (ballot: Ballot, choices: string[]): string {
  const name = (i: number): string => choices[i - 1] ?? `#${i}`
  if (typeof ballot === 'string') return ballot
  if (typeof ballot === 'number') return name(ballot)
  if (Array.isArray(ballot)) return ballot.length === 0 ? 'none' : ballot.map(name).join(' > ')
  return Object.entries(ballot).map(([k, v]) => `${name(Number(k))} ${v}`).join(' · ')
}
