/**
 * Named errors. Where `@libp2p/interface` already has one (`InvalidParametersError`, `TimeoutError`,
 * `AbortError`, `NotStartedError`) we re-export it rather than invent a twin.
 */
import { InvalidMessageError as BaseInvalidMessageError } from '@libp2p/interface'

export { InvalidParametersError, AbortError, NotStartedError, TimeoutError } from '@libp2p/interface'

/** `requestConsensus` or `recordVote` named an algorithm nobody registered. */
export class UnknownAlgorithmError extends Error {
  static override name = 'UnknownAlgorithmError'
  override name = 'UnknownAlgorithmError'
}

/** `recordVote` named a proposal this peer does not know, or one already closed. */
export class UnknownProposalError extends Error {
  static override name = 'UnknownProposalError'
  override name = 'UnknownProposalError'
}

/** `recordVote` was asked to vote for an agent that is not in the proposal's electorate, or not this peer. */
export class NotEligibleError extends Error {
  static override name = 'NotEligibleError'
  override name = 'NotEligibleError'
}

/** Bytes from the network, or a certificate, that could not be decoded or failed a check. */
export class InvalidMessageError extends BaseInvalidMessageError {
  /** A short machine-readable reason such as `bad-signature` or `non-canonical`. */
  readonly reason: string

  constructor (reason: string, message?: string) {
    super(message ?? reason)
    this.reason = reason
  }
}

/** `recordVote` on a proposal that is already closed: the decision is fixed. */
export class ProposalClosedError extends Error {
  static override name = 'ProposalClosedError'
  override name = 'ProposalClosedError'
}

/** `recordVote` a second time: a second, different vote would be equivocation. */
export class AlreadyVotedError extends Error {
  static override name = 'AlreadyVotedError'
  override name = 'AlreadyVotedError'
}

/** `requestConsensus` while this peer already has as many undecided proposals open as peers accept from one coordinator. */
export class TooManyProposalsError extends Error {
  static override name = 'TooManyProposalsError'
  override name = 'TooManyProposalsError'
}
