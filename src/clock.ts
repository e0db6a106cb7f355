/**
 * Time as the core sees it. Injected so a simulation can run in virtual time from a seed; nothing in
 * the core reads `Date.now()` or calls `setTimeout` directly.
 */
export interface Clock {
  /** Milliseconds since the epoch (or since the simulation began). */
  now(): number
  /** Run `callback` after `ms`; a returned promise is awaited by virtual clocks before time moves on. */
  setTimeout(callback: () => void | Promise<void>, ms: number): unknown
  /** Cancel a timer made by `setTimeout`. */
  clearTimeout(handle: unknown): void
}

/** Wall-clock time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(() => { void callback() }, ms),
  clearTimeout: (handle) => { globalThis.clearTimeout(handle as any) }
}
