/**
 * Public value types shared by the core, the algorithms and the transports.
 */

/** The outcome of a consensus request (`ConsensusDecision` of MoAI-Flow's Python API). */
export const ConsensusDecision = {
  Approved: 'approved',
  Rejected: 'rejected',
  Timeout: 'timeout'
} as const

/** One of `'approved' | 'rejected' | 'timeout'`. */
export type ConsensusDecision = typeof ConsensusDecision[keyof typeof ConsensusDecision]

/** A voter's answer (`VoteType` of MoAI-Flow's Python API). Abstain counts for turnout, never for approval. */
export const VoteType = {
  For: 'for',
  Against: 'against',
  Abstain: 'abstain'
} as const

/** One of `'for' | 'against' | 'abstain'`. */
export type VoteType = typeof VoteType[keyof typeof VoteType]

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
  id: string
  weight: number
}
