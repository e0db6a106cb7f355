/**
 * The live swarm as a picture: the hub in the middle (it relays everything), the proposal's
 * electorate around it, each agent filling with its vote as the vote reaches this tab, the tally
 * this tab counts as a ring around the hub, and a wave when this tab holds the decision.
 */
import { SwarmCanvas, palette, type NodeView, type Particle, type TallyView } from '../sim/canvas.js'
import { choiceMark, type Mark } from '../ballots.js'
import type { ConsensusResult, ProposalView } from '../../../src/index.js'

/** How long a message is drawn on each hop (voter → hub → here); an illustration, not a measurement. */
const HOP_MS = 260

/** The live mode's swarm picture. */
export class LivePicture {
  private readonly canvas: SwarmCanvas
  private readonly element: HTMLCanvasElement
  private ids: string[] = []
  private nodes: NodeView[] = []
  private particles: Particle[] = []
  private proposal: ProposalView | undefined
  private counts: Partial<Record<Mark, number>> = {}
  /** the open (or last decided) proposal's choices; none on a yes/no one */
  private choices: string[] = []
  private threshold = 0.5
  private decision: { value: ConsensusResult['decision'], at: number, origin: number } | undefined
  private stopped = false

  constructor (element: HTMLCanvasElement, private readonly hub: string, private readonly self: string, private readonly nameOf: (id: string) => string) {
    this.element = element
    this.canvas = new SwarmCanvas(element)
    const frame = (): void => {
      if (this.stopped) return
      this.draw()
      requestAnimationFrame(frame)
    }
    requestAnimationFrame(frame)
  }

  /** Stop drawing (the tab joined another hub). */
  stop (): void {
    this.stopped = true
  }

  /** Show who is there while no proposal is open. */
  roster (peers: string[]): void {
    if (this.proposal !== undefined) return
    const ids = [this.hub, ...peers]
    if (ids.join() !== this.ids.join()) this.reset(ids)
  }

  private reset (ids: string[]): void {
    this.ids = ids
    this.nodes = ids.map(() => ({ received: false, vote: undefined, decided: undefined, crashed: false, changedAt: 0 }))
    this.canvas.setAgents(ids.map(id => ({ peerId: id, name: this.nameOf(id), weight: 1 })), 0)
  }

  private index (id: string): number {
    return this.ids.indexOf(id)
  }

  /** A proposal reached this tab: its electorate around the hub, the proposal travelling out. */
  propose (view: ProposalView): void {
    this.proposal = view
    this.reset([this.hub, ...view.electorate.map(m => m.id)])
    this.counts = {}
    this.choices = view.choices
    this.threshold = thresholdOf(view)
    this.decision = undefined
    const now = performance.now()
    const from = this.index(view.coordinator)
    if (from > 0) this.particles.push({ from, to: 0, t0: now, t1: now + HOP_MS, dropped: false, colour: palette(this.element).proposal })
    for (const [i, node] of this.nodes.entries()) {
      if (i === 0 || i === from) continue
      this.particles.push({ from: 0, to: i, t0: now + HOP_MS, t1: now + 2 * HOP_MS, dropped: false, colour: palette(this.element).proposal })
      node.received = true
      node.changedAt = now + 2 * HOP_MS
    }
  }

  /** A vote reached this tab (through the hub, unless it is our own): its value, or its ballot's first choice. */
  vote (proposalId: string, voter: string, choice: Mark): void {
    if (this.proposal?.id !== proposalId) return
    const i = this.index(voter)
    const node = this.nodes[i]
    if (node === undefined) return
    const now = performance.now()
    const colours = palette(this.element)
    const colour = colours[choice] ?? colours.abstain
    const here = this.index(this.self)
    if (i !== here) {
      this.particles.push({ from: i, to: 0, t0: now, t1: now + HOP_MS, dropped: false, colour })
      if (here > 0) this.particles.push({ from: 0, to: here, t0: now + HOP_MS, t1: now + 2 * HOP_MS, dropped: false, colour })
    }
    // a changed ballot moves the voter's count rather than adding one
    if (node.vote !== undefined) this.counts[node.vote] = (this.counts[node.vote] ?? 1) - 1
    Object.assign(node, { vote: choice, changedAt: now })
    this.counts[choice] = (this.counts[choice] ?? 0) + 1
  }

  /** This tab holds the decision. */
  decide (result: ConsensusResult): void {
    if (this.proposal?.id !== result.proposalId) return
    const now = performance.now()
    this.decision = { value: result.decision, at: now, origin: 0 }
    const mine = this.nodes[this.index(this.self)]
    if (mine !== undefined) Object.assign(mine, { decided: result.decision, changedAt: now })
    this.proposal = undefined
  }

  private draw (): void {
    const now = performance.now()
    this.particles = this.particles.filter(p => now < p.t1 + 50)
    const electorate = this.ids.length - 1
    this.canvas.draw({
      time: now,
      nodes: this.nodes,
      particles: this.particles,
      coordinator: 0,
      closers: [],
      tally: this.proposal === undefined && this.decision === undefined ? undefined : this.tally(electorate),
      decision: this.decision,
      centreLabel: 'hub · relays'
    }, now)
  }

  private tally (electorate: number): TallyView {
    const c = this.counts
    const view: TallyView = { for: c.for ?? 0, against: c.against ?? 0, abstain: c.abstain ?? 0, electorate, threshold: this.threshold }
    // past six choices the colours repeat: count each colour once
    if (this.choices.length > 0) view.marks = [...new Set(this.choices.map((_, i) => choiceMark(i + 1)))].map(m => [m, c[m] ?? 0])
    return view
  }
}

/** The approval threshold a proposal pinned, as a share (for the tick on the tally ring). */
export function thresholdOf (view: ProposalView): number {
  if (view.algorithmKind === 'unanimous') return 1
  if (view.algorithmKind === 'supermajority') return 2 / 3
  const ratio = view.algorithmParams.threshold
  return Array.isArray(ratio) && typeof ratio[0] === 'number' && typeof ratio[1] === 'number' && ratio[1] > 0 ? ratio[0] / ratio[1] : 0.5
}
