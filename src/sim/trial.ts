import { decode } from 'cborg'
import { VoteType } from '../types.js'
import { SeededRandom } from './random.js'
import { SimulatedSwarm } from './swarm.js'
import type { NetworkFaults } from '../transport/memory-network.js'

/** When the coordinator dies, relative to its proposal. */
export type CoordinatorCrash = 'none' | 'before-spread' | 'mid-vote' | 'at-deadline' | 'after-close-reached-one'

/** One seeded trial: a swarm, a proposal, faults. */
export interface TrialOptions extends NetworkFaults {
  seed: number
  agents: number
  algorithm?: string
  timeoutMs?: number
  skewMs?: number
  crash?: CoordinatorCrash
  /** share of agents voting for (the rest split against/abstain/silent by seed) */
  support?: number
}

/** What a trial measured. */
export interface TrialReport {
  seed: number
  crash: CoordinatorCrash
  /** agents that finalized a decision */
  finalized: number
  agents: number
  /** distinct decisions among finalized agents minus one: must be 0 */
  disagreements: number
  /** distinct certificates among finalized agents */
  certificates: number
  /** agents that saw two valid closes (evidence emitted) */
  conflictingCloses: number
  decision: string | undefined
  /** virtual ms from proposal to each agent's decision */
  decisionTimes: number[]
  /** virtual ms from the deadline to the last decision */
  afterDeadlineMs: number | undefined
}

function messageType (bytes: Uint8Array): string | undefined {
  try {
    const [body] = decode(bytes) as [Uint8Array]
    return (decode(body) as { type?: string }).type
  } catch {
    return undefined
  }
}

/**
 * Run one seeded trial and report agreement figures. Votes are drawn from the seed; the coordinator
 * is agent 0 and may be crashed at one of the staged points.
 */
export async function runTrial (options: TrialOptions): Promise<TrialReport> {
  const random = new SeededRandom(options.seed * 104729 + 3)
  const support = options.support ?? 0.7
  const choices = Array.from({ length: options.agents }, () => {
    const r = random.next()
    if (r < support) return VoteType.For
    if (r < support + (1 - support) * 0.6) return VoteType.Against
    if (r < support + (1 - support) * 0.8) return VoteType.Abstain
    return undefined
  })
  const swarm = await SimulatedSwarm.create({
    agents: options.agents,
    seed: options.seed,
    loss: options.loss,
    latencyMs: options.latencyMs,
    duplicate: options.duplicate,
    reorder: options.reorder,
    reorderMs: options.reorderMs,
    skewMs: options.skewMs,
    vote: (index) => choices[index]
  })
  const timeoutMs = options.timeoutMs ?? 2_000
  const crash = options.crash ?? 'none'
  const coordinator = swarm.agent(0)
  let evidence = 0
  for (const agent of swarm.agents) agent.manager.addEventListener('evidence', (evt) => { if (evt.detail.kind === 'conflicting-close') evidence++ })

  if (crash === 'before-spread') {
    // the proposal reaches a seeded few, then the coordinator is gone
    const reach = new Set(swarm.agents.filter(() => random.chance(0.3)).map(a => a.identity.peerId))
    swarm.network.filter = (from, to) => from !== coordinator.identity.peerId || reach.has(to)
    swarm.clock.setTimeout(async () => swarm.crash(0), 1)
  } else if (crash === 'mid-vote') {
    swarm.clock.setTimeout(async () => swarm.crash(0), random.int(1, timeoutMs - 1))
  } else if (crash === 'at-deadline') {
    swarm.clock.setTimeout(async () => swarm.crash(0), timeoutMs + random.int(-20, 20))
  } else if (crash === 'after-close-reached-one') {
    let reached: string | undefined
    swarm.network.filter = (from, to, message) => {
      if (from !== coordinator.identity.peerId || messageType(message) !== 'close') return true
      reached ??= to
      if (to === reached) {
        coordinator.crashed = true
        queueMicrotask(() => { void swarm.crash(0) })
        return true
      }
      return false
    }
  }

  void coordinator.manager.requestConsensus({ trial: options.seed }, { timeoutMs, algorithm: options.algorithm ?? 'quorum' }).catch(() => {})
  await swarm.settle()
  await swarm.stop()

  const finalized = swarm.agents.filter(a => a.decisions.size > 0)
  const results = finalized.map(a => [...a.decisions.values()][0] as NonNullable<ReturnType<typeof a.decisions.get>>)
  const decisions = new Set(results.map(r => r.decision))
  const certificates = new Set(results.map(r => r.certificate?.id))
  const decisionTimes = results.map(r => r.durationMs)
  const lastDecision = results.length === 0 ? undefined : Math.max(...results.map(r => r.durationMs))
  return {
    seed: options.seed,
    crash,
    finalized: finalized.length,
    agents: options.agents,
    disagreements: Math.max(0, decisions.size - 1),
    certificates: certificates.size,
    conflictingCloses: evidence,
    decision: decisions.size === 1 ? [...decisions][0] : undefined,
    decisionTimes,
    afterDeadlineMs: lastDecision === undefined ? undefined : lastDecision - timeoutMs
  }
}
