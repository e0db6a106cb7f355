/**
 * `npm run scenarios`: a real swarm. Six libp2p peers on loopback websockets, each running the consensus
 * service with its own voting persona. Each of the Python demo's scenarios (feature flag, database migration,
 * emergency rollback, then timeout handling) is coordinated by a different peer, and every peer
 * prints the decision and certificate it holds.
 */
import { WeightedAlgorithm, verifyCertificate, type ConsensusResult } from '../src/index.js'
import { seedPersonas } from './src/sim/population.js'
import { connectFullMesh, startLoopbackPeer, stopAll, type ConsensusNode } from './swarm.js'

// the Python demo's agents, shared with the demo page's scenario button
const personas = seedPersonas

const tty = process.stdout.isTTY
const bold = (s: string): string => tty ? `\x1b[1m${s}\x1b[0m` : s
const dim = (s: string): string => tty ? `\x1b[2m${s}\x1b[0m` : s
const colour = (decision: string): string => {
  if (!tty) return decision.toUpperCase()
  const code = decision === 'approved' ? 32 : decision === 'rejected' ? 31 : 33
  return `\x1b[${code}m${decision.toUpperCase()}\x1b[0m`
}
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function main (): Promise<void> {
  const started = performance.now()
  console.log(bold('libp2p-consensus: six peers on loopback websockets, gossipsub, signed votes\n'))
  const nodes: ConsensusNode[] = []
  for (const persona of personas) {
    nodes.push(await startLoopbackPeer({ voter: (proposal) => persona.decide(proposal) }))
  }
  const ids = nodes.map(n => n.peerId.toString())
  const names = new Map(ids.map((id, i) => [id, personas[i]?.name ?? id]))
  for (const [i, node] of nodes.entries()) console.log(dim(`  ${(personas[i]?.name ?? '').padEnd(20)} ${node.getMultiaddrs()[0]?.toString()}`))
  await connectFullMesh(nodes)
  console.log(dim(`  full mesh: ${nodes.length} peers, ${nodes.reduce((n, node) => n + node.getConnections().length, 0) / 2} connections\n`))

  // the Python demo's expert weights, by peer id, registered on every peer (the kind is what peers must share)
  const expertWeighted = new WeightedAlgorithm({ threshold: 0.6, agentWeights: Object.fromEntries(ids.map((id, i) => [id, personas[i]?.weight ?? 1])) })
  const decided = nodes.map(() => new Map<string, ConsensusResult>())
  const votes = new Map<string, string>()
  nodes.forEach((node, i) => {
    node.services.consensus.registerAlgorithm('expert_weighted', expertWeighted)
    node.services.consensus.addEventListener('decision', (evt) => { decided[i]?.set(evt.detail.proposalId, evt.detail) })
    node.services.consensus.addEventListener('vote', (evt) => {
      if (evt.detail.voter === ids[i]) votes.set(`${evt.detail.proposalId}/${evt.detail.voter}`, String(evt.detail.vote))
    })
  })

  type RequestOptions = Parameters<ConsensusNode['services']['consensus']['requestConsensus']>[1]
  const run = async (title: string, coordinator: number, payload: Record<string, any>, options: RequestOptions, live = nodes): Promise<ConsensusResult> => {
    console.log(`${bold(title)}\n  coordinated by ${personas[coordinator]?.name}`)
    const result = await nodes[coordinator]!.services.consensus.requestConsensus(payload, options)
    // give the last acks a moment to reach everyone, then read what each peer holds
    const until = Date.now() + 3_000
    while (Date.now() < until && !live.every(n => decided[nodes.indexOf(n)]?.has(result.proposalId))) await sleep(20)
    const ballot = result.participants.map(id => `${names.get(id)} ${votes.get(`${result.proposalId}/${id}`) ?? 'no vote'}`)
    console.log(`  votes      ${ballot.join(', ')}`)
    const weighted = typeof result.metadata.weightedApproval === 'number' ? `, weighted approval ${(100 * result.metadata.weightedApproval).toFixed(1)}%` : ''
    console.log(`  decision   ${colour(result.decision)} by ${result.algorithmUsed} (threshold ${(100 * result.threshold).toFixed(0)}%${weighted}); ` +
      `${result.votesFor} for, ${result.votesAgainst} against, ${result.votesAbstain} abstain of ${result.participants.length}; ${result.durationMs} ms`)
    console.log('  every peer holds:')
    for (const [i, node] of nodes.entries()) {
      const held = decided[i]?.get(result.proposalId)
      const line = !live.includes(node)
        ? dim('(offline)')
        : held === undefined ? 'nothing yet' : `${held.decision.padEnd(9)} certificate ${held.certificate?.id.slice(0, 16)}`
      console.log(`    ${(personas[i]?.name ?? '').padEnd(20)} ${line}`)
    }
    const agreeing = live.filter(n => decided[nodes.indexOf(n)]?.get(result.proposalId)?.certificate?.id === result.certificate?.id).length
    const verified = result.certificate === undefined
      ? 'no certificate'
      : `certificate verified offline: ${(await verifyCertificate(result.certificate, { algorithms: { expert_weighted: expertWeighted } })).decision}`
    console.log(`  ${agreeing === live.length ? '✓' : '✗'} ${agreeing}/${live.length} live peers hold the same decision and certificate; ${verified}\n`)
    return result
  }

  const flag = await run('Scenario 1: feature flag deployment (quorum, > 50 %)', 0,
    { type: 'feature_flag', feature: 'new_checkout_flow', rollout_percentage: 10, monitoring_period_hours: 24 }, { algorithm: 'quorum' })
  if (flag.decision === 'approved') console.log(`  → enable_feature_flag('new_checkout_flow', rollout=10): approved by ${flag.votesFor} agents\n`)

  const migration = await run('Scenario 2: database schema migration (expert-weighted, > 60 % of weight)', 1,
    { type: 'database_migration', migration_name: 'add_user_preferences', estimated_downtime_seconds: 120, rollback_available: true, risk_level: 'high' },
    { algorithm: 'expert_weighted', timeoutMs: 60_000 })
  console.log(migration.decision === 'approved' ? '  → execute_migration(\'add_user_preferences\')\n' : '  → migration not executed\n')

  const rollback = await run('Scenario 3: emergency system rollback (unanimous, 10 s)', 2,
    { type: 'emergency_rollback', severity: 'critical', target_version: 'v1.9.5', reason: 'production_errors_spike' },
    { algorithm: 'unanimous', timeoutMs: 10_000 })
  console.log(rollback.decision === 'approved'
    ? '  → EMERGENCY ROLLBACK APPROVED - executing immediately\n'
    : '  → TIMEOUT or rejection - proceeding with automatic rollback\n')

  // timeout handling: agent-qa-001's node goes down; it stays in this explicit electorate
  await nodes[5]!.stop()
  const late = await run('Timeout handling: unanimous, 2 s, one peer offline', 3,
    { type: 'emergency_rollback', target_version: 'v1.9.4' }, { algorithm: 'unanimous', timeoutMs: 2_000, participants: ids }, nodes.slice(0, 5))
  const lateOutcome = late.decision === 'timeout'
    ? `Consensus timeout: ${late.votesFor}/${late.participants.length} voted - proceeding with automatic rollback`
    : late.decision
  console.log(`  → ${lateOutcome}\n`)

  const stats = nodes[0]!.services.consensus.getAlgorithmStats()
  console.log(`${bold('Statistics')} ${dim('(any peer: every peer saw the same decisions)')}`)
  console.log(`  total proposals ${stats.totalProposals}, approval rate ${(100 * stats.approvalRate).toFixed(1)}%, ` +
    `average ${stats.avgDurationMs.toFixed(0)} ms to a final decision`)
  for (const [name, s] of Object.entries(stats.byAlgorithm)) {
    console.log(`  ${name.padEnd(16)} proposals ${s.proposals}  approved ${s.approved}  rejected ${s.rejected}  timeouts ${s.timeouts}  ` +
      `approval ${(100 * s.approvalRate).toFixed(0)}%`)
  }
  console.log(dim(`\n${((performance.now() - started) / 1000).toFixed(1)} s in all.`))
  await stopAll(nodes.slice(0, 5))
}

await main()
