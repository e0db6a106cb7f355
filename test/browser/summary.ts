/**
 * What the browser tests compare between tabs and Node agents: a decision as plain JSON (it crosses
 * playwright's `page.evaluate` and vitest's command channel), and the voter every agent runs.
 */
import { VoteType, verifyCertificate, type ConsensusResult, type ProposalView } from '../../src/index.js'

/** A decision as one agent saw it. */
export interface DecisionSummary {
  proposalId: string
  decision: string
  /** the close id every honest peer must share */
  certificateId: string | undefined
  /** what `verifyCertificate` says the certificate proves (checked on the agent that saw it) */
  verifiedDecision: string | undefined
  algorithmUsed: string
  votesFor: number
  votesAgainst: number
  participants: string[]
}

/** What a test asks a coordinator to propose. */
export interface ProposeRequest {
  /** a built-in algorithm name, or a name to register a weighted algorithm with `agentWeights` under */
  algorithm: string
  /** peers that vote against; everybody else votes for */
  against: string[]
  /** the electorate; absent: the peers present (the default electorate) */
  participants?: string[]
  /** for `expert_weighted` */
  agentWeights?: Record<string, number>
  timeoutMs?: number
  /** wait for this many peers on the topic first */
  minPeers?: number
}

/** The payload a proposal carries: who is asked to object. */
export function payloadOf (request: ProposeRequest): { test: string, against: string[] } {
  return { test: request.algorithm, against: request.against }
}

/** Votes against when the proposal names this peer in `against`, else for. */
export function scriptedVoter (self: () => string): (proposal: ProposalView) => VoteType {
  return (proposal) => {
    const against = proposal.payload.against
    return Array.isArray(against) && against.includes(self()) ? VoteType.Against : VoteType.For
  }
}

/** Summarise a result, verifying its certificate on the way. */
export async function summarize (result: ConsensusResult): Promise<DecisionSummary> {
  let verifiedDecision: string | undefined
  if (result.certificate !== undefined) {
    verifiedDecision = (await verifyCertificate(result.certificate)).decision
  }
  return {
    proposalId: result.proposalId,
    decision: result.decision,
    certificateId: result.certificate?.id,
    verifiedDecision,
    algorithmUsed: result.algorithmUsed,
    votesFor: result.votesFor,
    votesAgainst: result.votesAgainst,
    participants: result.participants
  }
}
