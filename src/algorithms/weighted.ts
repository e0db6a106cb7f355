import { InvalidParametersError } from '@libp2p/interface'
import { parseRatio, ratioToNumber, thresholdToRatio } from './ratio.js'
import { thresholdOutcome } from './threshold-rule.js'
import { MAX_WEIGHT, type AlgorithmEvaluation, type AlgorithmInput, type ConsensusAlgorithm } from './interface.js'
import type { CborRecord } from '../types.js'

/** Options of {@link WeightedAlgorithm}. */
export interface WeightedAlgorithmInit {
  /**
   * Approval needs strictly more than this share of the electorate's total weight voting for.
   *
   * @default 0.6
   */
  threshold?: number
  /** Integer weight per agent id (e.g. experts 3, juniors 1). Pinned into each proposal. */
  agentWeights?: Record<string, number>
  /**
   * Weight of an electorate member missing from `agentWeights`.
   *
   * @default 1
   */
  defaultWeight?: number
}

function checkWeight (weight: number, who: string): number {
  if (!Number.isSafeInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new InvalidParametersError(
      `weight of ${who} must be an integer in 0…${MAX_WEIGHT}, got ${weight} (scale fractional weights, e.g. 1.5 and 1 → 3 and 2)`
    )
  }
  return weight
}

/** Expert voting: each member's vote counts its weight; approved when weight for > threshold × total weight. */
export class WeightedAlgorithm implements ConsensusAlgorithm {
  readonly kind = 'weighted'
  readonly params: CborRecord
  private readonly agentWeights: Map<string, number>
  private readonly defaultWeight: number

  constructor (init: WeightedAlgorithmInit = {}) {
    this.params = { threshold: thresholdToRatio(init.threshold ?? 0.6) }
    this.agentWeights = new Map(Object.entries(init.agentWeights ?? {}).map(([id, w]) => [id, checkWeight(w, id)]))
    this.defaultWeight = checkWeight(init.defaultWeight ?? 1, 'defaultWeight')
  }

  weights (electorate: readonly string[]): Map<string, number> {
    return new Map(electorate.map(id => [id, this.agentWeights.get(id) ?? this.defaultWeight]))
  }

  validateParams (params: CborRecord): void {
    parseRatio(params.threshold)
  }

  evaluate ({ params, tally }: AlgorithmInput): AlgorithmEvaluation {
    const ratio = parseRatio(params.threshold)
    const cast = tally.forWeight + tally.againstWeight + tally.abstainWeight
    return {
      outcome: thresholdOutcome(tally.forWeight, cast, tally.totalWeight, ratio),
      threshold: ratioToNumber(ratio),
      metadata: { weightedApproval: tally.totalWeight === 0 ? 0 : tally.forWeight / tally.totalWeight }
    }
  }
}

/** Shorthand for `new WeightedAlgorithm(init)`. */
export function weighted (init?: WeightedAlgorithmInit): WeightedAlgorithm {
  return new WeightedAlgorithm(init)
}
