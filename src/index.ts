/**
 * @packageDocumentation
 *
 * Signed, certificate-backed consensus for swarms of agents. Any peer can coordinate: it proposes,
 * peers answer with signed votes, and every peer runs the same pure algorithm over the same signed
 * vote set, so every honest peer that decides reaches the same decision.
 *
 * The libp2p service is `libp2p-consensus/libp2p`; ready nodes are `libp2p-consensus/agent` and
 * `libp2p-consensus/hub`; the in-memory network and simulation tools are `libp2p-consensus/testing`.
 *
 * @module libp2p-consensus
 */
export {
  ConsensusDecision, VoteType, VotingType, isVotingType, ballotKind, votingTypeOf, MAX_CHOICES, MAX_CHOICE_LENGTH, MAX_VOTE_SEQ,
  type Ballot, type CborValue, type CborRecord, type ElectorateMember
} from './types.js'
export * from './errors.js'
export {
  QuorumAlgorithm, quorum, type QuorumAlgorithmInit,
  WeightedAlgorithm, weighted, MAX_WEIGHT_DECIMALS, type WeightedAlgorithmInit,
  UnanimousAlgorithm, unanimous,
  SupermajorityAlgorithm, supermajority,
  defaultAlgorithms,
  ChoiceAlgorithm, choiceAlgorithms, singleChoice, approval, rankedChoice, weightedChoice, quadratic, copeland,
  ballotProblem, isValidBallot, evaluateBallots, snapshotScores, parseRule, ruleParams,
  type BallotEvaluation, type BallotRule, type BallotRuleInit, type CountedBallot, type IrvRound, type SnapshotScores,
  Outcome, MAX_WEIGHT, type Ratio, type Tally, type AlgorithmInput, type AlgorithmEvaluation, type ConsensusAlgorithm
} from './algorithms/index.js'
export {
  ConsensusManager,
  type ConsensusManagerInit,
  type ConsensusManagerEvents,
  type RequestConsensusOptions,
  type Voter,
  type VoteDecision,
  type VoteEvent,
  type EvidenceEvent
} from './core/manager.js'
export type { ConsensusResult, AlgorithmStats, AlgorithmStatsEntry, ProposalView } from './core/results.js'
export {
  verifyCertificate, encodeCertificate, decodeCertificate,
  type Certificate, type VerifiedCertificate, type VerifyCertificateOptions
} from './core/certificate.js'
export { systemClock, type Clock } from './clock.js'
export {
  AcceptReason, IgnoreReason, RejectReason, isRejectReason,
  type Coordinator, type HandlerOptions, type MessageHandler, type TopologyInfo, type ValidationResult, type Verdict
} from './transport/coordinator.js'
export { createIdentity, type Identity } from './wire/identity.js'
export { defaultDecodeLimits, type DecodeLimits } from './wire/limits.js'
export type { DecisionPath } from './core/proposal-state.js'
