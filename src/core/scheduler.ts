import { EXTRA_FINALITY_ROUNDS } from './constants.js'
import type { Round } from './round.js'
import type { Clock } from '../clock.js'
import type { Logger } from '@libp2p/interface'

/** What a round's timeline does at its moments; see {@link Scheduler.schedule}. */
export interface RoundTimeline {
  /** re-send what may have been lost: the proposal (if ours) and our vote, while the round is open */
  resend(): Promise<void>
  /** close as closer of `rank`, if it is still this peer's turn */
  close(rank: number): Promise<void>
  /** after the deadline: resend, re-send our close and ack, check pending closes again, pull from a peer */
  retry(): Promise<void>
  /** the last retry passed without finality: answer a waiting requester "unconfirmed" */
  giveUp(): void
}

/**
 * Every timer of the core, by round, in this peer's clock: a round's timers end when it becomes
 * final or is dropped, and all of them when the manager stops.
 */
export class Scheduler {
  private readonly clock: Clock
  private readonly log: Logger
  private readonly timers = new Map<string, unknown[]>()
  private running = false

  constructor (clock: Clock, log: Logger) {
    this.clock = clock
    this.log = log
  }

  /** Let timers fire. */
  start (): void {
    this.running = true
  }

  /** Clear every timer; none fires until {@link start}. */
  stop (): void {
    this.running = false
    for (const key of [...this.timers.keys()]) this.clear(key)
  }

  /** Run `task` at `time` (this peer's clock) unless the round is final by then or the scheduler stopped. */
  at (round: Round, time: number, task: () => Promise<void>): void {
    const handle = this.clock.setTimeout(async () => {
      if (!this.running || round.finalized !== undefined) return
      try {
        await task()
      } catch (err) {
        this.log.error('timer task on %s failed: %e', round.key, err)
      }
    }, Math.max(0, time - this.clock.now()))
    const list = this.timers.get(round.key) ?? []
    list.push(handle)
    this.timers.set(round.key, list)
  }

  /** Cancel every timer of the round `key`. */
  clear (key: string): void {
    for (const handle of this.timers.get(key) ?? []) this.clock.clearTimeout(handle)
    this.timers.delete(key)
  }

  /**
   * Lay out a round's timeline: halfway to the deadline, resend; at this peer's closer slot (if it is one),
   * close; after the deadline, every Δ, retry, until final; then give up.
   */
  schedule (round: Round, peerId: string, timeline: RoundTimeline): void {
    const body = round.ctx.proposal.body
    const rank = body.closers.indexOf(peerId)
    // each task hands back the timeline's own promise rather than wrapping it in one more async
    // function: a turn of the microtask queue more or less changes how a seeded simulation interleaves
    this.at(round, body.createdAt + (body.deadline - body.createdAt) / 2, () => timeline.resend())
    if (rank >= 0) this.at(round, body.deadline + rank * body.step, async () => timeline.close(rank))
    const rounds = body.closers.length + EXTRA_FINALITY_ROUNDS
    // a peer that learns of a proposal after its deadline still gets every retry round, spaced out
    const retriesFrom = Math.max(body.deadline, this.clock.now())
    for (let i = 0; i < rounds; i++) {
      this.at(round, retriesFrom + body.step / 2 + i * body.step, () => timeline.retry())
    }
    this.at(round, retriesFrom + rounds * body.step, async () => { timeline.giveUp() })
  }
}
