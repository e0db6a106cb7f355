/**
 * `npm start`: the seed's three scenarios (feature flag, database migration, emergency rollback) and
 * its timeout handling, on an in-memory swarm of signed agents in real time. Each scenario prints
 * every agent's vote, the decision, the tally, timings and the certificate every agent holds.
 */
import {
  ConsensusDecision, ConsensusManager, MemoryNetwork, VoteType, WeightedAlgorithm, createIdentity, verifyCertificate,
  type ConsensusResult, type Identity, type ProposalView, type VoteDecision
} from '../src/index.js'

interface Persona {
  name: string
  weight: number
  decide(proposal: ProposalView): VoteDecision | undefined
}

const personas: Persona[] = [
  { name: 'expert-backend-001', weight: 3, decide: (p) => ({ vote: VoteType.For, metadata: { reason: p.payload.type === 'database_migration' ? 'rollback script reviewed' : 'looks good' } }) },
  { name: 'expert-frontend-001', weight: 2, decide: () => ({ vote: VoteType.For }) },
  { name: 'agent-junior-001', weight: 1, decide: (p) => ({ vote: p.payload.risk_level === 'high' ? VoteType.Against : VoteType.For }) },
  { name: 'agent-junior-002', weight: 1, decide: (p) => ({ vote: p.payload.type === 'feature_flag' ? VoteType.Abstain : VoteType.For }) },
  { name: 'agent-ops-001', weight: 1, decide: (p) => ({ vote: p.payload.type === 'database_migration' ? VoteType.Against : VoteType.For }) },
  { name: 'agent-qa-001', weight: 1, decide: () => ({ vote: VoteType.For }) }
]

const bold = (s: string): string => process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s
const colour = (decision: string): string => {
  if (!process.stdout.isTTY) return decision.toUpperCase()
  const code = decision === 'approved' ? 32 : decision === 'rejected' ? 31 : 33
  return `\x1b[${code}m${decision.toUpperCase()}\x1b[0m`
}

async function main (): Promise<void> {
  const network = new MemoryNetwork({ latencyMs: [2, 25] })
  const identities: Identity[] = await Promise.all(personas.map(async () => createIdentity()))
  const names = new Map(identities.map((id, i) => [id.peerId, personas[i]?.name ?? id.peerId]))
  const votes = new Map<string, string>()
  /** proposal id → certificate id each agent decided with */
  const decided = new Map<string, string[]>()

  const expertWeighted = new WeightedAlgorithm({
    threshold: 0.6,
    agentWeights: Object.fromEntries(identities.map((id, i) => [id.peerId, personas[i]?.weight ?? 1]))
  })
  const agents = await Promise.all(personas.map(async (persona, i) => {
    const identity = identities[i] as Identity
    const agent = new ConsensusManager({
      identity,
      coordinator: network.join(identity.peerId),
      algorithms: { expert_weighted: expertWeighted },
      voter: (proposal) => persona.decide(proposal)
    })
    agent.addEventListener('decision', (evt) => {
      decided.set(evt.detail.proposalId, [...decided.get(evt.detail.proposalId) ?? [], evt.detail.certificate?.id ?? 'none'])
    })
    agent.addEventListener('vote', (evt) => {
      if (evt.detail.voter === identity.peerId) votes.set(`${evt.detail.proposalId}/${identity.peerId}`, evt.detail.vote)
    })
    await agent.start()
    return agent
  }))
  // the coordinator: an operator's peer that proposes but does not vote
  const operatorIdentity = await createIdentity()
  const operator = new ConsensusManager({ identity: operatorIdentity, coordinator: network.join(operatorIdentity.peerId), algorithms: { expert_weighted: expertWeighted } })
  await operator.start()

  const report = async (title: string, result: ConsensusResult): Promise<void> => {
    console.log(`\n${bold(title)}`)
    for (const id of result.participants) {
      const vote = votes.get(`${result.proposalId}/${id}`) ?? 'no vote'
      console.log(`  ${(names.get(id) ?? id).padEnd(20)} ${vote}`)
    }
    const weighted = typeof result.metadata.weightedApproval === 'number' ? `, weighted approval ${(100 * result.metadata.weightedApproval).toFixed(1)}%` : ''
    console.log(`  decision  ${colour(result.decision)} by ${result.algorithmUsed} (threshold ${(100 * result.threshold).toFixed(0)}%${weighted})`)
    console.log(`  tally     ${result.votesFor} for, ${result.votesAgainst} against, ${result.votesAbstain} abstain of ${result.participants.length} (participation ${(100 * result.participationRate).toFixed(0)}%)`)
    console.log(`  time      ${result.durationMs} ms to a final decision`)
    if (result.certificate !== undefined) {
      await new Promise(resolve => setTimeout(resolve, 100)) // let the last acks land everywhere
      const verified = await verifyCertificate(result.certificate)
      const holders = (decided.get(result.proposalId) ?? []).filter(id => id === result.certificate?.id).length
      console.log(`  proof     certificate ${result.certificate.id.slice(0, 16)}…: ${result.certificate.votes.length} signed votes, ${result.certificate.acks.length} acks; verified offline: ${verified.decision}`)
      console.log(`  agreement ${holders} of ${agents.length} agents hold this very certificate`)
    }
  }

  const t0 = performance.now()
  const flag = await operator.requestConsensus({ type: 'feature_flag', feature: 'new_checkout_flow', rollout_percentage: 10, monitoring_period_hours: 24 }, { algorithm: 'quorum' })
  await report('Scenario 1: feature flag deployment (quorum, > 50 %)', flag)
  if (flag.decision === ConsensusDecision.Approved) console.log(`  → enable_feature_flag('new_checkout_flow', rollout=10): approved by ${flag.votesFor} agents`)

  const migration = await operator.requestConsensus({ type: 'database_migration', migration_name: 'add_user_preferences', estimated_downtime_seconds: 120, rollback_available: true, risk_level: 'high' }, { algorithm: 'expert_weighted', timeoutMs: 60_000 })
  await report('Scenario 2: database schema migration (expert-weighted, > 60 % of weight)', migration)
  console.log(migration.decision === ConsensusDecision.Approved ? '  → execute_migration(\'add_user_preferences\')' : '  → migration not executed')

  const rollback = await operator.requestConsensus({ type: 'emergency_rollback', severity: 'critical', target_version: 'v1.9.5', reason: 'production_errors_spike' }, { algorithm: 'unanimous', timeoutMs: 10_000 })
  await report('Scenario 3: emergency system rollback (unanimous, 10 s)', rollback)
  console.log(rollback.decision === ConsensusDecision.Approved ? '  → EMERGENCY ROLLBACK APPROVED - executing immediately' : '  → TIMEOUT or rejection - proceeding with automatic rollback')

  // timeout handling: one agent's link is down, so unanimity cannot be reached before the deadline
  network.crash(identities[5]?.peerId as string)
  const late = await operator.requestConsensus({ type: 'emergency_rollback', target_version: 'v1.9.4' }, { algorithm: 'unanimous', timeoutMs: 1_500, participants: identities.map(i => i.peerId) })
  await report('Timeout handling: unanimous, 1.5 s, one agent unreachable', late)
  console.log(`  → ${late.decision === ConsensusDecision.Timeout ? `Consensus timeout: ${late.votesFor}/${late.participants.length} voted` : late.decision}`)

  const stats = operator.getAlgorithmStats()
  console.log(`\n${bold('Statistics')} (the operator's view; every agent holds the same decisions)`)
  console.log(`  total proposals ${stats.totalProposals}, approval rate ${(100 * stats.approvalRate).toFixed(1)}%, average ${stats.avgDurationMs.toFixed(0)} ms`)
  for (const [name, s] of Object.entries(stats.byAlgorithm)) {
    console.log(`  ${name.padEnd(16)} proposals ${s.proposals}  approved ${s.approved}  rejected ${s.rejected}  timeouts ${s.timeouts}  approval ${(100 * s.approvalRate).toFixed(0)}%`)
  }
  console.log(`\n${personas.length} agents + 1 coordinator, in-memory network with 2–25 ms latency; ${network.counters.delivered} messages delivered; ${(performance.now() - t0).toFixed(0)} ms in all.`)
  await Promise.all([...agents, operator].map(async a => a.stop()))
}

await main()
