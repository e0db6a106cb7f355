import { AbortError } from '../errors.js'
import type { ConsensusResult } from './results.js'

/** A requester waiting for the result of its proposal. */
export interface Waiter {
  resolve(result: ConsensusResult): void
  reject(err: Error): void
}

/** The requests of this peer still waiting for their proposal's result, by proposal id. */
export class PendingRequests {
  private readonly waiters = new Map<string, Waiter>()

  /**
   * Wait for the result of proposal `key`: resolved through {@link take}, rejected with
   * `AbortError` when `signal` aborts (the request is then forgotten) or by {@link rejectAll}.
   */
  wait (key: string, signal: AbortSignal | undefined): Promise<ConsensusResult> {
    const result = new Promise<ConsensusResult>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(key)
        reject(new AbortError(`request for proposal ${key.slice(0, 12)} aborted`))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.set(key, {
        resolve: (r) => { signal?.removeEventListener('abort', onAbort); resolve(r) },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e) }
      })
    })
    // a stop() while the proposal is still being sent would reject `result` before the caller holds it: not unhandled
    result.catch(() => {})
    return result
  }

  /** The waiter of proposal `key`, which no longer waits here. */
  take (key: string): Waiter | undefined {
    const waiter = this.waiters.get(key)
    this.waiters.delete(key)
    return waiter
  }

  /** Reject every waiting request, each with an error of its own. */
  rejectAll (error: () => Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error())
    this.waiters.clear()
  }
}
