import { ConsensusDecision, votingTypeOf, type CborRecord, type CborValue, type ElectorateMember, type VotingType } from '../types.js'
import type { AlgorithmEvaluation } from '../algorithms/interface.js'
import type { Certificate } from './certificate.js'
import type { Decision, ProposalState } from './proposal-state.js'

/** What a proposal looks like to voters and listeners. */
export interface ProposalView {
  /** content id (hex SHA-256 of the signed body): never collides */
  id: string
  /** what is proposed, as the coordinator signed it */
  payload: CborRecord
  /** the proposing peer's PeerId string */
  coordinator: string
  /** who may vote, with their pinned weights */
  electorate: ElectorateMember[]
  /** registered name the coordinator used, e.g. `strict_quorum` */
  algorithm: string
  /** the rule behind it, e.g. `quorum` */
  algorithmKind: string
  /** the rule's parameters as pinned (thresholds as integer fractions, e.g. 0.7 → `[7, 10]`) */
  algorithmParams: CborRecord
  /** when it was made, ms since the epoch by the coordinator's clock */
  createdAt: number
  /** the voting deadline, ms since the epoch: an outcome the votes do not settle yet is not closed before it */
  deadline: number
  /** the options a ballot chooses among (1-based); empty for a binary proposal */
  choices: string[]
  /** how ballots are scored, on a proposal with choices */
  votingType?: VotingType
  /** whether a vote may be changed until the deadline */
  allowVoteChange: boolean
}

/** The outcome of a proposal as this peer decided it, with the certificate that proves it. */
export interface ConsensusResult {
  /** the proposal's content id */
  proposalId: string
  /** approved, rejected or timeout */
  decision: ConsensusDecision
  /** counted votes for (number of voters, not weight; with choices: every ballot that picks something) */
  votesFor: number
  /** counted votes against */
  votesAgainst: number
  /** counted abstentions (with choices: also an approval ballot approving nothing) */
  votesAbstain: number
  /** approval threshold as a share of eligible weight (display; the decision used exact arithmetic) */
  threshold: number
  /** the eligible electorate */
  participants: string[]
  /** members whose vote was counted */
  voters: string[]
  /** voters / participants */
  participationRate: number
  /** the registered algorithm name the proposal used, e.g. `strict_quorum` */
  algorithmUsed: string
  /** ms from the proposal's `createdAt` (coordinator's clock) to this result (this peer's clock) */
  durationMs: number
  /** e.g. `weightedApproval`, `closer`, `closeRound`, `decidedRound`, `path` (`fast` or `precommit`), `finality` */
  metadata: Record<string, CborValue>
  /** proof of the decision; absent only when finality could not be reached in time */
  certificate?: Certificate
  /** proposals with choices: the choices, as pinned */
  choices?: string[]
  /** proposals with choices: score per choice (Snapshot's semantics; display — the winner was found exactly) */
  scores?: number[]
  /** proposals with choices: the winning choice (1-based), or null when there is none */
  winner?: number | null
  /** proposals with choices: every choice (1-based), best first */
  ranking?: number[]
}

/** Per-algorithm figures of {@link AlgorithmStats}. */
export interface AlgorithmStatsEntry {
  /** proposals decided with this algorithm */
  proposals: number
  /** of them approved */
  approved: number
  /** of them rejected */
  rejected: number
  /** of them timed out */
  timeouts: number
  /** approved / proposals */
  approvalRate: number
}

/** Decision figures over every proposal this peer saw decided, in all and by algorithm. */
export interface AlgorithmStats {
  /** proposals this peer saw decided */
  totalProposals: number
  /** approved / totalProposals (0 when none) */
  approvalRate: number
  /** mean `durationMs` of those results (0 when none) */
  avgDurationMs: number
  /** proposals open here now */
  activeProposals: number
  /** the same figures per registered algorithm name */
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
    deadline: body.deadline,
    choices: body.choices,
    ...(body.choices.length > 0 ? { votingType: votingTypeOf(body.algorithm.kind) as VotingType } : {}),
    allowVoteChange: body.voteChange
  }
}

/** The choice fields of a result: present only on a proposal with choices. */
function choiceFields (choices: string[], evaluation: AlgorithmEvaluation, winner: number | null): Partial<ConsensusResult> {
  if (choices.length === 0) return {}
  return { choices, scores: evaluation.scores ?? [], winner, ranking: evaluation.ranking ?? [] }
}

/** The result of a finalized round, with its certificate. */
export function finalResult (round: ProposalState, decided: Decision, now: number): ConsensusResult {
  const body = round.ctx.proposal.body
  const checked = decided.close
  const close = checked.close.body
  const participants = body.electorate.map(([id]) => id)
  const voters = [...checked.counted.keys()].sort()
  const changed = checked.votes.filter(v => v.body.seq > 0 && checked.counted.has(v.body.voter)).length
  return {
    proposalId: round.key,
    decision: close.decision,
    votesFor: close.tally[0],
    votesAgainst: close.tally[1],
    votesAbstain: close.tally[2],
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
      ...(body.voteChange ? { changedVotes: changed } : {}),
      finality: 'final'
    },
    ...choiceFields(body.choices, checked.evaluation, close.winner === 0 ? null : close.winner),
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
    metadata: { ...evaluation.metadata, finality: 'unconfirmed', closes: round.closes.size },
    ...choiceFields(body.choices, evaluation, null)
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
