import { Outcome, type AlgorithmEvaluation, type AlgorithmInput, type ConsensusAlgorithm } from './interface.js'

/**
 * Every eligible member must vote for. One vote against or abstain settles it as rejected; an empty
 * electorate cannot approve anything.
 */
export class UnanimousAlgorithm implements ConsensusAlgorithm {
  readonly kind = 'unanimous'
  readonly params = {}

  evaluate ({ tally }: AlgorithmInput): AlgorithmEvaluation {
    let outcome: Outcome = Outcome.Pending
    if (tally.electorateSize === 0 || tally.againstCount + tally.abstainCount > 0) outcome = Outcome.Rejected
    else if (tally.forCount === tally.electorateSize) outcome = Outcome.Approved
    return { outcome, threshold: 1, metadata: { approval: tally.electorateSize === 0 ? 0 : tally.forCount / tally.electorateSize } }
  }
}

/** Shorthand for `new UnanimousAlgorithm()`. */
export function unanimous (): UnanimousAlgorithm {
  return new UnanimousAlgorithm()
}
