/**
 * Live mode: this tab is a real agent. It dials the hub over websockets, shows who is there, lets
 * anyone propose, and votes by hand (buttons on each open proposal) or automatically. Every tab,
 * and every Node agent, ends up showing the same decision and certificate id.
 */
import { createAgent, type ConsensusAgent } from '../../../src/agent/index.js'
import {
  QuorumAlgorithm, SupermajorityAlgorithm, UnanimousAlgorithm, VoteType, VotingType, WeightedAlgorithm,
  type Ballot, type ConsensusAlgorithm, type ConsensusResult, type ProposalView
} from '../../../src/index.js'
import { ballotFrom, ballotHint, choiceMark, describeBallot, markOf, parseBallot } from '../ballots.js'
import { choiceBars, escapeXml, formatMs } from '../charts.js'
import { byId } from '../sim/dom.js'
import { findHub, type HubInfo } from './hub-info.js'
import { LivePicture, thresholdOf } from './picture.js'

interface OpenProposal {
  view: ProposalView
  /** the latest vote (or ballot) heard from each voter */
  votes: Map<string, Ballot>
  element: HTMLElement
  /** why the ballot typed last was refused */
  problem?: string
}

type State = 'idle' | 'connecting' | 'connected' | 'error'

const short = (id: string): string => `${id.slice(0, 8)}…${id.slice(-4)}`
/** A stable hue per peer, so a peer keeps its colour in every tab. */
const hue = (id: string): number => [...id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7)

/** Live mode of the page. */
export class LivePanel {
  private agent: ConsensusAgent | undefined
  private hubPeer = ''
  private readonly open = new Map<string, OpenProposal>()
  /** short names (for the picture) and longer descriptions (for the list) */
  private readonly names = new Map<string, string>()
  private readonly details = new Map<string, string>()
  private picture: LivePicture | undefined
  private started = false

  /** Join the hub once the live tab is first shown. */
  start (): void {
    if (this.started) return
    this.started = true
    byId('live-propose').addEventListener('submit', (evt) => { evt.preventDefault(); void this.propose() })
    byId('live-hub-form').addEventListener('submit', (evt) => {
      evt.preventDefault()
      const hub = byId<HTMLInputElement>('live-hub-input').value.trim()
      if (hub.length > 0) void this.join({ hub, agents: [] })
    })
    byId('live-auto').addEventListener('change', () => { void this.voteOpenAutomatically() })
    const algorithm = byId<HTMLSelectElement>('live-algorithm')
    const choices = byId<HTMLInputElement>('live-choices')
    // a proposal over choices takes a voting type (the top choice wins); a yes/no one an algorithm and threshold
    const fields = (): void => {
      const overChoices = this.choices().length > 0
      algorithm.disabled = overChoices
      byId<HTMLInputElement>('live-threshold').disabled = overChoices || algorithm.value === 'unanimous' || algorithm.value === 'supermajority'
      byId<HTMLSelectElement>('live-voting-type').disabled = !overChoices
    }
    algorithm.addEventListener('change', fields)
    choices.addEventListener('input', fields)
    fields()
    setInterval(() => { this.renderPeers(); this.tick() }, 1000)
    void findHub().then(info => {
      if (info === undefined) {
        this.setState('idle', 'no hub yet: paste its address')
        byId('live-hub-form').hidden = false
      } else {
        void this.join(info)
      }
    })
  }

  private setState (state: State, text: string): void {
    const status = byId('live-status')
    status.dataset.state = state
    status.textContent = text
    byId('live-dot').dataset.state = state
    byId<HTMLButtonElement>('live-propose-button').disabled = state !== 'connected'
  }

  private async join (info: HubInfo): Promise<void> {
    await this.agent?.stop()
    for (const a of info.agents) {
      this.names.set(a.peerId, a.name)
      this.details.set(a.peerId, `${a.name} · Node agent, ${a.opinion}`)
    }
    byId('live-hub').textContent = info.hub
    byId('live-hub-form').hidden = true
    this.hubPeer = info.hub.split('/p2p/').at(-1) ?? ''
    this.names.set(this.hubPeer, 'hub')
    this.setState('connecting', 'connecting…')
    try {
      this.agent = await createAgent({
        hubs: [info.hub],
        consensus: { voter: (proposal) => byId<HTMLInputElement>('live-auto').checked ? this.autoBallot(proposal) : undefined }
      })
    } catch (err) {
      this.setState('error', `cannot join: ${(err as Error).message}`)
      byId('live-hub-form').hidden = false
      return
    }
    const agent = this.agent
    const self = agent.peerId.toString()
    this.names.set(self, 'this tab')
    byId('live-peer').textContent = self
    this.picture?.stop()
    this.picture = new LivePicture(byId<HTMLCanvasElement>('live-canvas'), this.hubPeer, self, id => this.names.get(id) ?? `${id.slice(-6)}`)
    const refresh = (): void => {
      const up = agent.getConnections().some(c => c.remotePeer.toString() === this.hubPeer)
      this.setState(up ? 'connected' : 'connecting', up ? 'connected' : 'reconnecting to the hub…')
      this.renderPeers()
    }
    agent.addEventListener('peer:connect', refresh)
    agent.addEventListener('peer:disconnect', refresh)
    refresh()
    const consensus = agent.services.consensus
    consensus.addEventListener('proposal', (evt) => { this.onProposal(evt.detail) })
    consensus.addEventListener('vote', (evt) => {
      this.picture?.vote(evt.detail.proposalId, evt.detail.voter, markOf(evt.detail.vote) ?? 'abstain')
      const open = this.open.get(evt.detail.proposalId)
      if (open === undefined) return
      open.votes.set(evt.detail.voter, evt.detail.vote)
      this.renderProposal(open)
    })
    consensus.addEventListener('decision', (evt) => {
      this.picture?.decide(evt.detail)
      this.onDecision(evt.detail)
    })
  }

  private autoChoice (): VoteType {
    return byId<HTMLSelectElement>('live-auto-choice').value as VoteType
  }

  /** The automatic vote; over choices: for = the choices in their order, against = in reverse, abstain = abstain. */
  private autoBallot (view: ProposalView): Ballot {
    const choice = this.autoChoice()
    if (view.choices.length === 0 || view.votingType === undefined || choice === VoteType.Abstain) return choice
    const order = view.choices.map((_, i) => i + 1)
    return ballotFrom(view.votingType, choice === VoteType.For ? order : order.reverse())
  }

  /** The choices typed in the propose form (none: a yes/no proposal). */
  private choices (): string[] {
    return byId<HTMLInputElement>('live-choices').value.split(',').map(c => c.trim()).filter(c => c !== '')
  }

  /**
   * Who a proposal from this tab goes to: the service's default electorate (the voting peers it
   * heard announce themselves, behind the hub too; the hub relays but does not vote) plus this tab.
   */
  private electorate (): string[] {
    const agent = this.agent
    if (agent === undefined) return []
    return [...new Set([agent.peerId.toString(), ...agent.services.consensus.getPeers()])].sort()
  }

  private renderPeers (): void {
    const list = byId('live-peers')
    const peers = this.electorate()
    this.picture?.roster(peers)
    byId('live-peer-count').textContent = peers.length === 0 ? '' : `${peers.length} voting, besides the hub`
    list.innerHTML = peers.map(id => `<li data-peer="${id}"><span class="avatar" style="background:hsl(${hue(id)} 70% 60%)"></span>` +
      `<code title="${id}">${short(id)}</code><span class="kind">${escapeXml(this.details.get(id) ?? this.names.get(id) ?? 'agent')}</span></li>`).join('')
  }

  private algorithm (): { name: string, algorithm: ConsensusAlgorithm } {
    const name = byId<HTMLSelectElement>('live-algorithm').value
    const threshold = Number(byId<HTMLInputElement>('live-threshold').value) / 100
    switch (name) {
      case 'weighted': return { name, algorithm: new WeightedAlgorithm({ threshold }) }
      case 'unanimous': return { name, algorithm: new UnanimousAlgorithm() }
      case 'supermajority': return { name, algorithm: new SupermajorityAlgorithm() }
      default: return { name: 'quorum', algorithm: new QuorumAlgorithm({ threshold }) }
    }
  }

  private async propose (): Promise<void> {
    const agent = this.agent
    const error = byId('live-error')
    error.hidden = true
    if (agent === undefined) return
    try {
      const payload = JSON.parse(byId<HTMLTextAreaElement>('live-payload').value)
      const timeoutMs = Math.round(Number(byId<HTMLInputElement>('live-timeout').value) * 1000)
      const choices = this.choices()
      if (choices.length > 0) {
        // every peer knows the six voting types; the default rule: the top choice wins, the lower index on a tie
        const votingType = byId<HTMLSelectElement>('live-voting-type').value as VotingType
        await agent.services.consensus.requestConsensus(payload, { choices, votingType, timeoutMs })
        return
      }
      const { name, algorithm } = this.algorithm()
      // the threshold travels in the proposal; every peer only needs the algorithm's kind
      agent.services.consensus.registerAlgorithm(name, algorithm)
      await agent.services.consensus.requestConsensus(payload, { algorithm: name, timeoutMs })
    } catch (err) {
      error.textContent = err instanceof SyntaxError ? `payload is not JSON: ${err.message}` : (err as Error).message
      error.hidden = false
    }
  }

  private onProposal (view: ProposalView): void {
    this.picture?.propose(view)
    const element = document.createElement('div')
    element.className = 'proposal'
    element.dataset.proposal = view.id
    const open: OpenProposal = { view, votes: new Map(), element }
    this.open.set(view.id, open)
    const box = byId('live-open')
    box.querySelector('.empty')?.remove()
    box.prepend(element)
    this.renderProposal(open)
  }

  private renderProposal (open: OpenProposal): void {
    if (open.view.choices.length > 0) { this.renderChoiceProposal(open); return }
    const { view, votes, element } = open
    const self = this.agent?.peerId.toString() ?? ''
    const member = view.electorate.some(m => m.id === self)
    const mine = votes.get(self)
    const threshold = view.algorithmKind === 'unanimous' ? '' : ` > ${Math.round(100 * thresholdOf(view))}%`
    const buttons = !member
      ? '<span class="tag">this tab is not in the electorate</span>'
      : mine !== undefined
        ? `<span class="tag">you voted <b class="pill ${mine === 'for' ? 'approved' : mine === 'against' ? 'rejected' : ''}">${mine}</b></span>`
        : ['for', 'against', 'abstain'].map(v => `<button class="vote-${v}" data-vote="${v}">${v}</button>`).join('')
    const coordinatorName = escapeXml(this.names.get(view.coordinator) ?? short(view.coordinator))
    const voteMarks = view.electorate
      .map(m => `<i class="${votes.get(m.id) ?? ''}" title="${escapeXml(this.details.get(m.id) ?? this.names.get(m.id) ?? m.id)}"></i>`)
      .join('')
    element.innerHTML = `<div class="line1"><b>${escapeXml(view.algorithm)}${threshold}</b> <span class="tag">by ${coordinatorName}</span></div>` +
      `<div class="payload">${escapeXml(JSON.stringify(view.payload))}</div>` +
      `<div class="countdown"><i style="width:${this.remaining(view)}%"></i></div>` +
      `<div class="votes">${voteMarks}</div>` +
      `<div class="buttons">${buttons}</div>`
    element.querySelectorAll<HTMLButtonElement>('button[data-vote]').forEach(button => {
      button.addEventListener('click', () => { void this.vote(view.id, button.dataset.vote as VoteType) })
    })
  }

  /**
   * An open proposal over choices: the choices in their colours, and a way to vote: a button per
   * choice (single-choice) or a ballot typed as numbers ("2,1,3", "1:2,3:1"), checked here before it
   * is signed. Where changes are allowed the controls stay, and a new ballot replaces the last.
   */
  private renderChoiceProposal (open: OpenProposal): void {
    const { view, votes, element } = open
    const type = view.votingType ?? VotingType.SingleChoice
    const self = this.agent?.peerId.toString() ?? ''
    const member = view.electorate.some(m => m.id === self)
    const mine = votes.get(self)
    // a re-render (another vote came in) keeps what is being typed
    const typed = element.querySelector<HTMLInputElement>('input.ballot')
    const draft = typed?.value ?? ''
    const focused = typed !== null && document.activeElement === typed
    const names = view.choices
      .map((c, i) => `<span data-choice="${i + 1}"><i style="background:var(--c${((i) % 6) + 1})"></i>${i + 1}. ${escapeXml(c)}</span>`)
      .join('')
    const controls = type === VotingType.SingleChoice
      ? view.choices.map((c, i) => `<button data-ballot="${i + 1}">${escapeXml(c)}</button>`).join('') +
        '<button class="vote-abstain" data-ballot="abstain">abstain</button>'
      : `<form class="ballot-form"><input class="ballot" type="text" placeholder="${ballotHint(type, view.choices.length)}" spellcheck="false" ` +
        `aria-label="ballot" value="${escapeXml(draft)}"><button class="primary">vote</button>` +
        '<button type="button" class="vote-abstain" data-ballot="abstain">abstain</button></form>'
    const how = {
      'single-choice': 'one choice',
      approval: 'choice numbers you approve, e.g. 1,3 (none: empty)',
      'ranked-choice': `every choice number, best first, e.g. ${ballotHint(type, view.choices.length)}`,
      copeland: `every choice number, best first, e.g. ${ballotHint(type, view.choices.length)}`,
      weighted: 'choice:share pairs, e.g. 1:2,3:1',
      quadratic: 'choice:share pairs, e.g. 1:2,3:1'
    }[type]
    const yours = mine === undefined ? '' : `<span class="tag">your ballot: <b>${escapeXml(describeBallot(mine, view.choices))}</b></span>`
    const canVote = member && (mine === undefined || view.allowVoteChange)
    const buttons = !member ? '<span class="tag">this tab is not in the electorate</span>' : canVote ? controls : ''
    const voteMarks = view.electorate
      .map(m => `<i class="${markOf(votes.get(m.id)) ?? ''}" title="${escapeXml(this.details.get(m.id) ?? this.names.get(m.id) ?? m.id)}"></i>`)
      .join('')
    const coordinatorName = escapeXml(this.names.get(view.coordinator) ?? short(view.coordinator))
    element.innerHTML = `<div class="line1"><b>${escapeXml(type)}</b> <span class="tag">over ${view.choices.length} choices · by ${coordinatorName}` +
      `${view.allowVoteChange ? ' · ballots may change until the deadline' : ''}</span></div>` +
      `<div class="payload">${escapeXml(JSON.stringify(view.payload))}</div>` +
      `<div class="choices-list">${names}</div>` +
      `<div class="countdown"><i style="width:${this.remaining(view)}%"></i></div>` +
      `<div class="votes">${voteMarks}</div>` +
      (member && canVote ? `<div class="tag">${escapeXml(how)}</div>` : '') +
      `<div class="buttons">${buttons}${yours}</div>` +
      (open.problem === undefined ? '' : `<div class="ballot-error" role="alert">${escapeXml(open.problem)}</div>`)
    element.querySelectorAll<HTMLButtonElement>('button[data-ballot]').forEach(button => {
      const value = button.dataset.ballot ?? ''
      button.addEventListener('click', () => { void this.castBallot(open, value === 'abstain' ? VoteType.Abstain : Number(value)) })
    })
    const form = element.querySelector<HTMLFormElement>('form.ballot-form')
    const field = element.querySelector<HTMLInputElement>('input.ballot')
    if (form !== null && field !== null) {
      if (focused) field.focus()
      form.addEventListener('submit', (evt) => {
        evt.preventDefault()
        const parsed = parseBallot(type, field.value, view.choices.length)
        if ('problem' in parsed) {
          open.problem = `not a ${type} ballot: ${parsed.problem}`
          this.renderProposal(open)
          return
        }
        field.value = ''
        void this.castBallot(open, parsed.ballot)
      })
    }
  }

  private async castBallot (open: OpenProposal, ballot: Ballot): Promise<void> {
    delete open.problem
    try {
      await this.agent?.services.consensus.recordVote(open.view.id, ballot)
    } catch (err) {
      open.problem = `ballot not recorded: ${(err as Error).message}`
    }
    if (this.open.has(open.view.id)) this.renderProposal(open)
  }

  private remaining (view: ProposalView): number {
    return Math.max(0, Math.min(100, 100 * (view.deadline - Date.now()) / (view.deadline - view.createdAt)))
  }

  private tick (): void {
    for (const open of this.open.values()) {
      const bar = open.element.querySelector<HTMLElement>('.countdown i')
      if (bar !== null) bar.style.width = `${this.remaining(open.view)}%`
    }
  }

  private async vote (proposalId: string, vote: Ballot): Promise<void> {
    try {
      await this.agent?.services.consensus.recordVote(proposalId, vote)
    } catch (err) {
      const error = byId('live-error')
      error.textContent = `vote not recorded: ${(err as Error).message}`
      error.hidden = false
    }
  }

  /** Turning automatic voting on answers what is already open, too. */
  private async voteOpenAutomatically (): Promise<void> {
    if (!byId<HTMLInputElement>('live-auto').checked) return
    const self = this.agent?.peerId.toString() ?? ''
    for (const open of this.open.values()) {
      if (open.view.electorate.some(m => m.id === self) && !open.votes.has(self)) await this.vote(open.view.id, this.autoBallot(open.view))
    }
  }

  private onDecision (result: ConsensusResult): void {
    const open = this.open.get(result.proposalId)
    open?.element.remove()
    this.open.delete(result.proposalId)
    if (this.open.size === 0 && byId('live-open').children.length === 0) {
      byId('live-open').innerHTML = '<p class="empty">No open proposal. Propose one, or wait for another tab.</p>'
    }
    const li = document.createElement('li')
    li.dataset.proposal = result.proposalId
    li.dataset.decision = result.decision
    li.dataset.cert = result.certificate?.id ?? ''
    li.dataset.for = String(result.votesFor)
    li.dataset.against = String(result.votesAgainst)
    li.dataset.abstain = String(result.votesAbstain)
    const choices = result.choices ?? []
    if (choices.length > 0) li.dataset.winner = String(result.winner ?? '')
    const coordinator = open?.view.coordinator
    // a decision whose proposal this tab never saw came with the proofs a peer sends a newcomer
    const by = coordinator === undefined ? ' · caught up on joining' : ` · by ${escapeXml(this.names.get(coordinator) ?? short(coordinator))}`
    const payload = open === undefined ? '' : ` · <span class="mono">${escapeXml(JSON.stringify(open.view.payload).slice(0, 80))}</span>`
    const counted = choices.length > 0
      ? `${result.votesFor} ballots · ${result.votesAbstain} abstain of ${result.participants.length}`
      : `${result.votesFor} for · ${result.votesAgainst} against · ${result.votesAbstain} abstain of ${result.participants.length}`
    const winner = result.winner === undefined
      ? ''
      : result.winner === null
        ? '<span class="tag">no winner</span>'
        : `<span class="winner-line">winner: <span class="name" style="color:var(--${choiceMark(result.winner)})">` +
          `${escapeXml(choices[result.winner - 1] ?? String(result.winner))}</span></span>`
    const bars = choices.length === 0
      ? ''
      : `<div class="live-bars chart">${choiceBars(choices, result.scores ?? [], result.winner ?? null, result.ranking ?? [])}</div>`
    li.innerHTML = `<div class="line1"><span class="pill ${result.decision}">${result.decision}</span><b>${escapeXml(result.algorithmUsed)}</b>` +
      `${winner}<span class="tag">${counted} · ${formatMs(result.durationMs)}${by}</span></div>` + bars +
      `<div class="line2">certificate <code class="cert" title="${result.certificate?.id ?? ''}">` +
      `${result.certificate?.id ?? 'none (finality not reached)'}</code>${payload}</div>`
    byId('live-decisions').prepend(li)
  }
}
