/**
 * How the CLI shows proposals, votes and decisions: one line each for people, one JSON object per
 * line (`--json`) for scripts.
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { encodeCertificate } from '../core/certificate.js'
import type { ConsensusResult, ProposalView } from '../core/results.js'
import type { CborRecord, CborValue } from '../types.js'

/** Local wall-clock time, `HH:MM:SS`. */
export function clock (date = new Date()): string {
  return date.toTimeString().slice(0, 8)
}

/** A PeerId shortened to its distinctive tail: every Ed25519 id starts with `12D3KooW`. */
export function shortPeer (peerId: string): string {
  return peerId.length > 12 ? `…${peerId.slice(-8)}` : peerId
}

/** A proposal id or certificate hash shortened for people. */
export function shortId (id: string): string {
  return id.slice(0, 8)
}

/** CBOR values back to JSON: bytes become base64 strings. */
function toJson (value: CborValue): unknown {
  if (value instanceof Uint8Array) return uint8ArrayToString(value, 'base64')
  if (Array.isArray(value)) return value.map(toJson)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]))
  return value
}

/** A payload as compact JSON, cut to `max` characters. */
export function payloadText (payload: CborRecord | undefined, max = 120): string {
  if (payload === undefined) return '(payload not seen)'
  const text = JSON.stringify(toJson(payload))
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** `proposal 3f2a91c0 by …abcd1234  quorum  {"action":"deploy"}` */
export function proposalLine (proposal: ProposalView): string {
  const window = `${proposal.electorate.length} voters, ${Math.max(0, proposal.deadline - proposal.createdAt)} ms`
  return `proposal ${shortId(proposal.id)} by ${shortPeer(proposal.coordinator)}  ${proposal.algorithm}  ${payloadText(proposal.payload)}  (${window})`
}

/** `APPROVED  3f2a91c0  quorum  for 3 · against 0 · abstain 0 of 3  142 ms  cert 9c1e2d4a  {"action":"deploy"}` */
export function decisionLine (result: ConsensusResult, payload?: CborRecord): string {
  const cert = result.certificate === undefined ? 'no certificate (unconfirmed)' : `cert ${shortId(result.certificate.id)}`
  return [
    result.decision.toUpperCase(),
    shortId(result.proposalId),
    result.algorithmUsed,
    `for ${result.votesFor} · against ${result.votesAgainst} · abstain ${result.votesAbstain} of ${result.participants.length}`,
    `${Math.round(result.durationMs)} ms`,
    cert,
    payloadText(payload)
  ].join('  ')
}

/** A result as plain JSON: the certificate as base64 of `encodeCertificate` (feed it to `decodeCertificate` and `verifyCertificate`). */
export function resultJson (result: ConsensusResult, payload?: CborRecord): Record<string, unknown> {
  const { certificate, metadata, ...rest } = result
  return {
    ...rest,
    ...(payload === undefined ? {} : { payload: toJson(payload) }),
    metadata: toJson(metadata),
    certificateId: certificate?.id ?? null,
    certificate: certificate === undefined ? null : uint8ArrayToString(encodeCertificate(certificate), 'base64')
  }
}

/** A proposal as plain JSON. */
export function proposalJson (proposal: ProposalView): Record<string, unknown> {
  return { ...proposal, payload: toJson(proposal.payload), algorithmParams: toJson(proposal.algorithmParams) }
}
