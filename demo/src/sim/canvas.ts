/**
 * The picture of the swarm: agents as dots on a sunflower (a ring when few), the coordinator in the
 * middle wearing its running tally, messages as particles in flight, each agent filled with its vote
 * and ringed with its decision. Canvas, because a few hundred agents and a thousand particles at
 * 60 frames a second are too many SVG nodes.
 */
import { CHOICE_COLOURS, type Mark } from '../ballots.js'
import type { AgentInfo, Decision } from './protocol.js'

/** What the picture knows about one agent. */
export interface NodeView {
  received: boolean
  /** its vote, or its ballot's first choice */
  vote: Mark | undefined
  decided: Decision | undefined
  crashed: boolean
  /** page time (ms) of its last change, for a short pulse */
  changedAt: number
}

/** A message in flight, in virtual time. */
export interface Particle {
  from: number
  to: number
  t0: number
  t1: number
  dropped: boolean
  colour: string
  /** drawn as a ring rather than a dot (acks) */
  hollow?: boolean
}

/** The running tally drawn around the coordinator. */
export interface TallyView {
  for: number
  against: number
  abstain: number
  electorate: number
  threshold: number
  /** a proposal with choices: ballots by first choice, drawn after for, against and abstain */
  marks?: Array<[Mark, number]>
}

/** One frame's worth of state. */
export interface Frame {
  time: number
  nodes: NodeView[]
  particles: Particle[]
  coordinator: number
  closers: number[]
  tally: TallyView | undefined
  /** the decision, once the requester has it, with the page time it arrived and the closer it spreads from */
  decision: { value: Decision, at: number, origin: number } | undefined
  /** what to call the node in the middle (default: the coordinator) */
  centreLabel?: string
}

type Point = [number, number]

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5))
const TWEEN_MS = 700

type PaletteColour =
  'for' | 'against' | 'abstain' | 'timeout' | 'approved' | 'rejected' | 'proposal' | 'node' | 'nodeLine' | 'text' | 'muted' | 'crashed' | 'bg'

const CHOICE_FALLBACKS = ['#60a5fa', '#f472b6', '#fbbf24', '#2dd4bf', '#a78bfa', '#fb923c']

/** Reads the theme's colours from CSS custom properties on the canvas (`c1` … `c6`: one per choice). */
export function palette (element: Element): Record<PaletteColour | Mark, string> {
  const style = getComputedStyle(element)
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback
  return {
    for: read('--for', '#34d399'),
    against: read('--against', '#f87171'),
    abstain: read('--abstain', '#94a3b8'),
    timeout: read('--timeout', '#fbbf24'),
    approved: read('--for', '#34d399'),
    rejected: read('--against', '#f87171'),
    proposal: read('--accent', '#818cf8'),
    node: read('--node', '#334155'),
    nodeLine: read('--node-line', '#475569'),
    text: read('--text', '#e2e8f0'),
    muted: read('--muted', '#94a3b8'),
    crashed: read('--crashed', '#0f172a'),
    bg: read('--panel', '#111827'),
    ...Object.fromEntries(Array.from({ length: CHOICE_COLOURS }, (_, i) => [`c${i + 1}`, read(`--c${i + 1}`, CHOICE_FALLBACKS[i] ?? '#60a5fa')]))
  }
}

/** Draws {@link Frame}s on a canvas that fills its parent. */
export class SwarmCanvas {
  private readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D
  private agents: AgentInfo[] = []
  private from: Point[] = []
  private to: Point[] = []
  private tweenStart = 0
  private colours: ReturnType<typeof palette>
  private width = 0
  private height = 0

  constructor (canvas: HTMLCanvasElement) {
    this.canvas = canvas
    const ctx = canvas.getContext('2d')
    if (ctx === null) throw new Error('no 2d canvas')
    this.ctx = ctx
    this.colours = palette(canvas)
    new ResizeObserver(() => { this.resize() }).observe(canvas.parentElement ?? canvas)
    matchMedia('(prefers-color-scheme: light)').addEventListener('change', () => { this.colours = palette(canvas) })
    this.resize()
  }

  /** New agents: lay them out around `coordinator`, without a tween. */
  setAgents (agents: AgentInfo[], coordinator: number): void {
    this.agents = agents
    this.to = layout(agents.length, coordinator)
    this.from = this.to
    this.tweenStart = 0
  }

  /** Move `coordinator` to the middle, the others gliding to their new places. */
  focus (coordinator: number, now: number): void {
    const next = layout(this.agents.length, coordinator)
    this.from = this.to.map((_, i) => this.position(i, now))
    this.to = next
    this.tweenStart = now
  }

  private resize (): void {
    const box = (this.canvas.parentElement ?? this.canvas).getBoundingClientRect()
    const ratio = window.devicePixelRatio || 1
    this.width = Math.max(200, box.width)
    this.height = Math.max(200, box.height)
    this.canvas.width = Math.round(this.width * ratio)
    this.canvas.height = Math.round(this.height * ratio)
    this.canvas.style.width = `${this.width}px`
    this.canvas.style.height = `${this.height}px`
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    this.colours = palette(this.canvas)
  }

  /** Unit-disc position of agent i at page time `now`. */
  private position (i: number, now: number): Point {
    const to = this.to[i] ?? [0, 0]
    const from = this.from[i] ?? to
    const p = this.tweenStart === 0 ? 1 : Math.min(1, (now - this.tweenStart) / TWEEN_MS)
    const e = p < 0.5 ? 4 * p * p * p : 1 - Math.pow(-2 * p + 2, 3) / 2
    return [from[0] + (to[0] - from[0]) * e, from[1] + (to[1] - from[1]) * e]
  }

  /** Draw one frame at page time `now`. */
  draw (frame: Frame, now: number): void {
    const { ctx, colours: c, width, height } = this
    const n = this.agents.length
    ctx.clearRect(0, 0, width, height)
    if (n === 0) return
    const radius = Math.min(width, height) / 2 - 26
    const cx = width / 2
    const cy = height / 2
    const small = n <= 12
    const nodeR = Math.max(2.5, Math.min(small ? 22 : 15, 0.3 * radius * Math.sqrt(Math.PI / n)))
    const at = (i: number): Point => { const [x, y] = this.position(i, now); return [cx + x * radius, cy + y * radius] }
    const points = this.agents.map((_, i) => at(i))

    // faint spokes from the coordinator while few agents are drawn: who talks to whom
    if (small) {
      const [ox, oy] = points[frame.coordinator] ?? [cx, cy]
      ctx.strokeStyle = c.nodeLine
      ctx.globalAlpha = 0.35
      ctx.lineWidth = 1
      for (const [i, [x, y]] of points.entries()) {
        if (i === frame.coordinator) continue
        ctx.beginPath(); ctx.moveTo(ox, oy); ctx.lineTo(x, y); ctx.stroke()
      }
      ctx.globalAlpha = 1
    }

    // the decision's shock wave
    if (frame.decision !== undefined) {
      const age = (now - frame.decision.at) / 1400
      if (age < 1) {
        const [ox, oy] = points[frame.decision.origin] ?? [cx, cy]
        ctx.strokeStyle = c[frame.decision.value]
        ctx.globalAlpha = 0.6 * (1 - age)
        ctx.lineWidth = 3 + 6 * (1 - age)
        ctx.beginPath(); ctx.arc(ox, oy, nodeR * 2 + age * radius * 1.1, 0, 2 * Math.PI); ctx.stroke()
        ctx.globalAlpha = 1
      }
    }

    // agents
    for (const [i, node] of frame.nodes.entries()) {
      const [x, y] = points[i] ?? [cx, cy]
      const isCoordinator = i === frame.coordinator
      // experts (weight 2, 3) are drawn a little larger: their votes count more under `weighted`
      const r = isCoordinator ? Math.max(nodeR * 1.7, 9) : nodeR * (1 + 0.15 * ((this.agents[i]?.weight ?? 1) - 1))
      const pulse = Math.max(0, Math.min(1, 1 - (now - node.changedAt) / 500))
      const grow = r * (1 + 0.45 * pulse)
      ctx.beginPath(); ctx.arc(x, y, grow, 0, 2 * Math.PI)
      ctx.fillStyle = node.crashed ? c.crashed : node.vote === undefined ? c.node : c[node.vote] ?? c.node
      ctx.fill()
      if (node.received && node.vote === undefined && !node.crashed) {
        ctx.strokeStyle = c.proposal; ctx.lineWidth = Math.max(1, r * 0.22); ctx.stroke()
      }
      if (node.decided !== undefined && !node.crashed) {
        ctx.beginPath(); ctx.arc(x, y, grow + Math.max(1.5, r * 0.35), 0, 2 * Math.PI)
        ctx.strokeStyle = c[node.decided]; ctx.lineWidth = Math.max(1.2, r * 0.28); ctx.stroke()
      }
      if (frame.closers.includes(i) && !isCoordinator) {
        ctx.setLineDash([3, 3])
        ctx.beginPath(); ctx.arc(x, y, grow + Math.max(4, r * 0.8), 0, 2 * Math.PI)
        ctx.strokeStyle = c.muted; ctx.lineWidth = 1.2; ctx.stroke()
        ctx.setLineDash([])
      }
      if (node.crashed) cross(ctx, x, y, r * 0.8, c.against)
      if (small || isCoordinator) {
        const name = isCoordinator ? frame.centreLabel ?? (small ? `${this.agents[i]?.name ?? ''} · coordinator` : 'coordinator') : this.agents[i]?.name ?? ''
        ctx.fillStyle = isCoordinator ? c.text : c.muted
        ctx.font = `${isCoordinator ? 600 : 500} 12px ui-sans-serif, system-ui, sans-serif`
        ctx.textAlign = 'center'
        // below the node, clear of its decision ring (and of the tally ring around the middle); above it in a crowd
        const offset = isCoordinator && frame.tally !== undefined ? r + 18 : r * 1.9 + 3
        const above = isCoordinator && !small
        ctx.textBaseline = above ? 'bottom' : 'top'
        ctx.fillText(name, x, above ? y - offset : y + offset)
        ctx.textBaseline = 'alphabetic'
      }
    }

    // the coordinator's running tally, as a ring of arcs (share of the electorate) with the threshold tick
    if (frame.tally !== undefined && frame.tally.electorate > 0) {
      const [ox, oy] = points[frame.coordinator] ?? [cx, cy]
      const ringR = Math.max(nodeR * 1.7, 9) + 9
      const t = frame.tally
      let start = -Math.PI / 2
      ctx.lineWidth = 5
      ctx.strokeStyle = c.nodeLine
      ctx.beginPath(); ctx.arc(ox, oy, ringR, 0, 2 * Math.PI); ctx.stroke()
      const arcs: Array<[number, string]> = [[t.for, c.for], [t.against, c.against], [t.abstain, c.abstain]]
      for (const [mark, count] of t.marks ?? []) arcs.push([count, c[mark] ?? c.for])
      for (const [count, colour] of arcs) {
        const sweep = (count / t.electorate) * 2 * Math.PI
        if (sweep > 0) { ctx.strokeStyle = colour; ctx.beginPath(); ctx.arc(ox, oy, ringR, start, start + sweep); ctx.stroke() }
        start += sweep
      }
      const tick = -Math.PI / 2 + t.threshold * 2 * Math.PI
      ctx.strokeStyle = c.text; ctx.lineWidth = 2
      ctx.beginPath()
      ctx.moveTo(ox + Math.cos(tick) * (ringR - 6), oy + Math.sin(tick) * (ringR - 6))
      ctx.lineTo(ox + Math.cos(tick) * (ringR + 6), oy + Math.sin(tick) * (ringR + 6))
      // a proposal over choices has no threshold tick
      if (t.marks === undefined) ctx.stroke()
    }

    // messages in flight
    const dot = Math.max(1.8, Math.min(4, nodeR * 0.45))
    for (const p of frame.particles) {
      const span = Math.max(1, p.t1 - p.t0)
      const progress = (frame.time - p.t0) / span
      const [ax, ay] = points[p.from] ?? [cx, cy]
      const [bx, by] = points[p.to] ?? [cx, cy]
      if (progress < 0) continue
      if (progress > 1) {
        // a lost message leaves a small red cross for a moment
        if (p.dropped && progress < 1.6) cross(ctx, ax + (bx - ax) * 0.6, ay + (by - ay) * 0.6, dot * 1.2, c.against, 1.6 - progress)
        continue
      }
      const along = p.dropped ? progress * 0.6 : progress
      const x = ax + (bx - ax) * along
      const y = ay + (by - ay) * along
      const alpha = p.dropped ? 0.9 * (1 - progress * 0.6) : 1
      if (p.hollow === true) {
        ctx.globalAlpha = alpha
        ctx.strokeStyle = p.colour
        ctx.lineWidth = 1.5
        ctx.beginPath(); ctx.arc(x, y, dot * 1.1, 0, 2 * Math.PI); ctx.stroke()
      } else {
        ctx.globalAlpha = 0.25 * alpha
        ctx.fillStyle = p.colour
        ctx.beginPath(); ctx.arc(x, y, dot * 2.2, 0, 2 * Math.PI); ctx.fill()
        ctx.globalAlpha = alpha
        ctx.beginPath(); ctx.arc(x, y, dot, 0, 2 * Math.PI); ctx.fill()
      }
      ctx.globalAlpha = 1
    }
  }
}

function cross (ctx: CanvasRenderingContext2D, x: number, y: number, size: number, colour: string, alpha = 1): void {
  ctx.globalAlpha = Math.max(0, Math.min(1, alpha))
  ctx.strokeStyle = colour
  ctx.lineWidth = 2
  ctx.beginPath()
  ctx.moveTo(x - size, y - size); ctx.lineTo(x + size, y + size)
  ctx.moveTo(x + size, y - size); ctx.lineTo(x - size, y + size)
  ctx.stroke()
  ctx.globalAlpha = 1
}

/** Unit-disc places: the coordinator in the middle, the others on a ring (few) or a sunflower. */
function layout (n: number, coordinator: number): Point[] {
  const others = n - 1
  const points: Point[] = []
  let k = 0
  for (let i = 0; i < n; i++) {
    if (i === coordinator) { points.push([0, 0]); continue }
    if (others <= 11) {
      const angle = -Math.PI / 2 + (k / others) * 2 * Math.PI
      points.push([Math.cos(angle) * 0.82, Math.sin(angle) * 0.82])
    } else {
      // an empty disc around the coordinator keeps its tally ring readable
      const inner = 0.22
      const r = Math.sqrt(inner * inner + (1 - inner * inner) * (k + 0.5) / others)
      const angle = k * GOLDEN_ANGLE
      points.push([Math.cos(angle) * r, Math.sin(angle) * r])
    }
    k++
  }
  return points
}
