import { InvalidMessageError } from '../errors.js'
import { MAX_CHOICE_LENGTH, MAX_CHOICES, MAX_VOTE_SEQ, VoteType, type Ballot, type CborRecord, type CborValue, type ConsensusDecision } from '../types.js'
import type { DecodeLimits } from './limits.js'

/** Protocol version written into every body; a body of another version is refused as `wrong-version`. */
export const PROTOCOL_VERSION = 2

/** Highest round a close or ack may name: round r starts about (r²/2)·Δ after the deadline, so this is far beyond any use. */
export const MAX_ROUND = 1_000

/** The two phases of an ack (Tendermint's prevote and precommit). */
export const AckPhase = {
  /** "this close's outcome is acceptable to me in this round" (or nil: no acceptable close seen) */
  Prevote: 'prevote',
  /** "outcome had prevotes of more than 2/3 of the weight in this round; I lock on it" */
  Precommit: 'precommit'
} as const

/** One of the {@link AckPhase} values. */
export type AckPhase = typeof AckPhase[keyof typeof AckPhase]

/** The six message types. Every type but `want` is signed by the peer its body names. */
export const MessageType = {
  Proposal: 'proposal',
  Vote: 'vote',
  Close: 'close',
  Ack: 'ack',
  Want: 'want',
  Presence: 'presence'
} as const

/** One of the {@link MessageType} values. */
export type MessageType = typeof MessageType[keyof typeof MessageType]

/** Everything a peer needs to decide alone, signed by the coordinator. */
export interface ProposalBody {
  type: 'proposal'
  v: number
  ns: string
  coordinator: string
  /** per-coordinator counter, so two identical requests in one millisecond still differ */
  seq: number
  createdAt: number
  deadline: number
  /** Δ: rounds after the first start at deadline + 2Δ and last (r + 1)·Δ */
  step: number
  /** [peer id, integer weight], sorted by id, unique */
  electorate: Array<[string, number]>
  algorithm: { name: string, kind: string, params: CborRecord }
  /** closers of rounds 0, 1, …; closers[0] is the coordinator; later rounds rotate through the rest of the electorate */
  closers: string[]
  payload: CborRecord
  /** the options a ballot chooses among, in order (ballots name them 1-based); empty for a binary proposal */
  choices: string[]
  /** whether a voter may replace its vote by signing one with a higher `seq` (then the close comes no earlier than the deadline) */
  voteChange: boolean
}

/** One voter's answer to one proposal, signed by the voter. */
export interface VoteBody {
  type: 'vote'
  v: number
  ns: string
  proposal: Uint8Array
  voter: string
  /** 0 for a first vote; a vote change carries a higher one (only where the proposal allows changes) */
  seq: number
  /** a {@link VoteType} on a binary proposal, a {@link Ballot} of the pinned voting type on one with choices */
  choice: Ballot
  metadata: CborRecord
}

/** Counted tally: [forCount, againstCount, abstainCount, forWeight, againstWeight, abstainWeight]. */
export type TallyTuple = [number, number, number, number, number, number]

/**
 * A closer's proposal of an outcome for one round: the decision over an explicit vote set. The
 * outcome (decision, votes, excluded, tally) is what members prevote and precommit, by its id.
 */
export interface CloseBody {
  type: 'close'
  v: number
  ns: string
  proposal: Uint8Array
  closer: string
  /** the round this close proposes in; its closer is the proposal's closer of that round */
  round: number
  /** −1, or an earlier round in which this same outcome had prevotes of more than 2/3 of the weight */
  validRound: number
  closedAt: number
  decision: ConsensusDecision
  /** ids of the counted votes, sorted bytewise */
  votes: Uint8Array[]
  /** equivocation evidence: pairs of vote ids from one voter, each pair sorted, pairs sorted */
  excluded: Array<[Uint8Array, Uint8Array]>
  /** binary: [for, against, abstain] counts then weights; with choices: [ballots naming a choice, 0, abstentions] likewise */
  tally: TallyTuple
  /** the winning choice (1-based) of a proposal with choices; 0 when there is none, and always on a binary proposal */
  winner: number
}

/** A member's prevote or precommit of one round: each honest member signs at most one of each per round. */
export interface AckBody {
  type: 'ack'
  v: number
  ns: string
  proposal: Uint8Array
  signer: string
  round: number
  phase: AckPhase
  /** the outcome id this ack is for; `null` only in a nil prevote */
  value: Uint8Array | null
}

/**
 * Unsigned pull request: send me these ids (or, if none, what helps me converge) for this proposal.
 * A `proposal` of 32 zero bytes asks for the proofs of the peer's recent decisions (catch-up).
 */
export interface WantBody {
  type: 'want'
  v: number
  ns: string
  proposal: Uint8Array
  ids: Uint8Array[]
}

/**
 * "I am on this namespace's topic now", signed by that peer and gossiped every few seconds, so that
 * a peer that sees only a hub (a browser tab) still knows the swarm it proposes to. Transport-level:
 * the core never counts it.
 */
export interface PresenceBody {
  type: 'presence'
  v: number
  ns: string
  peer: string
  /** the sender's clock when it sent this; receivers drop stale or replayed announcements */
  at: number
  /** whether the peer answers proposals; a coordinator's default electorate counts only voters */
  voter: boolean
  /**
   * A display name the peer chose (`expert-backend-001`), absent (no key at all) when it has none. Self-declared:
   * anyone may announce any name, so it only labels the peer and helps a coordinator find its PeerId; what is
   * signed and counted in a proposal is always the PeerId. See {@link displayNameProblem} for what is allowed.
   */
  name?: string
  /** A role the peer chose (`reviewer`), absent when it has none; the same rules as `name`. */
  role?: string
  /**
   * `true`: "I am leaving the topic now" — the peer is stopping, and receivers drop it from their rosters
   * at once instead of after their TTL. Absent (no key, never `false`) in an ordinary announcement, so one
   * announcement has one encoding.
   */
  leaving?: true
}

/** Any message body. */
export type MessageBody = ProposalBody | VoteBody | CloseBody | AckBody | WantBody | PresenceBody

/** The body types that carry a signature. */
export type SignedBody = ProposalBody | VoteBody | CloseBody | AckBody | PresenceBody

const DECISIONS = new Set<string>(['approved', 'rejected', 'timeout'])
const CHOICES = new Set<string>(Object.values(VoteType))

function fail (field: string, expected: string): never {
  throw new InvalidMessageError('malformed', `${field}: expected ${expected}`)
}

function isRecord (value: unknown): value is Record<string, CborValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function str (value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) fail(field, `a non-empty string of at most ${max} characters`)
  return value
}

function uint (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field, 'a non-negative integer')
  return value
}

function hash (value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.byteLength !== 32) fail(field, 'a 32-byte hash')
  return value
}

function roundOf (value: unknown, field: string): number {
  const round = uint(value, field)
  if (round > MAX_ROUND) fail(field, `a round of at most ${MAX_ROUND}`)
  return round
}

function list (value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value) || value.length > max) fail(field, `an array of at most ${max} items`)
  return value
}

function record (value: unknown, field: string): CborRecord {
  if (!isRecord(value)) fail(field, 'a map')
  return value
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.byteLength - b.byteLength
}

function sortedUniqueHashes (value: unknown, field: string, max: number): Uint8Array[] {
  const hashes = list(value, field, max).map((h, i) => hash(h, `${field}[${i}]`))
  for (let i = 1; i < hashes.length; i++) {
    if (compareBytes(hashes[i - 1] as Uint8Array, hashes[i] as Uint8Array) >= 0) fail(field, 'ids sorted bytewise without repeats')
  }
  return hashes
}

function choiceIndex (value: unknown, field: string, min: number): number {
  const index = uint(value, field)
  if (index < min || index > MAX_CHOICES) fail(field, `a choice index from ${min} to ${MAX_CHOICES}`)
  return index
}

/**
 * The shape of a ballot, whatever the proposal: a vote value, a choice index, a list of indices or a
 * map of index → share. Whether it fits the proposal's choices and voting type is the core's check.
 */
function ballotShape (value: unknown): Ballot {
  if (typeof value === 'string') {
    if (!CHOICES.has(value)) fail('choice', 'for, against, abstain, a choice index, a list of them or a map of shares')
    return value as VoteType
  }
  if (typeof value === 'number') return choiceIndex(value, 'choice', 1)
  if (Array.isArray(value)) return list(value, 'choice', MAX_CHOICES).map((c, i) => choiceIndex(c, `choice[${i}]`, 1))
  if (!isRecord(value)) fail('choice', 'for, against, abstain, a choice index, a list of them or a map of shares')
  const entries = Object.entries(value)
  if (entries.length > MAX_CHOICES) fail('choice', `a map of at most ${MAX_CHOICES} shares`)
  const shares: Record<string, number> = {}
  for (const [key, share] of entries) {
    if (typeof share !== 'number' || !Number.isFinite(share)) fail(`choice.${key}`, 'a finite number')
    shares[key] = share
  }
  return shares
}

function exactKeys (body: Record<string, unknown>, keys: readonly string[], optional: readonly string[] = []): void {
  const present = Object.keys(body)
  if (!keys.every(k => k in body) || present.some(k => !keys.includes(k) && !optional.includes(k))) {
    fail('body', `exactly the fields ${keys.join(', ')}${optional.length === 0 ? '' : ` (and optionally ${optional.join(', ')})`}`)
  }
}

/** Characters a display name may not hold: controls, line and paragraph separators, and bidi controls (they reorder what is shown around them). */
const FORBIDDEN_IN_NAMES = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u

/**
 * What is wrong with `text` as an announced display name or role, or `undefined` when it is fine: it
 * must be a string of 1 to `maxLength` UTF-16 code units, in Unicode NFC (so that one name has one
 * encoding), without leading or trailing whitespace, control characters, line separators or bidi
 * controls (a name is shown next to others; it must not rearrange or hide them).
 */
export function displayNameProblem (text: unknown, maxLength: number): string | undefined {
  if (typeof text !== 'string') return `a string, got ${text === null ? 'null' : typeof text}`
  if (text.length === 0 || text.length > maxLength) return `1 to ${maxLength} characters, got ${text.length}`
  if (text.normalize('NFC') !== text) return 'a string in Unicode NFC (normalize it first)'
  if (text.trim() !== text) return 'no leading or trailing whitespace'
  const bad = FORBIDDEN_IN_NAMES.exec(text)
  if (bad === null) return undefined
  const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
  return `no control, separator or bidi-control characters, found U+${code}`
}

function displayName (value: unknown, field: string, maxLength: number): string {
  const problem = displayNameProblem(value, maxLength)
  if (problem !== undefined) fail(field, problem)
  return value as string
}

const KEYS = {
  proposal: [
    'type', 'v', 'ns', 'coordinator', 'seq', 'createdAt', 'deadline', 'step', 'electorate', 'algorithm', 'closers', 'payload', 'choices', 'voteChange'
  ],
  vote: ['type', 'v', 'ns', 'proposal', 'voter', 'seq', 'choice', 'metadata'],
  close: ['type', 'v', 'ns', 'proposal', 'closer', 'round', 'validRound', 'closedAt', 'decision', 'votes', 'excluded', 'tally', 'winner'],
  ack: ['type', 'v', 'ns', 'proposal', 'signer', 'round', 'phase', 'value'],
  want: ['type', 'v', 'ns', 'proposal', 'ids'],
  presence: ['type', 'v', 'ns', 'peer', 'at', 'voter']
} as const

/** The fields a presence may carry or leave out (left out: no key at all). */
const OPTIONAL_PRESENCE_KEYS = ['name', 'role', 'leaving'] as const

/** Bytewise order on hashes (the order of `votes` and `excluded` in a close). */
export { compareBytes }

/**
 * Check a decoded body against its schema and the limits. Returns it typed, or throws
 * {@link InvalidMessageError} naming the first bad field.
 */
export function parseBody (value: unknown, limits: DecodeLimits): MessageBody {
  if (!isRecord(value)) fail('body', 'a map')
  const type = value.type
  if (typeof type !== 'string' || !(type in KEYS)) fail('type', 'proposal, vote, close, ack, want or presence')
  if (value.v !== PROTOCOL_VERSION) {
    if (typeof value.v === 'number' && Number.isSafeInteger(value.v) && value.v > 0) {
      throw new InvalidMessageError('wrong-version', `a protocol v${value.v} ${type} (this peer speaks v${PROTOCOL_VERSION}): refused, not read`)
    }
    fail('v', `protocol version ${PROTOCOL_VERSION}`)
  }
  exactKeys(value, KEYS[type as keyof typeof KEYS], type === 'presence' ? OPTIONAL_PRESENCE_KEYS : [])
  const idMax = limits.maxIdLength
  const ns = str(value.ns, 'ns', idMax)

  switch (type) {
    case 'proposal': {
      const electorate = list(value.electorate, 'electorate', limits.maxElectorate).map((entry, i) => {
        if (!Array.isArray(entry) || entry.length !== 2) fail(`electorate[${i}]`, '[peer id, weight]')
        return [str(entry[0], `electorate[${i}].id`, idMax), uint(entry[1], `electorate[${i}].weight`)] as [string, number]
      })
      for (let i = 1; i < electorate.length; i++) {
        if ((electorate[i - 1] as [string, number])[0] >= (electorate[i] as [string, number])[0]) fail('electorate', 'members sorted by id without repeats')
      }
      const algorithm = record(value.algorithm, 'algorithm')
      exactKeys(algorithm, ['name', 'kind', 'params'])
      const closers = list(value.closers, 'closers', limits.maxClosers).map((c, i) => str(c, `closers[${i}]`, idMax))
      const coordinator = str(value.coordinator, 'coordinator', idMax)
      if (closers[0] !== coordinator || new Set(closers).size !== closers.length) fail('closers', 'unique ids starting with the coordinator')
      const createdAt = uint(value.createdAt, 'createdAt')
      const deadline = uint(value.deadline, 'deadline')
      if (deadline <= createdAt) fail('deadline', 'a time after createdAt')
      const step = uint(value.step, 'step')
      if (step === 0) fail('step', 'a positive number of milliseconds')
      const choices = list(value.choices, 'choices', MAX_CHOICES).map((c, i) => str(c, `choices[${i}]`, MAX_CHOICE_LENGTH))
      if (new Set(choices).size !== choices.length) fail('choices', 'distinct choices')
      if (typeof value.voteChange !== 'boolean') fail('voteChange', 'true or false')
      return {
        type,
        v: PROTOCOL_VERSION,
        ns,
        coordinator,
        seq: uint(value.seq, 'seq'),
        createdAt,
        deadline,
        step,
        electorate,
        algorithm: {
          name: str(algorithm.name, 'algorithm.name', idMax),
          kind: str(algorithm.kind, 'algorithm.kind', idMax),
          params: record(algorithm.params, 'algorithm.params')
        },
        closers,
        payload: record(value.payload, 'payload'),
        choices,
        voteChange: value.voteChange
      }
    }
    case 'vote': {
      const seq = uint(value.seq, 'seq')
      if (seq > MAX_VOTE_SEQ) fail('seq', `a sequence number of at most ${MAX_VOTE_SEQ}`)
      return {
        type,
        v: PROTOCOL_VERSION,
        ns,
        proposal: hash(value.proposal, 'proposal'),
        voter: str(value.voter, 'voter', idMax),
        seq,
        choice: ballotShape(value.choice),
        metadata: record(value.metadata, 'metadata')
      }
    }
    case 'close': {
      if (typeof value.decision !== 'string' || !DECISIONS.has(value.decision)) fail('decision', 'approved, rejected or timeout')
      const tally = list(value.tally, 'tally', 6).map((n, i) => uint(n, `tally[${i}]`))
      if (tally.length !== 6) fail('tally', 'six counts')
      const excluded = list(value.excluded, 'excluded', limits.maxElectorate).map((pair, i) => {
        const [a, b] = sortedUniqueHashes(pair, `excluded[${i}]`, 2)
        if (a === undefined || b === undefined) fail(`excluded[${i}]`, 'two vote ids')
        return [a, b] as [Uint8Array, Uint8Array]
      })
      for (let i = 1; i < excluded.length; i++) {
        const previous = excluded[i - 1] as [Uint8Array, Uint8Array]
        const next = excluded[i] as [Uint8Array, Uint8Array]
        if (compareBytes(previous[0], next[0]) >= 0) fail('excluded', 'pairs sorted by first id')
      }
      const round = roundOf(value.round, 'round')
      const validRound = value.validRound === -1 ? -1 : roundOf(value.validRound, 'validRound')
      if (validRound >= round) fail('validRound', '-1 or a round before round')
      return {
        type,
        v: PROTOCOL_VERSION,
        ns,
        proposal: hash(value.proposal, 'proposal'),
        closer: str(value.closer, 'closer', idMax),
        round,
        validRound,
        closedAt: uint(value.closedAt, 'closedAt'),
        decision: value.decision as ConsensusDecision,
        votes: sortedUniqueHashes(value.votes, 'votes', limits.maxElectorate),
        excluded,
        tally: tally as TallyTuple,
        winner: choiceIndex(value.winner, 'winner', 0)
      }
    }
    case 'ack': {
      if (value.phase !== AckPhase.Prevote && value.phase !== AckPhase.Precommit) fail('phase', 'prevote or precommit')
      const ackValue = value.value === null && value.phase === AckPhase.Prevote ? null : hash(value.value, 'value')
      return {
        type,
        v: PROTOCOL_VERSION,
        ns,
        proposal: hash(value.proposal, 'proposal'),
        signer: str(value.signer, 'signer', idMax),
        round: roundOf(value.round, 'round'),
        phase: value.phase,
        value: ackValue
      }
    }
    case 'presence': {
      if (typeof value.voter !== 'boolean') fail('voter', 'true or false')
      const presence: PresenceBody = { type, v: PROTOCOL_VERSION, ns, peer: str(value.peer, 'peer', idMax), at: uint(value.at, 'at'), voter: value.voter }
      // absent, never null or empty, when unset: one encoding per announcement
      if ('name' in value) presence.name = displayName(value.name, 'name', limits.maxNameLength)
      if ('role' in value) presence.role = displayName(value.role, 'role', limits.maxNameLength)
      if ('leaving' in value) {
        if (value.leaving !== true) fail('leaving', 'true (or no key at all)')
        presence.leaving = true
      }
      return presence
    }
    default:
      return {
        type: 'want',
        v: PROTOCOL_VERSION,
        ns,
        proposal: hash(value.proposal, 'proposal'),
        ids: list(value.ids, 'ids', limits.maxWantIds).map((h, i) => hash(h, `ids[${i}]`))
      }
  }
}

/** The peer whose key must have signed a body. */
export function signerOf (body: SignedBody): string {
  switch (body.type) {
    case 'proposal': return body.coordinator
    case 'vote': return body.voter
    case 'close': return body.closer
    case 'ack': return body.signer
    case 'presence': return body.peer
  }
}
