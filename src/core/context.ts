import { InvalidMessageError } from '../errors.js'
import { MAX_WEIGHT } from '../algorithms/interface.js'
import { parseRule } from '../algorithms/ballots/index.js'
import { publicKeyOf } from '../wire/public-keys.js'
import { votingTypeOf } from '../types.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { OpenedProposal } from '../wire/envelope.js'

/** A verified proposal with everything derived from it that deciding needs. */
export interface ProposalContext {
  proposal: OpenedProposal
  /** member id → integer weight */
  electorate: Map<string, number>
  totalWeight: number
  /** the local algorithm of the pinned kind */
  algorithm: ConsensusAlgorithm
}

/** Look up the algorithm that evaluates a kind; `undefined` if this peer does not know it. */
export type AlgorithmLookup = (kind: string) => ConsensusAlgorithm | undefined

/**
 * Check what a signature cannot: members are Ed25519 PeerIds with sane weights and some weight in
 * total, and the pinned parameters make sense for the pinned kind. Returns `undefined` for an
 * algorithm kind this peer does not know (merely unknown, not provably bad).
 */
export function checkProposal (proposal: OpenedProposal, lookup: AlgorithmLookup): ProposalContext | undefined {
  const body = proposal.body
  const electorate = new Map<string, number>()
  let totalWeight = 0
  for (const [id, weight] of body.electorate) {
    if (weight > MAX_WEIGHT) throw new InvalidMessageError('bad-weight', `weight of ${id} exceeds ${MAX_WEIGHT}`)
    if (publicKeyOf(id) === null) throw new InvalidMessageError('bad-member', `electorate member ${id} is not an Ed25519 PeerId`)
    electorate.set(id, weight)
    totalWeight += weight
  }
  if (totalWeight === 0) throw new InvalidMessageError('no-weight', 'the electorate carries no weight')
  for (const closer of body.closers) {
    if (publicKeyOf(closer) === null) throw new InvalidMessageError('bad-closer', `closer ${closer} is not an Ed25519 PeerId`)
  }
  const algorithm = lookup(body.algorithm.kind)
  if (algorithm === undefined) return undefined
  const kind = body.algorithm.kind
  const withChoices = body.choices.length > 0
  const votingType = votingTypeOf(kind)
  if (withChoices !== (votingType !== undefined)) {
    throw new InvalidMessageError('bad-params', withChoices
      ? `a proposal with choices needs a voting type, not algorithm kind ${kind}`
      : `algorithm kind ${kind} scores ballots over choices, and the proposal pins none`)
  }
  try {
    algorithm.validateParams?.(body.algorithm.params)
    if (votingType !== undefined) parseRule(body.algorithm.params, votingType, body.choices.length)
  } catch (err: any) {
    throw new InvalidMessageError('bad-params', `algorithm ${kind}: ${String(err?.message ?? err)}`)
  }
  return { proposal, electorate, totalWeight, algorithm }
}
