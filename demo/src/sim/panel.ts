/**
 * Simulation mode: the controls, the worker that runs the swarm, and the pacing loop. Virtual time
 * on screen (`display`) advances at `pace` virtual ms per real second and the worker is asked to
 * run just ahead of it, so a click (crash the coordinator) lands when it is made. Nothing in flight
 * while the swarm waits for a deadline: then time fast-forwards.
 */
import { VotingType, type Ballot } from '../../../src/index.js'
import { choiceMark } from '../ballots.js'
import { durationsChart, formatMs, outcomesChart, type ProposalRecord } from '../charts.js'
import { SwarmCanvas, palette, type NodeView, type Particle, type TallyView } from './canvas.js'
import {
  byId, choiceLegend, clearScenarios, lateLine, logDecision, proposalTitle, renderChoiceTally, renderTally, scenarioCard, scenarioCounted, showAgreement,
  showBallotResult, showBanner, useChoiceTally, waitingBanner, type Counts
} from './dom.js'
import { seedPersonas, seedScenarios } from './population.js'
import type { AgentInfo, AlgorithmChoice, FromWorker, ProposeRequest, ResultSummary, SimEvent, SwarmSettings, ToWorker } from './protocol.js'

interface Running {
  id: string | undefined
  title: string
  coordinator: number
  closers: number[]
  electorate: number
  threshold: number
  startedAt: number
  deadline: number
  counted: Map<number, Counts>
  /** votes each closer counted after its own close had left: in no certificate of its */
  late: Map<number, Counts>
  result: ResultSummary | undefined
  /** virtual time of the requester's result, when the clock stops */
  decidedAt: number | undefined
  /** real time (performance.now()) of the Propose, of the result and of the settle */
  wall: { proposed: number, result?: number, settled?: number }
  scenario: number | undefined
  /** a close is on its way */
  closing: boolean
  /** empty on a yes/no proposal */
  choices: string[]
  /** each agent's own ballot, as it signed it (proposals with choices) */
  ballots: Map<number, Ballot>
}

/** The options of the simulation's proposals with choices. */
const PLANS = ['plan A', 'plan B', 'plan C', 'plan D']
const VOTING_TYPES = Object.values(VotingType)
const emptyCounts = (): Counts => ({ for: 0, against: 0, abstain: 0 })

const AUTOPLAY: Array<{ algorithm: AlgorithmChoice, threshold: number }> = [
  { algorithm: 'quorum', threshold: 0.5 }, { algorithm: 'weighted', threshold: 0.6 },
  { algorithm: 'supermajority', threshold: 0.67 }, { algorithm: 'unanimous', threshold: 1 }
]
const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id)
/** The subtitle, always from the settings the worker reports it runs with (never from the sliders). */
const describeNetwork = ({ loss, latencyMs: [min, max] }: SwarmSettings): void => {
  const sub = byId('sim-sub')
  sub.textContent = `in this page, on an in-memory network: ${Math.round(loss * 100)}% loss, ${min}–${max} ms latency, virtual time`
  sub.dataset.loss = String(loss)
  sub.dataset.latency = `${min}-${max}`
}
const when = (e: SimEvent): number => e.k === 'msg' ? e.t0 : e.t

/** Simulation mode of the page. */
export class SimulationPanel {
  private readonly worker: Worker
  private readonly canvas: SwarmCanvas
  private agents: AgentInfo[] = []
  private nodes: NodeView[] = []
  private particles: Particle[] = []
  private queue: SimEvent[] = []
  private display = 0
  private workerNow = 0
  private advancing = false
  private building = false
  private open = false
  private running: Running | undefined
  private decision: { value: 'approved' | 'rejected' | 'timeout', at: number, origin: number } | undefined
  private readonly history: ProposalRecord[] = []
  private pace = 250
  private ff = 1
  private lastFrame = 0
  private behindSince = 0
  private nextAutoAt = 0
  private rotation = 0
  private scenarios: number | undefined
  private rebuildWanted = false
  private cancelling = false
  private decidedPeers = 0
  private delivered = 0
  private deliveredBefore = 0

  constructor () {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
    this.worker.onmessage = (evt: MessageEvent<FromWorker>) => { this.onWorker(evt.data) }
    this.worker.onerror = (evt) => { this.fail(evt.message) }
    this.canvas = new SwarmCanvas(byId<HTMLCanvasElement>('sim-canvas'))
    const params = new URLSearchParams(location.search)
    input('sim-agents').value = params.get('agents') ?? input('sim-agents').value
    input('sim-autoplay').checked = params.get('autoplay') !== '0'
    this.bindControls()
    this.build()
    requestAnimationFrame(this.frame)
  }

  private post (message: ToWorker): void { this.worker.postMessage(message) }

  private readSettings (population: SwarmSettings['population'] = 'crowd'): SwarmSettings {
    const latency = Number(input('sim-latency').value)
    return {
      agents: population === 'seed-personas' ? seedPersonas.length : Number(input('sim-agents').value),
      seed: 1,
      loss: population === 'seed-personas' ? 0 : Number(input('sim-loss').value) / 100,
      latencyMs: [Math.round(latency / 5), latency],
      support: Number(input('sim-support').value) / 100,
      silent: Number(input('sim-silent').value) / 100,
      population
    }
  }

  private bindControls (): void {
    const outputs: Record<string, (v: number) => string> = {
      'sim-agents': v => String(v),
      'sim-support': v => `${v}%`,
      'sim-silent': v => `${v}%`,
      'sim-loss': v => `${v}%`,
      'sim-latency': v => `${v} ms`,
      'sim-threshold': v => `> ${v}%`,
      'sim-timeout': v => formatMs(v)
    }
    for (const [id, format] of Object.entries(outputs)) {
      const el = input(id)
      const out = el.parentElement?.querySelector('output')
      const show = (): void => { if (out != null) out.textContent = format(Number(el.value)) }
      el.addEventListener('input', show)
      show()
    }
    input('sim-agents').addEventListener('change', () => { this.requestRebuild() })
    const faults = (): void => {
      const s = this.readSettings()
      // the subtitle follows when the worker says it applied them (message `settings`)
      this.post({ type: 'faults', loss: s.loss, latencyMs: s.latencyMs })
    }
    input('sim-loss').addEventListener('input', faults)
    input('sim-latency').addEventListener('input', faults)
    const opinions = (): void => {
      this.post({ type: 'opinions', support: Number(input('sim-support').value) / 100, silent: Number(input('sim-silent').value) / 100 })
    }
    input('sim-support').addEventListener('input', opinions)
    input('sim-silent').addEventListener('input', opinions)
    const algorithm = byId<HTMLSelectElement>('sim-algorithm')
    algorithm.addEventListener('change', () => {
      const fixed = algorithm.value === 'unanimous' || algorithm.value === 'supermajority'
      input('sim-threshold').disabled = fixed
      if (algorithm.value === 'weighted') input('sim-threshold').value = '60'
      if (algorithm.value === 'quorum') input('sim-threshold').value = '50'
      input('sim-threshold').dispatchEvent(new Event('input'))
    })
    const ballot = byId<HTMLSelectElement>('sim-ballot')
    ballot.addEventListener('change', () => {
      const choices = ballot.value === 'choices'
      document.querySelectorAll('.choice-only').forEach(el => { el.classList.toggle('is-hidden', !choices) })
      document.querySelectorAll('.binary-only').forEach(el => { el.classList.toggle('is-hidden', choices) })
      // the crowd's ballots over choices follow their own preferences, not the yes/no support
      input('sim-support').disabled = choices
    })
    byId('sim-propose').addEventListener('click', () => { this.proposeFromControls() })
    byId('sim-cancel').addEventListener('click', () => { this.cancel() })
    byId('sim-crash').addEventListener('click', () => { this.post({ type: 'crash-coordinator' }); byId<HTMLButtonElement>('sim-crash').disabled = true })
    input('sim-autoplay').addEventListener('change', () => { this.nextAutoAt = performance.now() + 400 })
    byId('sim-scenarios').addEventListener('click', () => { this.startScenarios() })
    const speeds = byId('sim-speed').querySelectorAll<HTMLButtonElement>('button')
    speeds.forEach(button => {
      button.addEventListener('click', () => {
        this.pace = Number(button.dataset.pace)
        speeds.forEach(b => { b.classList.toggle('on', b === button) })
      })
    })
  }

  private requestRebuild (): void {
    if (this.open || this.building) { this.rebuildWanted = true; return }
    this.scenarios = undefined
    this.build()
  }

  private build (population: SwarmSettings['population'] = 'crowd'): void {
    this.building = true
    this.post({ type: 'build', settings: this.readSettings(population) })
    byId('sim-sub').textContent = 'building the swarm: one Ed25519 key per agent…'
  }

  private onWorker (message: FromWorker): void {
    if (message.type === 'error') { this.fail(message.message); return }
    if (message.type === 'settings') { describeNetwork(message.settings); return }
    // what a cancelled run still reports before the fresh swarm is built
    if (message.type === 'events' && this.cancelling) return
    if (message.type === 'built') {
      this.building = false
      this.cancelling = false
      this.agents = message.agents
      this.nodes = message.agents.map(() => ({ received: false, vote: undefined, decided: undefined, crashed: false, changedAt: 0 }))
      this.particles = []
      this.queue = []
      this.running = undefined
      this.decision = undefined
      this.display = this.workerNow = message.t
      this.canvas.setAgents(message.agents, 0)
      waitingBanner(input('sim-autoplay').checked ? 'The first proposal is on its way…' : 'Press Propose: the coordinator in the middle asks every agent')
      renderTally(emptyCounts(), message.agents.length, 0.5)
      useChoiceTally(false)
      choiceLegend([])
      const s = message.settings
      byId('sim-title').textContent = s.population === 'seed-personas' ? "MoAI-Flow's six agents" : `${s.agents} simulated agents`
      describeNetwork(s)
      this.nextAutoAt = performance.now() + 500
      if (this.scenarios !== undefined) this.runScenario(this.scenarios)
      return
    }
    if (message.done) this.advancing = false
    this.workerNow = message.now
    if (message.events.length > 0) {
      this.queue.push(...message.events)
      this.queue.sort((a, b) => when(a) - when(b))
    }
    const c = message.counters
    byId('sim-counters').textContent =
      `${c.sent.toLocaleString()} messages sent · ${c.delivered.toLocaleString()} delivered · ${c.dropped.toLocaleString()} lost`
    this.decidedPeers = message.decided
    this.delivered = c.delivered
  }

  /** Abandon the running proposal: the worker stops where it is and builds the swarm afresh. */
  private cancel (): void {
    if (!this.open || this.cancelling) return
    this.cancelling = true
    this.open = false
    this.advancing = false
    this.building = true
    this.scenarios = undefined
    input('sim-autoplay').checked = false
    const title = this.running?.title ?? 'the proposal'
    this.post({ type: 'cancel' })
    byId('sim-progress').textContent = `cancelled ${title} at ${formatMs(Math.max(0, this.display - (this.running?.startedAt ?? 0)))} of virtual time`
    byId('sim-progress').dataset.state = 'cancelled'
    byId('sim-sub').textContent = 'cancelled: building the swarm afresh…'
  }

  /** While a proposal runs: how far it got; after: how long it took. */
  private showProgress (): void {
    const running = this.running
    const progress = byId('sim-progress')
    byId('sim-cancel').hidden = !this.open
    if (running === undefined || this.cancelling) return
    const wallNow = (running.wall.settled ?? performance.now()) - running.wall.proposed
    const virtual = formatMs(Math.max(0, (running.decidedAt ?? this.display) - running.startedAt))
    const decided = `${this.decidedPeers} of ${running.electorate} agents decided`
    if (this.open) {
      progress.dataset.state = 'running'
      const deliveries = (this.delivered - this.deliveredBefore).toLocaleString()
      progress.textContent = `running: ${virtual} of virtual time · ${deliveries} deliveries · ${decided} · ${formatMs(wallNow)} of wall time`
      return
    }
    progress.dataset.state = 'done'
    const toResult = running.wall.result === undefined ? undefined : running.wall.result - running.wall.proposed
    progress.dataset.wallMs = String(Math.round(toResult ?? wallNow))
    progress.dataset.settledMs = String(Math.round(wallNow))
    progress.textContent = `last proposal: decided at ${virtual} of virtual time, ${formatMs(toResult ?? wallNow)} of wall time ` +
      `(${this.agents.length} agents; every agent decided after ${formatMs(wallNow)})`
  }

  private fail (text: string): void {
    byId('sim-sub').textContent = `simulation error: ${text}`
    this.open = false
    this.building = false
  }

  private proposeFromControls (): void {
    if (byId<HTMLSelectElement>('sim-ballot').value === 'choices') {
      const votingType = byId<HTMLSelectElement>('sim-voting-type').value as VotingType
      const choices = PLANS.slice(0, Number(byId<HTMLSelectElement>('sim-choice-count').value))
      this.propose({
        algorithm: 'quorum',
        threshold: 0,
        timeoutMs: Number(input('sim-timeout').value),
        payload: { action: 'pick a plan', round: this.history.length },
        choices,
        votingType,
        label: `${votingType} over ${choices.length} plans`
      })
      return
    }
    const algorithm = byId<HTMLSelectElement>('sim-algorithm').value as AlgorithmChoice
    this.propose({
      algorithm,
      threshold: Number(input('sim-threshold').value) / 100,
      timeoutMs: Number(input('sim-timeout').value),
      payload: { action: 'deploy', version: `v2.${this.history.length}` }
    })
  }

  private propose (request: ProposeRequest, scenario?: number): void {
    if (this.open || this.building) return
    this.open = true
    this.decidedPeers = 0
    this.deliveredBefore = this.delivered
    this.display = this.workerNow
    this.running = {
      id: undefined,
      title: request.label ?? proposalTitle(request.algorithm, request.threshold),
      coordinator: request.coordinator ?? 0,
      closers: [],
      electorate: this.agents.length,
      threshold: request.threshold,
      startedAt: this.workerNow,
      deadline: this.workerNow + request.timeoutMs,
      counted: new Map(),
      late: new Map(),
      result: undefined,
      decidedAt: undefined,
      wall: { proposed: performance.now() },
      scenario,
      closing: false,
      choices: request.choices ?? [],
      ballots: new Map()
    }
    this.post({ type: 'propose', request: { ...request, label: this.running.title } })
  }

  private startScenarios (): void {
    if (this.open || this.building) return
    input('sim-autoplay').checked = false
    clearScenarios()
    this.scenarios = 0
    this.build('seed-personas')
  }

  private runScenario (index: number): void {
    const scenario = seedScenarios[index]
    if (scenario === undefined) { this.scenarios = undefined; return }
    this.propose({
      algorithm: scenario.algorithm,
      threshold: scenario.algorithm === 'quorum' ? 0.5 : 0.6,
      timeoutMs: scenario.timeoutMs,
      payload: scenario.payload,
      coordinator: scenario.coordinator,
      label: `Scenario ${index + 1}: ${scenario.title}`
    }, index)
  }

  private readonly frame = (ts: number): void => {
    const dt = Math.min(100, ts - (this.lastFrame || ts))
    this.lastFrame = ts
    if (!this.building) this.step(dt, ts)
    this.canvas.draw({
      time: this.display,
      nodes: this.nodes,
      particles: this.particles,
      coordinator: this.running?.coordinator ?? 0,
      closers: this.running?.closers ?? [],
      tally: this.tallyView(),
      decision: this.decision
    }, ts)
    requestAnimationFrame(this.frame)
  }

  private step (dt: number, now: number): void {
    const inFlight = this.particles.some(p => p.t0 <= this.display && this.display <= p.t1)
    const next = this.queue[0] === undefined ? Infinity : when(this.queue[0])
    const waiting = this.open && this.running?.id !== undefined && !inFlight && next - this.display > 40
    this.ff = waiting ? Math.min(16, this.ff * 1.06 + 0.05) : 1
    const target = this.display + (dt * this.pace * this.ff) / 1000
    // the simulation cannot keep up (N² signed messages): say so rather than look stuck
    this.behindSince = this.open && target > this.workerNow + 1 ? this.behindSince || now : 0
    const cpuBound = this.behindSince > 0 && now - this.behindSince > 700
    const badge = byId('sim-ff')
    badge.hidden = this.ff < 2 && !cpuBound
    badge.textContent = cpuBound
      ? `slow motion: ${this.agents.length} agents × ${this.agents.length} signed votes keep the CPU busy`
      : 'nothing in flight: fast-forward ››'
    this.display = Math.max(this.display, Math.min(target, this.workerNow))
    while (this.queue.length > 0 && when(this.queue[0] as SimEvent) <= this.display) this.apply(this.queue.shift() as SimEvent, now)
    this.particles = this.particles.filter(p => this.display < p.t1 + (p.t1 - p.t0) * 0.6 + 1)
    if (this.open && !this.advancing) {
      // a few frames ahead: enough to keep the picture fed, little enough that a click feels immediate
      const ahead = Math.max(8, (this.pace * this.ff) / 10)
      if (this.workerNow < this.display + ahead) {
        this.advancing = true
        this.post({ type: 'advance', to: this.display + ahead })
      }
    }
    if (this.running !== undefined) {
      const { startedAt, decidedAt, deadline } = this.running
      const clock = byId('sim-clock')
      const limit = `deadline ${formatMs(deadline - startedAt)}`
      // stopped at the requester's decision: what runs on is only the others catching up
      clock.textContent = decidedAt === undefined
        ? `virtual time ${formatMs(Math.max(0, this.display - startedAt))} · ${limit}`
        : `decided at ${formatMs(decidedAt - startedAt)} of virtual time · ${limit}`
      clock.dataset.stopped = String(decidedAt !== undefined)
    }
    this.showProgress()
    byId<HTMLButtonElement>('sim-propose').disabled = this.open || this.building
    byId<HTMLButtonElement>('sim-scenarios').disabled = this.open || this.building
    if (!this.open && !this.building) {
      if (this.rebuildWanted) {
        this.rebuildWanted = false
        this.build()
      } else if (this.scenarios === undefined && input('sim-autoplay').checked && this.nextAutoAt > 0 && now >= this.nextAutoAt) {
        this.autoplay()
      }
    }
  }

  private autoplay (): void {
    if (byId<HTMLSelectElement>('sim-ballot').value === 'choices') {
      byId<HTMLSelectElement>('sim-voting-type').value = VOTING_TYPES[this.rotation++ % VOTING_TYPES.length] ?? VotingType.RankedChoice
      this.proposeFromControls()
      return
    }
    const pick = AUTOPLAY[this.rotation++ % AUTOPLAY.length] as typeof AUTOPLAY[number]
    byId<HTMLSelectElement>('sim-algorithm').value = pick.algorithm
    byId('sim-algorithm').dispatchEvent(new Event('change'))
    this.proposeFromControls()
  }

  private tallyView (): TallyView | undefined {
    const running = this.running
    if (running === undefined) return undefined
    const counts = this.tallyCounts()
    const view: TallyView = { for: counts.for, against: counts.against, abstain: counts.abstain, electorate: running.electorate, threshold: running.threshold }
    if (running.choices.length > 0) view.marks = running.choices.map((_, i) => [choiceMark(i + 1), counts[choiceMark(i + 1)] ?? 0])
    return view
  }

  private renderTallies (): void {
    const running = this.running
    if (running === undefined) return
    if (running.choices.length > 0) {
      renderChoiceTally(this.tallyCounts(), running.choices, running.electorate)
      return
    }
    const r = running.result
    // after the decision: what the certificate counted, apart from what reached the closer after its close
    const certified = r === undefined ? undefined : { for: r.votesFor, against: r.votesAgainst, abstain: r.votesAbstain }
    const late = this.lateCounts()
    renderTally(this.tallyCounts(), running.electorate, running.threshold, { certified, late })
    if (r !== undefined) lateLine(late)
  }

  /** The closer in view: the coordinator while it lives; after a crash, the first live fallback closer. */
  private focus (running: Running): number {
    return [running.coordinator, ...running.closers].find(i => this.nodes[i]?.crashed !== true) ?? running.coordinator
  }

  /** Every vote the closer in view holds, counted before its close or after (as the canvas ring draws it). */
  private tallyCounts (): Counts {
    const running = this.running
    if (running === undefined) return emptyCounts()
    const focus = this.focus(running)
    const before = running.counted.get(focus) ?? emptyCounts()
    const after = running.late.get(focus) ?? emptyCounts()
    const sum = emptyCounts()
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof Counts>) sum[k] = (before[k] ?? 0) + (after[k] ?? 0)
    return sum
  }

  /** Votes that reached the closer in view after its close had left. */
  private lateCounts (): Counts {
    const running = this.running
    return running === undefined ? emptyCounts() : running.late.get(this.focus(running)) ?? emptyCounts()
  }

  private apply (event: SimEvent, now: number): void {
    const colours = palette(byId('sim-canvas'))
    const running = this.running
    const touch = (i: number, change: Partial<NodeView>): void => {
      const node = this.nodes[i]
      if (node !== undefined) Object.assign(node, change, { changedAt: now })
    }
    switch (event.k) {
      case 'proposal':
        if (running === undefined) return
        running.id = event.id
        running.closers = event.closers
        running.electorate = event.electorate
        running.deadline = event.deadline
        running.startedAt = event.t
        for (const node of this.nodes) Object.assign(node, { received: false, vote: undefined, decided: undefined })
        this.decision = undefined
        running.choices = event.choices
        useChoiceTally(event.choices.length > 0)
        choiceLegend(event.choices)
        waitingBanner(`${running.title}: the coordinator asks ${event.electorate} agents; votes flow back…`)
        this.canvas.focus(event.coordinator, now)
        byId<HTMLButtonElement>('sim-crash').disabled = false
        break
      case 'msg': {
        const colour = event.kind === 'proposal' || event.kind === 'ack'
          ? colours.proposal
          : event.kind === 'vote' ? colours[event.choice ?? 'abstain'] ?? colours.abstain : colours[event.decision ?? 'timeout']
        this.particles.push({ from: event.from, to: event.to, t0: event.t0, t1: event.t, dropped: event.dropped, colour, hollow: event.kind === 'ack' })
        if (event.kind === 'close' && running !== undefined && !running.closing && running.result === undefined) {
          running.closing = true
          const who = event.from === running.coordinator ? 'The coordinator' : `Fallback closer ${this.agents[event.from]?.name ?? event.from}`
          waitingBanner(`${who} closed the vote (${event.decision ?? '?'} by its count): waiting for acks from more than ⅔ of the weight…`)
        }
        break
      }
      case 'received': touch(event.agent, { received: true }); break
      case 'voted':
        touch(event.agent, { vote: event.choice })
        if (running !== undefined && running.choices.length > 0) running.ballots.set(event.agent, event.ballot)
        break
      case 'counted': {
        if (running === undefined) return
        const into = event.late ? running.late : running.counted
        const counts = into.get(event.at) ?? emptyCounts()
        counts[event.choice] = (counts[event.choice] ?? 0) + 1
        into.set(event.at, counts)
        break
      }
      case 'decided': touch(event.agent, { decided: event.decision }); break
      case 'crash':
        touch(event.agent, { crashed: true })
        byId<HTMLButtonElement>('sim-crash').disabled = true
        if (running !== undefined && event.agent === running.coordinator && running.result === undefined) {
          const fallback = running.closers[1]
          waitingBanner(running.closing
            ? 'The coordinator crashed after its close left: the others finish without it…'
            : fallback === undefined
              ? 'The coordinator crashed, and no fallback closer was pinned.'
              : `The coordinator crashed. Fallback closer 1 (${this.agents[fallback]?.name ?? fallback}) ` +
                'closes a little after the deadline, if no close reached it…')
        }
        break
      case 'restart': touch(event.agent, { crashed: false }); break
      case 'result': this.onResult(event.result, now); break
      case 'settled': this.onSettled(event); break
    }
    this.renderTallies()
  }

  private onResult (result: ResultSummary, now: number): void {
    const running = this.running
    if (running === undefined) return
    running.result = result
    // the requester's own measure, the figure the banner gives
    running.decidedAt = running.startedAt + result.durationMs
    running.wall.result = performance.now()
    this.decision = { value: result.decision, at: now, origin: result.closer ?? running.coordinator }
    showBanner(result, this.agents)
    lateLine(this.lateCounts())
    const record: ProposalRecord = {
      n: this.history.length + 1,
      algorithm: result.algorithm,
      decision: result.decision,
      durationMs: result.durationMs,
      agents: this.agents.length
    }
    this.history.push(record)
    logDecision(record.n, running.title, result, this.agents.length)
    byId('sim-outcomes').innerHTML = outcomesChart(this.history)
    byId('sim-durations').innerHTML = durationsChart(this.history)
    if (result.ballots !== undefined) showBallotResult(record.n, result.ballots, running.ballots, this.agents)
    if (running.scenario !== undefined) {
      const scenario = seedScenarios[running.scenario]
      if (scenario !== undefined) {
        scenarioCard(
          running.scenario,
          `Scenario ${running.scenario + 1}: ${scenario.title}`,
          scenario.algorithm,
          seedPersonas[scenario.coordinator]?.name ?? '',
          result,
          scenario.consequence(result.decision, result.votesFor)
        )
      }
    }
  }

  private onSettled (event: Extract<SimEvent, { k: 'settled' }>): void {
    showAgreement(event.proposalId, event.agreeing, event.decided, event.live)
    if (this.running !== undefined) {
      this.running.wall.settled = performance.now()
      const { scenario, result } = this.running
      if (scenario !== undefined && result !== undefined) scenarioCounted(scenario, result, this.lateCounts())
    }
    byId<HTMLButtonElement>('sim-crash').disabled = true
    const scenario = this.running?.scenario
    this.open = false
    this.nextAutoAt = performance.now() + 1800
    if (scenario !== undefined) {
      const next = scenario + 1
      if (next < seedScenarios.length) {
        this.scenarios = next
        setTimeout(() => { this.runScenario(next) }, 1500)
      } else {
        this.scenarios = undefined
      }
    }
  }
}
