/**
 * Pure consensus rules: `(pinned params, tally, votes) → pending | approved | rejected`.
 * A plug-in record in the Helia style: `{ strict: quorum({ threshold: 0.7 }) }`.
 */
import { QuorumAlgorithm } from './quorum.js'
import { SupermajorityAlgorithm } from './supermajority.js'
import { UnanimousAlgorithm } from './unanimous.js'
import { WeightedAlgorithm } from './weighted.js'
import type { ConsensusAlgorithm } from './interface.js'

export * from './interface.js'
export { QuorumAlgorithm, quorum, type QuorumAlgorithmInit } from './quorum.js'
export { WeightedAlgorithm, weighted, type WeightedAlgorithmInit } from './weighted.js'
export { UnanimousAlgorithm, unanimous } from './unanimous.js'
export { SupermajorityAlgorithm, supermajority } from './supermajority.js'
export { emptyTally, addToTally, removeFromTally, tallyVotes, tallyTuple } from './tally.js'
export { thresholdToRatio, parseRatio, exceeds, type Ratio } from './ratio.js'

/** The algorithms every manager knows under these names unless told otherwise. */
export function defaultAlgorithms (): Record<string, ConsensusAlgorithm> {
  return {
    quorum: new QuorumAlgorithm(),
    weighted: new WeightedAlgorithm(),
    unanimous: new UnanimousAlgorithm(),
    supermajority: new SupermajorityAlgorithm()
  }
}
