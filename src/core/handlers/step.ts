import { sealMessage, type OpenedAck } from '../../wire/envelope.js'
import { AckPhase, PROTOCOL_VERSION } from '../../wire/messages.js'
import { idFromString } from '../../wire/ids.js'
import { NIL, type ProposalState } from '../proposal-state.js'
import { finalResult } from '../results.js'
import { closerOf, nilPrevoteAt, roundAt } from '../round-clock.js'
import type { CheckedClose } from '../verify-close.js'
import { MAX_ACTIVE_ROUND } from '../constants.js'
import { isPromise, type HandlerContext, type Maybe } from './context.js'

/**
 * The closing rounds (protocol v2, docs/PROTOCOL.md): after anything changes — a close verified, an
 * ack counted, a timer — do every step the rules now allow, Tendermint's "upon" rules:
 * enter a later round (by our clock, or because members carrying more than 1/3 of the weight are in
 * it), prevote nil in round 0 once its close is overdue, propose as closer of the round, prevote an
 * acceptable close of the round, precommit a polka of the round, decide. Every own ack is claimed
 * synchronously before it is signed, so no second one of a round and phase can start meanwhile.
 */
export function advance (core: HandlerContext, state: ProposalState): Maybe<void> {
  // nothing is signed while the datastore is replayed (our stored acks come back first); what the
  // stored acks prove is decided, without events
  if (checkDecision(core, state) || core.replaying) return
  return advanceFrom(core, state, 0)
}

/** Steps `steps` onwards of {@link advance} (at most 16 in all): at once, until one has to sign or pull. */
function advanceFrom (core: HandlerContext, state: ProposalState, steps: number): Maybe<void> {
  for (; steps < 16 && state.decided === undefined; steps++) {
    if (checkDecision(core, state)) return
    const took = step(core, state)
    if (isPromise(took)) {
      const next = steps + 1
      return took.then(async more => { if (more) await advanceFrom(core, state, next) })
    }
    if (!took) return
  }
}

/** One step the rules allow now; false when there is none (at once when there is none, or it signs nothing). */
function step (core: HandlerContext, state: ProposalState): Maybe<boolean> {
  const body = state.ctx.proposal.body
  const now = core.clock.now()
  const target = Math.min(MAX_ACTIVE_ROUND, Math.max(roundAt(body, now), state.roundAhead ?? 0))
  if (state.enterRound(target)) {
    onEnterRound(core, state, target)
    return true
  }
  const r = state.currentRound
  const signs = !state.observeOnly && state.ctx.electorate.has(core.peerId)
  if (signs && state.ownPrevote(0) === undefined && (r > 0 || now >= nilPrevoteTime(state))) {
    // no round-0 close verified in time (or we are past round 0): say so, so later closers know
    // whether a round-0 outcome may still have been decided on the fast path
    const first = state.closesOfRound(0)[0]
    return sign(core, state, 0, AckPhase.Prevote, r === 0 && first !== undefined ? first.value : NIL)
  }
  if (r > 0 && closerOf(body, r) === core.peerId && !state.observeOnly && !state.closedRound(r)) {
    return propose(core, state, r).then(proposed => proposed || stepAfterClosing(core, state, r, signs))
  }
  return stepAfterClosing(core, state, r, signs)
}

/** The rest of {@link step}, after this peer's close of round `r` (if it is its closer): prevote a close, precommit a polka. */
function stepAfterClosing (core: HandlerContext, state: ProposalState, r: number, signs: boolean): Maybe<boolean> {
  if (signs && state.ownPrevote(r) === undefined) {
    const close = state.closesOfRound(r).find(c => acceptable(state, c))
    if (close !== undefined) return sign(core, state, r, AckPhase.Prevote, close.value)
  }
  if (signs) {
    // a polka of this round, or of an earlier one while every ack we signed since is a nil prevote:
    // precommitting it late binds nothing we said afterwards (see docs/PROTOCOL.md, Lemma 3)
    for (let q = r; q >= Math.max(0, state.lastBindingRound); q--) {
      const polka = state.polka(q)
      if (polka !== undefined && state.outcome(polka) !== undefined && state.ownPrecommit(q) === undefined) {
        return sign(core, state, q, AckPhase.Precommit, polka)
      }
    }
  }
  return false
}

/** When a member that verified no round-0 close prevotes nil: Δ/2 after the deadline, and not before it held the proposal Δ/2. */
export function nilPrevoteTime (state: ProposalState): number {
  const body = state.ctx.proposal.body
  return Math.max(nilPrevoteAt(body), state.knownSince + body.step / 2)
}

/**
 * Whether this peer may prevote `close` in the current round. Round 0: the first valid close. Later:
 * Tendermint's lock rule (not locked, locked on this outcome, or the close shows a polka for it no
 * older than the lock), and the round-0 rule (this peer's round-0 prevote was nil or this outcome,
 * or more than 1/3 of the weight prevoted otherwise in round 0, or the close shows a polka for it in
 * a round ≥ 1 — either proves the round-0 outcome was not decided on the fast path).
 */
function acceptable (state: ProposalState, close: CheckedClose): boolean {
  const r = close.close.body.round
  if (r === 0) return true
  const vr = close.close.body.validRound
  const shown = vr >= 0 && state.polka(vr) === close.value
  const locked = state.locked
  const lockOk = locked === undefined || locked.value === close.value || (shown && vr >= locked.round)
  const mine0 = state.ownPrevote(0)
  const round0Ok = mine0 === undefined || mine0 === NIL || mine0 === close.value || (shown && vr >= 1) || state.round0Released(mine0)
  return lockOk && round0Ok
}

/** Entering round `r`: lay out its timers (the next round's start, re-sends while it lasts). */
function onEnterRound (core: HandlerContext, state: ProposalState, r: number): void {
  core.log('proposal %s: round %d', state.key, r)
  core.scheduler.roundEntered(state, r)
}

/**
 * Propose as closer of round `r ≥ 1`: the outcome of the latest polka this peer saw (Tendermint's
 * validValue), else the round-0 outcome that may still have been decided on the fast path, else
 * its own count (a timeout, or a settled decision). False when it cannot yet (the outcome it must
 * re-propose is still being pulled).
 */
async function propose (core: HandlerContext, state: ProposalState, r: number): Promise<boolean> {
  const now = Math.ceil(core.clock.now())
  const valid = state.valid
  let draft
  if (valid !== undefined) {
    draft = state.reproposeClose(core.peerId, r, state.outcome(valid.value) as CheckedClose, valid.round, now)
  } else {
    const candidate = state.round0Candidate
    if (candidate !== undefined) {
      const outcome = state.outcome(candidate)
      if (outcome === undefined) {
        // its close is pulled once here; the re-sends and pulls of every retry cover a lost answer
        if (state.firstAskFor(candidate)) await core.outbox.pull(state.key, [], core.outbox.nextPullPeer(state))
        return false
      }
      draft = state.reproposeClose(core.peerId, r, outcome, -1, now)
    } else {
      draft = state.draftClose(core.peerId, r, state.evaluate(), now)
    }
  }
  if (!state.chooseClose(r)) return false
  const close = await sealMessage(core.identity, draft)
  // stored before it leaves: after a crash we must never sign a second close for this round
  await core.store.save(state.key, close)
  await core.outbox.broadcast(close)
  await core.processNow(close, core.peerId)
  return true
}

/** Claim, sign, store, count and send this peer's ack of round `r` and `phase`; false (at once) when it has one already. */
function sign (core: HandlerContext, state: ProposalState, r: number, phase: AckPhase, value: string): Maybe<boolean> {
  const claimed = phase === AckPhase.Prevote ? state.choosePrevote(r, value) : state.choosePrecommit(r, value)
  if (!claimed) return false
  return signClaimed(core, state, r, phase, value)
}

async function signClaimed (core: HandlerContext, state: ProposalState, r: number, phase: AckPhase, value: string): Promise<boolean> {
  const ack: OpenedAck = await sealMessage(core.identity, {
    type: 'ack',
    v: PROTOCOL_VERSION,
    ns: core.namespace,
    proposal: state.ctx.proposal.id,
    signer: core.peerId,
    round: r,
    phase,
    value: value === NIL ? null : idFromString(value)
  })
  // stored before it leaves: after a crash we must never sign a different ack for this round and phase
  await core.store.save(state.key, ack)
  state.addAck(ack)
  await core.outbox.broadcast(ack)
  return true
}

/** Decide once the acks held prove a decision: resolve, report, stop the timers. True if decided now. */
export function checkDecision (core: HandlerContext, state: ProposalState): boolean {
  if (state.decided !== undefined) return false
  const candidate = state.decisionCandidate()
  if (candidate === undefined) return false
  const at = core.clock.now()
  const decision = state.finalize(candidate, at)
  const result = finalResult(state, decision, at)
  core.stats.record(result)
  core.log('proposal %s decided %s in round %d (%s)', state.key, result.decision, decision.round, decision.path)
  core.scheduler.clear(state.key)
  core.requests.take(state.key)?.resolve(result)
  core.emit('decision', { detail: result })
  core.rounds.decide(state.key)
  return true
}
