/**
 * Who votes how: the crowd of the simulation (opinions drawn from a seed), and MoAI-Flow's
 * six personas and three scenarios, shared by the page and `npm run scenarios`. Browser-safe.
 */
import { VoteType, type ProposalView, type VoteDecision } from '../../../src/index.js'
import { SeededRandom } from '../../../src/testing/index.js'

/** One of MoAI-Flow's named agents, with its expert weight and its way of voting. */
export interface Persona {
  name: string
  weight: number
  decide(proposal: ProposalView): VoteDecision | undefined
}

/** MoAI-Flow's demo agents: two weighted experts and four others. */
export const seedPersonas: Persona[] = [
  {
    name: 'expert-backend-001',
    weight: 3,
    decide: (p) => ({ vote: VoteType.For, metadata: { reason: p.payload.type === 'database_migration' ? 'rollback script reviewed' : 'looks good' } })
  },
  { name: 'expert-frontend-001', weight: 2, decide: () => ({ vote: VoteType.For }) },
  { name: 'agent-junior-001', weight: 1, decide: (p) => ({ vote: p.payload.risk_level === 'high' ? VoteType.Against : VoteType.For }) },
  { name: 'agent-junior-002', weight: 1, decide: (p) => ({ vote: p.payload.type === 'feature_flag' ? VoteType.Abstain : VoteType.For }) },
  { name: 'agent-ops-001', weight: 1, decide: (p) => ({ vote: p.payload.type === 'database_migration' ? VoteType.Against : VoteType.For }) },
  { name: 'agent-qa-001', weight: 1, decide: () => ({ vote: VoteType.For }) }
]

/** One of MoAI-Flow's scenarios: who coordinates, what is proposed, how it is decided, and what follows. */
export interface SeedScenario {
  title: string
  /** index into {@link seedPersonas} */
  coordinator: number
  payload: Record<string, string | number | boolean>
  /** `expert_weighted` is MoAI-Flow's WeightedAlgorithm (threshold 0.6, persona weights) */
  algorithm: 'quorum' | 'expert_weighted' | 'unanimous'
  timeoutMs: number
  /** what MoAI-Flow's demo does with the decision */
  consequence(decision: string, votesFor: number): string
}

/** MoAI-Flow's three real-world scenarios. */
export const seedScenarios: SeedScenario[] = [
  {
    title: 'Feature flag deployment',
    coordinator: 0,
    payload: { type: 'feature_flag', feature: 'new_checkout_flow', rollout_percentage: 10, monitoring_period_hours: 24 },
    algorithm: 'quorum',
    timeoutMs: 30_000,
    consequence: (decision, votesFor) => decision === 'approved'
      ? `enable_feature_flag('new_checkout_flow', rollout=10): approved by ${votesFor} agents`
      : 'feature flag stays off'
  },
  {
    title: 'Database schema migration',
    coordinator: 1,
    payload: {
      type: 'database_migration',
      migration_name: 'add_user_preferences',
      estimated_downtime_seconds: 120,
      rollback_available: true,
      risk_level: 'high'
    },
    algorithm: 'expert_weighted',
    timeoutMs: 60_000,
    consequence: (decision) => decision === 'approved' ? "execute_migration('add_user_preferences')" : 'migration not executed'
  },
  {
    title: 'Emergency system rollback',
    coordinator: 2,
    payload: { type: 'emergency_rollback', severity: 'critical', target_version: 'v1.9.5', reason: 'production_errors_spike' },
    algorithm: 'unanimous',
    timeoutMs: 10_000,
    consequence: (decision) => decision === 'approved'
      ? 'EMERGENCY ROLLBACK APPROVED - executing immediately'
      : 'TIMEOUT or rejection - proceeding with automatic rollback'
  }
]

/** The expert weight of crowd agent `index`: every seventh is a senior (3), every third a lead (2). */
export function crowdWeight (index: number): number {
  return index % 7 === 3 ? 3 : index % 3 === 1 ? 2 : 1
}

/** Whether crowd agent `index` never answers (a fixed set for a given seed). */
export function isSilent (seed: number, index: number, silent: number): boolean {
  return silent > 0 && new SeededRandom(seed * 100_003 + index * 7919 + 1).next() < silent
}

/**
 * How crowd agent `index` answers a proposal: for with probability `support`, else mostly against
 * and sometimes abstain. Drawn from the seed, the agent and the proposal id, so a replay votes alike.
 */
export function crowdChoice (seed: number, index: number, proposalId: string, support: number): VoteType {
  const r = new SeededRandom(seed * 31 + index * 2_654_435 + parseInt(proposalId.slice(0, 8), 16)).next()
  if (r < support) return VoteType.For
  return r < support + (1 - support) * 0.2 ? VoteType.Abstain : VoteType.Against
}
