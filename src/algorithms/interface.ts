import type { Ballot, CborRecord, ConsensusDecision, VoteType } from '../types.js'

/** Largest weight one member of an electorate may carry, so sums stay exact in a JS number. */
export const MAX_WEIGHT = 2 ** 32

/**
 * What an algorithm says about a vote set. `pending` until no set of the missing votes could change
 * the outcome (etcd-raft's Pending/Won/Lost): only a settled outcome lets the coordinator close early.
 */
export const Outcome = {
  /** some set of the missing votes could still change the outcome */
  Pending: 'pending',
  /** approved, whatever the missing votes say */
  Approved: 'approved',
  /** rejected, whatever the missing votes say */
  Rejected: 'rejected'
} as const

/** One of `'pending' | 'approved' | 'rejected'`. */
export type Outcome = typeof Outcome[keyof typeof Outcome]

/**
 * Running totals over the counted votes, kept incrementally by the core. Weights are integers taken
 * from the proposal's electorate (never from the voter). On a proposal with choices, `for` counts the
 * ballots that name a choice and `abstain` the abstentions (turnout only); `against` stays 0.
 */
export interface Tally {
  /** members of the electorate */
  electorateSize: number
  /** sum of the electorate's weights */
  totalWeight: number
  /** counted votes for (with choices: ballots that name a choice) */
  forCount: number
  /** counted votes against (0 with choices) */
  againstCount: number
  /** counted abstentions */
  abstainCount: number
  /** weight of the votes for */
  forWeight: number
  /** weight of the votes against */
  againstWeight: number
  /** weight of the abstentions */
  abstainWeight: number
}

/** Everything a pure algorithm may look at. */
export interface AlgorithmInput {
  /** the parameters pinned in the proposal (not the local instance's) */
  params: CborRecord
  /** running totals over the counted votes */
  tally: Readonly<Tally>
  /** electorate id → integer weight */
  electorate: ReadonlyMap<string, number>
  /** voter id → choice, one per voter, equivocators removed (binary proposals: every ballot is a `VoteType`) */
  votes: ReadonlyMap<string, VoteType>
  /** the same counted votes as ballots: what a proposal with choices is scored on */
  ballots: ReadonlyMap<string, Ballot>
  /** the proposal's pinned choices; empty for a binary proposal */
  choices: readonly string[]
}

/** An algorithm's verdict plus figures to show (never used to decide). */
export interface AlgorithmEvaluation {
  /** `pending` until no set of the missing votes could change it */
  outcome: Outcome
  /** the approval threshold as a number in [0, 1], for display */
  threshold: number
  /** extra figures for `ConsensusResult.metadata`, e.g. `weightedApproval` */
  metadata?: CborRecord
  /**
   * The decision if the vote ended now (at or after the deadline) while `outcome` is still pending.
   * Absent: `timeout`, as for every binary rule. A settled `outcome` must equal it.
   */
  final?: ConsensusDecision
  /** proposals with choices: the winning choice (1-based) if the vote ended now (the settled one once settled), or null */
  winner?: number | null
  /** proposals with choices: display scores per choice (Snapshot's semantics, floats) */
  scores?: number[]
  /** proposals with choices: every choice (1-based), best first by the exact order */
  ranking?: number[]
}

/**
 * A consensus rule. It must be pure — no clock, no randomness, no I/O — so that every peer that
 * evaluates the same proposal and vote set gets the same answer. Implement it to add your own.
 *
 * @example
 * ```ts
 * class VetoAlgorithm implements ConsensusAlgorithm {
 *   readonly kind = 'veto'
 *   readonly params = {}
 *   evaluate ({ tally }: AlgorithmInput): AlgorithmEvaluation {
 *     if (tally.againstCount > 0) return { outcome: 'rejected', threshold: 1 }
 *     if (tally.forCount === tally.electorateSize) return { outcome: 'approved', threshold: 1 }
 *     return { outcome: 'pending', threshold: 1 }
 *   }
 * }
 * ```
 */
export interface ConsensusAlgorithm {
  /**
   * Stable name of the rule. A proposal pins `kind` and `params`; a peer that receives it evaluates
   * with its own registered algorithm of that kind, so every peer must know the kind.
   */
  readonly kind: string
  /** Canonical parameters pinned into each proposal: integers, strings, booleans, arrays, maps. */
  readonly params: CborRecord
  /**
   * Integer weight of each electorate member (the coordinator pins them into the proposal).
   * Defaults to 1 for everyone. `names` is PeerId → the display name it announced, as the
   * coordinator knows them (its own included), so that weights may be keyed by names; plain data,
   * so the algorithm stays pure. Most algorithms ignore it.
   */
  weights?(electorate: readonly string[], names?: ReadonlyMap<string, string>): Map<string, number>
  /** Throw `InvalidParametersError` if pinned params are malformed for this kind. */
  validateParams?(params: CborRecord): void
  /** Decide. Must return `pending` unless no set of the missing votes could change the outcome. */
  evaluate(input: AlgorithmInput): AlgorithmEvaluation
}
