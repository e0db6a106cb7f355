/** Default time a proposal stays open for votes. */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Shortest allowed timeout. */
export const MIN_TIMEOUT_MS = 100
/** Longest allowed timeout. */
export const MAX_TIMEOUT_MS = 300_000
/** Topic/namespace when none is given. */
export const DEFAULT_NAMESPACE = 'default'
/** Algorithm used when a request names none. */
export const DEFAULT_ALGORITHM = 'quorum'
/** Ranked fallback closers after the coordinator. */
export const DEFAULT_FALLBACK_CLOSERS = 2
/** Clock disagreement tolerated before a close that is early by our clock is held back. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 1_000
/** Messages a second one author (or, for wants, one asking peer) may send us on average; twice that in a burst. */
export const DEFAULT_MAX_MESSAGES_PER_SECOND_PER_PEER = 200
/** Undecided proposals one coordinator may have open with us at once. */
export const DEFAULT_MAX_OPEN_PROPOSALS_PER_PEER = 16
/** Undecided proposals we hold at once, from everybody. */
export const DEFAULT_MAX_OPEN_PROPOSALS = 1_024
/** Closed proposals kept in memory before the oldest are dropped. */
export const DEFAULT_MAX_CLOSED_PROPOSALS = 1_000
/** Proposal ids remembered as decided after their state is dropped, so they are never re-opened. */
export const DEFAULT_MAX_DECIDED_IDS = 100_000
/** Early messages (proposal not seen yet) held per proposal. */
export const MAX_EARLY_PER_PROPOSAL = 2_048
/** Proposals not seen yet whose early messages are held (the oldest is dropped first). */
export const MAX_EARLY_PROPOSALS = 64
/** Minimum gap between two pulls of the same unknown proposal. */
export const UNKNOWN_PROPOSAL_PULL_INTERVAL_MS = 250
/** Recent decisions a catch-up answer carries the proofs of. */
export const CATCH_UP_DECISIONS = 32
/** Open proposals a catch-up also pulls from the peer (the newest first held), each answered with all it holds of them. */
export const CATCH_UP_OPEN_PROPOSALS = 16
/** A peer is answered one catch-up per this interval. */
export const CATCH_UP_INTERVAL_MS = 5_000
/** Re-send periods (Δ each) after the pinned closers' rounds before a requester is answered "unconfirmed" (the rounds go on). */
export const EXTRA_FINALITY_ROUNDS = 4

/** The last closing round a peer takes part in: round 24 starts about 300·Δ after the deadline. */
export const MAX_ACTIVE_ROUND = 24

/**
 * Δ, the unit of the closing rounds (round r ≥ 1 lasts (r+1)·Δ): a quarter of the timeout, at least
 * twice the clock tolerance, at most 10 s.
 */
export function defaultCloseStepMs (timeoutMs: number, clockToleranceMs = DEFAULT_CLOCK_TOLERANCE_MS): number {
  return Math.min(10_000, Math.max(50, 2 * clockToleranceMs, Math.round(timeoutMs / 4)))
}

/** Decided proposals a catch-up request lists as already held, so the answer skips them. */
export const CATCH_UP_HAVE = 256
