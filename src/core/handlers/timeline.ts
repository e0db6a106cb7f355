import { unconfirmedResult } from '../results.js'
import { retryPendingCloses, tryClose } from './close.js'
import { advance } from './step.js'
import type { HandlerContext } from './context.js'
import type { ProposalState } from '../proposal-state.js'
import type { RoundTimeline } from '../scheduler.js'

/**
 * What this peer does for a proposal at the moments its {@link Scheduler.schedule} timeline lays out.
 * A class, not a record of closures: its methods live once on the prototype, where closures per
 * proposal cost about 1 KB of every open proposal.
 */
export class Timeline implements RoundTimeline {
  private readonly core: HandlerContext
  private readonly state: ProposalState

  constructor (core: HandlerContext, state: ProposalState) {
    this.core = core
    this.state = state
  }

  async resend (): Promise<void> {
    const { core, state } = this
    if (state.closed) return
    if (state.ctx.proposal.body.coordinator === core.peerId) await core.outbox.broadcast(state.ctx.proposal)
    const own = state.ownVote
    if (own.state === 'cast') await core.outbox.broadcast(own.vote)
  }

  close (): Promise<void> {
    return tryClose(this.core, this.state)
  }

  async advance (): Promise<void> {
    await advance(this.core, this.state)
  }

  async retry (): Promise<void> {
    const { core, state } = this
    await this.resend()
    // what we signed, again: our closes and our acks (a lost one can stall a round)
    for (const checked of state.closes.values()) {
      if (checked.close.body.closer === core.peerId) await core.outbox.broadcast(checked.close)
    }
    for (const ack of state.ownAcks(core.peerId)) await core.outbox.broadcast(ack)
    await retryPendingCloses(core, state)
    await core.outbox.pull(state.key, [], core.outbox.nextPullPeer(state))
    await advance(core, state)
  }

  giveUp (): void {
    const { core, state } = this
    core.requests.take(state.key)?.resolve(unconfirmedResult(state, core.clock.now()))
    state.giveUp()
    core.rounds.retire(state.key)
  }
}
