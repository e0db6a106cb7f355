import { isRejectReason, type AcceptReason, type IgnoreReason, type RejectReason, type Verdict } from '../transport/coordinator.js'
import type { InvalidMessageError } from '../errors.js'

/**
 * One frozen verdict per result and reason, made on first use: a verdict is handed out for every
 * message every peer takes (a large simulation's every delivery), and none is ever changed.
 */
const made = { accept: new Map<string, Verdict>(), ignore: new Map<string, Verdict>(), reject: new Map<string, Verdict>() }

function verdict (result: Verdict['result'], reason: string): Verdict {
  const byReason = made[result]
  let found = byReason.get(reason)
  if (found === undefined) {
    found = Object.freeze({ result, reason } as Verdict)
    byReason.set(reason, found)
  }
  return found
}

/** Deliver and relay. */
export const accept = (reason: AcceptReason): Verdict => verdict('accept', reason)
/** Drop, no penalty. */
export const ignore = (reason: IgnoreReason): Verdict => verdict('ignore', reason)
/** Drop and penalise the sender. */
export const reject = (reason: RejectReason): Verdict => verdict('reject', reason)

/**
 * The verdict on a message that failed a check: rejected with the check's reason, except a pinned
 * algorithm that threw (a fault of this peer's copy, not provably the sender's), which is ignored.
 */
export function verdictOn (err: InvalidMessageError): Verdict {
  if (err.reason === 'algorithm-error') return ignore('algorithm-error')
  // every reason a message's checks give is a RejectReason; certificate-only reasons never get here
  return reject(isRejectReason(err.reason) ? err.reason : 'malformed')
}
