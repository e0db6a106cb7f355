import type { Clock } from '../core/clock.js'

interface Timer {
  at: number
  seq: number
  callback: () => void | Promise<void>
}

/** Yield to the host's macrotask queue so every pending promise chain runs first. */
export function macrotask (): Promise<void> {
  const setImmediate: ((callback: () => void) => void) | undefined = (globalThis as any).setImmediate
  if (typeof setImmediate === 'function') return new Promise(resolve => { setImmediate(resolve) })
  return new Promise(resolve => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => { channel.port1.close(); resolve() }
    channel.port2.postMessage(null)
  })
}

/**
 * Virtual time for deterministic simulations: timers run in (time, creation) order, only when the
 * simulation advances the clock, and each one's async work finishes before the next runs. A day of
 * protocol time takes as long as its CPU work.
 */
export class VirtualClock implements Clock {
  private time: number
  private seq = 0
  private sinceYield = 0
  private readonly heap: Timer[] = []
  private readonly live = new Set<number>()

  constructor (start = 0) {
    this.time = start
  }

  now (): number {
    return this.time
  }

  setTimeout (callback: () => void | Promise<void>, ms: number): number {
    const timer = { at: this.time + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, callback }
    this.push(timer)
    this.live.add(timer.seq)
    return timer.seq
  }

  clearTimeout (handle: unknown): void {
    if (typeof handle !== 'number' || !this.live.delete(handle)) return
    // a cleared timer stays in the heap until its time; drop them once they are most of it, or
    // their callbacks (and all they hold) pile up in a long simulation
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live.size) this.compact()
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
    return this.live.size
  }

  /** Run every timer due up to `time`, then stand at `time`. */
  async runUntil (time: number): Promise<void> {
    while (this.heap.length > 0 && (this.heap[0] as Timer).at <= time) {
      const timer = this.pop()
      if (!this.live.delete(timer.seq)) continue
      this.time = Math.max(this.time, timer.at)
      try {
        await timer.callback()
      } catch {
        // a failing timer must not stop the simulation; the code under test logs its own errors
      }
      // Every timer's own work is awaited above. Work nobody awaited (fire-and-forget promises)
      // gets a macrotask turn whenever the queue drains and every 64 timers, so it cannot starve.
      if (this.heap.length === 0 || ++this.sinceYield >= 64) {
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
    while (this.heap.length > 0 && (this.heap[0] as Timer).at <= limit) {
      await this.runUntil((this.heap[0] as Timer).at)
    }
  }

  /** Keep only live timers; a sorted array is a heap, so the order timers fire in is unchanged. */
  private compact (): void {
    const live = this.heap.filter(timer => this.live.has(timer.seq)).sort((a, b) => before(a, b) ? -1 : 1)
    this.heap.length = 0
    this.heap.push(...live)
  }

  private push (timer: Timer): void {
    const heap = this.heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break
      ;[heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer]
      i = parent
    }
  }

  private pop (): Timer {
    const heap = this.heap
    const top = heap[0] as Timer
    const last = heap.pop() as Timer
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer]
        i = m
      }
    }
    return top
  }
}

function before (a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
