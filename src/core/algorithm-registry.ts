import { InvalidParametersError, UnknownAlgorithmError } from '../errors.js'
import { checkCbor } from './options.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'

/**
 * The algorithms a manager knows: by the name a request uses, and by the kind a proposal pins
 * (the first algorithm registered of a kind evaluates every proposal of that kind).
 */
export class AlgorithmRegistry {
  private readonly byName = new Map<string, ConsensusAlgorithm>()
  private readonly byKind = new Map<string, ConsensusAlgorithm>()
  private readonly maxNameLength: number

  constructor (maxNameLength: number) {
    this.maxNameLength = maxNameLength
  }

  /** Add `algorithm` under `name`; throws `InvalidParametersError` if either is unfit. */
  register (name: string, algorithm: ConsensusAlgorithm): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > this.maxNameLength) {
      throw new InvalidParametersError(`algorithm name must be a non-empty string of at most ${this.maxNameLength} characters`)
    }
    if (typeof algorithm?.evaluate !== 'function' || typeof algorithm.kind !== 'string' || algorithm.kind.length === 0) {
      throw new InvalidParametersError(`algorithm ${name} must implement ConsensusAlgorithm: a kind and evaluate(input)`)
    }
    checkCbor(algorithm.params, `params of algorithm ${name}`)
    this.byName.set(name, algorithm)
    if (!this.byKind.has(algorithm.kind)) this.byKind.set(algorithm.kind, algorithm)
  }

  /** Whether an algorithm is registered under `name`. */
  has (name: string): boolean {
    return this.byName.has(name)
  }

  /** The algorithm registered under `name`; throws `UnknownAlgorithmError` naming those there are. */
  named (name: string): ConsensusAlgorithm {
    const algorithm = this.byName.get(name)
    if (algorithm === undefined) throw new UnknownAlgorithmError(`unknown algorithm ${name}; registered: ${[...this.byName.keys()].join(', ')}`)
    return algorithm
  }

  /** The algorithm that evaluates proposals of `kind`, if this peer knows the kind. */
  readonly ofKind = (kind: string): ConsensusAlgorithm | undefined => this.byKind.get(kind)
}
