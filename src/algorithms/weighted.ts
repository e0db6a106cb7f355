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
  /**
   * Weight per agent, keyed by PeerId string or by the display name an agent announced
   * (`{ 'expert-backend-001': 3, 'agent-junior-002': 1.5 }`). Finite, non-negative, at most
   * {@link MAX_WEIGHT_DECIMALS} decimal places; pinned into each proposal as exact integers by PeerId (see
   * {@link WeightedAlgorithm}). Every key must be a member of the proposal's electorate: a name is
   * resolved by the coordinator, when it pins the proposal, to the one PeerId that announced it.
   */
  agentWeights?: Record<string, number>
  /**
   * Weight of an electorate member missing from `agentWeights`.
   *
   * @default 1
   */
  defaultWeight?: number
}

/** Most decimal places a weight may have: 1.5 and 0.25 are fine, 1e-7 is not. */
export const MAX_WEIGHT_DECIMALS = 6

/** A list for an error message: the first eight, then how many in all. */
function shown (ids: string[]): string {
  return ids.slice(0, 8).join(', ') + (ids.length > 8 ? `, … (${ids.length} in all)` : '')
}

/** Decimal places of `weight` as written in the shortest form JS gives it (`1.5` → 1, `2e-3` → 3). */
function decimalsOf (weight: number): number {
  const [digits = '', exponent = '0'] = String(weight).split('e')
  const fraction = digits.split('.')[1]?.length ?? 0
  return Math.max(0, fraction - Number(exponent))
}

function checkWeight (weight: number, who: string): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new InvalidParametersError(`weight of ${who} must be a finite number in 0…${MAX_WEIGHT}, got ${String(weight)}`)
  }
  const decimals = decimalsOf(weight)
  if (decimals > MAX_WEIGHT_DECIMALS) {
    throw new InvalidParametersError(`weight of ${who} has ${decimals} decimal places, at most ${MAX_WEIGHT_DECIMALS} are kept exactly; got ${weight}`)
  }
  return decimals
}

/**
 * Expert voting: each member's vote counts its weight; approved when weight for > threshold × total weight.
 *
 * Decimal weights are exact: all of them are scaled by one power of ten, the smallest that makes every
 * weight an integer, and those integers are pinned (`{ a: 3.0, b: 1.5 }` with `defaultWeight` 1 pins
 * 30, 15 and 10). Ratios, and so every decision, are those of the weights as written.
 */
export class WeightedAlgorithm implements ConsensusAlgorithm {
  readonly kind = 'weighted'
  readonly params: CborRecord
  private readonly agentWeights: Map<string, number>
  private readonly defaultWeight: number

  constructor (init: WeightedAlgorithmInit = {}) {
    this.params = { threshold: thresholdToRatio(init.threshold ?? 0.6) }
    const given = Object.entries(init.agentWeights ?? {})
    const defaultWeight = init.defaultWeight ?? 1
    let decimals = checkWeight(defaultWeight, 'defaultWeight')
    for (const [id, weight] of given) decimals = Math.max(decimals, checkWeight(weight, id))
    const scale = 10 ** decimals
    const pin = (weight: number, who: string): number => {
      const pinned = Math.round(weight * scale)
      if (pinned > MAX_WEIGHT) {
        throw new InvalidParametersError(`weight of ${who} is ${pinned} once every weight is scaled by ${scale} to an integer, over ${MAX_WEIGHT}`)
      }
      return pinned
    }
    this.agentWeights = new Map(given.map(([id, weight]) => [id, pin(weight, id)]))
    this.defaultWeight = pin(defaultWeight, 'defaultWeight')
  }

  /**
   * The pinned weight of every member. `names` (PeerId → announced display name, as the coordinator
   * knows them) lets `agentWeights` keys be names: a key that is a member's PeerId is that member, any
   * other must be the name of exactly one peer, a member. Throws `InvalidParametersError` when a key
   * names someone outside `electorate` (a misspelt key would otherwise silently leave that agent at
   * `defaultWeight`), a name two peers announced, or one member twice.
   */
  weights (electorate: readonly string[], names: ReadonlyMap<string, string> = new Map()): Map<string, number> {
    const members = new Set(electorate)
    const claims = new Map<string, string[]>()
    for (const [peerId, name] of names) claims.set(name, [...(claims.get(name) ?? []), peerId])
    const byMember = new Map<string, number>()
    const strangers: string[] = []
    for (const [key, weight] of this.agentWeights) {
      let id = key
      if (!members.has(key)) {
        const claimants = claims.get(key.normalize('NFC')) ?? []
        if (claimants.length > 1) {
          throw new InvalidParametersError(`agentWeights names "${key}", a name announced by ${claimants.length} peers (${shown(claimants.sort())}): ` +
            'names are self-declared, so key that weight by the PeerId you mean')
        }
        if (claimants.length === 0 || !members.has(claimants[0] as string)) { strangers.push(key); continue }
        id = claimants[0] as string
      }
      if (byMember.has(id)) throw new InvalidParametersError(`agentWeights weighs ${id} twice (by PeerId and by the name it announced)`)
      byMember.set(id, weight)
    }
    if (strangers.length > 0) {
      const known = [...claims].map(([name, ids]) => `${name} (${shown(ids)})`).sort()
      throw new InvalidParametersError(`agentWeights names ${shown(strangers)}, not in this proposal's electorate; ` +
        `keys are PeerId strings of members or names members announced (the electorate: ${shown([...members])}); ` +
        (known.length === 0 ? 'no peer has announced a name' : `names known: ${shown(known)}`))
    }
    return new Map(electorate.map(id => [id, byMember.get(id) ?? this.defaultWeight]))
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
