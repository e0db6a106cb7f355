/**
 * One explored run, from scratch: four members of weight 1 (three honest ConsensusManagers, one
 * Byzantine member from the menu), one proposal, the real core on a shared virtual clock, and an
 * {@link ExploreNetwork} that delivers only what the schedule picks. A schedule is a list of moves;
 * the run replays it, then takes the default move (deliver the oldest packet, or let time pass when
 * none is in flight) and records at every step of the adversarial prefix which moves the bounds
 * allowed, so the explorer can branch there.
 */
import { defaultCloseStepMs } from '../../src/core/constants.js'
import { verifyCertificate } from '../../src/core/certificate.js'
import { ConsensusManager } from '../../src/core/manager.js'
import { draftProposal } from '../../src/core/proposal-draft.js'
import { roundAt, roundStart } from '../../src/core/round-clock.js'
import { quorum } from '../../src/algorithms/quorum.js'
import { singleChoice } from '../../src/algorithms/choice.js'
import { simulatedIdentity } from '../../src/testing/swarm.js'
import { macrotask } from '../../src/testing/virtual-clock.js'
import { decodeMessage, sealMessage, type OpenedProposal } from '../../src/wire/envelope.js'
import { HONEST_BALLOTS, HONEST_VOTES, type Byzantine, type Strategy } from './strategies.js'
import { ExploreClock, ExploreNetwork, START_TIME, type Packet } from './world.js'
import type { ConsensusResult } from '../../src/core/results.js'
import type { Verdict } from '../../src/transport/coordinator.js'
import type { Identity } from '../../src/wire/identity.js'
import type { Ballot } from '../../src/types.js'

/** How long votes are collected. */
export const TIMEOUT_MS = 1_000
/** Clock tolerance of every manager (all share one clock: there is no skew). */
export const CLOCK_TOLERANCE_MS = 50
/** Δ, the proposal's `step`: the manager's own default for this timeout and tolerance (250 ms). */
export const STEP_MS = defaultCloseStepMs(TIMEOUT_MS, CLOCK_TOLERANCE_MS)
/** Every honest member must have decided before this round starts, on every run (the fair suffix begins by round 1). */
export const TERMINATION_ROUND = 5
/** A fair suffix longer than this many deliveries is a livelock, reported as non-termination. */
const FAIR_STEP_LIMIT = 20_000
/** Index of the Byzantine member; members 0-2 are honest, member 0 coordinates when the coordinator is honest. */
export const BYZANTINE = 3

/** One choice of the schedule. `deliver`/`drop`/`duplicate` name a pool position (0 = the oldest packet in flight). */
export type Move =
  | { kind: 'deliver', at: number }
  | { kind: 'drop', at: number }
  | { kind: 'duplicate', at: number }
  | { kind: 'advance' }

/** How far a schedule may deviate from "deliver the oldest packet, let time pass only when none is in flight". */
export interface Bounds {
  /** deviations that deliver a later packet first, or let time pass while packets are in flight (delay-bounded scheduling) */
  delays: number
  /** packets lost */
  drops: number
  /** packets delivered twice */
  duplicates: number
  /** deviations of any kind in all (at most delays + drops + duplicates) */
  deviations: number
  /** deviations pick among the first `window` packets in flight */
  window: number
  /** deviations happen only in the first `horizon` steps (and only before round 1 starts) */
  horizon: number
  /** every honest member must decide before this round starts; default {@link TERMINATION_ROUND} */
  terminationRound?: number
}

/** One step of the adversarial prefix: the moves the bounds allowed (the default first) and the one taken. */
export interface ChoicePoint {
  moves: Move[]
  chosen: number
}

/** What one member decided, as the checks see it. */
export interface MemberDecision {
  member: number
  decision: string
  certificateId: string
  path: string
  round: number
  /** virtual ms from the deadline */
  afterDeadline: number
}

/** The result of one run. */
export interface RunResult {
  points: ChoicePoint[]
  /** what was taken at each point, as a replayable schedule */
  schedule: Move[]
  decisions: MemberDecision[]
  /** the highest round any honest member was in when the run ended */
  maxRound: number
  /** undefined on a run that passed every check */
  violation?: string
  /** every honest member decided during the adversarial prefix */
  decidedInPrefix: boolean
}

/** The move's spelling in a replayable schedule: `d2` deliver, `x0` drop, `u1` duplicate, `t` let time pass. */
export function spell (move: Move): string {
  switch (move.kind) {
    case 'deliver': return `d${move.at}`
    case 'drop': return `x${move.at}`
    case 'duplicate': return `u${move.at}`
    default: return 't'
  }
}

/** Parse a schedule spelled by {@link spell}, space-separated. */
export function parseSchedule (text: string): Move[] {
  return text.trim().split(/\s+/).filter(s => s !== '').map(s => {
    if (s === 't') return { kind: 'advance' }
    const at = Number(s.slice(1))
    if (s.startsWith('d')) return { kind: 'deliver', at }
    if (s.startsWith('x')) return { kind: 'drop', at }
    if (s.startsWith('u')) return { kind: 'duplicate', at }
    throw new Error(`explore: bad move ${s}`)
  })
}

function same (a: Move, b: Move): boolean {
  return a.kind === b.kind && (a.kind === 'advance' || a.at === (b as { at: number }).at)
}

const proposals = new Map<string, Promise<OpenedProposal>>()

/** The proposal of a configuration, sealed once (Ed25519 signatures are deterministic: every run would sign the same bytes). */
function proposalFor (strategy: Strategy, coordinator: Identity, electorate: Array<[string, number]>): Promise<OpenedProposal> {
  const key = `${strategy.name}/${coordinator.peerId}`
  let proposal = proposals.get(key)
  if (proposal === undefined) {
    const body = draftProposal({ coordinator: coordinator.peerId, namespace: 'default', fallbackClosers: 2 }, {
      seq: 0,
      createdAt: START_TIME,
      timeoutMs: TIMEOUT_MS,
      step: STEP_MS,
      electorate,
      ...(strategy.proposal === 'ballot'
        ? { algorithmName: 'single-choice', algorithm: singleChoice(), choices: ['a', 'b'], voteChange: true }
        : { algorithmName: 'quorum', algorithm: quorum(), choices: [], voteChange: false }),
      payload: { explore: strategy.name }
    })
    proposal = sealMessage(coordinator, body)
    proposals.set(key, proposal)
  }
  return proposal
}

/** The moves the bounds allow now, the default first; none when nothing is in flight and no timer is left. */
function movesNow (network: ExploreNetwork, clock: ExploreClock, used: Bounds, bounds: Bounds): Move[] {
  const inFlight = network.pool.length
  const moves: Move[] = []
  const timer = clock.nextAt() !== undefined
  if (inFlight > 0) moves.push({ kind: 'deliver', at: 0 })
  else if (timer) moves.push({ kind: 'advance' })
  const window = Math.min(bounds.window, inFlight)
  if (used.deviations >= bounds.deviations) return moves
  if (used.delays < bounds.delays) {
    for (let at = 1; at < window; at++) moves.push({ kind: 'deliver', at })
    if (inFlight > 0 && timer) moves.push({ kind: 'advance' })
  }
  if (used.drops < bounds.drops) for (let at = 0; at < window; at++) moves.push({ kind: 'drop', at })
  if (used.duplicates < bounds.duplicates) for (let at = 0; at < window; at++) moves.push({ kind: 'duplicate', at })
  return moves
}

/** Run one schedule from scratch: replay `prefix`, then the default move, fair after the adversarial prefix. */
export async function runSchedule (
  strategy: Strategy, split: number, bounds: Bounds, prefix: readonly Move[], trace?: (line: string) => void
): Promise<RunResult> {
  const identities = await Promise.all([0, 1, 2, 3].map(async i => simulatedIdentity(i)))
  const ids = identities.map(i => i.peerId)
  const honestIndices = [0, 1, 2]
  const coordinatorIndex = strategy.coordinator === 'honest' ? 0 : BYZANTINE
  const electorate = ids.map(id => [id, 1] as [string, number]).sort((a, b) => a[0] < b[0] ? -1 : 1)
  const proposal = await proposalFor(strategy, identities[coordinatorIndex] as Identity, electorate)
  const body = proposal.body
  const clock = new ExploreClock()
  const network = new ExploreNetwork(ids)
  const results = new Map<number, ConsensusResult>()
  const nameOf = (id: string): string => id === ids[BYZANTINE] ? 'B3' : `h${ids.indexOf(id)}`
  if (trace !== undefined) {
    network.monitor = (packet, answer) => {
      const verdict = typeof answer === 'object' && answer !== null ? ` ${(answer as Verdict).result}/${(answer as Verdict).reason}` : ''
      trace(`${clock.now() - body.deadline} ${nameOf(packet.from)}→${nameOf(packet.to)} ${describe(packet.bytes)}${verdict}`)
    }
  }
  const managers = new Map<number, ConsensusManager>()
  const manager = (index: number, vote: Ballot, holdUntil?: number): ConsensusManager => {
    const identity = identities[index] as Identity
    const m = new ConsensusManager({
      identity,
      coordinator: network.join(identity.peerId, clock, holdUntil),
      clock,
      clockToleranceMs: CLOCK_TOLERANCE_MS,
      // the DoS limit is not under test, and the fair suffix re-sends a lot in little virtual time
      maxMessagesPerSecondPerPeer: 1_000_000,
      voter: () => vote
    })
    m.addEventListener('decision', (evt) => {
      results.set(index, evt.detail)
      const { path, decidedRound } = evt.detail.metadata
      trace?.(`${clock.now() - body.deadline} h${index} DECIDES ${evt.detail.decision} ${String(path)}@${String(decidedRound)}`)
    })
    managers.set(index, m)
    return m
  }
  const honestVote = (i: number): Ballot => (strategy.proposal === 'ballot' ? HONEST_BALLOTS[i] : HONEST_VOTES[i]) as Ballot
  for (const i of honestIndices) await manager(i, honestVote(i)).start()
  const byzantineId = ids[BYZANTINE] as string
  const honestIds = honestIndices.map(i => ids[i] as string)
  const coordinatorId = ids[coordinatorIndex] as string
  for (const id of ids) if (id !== coordinatorId) network.post(coordinatorId, id, proposal.bytes)
  if (strategy.kind === 'late') {
    await manager(BYZANTINE, 'for', roundStart(body, 1)).start()
  } else {
    const ctx = {
      identity: identities[BYZANTINE] as Identity,
      proposal,
      honest: honestIds,
      split: new Set(honestIds.filter((_, i) => (split & (1 << i)) !== 0)),
      clock,
      network
    }
    const start = strategy.start as NonNullable<Strategy['start']>
    if (coordinatorIndex === BYZANTINE) {
      const byzantine = await start(ctx)
      network.receive(byzantineId, async (bytes, from) => byzantine.receive(bytes, from))
    } else {
      // it learns of the proposal from the first packet that reaches it, like any member
      let byzantine: Promise<Byzantine> | undefined
      network.receive(byzantineId, async (bytes, from) => {
        byzantine ??= start(ctx)
        await (await byzantine).receive(bytes, from)
      })
    }
  }
  // the coordinator's own copy, after the proposal went out (as requestConsensus does it)
  await managers.get(coordinatorIndex)?.handleMessage(proposal.bytes, coordinatorId)
  await macrotask()

  const used: Bounds = { ...bounds, delays: 0, drops: 0, duplicates: 0, deviations: 0 }
  const points: ChoicePoint[] = []
  const schedule: Move[] = []
  const honestDone = (): boolean => honestIndices.every(i => results.has(i))
  const adversarialUntil = roundStart(body, 1)
  const terminationRound = bounds.terminationRound ?? TERMINATION_ROUND
  const deadlineOfTermination = roundStart(body, terminationRound)
  let violation: string | undefined
  let decidedInPrefix = false
  let step = 0

  const apply = async (move: Move, deviates: boolean): Promise<void> => {
    if (deviates) used.deviations++
    switch (move.kind) {
      case 'deliver':
        if (move.at > 0) used.delays++
        await network.deliver(move.at)
        break
      case 'drop':
        used.drops++
        trace?.(`drop ${describe((network.pool[move.at] as Packet).bytes)} to ${nameOf((network.pool[move.at] as Packet).to)}`)
        network.drop(move.at)
        break
      case 'duplicate':
        used.duplicates++
        await network.deliver(move.at, true)
        break
      default:
        if (network.pool.length > 0) used.delays++
        trace?.(`time → ${(clock.nextAt() ?? 0) - body.deadline}`)
        await clock.fireNext()
    }
    // work a handler left running (a send in the background) settles before the next choice
    await macrotask()
  }

  // the adversarial prefix
  while (!honestDone() && step < bounds.horizon && clock.now() < adversarialUntil) {
    const moves = movesNow(network, clock, used, bounds)
    if (moves.length === 0) break
    let chosen = 0
    if (step < prefix.length) {
      const wanted = prefix[step] as Move
      chosen = moves.findIndex(m => same(m, wanted))
      if (chosen < 0) throw new Error(`explore: schedule not replayable at step ${step} (${spell(wanted)} not allowed): the run is not deterministic`)
    }
    const move = moves[chosen] as Move
    points.push({ moves, chosen })
    schedule.push(move)
    await apply(move, chosen > 0)
    step++
  }
  decidedInPrefix = honestDone()
  const fairFrom = clock.now() - body.deadline
  trace?.(`fair suffix from ${fairFrom} ms after the deadline`)

  // the fair suffix: every packet delivered, oldest first; time passes only when none is in flight
  let fairSteps = 0
  while (!honestDone()) {
    if (network.pool.length > 0) {
      if (++fairSteps > FAIR_STEP_LIMIT) {
        violation = `termination: ${FAIR_STEP_LIMIT} deliveries in the fair suffix and members ${undecided(honestIndices, results)} still undecided`
        break
      }
      await network.deliver(0)
      await macrotask()
      continue
    }
    const next = clock.nextAt()
    if (next === undefined || next >= deadlineOfTermination) {
      violation = `termination: members ${undecided(honestIndices, results)} undecided when round ${terminationRound} starts ` +
        `(fair delivery from ${fairFrom} ms after the deadline${next === undefined ? '; no timer left' : ''})`
      break
    }
    trace?.(`time → ${next - body.deadline}`)
    await clock.fireNext()
    await macrotask()
  }

  const decisions: MemberDecision[] = []
  for (const [member, result] of [...results].sort((a, b) => a[0] - b[0])) {
    decisions.push({
      member,
      decision: result.decision,
      certificateId: result.certificate?.id ?? '',
      path: String(result.metadata.path),
      round: Number(result.metadata.decidedRound),
      afterDeadline: result.durationMs - TIMEOUT_MS
    })
  }
  violation ??= await agreement(results)
  for (const m of managers.values()) await m.stop()
  const maxRound = Math.max(0, ...decisions.map(d => d.round), honestDone() ? 0 : roundAt(body, clock.now()))
  return { points, schedule, decisions, maxRound, decidedInPrefix, ...(violation === undefined ? {} : { violation }) }
}

function undecided (honest: number[], results: Map<number, ConsensusResult>): string {
  return honest.filter(i => !results.has(i)).join(', ')
}

/** Agreement: every member that decided (the late member's manager too) decided the same, with the same certificate id; each certificate verifies. */
async function agreement (results: Map<number, ConsensusResult>): Promise<string | undefined> {
  let first: [number, ConsensusResult] | undefined
  for (const [member, result] of results) {
    const certificate = result.certificate
    if (certificate === undefined) return `agreement: member ${member} decided ${result.decision} without a certificate`
    try {
      const verified = await verifyCertificate(certificate)
      if (verified.decision !== result.decision || verified.certificateId !== certificate.id) {
        return `certificate: member ${member}'s certificate proves ${verified.decision} ${verified.certificateId}, ` +
          `it reported ${result.decision} ${certificate.id}`
      }
    } catch (err: any) {
      return `certificate: member ${member}'s certificate does not verify: ${String(err?.message ?? err)}`
    }
    if (first === undefined) {
      first = [member, result]
      continue
    }
    const [m0, r0] = first
    if (r0.decision !== result.decision || r0.certificate?.id !== certificate.id) {
      return `agreement: member ${m0} decided ${r0.decision} (${r0.certificate?.id.slice(0, 12)}), ` +
        `member ${member} decided ${result.decision} (${certificate.id.slice(0, 12)})`
    }
  }
  return undefined
}

/** The kind of each packet in flight, for a printed trace. */
export function describe (bytes: Uint8Array): string {
  try {
    const { body } = decodeMessage(bytes).opened
    if (body.type === 'ack') return `${body.phase}(r${body.round})`
    if (body.type === 'close') return `close(r${body.round},${body.decision})`
    if (body.type === 'vote') return `vote(${body.choice})`
    return body.type
  } catch {
    return 'bytes'
  }
}
