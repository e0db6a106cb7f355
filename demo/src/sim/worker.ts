/**
 * The simulation, off the page's main thread: a SimulatedSwarm on a MemoryNetwork in virtual time,
 * advanced only as far as the page asks, reporting what it draws (see protocol.ts).
 */
import {
  QuorumAlgorithm, SupermajorityAlgorithm, UnanimousAlgorithm, WeightedAlgorithm,
  isVotingType, type Ballot, type ConsensusAlgorithm, type ConsensusResult, type ProposalView
} from '../../../src/index.js'
import { SimulatedSwarm, type SimulatedAgent } from '../../../src/testing/index.js'
import { decodeMessage, idKey } from '../../../src/wire/index.js'
import { crowdBallot, markOf } from '../ballots.js'
import { runoffRounds } from '../charts.js'
import { crowdChoice, crowdWeight, isSilent, seedPersonas } from './population.js'
import type { AgentInfo, BallotSummary, Decision, FromWorker, ProposeRequest, ResultSummary, SimEvent, SwarmSettings, ToWorker } from './protocol.js'

/** The worker's side of postMessage, typed without the WebWorker lib. */
const port = globalThis as unknown as { postMessage: (message: FromWorker) => void, onmessage: ((evt: MessageEvent<ToWorker>) => void) | null }

interface Current {
  id: string | undefined
  label: string
  coordinator: number
  threshold: number
  closers: Set<number>
  /** when to stop waiting for stragglers */
  horizon: number
  result: ResultSummary | undefined
  decided: Map<number, string | undefined>
  /** closers whose own close has left: a vote they count from now on came after their close */
  closed: Set<number>
}

let swarm: SimulatedSwarm | undefined
let settings: SwarmSettings | undefined
let opinions = { support: 0.7, silent: 0 }
let byPeer = new Map<string, number>()
let current: Current | undefined
let events: SimEvent[] = []
/** a drawn message just sent, waiting for the network to schedule its delivery */
let awaiting: Omit<Extract<SimEvent, { k: 'msg' }>, 't'> | undefined
/** set by a `cancel` the moment it arrives (not queued behind the advance it interrupts) */
let cancelled = false

const now = (): number => swarm?.clock.now() ?? 0
const emit = (event: SimEvent): void => { events.push(event) }

function vote (index: number, proposal: ProposalView): Ballot | undefined {
  if (settings === undefined) return undefined
  // the personas only answer yes/no questions: over choices everyone votes as the crowd does
  if (proposal.choices.length > 0 && proposal.votingType !== undefined) {
    if (settings.population === 'crowd' && isSilent(settings.seed, index, opinions.silent)) return undefined
    return crowdBallot(settings.seed, index, proposal.id, proposal.votingType, proposal.choices.length)
  }
  if (settings.population === 'seed-personas') return seedPersonas[index]?.decide(proposal)?.vote
  if (isSilent(settings.seed, index, opinions.silent)) return undefined
  return crowdChoice(settings.seed, index, proposal.id, opinions.support)
}

function weightOf (index: number): number {
  return settings?.population === 'seed-personas' ? seedPersonas[index]?.weight ?? 1 : crowdWeight(index)
}

async function build (next: SwarmSettings): Promise<void> {
  await swarm?.stop()
  swarm = undefined
  current = undefined
  stopCounting()
  settings = next
  opinions = { support: next.support, silent: next.silent }
  awaiting = undefined
  const built = await SimulatedSwarm.create({
    agents: next.agents,
    seed: next.seed,
    loss: next.loss,
    latencyMs: next.latencyMs,
    vote,
    // only a coordinator is ever crashed (and restarted from its datastore): the crowd's is agent 0, every persona
    // coordinates a scenario; a datastore per agent would cost a TextEncoder and a TextDecoder per message each
    persistent: (index) => next.population === 'seed-personas' || index === 0
  })
  swarm = built
  byPeer = new Map(built.agents.map(a => [a.identity.peerId, a.index]))
  built.network.monitor = monitor
  watchDeliveries(built.clock)
  for (const agent of built.agents) watch(agent)
  const agents: AgentInfo[] = built.agents.map(a => ({
    peerId: a.identity.peerId,
    name: next.population === 'seed-personas' ? seedPersonas[a.index]?.name ?? `agent-${a.index}` : `agent-${a.index}`,
    weight: weightOf(a.index)
  }))
  events = []
  port.postMessage({ type: 'built', t: now(), agents, settings: next })
}

/**
 * Report what an agent's manager sees: the proposal arriving, its decision. Its own votes are seen
 * leaving (`monitor`), and only the closers are asked for the votes they count (`countAt`): a `vote`
 * listener on every agent made the managers build and dispatch 300 × 300 events a proposal, a tenth
 * of the page's time at 300 agents.
 */
function watch (agent: SimulatedAgent): void {
  const manager = agent.manager
  manager.addEventListener('proposal', (evt) => {
    if (evt.detail.id === current?.id) emit({ k: 'received', t: now(), agent: agent.index })
  })
  manager.addEventListener('decision', (evt) => {
    if (evt.detail.proposalId !== current?.id) return
    current.decided.set(agent.index, evt.detail.certificate?.id)
    emit({ k: 'decided', t: now(), agent: agent.index, decision: evt.detail.decision as Decision, certificateId: evt.detail.certificate?.id })
    // the requester crashed: report what the swarm decided without it
    if (current.result === undefined && swarm?.agent(current.coordinator).crashed === true) report(evt.detail, agent.index)
  })
}

/** The closers' `vote` listeners of the current proposal, to take off when the next one starts. */
let counting: Array<() => void> = []

/** Report the votes each closer counts (the running tally it will close on). */
function countAt (closers: Iterable<number>): void {
  stopCounting()
  for (const index of closers) {
    const agent = swarm?.agents[index]
    if (agent === undefined) continue
    const manager = agent.manager
    const listener = (evt: { detail: { proposalId: string, voter: string, vote: Ballot } }): void => {
      if (current === undefined || evt.detail.proposalId !== current.id) return
      const voter = byPeer.get(evt.detail.voter) ?? -1
      emit({ k: 'counted', t: now(), at: index, voter, choice: markOf(evt.detail.vote) ?? 'abstain', late: current.closed.has(index) })
    }
    manager.addEventListener('vote', listener)
    counting.push(() => { manager.removeEventListener('vote', listener) })
  }
}

function stopCounting (): void {
  for (const stop of counting) stop()
  counting = []
}

/** Own votes already reported (a vote's buffer leaves once per peer, and again on a re-send). */
const votedSeen = new WeakSet<Uint8Array>()

/** Decoded broadcasts: one buffer goes to every peer, so it is decoded once, not N times. */
const decoded = new WeakMap<Uint8Array, ReturnType<typeof decodeMessage>['opened'] | null>()

function opening (message: Uint8Array): ReturnType<typeof decodeMessage>['opened'] | undefined {
  let known = decoded.get(message)
  if (known === undefined) {
    try {
      known = decodeMessage(message).opened
    } catch {
      known = null
    }
    decoded.set(message, known)
  }
  return known ?? undefined
}

/** Draw the proposal and closes going out and votes and acks reaching the coordinator (N² copies would be a blur). */
function monitor (event: { at: number, event: string, from: string, to: string, via?: string }, message: Uint8Array): void {
  // only what leaves (or is lost) is drawn: a delivery was already drawn when it left
  if (current === undefined || (event.event !== 'send' && event.event !== 'drop') || event.via !== 'broadcast') return
  const from = byPeer.get(event.from)
  const to = byPeer.get(event.to)
  if (from === undefined || to === undefined) return
  const opened = opening(message)
  if (opened === undefined) return
  const body = opened.body
  if (body.type === 'proposal' && event.event === 'send' && from === current.coordinator) onProposalSent(opened.key, body)
  if (body.type === 'close' && event.event === 'send' && from === byPeer.get(body.closer)) current.closed.add(from)
  if (body.type === 'vote' && event.event === 'send' && !votedSeen.has(message) && byPeer.get(body.voter) === from && idKey(body.proposal) === current.id) {
    votedSeen.add(message)
    emit({ k: 'voted', t: now(), agent: from, choice: markOf(body.choice) ?? 'abstain', ballot: body.choice })
  }
  const drawn = (body.type === 'proposal' && from === current.coordinator) || (body.type === 'close' && from === byPeer.get(body.closer)) ||
    ((body.type === 'vote' || body.type === 'ack') && to === current.coordinator)
  if (!drawn) return
  if (event.event === 'send') {
    // the network schedules its delivery right after this note: the patched clock completes it
    awaiting = {
      k: 'msg',
      t0: event.at,
      kind: body.type,
      from,
      to,
      dropped: false,
      ...(body.type === 'vote' ? { choice: markOf(body.choice) ?? 'abstain' } : {}),
      ...(body.type === 'close' ? { decision: body.decision as Decision } : {})
    }
  } else if (event.event === 'drop' && awaiting !== undefined) {
    // lost on the way: drawn fading out halfway along a usual flight
    const [min, max] = settings?.latencyMs ?? [0, 0]
    emit({ ...awaiting, t: event.at + (min + max) / 4, dropped: true })
    awaiting = undefined
  }
}

/**
 * Learn each drawn message's arrival time the moment it leaves: MemoryNetwork notes a send, then
 * (unless it drops it) schedules the delivery on the clock. So the page can draw a message in flight
 * without the simulation running ahead of what it shows, and a crash lands when it is clicked.
 */
function watchDeliveries (clock: SimulatedSwarm['clock']): void {
  const schedule = clock.setTimeout.bind(clock)
  clock.setTimeout = (callback, ms) => {
    const flight = awaiting
    awaiting = undefined
    if (flight !== undefined) emit({ ...flight, t: clock.now() + Math.max(0, Number.isFinite(ms) ? ms : 0) })
    return schedule(callback, ms)
  }
}

function summary (result: ConsensusResult, reportedBy: number): ResultSummary {
  const closer = typeof result.metadata.closer === 'string' ? byPeer.get(result.metadata.closer) : undefined
  return {
    proposalId: result.proposalId,
    label: current?.label ?? '',
    decision: result.decision as Decision,
    votesFor: result.votesFor,
    votesAgainst: result.votesAgainst,
    votesAbstain: result.votesAbstain,
    participants: result.participants.length,
    voters: result.voters.length,
    threshold: result.threshold,
    algorithm: result.algorithmUsed,
    durationMs: result.durationMs,
    certificateId: result.certificate?.id,
    weightedApproval: typeof result.metadata.weightedApproval === 'number' ? result.metadata.weightedApproval : undefined,
    closer,
    closeRound: typeof result.metadata.closeRound === 'number' ? result.metadata.closeRound : undefined,
    decidedRound: typeof result.metadata.decidedRound === 'number' ? result.metadata.decidedRound : undefined,
    path: result.metadata.path === 'fast' || result.metadata.path === 'precommit' ? result.metadata.path : undefined,
    reportedBy,
    ...(result.choices === undefined || result.choices.length === 0 ? {} : { ballots: ballotSummary(result) })
  }
}

/** What a result over choices says: scores, winner, ranking, and the runoff's rounds for ranked-choice. */
function ballotSummary (result: ConsensusResult): BallotSummary {
  const m = result.metadata
  const votingType = isVotingType(m.votingType) ? m.votingType : 'single-choice'
  const tallies = Array.isArray(m.irvRounds) ? m.irvRounds.filter(Array.isArray).map(r => r.map(Number)) : undefined
  return {
    votingType,
    choices: result.choices ?? [],
    scores: result.scores ?? [],
    winner: result.winner ?? null,
    ranking: result.ranking ?? [],
    scoresTotal: typeof m.scoresTotal === 'number' ? m.scoresTotal : 0,
    turnout: typeof m.turnout === 'number' ? m.turnout : 0,
    ...(tallies === undefined ? {} : { rounds: runoffRounds(tallies) })
  }
}

function report (result: ConsensusResult, reportedBy: number): void {
  if (current === undefined || current.result !== undefined) return
  current.result = summary(result, reportedBy)
  emit({ k: 'result', t: now(), result: current.result })
}

function algorithmFor (request: ProposeRequest, electorate: SimulatedAgent[]): ConsensusAlgorithm {
  const agentWeights = Object.fromEntries(electorate.map(a => [a.identity.peerId, weightOf(a.index)]))
  switch (request.algorithm) {
    case 'quorum': return new QuorumAlgorithm({ threshold: request.threshold })
    case 'weighted': return new WeightedAlgorithm({ threshold: request.threshold, agentWeights })
    case 'expert_weighted': return new WeightedAlgorithm({ threshold: 0.6, agentWeights })
    case 'unanimous': return new UnanimousAlgorithm()
    case 'supermajority': return new SupermajorityAlgorithm()
  }
}

async function propose (request: ProposeRequest): Promise<void> {
  if (swarm === undefined) throw new Error('no swarm yet')
  const s = swarm
  // agents that crashed during the last proposal come back, from their datastore
  for (const agent of s.agents.filter(a => a.crashed)) {
    await s.restart(agent.index)
    watch(agent)
    emit({ k: 'restart', t: now(), agent: agent.index })
  }
  const coordinator = s.agent(request.coordinator ?? 0)
  const choices = request.choices ?? []
  if (choices.length === 0) coordinator.manager.registerAlgorithm(request.algorithm, algorithmFor(request, s.agents))
  const binaryThreshold = request.algorithm === 'unanimous'
    ? 1
    : request.algorithm === 'supermajority' ? 2 / 3 : request.algorithm === 'expert_weighted' ? 0.6 : request.threshold
  // the default rule over choices has no threshold: the top choice wins
  const threshold = choices.length > 0 ? 0 : binaryThreshold
  const mine: Current = {
    id: undefined,
    label: request.label ?? '',
    coordinator: coordinator.index,
    threshold,
    closers: new Set([coordinator.index]),
    horizon: Infinity,
    result: undefined,
    decided: new Map(),
    closed: new Set()
  }
  current = mine
  // the monitor learns the proposal's id and closers as it leaves (see onProposalSent)
  const participants = s.agents.map(a => a.identity.peerId)
  const asked = choices.length > 0
    // the default rule: the top choice wins, a tie goes to the lower index; ballots may change until the deadline
    ? coordinator.manager.requestConsensus(request.payload, { choices, votingType: request.votingType, timeoutMs: request.timeoutMs, participants })
    : coordinator.manager.requestConsensus(request.payload, { algorithm: request.algorithm, timeoutMs: request.timeoutMs, participants })
  asked.then(result => { if (current === mine) report(result, mine.coordinator) }, () => {})
}

/** The coordinator's proposal leaves: its id, closers and deadline are in the signed body. */
function onProposalSent (
  id: string,
  body: { closers: string[], deadline: number, step: number, electorate: unknown[], algorithm: { name: string }, choices: string[] }
): void {
  if (current === undefined || current.id !== undefined) return
  current.id = id
  current.closers = new Set(body.closers.map(c => byPeer.get(c) ?? -1))
  countAt(current.closers)
  current.horizon = body.deadline + (body.closers.length + 2) * body.step + 2_000
  emit({
    k: 'proposal',
    t: now(),
    id,
    label: current.label,
    coordinator: current.coordinator,
    closers: [...current.closers],
    algorithm: body.algorithm.name,
    deadline: body.deadline,
    electorate: body.electorate.length,
    threshold: current.threshold,
    choices: body.choices
  })
}

/**
 * Run virtual time up to `to` in small steps, reporting at least every 50 ms of real time, so a
 * big swarm (whose votes cost seconds of CPU) still shows progress.
 */
async function advance (to: number): Promise<void> {
  if (swarm === undefined) return
  const clock = swarm.clock
  let reported = performance.now()
  // `cancelled` is set by onmessage, which runs while runUntil yields
  // eslint-disable-next-line no-unmodified-loop-condition
  while (clock.now() < to && !cancelled) {
    await clock.runUntil(Math.min(to, clock.now() + 2))
    if (performance.now() - reported > 50) {
      flush(false)
      reported = performance.now()
    }
  }
  settleCheck()
  flush(true)
}

function flush (done: boolean): void {
  const counters = swarm?.network.counters ?? { sent: 0, delivered: 0, dropped: 0 }
  port.postMessage({
    type: 'events',
    now: now(),
    events,
    open: current !== undefined,
    done,
    counters: { sent: counters.sent, delivered: counters.delivered, dropped: counters.dropped },
    decided: current?.decided.size ?? 0
  })
  events = []
}

/** A proposal is settled once every live agent decided it, or its horizon passed. */
function settleCheck (): void {
  if (swarm === undefined || current?.id === undefined) return
  const live = swarm.agents.filter(a => !a.crashed)
  const decided = live.filter(a => current?.decided.has(a.index))
  if (decided.length < live.length && now() < current.horizon) return
  const certificate = current.result?.certificateId ?? [...current.decided.values()][0]
  const agreeing = decided.filter(a => current?.decided.get(a.index) === certificate && certificate !== undefined).length
  emit({ k: 'settled', t: now(), proposalId: current.id, live: live.length, decided: decided.length, agreeing })
  current = undefined
}

async function handle (message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'build': await build(message.settings); break
    case 'faults':
      swarm?.network.setFaults({ loss: message.loss, latencyMs: message.latencyMs })
      if (settings !== undefined) {
        settings = { ...settings, loss: message.loss, latencyMs: message.latencyMs }
        // the page describes the network from this, never from its sliders: a build queued before the change must not win
        port.postMessage({ type: 'settings', settings })
      }
      break
    case 'cancel':
      // the proposal is abandoned mid-run: a fresh swarm on the same settings (keys are cached), nothing left in flight
      if (settings !== undefined) await build(settings)
      cancelled = false
      break
    case 'opinions': opinions = { support: message.support, silent: message.silent }; break
    case 'propose': await propose(message.request); break
    case 'crash-coordinator':
      if (swarm !== undefined && current !== undefined && !swarm.agent(current.coordinator).crashed) {
        await swarm.crash(current.coordinator)
        emit({ k: 'crash', t: now(), agent: current.coordinator })
      }
      break
    case 'advance': await advance(message.to); break
  }
}

let queue: Promise<void> = Promise.resolve()
port.onmessage = (evt) => {
  // a cancel stops the advance that is running now; what follows it in the queue rebuilds the swarm
  if (evt.data.type === 'cancel') cancelled = true
  // one command at a time, in order: a crash lands between two steps of virtual time, never inside one
  queue = queue.then(async () => handle(evt.data)).catch((err: unknown) => {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  })
}
