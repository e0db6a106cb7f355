/**
 * @packageDocumentation
 *
 * Signed, certificate-backed consensus for swarms of agents. Any peer can coordinate: it proposes,
 * peers answer with signed votes, and every peer runs the same pure algorithm over the same signed
 * vote set, so every honest peer that decides reaches the same decision.
 */
export { ConsensusDecision, VoteType, type CborValue, type CborRecord, type ElectorateMember } from './types.js'
export * from './errors.js'
export * from './algorithms/index.js'
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
export { verifyCertificate, encodeCertificate, decodeCertificate, type Certificate, type VerifiedCertificate, type VerifyCertificateOptions } from './core/certificate.js'
export { systemClock, type Clock } from './clock.js'
export * as constants from './core/constants.js'
export type { Coordinator, MessageHandler, TopologyInfo, ValidationResult, Verdict } from './transport/coordinator.js'
export { createIdentity, type Identity } from './wire/signing.js'
