import { isRejectReason, type AcceptReason, type IgnoreReason, type RejectReason, type Verdict } from '../transport/coordinator.js'
import type { InvalidMessageError } from '../errors.js'

/** Deliver and relay. */
export const accept = (reason: AcceptReason): Verdict => ({ result: 'accept', reason })
/** Drop, no penalty. */
export const ignore = (reason: IgnoreReason): Verdict => ({ result: 'ignore', reason })
/** Drop and penalise the sender. */
export const reject = (reason: RejectReason): Verdict => ({ result: 'reject', reason })

/**
 * The verdict on a message that failed a check: rejected with the check's reason, except a pinned
 * algorithm that threw (a fault of this peer's copy, not provably the sender's), which is ignored.
 */
export function verdictOn (err: InvalidMessageError): Verdict {
  if (err.reason === 'algorithm-error') return ignore('algorithm-error')
  // every reason a message's checks give is a RejectReason; certificate-only reasons never get here
  return reject(isRejectReason(err.reason) ? err.reason : 'malformed')
}
