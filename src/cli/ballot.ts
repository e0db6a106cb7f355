/**
 * The `--vote` flag of `agent`, `hub` and `propose`: read once into a {@link BallotFlag}, then fitted to
 * each proposal asked about (a {@link VoteType} on a binary one, a ballot of its voting type on one with
 * choices). A flag that cannot fit a proposal says why, and the peer does not vote on that one.
 */
import { InvalidArgumentError } from 'commander'
import { ballotProblem } from '../algorithms/ballots/validate.js'
import { MAX_CHOICES, VoteType, type Ballot, type VotingType } from '../types.js'
import type { Voter } from '../core/options.js'
import type { ProposalView } from '../core/results.js'

/** What `--vote` said, before a proposal gives it a meaning. */
export type BallotFlag =
  | { kind: 'vote', vote: VoteType }
  | { kind: 'random' }
  | { kind: 'index', index: number }
  | { kind: 'list', list: number[] }
  | { kind: 'shares', shares: Record<string, number> }

/** The forms `--vote` takes, for help and error text. */
export const BALLOT_FORMS = 'for, against, abstain, a choice index (2), a list of indices (2,1,3) or shares (1:2,3:1)'

const INDEX = /^\d+$/
const LIST = /^\d+(,\d+)+$/
const SHARES = /^\d+:[\d.]+(,\d+:[\d.]+)*$/

/** `--vote`: a {@link BallotFlag}; `random` only where the command allows it. Throws commander's `InvalidArgumentError` saying what is expected. */
export function parseBallotFlag (text: string, allowRandom = false): BallotFlag {
  const compact = text.replace(/\s+/g, '')
  const forms = allowRandom ? `${BALLOT_FORMS}, or random` : BALLOT_FORMS
  if (compact === 'for' || compact === 'against' || compact === 'abstain') return { kind: 'vote', vote: compact }
  if (compact === 'random' && allowRandom) return { kind: 'random' }
  let flag: BallotFlag
  let problem: string | undefined
  if (INDEX.test(compact)) {
    flag = { kind: 'index', index: Number(compact) }
    problem = ballotProblem('single-choice', flag.index, MAX_CHOICES)
  } else if (LIST.test(compact)) {
    flag = { kind: 'list', list: compact.split(',').map(Number) }
    problem = ballotProblem('approval', flag.list, MAX_CHOICES)
  } else if (SHARES.test(compact)) {
    const shares: Record<string, number> = {}
    for (const entry of compact.split(',')) {
      const [key = '', share = ''] = entry.split(':')
      const index = String(Number(key))
      if (shares[index] !== undefined) problem ??= `choice ${index} has two shares`
      shares[index] = share === '' || share === '.' ? Number.NaN : Number(share)
    }
    flag = { kind: 'shares', shares }
    problem ??= ballotProblem('weighted', shares, MAX_CHOICES)
  } else {
    throw new InvalidArgumentError(`expected ${forms}; got ${JSON.stringify(text)}.`)
  }
  if (problem !== undefined) {
    const range = problem.includes('out of range') ? ` (choices are numbered from 1, ${MAX_CHOICES} at most)` : ''
    throw new InvalidArgumentError(`${problem}${range}; got ${JSON.stringify(text)}.`)
  }
  return flag
}

/** The flag as it was written (`2,1,3`, `1:2,3:1`), for the lines the CLI prints. */
export function ballotFlagText (flag: BallotFlag): string {
  switch (flag.kind) {
    case 'vote': return flag.vote
    case 'random': return 'random'
    case 'index': return String(flag.index)
    case 'list': return flag.list.join(',')
    case 'shares': return Object.entries(flag.shares).map(([k, s]) => `${k}:${s}`).join(',')
  }
}

/** A ballot as people write it on the command line (the inverse of {@link parseBallotFlag}). */
export function ballotText (ballot: Ballot): string {
  if (typeof ballot === 'string' || typeof ballot === 'number') return String(ballot)
  if (Array.isArray(ballot)) return ballot.length === 0 ? '(none)' : ballot.join(',')
  return Object.entries(ballot).map(([k, s]) => `${k}:${s}`).join(',')
}

/** Either the ballot to cast on a proposal, or why the flag cannot be one. */
export type FittedBallot = { ballot: Ballot } | { problem: string }

/**
 * The ballot `flag` means on `proposal`. A choice index also fits approval (approve just it) and
 * weighted or quadratic (all of the voter's power to it); a list fits approval, ranked-choice and
 * copeland; shares fit weighted and quadratic; `abstain` fits every proposal. `random` draws a valid
 * ballot of the proposal's type.
 */
export function fitBallot (flag: BallotFlag, proposal: Pick<ProposalView, 'choices' | 'votingType'>, random: () => number = Math.random): FittedBallot {
  const n = proposal.choices.length
  const type = proposal.votingType
  if (n === 0 || type === undefined) {
    if (flag.kind === 'vote') return { ballot: flag.vote }
    if (flag.kind === 'random') return { ballot: (['for', 'against', 'abstain'] as const)[Math.floor(random() * 3)] as VoteType }
    return { problem: `--vote ${ballotFlagText(flag)} is a ballot over choices, and this proposal is binary (for, against or abstain)` }
  }
  const ballot = flag.kind === 'random' ? randomBallot(type, n, random) : choiceBallot(flag, type)
  if (ballot === undefined) return { problem: `--vote ${ballotFlagText(flag)} does not fit a ${type} proposal: ${expectedBallot(type)}` }
  const problem = ballotProblem(type, ballot, n)
  if (problem !== undefined) return { problem: `--vote ${ballotFlagText(flag)} does not fit this ${type} proposal over ${n} choices: ${problem}` }
  return { ballot }
}

function choiceBallot (flag: Exclude<BallotFlag, { kind: 'random' }>, type: VotingType): Ballot | undefined {
  if (flag.kind === 'vote') return flag.vote === 'abstain' ? 'abstain' : undefined
  switch (type) {
    case 'single-choice':
      return flag.kind === 'index' ? flag.index : undefined
    case 'approval':
      if (flag.kind === 'index') return [flag.index]
      return flag.kind === 'list' ? flag.list : undefined
    case 'ranked-choice':
    case 'copeland':
      return flag.kind === 'list' ? flag.list : undefined
    case 'weighted':
    case 'quadratic':
      if (flag.kind === 'index') return { [String(flag.index)]: 1 }
      return flag.kind === 'shares' ? flag.shares : undefined
  }
}

/** What a ballot of `type` looks like on the command line. */
function expectedBallot (type: VotingType): string {
  switch (type) {
    case 'single-choice': return 'it takes one choice index such as --vote 2, or abstain'
    case 'approval': return 'it takes the indices approved, such as --vote 1,3 (or one, --vote 2), or abstain'
    case 'ranked-choice':
    case 'copeland': return 'it takes a ranking of every choice, best first, such as --vote 2,1,3, or abstain'
    case 'weighted':
    case 'quadratic': return 'it takes shares such as --vote 1:2,3:1 (or one index, --vote 2), or abstain'
  }
}

/** A valid ballot of `type` over `n` choices, drawn with `random` (for `--vote random`). */
function randomBallot (type: VotingType, n: number, random: () => number): Ballot {
  const pick = (): number => 1 + Math.floor(random() * n)
  const shuffled = (): number[] => {
    const list = Array.from({ length: n }, (_, i) => i + 1)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[list[i], list[j]] = [list[j] as number, list[i] as number]
    }
    return list
  }
  switch (type) {
    case 'single-choice': return pick()
    case 'approval': return shuffled().slice(0, pick()).sort((a, b) => a - b)
    case 'ranked-choice':
    case 'copeland': return shuffled()
    case 'weighted':
    case 'quadratic': {
      const shares: Record<string, number> = { [String(pick())]: 1 }
      for (let c = 1; c <= n; c++) if (random() < 0.5) shares[String(c)] = (shares[String(c)] ?? 0) + 1
      return shares
    }
  }
}

/** What a {@link ballotVoter} tells its command. */
export interface BallotVoterEvents {
  /** it votes `ballot` on `proposal` */
  onVote?: (proposal: ProposalView, ballot: Ballot) => void
  /** the flag does not fit `proposal`: it does not vote on it, and `line` says why */
  onMisfit?: (proposal: ProposalView, line: string) => void
}

/** A voter that answers every proposal with `flag` fitted to it, and leaves alone (saying so) those it does not fit. */
export function ballotVoter (flag: BallotFlag, events: BallotVoterEvents = {}): Voter {
  return (proposal) => {
    const fitted = fitBallot(flag, proposal)
    if ('problem' in fitted) {
      events.onMisfit?.(proposal, `not voting on ${proposal.id.slice(0, 8)}: ${fitted.problem}`)
      return undefined
    }
    events.onVote?.(proposal, fitted.ballot)
    return fitted.ballot
  }
}
