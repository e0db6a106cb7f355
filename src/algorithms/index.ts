/**
 * Pure consensus rules: `(pinned params, tally, votes) → pending | approved | rejected`.
 * A plug-in record in the Helia style: `{ strict: quorum({ threshold: 0.7 }) }`.
 */
import { QuorumAlgorithm } from './quorum.js'
import { SupermajorityAlgorithm } from './supermajority.js'
import { UnanimousAlgorithm } from './unanimous.js'
import { WeightedAlgorithm } from './weighted.js'
import { choiceAlgorithms } from './choice.js'
import type { ConsensusAlgorithm } from './interface.js'

export * from './interface.js'
export { QuorumAlgorithm, quorum, type QuorumAlgorithmInit } from './quorum.js'
export { WeightedAlgorithm, weighted, MAX_WEIGHT_DECIMALS, type WeightedAlgorithmInit } from './weighted.js'
export { UnanimousAlgorithm, unanimous } from './unanimous.js'
export { SupermajorityAlgorithm, supermajority } from './supermajority.js'
export { emptyTally, addToTally, removeFromTally, tallyVotes, tallyTuple } from './tally.js'
export { thresholdToRatio, parseRatio, exceeds, type Ratio } from './ratio.js'
export { ChoiceAlgorithm, choiceAlgorithms, singleChoice, approval, rankedChoice, weightedChoice, quadratic, copeland } from './choice.js'
export * from './ballots/index.js'

/** The algorithms every manager knows under these names unless told otherwise: four binary rules and the six voting types. */
export function defaultAlgorithms (): Record<string, ConsensusAlgorithm> {
  return {
    ...choiceAlgorithms(),
    quorum: new QuorumAlgorithm(),
    weighted: new WeightedAlgorithm(),
    unanimous: new UnanimousAlgorithm(),
    supermajority: new SupermajorityAlgorithm()
  }
}
