/**
 * What a Byzantine member can sign, built with the real core code so that what it signs is exactly
 * as valid as an honest peer's: a close of any round over any subset of the votes (two of them for
 * one round is an equivocating closer), and any prevote or precommit (two for one round and phase is
 * an equivocating member). Shared by the adversarial tests, the exhaustive exploration and the soak.
 */
import { defaultAlgorithms } from '../../src/algorithms/index.js'
import { checkProposal } from '../../src/core/context.js'
import { ProposalState } from '../../src/core/proposal-state.js'
import { roundStart } from '../../src/core/round-clock.js'
import { decisionFor, winnerFor } from '../../src/core/verify-close.js'
import { sealMessage, type OpenedAck, type OpenedClose, type OpenedProposal, type OpenedVote } from '../../src/wire/envelope.js'
import { idFromString } from '../../src/wire/ids.js'
import { PROTOCOL_VERSION, type AckPhase } from '../../src/wire/messages.js'
import { outcomeKey } from '../../src/wire/outcome.js'
import type { ConsensusDecision } from '../../src/types.js'
import type { Identity } from '../../src/wire/identity.js'

const kinds = new Map(Object.values(defaultAlgorithms()).map(a => [a.kind, a]))

/** What a forged close says beyond its votes. */
export interface ForgedCloseSpec {
  /** default 0 */
  round?: number
  /** default −1 */
  validRound?: number
  /** default: the start of its round (round 0: the deadline for a timeout, else the proposal's createdAt + 1) */
  closedAt?: number
  /** default: what the votes give (a settled outcome, else timeout); another value makes an invalid close */
  decision?: ConsensusDecision
}

/** A close signed by `closer` over exactly `votes` (first vote per voter counts, a second is equivocation evidence). */
export async function forgeClose (closer: Identity, proposal: OpenedProposal, votes: OpenedVote[], spec: ForgedCloseSpec = {}): Promise<OpenedClose> {
  const ctx = checkProposal(proposal, kind => kinds.get(kind))
  if (ctx === undefined) throw new Error('forgeClose: the proposal uses an algorithm kind the defaults lack')
  const state = new ProposalState(ctx)
  for (const vote of votes) state.addVote(vote)
  const round = spec.round ?? 0
  const evaluation = state.evaluate()
  const body = proposal.body
  const settled = decisionFor(evaluation, false)
  const decision = spec.decision ?? settled ?? decisionFor(evaluation, true) as ConsensusDecision
  const closedAt = spec.closedAt ?? (round > 0 ? roundStart(body, round) : settled === undefined || body.voteChange ? body.deadline : body.createdAt + 1)
  const draft = state.draftClose(closer.peerId, round, evaluation, closedAt)
  draft.validRound = spec.validRound ?? -1
  draft.closedAt = closedAt
  draft.decision = decision
  draft.winner = winnerFor(evaluation, decision)
  return sealMessage(closer, draft)
}

/** An ack signed by `signer`: a prevote (value `null` = nil) or precommit of `round` for an outcome id. */
export async function forgeAck (signer: Identity, proposal: OpenedProposal, round: number, phase: AckPhase, value: string | null): Promise<OpenedAck> {
  return sealMessage(signer, {
    type: 'ack',
    v: PROTOCOL_VERSION,
    ns: proposal.body.ns,
    proposal: proposal.id,
    signer: signer.peerId,
    round,
    phase,
    value: value === null ? null : idFromString(value)
  })
}

/** The outcome id members prevote and precommit for a close. */
export function outcomeOf (close: OpenedClose): string {
  return outcomeKey(close.body)
}
