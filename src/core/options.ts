import { InvalidParametersError } from '../errors.js'
import { type Ballot, type CborRecord, type VotingType } from '../types.js'
import { decodeCanonical, encodeCanonical } from '../wire/codec.js'
import { DEFAULT_TIMEOUT_MS, defaultCloseStepMs, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from './constants.js'
import type { Clock } from '../clock.js'
import type { ConsensusResult, ProposalView } from './results.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { Coordinator } from '../transport/coordinator.js'
import type { DecodeLimits } from '../wire/limits.js'
import type { Identity } from '../wire/identity.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A voter's answer with optional reasons: a {@link VoteType} on a binary proposal, a {@link Ballot} on one with choices. */
export interface VoteDecision {
  /** the ballot (on a binary proposal: for, against or abstain) */
  vote: Ballot
  /** signed along with the vote (e.g. a reason) */
  metadata?: CborRecord
}

/** Answers proposals automatically; return `undefined` to vote later by hand with `recordVote`. */
export type Voter = (proposal: ProposalView) => Ballot | VoteDecision | undefined | Promise<Ballot | VoteDecision | undefined>

/** A vote this peer has seen counted (a changed vote too: `seq` above 0). */
export interface VoteEvent {
  /** the proposal voted on */
  proposalId: string
  /** the voter's PeerId */
  voter: string
  /** its ballot */
  vote: Ballot
  /** 0 for a first vote; higher for each change */
  seq: number
  /** what the voter signed along with it */
  metadata: CborRecord
}

/** Proof that someone signed two conflicting messages. */
export interface EvidenceEvent {
  /** what was signed twice: two votes, two closes of one round, or two acks of one round and phase */
  kind: 'equivocation' | 'conflicting-close' | 'conflicting-ack'
  /** the proposal it happened in */
  proposalId: string
  /** the PeerId that signed both */
  offender: string
  /** the conflicting signed envelopes */
  messages: Uint8Array[]
}

/** Events of {@link ConsensusManager}. */
export interface ConsensusManagerEvents {
  /** a verified proposal arrived (or this peer made one) */
  proposal: CustomEvent<ProposalView>
  /** a vote was counted (or replaced its voter's older one) */
  vote: CustomEvent<VoteEvent>
  /** this peer decided a proposal (final, with its certificate) */
  decision: CustomEvent<ConsensusResult>
  /** someone signed two conflicting votes, closes or acks */
  evidence: CustomEvent<EvidenceEvent>
}

/** Options of {@link ConsensusManager}. */
export interface ConsensusManagerInit {
  /** This agent's Ed25519 identity; its PeerId must be the coordinator's. */
  identity: Identity
  /** The network: `MemoryNetwork`, gossipsub, … */
  coordinator: Coordinator
  /**
   * Separates independent swarms sharing a network; signed into every message.
   *
   * @default 'default'
   */
  namespace?: string
  /**
   * Algorithm used when a request names none.
   *
   * @default 'quorum'
   */
  defaultAlgorithm?: string
  /** Extra algorithms by name, added to quorum, weighted, unanimous and supermajority. */
  algorithms?: Record<string, ConsensusAlgorithm>
  /** Answers proposals automatically when this agent is in the electorate. */
  voter?: Voter
  /**
   * Time source; a simulation passes a virtual clock.
   *
   * @default systemClock
   */
  clock?: Clock
  /**
   * Ranked fallback closers pinned into each proposal after the coordinator.
   *
   * @default 2
   */
  fallbackClosers?: number
  /**
   * How far peers' clocks may disagree. A close that arrives more than this before its slot (by
   * our clock) is held until then rather than adopted.
   *
   * @default 1000
   */
  clockToleranceMs?: number
  /**
   * Where proposals, votes, closes and acks are kept so a restarted peer resumes (any
   * `interface-datastore`: `datastore-level` in Node, `datastore-idb` in a browser). Without one,
   * messages live only in the proposals held in memory and a restarted peer starts afresh.
   *
   * @default undefined (nothing is written)
   */
  datastore?: Datastore
  /**
   * Messages a second one author may send us (wants: one asking peer); twice that in a burst. The
   * excess is ignored before its signature is checked.
   *
   * @default 200
   */
  maxMessagesPerSecondPerPeer?: number
  /**
   * Undecided proposals one coordinator may have open with us; more are ignored (and refused
   * locally by `requestConsensus`).
   *
   * @default 16
   */
  maxOpenProposalsPerPeer?: number
  /**
   * Undecided proposals held at once, from everybody.
   *
   * @default 1024
   */
  maxOpenProposals?: number
  /** Decode limits for untrusted bytes. */
  limits?: Partial<DecodeLimits>
  /** Where to log (libp2p's component logger). */
  logger?: ComponentLogger
  /**
   * Decided proposals kept in memory; older ones are dropped (their ids are remembered).
   *
   * @default 1000
   */
  maxClosedProposals?: number
  /**
   * The display names peers announced (PeerId → name, this peer's own included), read each time
   * this peer pins a proposal, so that `participants` and weight keys may name agents by name. The
   * libp2p service passes the names heard in presence announcements; names only pick PeerIds, the
   * proposal pins the PeerIds.
   *
   * @default no names: participants and weights are keyed by PeerId
   */
  peerNames?: () => ReadonlyMap<string, string>
}

/** Options of {@link ConsensusManager.requestConsensus}. */
export interface RequestConsensusOptions extends AbortOptions {
  /**
   * How long votes are collected, 100…300 000 ms.
   *
   * @default 30000
   */
  timeoutMs?: number
  /** Registered algorithm name. Defaults to the manager's `defaultAlgorithm`. */
  algorithm?: string
  /**
   * Explicit electorate: PeerId strings, or display names peers announced (resolved to the one PeerId
   * that announced each when the proposal is pinned; an unknown or ambiguous name is an
   * `InvalidParametersError` listing the names known). Defaults to the peers present now, plus this
   * peer if it has a voter.
   */
  participants?: string[]
  /** Δ between fallback closer slots. Defaults to a quarter of the timeout (50 ms…10 s). */
  closeStepMs?: number
  /**
   * Integer weight (voting power) per participant, overriding the algorithm's: `{ [peerId or name]: weight }`.
   * Every key must be a participant (by PeerId or announced name); participants not named weigh 1.
   */
  weights?: Record<string, number>
  /**
   * The options voters choose among (1…64 distinct strings of at most 128 characters). A ballot names
   * them by 1-based index. Without `choices` the proposal is binary: `for | against | abstain`.
   */
  choices?: string[]
  /**
   * How ballots over `choices` are scored.
   *
   * @default 'single-choice'
   */
  votingType?: VotingType
  /**
   * Whether a voter may replace its vote before the close by signing a new one (`recordVote` again).
   * A proposal that allows it closes at its deadline, not earlier.
   *
   * @default true with choices, false for a binary proposal
   */
  allowVoteChange?: boolean
  /** With choices: the winner needs a score of more than this share of the eligible weight (0…1). Not for copeland. */
  threshold?: number
  /** With choices: the share of the eligible weight (0…1) the quorum needs (see `quorumType`). */
  quorum?: number
  /**
   * `turnout`: every ballot, abstentions included, must weigh at least `quorum`; `rejection`: the
   * proposal is rejected when `rejectChoice` reaches `quorum`, else the best other choice wins.
   *
   * @default 'turnout'
   */
  quorumType?: 'turnout' | 'rejection'
  /** With `quorumType: 'rejection'`: the choice (1-based) that rejects the proposal. */
  rejectChoice?: number
  /**
   * A tie at the top: `lowest-index` gives it to the choice listed first; `none` leaves no winner (rejected).
   *
   * @default 'lowest-index'
   */
  tieBreak?: 'lowest-index' | 'none'
}

/** The options of {@link RequestConsensusOptions} that shape a proposal with choices. */
export const CHOICE_OPTIONS = ['votingType', 'threshold', 'quorum', 'quorumType', 'rejectChoice', 'tieBreak'] as const

/** A request's timeout and Δ, defaulted and checked: throws `InvalidParametersError` saying what is out of range. */
export function checkTiming (options: RequestConsensusOptions, clockToleranceMs: number): { timeoutMs: number, step: number } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidParametersError(`timeoutMs must be an integer from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`)
  }
  const step = options.closeStepMs ?? defaultCloseStepMs(timeoutMs, clockToleranceMs)
  if (!Number.isInteger(step) || step < 1) throw new InvalidParametersError(`closeStepMs must be a positive integer, got ${String(step)}`)
  return { timeoutMs, step }
}

/** Deepest nesting a payload may have: deeper is almost surely a cycle or a mistake, and costs every peer. */
const MAX_CBOR_DEPTH = 64

/** Where `value` (at `path`) holds something canonical CBOR cannot carry exactly, and what; `undefined` if nothing. */
function unsupported (value: unknown, path: string, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}: only finite numbers have one encoding`
    case 'bigint':
      return `${path} is a BigInt (${value}n): send it as a string, or as a number if it is at most 2^53`
    case 'undefined':
      return `${path} is undefined: leave the key out, or use null`
    case 'object':
      break
    default:
      return `${path} is a ${typeof value}, which has no CBOR form`
  }
  if (value === null || value instanceof Uint8Array) return undefined
  if (depth >= MAX_CBOR_DEPTH) return `${path} is nested more than ${MAX_CBOR_DEPTH} deep (a cycle?)`
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsupported(value[i], `${path}[${i}]`, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? 'class instance'}, not a plain object`
  if (Object.getOwnPropertySymbols(value).length > 0) return `${path} has a Symbol key, which has no CBOR form`
  for (const [key, item] of Object.entries(value)) {
    const found = unsupported(item, `${path}.${key}`, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Check that a payload or metadata record survives the canonical CBOR round trip exactly: strings,
 * finite numbers, booleans, null, `Uint8Array`s, arrays and plain objects. Anything else — a BigInt,
 * `undefined`, a Symbol key, a `Date` or `Map` — is an `InvalidParametersError` naming where it is,
 * never silently converted or dropped.
 */
export function checkCbor (value: unknown, what: string): CborRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new InvalidParametersError(`${what} must be a plain object`)
  }
  const found = unsupported(value, what, 0)
  if (found !== undefined) throw new InvalidParametersError(found)
  try {
    decodeCanonical(encodeCanonical(value), Number.MAX_SAFE_INTEGER)
  } catch (err: any) {
    const why = String(err?.message ?? err)
    throw new InvalidParametersError(`${what} must hold only strings, finite numbers, booleans, null, bytes, arrays and plain objects: ${why}`)
  }
  return value as CborRecord
}
