import { sealMessage, type OpenedClose } from '../../wire/envelope.js'
import { checkClose, closeSlot, type CheckedClose } from '../verify-close.js'
import { accept, ignore } from '../verdicts.js'
import { FUTURE_ROUNDS, roundNow } from './ack.js'
import { react, type HandlerContext, type Reactions } from './context.js'
import { advance } from './step.js'
import type { ProposalState } from '../proposal-state.js'
import type { Verdict } from '../../transport/coordinator.js'

/**
 * Why pending closes are checked again: a vote arrived (the missing ones may be on their way), or a
 * timer fired (then whatever is still missing is pulled).
 */
export type RecheckTrigger = 'vote' | 'timer'

/**
 * A close: verified against the votes held, then kept (its outcome may be prevoted in its round);
 * a round-0 timeout early by our clock is held until the deadline; a close citing votes we lack is
 * kept pending and its votes pulled. `held` is true when an early close's time came.
 */
export async function onClose (
  core: HandlerContext, state: ProposalState, close: OpenedClose, from: string, reactions: Reactions, held = false, viaTopic = false
): Promise<Verdict> {
  if (state.holdsClose(close.key)) return ignore('duplicate')
  if (close.body.round > roundNow(core, state) + FUTURE_ROUNDS) return ignore('future-round')
  // a closer that signs close after close for one round is keeping us busy: one, plus one more as evidence, is all we hold
  if (state.closesBy(close.body.closer, close.body.round) >= 2) return ignore('close-limit')
  const notBefore = closeSlot(state.ctx, close)
  if (!held && close.body.round === 0 && core.clock.now() + core.clockToleranceMs < notBefore) {
    // A round-0 close whose signed closedAt says the deadline has come; our clock says not yet. What
    // it claims is checked now (a bad close is rejected at once), but a clock can be wrong, so it is
    // not provably bad: hold it, and take it only once the deadline comes here — a coordinator whose
    // clock runs ahead must not cut the vote short. (A close of a later round needs no hold: it is
    // prevoted only by members in its round.)
    checkClose(state.ctx, close, key => state.vote(key))
    state.holdEarlyClose(close)
    core.scheduler.at(state, notBefore - core.clockToleranceMs, async () => {
      state.releaseEarlyClose(close.key)
      const later: Reactions = []
      await onClose(core, state, close, from, later, true, viaTopic)
      await react(later)
    })
    return ignore('early-close')
  }
  const checked = state.addClose(close)
  if ('missing' in checked) {
    // came over the topic: every peer it reaches got it there (a re-publish of a seen message is a
    // no-op on gossipsub), so once its votes are in it is not passed on again (see recheckPendingCloses)
    if (viaTopic) core.fromTopic.add(close)
    // ask the sender and one more peer: the sender may be a closer that just died
    await core.outbox.pull(state.key, checked.missing, from)
    await core.outbox.pull(state.key, checked.missing, core.outbox.nextPullPeer(state, from))
    // pulls get lost too: ask again soon rather than at the next retry
    core.scheduler.at(state, core.clock.now() + state.ctx.proposal.body.step / 2, async () => retryPendingCloses(core, state))
    return ignore('missing-votes')
  }
  noteVerifiedClose(core, state, checked)
  const now = core.clock.now()
  const step = state.ctx.proposal.body.step
  if (close.body.round === 0 && state.closesOfRound(0).length === 1 && now < state.deadline) {
    // the coordinator closed early: lost prevotes and precommits are re-sent Δ/2 from now, not only after the deadline
    core.scheduler.retryAt(state, now + step / 2)
  }
  reactions.push(async () => {
    await core.remember(state.key, checked.close)
    await advance(core, state)
  })
  return accept('close')
}

/** What a verified close changes at once: our own close recognised; a second close of one closer for one round is evidence. */
function noteVerifiedClose (core: HandlerContext, state: ProposalState, checked: CheckedClose): void {
  const { closer, round } = checked.close.body
  if (closer === core.peerId) state.chooseClose(round)
  const other = state.closesOfRound(round).find(c => c.close.key !== checked.close.key && c.close.body.closer === closer)
  if (other !== undefined && other.value !== checked.value) {
    const messages = [other.close.bytes, checked.close.bytes]
    core.emit('evidence', { detail: { kind: 'conflicting-close', proposalId: state.key, offender: closer, messages } })
  }
}

/** Check the pending closes again on a timer, pulling what they still miss, and act on those that pass. */
export async function retryPendingCloses (core: HandlerContext, state: ProposalState): Promise<void> {
  await react(recheckPendingCloses(core, state, 'timer'))
}

/**
 * Check pending closes again (now, synchronously: whether a close is verified must be known before a
 * verdict) — after a vote, those whose cited votes have all arrived; on a timer, every one (pulling
 * what it still lacks); returns what to do about those that now pass.
 */
export function recheckPendingCloses (core: HandlerContext, state: ProposalState, trigger: RecheckTrigger): Reactions {
  const reactions: Reactions = []
  if (state.pendingCloses.size === 0) return reactions
  for (const pending of [...state.pendingCloses.values()]) {
    if (trigger === 'vote' && !state.completes(pending.key)) continue
    let checked: CheckedClose | { missing: string[] }
    try {
      checked = state.addClose(pending)
    } catch (err: any) {
      core.log('dropped close %s once its votes arrived: %s', pending.key, err?.message)
      continue
    }
    if (!('missing' in checked)) {
      const adopted = checked
      noteVerifiedClose(core, state, adopted)
      // we had to pull to check it, so others may lack it too: pass it on, unless it came over the
      // topic (gossipsub refuses to publish a message it has seen: nothing would leave)
      const passOn = !core.fromTopic.has(adopted.close)
      reactions.push(async () => {
        await core.remember(state.key, adopted.close)
        if (passOn) await core.outbox.broadcast(adopted.close)
        await advance(core, state)
      })
    } else if (trigger === 'timer') void core.outbox.pull(state.key, checked.missing, core.outbox.nextPullPeer(state))
  }
  return reactions
}

/**
 * Close round 0 as the coordinator: as soon as the outcome is settled, or at the deadline (then the
 * rule decides on the votes counted: a timeout for a binary rule). Where votes may change, never
 * before the deadline.
 */
export async function tryClose (core: HandlerContext, state: ProposalState): Promise<void> {
  const body = state.ctx.proposal.body
  const now = core.clock.now()
  if (body.coordinator !== core.peerId || state.closedRound(0) || state.observeOnly || core.replaying) return
  if (body.voteChange && now < body.deadline) return
  const evaluation = state.evaluate()
  if (evaluation.outcome === 'pending' && now < body.deadline) return
  if (!state.chooseClose(0)) return
  const close = await sealMessage(core.identity, state.draftClose(core.peerId, 0, evaluation, Math.ceil(now)))
  await core.store.save(state.key, close)
  await core.outbox.broadcast(close)
  await core.processNow(close, core.peerId)
}
