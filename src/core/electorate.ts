import { InvalidParametersError } from '../errors.js'
import { publicKeyOf } from '../wire/public-keys.js'
import { MAX_WEIGHT, type ConsensusAlgorithm } from '../algorithms/interface.js'

/**
 * The electorate a coordinator pins: unique Ed25519 PeerIds, sorted, each with the integer weight
 * the algorithm gives it (1 unless it says otherwise). Throws `InvalidParametersError` saying what
 * is wrong: a repeated or malformed id, too many, none, or no weight at all.
 */
export function buildElectorate (
  ids: string[], algorithm: ConsensusAlgorithm, maxElectorate: number, override?: Record<string, number>
): Array<[string, number]> {
  if (!Array.isArray(ids)) throw new InvalidParametersError('participants must be an array of PeerId strings')
  const unique = [...new Set(ids)].sort()
  if (unique.length !== ids.length) throw new InvalidParametersError('participants lists a peer twice')
  if (unique.length > maxElectorate) throw new InvalidParametersError(`at most ${maxElectorate} participants, got ${unique.length}`)
  for (const id of unique) {
    if (typeof id !== 'string' || publicKeyOf(id) === null) throw new InvalidParametersError(`participant ${String(id)} is not an Ed25519 PeerId string`)
  }
  if (unique.length === 0) throw new InvalidParametersError('the electorate is empty: pass participants, or connect peers first')
  const weights = override === undefined ? algorithm.weights?.(unique) : checkWeights(override, unique)
  const electorate = unique.map(id => [id, weights?.get(id) ?? 1] as [string, number])
  if (electorate.every(([, w]) => w === 0)) throw new InvalidParametersError('every participant has weight 0: nobody could approve')
  return electorate
}

/** A request's explicit `weights`: every key a participant, every weight an integer from 0 to {@link MAX_WEIGHT}. */
function checkWeights (override: Record<string, number>, participants: string[]): Map<string, number> {
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    throw new InvalidParametersError('weights must be an object of PeerId → integer weight')
  }
  const members = new Set(participants)
  const weights = new Map<string, number>()
  for (const [id, weight] of Object.entries(override)) {
    if (!members.has(id)) throw new InvalidParametersError(`weights names ${id}, which is not a participant`)
    if (!Number.isSafeInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new InvalidParametersError(`weight of ${id} must be an integer from 0 to ${MAX_WEIGHT}, got ${String(weight)}`)
    }
    weights.set(id, weight)
  }
  return weights
}
