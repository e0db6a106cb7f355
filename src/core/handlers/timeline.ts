import { unconfirmedResult } from '../results.js'
import { retryPendingCloses, tryClose } from './close.js'
import type { HandlerContext } from './context.js'
import type { Round } from '../round.js'
import type { RoundTimeline } from '../scheduler.js'

/** What this peer does for `round` at the moments its {@link Scheduler.schedule} timeline lays out. */
export function roundTimeline (core: HandlerContext, round: Round): RoundTimeline {
  const body = round.ctx.proposal.body
  const resend = async (): Promise<void> => {
    if (round.closed) return
    if (body.coordinator === core.peerId) await core.outbox.broadcast(round.ctx.proposal)
    const own = round.ownVote
    if (own.state === 'cast') await core.outbox.broadcast(own.vote)
  }
  return {
    resend,
    close: (rank) => tryClose(core, round, rank),
    retry: async () => {
      await resend()
      const acked = round.ackedClose === undefined ? undefined : round.closes.get(round.ackedClose)
      if (acked !== undefined) await core.outbox.broadcast(acked.close)
      const myAck = round.ackBySigner.get(core.peerId)
      if (myAck !== undefined) await core.outbox.broadcast(myAck)
      await retryPendingCloses(core, round)
      await core.outbox.pull(round.key, [], core.outbox.nextPullPeer(round))
    },
    giveUp: () => {
      core.requests.take(round.key)?.resolve(unconfirmedResult(round, core.clock.now()))
      round.giveUp()
      core.rounds.retire(round.key)
    }
  }
}
