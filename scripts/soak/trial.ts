import { decode } from 'cborg'
import { defaultCloseStepMs } from '../../src/core/constants.js'
import { VoteType } from '../../src/types.js'
import { contentId, idToString } from '../../src/wire/ids.js'
import { SeededRandom } from '../../src/testing/random.js'
import { SimulatedSwarm } from '../../src/testing/swarm.js'
import type { NetworkFaults, TraceEvent } from '../../src/testing/memory-network.js'
import type { ConsensusResult } from '../../src/core/results.js'

/** When the coordinator dies, relative to its proposal. */
export type CoordinatorCrash = 'none' | 'before-spread' | 'mid-vote' | 'at-deadline' | 'after-close-reached-one'

/**
 * How the network is split from the start until just after the deadline (then healed):
 * - `one-peer`: one seeded agent (never the coordinator) reaches nobody and nobody reaches it;
 * - `minority`: a seeded ⌊(N−1)/2⌋ agents are cut off from the coordinator's side (a majority);
 * - `majority`: a seeded ⌊N/2⌋+1 agents are cut off, leaving the coordinator in the minority;
 * - `ring`: agents sit on a seeded ring and each reaches only its two neighbours (nothing is relayed:
 *   whatever travels further goes hop by hop through pull sync).
 */
export type PartitionShape = 'none' | 'one-peer' | 'minority' | 'majority' | 'ring'

/** The finality horizons reported: share of agents finalized by `deadline + k·Δ`. */
export const HORIZONS = [1, 2, 4, 8] as const

/** One seeded trial: a swarm, a proposal, faults. */
export interface TrialOptions extends NetworkFaults {
  seed: number
  agents: number
  algorithm?: string
  timeoutMs?: number
  /** each agent's clock is off by a seeded amount in [−skewMs, +skewMs] */
  skewMs?: number
  crash?: CoordinatorCrash
  /** applied from the start, healed 1 ms after the deadline (virtual time) */
  partition?: PartitionShape
  /** latency drawn from [0, jitterMs]; ignored when `latencyMs` is given */
  jitterMs?: number
  /** share of agents voting for (the rest split against/abstain/silent by seed) */
  support?: number
}

/** What a trial measured. Times are virtual (shared) time, not any agent's skewed clock. */
export interface TrialReport {
  seed: number
  crash: CoordinatorCrash
  partition: PartitionShape
  /** agents that finalized a decision (crashed ones included if they decided before crashing) */
  finalized: number
  agents: number
  /** agents not crashed at the end: the denominator of liveness shares */
  live: number
  /** live agents that finalized */
  liveFinalized: number
  /** live agents that ever held the proposal */
  liveReached: number
  /** live agents finalized by deadline + k·Δ, for k in {@link HORIZONS} */
  finalizedBy: number[]
  /** Δ of the proposal (its `step`), ms */
  stepMs: number
  /** distinct decisions among finalized agents minus one: must be 0 */
  disagreements: number
  /** distinct certificates among finalized agents */
  certificates: number
  /** distinct certificates among finalized agents minus one: must be 0 */
  conflictingCertificates: number
  /** 'conflicting-close' evidence events emitted (all agents) */
  conflictingCloses: number
  /** distinct closes signed in this trial (sent by any closer) */
  closesSigned: number
  /** agents that held two or more distinct closes (delivered or their own, any rounds), verified or not */
  twoClosesReceived: number
  /**
   * agents that verified two closes of one closer for one round with different outcomes (an
   * equivocating closer): each must have raised evidence. Closes of different rounds are the
   * protocol's normal course and count here only through `twoClosesReceived`.
   */
  twoClosesVerified: number
  /** of those, agents that emitted 'conflicting-close' evidence */
  twoClosesDetected: number
  decision: string | undefined
  /** virtual ms from proposal to each finalized agent's decision */
  decisionTimes: number[]
  /** virtual ms from proposal to the decision of each live agent that finalized */
  liveDecisionTimes: number[]
  /** the round each live agent that finalized decided in (`metadata.decidedRound`), same order as `liveDecisionTimes` */
  decidedRounds: number[]
  /** of those, decisions on the fast path (every member's round-0 prevote; `metadata.path === 'fast'`) */
  fastDecisions: number
  /** virtual ms from the deadline to the last decision */
  afterDeadlineMs: number | undefined
  /** vote messages delivered point to point (answers to pulls) rather than by broadcast */
  votesPulled: number
  /** of those, votes the receiver accepted (it did not hold them yet) */
  votesPulledNew: number
  /** virtual ms from proposal to the staged coordinator crash, if it happened */
  crashedAtMs: number | undefined
}

/** What {@link inspect} tells of a sealed message. */
export interface Inspected { type: string | undefined, key?: string }

const inspected = new WeakMap<Uint8Array, Inspected>()

/** The type of a sealed message (and for closes a content key), cached per byte array. */
export function inspect (bytes: Uint8Array): Inspected {
  let seen = inspected.get(bytes)
  if (seen !== undefined) return seen
  seen = { type: undefined }
  try {
    const [body] = decode(bytes) as [Uint8Array]
    const type = (decode(body) as { type?: string }).type
    // a close's id is the SHA-256 of its body, as everywhere in the protocol
    seen = type === 'close' ? { type, key: idToString(contentId(body)) } : { type }
  } catch {}
  inspected.set(bytes, seen)
  return seen
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffle<T> (items: T[], random: SeededRandom): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** The round a result was decided in (`metadata.decidedRound`; 0 if a peer does not say). */
export function decidedRound (result: ConsensusResult): number {
  const round = result.metadata.decidedRound
  return typeof round === 'number' ? round : 0
}

/**
 * Whether a manager verified two closes of one closer for one round with different outcomes, for
 * any proposal (ground truth for detection, read from its proposal states: simulation only).
 */
export function equivocatedCloses (manager: unknown): boolean {
  const rounds = (manager as { rounds: { values: () => Iterable<{ closes: ReadonlyMap<string, CheckedCloseView> }> } }).rounds
  for (const state of rounds.values()) {
    const seen = new Map<string, string>()
    for (const checked of state.closes.values()) {
      const slot = `${checked.close.body.closer}/${checked.close.body.round}`
      const value = seen.get(slot)
      if (value !== undefined && value !== checked.value) return true
      seen.set(slot, checked.value)
    }
  }
  return false
}

/** What {@link equivocatedCloses} reads of a verified close. */
interface CheckedCloseView { value: string, close: { body: { closer: string, round: number } } }

/** Agents a trial's electorate could not do without: how many are cut off by each partition shape. */
export function partitionCut (shape: PartitionShape, agents: number): number {
  switch (shape) {
    case 'one-peer': return 1
    case 'minority': return Math.floor((agents - 1) / 2)
    case 'majority': return Math.floor(agents / 2) + 1
    default: return 0
  }
}

/**
 * Run one seeded trial and report agreement figures. Votes are drawn from the seed; the coordinator
 * is agent 0 and may be crashed at one of the staged points; the network may be partitioned from the
 * start until just after the deadline.
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
    latencyMs: options.latencyMs ?? (options.jitterMs === undefined ? undefined : [0, options.jitterMs]),
    duplicate: options.duplicate,
    reorder: options.reorder,
    reorderMs: options.reorderMs,
    skewMs: options.skewMs,
    vote: (index) => choices[index]
  })
  const timeoutMs = options.timeoutMs ?? 2_000
  const stepMs = defaultCloseStepMs(timeoutMs)
  const crash = options.crash ?? 'none'
  const partition = options.partition ?? 'none'
  const coordinator = swarm.agent(0)
  const coordinatorId = coordinator.identity.peerId
  const ids = swarm.agents.map(a => a.identity.peerId)
  const indexOf = new Map(ids.map((id, i) => [id, i]))
  const start = swarm.clock.now()
  const deadline = start + timeoutMs

  // ---- what the trial watches ----
  let evidence = 0
  const detected = new Set<number>()
  const decidedAt = new Map<number, number>()
  const reached = new Set<number>()
  for (const agent of swarm.agents) {
    agent.manager.addEventListener('proposal', () => { reached.add(agent.index) })
    agent.manager.addEventListener('evidence', (evt) => {
      if (evt.detail.kind !== 'conflicting-close') return
      evidence++
      detected.add(agent.index)
    })
    agent.manager.addEventListener('decision', () => {
      if (!decidedAt.has(agent.index)) decidedAt.set(agent.index, swarm.clock.now())
    })
  }
  const closesHeld = ids.map(() => new Set<string>())
  const closesSigned = new Set<string>()
  let votesPulled = 0
  let votesPulledNew = 0
  let crashedAt: number | undefined
  const crashCoordinator = async (): Promise<void> => {
    if (coordinator.crashed) return
    crashedAt = swarm.clock.now()
    await swarm.crash(0)
  }
  // after-close-reached-one: the seeded peer the coordinator's close goes to, chosen at its first close
  let closeTarget: string | undefined
  const watch = (event: TraceEvent, message: Uint8Array): void => {
    const { type, key } = inspect(message)
    if (event.event === 'send') {
      if (type === 'close' && key !== undefined) {
        closesSigned.add(key)
        closesHeld[indexOf.get(event.from) ?? -1]?.add(key)
        if (crash === 'after-close-reached-one' && event.from === coordinatorId && closeTarget === undefined) {
          const reachable = ids.filter(id => id !== coordinatorId && swarm.network.reachable(coordinatorId, id))
          closeTarget = reachable.length === 0 ? '' : random.pick(reachable)
        }
      }
      return
    }
    if (event.event !== 'deliver' && event.event !== 'duplicate') return
    if (type === 'vote' && event.via === 'direct') {
      votesPulled++
      if (event.verdict === 'accept') votesPulledNew++
    }
    if (type === 'close' && key !== undefined) {
      closesHeld[indexOf.get(event.to) ?? -1]?.add(key)
      // the close reached its one peer (and was handled there): now the coordinator dies
      if (crash === 'after-close-reached-one' && event.from === coordinatorId && event.to === closeTarget) void crashCoordinator()
    }
  }
  swarm.network.monitor = watch

  // ---- partition, from the start until just after the deadline ----
  const cut = new SeededRandom(options.seed * 7727 + 11)
  if (partition === 'ring') {
    const ring = shuffle(ids, cut)
    const at = new Map(ring.map((id, i) => [id, i]))
    const n = ring.length
    swarm.network.partitionBy((from, to) => {
      const d = (((at.get(from) ?? 0) - (at.get(to) ?? 0)) % n + n) % n
      return d === 1 || d === n - 1
    })
  } else if (partition !== 'none') {
    swarm.network.partition([shuffle(ids.slice(1), cut).slice(0, partitionCut(partition, ids.length))])
  }
  if (partition !== 'none') swarm.clock.setTimeout(async () => swarm.heal(), timeoutMs + 1)

  // ---- the staged coordinator crash ----
  if (crash === 'before-spread') {
    // the proposal reaches a seeded few, then the coordinator is gone
    const reach = new Set(swarm.agents.filter(() => random.chance(0.3)).map(a => a.identity.peerId))
    swarm.network.filter = (from, to) => from !== coordinatorId || reach.has(to)
    swarm.clock.setTimeout(crashCoordinator, 1)
  } else if (crash === 'mid-vote') {
    swarm.clock.setTimeout(crashCoordinator, random.int(1, timeoutMs - 1))
  } else if (crash === 'at-deadline') {
    swarm.clock.setTimeout(crashCoordinator, timeoutMs + random.int(-20, 20))
  } else if (crash === 'after-close-reached-one') {
    // From its first close on, the coordinator is mute except for that close to one seeded peer
    // (re-sent on its retry timer if the network loses it); it dies once the close is delivered.
    swarm.network.filter = (from, to, message) => {
      if (from !== coordinatorId || closeTarget === undefined) return true
      return to === closeTarget && inspect(message).type === 'close'
    }
  }

  void coordinator.manager.requestConsensus({ trial: options.seed }, { timeoutMs, algorithm: options.algorithm ?? 'quorum', participants: ids }).catch(() => {})
  await swarm.settle()
  await swarm.stop()

  const finalized = swarm.agents.filter(a => a.decisions.size > 0)
  const results = finalized.map(a => [...a.decisions.values()][0] as NonNullable<ReturnType<typeof a.decisions.get>>)
  const decisions = new Set(results.map(r => r.decision))
  const certificates = new Set(results.map(r => r.certificate?.id))
  const live = swarm.agents.filter(a => !a.crashed)
  const liveTimes = live.map(a => decidedAt.get(a.index)).filter((t): t is number => t !== undefined)
  const decisionTimes = finalized.map(a => (decidedAt.get(a.index) ?? start) - start)
  const lastDecision = decisionTimes.length === 0 ? undefined : Math.max(...decisionTimes)
  // ground truth for detection: the verified closes each agent's proposal state holds (read-only, sim only)
  let twoClosesVerified = 0
  let twoClosesDetected = 0
  for (const agent of swarm.agents) {
    if (equivocatedCloses(agent.manager)) {
      twoClosesVerified++
      if (detected.has(agent.index)) twoClosesDetected++
    }
  }
  const liveFinal = live.filter(a => decidedAt.has(a.index) && a.decisions.size > 0)
  const liveResults = liveFinal.map(a => [...a.decisions.values()][0] as NonNullable<ReturnType<typeof a.decisions.get>>)
  return {
    seed: options.seed,
    crash,
    partition,
    finalized: finalized.length,
    agents: options.agents,
    live: live.length,
    liveFinalized: liveTimes.length,
    liveReached: live.filter(a => reached.has(a.index)).length,
    finalizedBy: HORIZONS.map(k => liveTimes.filter(t => t <= deadline + k * stepMs).length),
    stepMs,
    disagreements: Math.max(0, decisions.size - 1),
    certificates: certificates.size,
    conflictingCertificates: Math.max(0, certificates.size - 1),
    conflictingCloses: evidence,
    closesSigned: closesSigned.size,
    twoClosesReceived: closesHeld.filter(s => s.size >= 2).length,
    twoClosesVerified,
    twoClosesDetected,
    decision: decisions.size === 1 ? [...decisions][0] : undefined,
    decisionTimes,
    liveDecisionTimes: liveFinal.map(a => (decidedAt.get(a.index) as number) - start),
    decidedRounds: liveResults.map(decidedRound),
    fastDecisions: liveResults.filter(r => r.metadata.path === 'fast').length,
    afterDeadlineMs: lastDecision === undefined ? undefined : lastDecision - timeoutMs,
    votesPulled,
    votesPulledNew,
    crashedAtMs: crashedAt === undefined ? undefined : crashedAt - start
  }
}
