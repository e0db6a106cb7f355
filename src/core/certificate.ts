import { InvalidMessageError } from '../errors.js'
import { defaultAlgorithms } from '../algorithms/index.js'
import { decodeCanonical, encodeCanonical } from '../wire/codec.js'
import { openMessage, type AnyOpened, type OpenedAck, type OpenedClose, type OpenedProposal, type OpenedVote } from '../wire/envelope.js'
import { defaultDecodeLimits, type DecodeLimits } from '../wire/limits.js'
import { idToString } from '../wire/ids.js'
import { checkProposal } from './context.js'
import { Round } from './round.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { ConsensusDecision } from '../types.js'

/**
 * Proof of a decision that anyone can check offline: the signed proposal, the signed close, every
 * vote the close counts or cites as evidence, and acks from members holding more than 2/3 of the
 * electorate's weight. `id` is the close's content id, identical on every peer.
 */
export interface Certificate {
  id: string
  proposal: Uint8Array
  close: Uint8Array
  votes: Uint8Array[]
  acks: Uint8Array[]
}

/** What {@link verifyCertificate} recomputed. */
export interface VerifiedCertificate {
  certificateId: string
  proposalId: string
  decision: ConsensusDecision
  closer: string
  closerRank: number
  /** counted voters → choice */
  votes: Record<string, string>
  /** acked weight and the electorate's total weight */
  ackWeight: number
  totalWeight: number
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** extra algorithm kinds (custom ones) the certificate may use */
  algorithms?: Record<string, ConsensusAlgorithm>
  limits?: DecodeLimits
}

/** Certificate as canonical CBOR bytes (to store, send or hand to a verifier). */
export function encodeCertificate (certificate: Certificate): Uint8Array {
  return encodeCanonical({ v: 1, proposal: certificate.proposal, close: certificate.close, votes: certificate.votes, acks: certificate.acks })
}

/** Parse certificate bytes; the parts are checked by {@link verifyCertificate}. */
export function decodeCertificate (bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Certificate {
  const value = decodeCanonical(bytes, limits.maxMessageBytes * 4) as any
  const isBytesList = (x: unknown): x is Uint8Array[] => Array.isArray(x) && x.every(b => b instanceof Uint8Array)
  const parts = value?.v === 1 && value.proposal instanceof Uint8Array && value.close instanceof Uint8Array
  if (!parts || !isBytesList(value.votes) || !isBytesList(value.acks)) {
    throw new InvalidMessageError('malformed', 'certificate: expected { v: 1, proposal, close, votes, acks }')
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
 * that the close is by the right closer for its slot, that each counted vote is valid and one per
 * member, that the tally and decision follow from the pinned algorithm, and that members with more
 * than 2/3 of the weight acknowledged this close. Throws `InvalidMessageError` naming what failed.
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
  const round = new Round(ctx)
  for (const bytes of certificate.votes) {
    const effect = round.addVote(await open<OpenedVote>(bytes, 'vote', limits))
    if (effect === 'non-member' || effect === 'wrong-proposal') throw new InvalidMessageError(effect, `certificate carries a ${effect} vote`)
  }
  const close = await open<OpenedClose>(certificate.close, 'close', limits)
  const checked = round.addClose(close, 0)
  if ('missing' in checked) throw new InvalidMessageError('missing-votes', `certificate lacks ${checked.missing.length} counted vote(s)`)
  for (const bytes of certificate.acks) {
    const effect = round.addAck(await open<OpenedAck>(bytes, 'ack', limits))
    if (effect !== 'counted') throw new InvalidMessageError(`ack-${effect}`, `certificate carries an ack that is ${effect}`)
  }
  const ackWeight = round.ackWeight.get(close.key) ?? 0
  if (round.finalCandidate()?.close.key !== close.key) {
    throw new InvalidMessageError('not-final', `acks carry ${ackWeight} of ${ctx.totalWeight} weight; more than 2/3 is needed`)
  }
  if (certificate.id !== '' && certificate.id !== close.key) throw new InvalidMessageError('wrong-id', 'certificate id is not its close id')
  return {
    certificateId: close.key,
    proposalId: idToString(close.body.proposal),
    decision: close.body.decision,
    closer: close.body.closer,
    closerRank: close.body.rank,
    votes: Object.fromEntries(checked.counted),
    ackWeight,
    totalWeight: ctx.totalWeight
  }
}
