import type { Clock } from '../clock.js'

interface Timer {
  at: number
  callback: (() => void | Promise<void>) | undefined
}

/**
 * The timers due within one millisecond (`at` from `ms` up to `ms + 1`), and how many of them have
 * run. Kept in (time, creation) order once the slot is first in line; until then `sorted` says
 * whether appending kept that order.
 */
interface Slot {
  ms: number
  timers: Timer[]
  next: number
  sorted: boolean
}

/** Stable, so timers due at the same instant keep their creation order. */
const byTime = (a: Timer, b: Timer): number => a.at - b.at

/**
 * Timers run between two turns of the host's macrotask queue: 64 where there is `setImmediate` (Node);
 * 512 where a turn is a `MessageChannel` message (a browser, a worker), which costs ~25 µs there — at 64
 * a tenth of the demo page's 300-agent decision went to yielding.
 */
const TIMERS_PER_YIELD = typeof (globalThis as any).setImmediate === 'function' ? 64 : 512

/** Where there is no `setImmediate` (a browser, a worker): one channel for every yield, its waiters in order. */
let channel: { port: MessagePort, send: MessagePort, waiting: Array<() => void> } | undefined

/** Yield to the host's macrotask queue so every pending promise chain runs first. */
export function macrotask (): Promise<void> {
  const setImmediate: ((callback: () => void) => void) | undefined = (globalThis as any).setImmediate
  if (typeof setImmediate === 'function') return new Promise(resolve => { setImmediate(resolve) })
  // a channel made (and closed) per yield cost a browser ~2 µs more per yield of a large simulation
  if (channel === undefined) {
    const made = new MessageChannel()
    const waiting: Array<() => void> = []
    made.port1.onmessage = () => { waiting.shift()?.() }
    channel = { port: made.port1, send: made.port2, waiting }
  }
  const { send, waiting } = channel
  return new Promise(resolve => {
    waiting.push(resolve)
    send.postMessage(null)
  })
}

/**
 * Virtual time for deterministic simulations: timers run in (time, creation) order, only when the
 * simulation advances the clock, and each one's async work finishes before the next runs. A day of
 * protocol time takes as long as its CPU work.
 */
export class VirtualClock implements Clock {
  private time: number
  private sinceYield = 0
  private live = 0
  private cleared = 0
  /**
   * Timers grouped by the millisecond they are due in: a min-heap of milliseconds, each holding its
   * timers, sorted by (time, creation) when it comes first. Order is (time, creation) as with one
   * heap of timers, but a swarm on a network without latency schedules nearly every delivery for the
   * same instant (appending is O(1) where a heap of millions of timers costs ~20 compares a push and a
   * pop), and one with latency drawn from a range schedules each at an instant of its own, where a
   * slot per instant made the heap as large as the timers and its keys floats.
   */
  private readonly slots: Slot[] = []
  private readonly slotAt = new Map<number, Slot>()

  constructor (start = 0) {
    this.time = start
  }

  now (): number {
    return this.time
  }

  /** Returns a handle for `clearTimeout`. */
  setTimeout (callback: () => void | Promise<void>, ms: number): unknown {
    const at = this.time + Math.max(0, Number.isFinite(ms) ? ms : 0)
    const timer: Timer = { at, callback }
    const whole = Math.floor(at)
    let slot = this.slotAt.get(whole)
    if (slot === undefined) {
      slot = { ms: whole, timers: [], next: 0, sorted: true }
      this.slotAt.set(whole, slot)
      this.push(slot)
    }
    const timers = slot.timers
    const last = timers[timers.length - 1]
    if (last === undefined || last.at <= at) {
      timers.push(timer)
    } else if (slot === this.slots[0]) {
      // the slot running now stays sorted: after every timer due no later (they were made earlier)
      this.sortFirst(slot)
      let lo = slot.next
      let hi = timers.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((timers[mid] as Timer).at <= at) lo = mid + 1
        else hi = mid
      }
      timers.splice(lo, 0, timer)
    } else {
      timers.push(timer)
      slot.sorted = false
    }
    this.live++
    return timer
  }

  clearTimeout (handle: unknown): void {
    const timer = handle as Timer | undefined
    if (typeof timer !== 'object' || timer === null || typeof timer.at !== 'number' || timer.callback === undefined) return
    // a cleared timer stays queued until its time, without its callback (and all that holds)
    timer.callback = undefined
    this.live--
    this.cleared++
    if (this.cleared > 1024 && this.cleared > 4 * this.live) this.compact()
  }

  /** A view of this clock whose `now()` is off by `offsetMs` (clock skew); timers still fire in shared time. */
  skewed (offsetMs: number): Clock {
    return {
      now: () => this.time + offsetMs,
      setTimeout: (callback, ms) => this.setTimeout(callback, ms),
      clearTimeout: (handle) => { this.clearTimeout(handle) }
    }
  }

  /** Timers still waiting. */
  get pending (): number {
    return this.live
  }

  /** Put the first slot's waiting timers in (time, creation) order, if appending did not keep it. */
  private sortFirst (slot: Slot): void {
    if (slot.sorted) return
    const waiting = slot.timers.slice(slot.next).sort(byTime)
    slot.timers = waiting
    slot.next = 0
    slot.sorted = true
  }

  /** Run every timer due up to `time`, then stand at `time`. */
  async runUntil (time: number): Promise<void> {
    for (;;) {
      const slot = this.slots[0]
      if (slot === undefined || slot.ms > time) break
      if (slot.next >= slot.timers.length) {
        this.dropFirstSlot()
        continue
      }
      this.sortFirst(slot)
      const timer = slot.timers[slot.next] as Timer
      if (timer.at > time) break
      slot.timers[slot.next++] = undefined as unknown as Timer
      const callback = timer.callback
      if (callback === undefined) {
        this.cleared--
        continue
      }
      timer.callback = undefined
      this.live--
      this.time = Math.max(this.time, timer.at)
      try {
        await callback()
      } catch {
        // a failing timer must not stop the simulation; the code under test logs its own errors
      }
      // Every timer's own work is awaited above. Work nobody awaited (fire-and-forget promises)
      // gets a macrotask turn whenever the queue drains and every TIMERS_PER_YIELD timers, so it cannot starve.
      if (++this.sinceYield >= TIMERS_PER_YIELD || this.live === 0) {
        this.sinceYield = 0
        await macrotask()
      }
    }
    this.time = Math.max(this.time, time)
  }

  /** Advance by `ms`. */
  async advance (ms: number): Promise<void> {
    await this.runUntil(this.time + ms)
  }

  /** Run until no timer is left or `limit` is reached (a guard against endless retries). */
  async runUntilIdle (limit = Number.MAX_SAFE_INTEGER): Promise<void> {
    for (;;) {
      const at = this.nextAt()
      if (at === undefined || at > limit) return
      await this.runUntil(at)
    }
  }

  /** The instant of the next live timer, dropping what is spent or cleared in front of it. */
  private nextAt (): number | undefined {
    for (;;) {
      const slot = this.slots[0]
      if (slot === undefined) return undefined
      this.sortFirst(slot)
      while (slot.next < slot.timers.length && (slot.timers[slot.next] as Timer).callback === undefined) {
        slot.timers[slot.next++] = undefined as unknown as Timer
        this.cleared--
      }
      if (slot.next < slot.timers.length) return (slot.timers[slot.next] as Timer).at
      this.dropFirstSlot()
    }
  }

  /** Forget cleared timers; each instant keeps its live timers in order, so nothing fires differently. */
  private compact (): void {
    for (const slot of this.slots) {
      slot.timers = slot.timers.slice(slot.next).filter(timer => timer.callback !== undefined)
      slot.next = 0
    }
    this.cleared = 0
  }

  private dropFirstSlot (): void {
    const slots = this.slots
    const first = slots[0] as Slot
    this.slotAt.delete(first.ms)
    const last = slots.pop() as Slot
    if (slots.length === 0) return
    slots[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < slots.length && (slots[l] as Slot).ms < (slots[m] as Slot).ms) m = l
      if (r < slots.length && (slots[r] as Slot).ms < (slots[m] as Slot).ms) m = r
      if (m === i) break
      // a swap without the array a destructuring swap allocates (a large simulation pops ~N² slots)
      const above = slots[m] as Slot
      slots[m] = slots[i] as Slot
      slots[i] = above
      i = m
    }
  }

  private push (slot: Slot): void {
    const slots = this.slots
    slots.push(slot)
    let i = slots.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((slots[parent] as Slot).ms <= slot.ms) break
      slots[i] = slots[parent] as Slot
      i = parent
    }
    slots[i] = slot
  }
}
