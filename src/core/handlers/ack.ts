import { AckPhase } from '../../wire/messages.js'
import { NIL, ackValue, type ProposalState } from '../proposal-state.js'
import { roundAt } from '../round-clock.js'
import { accept, ignore, reject } from '../verdicts.js'
import { advance } from './step.js'
import type { HandlerContext, Maybe, Reactions } from './context.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { OpenedAck } from '../../wire/envelope.js'

/** How far ahead of this peer's round an ack or close may be and still be held (beyond, it is re-sent while it matters). */
export const FUTURE_ROUNDS = 8

/** This peer's round of `state`: the one it entered, or the one its clock is in if that is later (it enters that at its next step). */
export function roundNow (core: HandlerContext, state: ProposalState): number {
  return Math.max(state.currentRound, roundAt(state.ctx.proposal.body, core.clock.now()))
}

/**
 * An ack (a prevote or precommit): counted once per member per round and phase; a second, different
 * one is evidence; an outcome we hold no close for is pulled from the sender. Then every step the
 * rounds allow is taken.
 */
export function onAck (core: HandlerContext, state: ProposalState, ack: OpenedAck, from: string, reactions: Reactions): Maybe<Verdict> {
  if (ack.body.round > roundNow(core, state) + FUTURE_ROUNDS) return ignore('future-round')
  const effect = state.addAck(ack)
  if (effect === 'non-member' || effect === 'wrong-proposal') return reject(effect)
  if (effect === 'duplicate') return ignore('duplicate')
  if (effect === 'conflict') {
    const first = state.ackOf(ack.body.signer, ack.body.round, ack.body.phase) as OpenedAck
    core.emit('evidence', { detail: { kind: 'conflicting-ack', proposalId: state.key, offender: ack.body.signer, messages: [first.bytes, ack.bytes] } })
    // a round-0 prevote conflict releases round-0 locks: let every peer see it
    if (ack.body.round === 0) reactions.push(() => advance(core, state))
    return ignore('conflicting-ack')
  }
  if (ack.body.signer === core.peerId) {
    // our own ack, from the datastore or a relay: we signed it, and sign no other for its round and phase
    if (ack.body.phase === AckPhase.Prevote) state.choosePrevote(ack.body.round, ackValue(ack))
    else state.choosePrecommit(ack.body.round, ackValue(ack))
  }
  const saving = core.remember(state.key, ack)
  if (saving !== undefined) return saving.then(() => ackKept(core, state, ack, from, reactions))
  return ackKept(core, state, ack, from, reactions)
}

/** A counted ack is stored: pull the close of an outcome we have not seen, then take the steps it allows. */
function ackKept (core: HandlerContext, state: ProposalState, ack: OpenedAck, from: string, reactions: Reactions): Maybe<Verdict> {
  const value = ackValue(ack)
  if (value !== NIL && state.outcome(value) === undefined && state.firstAskFor(value)) {
    return core.outbox.pull(state.key, [], from).then(() => {
      reactions.push(() => advance(core, state))
      return accept('ack')
    })
  }
  reactions.push(() => advance(core, state))
  return accept('ack')
}
