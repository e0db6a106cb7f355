import { InvalidParametersError } from '@libp2p/interface'
import { MAX_CHOICES, VoteType, type Ballot, type CborRecord, type VotingType } from '../../types.js'
import { parseRatio, thresholdToRatio, type Ratio } from '../ratio.js'
import { cmp, q, type Q } from './exact.js'
import { rank, score, tied, type CastBallot, type IrvRound, type Scored } from './score.js'
import { ballotProblem } from './validate.js'

/** A proposal's winning rule, as pinned in its algorithm parameters. */
export interface BallotRule {
  /** the winner must score more than this share of the eligible weight */
  threshold?: Ratio
  /** see `quorumType` */
  quorum?: Ratio
  /** `turnout`: the ballots (abstentions too) must weigh at least `quorum`; `rejection`: `rejectChoice` reaching `quorum` rejects */
  quorumType: 'turnout' | 'rejection'
  /** `rejection` only: the choice (1-based) that rejects the proposal once it scores `quorum` */
  rejectChoice?: number
  /** a tie at the top goes to the lower index, or leaves no winner */
  tieBreak: 'lowest-index' | 'none'
}

/** The winning rule as a request gives it: shares as decimals in [0, 1). */
export interface BallotRuleInit {
  /** the winner must score more than this share of the eligible weight (not for copeland) */
  threshold?: number
  /** share of the eligible weight that `quorumType` measures */
  quorum?: number
  /**
   * `turnout`: the ballots (abstentions too) must weigh at least `quorum`; `rejection`: the proposal
   * is rejected once `rejectChoice` scores `quorum`, else the best other choice wins
   * @default 'turnout'
   */
  quorumType?: 'turnout' | 'rejection'
  /** `rejection` only: the choice (1-based) whose score rejects the proposal */
  rejectChoice?: number
  /**
   * a tie at the top goes to the choice listed first, or leaves no winner
   * @default 'lowest-index'
   */
  tieBreak?: 'lowest-index' | 'none'
}

/** A counted ballot and its voter's weight. */
export interface CountedBallot {
  /** the voter's ballot */
  ballot: Ballot
  /** the voter's integer weight, as pinned in the proposal */
  weight: number
}

/** What a set of ballots gives under a rule. */
export interface BallotEvaluation {
  /** the decision once no missing ballot could change it (nor the winner), else `pending` */
  outcome: 'pending' | 'approved' | 'rejected'
  /** the decision if the vote ended now: `timeout` when there is no ballot at all */
  final: 'approved' | 'rejected' | 'timeout'
  /** the winner (1-based) under `final`; null unless approved */
  winner: number | null
  /** per choice, Snapshot's score (display) */
  scores: number[]
  /** weight of the valid ballots that name choices (Snapshot's valid total) */
  scoresTotal: number
  /** weight of every counted ballot, abstentions included */
  turnout: number
  /** every choice (1-based), best first */
  ranking: number[]
  /** ranked-choice: every instant-runoff round, in order */
  irvRounds?: IrvRound[]
}

const KEYS = new Set(['threshold', 'quorum', 'quorumType', 'rejectChoice', 'tieBreak'])

/** Check pinned rule parameters for `type` over `choiceCount` choices; throws `InvalidParametersError` saying what is wrong. */
export function parseRule (params: CborRecord, type: VotingType, choiceCount: number): BallotRule {
  for (const key of Object.keys(params)) if (!KEYS.has(key)) throw new InvalidParametersError(`unknown rule parameter ${key}`)
  const rule: BallotRule = { quorumType: 'turnout', tieBreak: 'lowest-index' }
  if (params.threshold !== undefined) {
    if (type === 'copeland') throw new InvalidParametersError('copeland scores are pairwise wins, not weight: it takes no threshold')
    rule.threshold = parseRatio(params.threshold, 'threshold')
  }
  if (params.quorum !== undefined) rule.quorum = parseRatio(params.quorum, 'quorum')
  if (params.quorumType !== undefined) {
    if (params.quorumType !== 'turnout' && params.quorumType !== 'rejection') throw new InvalidParametersError('quorumType must be turnout or rejection')
    rule.quorumType = params.quorumType
  }
  if (params.tieBreak !== undefined) {
    if (params.tieBreak !== 'lowest-index' && params.tieBreak !== 'none') throw new InvalidParametersError('tieBreak must be lowest-index or none')
    rule.tieBreak = params.tieBreak
  }
  if (rule.quorumType === 'rejection') {
    const c = params.rejectChoice
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > choiceCount) {
      throw new InvalidParametersError(`quorumType rejection needs rejectChoice, a choice from 1 to ${choiceCount}`)
    }
    if (rule.quorum === undefined) throw new InvalidParametersError('quorumType rejection needs a quorum')
    rule.rejectChoice = c
  } else if (params.rejectChoice !== undefined) {
    throw new InvalidParametersError('rejectChoice applies to quorumType rejection only')
  }
  return rule
}

/** The canonical parameters a rule is pinned as (absent options left out); throws `InvalidParametersError` on a bad option. */
export function ruleParams (init: BallotRuleInit, type: VotingType, choiceCount = MAX_CHOICES): CborRecord {
  const params: CborRecord = {}
  if (init.threshold !== undefined) params.threshold = thresholdToRatio(init.threshold, 'threshold')
  if (init.quorum !== undefined) params.quorum = thresholdToRatio(init.quorum, 'quorum')
  if (init.quorumType !== undefined) params.quorumType = init.quorumType
  if (init.rejectChoice !== undefined) params.rejectChoice = init.rejectChoice
  if (init.tieBreak !== undefined) params.tieBreak = init.tieBreak
  parseRule(params, type, choiceCount)
  return params
}

/** part/total ≥ num/den, exactly */
const reaches = (part: Q, total: number, [num, den]: Ratio): boolean => cmp({ n: part.n * BigInt(den), d: part.d }, q(BigInt(num) * BigInt(total))) >= 0
/** part/total > num/den, exactly */
const exceeds = (part: Q, total: number, [num, den]: Ratio): boolean => cmp({ n: part.n * BigInt(den), d: part.d }, q(BigInt(num) * BigInt(total))) > 0
const plus = (a: Q, m: number): Q => ({ n: a.n + BigInt(m) * a.d, d: a.d })

/** The types whose per-choice scores only grow as ballots come: a missing voter adds at most its weight to any one choice. */
const ADDITIVE = new Set<VotingType>(['single-choice', 'approval', 'weighted'])

/** The decision and winner if the vote ended with these ballots. */
/** A decision and its winner. */
interface Decided { final: BallotEvaluation['final'], winner: number | null }

function decide (scored: Scored, rule: BallotRule, order: number[], turnout: number, eligible: number): Decided {
  if (turnout === 0) return { final: 'timeout', winner: null }
  if (rule.quorum !== undefined) {
    if (rule.quorumType === 'turnout' && !reaches(q(turnout), eligible, rule.quorum)) return { final: 'rejected', winner: null }
    const against = scored.exact[(rule.rejectChoice ?? 0) - 1]
    if (rule.quorumType === 'rejection' && reaches(against as Q, eligible, rule.quorum)) return { final: 'rejected', winner: null }
  }
  const candidates = order.filter(c => c !== rule.rejectChoice)
  const top = candidates[0]
  if (top === undefined) return { final: 'rejected', winner: null }
  const second = candidates[1]
  if (rule.tieBreak === 'none' && second !== undefined && tied(scored, top, second)) return { final: 'rejected', winner: null }
  // with no threshold the winner still needs some support: abstentions alone, or a quorum of rejection missed
  // with nothing cast for the others, elect no one
  if (!exceeds(scored.exact[top - 1] as Q, eligible, rule.threshold ?? [0, 1])) return { final: 'rejected', winner: null }
  return { final: 'approved', winner: top }
}

/** Whether `leader` stays the unique top choice among `candidates` whatever ballots of weight `missing` still come. */
function leaderFixed (type: VotingType, scored: Scored, leader: number, candidates: number[], missing: number, eligible: number, firsts: number[]): boolean {
  const others = candidates.filter(c => c !== leader)
  switch (type) {
    case 'single-choice':
    case 'approval':
    case 'weighted':
      return others.every(c => cmp(scored.exact[leader - 1] as Q, plus(scored.exact[c - 1] as Q, missing)) > 0)
    case 'quadratic': {
      // a missing voter of weight w adds at most √w ≤ w to one choice's sum of roots (2^64 per unit, +1 for rounding)
      const bound = BigInt(missing) * ((1n << 64n) + 1n)
      const roots = scored.roots as bigint[]
      return others.every(c => (roots[leader - 1] as bigint) > (roots[c - 1] as bigint) + bound)
    }
    case 'ranked-choice':
      // more than half of all the eligible weight ranks it first: it wins the first round whatever comes
      return 2 * (firsts[leader - 1] ?? 0) > eligible
    case 'copeland': {
      // every pairwise result is beyond the reach of the missing weight, and the leader has the most victory points
      const margins = scored.margins as number[][]
      const victories = scored.victories as number[]
      for (let i = 0; i < margins.length; i++) {
        for (let j = i + 1; j < margins.length; j++) if (Math.abs((margins[i] as number[])[j] as number) <= missing) return false
      }
      return others.every(c => (victories[leader - 1] as number) > (victories[c - 1] as number))
    }
  }
}

/** The settled decision, or pending: a sufficient condition that no ballots of weight `missing` could change decision or winner. */
function settle (
  type: VotingType, scored: Scored, rule: BallotRule, order: number[], turnout: number, eligible: number, firsts: number[], decided: Decided
): BallotEvaluation['outcome'] {
  const missing = eligible - turnout
  if (turnout === 0) return 'pending'
  if (missing <= 0) return decided.final === 'timeout' ? 'pending' : decided.final
  const candidates = order.filter(c => c !== rule.rejectChoice)
  const additive = ADDITIVE.has(type)
  if (rule.quorum !== undefined && rule.quorumType === 'rejection') {
    if (!additive) return 'pending'
    const against = scored.exact[(rule.rejectChoice as number) - 1] as Q
    if (reaches(against, eligible, rule.quorum)) return 'rejected'
    if (reaches(plus(against, missing), eligible, rule.quorum)) return 'pending'
  }
  if (rule.threshold !== undefined) {
    if (!additive) return 'pending'
    // no choice could pass it any more
    if (candidates.every(c => !exceeds(plus(scored.exact[c - 1] as Q, missing), eligible, rule.threshold as Ratio))) return 'rejected'
  }
  if (rule.quorum !== undefined && rule.quorumType === 'turnout' && !reaches(q(turnout), eligible, rule.quorum)) return 'pending'
  const leader = candidates[0]
  if (leader === undefined || !leaderFixed(type, scored, leader, candidates, missing, eligible, firsts)) return 'pending'
  if (rule.threshold !== undefined && !exceeds(scored.exact[leader - 1] as Q, eligible, rule.threshold)) return 'pending'
  return decided.final === 'approved' && decided.winner === leader ? 'approved' : 'pending'
}

/**
 * Score counted ballots of `type` over `choiceCount` choices under `rule`, with `eligibleWeight` the
 * electorate's total weight. Invalid ballots are ignored (the network never counts one). Exact:
 * every peer on every engine gets the same decision and winner.
 */
export function evaluateBallots (
  type: VotingType, choiceCount: number, rule: BallotRule, ballots: Iterable<CountedBallot>, eligibleWeight: number
): BallotEvaluation {
  const cast: CastBallot[] = []
  let turnout = 0
  const firsts = new Array<number>(choiceCount).fill(0)
  for (const { ballot, weight } of ballots) {
    if (ballotProblem(type, ballot, choiceCount) !== undefined) continue
    turnout += weight
    if (ballot === VoteType.Abstain || (Array.isArray(ballot) && ballot.length === 0)) continue
    cast.push({ ballot: ballot as CastBallot['ballot'], weight })
    if (Array.isArray(ballot)) firsts[(ballot[0] as number) - 1] = (firsts[(ballot[0] as number) - 1] as number) + weight
  }
  const scored = score(type, choiceCount, cast)
  const order = rank(scored)
  const decided = decide(scored, rule, order, turnout, eligibleWeight)
  const outcome = settle(type, scored, rule, order, turnout, eligibleWeight, firsts, decided)
  return {
    outcome,
    final: decided.final,
    winner: decided.winner,
    scores: scored.display,
    scoresTotal: cast.reduce((t, b) => t + b.weight, 0),
    turnout,
    ranking: order,
    ...(scored.irvRounds !== undefined ? { irvRounds: scored.irvRounds } : {})
  }
}

/** What {@link snapshotScores} returns: Snapshot's two figures. */
export interface SnapshotScores {
  /** per choice, Snapshot's score */
  scores: number[]
  /** Snapshot's total: the weight of every vote (for copeland, of the valid votes) */
  scoresTotal: number
}

/**
 * Snapshot's `getScores()` and `getScoresTotal()` for its example votes (`choice` 1-based, `balance`
 * an integer power), computed with this module's exact code: invalid votes are ignored in the scores
 * and, as Snapshot does for every type but copeland, still counted in the total.
 */
export function snapshotScores (
  type: VotingType, choices: readonly string[], votes: ReadonlyArray<{ choice: unknown, balance: number }>
): SnapshotScores {
  const n = choices.length
  const valid = votes.filter(v => v.choice !== VoteType.Abstain && ballotProblem(type, v.choice, n) === undefined)
  const cast = valid.filter(v => !(Array.isArray(v.choice) && v.choice.length === 0))
    .map(v => ({ ballot: v.choice as CastBallot['ballot'], weight: v.balance }))
  const scored = score(type, n, cast)
  const all = (type === 'copeland' ? valid : votes).reduce((t, v) => t + v.balance, 0)
  return { scores: scored.display, scoresTotal: all }
}
