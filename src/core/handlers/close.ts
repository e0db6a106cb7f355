import { sealMessage, type OpenedClose } from '../../wire/envelope.js'
import { checkClose, closeSlot, decisionFor, type CheckedClose } from '../verify-close.js'
import { accept, ignore } from '../verdicts.js'
import { ackClose } from './ack.js'
import { react, type HandlerContext, type Reactions } from './context.js'
import type { Round } from '../round.js'
import type { Verdict } from '../../transport/coordinator.js'

/**
 * Why pending closes are checked again: a vote arrived (the missing ones may be on their way), or a
 * timer fired (then whatever is still missing is pulled).
 */
export type RecheckTrigger = 'vote' | 'timer'

/**
 * A close: verified against the votes held, then adopted and acked; held while early by our clock;
 * kept pending, and its missing votes pulled, while it cites votes we lack. `held` is true when
 * an early close's slot came.
 */
export async function onClose (core: HandlerContext, round: Round, close: OpenedClose, from: string, reactions: Reactions, held = false): Promise<Verdict> {
  if (round.holdsClose(close.key)) return ignore('duplicate')
  // a closer that signs close after close is keeping us busy: one, plus one more as evidence, is all we hold
  if (round.closesBy(close.body.closer) >= 2) return ignore('close-limit')
  const notBefore = closeSlot(round.ctx, close)
  if (!held && core.clock.now() + core.clockToleranceMs < notBefore) {
    // Its signed closedAt claims its slot has come; our clock says not yet. What it claims is
    // checked now (a bad close is rejected at once), but a clock can be wrong, so an early close is
    // not provably bad: hold it, and adopt it only if its time comes here.
    checkClose(round.ctx, close, key => round.vote(key))
    round.holdEarlyClose(close)
    core.scheduler.at(round, notBefore - core.clockToleranceMs, async () => {
      round.releaseEarlyClose(close.key)
      const later: Reactions = []
      await onClose(core, round, close, from, later, true)
      await react(later)
    })
    return ignore('early-close')
  }
  const checked = round.addClose(close, core.clock.now())
  if ('missing' in checked) {
    // ask the sender and one more peer: the sender may be a closer that just died
    await core.outbox.pull(round.key, checked.missing, from)
    await core.outbox.pull(round.key, checked.missing, core.outbox.nextPullPeer(round, from))
    // pulls get lost too: ask again soon rather than at the next retry round
    core.scheduler.at(round, core.clock.now() + round.ctx.proposal.body.step / 2, async () => retryPendingCloses(core, round))
    return ignore('missing-votes')
  }
  const mustAck = noteVerifiedClose(core, round, checked)
  reactions.push(async () => ackClose(core, round, checked, mustAck))
  return accept('close')
}

/**
 * What a verified close changes at once: evidence if it is a second close, and which close this
 * peer will acknowledge (the first it verified, decided here so that no other can take its place
 * while the ack is being signed). Returns whether this peer must now sign that ack.
 */
function noteVerifiedClose (core: HandlerContext, round: Round, checked: CheckedClose): boolean {
  if (checked.close.body.closer === core.peerId) round.markClosing()
  if (round.closes.size > 1) {
    const other = [...round.closes.values()].find(c => c.close.key !== checked.close.key) as CheckedClose
    const offender = checked.close.body.closer
    core.emit('evidence', { detail: { kind: 'conflicting-close', proposalId: round.key, offender, messages: [other.close.bytes, checked.close.bytes] } })
  }
  if (round.observeOnly || !round.ctx.electorate.has(core.peerId)) return false
  return round.chooseAck(checked.close.key)
}

/** Check the pending closes again on a timer, pulling what they still miss, and act on those that pass. */
export async function retryPendingCloses (core: HandlerContext, round: Round): Promise<void> {
  await react(recheckPendingCloses(core, round, 'timer'))
}

/**
 * Check every pending close again (now, synchronously: whether the round is closed must be known
 * before a verdict); returns what to do about those that now pass.
 */
export function recheckPendingCloses (core: HandlerContext, round: Round, trigger: RecheckTrigger): Reactions {
  const reactions: Reactions = []
  for (const pending of [...round.pendingCloses.values()]) {
    let checked: CheckedClose | { missing: string[] }
    try {
      checked = round.addClose(pending, core.clock.now())
    } catch (err: any) {
      core.log('dropped close %s once its votes arrived: %s', pending.key, err?.message)
      continue
    }
    if (!('missing' in checked)) {
      const adopted = checked
      const mustAck = noteVerifiedClose(core, round, adopted)
      reactions.push(async () => {
        // we had to pull to check it, so others may lack it too: pass it on with our ack
        await core.outbox.broadcast(adopted.close)
        await ackClose(core, round, adopted, mustAck)
      })
    } else if (trigger === 'timer') void core.outbox.pull(round.key, checked.missing, core.outbox.nextPullPeer(round))
  }
  return reactions
}

/**
 * Close as closer of `rank`: the coordinator as soon as the outcome is settled or at the deadline,
 * fallback i at deadline + i·Δ and only if it has seen no close at all (not even one still waiting
 * for votes), so that a fallback never competes with a close already spreading.
 */
export async function tryClose (core: HandlerContext, round: Round, rank: number): Promise<void> {
  const body = round.ctx.proposal.body
  const now = core.clock.now()
  if (body.closers[rank] !== core.peerId || round.closing || round.closed || round.observeOnly) return
  if (round.awaitsPendingClose(rank, now, body.closers.length * body.step)) return
  if (rank > 0 && now < round.knownSince + body.step) {
    // we learnt of this proposal late: first ask a peer whether a close is already out
    await core.outbox.pull(round.key, [], core.outbox.nextPullPeer(round))
    core.scheduler.at(round, round.knownSince + body.step, async () => tryClose(core, round, rank))
    return
  }
  // A fallback closes only in its own window [deadline + rank·Δ, deadline + (rank+1)·Δ): once the
  // next closer's slot has begun, two closes would split the acks. The last closer has no end.
  if (rank > 0 && rank < body.closers.length - 1 && now >= body.deadline + (rank + 1) * body.step) return
  const evaluation = round.evaluate()
  if (evaluation.outcome === 'pending' && now < body.deadline) return
  round.markClosing()
  const close = await sealMessage(core.identity, round.draftClose(core.peerId, rank, decisionFor(evaluation), Math.ceil(now)))
  await core.store.save(round.key, close)
  await core.outbox.broadcast(close)
  await core.processNow(close, core.peerId)
}
