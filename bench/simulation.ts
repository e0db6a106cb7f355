/**
 * Section 5 of `npm run bench`: simulation scale. `SimulatedSwarm` (a `MemoryNetwork` in virtual
 * time, every agent a full `ConsensusManager` with its own key) with 1,000 agents reaching one
 * decision; wall time from `request` until every agent has decided. Smaller swarms run first to
 * show how it scales. Runs alone too: `npx tsx bench/simulation.ts [--agents 100,1000]`.
 *
 * Every agent is in the electorate and votes, so one decision is ~2·N² deliveries (every vote and
 * every ack goes to every agent). All agents share the process, so the process-wide verified-signature
 * cache means each signed message is verified once, not once per agent: that is fair for agents
 * sharing a process, and it is said so in the output. Building the swarm (deriving N keys, starting N
 * managers) is reported separately.
 */
import { performance } from 'node:perf_hooks'
import { SimulatedSwarm } from '../src/testing/index.js'
import { exitSoon, isMain, log, n0, parseFlags } from './util.js'

/** One swarm size. */
export interface SimulationRun {
  agents: number
  setupMs: number
  /** request until every agent decided, ms */
  decisionMs: number
  /** request until the requester had its result, ms */
  requesterMs: number
  decided: number
  decision: string | undefined
  deliveries: number
  /** wall µs per delivered message */
  usPerDelivery: number
  /** CPU time of this process (all threads) from request until every agent decided, ms */
  cpuMs: number
  /** CPU µs per delivered message: what to read on a machine shared with other processes */
  cpuUsPerDelivery: number
}

/** What section 5 reports. */
export interface SimulationReport {
  runs: SimulationRun[]
  goalMs: number
  met: boolean
  note: string
}

async function runOne (agents: number): Promise<SimulationRun> {
  let t = performance.now()
  const swarm = await SimulatedSwarm.create({ agents, seed: 1 })
  const setupMs = performance.now() - t
  t = performance.now()
  const cpu = process.cpuUsage()
  const result = await swarm.request(0, { bench: 'simulation', agents }, { timeoutMs: 5_000 })
  const requesterMs = performance.now() - t
  // the requester can decide a little before the last agent: run until every agent has
  while (swarm.agents.some(a => a.decisions.size === 0) && swarm.clock.pending > 0) await swarm.clock.runUntil(swarm.clock.now() + 10)
  const decisionMs = performance.now() - t
  const cpuUsed = process.cpuUsage(cpu)
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000
  const decided = swarm.agents.filter(a => a.decisions.size > 0).length
  const deliveries = swarm.network.counters.delivered
  await swarm.stop()
  return {
    agents,
    setupMs: Math.round(setupMs),
    decisionMs: Math.round(decisionMs),
    requesterMs: Math.round(requesterMs),
    decided,
    decision: result.decision,
    deliveries,
    usPerDelivery: Math.round(decisionMs * 1000 / Math.max(1, deliveries) * 100) / 100,
    cpuMs: Math.round(cpuMs),
    cpuUsPerDelivery: Math.round(cpuMs * 1000 / Math.max(1, deliveries) * 100) / 100
  }
}

/** Section 5. */
export async function runSimulation (sizes = [100, 1000]): Promise<SimulationReport> {
  const runs: SimulationRun[] = []
  for (const agents of sizes) {
    const run = await runOne(agents)
    runs.push(run)
    log(`simulation: ${n0(agents)} agents decided ${run.decision} in ${n0(run.decisionMs)} ms ` +
      `(${run.decided}/${agents} decided; requester ${n0(run.requesterMs)} ms; ${n0(run.deliveries)} deliveries, ` +
      `${run.usPerDelivery} µs each, CPU ${run.cpuUsPerDelivery} µs; setup ${n0(run.setupMs)} ms)`)
  }
  const largest = runs[runs.length - 1] as SimulationRun
  return {
    runs,
    goalMs: 1_000,
    met: largest.agents >= 1_000 && largest.decided === largest.agents && largest.decisionMs < 1_000,
    note: 'all agents share one process and its verified-signature cache: each signed message is verified once, not once per agent'
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2))
  const sizes = (flags.get('--agents') ?? '100,1000').split(',').map(Number)
  runSimulation(sizes).then(r => { console.log(JSON.stringify(r, null, 2)); exitSoon() }, (err) => { console.error(err); process.exitCode = 1 })
}
