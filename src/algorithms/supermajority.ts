import { ratioToNumber, type Ratio } from './ratio.js'
import { thresholdOutcome } from './threshold-rule.js'
import type { AlgorithmEvaluation, AlgorithmInput, ConsensusAlgorithm } from './interface.js'

const TWO_THIRDS: Ratio = [2, 3]

/**
 * The BFT rule: strictly more than 2/3 of the eligible weight for (n ≥ 3f + 1 tolerates f faulty).
 * Weights are 1 each unless the coordinator's electorate says otherwise.
 */
export class SupermajorityAlgorithm implements ConsensusAlgorithm {
  readonly kind = 'supermajority'
  readonly params = {}

  evaluate ({ tally }: AlgorithmInput): AlgorithmEvaluation {
    const cast = tally.forWeight + tally.againstWeight + tally.abstainWeight
    return {
      outcome: thresholdOutcome(tally.forWeight, cast, tally.totalWeight, TWO_THIRDS),
      threshold: ratioToNumber(TWO_THIRDS),
      metadata: { weightedApproval: tally.totalWeight === 0 ? 0 : tally.forWeight / tally.totalWeight }
    }
  }
}

/** Shorthand for `new SupermajorityAlgorithm()`. */
export function supermajority (): SupermajorityAlgorithm {
  return new SupermajorityAlgorithm()
}
