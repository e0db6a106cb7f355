import { InvalidMessageError } from '../errors.js'
import { MAX_WEIGHT } from '../algorithms/interface.js'
import { parseRule } from '../algorithms/ballots/index.js'
import { publicKeyOf } from '../wire/public-keys.js'
import { votingTypeOf } from '../types.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { OpenedProposal } from '../wire/envelope.js'
import type { ProposalBody } from '../wire/messages.js'

/** A verified proposal with everything derived from it that deciding needs. */
export interface ProposalContext {
  proposal: OpenedProposal
  /** member id → integer weight (shared by every peer of one process that holds the same proposal: never changed) */
  electorate: ReadonlyMap<string, number>
  totalWeight: number
  /** the local algorithm of the pinned kind */
  algorithm: ConsensusAlgorithm
}

/**
 * The checked electorate of a decoded proposal, made once per decoded electorate: a decoded message
 * is shared by every agent of one process that receives the same buffer (a simulation), and one map
 * that all of them read stays in the CPU's cache where one each, looked up for every vote and ack,
 * did not. A bad electorate throws every time (nothing is kept).
 */
const electorates = new WeakMap<ProposalBody['electorate'], { electorate: ReadonlyMap<string, number>, totalWeight: number }>()

function electorateOf (members: ProposalBody['electorate']): { electorate: ReadonlyMap<string, number>, totalWeight: number } {
  const known = electorates.get(members)
  if (known !== undefined) return known
  const electorate = new Map<string, number>()
  let totalWeight = 0
  for (const [id, weight] of members) {
    if (weight > MAX_WEIGHT) throw new InvalidMessageError('bad-weight', `weight of ${id} exceeds ${MAX_WEIGHT}`)
    if (publicKeyOf(id) === null) throw new InvalidMessageError('bad-member', `electorate member ${id} is not an Ed25519 PeerId`)
    electorate.set(id, weight)
    totalWeight += weight
  }
  if (totalWeight === 0) throw new InvalidMessageError('no-weight', 'the electorate carries no weight')
  const made = { electorate, totalWeight }
  electorates.set(members, made)
  return made
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
  const { electorate, totalWeight } = electorateOf(body.electorate)
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
