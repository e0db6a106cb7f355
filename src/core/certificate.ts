import { InvalidMessageError } from '../errors.js'
import { defaultAlgorithms } from '../algorithms/index.js'
import { decodeCanonical, encodeCanonical } from '../wire/codec.js'
import { openMessage, type AnyOpened, type OpenedAck, type OpenedClose, type OpenedProposal, type OpenedVote } from '../wire/envelope.js'
import { defaultDecodeLimits, type DecodeLimits } from '../wire/limits.js'
import { idToString } from '../wire/ids.js'
import { checkProposal } from './context.js'
import { ackValue, ProposalState, type DecisionPath } from './proposal-state.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { Ballot, ConsensusDecision } from '../types.js'

/**
 * Proof of a decision that anyone can check offline: the signed proposal, one signed close carrying
 * the decided outcome, every vote that outcome counts or cites as evidence, and the deciding acks —
 * round-0 prevotes of every member (the fast path), or precommits of members holding more than 2/3
 * of the electorate's weight in one round. `id` is the outcome's id, identical on every peer.
 */
export interface Certificate {
  /** the decided outcome's id, the same on every peer (`''` from {@link decodeCertificate}: not carried in the bytes) */
  id: string
  /** the signed proposal */
  proposal: Uint8Array
  /** the signed close that carries the decided outcome */
  close: Uint8Array
  /** every signed vote the close counts or cites as evidence */
  votes: Uint8Array[]
  /** the deciding acks: every member's round-0 prevote, or precommits of one round by more than 2/3 of the weight */
  acks: Uint8Array[]
}

/** What {@link verifyCertificate} recomputed. */
export interface VerifiedCertificate {
  /** the certificate's id, recomputed: the id of the outcome its acks decide */
  certificateId: string
  /** the proposal's content id */
  proposalId: string
  /** the decision the close carries, checked against the counted votes and the pinned algorithm */
  decision: ConsensusDecision
  /** the closer of the close the certificate carries */
  closer: string
  /** that close's round */
  closeRound: number
  /** the round whose acks decided */
  decidedRound: number
  /** how: `fast` (every member's round-0 prevote) or `precommit` (more than 2/3 of the weight) */
  path: DecisionPath
  /** counted voters → ballot (a binary proposal's: for, against or abstain) */
  votes: Record<string, Ballot>
  /** counted voters → the sequence number of the vote counted (above 0: a changed vote) */
  seqs: Record<string, number>
  /** the proposal's choices (empty for a binary proposal) */
  choices: string[]
  /** the winning choice, 1-based, of an approved proposal with choices; otherwise 0 */
  winner: number
  /** weight of the deciding acks */
  ackWeight: number
  /** the electorate's total weight */
  totalWeight: number
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** extra algorithm kinds (custom ones) the certificate may use */
  algorithms?: Record<string, ConsensusAlgorithm>
  /** decode limits for the certificate's messages (default: `defaultDecodeLimits`) */
  limits?: DecodeLimits
}

/** Version of the certificate encoding (protocol v2). */
export const CERTIFICATE_VERSION = 2

/** Certificate as canonical CBOR bytes (to store, send or hand to a verifier). */
export function encodeCertificate (certificate: Certificate): Uint8Array {
  return encodeCanonical({ v: CERTIFICATE_VERSION, proposal: certificate.proposal, close: certificate.close, votes: certificate.votes, acks: certificate.acks })
}

/** Parse certificate bytes; the parts are checked by {@link verifyCertificate}. A v1 certificate is refused as `wrong-version`. */
export function decodeCertificate (bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Certificate {
  const value = decodeCanonical(bytes, limits.maxMessageBytes * 4) as any
  if (typeof value?.v === 'number' && value.v !== CERTIFICATE_VERSION && Number.isSafeInteger(value.v) && value.v > 0) {
    throw new InvalidMessageError('wrong-version', `a v${value.v} certificate: this verifier checks v${CERTIFICATE_VERSION} (protocol v2) certificates only`)
  }
  const isBytesList = (x: unknown): x is Uint8Array[] => Array.isArray(x) && x.every(b => b instanceof Uint8Array)
  const parts = value?.v === CERTIFICATE_VERSION && value.proposal instanceof Uint8Array && value.close instanceof Uint8Array
  if (!parts || !isBytesList(value.votes) || !isBytesList(value.acks)) {
    throw new InvalidMessageError('malformed', `certificate: expected { v: ${CERTIFICATE_VERSION}, proposal, close, votes, acks }`)
  }
  return { id: '', proposal: value.proposal, close: value.close, votes: value.votes, acks: value.acks }
}

async function open <T extends AnyOpened> (bytes: Uint8Array, type: T['body']['type'], limits: DecodeLimits): Promise<T> {
  const opened = await openMessage(bytes, limits)
  if (opened.body.type !== type) throw new InvalidMessageError('malformed', `certificate: expected a ${type}, found a ${opened.body.type}`)
  return opened as T
}

/**
 * Recompute a decision offline, in Node or a browser: check every signature and canonical encoding,
 * that the close is by the right closer for its round and slot, that each counted vote is valid and
 * one per member, that the tally and decision follow from the pinned algorithm, and that the acks
 * decide this outcome: round-0 prevotes of every member, or precommits of one round by members with
 * more than 2/3 of the weight. Throws `InvalidMessageError` naming what failed.
 *
 * @example
 * ```ts
 * const verified = await verifyCertificate(result.certificate)
 * console.log(verified.decision) // 'approved'
 * ```
 */
export async function verifyCertificate (certificate: Certificate, options: VerifyCertificateOptions = {}): Promise<VerifiedCertificate> {
  const limits = options.limits ?? defaultDecodeLimits
  const kinds = new Map(Object.values({ ...defaultAlgorithms(), ...options.algorithms }).map(a => [a.kind, a]))
  const proposal = await open<OpenedProposal>(certificate.proposal, 'proposal', limits)
  const ctx = checkProposal(proposal, kind => kinds.get(kind))
  if (ctx === undefined) {
    throw new InvalidMessageError('unknown-algorithm', `certificate uses algorithm kind ${proposal.body.algorithm.kind}; pass it in options.algorithms`)
  }
  const state = new ProposalState(ctx)
  for (const bytes of certificate.votes) {
    const effect = state.addVote(await open<OpenedVote>(bytes, 'vote', limits))
    if (effect === 'non-member' || effect === 'wrong-proposal' || effect === 'bad-ballot') {
      throw new InvalidMessageError(effect, `certificate carries a ${effect} vote`)
    }
  }
  const close = await open<OpenedClose>(certificate.close, 'close', limits)
  const checked = state.addClose(close)
  if ('missing' in checked) throw new InvalidMessageError('missing-votes', `certificate lacks ${checked.missing.length} counted vote(s)`)
  const acks: OpenedAck[] = []
  for (const bytes of certificate.acks) {
    const ack = await open<OpenedAck>(bytes, 'ack', limits)
    const effect = state.addAck(ack)
    if (effect !== 'counted') throw new InvalidMessageError(`ack-${effect}`, `certificate carries an ack that is ${effect}`)
    acks.push(ack)
  }
  const decided = state.decisionCandidate()
  if (decided === undefined || decided.value !== checked.value) {
    throw new InvalidMessageError('not-final',
      'its acks decide nothing: it needs round-0 prevotes of every member, or precommits of more than 2/3 of the weight in one round, for its outcome')
  }
  const phase = decided.path === 'fast' ? 'prevote' : 'precommit'
  if (acks.some(a => a.body.round !== decided.round || a.body.phase !== phase || ackValue(a) !== decided.value)) {
    throw new InvalidMessageError('not-final', `certificate carries an ack that is not one of its round-${decided.round} ${phase}s for its outcome`)
  }
  if (certificate.id !== '' && certificate.id !== decided.value) throw new InvalidMessageError('wrong-id', 'certificate id is not its outcome id')
  return {
    certificateId: decided.value,
    proposalId: idToString(close.body.proposal),
    decision: close.body.decision,
    closer: close.body.closer,
    closeRound: close.body.round,
    decidedRound: decided.round,
    path: decided.path,
    votes: Object.fromEntries(checked.counted),
    seqs: Object.fromEntries(checked.votes.filter(v => checked.counted.has(v.body.voter)).map(v => [v.body.voter, v.body.seq])),
    choices: ctx.proposal.body.choices,
    winner: close.body.winner,
    ackWeight: acks.reduce((sum, a) => sum + (ctx.electorate.get(a.body.signer) ?? 0), 0),
    totalWeight: ctx.totalWeight
  }
}
