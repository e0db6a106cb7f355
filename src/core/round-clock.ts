/**
 * When each closing round of a proposal starts, and who closes it: pure functions of the signed
 * proposal, so every peer computes the same schedule (each on its own clock).
 *
 * Round 0 runs from the proposal to deadline + Δ: the coordinator closes in it (as soon as the outcome
 * is settled, or at the deadline), and a member that verified no round-0 close by deadline + Δ/2
 * prevotes nil. Round r ≥ 1 starts at deadline + Δ·(1 + (r−1)(r+2)/2) and lasts (r+1)·Δ: rounds grow,
 * so after the network settles one eventually outlasts any fixed delay and clock disagreement.
 */
import type { ProposalBody } from '../wire/messages.js'

/** Local time (proposal clock) a member that saw no round-0 close prevotes nil: deadline + Δ/2. */
export function nilPrevoteAt (body: Pick<ProposalBody, 'deadline' | 'step'>): number {
  return body.deadline + body.step / 2
}

/** Start of round `r` (round 0 starts with the proposal). */
export function roundStart (body: Pick<ProposalBody, 'createdAt' | 'deadline' | 'step'>, r: number): number {
  if (r <= 0) return body.createdAt
  return body.deadline + body.step * (1 + ((r - 1) * (r + 2)) / 2)
}

/** The round a local time falls in. */
export function roundAt (body: Pick<ProposalBody, 'createdAt' | 'deadline' | 'step'>, time: number): number {
  if (time < roundStart(body, 1)) return 0
  // (r−1)(r+2)/2 ≤ x  ⇔  r ≤ (−1 + √(9 + 8x)) / 2 : solved, then corrected for rounding
  const x = (time - body.deadline) / body.step - 1
  let r = Math.max(1, Math.floor((-1 + Math.sqrt(9 + 8 * x)) / 2))
  while (roundStart(body, r + 1) <= time) r++
  while (r > 1 && roundStart(body, r) > time) r--
  return r
}

/**
 * The closer of round `r`: `closers[r]` for the ranked closers the coordinator pinned, then every
 * other electorate member in id order, in rotation, so that a round with an honest closer always
 * comes even when every pinned closer is faulty.
 */
export function closerOf (body: Pick<ProposalBody, 'closers' | 'electorate'>, r: number): string {
  if (r < body.closers.length) return body.closers[r] as string
  const rotation = closerRotation(body)
  return rotation[r % rotation.length] as string
}

const rotations = new WeakMap<object, string[]>()

function closerRotation (body: Pick<ProposalBody, 'closers' | 'electorate'>): string[] {
  let rotation = rotations.get(body)
  if (rotation === undefined) {
    const pinned = new Set(body.closers)
    rotation = [...body.closers, ...body.electorate.map(([id]) => id).filter(id => !pinned.has(id))]
    rotations.set(body, rotation)
  }
  return rotation
}
