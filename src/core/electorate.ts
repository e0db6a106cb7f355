import { InvalidParametersError } from '../errors.js'
import { publicKeyOf } from '../wire/public-keys.js'
import { MAX_WEIGHT, type ConsensusAlgorithm } from '../algorithms/interface.js'

/**
 * The display names peers announced, as the coordinator knows them when it pins a proposal:
 * PeerId → name (its own included). Names are self-declared labels; they only pick PeerIds.
 */
export type PeerNames = ReadonlyMap<string, string>

/** Turns a weight key into a PeerId (see {@link nameResolver}). */
type MemberResolver = (key: string) => string

/** How many names or ids an error lists before it says how many there are in all. */
const SHOWN_IN_ERRORS = 8

function shown (items: string[]): string {
  return items.slice(0, SHOWN_IN_ERRORS).join(', ') + (items.length > SHOWN_IN_ERRORS ? `, … (${items.length} in all)` : '')
}

/**
 * Turns a `participants` entry or a weight key into a PeerId, over `names`; `what` (`participants`, `agentWeights`, …) says in the error
 * where the key came from. A string that is an Ed25519 PeerId is always that PeerId, whatever name
 * anyone announced; a name nobody announced is an error listing the names known, one announced by
 * more than one peer an error listing the PeerIds that claim it (pass one of them instead).
 */
function nameResolver (names: PeerNames | undefined): (key: string, what: string) => string {
  let claims: Map<string, string[]> | undefined
  return (key, what) => {
    if (typeof key === 'string' && publicKeyOf(key) !== null) return key
    if (typeof key !== 'string') throw new InvalidParametersError(`${what} entry ${String(key)} is not a string: expected a PeerId or an announced name`)
    if (claims === undefined) {
      claims = new Map()
      for (const [peerId, name] of names ?? []) claims.set(name, [...(claims.get(name) ?? []), peerId])
    }
    const claimants = claims.get(key.normalize('NFC')) ?? []
    if (claimants.length === 1) return claimants[0] as string
    if (claimants.length > 1) {
      throw new InvalidParametersError(`${what} names "${key}", a name announced by ${claimants.length} peers (${shown(claimants.sort())}): ` +
        'names are self-declared, so pass the PeerId you mean')
    }
    const known = [...claims].map(([name, ids]) => `${name} (${shown(ids)})`).sort()
    throw new InvalidParametersError(`${what} names "${key}", which is not an Ed25519 PeerId nor a name any peer here announced; ` +
      (known.length === 0 ? 'no peer has announced a name yet' : `names known: ${shown(known)}`))
  }
}

/**
 * The electorate a coordinator pins: unique Ed25519 PeerIds, sorted, each with the integer weight
 * the algorithm gives it (1 unless it says otherwise). `participants` entries and weight keys may be
 * names from `names`, resolved to PeerIds here (see {@link nameResolver}): the electorate holds
 * PeerIds only. Throws `InvalidParametersError` saying what is wrong: a repeated or malformed id, an
 * unknown or ambiguous name, too many, none, or no weight at all.
 */
export function buildElectorate (
  ids: string[], algorithm: ConsensusAlgorithm, maxElectorate: number, override?: Record<string, number>, names?: PeerNames
): Array<[string, number]> {
  if (!Array.isArray(ids)) throw new InvalidParametersError('participants must be an array of PeerId strings or announced names')
  const resolve = nameResolver(names)
  const resolved = ids.map(id => resolve(id, 'participants'))
  const unique = [...new Set(resolved)].sort()
  if (unique.length !== ids.length) {
    const twice = resolved.find((id, i) => resolved.indexOf(id) !== i) as string
    const as = ids.filter((_, i) => resolved[i] === twice)
    throw new InvalidParametersError(`participants lists ${twice} twice${as.some(k => k !== twice) ? ` (as ${as.join(' and ')})` : ''}`)
  }
  if (unique.length > maxElectorate) throw new InvalidParametersError(`at most ${maxElectorate} participants, got ${unique.length}`)
  for (const id of unique) {
    if (publicKeyOf(id) === null) throw new InvalidParametersError(`participant ${String(id)} is not an Ed25519 PeerId string`)
  }
  if (unique.length === 0) throw new InvalidParametersError('the electorate is empty: pass participants, or connect peers first')
  const weights = override === undefined
    ? weigh(algorithm, unique, names)
    : checkWeights(override, unique, (key) => resolve(key, 'weights'))
  const electorate = unique.map(id => [id, weights?.get(id) ?? 1] as [string, number])
  if (electorate.every(([, w]) => w === 0)) throw new InvalidParametersError('every participant has weight 0: nobody could approve')
  return electorate
}

/**
 * The algorithm's weights, given the names known (weighted's `agentWeights` may be keyed by names);
 * undefined when the algorithm gives none (everyone weighs 1).
 */
function weigh (algorithm: ConsensusAlgorithm, electorate: string[], names: PeerNames | undefined): Map<string, number> | undefined {
  return algorithm.weights?.(electorate, names ?? new Map())
}

/** A request's explicit `weights`: every key a participant (by PeerId or name), every weight an integer from 0 to {@link MAX_WEIGHT}. */
function checkWeights (override: Record<string, number>, participants: string[], resolve: MemberResolver): Map<string, number> {
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    throw new InvalidParametersError('weights must be an object of PeerId (or announced name) → integer weight')
  }
  const members = new Set(participants)
  const weights = new Map<string, number>()
  for (const [key, weight] of Object.entries(override)) {
    const id = members.has(key) ? key : resolve(key)
    if (!members.has(id)) throw new InvalidParametersError(`weights names ${key}, which is not a participant`)
    if (weights.has(id)) throw new InvalidParametersError(`weights gives ${id} a weight twice (by PeerId and by name)`)
    if (!Number.isSafeInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw new InvalidParametersError(`weight of ${key} must be an integer from 0 to ${MAX_WEIGHT}, got ${String(weight)}`)
    }
    weights.set(id, weight)
  }
  return weights
}
