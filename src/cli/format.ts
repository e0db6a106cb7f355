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

/**
 * A PeerId shortened to its distinctive tail, `…7a6WCsLs`: every Ed25519 id starts with `12D3KooW`,
 * so the tail is what tells peers apart. The one short form the CLI prints.
 */
export function shortPeer (peerId: string): string {
  return peerId.length > 12 ? `…${peerId.slice(-8)}` : peerId
}

/** What {@link peerLabel} needs to know of a peer: its PeerId and, if it announced one, its name. */
export interface LabelledPeer { peerId: string, name?: string }

/**
 * A peer as people read it: `expert-backend-001 (…7a6WCsLs)` when it announced a name, else
 * `…7a6WCsLs`. The id stays next to the name because names are self-declared: two peers may
 * announce the same one.
 */
export function peerLabel (peer: LabelledPeer): string {
  return peer.name === undefined ? shortPeer(peer.peerId) : `${peer.name} (${shortPeer(peer.peerId)})`
}

/** Labels peers by PeerId: as {@link peerLabel}, with the names a lookup (such as `consensus.getPeerInfo`) knows. */
export type PeerLabeller = (peerId: string) => string

/** A {@link PeerLabeller} over a lookup of announced names. */
export function labeller (lookup: (peerId: string) => LabelledPeer | undefined): PeerLabeller {
  return (peerId) => peerLabel(lookup(peerId) ?? { peerId })
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

/** `proposal 3f2a91c0 by terminal-1 (…abcd1234)  quorum  {"action":"deploy"}`; `label` shows the coordinator (default: its short id). */
export function proposalLine (proposal: ProposalView, label: PeerLabeller = shortPeer): string {
  const window = `${proposal.electorate.length} voters, ${Math.max(0, proposal.deadline - proposal.createdAt)} ms`
  return `proposal ${shortId(proposal.id)} by ${label(proposal.coordinator)}  ${proposal.algorithm}  ${payloadText(proposal.payload)}  (${window})`
}

/** `voters: expert-backend-001 (…7a6WCsLs), …abcd1234 — 2 of 3 eligible`: who voted, by name where one was announced. */
export function votersLine (result: ConsensusResult, label: PeerLabeller = shortPeer): string {
  const shown = result.voters.slice(0, 20).map(label).join(', ') + (result.voters.length > 20 ? `, … (${result.voters.length} in all)` : '')
  return `voters: ${result.voters.length === 0 ? 'none' : shown} — ${result.voters.length} of ${result.participants.length} eligible`
}

/** A peer's presence as plain JSON (`--json`): `{ peerId, name?, role?, voter }`. */
export function peerJson (peer: LabelledPeer & { role?: string, voter?: boolean }): Record<string, unknown> {
  const named = { ...(peer.name === undefined ? {} : { name: peer.name }), ...(peer.role === undefined ? {} : { role: peer.role }) }
  return { peerId: peer.peerId, ...named, voter: peer.voter }
}

/** `APPROVED  3f2a91c0  quorum  for 3 · against 0 · abstain 0 of 3  142 ms  cert 9c1e2d4a  {"action":"deploy"}` */
export function decisionLine (result: ConsensusResult, payload?: CborRecord): string {
  const cert = result.certificate === undefined ? 'no certificate (unconfirmed)' : `cert ${shortId(result.certificate.id)}`
  const counts = result.choices === undefined
    ? `for ${result.votesFor} · against ${result.votesAgainst} · abstain ${result.votesAbstain} of ${result.participants.length}`
    : `${winnerText(result)}  ballots ${result.votesFor} · abstain ${result.votesAbstain} of ${result.participants.length}`
  return [
    result.decision.toUpperCase(),
    shortId(result.proposalId),
    result.algorithmUsed,
    counts,
    `${Math.round(result.durationMs)} ms`,
    cert,
    payloadText(payload)
  ].join('  ')
}

/** `winner 2 "b"`, or `no winner`. */
function winnerText (result: ConsensusResult): string {
  const winner = result.winner ?? null
  return winner === null ? 'no winner' : `winner ${winner} ${JSON.stringify(result.choices?.[winner - 1] ?? '')}`
}

/** Width of the longest score bar, in characters. */
const BAR_WIDTH = 24

/** A score as people read it: whole numbers as they are, else 4 significant digits. */
function scoreText (value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)))
}

/**
 * The lines that show a result with choices: a bar per choice (its score against the best one, the
 * winner starred), the ranking, and each instant-runoff round's tallies. Empty for a binary result.
 */
export function choiceLines (result: ConsensusResult): string[] {
  const choices = result.choices
  if (choices === undefined) return []
  const scores = result.scores ?? []
  const top = Math.max(0, ...scores)
  const nameWidth = Math.min(32, Math.max(...choices.map(c => c.length)))
  const indexWidth = String(choices.length).length
  const scoreWidth = Math.max(...scores.map(s => scoreText(s).length), 1)
  const lines = choices.map((choice, i) => {
    const score = scores[i] ?? 0
    const filled = top === 0 ? 0 : Math.round(score / top * BAR_WIDTH)
    const mark = result.winner === i + 1 ? '★' : ' '
    const name = choice.length > nameWidth ? `${choice.slice(0, nameWidth - 1)}…` : choice.padEnd(nameWidth)
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled)
    return `${mark} ${String(i + 1).padStart(indexWidth)} ${name}  ${bar}  ${scoreText(score).padStart(scoreWidth)}`
  })
  const name = (c: number): string => `${c} ${JSON.stringify(choices[c - 1] ?? '')}`
  if (result.ranking !== undefined && result.ranking.length > 0) lines.push(`ranking: ${result.ranking.map(name).join(' > ')}`)
  const rounds = result.metadata.irvRounds
  if (Array.isArray(rounds)) {
    // a round's eliminated choice is not in the metadata: it is the lowest tally still running, the lower index on a tie (score.ts's rule)
    const running = new Set(choices.map((_, i) => i + 1))
    rounds.forEach((round, r) => {
      const tallies = (Array.isArray(round) ? round : []) as number[]
      const shown = [...running].map(c => `${choices[c - 1] ?? c} ${scoreText(tallies[c - 1] ?? 0)}`).join(' · ')
      let out = ''
      if (r < rounds.length - 1) {
        const last = [...running].reduce((a, c) => (tallies[c - 1] ?? 0) < (tallies[a - 1] ?? 0) ? c : a)
        running.delete(last)
        out = `  → ${choices[last - 1] ?? last} out`
      }
      lines.push(`round ${r + 1}: ${shown}${out}`)
    })
  }
  return lines
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
