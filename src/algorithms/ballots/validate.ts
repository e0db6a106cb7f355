import { InvalidParametersError } from '@libp2p/interface'
import { MAX_CHOICE_LENGTH, MAX_CHOICES, VoteType, type VotingType } from '../../types.js'
import { MAX_SHARE, SHARE_DECIMALS, shareUnits } from './exact.js'

const isIndex = (c: unknown, n: number): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 1 && c <= n

function indexProblem (c: unknown, n: number): string | undefined {
  if (typeof c !== 'number' || !Number.isInteger(c)) return `${JSON.stringify(c)} is not a choice index`
  return isIndex(c, n) ? undefined : `choice ${c} is out of range 1..${n}`
}

function listProblem (ballot: unknown[], n: number): string | undefined {
  const seen = new Set<number>()
  for (const c of ballot) {
    const problem = indexProblem(c, n)
    if (problem !== undefined) return problem
    if (seen.has(c as number)) return `it lists choice ${String(c)} twice`
    seen.add(c as number)
  }
  return undefined
}

/**
 * Why `ballot` is not a valid ballot of `type` over `choiceCount` choices, or `undefined` when it is.
 * `'abstain'` is valid for every type. Otherwise Snapshot's rules: single-choice one index; approval
 * distinct indices (none is allowed); ranked-choice and copeland every index once, best first;
 * weighted and quadratic a map of index → share, shares ≥ 0 and some > 0 (here also: at most
 * 10⁹ and 6 decimal places, so that they are read exactly).
 */
export function ballotProblem (type: VotingType, ballot: unknown, choiceCount: number): string | undefined {
  if (ballot === VoteType.Abstain) return undefined
  const n = choiceCount
  switch (type) {
    case 'single-choice':
      return typeof ballot === 'number' ? indexProblem(ballot, n) : 'a single-choice ballot is one choice index'
    case 'approval':
      return Array.isArray(ballot) ? listProblem(ballot, n) : 'an approval ballot is a list of choice indices'
    case 'ranked-choice':
    case 'copeland': {
      if (!Array.isArray(ballot)) return `a ${type} ballot is a ranking: a list of choice indices, best first`
      const problem = listProblem(ballot, n)
      if (problem !== undefined) return problem.replace('it lists', 'the ranking repeats').replace(' twice', '')
      return ballot.length === n ? undefined : `a ${type} ballot ranks all ${n} choices; got ${ballot.length}`
    }
    case 'weighted':
    case 'quadratic': {
      if (typeof ballot !== 'object' || ballot === null || Array.isArray(ballot)) return `a ${type} ballot is a map of choice index → share`
      const entries = Object.entries(ballot)
      if (entries.length === 0) return `a ${type} ballot gives a share to at least one choice`
      let positive = false
      for (const [key, share] of entries) {
        if (!isIndex(Number(key), n) || String(Number(key)) !== key) return `choice ${key} is out of range 1..${n}`
        if (typeof share !== 'number' || !Number.isFinite(share)) return `share of choice ${key} is not a number`
        if (share < 0) return `share of choice ${key} is negative`
        if (share > MAX_SHARE) return `share of choice ${key} is above ${MAX_SHARE}`
        if (shareUnits(share) === undefined) return `share ${share} has more than ${SHARE_DECIMALS} decimal places`
        if (share > 0) positive = true
      }
      return positive ? undefined : 'shares are all zero'
    }
    default:
      return `unknown voting type ${String(type)}`
  }
}

/** Whether `ballot` is a valid ballot of `type` (see {@link ballotProblem}). */
export function isValidBallot (type: VotingType, ballot: unknown, choiceCount: number): boolean {
  return ballotProblem(type, ballot, choiceCount) === undefined
}

/** A proposal's choices, checked: 1…64 distinct non-empty strings of at most 128 characters; throws `InvalidParametersError` saying which is wrong. */
export function checkChoices (choices: unknown): string[] {
  if (!Array.isArray(choices) || choices.length === 0 || choices.length > MAX_CHOICES) {
    throw new InvalidParametersError(`choices must be a list of 1 to ${MAX_CHOICES} strings`)
  }
  const seen = new Set<string>()
  choices.forEach((c, i) => {
    if (typeof c !== 'string' || c.length === 0 || c.length > MAX_CHOICE_LENGTH) {
      throw new InvalidParametersError(`choice ${i + 1} must be a non-empty string of at most ${MAX_CHOICE_LENGTH} characters, got ${JSON.stringify(c)}`)
    }
    if (seen.has(c)) throw new InvalidParametersError(`choice ${JSON.stringify(c)} is listed twice`)
    seen.add(c)
  })
  return choices as string[]
}
