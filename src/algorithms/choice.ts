import { evaluateBallots, parseRule, ruleParams, type BallotRuleInit, type CountedBallot } from './ballots/index.js'
import { ratioToNumber, type Ratio } from './ratio.js'
import { ballotKind, MAX_CHOICES, VotingType, type CborRecord, type CborValue } from '../types.js'
import type { AlgorithmEvaluation, AlgorithmInput, ConsensusAlgorithm } from './interface.js'

/**
 * A voting type over a proposal's choices, with its winning rule: scores like Snapshot's, decides
 * exactly. The decision is `approved` when a choice wins (see `winner`), `rejected` when none does
 * (quorum or threshold missed, a quorum of rejection met, an unbroken tie), `timeout` when nobody voted.
 *
 * @example
 * ```ts
 * const board = new ChoiceAlgorithm('ranked-choice', { quorum: 0.5 })
 * ```
 */
export class ChoiceAlgorithm implements ConsensusAlgorithm {
  /** `ballot/<votingType>`: a proposal pins this kind */
  readonly kind: string
  /** the voting type this instance scores */
  readonly votingType: VotingType
  readonly params: CborRecord

  constructor (votingType: VotingType, init: BallotRuleInit = {}) {
    this.votingType = votingType
    this.kind = ballotKind(votingType)
    this.params = ruleParams(init, votingType)
  }

  validateParams (params: CborRecord): void {
    parseRule(params, this.votingType, MAX_CHOICES)
  }

  evaluate ({ params, tally, electorate, ballots, choices }: AlgorithmInput): AlgorithmEvaluation {
    const rule = parseRule(params, this.votingType, choices.length)
    const counted: CountedBallot[] = []
    for (const [voter, ballot] of ballots) counted.push({ ballot, weight: electorate.get(voter) ?? 0 })
    const result = evaluateBallots(this.votingType, choices.length, rule, counted, tally.totalWeight)
    const metadata: Record<string, CborValue> = { votingType: this.votingType, scoresTotal: result.scoresTotal, turnout: result.turnout }
    if (result.irvRounds !== undefined) {
      metadata.irvRounds = result.irvRounds.map(r => r.tallies)
      // the choice eliminated after each round (0 after the last)
      metadata.irvEliminated = result.irvRounds.map(r => r.eliminated ?? 0)
    }
    return {
      outcome: result.outcome,
      final: result.final,
      winner: result.winner,
      scores: result.scores,
      ranking: result.ranking,
      threshold: rule.threshold === undefined ? 0 : ratioToNumber(rule.threshold as Ratio),
      metadata
    }
  }
}

/** Single-choice voting: one choice per ballot. */
export const singleChoice = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.SingleChoice, init)
/** Approval voting: any subset of the choices. */
export const approval = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.Approval, init)
/** Ranked-choice voting: full rankings, instant runoff. */
export const rankedChoice = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.RankedChoice, init)
/** Weighted voting: shares over choices (named so as not to clash with the binary `weighted`). */
export const weightedChoice = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.Weighted, init)
/** Quadratic voting: shares over choices, scored by square roots. */
export const quadratic = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.Quadratic, init)
/** Copeland: full rankings, pairwise wins. */
export const copeland = (init?: BallotRuleInit): ChoiceAlgorithm => new ChoiceAlgorithm(VotingType.Copeland, init)

/** The six voting types under their kinds (`ballot/single-choice`, …), with the default rule (the top choice wins; ties to the lower index). */
export function choiceAlgorithms (): Record<string, ChoiceAlgorithm> {
  return Object.fromEntries(Object.values(VotingType).map(type => [ballotKind(type), new ChoiceAlgorithm(type)]))
}
