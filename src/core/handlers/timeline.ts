import { unconfirmedResult } from '../results.js'
import { retryPendingCloses, tryClose } from './close.js'
import type { HandlerContext } from './context.js'
import type { Round } from '../round.js'
import type { RoundTimeline } from '../scheduler.js'

/**
 * What this peer does for a round at the moments its {@link Scheduler.schedule} timeline lays out.
 * A class, not a record of closures: its methods live once on the prototype, where closures per
 * round cost about 1 KB of every open proposal.
 */
export class Timeline implements RoundTimeline {
  private readonly core: HandlerContext
  private readonly round: Round

  constructor (core: HandlerContext, round: Round) {
    this.core = core
    this.round = round
  }

  async resend (): Promise<void> {
    const { core, round } = this
    if (round.closed) return
    if (round.ctx.proposal.body.coordinator === core.peerId) await core.outbox.broadcast(round.ctx.proposal)
    const own = round.ownVote
    if (own.state === 'cast') await core.outbox.broadcast(own.vote)
  }

  close (rank: number): Promise<void> {
    return tryClose(this.core, this.round, rank)
  }

  async retry (): Promise<void> {
    const { core, round } = this
    await this.resend()
    const acked = round.ackedClose === undefined ? undefined : round.closes.get(round.ackedClose)
    if (acked !== undefined) await core.outbox.broadcast(acked.close)
    const myAck = round.ackBySigner.get(core.peerId)
    if (myAck !== undefined) await core.outbox.broadcast(myAck)
    await retryPendingCloses(core, round)
    await core.outbox.pull(round.key, [], core.outbox.nextPullPeer(round))
  }

  giveUp (): void {
    const { core, round } = this
    core.requests.take(round.key)?.resolve(unconfirmedResult(round, core.clock.now()))
    round.giveUp()
    core.rounds.retire(round.key)
  }
}
