/**
 * Public value types shared by the core, the algorithms and the transports.
 */

/** The outcome of a consensus request (`ConsensusDecision` of MoAI-Flow's Python API). */
export const ConsensusDecision = {
  /** the algorithm approved (with choices: a choice won) */
  Approved: 'approved',
  /** the algorithm rejected (with choices: no choice won) */
  Rejected: 'rejected',
  /**
   * at the deadline the outcome was not settled (with choices: nobody voted); a requester also gets
   * it, with `metadata.finality: 'unconfirmed'`, when no decision was confirmed in time
   */
  Timeout: 'timeout'
} as const

/** One of `'approved' | 'rejected' | 'timeout'`. */
export type ConsensusDecision = typeof ConsensusDecision[keyof typeof ConsensusDecision]

/** A voter's answer (`VoteType` of MoAI-Flow's Python API). Abstain counts for turnout, never for approval. */
export const VoteType = {
  /** in favour */
  For: 'for',
  /** against */
  Against: 'against',
  /** counted for turnout, never for or against */
  Abstain: 'abstain'
} as const

/** One of `'for' | 'against' | 'abstain'`. */
export type VoteType = typeof VoteType[keyof typeof VoteType]

/** True for the three vote values. */
export function isVoteType (value: unknown): value is VoteType {
  return value === VoteType.For || value === VoteType.Against || value === VoteType.Abstain
}

/** How a proposal with choices is scored (Snapshot's voting types). */
export const VotingType = {
  /** one choice per ballot; scores sum voting power */
  SingleChoice: 'single-choice',
  /** any subset of the choices (empty allowed); each approved choice gets the voter's full power */
  Approval: 'approval',
  /** a full ranking, counted by instant runoff */
  RankedChoice: 'ranked-choice',
  /** shares over choices; a voter's power is split by its shares */
  Weighted: 'weighted',
  /** shares over choices, scored quadratically (square roots of split power), then rescaled */
  Quadratic: 'quadratic',
  /** a full ranking, counted by pairwise wins (Copeland) */
  Copeland: 'copeland'
} as const

/** One of the {@link VotingType} values. */
export type VotingType = typeof VotingType[keyof typeof VotingType]

const VOTING_TYPES: ReadonlySet<string> = new Set(Object.values(VotingType))

/** True for the six voting types. */
export function isVotingType (value: unknown): value is VotingType {
  return typeof value === 'string' && VOTING_TYPES.has(value)
}

/** The algorithm kind a proposal with choices pins for a voting type (`ballot/ranked-choice`): apart from every binary kind. */
export function ballotKind (type: VotingType): string {
  return `ballot/${type}`
}

/** The voting type an algorithm kind scores, or `undefined` for a binary kind. */
export function votingTypeOf (kind: string): VotingType | undefined {
  const type = kind.startsWith('ballot/') ? kind.slice(7) : undefined
  return isVotingType(type) ? type : undefined
}

/**
 * What a vote says. On a binary proposal: a {@link VoteType}. On a proposal with choices (1-based
 * indices, as Snapshot's): `'abstain'` (turnout only) for any voting type; a choice index
 * (single-choice); an array of indices (approval: any subset; ranked-choice and copeland: a full
 * ranking, best first); or a map of index → share (weighted and quadratic: shares ≥ 0, some > 0).
 */
export type Ballot = VoteType | number | number[] | { [choice: string]: number }

/** Most choices a proposal may pin. */
export const MAX_CHOICES = 64

/** Longest choice, in characters. */
export const MAX_CHOICE_LENGTH = 128

/** Highest sequence number a vote may carry: a voter may change its ballot this many times. */
export const MAX_VOTE_SEQ = 63

/**
 * A value that survives the canonical CBOR round trip: what a proposal payload, vote metadata and
 * algorithm parameters may hold. No `undefined`, no NaN or Infinity, no class instances.
 */
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue }

/** A proposal payload or metadata record. */
export type CborRecord = { [key: string]: CborValue }

/** An eligible voter and its integer weight, as pinned in a proposal. */
export interface ElectorateMember {
  /** its PeerId string */
  id: string
  /** its integer weight (1 unless the algorithm pins others) */
  weight: number
}
