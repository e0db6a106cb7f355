/**
 * The Byzantine cells of the soak: seeded trials in virtual time on a `SimulatedSwarm` where some
 * members do what no honest peer does, driven from outside their (muted) managers with messages
 * signed by the real code (test/helpers/byzantine.ts), and faults that heal (messages lost are
 * retried). In every cell the honest, running members carry more than 2/3 of the weight, so every one
 * of them must finalize, and all on one outcome.
 *
 * - `EQ`: the coordinator signs two valid round-0 closes and shows each to one part of the honest
 *   electorate, at every split 1…N−1 (N honest members), then stays silent or crashes;
 * - `ACK`: f members (the most weight-1 members below 1/3 of the weight, fewer when the coordinator
 *   also dies) prevote and precommit different outcomes, or nil, to different honest peers in every round;
 * - `FB`: two fallbacks close at once: the closer of round 2 runs ahead of the closer of round 1 by the
 *   time between their rounds' starts, and the coordinator dies before closing;
 * - `ONE`: a close reaches one peer, then its closer dies (the coordinator in round 0, or the closer of
 *   round 1 once the coordinator died before closing).
 */
import { DEFAULT_FALLBACK_CLOSERS, defaultCloseStepMs } from '../../src/core/constants.js'
import { rankFallbackClosers } from '../../src/core/proposal-draft.js'
import { roundStart } from '../../src/core/round-clock.js'
import { SeededRandom } from '../../src/testing/random.js'
import { SimulatedSwarm } from '../../src/testing/swarm.js'
import { decodeMessage, type AnyOpened, type OpenedClose, type OpenedProposal, type OpenedVote } from '../../src/wire/envelope.js'
import { AckPhase } from '../../src/wire/messages.js'
import { VoteType } from '../../src/types.js'
import { forgeAck, forgeClose, outcomeOf } from '../../test/helpers/byzantine.js'
import { ALGORITHMS } from './matrix.js'
import { decidedRound, inspect, shuffle } from './trial.js'
import type { TraceEvent } from '../../src/testing/memory-network.js'
import type { ConsensusResult } from '../../src/core/results.js'

/** Which Byzantine behaviour a cell stages. */
export type ByzantineKind = 'EQ' | 'ACK' | 'FB' | 'ONE'

/** What happens to the (honest) coordinator in `ACK` cells, and which closer dies in `ONE` cells. */
export type ByzantineVariant =
  | 'approved-vs-timeout' | 'two-vote-sets'
  | 'coordinator-alive' | 'coordinator-crashed' | 'close-reached-one'
  | 'rounds-1-2'
  | 'round-0' | 'round-1'

/** One Byzantine cell. */
export interface ByzantineCell {
  /** short stable name, e.g. `EQ8a` */
  id: string
  kind: ByzantineKind
  variant: ByzantineVariant
  /** electorate size (every member weight 1) */
  agents: number
  /** members that act Byzantine (the coordinator in `EQ`) */
  byzantine: number
}

/** The largest number of weight-1 members below 1/3 of the weight of `n`. */
export function maxFaulty (n: number): number {
  return Math.floor((n - 1) / 3)
}

/** The Byzantine cells, in a fixed order. */
export function byzantineCells (): ByzantineCell[] {
  const cells: ByzantineCell[] = []
  for (const agents of [4, 6, 8]) {
    cells.push({ id: `EQ${agents}a`, kind: 'EQ', variant: 'approved-vs-timeout', agents, byzantine: 1 })
    cells.push({ id: `EQ${agents}v`, kind: 'EQ', variant: 'two-vote-sets', agents, byzantine: 1 })
  }
  for (const agents of [4, 7, 10]) cells.push({ id: `ACK${agents}`, kind: 'ACK', variant: 'coordinator-alive', agents, byzantine: maxFaulty(agents) })
  // with the coordinator dead too, one Byzantine member fewer keeps the honest running weight above 2/3
  for (const agents of [7, 10]) {
    cells.push({ id: `ACK${agents}c`, kind: 'ACK', variant: 'coordinator-crashed', agents, byzantine: maxFaulty(agents) - 1 })
    cells.push({ id: `ACK${agents}o`, kind: 'ACK', variant: 'close-reached-one', agents, byzantine: maxFaulty(agents) - 1 })
  }
  for (const agents of [4, 7, 10]) cells.push({ id: `FB${agents}`, kind: 'FB', variant: 'rounds-1-2', agents, byzantine: 0 })
  for (const agents of [4, 7, 10]) cells.push({ id: `ONE${agents}`, kind: 'ONE', variant: 'round-0', agents, byzantine: 0 })
  for (const agents of [7, 10]) cells.push({ id: `ONE${agents}r`, kind: 'ONE', variant: 'round-1', agents, byzantine: 0 })
  return cells
}

/** One seeded Byzantine trial. */
export interface ByzantineOptions {
  seed: number
  cell: ByzantineCell
  /** the seed's round through the cells: picks the split (`EQ`) and the algorithm */
  rotation: number
}

/** The trial a Byzantine seed runs: cell `seed mod cells`, rotation `⌊seed / cells⌋`. */
export function byzantineTrial (seed: number, cells: ByzantineCell[] = byzantineCells()): ByzantineOptions {
  return { seed, cell: cells[seed % cells.length] as ByzantineCell, rotation: Math.floor(seed / cells.length) }
}

/** What a Byzantine trial measured, over the honest members only. Times are virtual, from the request. */
export interface ByzantineReport {
  seed: number
  cellId: string
  /** `EQ`: honest members shown the first close */
  split: number | undefined
  /** honest members still running at the end */
  live: number
  /** of those, members that held the proposal */
  liveReached: number
  /** of those, members that finalized */
  liveFinalized: number
  /** distinct decisions among honest finalized members minus one (crashed ones included): must be 0 */
  disagreements: number
  /** distinct certificates among honest finalized members minus one: must be 0 */
  conflictingCertificates: number
  /** the round each live honest finalized member decided in */
  decidedRounds: number[]
  /** of those, fast-path decisions */
  fastDecisions: number
  /** virtual ms from the request to each live honest member's decision */
  times: number[]
  /** Δ of the proposal, ms */
  stepMs: number
  /** 'conflicting-close' / 'conflicting-ack' evidence events raised by honest members */
  closeEvidence: number
  ackEvidence: number
  /** the round of each distinct close signed (honest or forged) */
  closeRounds: number[]
  /** whether the staged fault happened as designed (`FB`: the predicted closers were the proposal's and both closed) */
  staged: boolean
}

/** Votes of honest members: every one for in `EQ` (so an early `approved` close exists), else seeded. */
function choicesFor (cell: ByzantineCell, random: SeededRandom): Array<VoteType | undefined> {
  return Array.from({ length: cell.agents }, () => {
    if (cell.kind === 'EQ') return VoteType.For
    const r = random.next()
    return r < 0.75 ? VoteType.For : r < 0.9 ? VoteType.Against : r < 0.95 ? VoteType.Abstain : undefined
  })
}

/**
 * A message an honest manager sent, decoded at once (its signature is its sender's own): the driver
 * must learn what was sent synchronously, in virtual time, or a trial would depend on when real
 * signature checks resolve and no longer re-run alike from its seed.
 */
function opened (bytes: Uint8Array): AnyOpened {
  return decodeMessage(bytes).opened
}

/** Run one Byzantine trial. */
export async function runByzantineTrial (options: ByzantineOptions): Promise<ByzantineReport> {
  const { seed, cell, rotation } = options
  const random = new SeededRandom(seed * 7907 + 101)
  const timeoutMs = random.pick([2_000, 10_000])
  const stepMs = defaultCloseStepMs(timeoutMs)
  const choices = choicesFor(cell, random)
  const jitterMs = random.pick([0, 200, 1_000])
  const swarm = await SimulatedSwarm.create({
    agents: cell.agents,
    seed: seed + 1_000_003,
    loss: random.pick([0, 0.1]),
    latencyMs: [0, jitterMs],
    duplicate: 0.2,
    reorder: 0.2,
    reorderMs: 500,
    skewMs: cell.kind === 'FB' ? 0 : random.pick([0, 500]),
    vote: (index) => choices[index]
  })
  const ids = swarm.agents.map(a => a.identity.peerId)
  const coordinatorId = ids[0] as string
  const start = swarm.clock.now()

  // ---- who is Byzantine, and the staged skews of FB ----
  const byzantine = new Set<number>(cell.kind === 'EQ' ? [0] : shuffle(ids.slice(1).map((_, i) => i + 1), random).slice(0, cell.byzantine))
  let predicted: string[] | undefined
  if (cell.kind === 'FB') {
    // The coordinator's clock is exact (skew 0): its createdAt, hence its ranked closers, are known now.
    // The closer of round 2 runs ahead by the time between the starts of rounds 1 and 2, give or take
    // less than one message delay late or Δ/4 early: its close of round 2 and the round-1 close cross.
    predicted = [coordinatorId, ...rankFallbackClosers(coordinatorId, 0, Math.floor(start), ids.map(id => [id, 1]), DEFAULT_FALLBACK_CLOSERS)]
    const body = { createdAt: start, deadline: start + timeoutMs, step: stepMs }
    const one = ids.indexOf(predicted[1] as string)
    const two = ids.indexOf(predicted[2] as string)
    const s1 = random.int(-500, 500)
    for (const agent of swarm.agents) {
      if (agent.index === 0) continue
      agent.skewMs = agent.index === one
        ? s1
        : agent.index === two ? s1 + roundStart(body, 2) - roundStart(body, 1) + random.int(-jitterMs, stepMs / 4) : random.int(-500, 500)
      await swarm.restart(agent.index)
    }
  }

  // ---- what the trial watches ----
  const decidedAt = new Map<number, number>()
  const reached = new Set<number>()
  let closeEvidence = 0
  let ackEvidence = 0
  for (const agent of swarm.agents) {
    if (byzantine.has(agent.index)) continue
    agent.manager.addEventListener('proposal', () => { reached.add(agent.index) })
    agent.manager.addEventListener('decision', () => { if (!decidedAt.has(agent.index)) decidedAt.set(agent.index, swarm.clock.now()) })
    agent.manager.addEventListener('evidence', (evt) => {
      if (evt.detail.kind === 'conflicting-close') closeEvidence++
      if (evt.detail.kind === 'conflicting-ack') ackEvidence++
    })
  }

  // ---- the Byzantine members' means: what they saw, and sending what they sign ----
  let proposal: OpenedProposal | undefined
  const votes = new Map<string, OpenedVote>()
  const forged = new WeakSet<Uint8Array>()
  const sendAs = (from: number, to: number, bytes: Uint8Array): void => {
    forged.add(bytes)
    swarm.network.send(ids[from] as string, ids[to] as string, bytes, 'broadcast')
  }
  const honest = ids.map((_, i) => i).filter(i => !byzantine.has(i))
  const onSend: Array<(event: TraceEvent, message: Uint8Array, type: string | undefined) => void> = []
  const closes = new Map<string, number>()
  swarm.network.monitor = (event, message) => {
    if (event.event !== 'send') return
    const { type, key } = inspect(message)
    if (type === 'close' && key !== undefined && !closes.has(key)) closes.set(key, (opened(message) as OpenedClose).body.round)
    if (type === 'proposal' && proposal === undefined && event.from === coordinatorId) proposal = opened(message) as OpenedProposal
    if (type === 'vote' && !votes.has(event.from)) votes.set(event.from, opened(message) as OpenedVote)
    for (const hook of onSend) hook(event, message, type)
  }
  // a Byzantine member's own manager is muted: only its vote (and the coordinator's proposal) leaves it
  const mutedPass = (message: Uint8Array): boolean => { const t = inspect(message).type; return t === 'vote' || t === 'proposal' }
  const stage: Array<(from: string, to: string, message: Uint8Array) => boolean> = []
  swarm.network.filter = (from, to, message) => {
    if (forged.has(message)) return true
    if (byzantine.has(ids.indexOf(from)) && !mutedPass(message)) return false
    return stage.every(allow => allow(from, to, message))
  }

  /** The closer `closerId` dies once its first close reached one seeded peer; it says nothing else from then on. */
  const closeReachesOne = (closerId: string): void => {
    let target: string | undefined
    onSend.push((event, message, type) => {
      if (type !== 'close' || event.from !== closerId || target !== undefined) return
      const others = ids.filter(id => id !== closerId && swarm.network.reachable(closerId, id))
      target = others.length === 0 ? '' : random.pick(others)
    })
    stage.push((from, to, message) => {
      if (from !== closerId || target === undefined) return true
      return to === target && inspect(message).type === 'close'
    })
    swarm.network.monitor = ((inner) => (event, message) => {
      inner?.(event, message)
      if (event.event === 'deliver' && event.from === closerId && event.to === target && inspect(message).type === 'close') {
        const index = ids.indexOf(closerId)
        if (!swarm.agent(index).crashed) void swarm.crash(index)
      }
    })(swarm.network.monitor)
  }
  /** The coordinator never closes: its closes are dropped, and it crashes at a seeded time before the deadline. */
  const coordinatorDiesUnclosed = (): void => {
    stage.push((from, _to, message) => from !== coordinatorId || inspect(message).type !== 'close')
    swarm.clock.setTimeout(async () => { if (!swarm.agent(0).crashed) await swarm.crash(0) }, random.int(1, timeoutMs))
  }

  let split: number | undefined
  let staged = true
  if (cell.kind === 'EQ') {
    const others = shuffle(honest, random)
    split = 1 + (rotation % (others.length - 1))
    const groups = [others.slice(0, split), others.slice(split)]
    const fate = random.pick(['silent', 'crashed'] as const)
    let fired = false
    onSend.push((_event, _message, type) => {
      if (type !== 'vote' || fired || votes.size < cell.agents) return
      fired = true
      swarm.clock.setTimeout(async () => equivocate(), random.int(0, stepMs / 4))
    })
    const equivocate = async (): Promise<void> => {
      const held = [...votes.values()]
      const p = proposal as OpenedProposal
      const me = swarm.agent(0).identity
      const first = await forgeClose(me, p, held)
      let second: OpenedClose
      if (cell.variant === 'two-vote-sets') {
        // the same decision over all the votes but one honest voter's: another outcome id
        const drop = random.pick(held.filter(v => v.body.voter !== coordinatorId)).key
        second = await forgeClose(me, p, held.filter(v => v.key !== drop))
      } else {
        // a timeout over a subset too small to settle, signed for the deadline
        let subset = shuffle(held, random)
        second = await forgeClose(me, p, subset)
        while (second.body.decision !== 'timeout' && subset.length > 0) {
          subset = subset.slice(1)
          second = await forgeClose(me, p, subset)
        }
      }
      for (const i of groups[0] ?? []) sendAs(0, i, first.bytes)
      const late = cell.variant === 'approved-vs-timeout' ? Math.max(0, p.body.deadline - swarm.clock.now()) : 0
      swarm.clock.setTimeout(async () => {
        for (const i of groups[1] ?? []) sendAs(0, i, second.bytes)
        if (fate === 'crashed') swarm.clock.setTimeout(async () => swarm.crash(0), 1)
      }, late)
    }
  } else if (cell.kind === 'ACK') {
    if (cell.variant === 'coordinator-crashed') coordinatorDiesUnclosed()
    if (cell.variant === 'close-reached-one') closeReachesOne(coordinatorId)
    const outcomes = new Set<string>()
    const triggered = new Set<string>()
    const equivocateAcks = async (round: number): Promise<void> => {
      const p = proposal
      if (p === undefined) return
      const values = [...outcomes, null]
      for (const b of byzantine) {
        for (const to of honest) {
          for (const phase of [AckPhase.Prevote, AckPhase.Precommit]) {
            sendAs(b, to, (await forgeAck(swarm.agent(b).identity, p, round, phase, random.pick(values))).bytes)
          }
        }
      }
    }
    onSend.push((event, message, type) => {
      if (byzantine.has(ids.indexOf(event.from)) || (type !== 'ack' && type !== 'close')) return
      const sent = opened(message)
      const round = (sent.body as { round: number }).round
      let key = `${round}`
      if (type === 'close') {
        const value = outcomeOf(sent as OpenedClose)
        outcomes.add(value)
        key = `${round}/${value}`
      }
      // once per round, and again for each new close of it: every Byzantine member tells each honest peer something else
      if (triggered.has(key) || round > 8) return
      triggered.add(key)
      swarm.clock.setTimeout(async () => equivocateAcks(round), random.int(0, stepMs / 4))
    })
  } else if (cell.kind === 'FB') {
    coordinatorDiesUnclosed()
  } else if (cell.kind === 'ONE') {
    if (cell.variant === 'round-0') {
      closeReachesOne(coordinatorId)
    } else {
      coordinatorDiesUnclosed()
      // the closer of round 1 is known once the proposal is: its first close of round ≥ 1 reaches one peer
      let armed = false
      onSend.push((event, message, type) => {
        if (armed || type !== 'proposal' || event.from !== coordinatorId) return
        armed = true
        closeReachesOne((opened(message) as OpenedProposal).body.closers[1] as string)
      })
    }
  }

  const algorithm = cell.kind === 'EQ' ? 'quorum' : ALGORITHMS[rotation % ALGORITHMS.length]
  void swarm.agent(0).manager.requestConsensus({ trial: seed }, { timeoutMs, algorithm, participants: ids }).catch(() => {})
  await swarm.settle()
  await swarm.stop()
  const closeRounds = [...closes.values()].sort((a, b) => a - b)
  if (predicted !== undefined) {
    staged = proposal !== undefined && predicted.every((id, i) => proposal?.body.closers[i] === id) && closeRounds.includes(1) && closeRounds.includes(2)
  }

  const honestAgents = swarm.agents.filter(a => !byzantine.has(a.index))
  const results = honestAgents.filter(a => a.decisions.size > 0).map(a => [...a.decisions.values()][0] as ConsensusResult)
  const decisions = new Set(results.map(r => r.decision))
  const certificates = new Set(results.map(r => r.certificate?.id))
  const live = honestAgents.filter(a => !a.crashed)
  const liveFinal = live.filter(a => a.decisions.size > 0 && decidedAt.has(a.index))
  const liveResults = liveFinal.map(a => [...a.decisions.values()][0] as ConsensusResult)
  return {
    seed,
    cellId: cell.id,
    split,
    live: live.length,
    liveReached: live.filter(a => reached.has(a.index)).length,
    liveFinalized: liveFinal.length,
    disagreements: Math.max(0, decisions.size - 1),
    conflictingCertificates: Math.max(0, certificates.size - 1),
    decidedRounds: liveResults.map(decidedRound),
    fastDecisions: liveResults.filter(r => r.metadata.path === 'fast').length,
    times: liveFinal.map(a => (decidedAt.get(a.index) as number) - start),
    stepMs,
    closeEvidence,
    ackEvidence,
    closeRounds,
    staged
  }
}
