import { parseRatio, ratioToNumber, thresholdToRatio } from './ratio.js'
import { thresholdOutcome } from './threshold-rule.js'
import type { AlgorithmEvaluation, AlgorithmInput, ConsensusAlgorithm } from './interface.js'
import type { CborRecord } from '../types.js'

/** Options of {@link QuorumAlgorithm}. */
export interface QuorumAlgorithmInit {
  /**
   * Approval needs strictly more than this share of the eligible electorate voting for.
   *
   * @default 0.5
   */
  threshold?: number
}

/** Simple majority: one member, one vote; approved when `for` > threshold × electorate size. */
export class QuorumAlgorithm implements ConsensusAlgorithm {
  readonly kind = 'quorum'
  readonly params: CborRecord

  constructor (init: QuorumAlgorithmInit = {}) {
    this.params = { threshold: thresholdToRatio(init.threshold ?? 0.5) }
  }

  validateParams (params: CborRecord): void {
    parseRatio(params.threshold)
  }

  evaluate ({ params, tally }: AlgorithmInput): AlgorithmEvaluation {
    const ratio = parseRatio(params.threshold)
    const cast = tally.forCount + tally.againstCount + tally.abstainCount
    return {
      outcome: thresholdOutcome(tally.forCount, cast, tally.electorateSize, ratio),
      threshold: ratioToNumber(ratio),
      metadata: { approval: tally.electorateSize === 0 ? 0 : tally.forCount / tally.electorateSize }
    }
  }
}

/** Shorthand for `new QuorumAlgorithm(init)`. */
export function quorum (init?: QuorumAlgorithmInit): QuorumAlgorithm {
  return new QuorumAlgorithm(init)
}
