import { Outcome } from './interface.js'
import { exceeds, type Ratio } from './ratio.js'

/**
 * The shared arithmetic of threshold rules: approve when `for` is strictly more than `ratio` of the
 * eligible total; reject once even every missing vote for could no longer get there.
 */
export function thresholdOutcome (forPart: number, castPart: number, total: number, ratio: Ratio): Outcome {
  if (total <= 0) return Outcome.Rejected
  if (exceeds(forPart, total, ratio)) return Outcome.Approved
  const missing = total - castPart
  if (!exceeds(forPart + missing, total, ratio)) return Outcome.Rejected
  return Outcome.Pending
}
