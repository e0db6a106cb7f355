/**
 * Live mode: this tab is a real agent of the hubs' swarm, shown as a voting app. Proposals arrive
 * with a notice (and in the tab's title), each with a title, a description, a voting period and
 * the vote buttons on top; peers go by their names; decisions stay listed across a reload (the
 * agent's datastore is IndexedDB); a decision opens its certificate, checked here signature by
 * signature, to download, and a certificate file dropped in is checked the same way, offline.
 */
import { createAgent, type ConsensusAgent } from '../../../src/agent/index.js'
import {
  QuorumAlgorithm, SupermajorityAlgorithm, UnanimousAlgorithm, VoteType, VotingType, WeightedAlgorithm,
  type Ballot, type ConsensusAlgorithm, type ConsensusResult, type ProposalView
} from '../../../src/index.js'
import { ballotFrom, markOf } from '../ballots.js'
import { escapeXml } from '../charts.js'
import { byId } from '../sim/dom.js'
import { CertificateDialog } from './certificate-dialog.js'
import { DecisionHistory, type KeptDecision } from './history.js'
import { findHubs, hubPeerId, splitHubs, type HubInfo } from './hub-info.js'
import { keepTabName, peerIdOf, tabDatastore, tabKey, tabName } from './identity.js'
import { LINK_WORDS, linkLabels } from './links.js'
import { hueOf, PeerNames, shortId } from './names.js'
import { LivePicture } from './picture.js'
import { ProposalCard } from './proposal-card.js'
import { buildPayload, titleOf } from './proposal-text.js'
import { renderDecision } from './decision-item.js'
import type { Datastore } from 'interface-datastore'

type State = 'idle' | 'connecting' | 'connected' | 'error'

const PAGE_TITLE = document.title

/** Live mode of the page. */
export class LivePanel {
  private agent: ConsensusAgent | undefined
  private hubs: string[] = []
  private readonly open = new Map<string, ProposalCard>()
  private readonly decided = new Map<string, KeptDecision>()
  private readonly names = new PeerNames()
  private history = new DecisionHistory(undefined)
  private datastore: Datastore & { close?: () => Promise<void> } | undefined
  private readonly dialog = new CertificateDialog(id => this.names.name(id))
  private picture: LivePicture | undefined
  private started = false
  /** proposals that arrived while this tab had not voted on them, for the tab's title */
  private unseen = 0

  /** Join the hubs once the live tab is first shown. */
  start (): void {
    if (this.started) return
    this.started = true
    byId('live-propose').addEventListener('submit', (evt) => { evt.preventDefault(); void this.propose() })
    byId('live-hub-form').addEventListener('submit', (evt) => {
      evt.preventDefault()
      const hubs = splitHubs(byId<HTMLInputElement>('live-hub-input').value)
      if (hubs.length > 0) void this.join({ hubs, agents: [] })
    })
    byId('live-auto').addEventListener('change', () => { void this.voteOpenAutomatically() })
    byId('live-notice').addEventListener('click', (evt) => {
      if ((evt.target as HTMLElement).closest('button.dismiss') !== null) { this.hideNotice(); return }
      byId('live-open').scrollIntoView({ block: 'start', behavior: 'smooth' })
    })
    const nameField = byId<HTMLInputElement>('live-name')
    nameField.addEventListener('change', () => {
      // a name is announced from the agent's start: the tab restarts as the same agent (its key and
      // history are kept), now announcing the new name
      keepTabName(nameField.value)
      byId('live-name-note').textContent = 'kept · announcing it…'
      location.reload()
    })
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.updateTitle() })
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
    this.dialog.wireDropZone()
    setInterval(() => { this.renderPeers(); this.tick() }, 1000)
    void findHubs().then(info => {
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
    for (const a of info.agents) this.names.set(a.peerId, a.name, `Node agent · ${a.opinion}`)
    this.hubs = info.hubs
    for (const [i, hub] of info.hubs.entries()) this.names.set(hubPeerId(hub), info.hubs.length > 1 ? `hub ${i + 1}` : 'hub', 'hub · relays, does not vote')
    byId('live-hub-form').hidden = true
    this.setState('connecting', 'connecting…')
    const key = await tabKey()
    try {
      this.datastore ??= await tabDatastore(key)
    } catch {
      // no IndexedDB (a private window of some browsers): the tab works, its history does not survive a reload
      this.datastore = undefined
    }
    this.history = new DecisionHistory(this.datastore)
    const self = peerIdOf(key)
    const name = tabName(self)
    byId<HTMLInputElement>('live-name').value = name
    this.names.set(self, name, 'this tab')
    try {
      this.agent = await createAgent({
        hubs: info.hubs,
        // a tab often coordinates: on two hubs at once, a hub that stops mid-vote loses it nothing
        // (with one, what arrives while it fails over to the next is missed until a re-send)
        hubConnections: Math.min(2, info.hubs.length),
        privateKey: key,
        ...(this.datastore === undefined ? {} : { datastore: this.datastore }),
        consensus: {
          // announced in this tab's signed presence: other peers list it by this name
          name,
          role: 'browser tab',
          voter: (proposal) => byId<HTMLInputElement>('live-auto').checked ? this.autoBallot(proposal) : undefined
        }
      })
    } catch (err) {
      this.setState('error', `cannot join: ${(err as Error).message}`)
      byId('live-hub-form').hidden = false
      return
    }
    const agent = this.agent
    const service = agent.services.consensus
    this.names.useAnnounced(id => id === self ? undefined : service.getPeerInfo(id))
    byId('live-peer').textContent = self
    this.picture?.stop()
    this.picture = new LivePicture(byId<HTMLCanvasElement>('live-canvas'), hubPeerId(info.hubs[0] ?? ''), self, id => this.names.name(id))
    const refresh = (): void => {
      const up = this.hubsUp()
      const all = this.hubs.length
      const spare = all - up
      const words = all === 1 ? 'connected' : spare === 0 ? `connected to ${up} hubs` : `connected to ${up} of ${all} hubs`
      this.setState(up > 0 ? 'connected' : 'connecting', up > 0 ? words : 'reconnecting to a hub…')
      this.renderPeers()
    }
    agent.addEventListener('peer:connect', refresh)
    agent.addEventListener('peer:disconnect', refresh)
    refresh()
    service.addEventListener('proposal', (evt) => { this.onProposal(evt.detail, true) })
    service.addEventListener('vote', (evt) => {
      this.picture?.vote(evt.detail.proposalId, evt.detail.voter, markOf(evt.detail.vote) ?? 'abstain')
      this.open.get(evt.detail.proposalId)?.heard(evt.detail.voter, evt.detail.vote)
      if (evt.detail.voter === self) this.updateTitle()
    })
    service.addEventListener('decision', (evt) => {
      this.picture?.decide(evt.detail)
      this.onDecision(evt.detail)
    })
    // what this agent kept from before a reload: decisions, and proposals still open
    for (const kept of await this.history.load()) this.showDecision(kept)
    for (const view of service.getOpenProposals()) if (!this.open.has(view.id) && !this.decided.has(view.id)) this.onProposal(view, false)
  }

  private hubsUp (): number {
    const connected = new Set(this.agent?.getConnections().map(c => c.remotePeer.toString()) ?? [])
    return this.hubs.filter(h => connected.has(hubPeerId(h))).length
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
   * heard announce themselves, behind any hub; hubs relay but do not vote) plus this tab.
   */
  private electorate (): string[] {
    const agent = this.agent
    if (agent === undefined) return []
    return [...new Set([agent.peerId.toString(), ...agent.services.consensus.getPeers()])].sort()
  }

  private renderPeers (): void {
    const agent = this.agent
    const peers = this.electorate()
    this.picture?.roster(peers)
    // this tab first, then by name
    const own = agent?.peerId.toString()
    peers.sort((a, b) => Number(b === own) - Number(a === own) || this.names.name(a).localeCompare(this.names.name(b)))
    const links = agent === undefined ? new Map() : linkLabels(agent)
    const self = agent?.peerId.toString()
    const direct = [...links.values()].filter(l => l === 'direct').length
    byId('live-peer-count').textContent = peers.length === 0 ? '' : `${peers.length} voting · ${direct} direct link${direct === 1 ? '' : 's'}`
    byId('live-peers').innerHTML = peers.map(id => {
      const link = id === self ? undefined : links.get(id) ?? 'via hub'
      const role = this.names.role(id) ?? 'agent'
      return `<li data-peer="${id}"${link === undefined ? '' : ` data-link="${link}"`}>` +
        `<span class="avatar" style="background:hsl(${hueOf(id)} 70% 60%)"></span>` +
        `<span class="ident"><span><span class="who" title="${id}">${escapeXml(this.names.name(id))}</span> <code>${shortId(id)}</code></span>` +
        `<span class="kind">${escapeXml(role)}</span></span>` +
        (link === undefined ? '' : `<span class="link ${link.replace(' ', '-')}">${LINK_WORDS[link as keyof typeof LINK_WORDS]}</span>`) + '</li>'
    }).join('')
    // a tab stays on two hubs at most (its own pick among them) and fails over to the next when one goes
    const connected = new Set(agent?.getConnections().map(c => c.remotePeer.toString()) ?? [])
    byId('live-hubs').innerHTML = this.hubs.map(h => {
      const id = hubPeerId(h)
      const up = connected.has(id)
      return `<li data-hub="${escapeXml(id)}" data-up="${String(up)}">` +
        `<span class="status" data-state="${up ? 'connected' : 'idle'}">${up ? 'connected' : 'standby'}</span>` +
        `<span class="who">${escapeXml(this.names.name(id))}</span><code title="${escapeXml(h)}">${escapeXml(h)}</code></li>`
    }).join('')
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

  /**
   * Propose to the swarm. A proposal has a voting period (its timeout): votes may change until it
   * ends and the result is counted then, as on Snapshot, so nobody's vote is too late while it runs.
   */
  private async propose (): Promise<void> {
    const agent = this.agent
    const error = byId('live-error')
    error.hidden = true
    if (agent === undefined) return
    try {
      const payload = buildPayload(byId<HTMLInputElement>('live-title').value, byId<HTMLTextAreaElement>('live-description').value,
        byId<HTMLTextAreaElement>('live-payload').value)
      const timeoutMs = Math.round(Number(byId<HTMLInputElement>('live-timeout').value) * 1000)
      const choices = this.choices()
      if (choices.length > 0) {
        // every peer knows the six voting types; the default rule: the top choice wins, the lower index on a tie
        const votingType = byId<HTMLSelectElement>('live-voting-type').value as VotingType
        await agent.services.consensus.requestConsensus(payload, { choices, votingType, timeoutMs, allowVoteChange: true })
        return
      }
      const { name, algorithm } = this.algorithm()
      // the threshold travels in the proposal; every peer only needs the algorithm's kind
      agent.services.consensus.registerAlgorithm(name, algorithm)
      await agent.services.consensus.requestConsensus(payload, { algorithm: name, timeoutMs, allowVoteChange: true })
    } catch (err) {
      error.textContent = err instanceof SyntaxError ? `the advanced payload is not JSON: ${err.message}` : (err as Error).message
      error.hidden = false
    }
  }

  private onProposal (view: ProposalView, arriving: boolean): void {
    if (this.open.has(view.id)) return
    this.picture?.propose(view)
    const self = this.agent?.peerId.toString() ?? ''
    const card = new ProposalCard(view, {
      self,
      nameOf: id => this.names.name(id),
      cast: async (proposalId, ballot) => this.vote(proposalId, ballot)
    })
    this.open.set(view.id, card)
    const box = byId('live-open')
    box.querySelector('.empty')?.remove()
    box.prepend(card.element)
    byId('live-open-count').textContent = `${this.open.size} open`
    if (arriving && view.coordinator !== self && card.member) this.showNotice(view)
    this.updateTitle()
  }

  /** A proposal from another peer: a notice on top of the page (it scrolls to the card) and in the tab's title. */
  private showNotice (view: ProposalView): void {
    this.unseen++
    const notice = byId('live-notice')
    notice.dataset.proposal = view.id
    notice.innerHTML = `<span class="bell" aria-hidden="true">●</span><span><b>New proposal</b> from ${escapeXml(this.names.name(view.coordinator))}: ` +
      `<span class="title">${escapeXml(titleOf(view.payload))}</span></span><span class="grow"></span>` +
      '<button class="primary go">Vote</button><button class="dismiss" aria-label="dismiss">×</button>'
    notice.hidden = false
  }

  private hideNotice (): void {
    byId('live-notice').hidden = true
  }

  /** The tab's title: how many open proposals wait for this tab's vote, and the newest one's title. */
  private updateTitle (): void {
    const waiting = [...this.open.values()].filter(card => card.member && !card.voted && card.view.deadline > Date.now())
    const newest = waiting.at(-1)
    document.title = newest === undefined ? PAGE_TITLE : `(${waiting.length}) ${titleOf(newest.view.payload)} · vote now`
    const notice = byId('live-notice')
    if (!notice.hidden && !waiting.some(card => card.view.id === notice.dataset.proposal)) this.hideNotice()
  }

  private tick (): void {
    for (const card of this.open.values()) card.tick()
    this.updateTitle()
  }

  private async vote (proposalId: string, vote: Ballot): Promise<void> {
    await this.agent?.services.consensus.recordVote(proposalId, vote)
    this.updateTitle()
  }

  /** Turning automatic voting on answers what is already open, too. */
  private async voteOpenAutomatically (): Promise<void> {
    if (!byId<HTMLInputElement>('live-auto').checked) return
    for (const card of this.open.values()) {
      if (card.member && !card.voted) await this.vote(card.view.id, this.autoBallot(card.view)).catch(() => {})
    }
  }

  private onDecision (result: ConsensusResult): void {
    const card = this.open.get(result.proposalId)
    card?.element.remove()
    this.open.delete(result.proposalId)
    byId('live-open-count').textContent = this.open.size === 0 ? '' : `${this.open.size} open`
    if (this.open.size === 0 && byId('live-open').children.length === 0) {
      byId('live-open').innerHTML = '<p class="empty">No open proposal. Propose one, or wait for another peer\'s.</p>'
    }
    const kept: KeptDecision = {
      result,
      decidedAt: Date.now(),
      ...(card === undefined ? {} : { payload: card.view.payload, coordinator: card.view.coordinator })
    }
    this.showDecision(kept)
    this.updateTitle()
    void this.history.keep(kept).catch(() => {})
  }

  private showDecision (kept: KeptDecision): void {
    const id = kept.result.proposalId
    const known = this.decided.has(id)
    this.decided.set(id, kept)
    const li = renderDecision(kept, id => this.names.name(id))
    li.addEventListener('click', (evt) => {
      if ((evt.target as HTMLElement).closest('button.show-cert, .line1') === null) return
      const certificate = kept.result.certificate
      if (certificate !== undefined) void this.dialog.show(certificate, kept)
    })
    const list = byId('live-decisions')
    if (known) list.querySelector(`li[data-proposal="${id}"]`)?.replaceWith(li)
    else list.prepend(li)
  }
}
