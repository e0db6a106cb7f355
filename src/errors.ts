/**
 * Named errors. Where `@libp2p/interface` already has one (`InvalidParametersError`, `TimeoutError`,
 * `AbortError`, `NotStartedError`) we re-export it rather than invent a twin.
 */
import { InvalidMessageError as BaseInvalidMessageError } from '@libp2p/interface'

export { InvalidParametersError, AbortError, NotStartedError, TimeoutError } from '@libp2p/interface'

/** `requestConsensus` or `recordVote` named an algorithm nobody registered. */
export class UnknownAlgorithmError extends Error {
  static override name = 'UnknownAlgorithmError'
  /** `'UnknownAlgorithmError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'UnknownAlgorithmError'
}

/** `recordVote` named a proposal this peer does not know, or one already closed. */
export class UnknownProposalError extends Error {
  static override name = 'UnknownProposalError'
  /** `'UnknownProposalError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'UnknownProposalError'
}

/** `recordVote` was asked to vote for an agent that is not in the proposal's electorate, or not this peer. */
export class NotEligibleError extends Error {
  static override name = 'NotEligibleError'
  /** `'NotEligibleError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'NotEligibleError'
}

/**
 * Why bytes from the network, or a certificate, failed a check: the `reason` of an
 * {@link InvalidMessageError}, to switch over. The reasons a message's own checks give are the ones a
 * transport rejects it with; `bad-key` and `bad-signer` come only from this peer's own identity and
 * signing, `algorithm-error` is this peer's algorithm failing, and the rest after it only from
 * `verifyCertificate`.
 */
export const InvalidMessageReason = {
  /** larger than the decode limits allow */
  Oversize: 'oversize',
  /** not a message of this protocol: bad CBOR, wrong shape, a wrong or missing field, a bad hex id */
  Malformed: 'malformed',
  /** a message of another protocol version (a v1 peer's): refused, not read */
  WrongVersion: 'wrong-version',
  /** valid CBOR, but not the canonical encoding of its value */
  NonCanonical: 'non-canonical',
  /** the signature does not verify for the peer the body names */
  BadSignature: 'bad-signature',
  /** a proposal's electorate gives a member a weight above the maximum */
  BadWeight: 'bad-weight',
  /** a proposal's electorate lists a member that is not an Ed25519 PeerId */
  BadMember: 'bad-member',
  /** a proposal's electorate carries no weight */
  NoWeight: 'no-weight',
  /** a proposal lists a closer that is not an Ed25519 PeerId */
  BadCloser: 'bad-closer',
  /** a proposal's algorithm parameters are refused by its kind */
  BadParams: 'bad-params',
  /** a vote or close for another proposal (or namespace) */
  WrongProposal: 'wrong-proposal',
  /** a close by a peer that is not the closer of its round */
  NotCloser: 'not-closer',
  /** a close of round r ≥ 1 dated before that round starts */
  BeforeSlot: 'before-slot',
  /** a timeout close dated before the deadline */
  EarlyTimeout: 'early-timeout',
  /** a vote whose ballot does not fit the proposal, or a close or certificate counting one */
  BadBallot: 'bad-ballot',
  /** a close whose equivocation evidence is not two votes of one voter */
  BadEvidence: 'bad-evidence',
  /** a close (or a certificate) counting a vote of a peer outside the electorate */
  NonMember: 'non-member',
  /** a close counting two votes of one voter, or an excluded equivocator */
  DoubleVote: 'double-vote',
  /** a close whose tally is not what its votes give */
  WrongTally: 'wrong-tally',
  /** a close whose decision is not what its votes give */
  WrongDecision: 'wrong-decision',
  /** an identity made from a key that is not Ed25519 */
  BadKey: 'bad-key',
  /** a body sealed by an identity other than the signer it names */
  BadSigner: 'bad-signer',
  /** the pinned algorithm threw while a close was checked: a fault of this peer's copy, not the sender's */
  AlgorithmError: 'algorithm-error',
  /** a certificate of an algorithm kind the verifier was not given */
  UnknownAlgorithm: 'unknown-algorithm',
  /** a certificate lacking votes its close counts */
  MissingVotes: 'missing-votes',
  /** a certificate carrying one member's ack twice */
  AckDuplicate: 'ack-duplicate',
  /** a certificate carrying two different acks of one member */
  AckConflict: 'ack-conflict',
  /** a certificate carrying an ack of a peer outside the electorate */
  AckNonMember: 'ack-non-member',
  /** a certificate carrying an ack for another proposal */
  AckWrongProposal: 'ack-wrong-proposal',
  /** a certificate whose acks do not decide its outcome (see `verifyCertificate`) */
  NotFinal: 'not-final',
  /** a certificate whose id is not its outcome's id */
  WrongId: 'wrong-id'
} as const

/** Why bytes from the network, or a certificate, failed a check. */
export type InvalidMessageReason = typeof InvalidMessageReason[keyof typeof InvalidMessageReason]

/** Bytes from the network, or a certificate, that could not be decoded or failed a check. */
export class InvalidMessageError extends BaseInvalidMessageError {
  /** What was wrong, machine-readable: one of {@link InvalidMessageReason}. */
  readonly reason: InvalidMessageReason

  constructor (reason: InvalidMessageReason, message?: string) {
    super(message ?? reason)
    this.reason = reason
  }
}

/** `recordVote` on a proposal that is already closed: the decision is fixed. */
export class ProposalClosedError extends Error {
  static override name = 'ProposalClosedError'
  /** `'ProposalClosedError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'ProposalClosedError'
}

/** `recordVote` a second time: a second, different vote would be equivocation. */
export class AlreadyVotedError extends Error {
  static override name = 'AlreadyVotedError'
  /** `'AlreadyVotedError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'AlreadyVotedError'
}

/** `requestConsensus` while this peer already has as many undecided proposals open as peers accept from one coordinator. */
export class TooManyProposalsError extends Error {
  static override name = 'TooManyProposalsError'
  /** `'TooManyProposalsError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'TooManyProposalsError'
}
