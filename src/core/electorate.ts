import { InvalidParametersError } from '../errors.js'
import { publicKeyOf } from '../wire/public-keys.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'

/**
 * The electorate a coordinator pins: unique Ed25519 PeerIds, sorted, each with the integer weight
 * the algorithm gives it (1 unless it says otherwise). Throws `InvalidParametersError` saying what
 * is wrong: a repeated or malformed id, too many, none, or no weight at all.
 */
export function buildElectorate (ids: string[], algorithm: ConsensusAlgorithm, maxElectorate: number): Array<[string, number]> {
  if (!Array.isArray(ids)) throw new InvalidParametersError('participants must be an array of PeerId strings')
  const unique = [...new Set(ids)].sort()
  if (unique.length !== ids.length) throw new InvalidParametersError('participants lists a peer twice')
  if (unique.length > maxElectorate) throw new InvalidParametersError(`at most ${maxElectorate} participants, got ${unique.length}`)
  for (const id of unique) {
    if (typeof id !== 'string' || publicKeyOf(id) === null) throw new InvalidParametersError(`participant ${String(id)} is not an Ed25519 PeerId string`)
  }
  if (unique.length === 0) throw new InvalidParametersError('the electorate is empty: pass participants, or connect peers first')
  const weights = algorithm.weights?.(unique)
  const electorate = unique.map(id => [id, weights?.get(id) ?? 1] as [string, number])
  if (electorate.every(([, w]) => w === 0)) throw new InvalidParametersError('every participant has weight 0: nobody could approve')
  return electorate
}
