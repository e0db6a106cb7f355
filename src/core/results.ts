import { ConsensusDecision, type CborRecord, type CborValue, type ElectorateMember, type VoteType } from '../types.js'
import type { Certificate } from './certificate.js'
import type { Decision, ProposalState } from './proposal-state.js'

/** What a proposal looks like to voters and listeners. */
export interface ProposalView {
  /** content id (hex SHA-256 of the signed body): never collides */
  id: string
  payload: CborRecord
  coordinator: string
  electorate: ElectorateMember[]
  /** registered name the coordinator used, e.g. `strict_quorum` */
  algorithm: string
  /** the rule behind it, e.g. `quorum` */
  algorithmKind: string
  algorithmParams: CborRecord
  createdAt: number
  deadline: number
}

/** The outcome of a proposal as this peer decided it, with the certificate that proves it. */
export interface ConsensusResult {
  proposalId: string
  decision: ConsensusDecision
  votesFor: number
  votesAgainst: number
  votesAbstain: number
  /** approval threshold as a share of eligible weight (display; the decision used exact arithmetic) */
  threshold: number
  /** the eligible electorate */
  participants: string[]
  /** members whose vote was counted */
  voters: string[]
  /** voters / participants */
  participationRate: number
  algorithmUsed: string
  durationMs: number
  /** e.g. `weightedApproval`, `closer`, `closeRound`, `decidedRound`, `path` (`fast` or `precommit`), `finality` */
  metadata: Record<string, CborValue>
  /** proof of the decision; absent only when finality could not be reached in time */
  certificate?: Certificate
}

/** Per-algorithm figures of {@link AlgorithmStats}. */
export interface AlgorithmStatsEntry {
  proposals: number
  approved: number
  rejected: number
  timeouts: number
  approvalRate: number
}

/** Decision figures over every proposal this peer saw decided, in all and by algorithm. */
export interface AlgorithmStats {
  totalProposals: number
  approvalRate: number
  avgDurationMs: number
  activeProposals: number
  byAlgorithm: Record<string, AlgorithmStatsEntry>
}

/** The public view of a verified proposal. */
export function proposalView (round: ProposalState): ProposalView {
  const body = round.ctx.proposal.body
  return {
    id: round.key,
    payload: body.payload,
    coordinator: body.coordinator,
    electorate: body.electorate.map(([id, weight]) => ({ id, weight })),
    algorithm: body.algorithm.name,
    algorithmKind: body.algorithm.kind,
    algorithmParams: body.algorithm.params,
    createdAt: body.createdAt,
    deadline: body.deadline
  }
}

function count (counted: ReadonlyMap<string, VoteType>, choice: VoteType): number {
  let n = 0
  for (const c of counted.values()) if (c === choice) n++
  return n
}

/** The result of a finalized round, with its certificate. */
export function finalResult (round: ProposalState, decided: Decision, now: number): ConsensusResult {
  const body = round.ctx.proposal.body
  const checked = decided.close
  const close = checked.close.body
  const participants = body.electorate.map(([id]) => id)
  const voters = [...checked.counted.keys()].sort()
  return {
    proposalId: round.key,
    decision: close.decision,
    votesFor: count(checked.counted, 'for'),
    votesAgainst: count(checked.counted, 'against'),
    votesAbstain: count(checked.counted, 'abstain'),
    threshold: checked.evaluation.threshold,
    participants,
    voters,
    participationRate: participants.length === 0 ? 0 : voters.length / participants.length,
    algorithmUsed: body.algorithm.name,
    durationMs: Math.max(0, now - body.createdAt),
    metadata: {
      ...checked.evaluation.metadata,
      closer: close.closer,
      closeRound: close.round,
      decidedRound: decided.round,
      path: decided.path,
      excluded: close.excluded.length,
      finality: 'final'
    },
    certificate: {
      id: decided.value,
      proposal: round.ctx.proposal.bytes,
      close: checked.close.bytes,
      votes: checked.votes.map(v => v.bytes),
      acks: decided.acks.map(a => a.bytes)
    }
  }
}

/** The result handed to a requester when finality was not reached by its horizon. */
export function unconfirmedResult (round: ProposalState, now: number): ConsensusResult {
  const body = round.ctx.proposal.body
  const participants = body.electorate.map(([id]) => id)
  const evaluation = round.evaluate()
  return {
    proposalId: round.key,
    decision: ConsensusDecision.Timeout,
    votesFor: round.tally.forCount,
    votesAgainst: round.tally.againstCount,
    votesAbstain: round.tally.abstainCount,
    threshold: evaluation.threshold,
    participants,
    voters: [...round.counted.keys()].sort(),
    participationRate: participants.length === 0 ? 0 : round.counted.size / participants.length,
    algorithmUsed: body.algorithm.name,
    durationMs: Math.max(0, now - body.createdAt),
    metadata: { ...evaluation.metadata, finality: 'unconfirmed', closes: round.closes.size }
  }
}

/** Running statistics over decided proposals. */
export class StatsTracker {
  private total = 0
  private approved = 0
  private durationSum = 0
  private readonly byAlgorithm = new Map<string, AlgorithmStatsEntry>()

  record (result: ConsensusResult): void {
    this.total++
    this.durationSum += result.durationMs
    let entry = this.byAlgorithm.get(result.algorithmUsed)
    if (entry === undefined) {
      entry = { proposals: 0, approved: 0, rejected: 0, timeouts: 0, approvalRate: 0 }
      this.byAlgorithm.set(result.algorithmUsed, entry)
    }
    entry.proposals++
    if (result.decision === ConsensusDecision.Approved) {
      entry.approved++
      this.approved++
    } else if (result.decision === ConsensusDecision.Rejected) {
      entry.rejected++
    } else {
      entry.timeouts++
    }
    entry.approvalRate = entry.approved / entry.proposals
  }

  snapshot (activeProposals: number): AlgorithmStats {
    return {
      totalProposals: this.total,
      approvalRate: this.total === 0 ? 0 : this.approved / this.total,
      avgDurationMs: this.total === 0 ? 0 : this.durationSum / this.total,
      activeProposals,
      byAlgorithm: Object.fromEntries([...this.byAlgorithm].map(([name, e]) => [name, { ...e }]))
    }
  }
}
