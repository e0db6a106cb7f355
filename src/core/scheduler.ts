import { EXTRA_FINALITY_ROUNDS, MAX_ACTIVE_ROUND } from './constants.js'
import { nilPrevoteAt, roundStart } from './round-clock.js'
import type { ProposalState } from './proposal-state.js'
import type { Clock } from '../clock.js'
import type { Logger } from '@libp2p/interface'

/** What a proposal's timeline does at its moments; see {@link Scheduler.schedule}. */
export interface RoundTimeline {
  /** re-send what may have been lost: the proposal (if ours) and our vote, while no close is known */
  resend(): Promise<void>
  /** close round 0 as the coordinator, if the outcome is settled or the deadline came */
  close(): Promise<void>
  /** take every step the closing rounds allow now (a round started, a nil prevote is due) */
  advance(): Promise<void>
  /** after the deadline: resend, re-send our closes and acks, check pending closes again, pull from a peer */
  retry(): Promise<void>
  /** the requester's horizon passed without a decision: answer a waiting requester "unconfirmed" */
  giveUp(): void
}

/**
 * Every timer of the core, by proposal, in this peer's clock: a proposal's timers end when it is
 * decided or dropped, and all of them when the manager stops.
 */
export class Scheduler {
  private readonly clock: Clock
  private readonly log: Logger
  private readonly timers = new Map<string, unknown[]>()
  private readonly timelines = new Map<string, RoundTimeline>()
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

  /** Run `task` at `time` (this peer's clock) unless the proposal is decided by then or the scheduler stopped. */
  at (state: ProposalState, time: number, task: () => Promise<void>): void {
    const handle = this.clock.setTimeout(async () => {
      if (!this.running || state.decided !== undefined) return
      try {
        await task()
      } catch (err) {
        this.log.error('timer task on %s failed: %e', state.key, err)
      }
    }, Math.max(0, time - this.clock.now()))
    const list = this.timers.get(state.key) ?? []
    list.push(handle)
    this.timers.set(state.key, list)
  }

  /**
   * Run `task` up to `times` times under `key` (not a proposal's: e.g. one not seen yet), the first
   * after `firstMs`, each later one twice as long after the one before, until it returns false.
   * Cleared by {@link clear} of `key` and by {@link stop}.
   */
  later (key: string, times: number, firstMs: number, task: () => Promise<boolean>): void {
    const run = (left: number, delayMs: number): void => {
      const handle = this.clock.setTimeout(async () => {
        if (!this.running) return
        let again = false
        try {
          again = await task()
        } catch (err) {
          this.log.error('timer task on %s failed: %e', key, err)
        }
        if (again && left > 1) run(left - 1, delayMs * 2)
        else this.clear(key)
      }, delayMs)
      const list = this.timers.get(key) ?? []
      list.push(handle)
      this.timers.set(key, list)
    }
    run(times, firstMs)
  }

  /** Cancel every timer of the proposal `key`. */
  clear (key: string): void {
    for (const handle of this.timers.get(key) ?? []) this.clock.clearTimeout(handle)
    this.timers.delete(key)
    this.timelines.delete(key)
  }

  /**
   * Lay out a proposal's timeline: halfway to the deadline, resend; the coordinator closes round 0
   * at the deadline; a nil prevote is due Δ/2 later; round 1 starts at deadline + Δ; re-sends every
   * Δ from Δ/2 after the deadline; the requester's horizon after the pinned closers' rounds and
   * {@link EXTRA_FINALITY_ROUNDS} more Δ.
   */
  schedule (state: ProposalState, peerId: string, timeline: RoundTimeline, nilPrevoteTime: number): void {
    const body = state.ctx.proposal.body
    this.timelines.set(state.key, timeline)
    // each task hands back the timeline's own promise rather than wrapping it in one more async
    // function: a turn of the microtask queue more or less changes how a seeded simulation interleaves
    this.at(state, body.createdAt + (body.deadline - body.createdAt) / 2, () => timeline.resend())
    if (body.coordinator === peerId) this.at(state, body.deadline, () => timeline.close())
    this.at(state, Math.max(nilPrevoteAt(body), nilPrevoteTime), () => timeline.advance())
    this.at(state, roundStart(body, 1), () => timeline.advance())
    // a peer that learns of a proposal after its deadline still gets its re-sends, spaced out
    const retriesFrom = Math.max(body.deadline, this.clock.now())
    this.at(state, retriesFrom + body.step / 2, () => timeline.retry())
    this.at(state, retriesFrom + (body.closers.length + EXTRA_FINALITY_ROUNDS) * body.step, async () => { timeline.giveUp() })
  }

  /** Re-send and pull at `time` (a round-0 close came before the deadline: its acks must not wait for the deadline's retries). */
  retryAt (state: ProposalState, time: number): void {
    const timeline = this.timelines.get(state.key)
    if (timeline !== undefined) this.at(state, time, () => timeline.retry())
  }

  /** This peer entered round `r ≥ 1` of `state`: the next round's start, and a re-send every Δ while this one lasts. */
  roundEntered (state: ProposalState, r: number): void {
    const timeline = this.timelines.get(state.key)
    if (timeline === undefined || r === 0) return
    const body = state.ctx.proposal.body
    const start = Math.max(roundStart(body, r), this.clock.now())
    if (r < MAX_ACTIVE_ROUND) this.at(state, roundStart(body, r + 1), () => timeline.advance())
    for (let k = 0; k <= r; k++) this.at(state, start + body.step / 2 + k * body.step, () => timeline.retry())
  }
}
