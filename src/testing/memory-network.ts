import { InvalidParametersError } from '@libp2p/interface'
import { systemClock, type Clock } from '../clock.js'
import { SeededRandom } from './random.js'
import { decodeMessage, verifyMessage } from '../wire/envelope.js'
import type { Coordinator, HandlerOptions, MessageHandler, TopologyInfo, Verdict } from '../transport/coordinator.js'

/** Fault knobs of a {@link MemoryNetwork}; all default to a perfect network. */
export interface NetworkFaults {
  /** Share of deliveries dropped, 0…1. */
  loss?: number
  /** Delivery delay drawn uniformly from [min, max] ms. */
  latencyMs?: [min: number, max: number]
  /** Share of deliveries delivered a second time, 0…1. */
  duplicate?: number
  /** Share of deliveries held back by up to `reorderMs` extra, so later messages overtake them. */
  reorder?: number
  /** How far a reordered delivery may be held back. */
  reorderMs?: number
}

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkInit extends NetworkFaults {
  /** Time source; pass a `VirtualClock` for deterministic simulations. */
  clock?: Clock
  /**
   * Seed of the fault draws: the same seed and the same program give the same trace.
   *
   * @default 0
   */
  seed?: number
  /** Record every send, drop and delivery in `trace`. */
  recordTrace?: boolean
}

/** How a message was sent: to every peer (`broadcast`) or to one (`direct`: pulls and their answers). */
export type SendKind = 'broadcast' | 'direct'

/** One line of a network trace. */
export interface TraceEvent {
  /** when, ms on the network's clock */
  at: number
  /** what happened */
  event: 'send' | 'drop' | 'deliver' | 'duplicate'
  /** sender */
  from: string
  /** receiver */
  to: string
  /** message size */
  bytes: number
  /** the receiver's verdict, on delivery */
  verdict?: Verdict['result']
  /** how the message was sent */
  via?: SendKind
}

/** Sees every trace event with its message, whether or not `recordTrace` is on (simulations measure with it). */
export type NetworkMonitor = (event: TraceEvent, message: Uint8Array) => void

/** Whether `from` may reach `to` under a custom partition (see {@link MemoryNetwork.partitionBy}). */
export type Reachability = (from: string, to: string) => boolean

/** Counts since the network was made. */
export interface NetworkCounters {
  /** messages handed to the network */
  sent: number
  /** delivered to a handler */
  delivered: number
  /** lost (loss, partition, crash) */
  dropped: number
  /** delivered twice on purpose */
  duplicated: number
  /** rejected by the receiver's handler */
  rejected: number
  /** sends made point to point (`Coordinator.send`), a subset of `sent` */
  sentDirect: number
  /** deliveries of point-to-point sends, a subset of `delivered` */
  deliveredDirect: number
}

/** Decides per send whether it may go through; used by simulations to stage precise faults. */
export type SendFilter = (from: string, to: string, message: Uint8Array, via: SendKind) => boolean

/** What a broadcast delivery tells its handler: it came over the topic (not point to point). */
const VIA_TOPIC: HandlerOptions = Object.freeze({ direct: false })

function checkShare (value: number | undefined, name: string): number {
  const share = value ?? 0
  if (typeof share !== 'number' || !(share >= 0 && share <= 1)) throw new InvalidParametersError(`${name} must be a share from 0 to 1, got ${String(value)}`)
  return share
}

/**
 * An in-process network of agents (a `Coordinator` per agent, in memory), with seeded faults: loss,
 * latency, duplication, reordering, partitions and crashed peers. Every agent reaches every other
 * directly; nothing is relayed.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork({ loss: 0.1, latencyMs: [5, 50], seed: 42 })
 * const coordinator = network.join(identity.peerId)
 * ```
 */
export class MemoryNetwork {
  /** the clock delays are scheduled on (virtual in simulations) */
  readonly clock: Clock
  /** every send, drop, delivery and duplicate, when `recordTrace` is on */
  readonly trace: TraceEvent[] = []
  /** counts since the network was made */
  readonly counters: NetworkCounters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, rejected: 0, sentDirect: 0, deliveredDirect: 0 }
  /** Optional hook to drop chosen sends (staged faults). */
  filter: SendFilter | undefined
  /** Optional hook that sees every send, drop and delivery with its message. */
  monitor: NetworkMonitor | undefined
  private readonly random: SeededRandom
  private readonly recordTrace: boolean
  private readonly handlers = new Map<string, MessageHandler | undefined>()
  private readonly crashed = new Set<string>()
  /** buffers whose signature check was started when they first left */
  private readonly verifying = new WeakSet<Uint8Array>()
  private groups: Map<string, number> | undefined
  private canReach: Reachability | undefined
  private faults: Required<NetworkFaults> = { loss: 0, latencyMs: [0, 0], duplicate: 0, reorder: 0, reorderMs: 0 }

  constructor (init: MemoryNetworkInit = {}) {
    this.clock = init.clock ?? systemClock
    this.random = new SeededRandom(init.seed ?? 0)
    this.recordTrace = init.recordTrace ?? false
    this.setFaults(init)
  }

  /** Change the fault knobs (only those given). */
  setFaults (faults: NetworkFaults): void {
    const latency = faults.latencyMs ?? this.faults.latencyMs
    if (!Array.isArray(latency) || latency.length !== 2 || !(latency[0] >= 0) || !(latency[1] >= latency[0])) {
      throw new InvalidParametersError(`latencyMs must be [min, max] with 0 ≤ min ≤ max, got ${JSON.stringify(faults.latencyMs)}`)
    }
    const reorderMs = faults.reorderMs ?? this.faults.reorderMs
    if (!(reorderMs >= 0)) throw new InvalidParametersError(`reorderMs must be ≥ 0, got ${String(reorderMs)}`)
    this.faults = {
      loss: checkShare(faults.loss ?? this.faults.loss, 'loss'),
      latencyMs: [latency[0], latency[1]],
      duplicate: checkShare(faults.duplicate ?? this.faults.duplicate, 'duplicate'),
      reorder: checkShare(faults.reorder ?? this.faults.reorder, 'reorder'),
      reorderMs
    }
  }

  /** Add an agent and get its coordinator. */
  join (peerId: string): Coordinator {
    if (this.handlers.has(peerId)) throw new InvalidParametersError(`${peerId} already joined this network`)
    this.handlers.set(peerId, undefined)
    this.crashed.delete(peerId)
    return new MemoryCoordinator(this, peerId)
  }

  /** Remove an agent for good. */
  leave (peerId: string): void {
    this.handlers.delete(peerId)
    this.crashed.delete(peerId)
  }

  /** Crash an agent: nothing it sends leaves, nothing reaches it, until `restore`. */
  crash (peerId: string): void {
    this.crashed.add(peerId)
  }

  /** Bring a crashed agent back. */
  restore (peerId: string): void {
    this.crashed.delete(peerId)
  }

  /** Split the network: agents in different groups cannot reach each other; unlisted agents form one more group. */
  partition (groups: string[][]): void {
    this.groups = new Map()
    groups.forEach((group, i) => { for (const id of group) this.groups?.set(id, i) })
  }

  /**
   * Split the network along any shape groups cannot express (e.g. a ring where each agent reaches
   * only its two neighbours): `from` reaches `to` only while `canReach(from, to)`. Combines with
   * `partition`; `heal` undoes both.
   */
  partitionBy (canReach: Reachability): void {
    this.canReach = canReach
  }

  /** Undo `partition` and `partitionBy`. */
  heal (): void {
    this.groups = undefined
    this.canReach = undefined
  }

  /** Agents that have joined and not left. */
  get agents (): string[] {
    return [...this.handlers.keys()]
  }

  /** Whether `from` can reach `to` right now. */
  reachable (from: string, to: string): boolean {
    if (this.crashed.has(from) || this.crashed.has(to) || !this.handlers.has(to)) return false
    return this.sameSide(from, to)
  }

  private sameSide (from: string, to: string): boolean {
    if (this.canReach !== undefined && !this.canReach(from, to)) return false
    if (this.groups === undefined) return true
    return (this.groups.get(from) ?? -1) === (this.groups.get(to) ?? -1)
  }

  /** @internal */
  setHandler (peerId: string, handler: MessageHandler | undefined): void {
    if (this.handlers.has(peerId)) this.handlers.set(peerId, handler)
  }

  /** @internal */
  send (from: string, to: string, message: Uint8Array, via: SendKind = 'direct'): boolean {
    this.counters.sent++
    if (via === 'direct') this.counters.sentDirect++
    this.note('send', from, to, message, undefined, via)
    if (!this.reachable(from, to) || this.filter?.(from, to, message, via) === false || this.random.chance(this.faults.loss)) {
      this.counters.dropped++
      this.note('drop', from, to, message, undefined, via)
      return false
    }
    this.verifyAhead(message)
    this.schedule(from, to, message, 'deliver', via)
    if (this.random.chance(this.faults.duplicate)) {
      this.counters.duplicated++
      this.schedule(from, to, message, 'duplicate', via)
    }
    return true
  }

  /**
   * Start the signature check of a message the moment it first leaves (once per buffer), so that it
   * has run on the platform's crypto threads by the time the message is delivered: receivers of a
   * real network verify in parallel, and a simulation that waited for each verify at its first
   * delivery spent much of its wall time idle. The check is the one every receiver's manager makes
   * (its result is shared through the process-wide caches), so no verdict changes, and since each
   * delivery still awaits it, neither does the order anything happens in.
   */
  private verifyAhead (message: Uint8Array): void {
    if (this.verifying.has(message)) return
    this.verifying.add(message)
    try {
      verifyMessage(decodeMessage(message)).catch(() => {})
    } catch {
      // malformed: each receiver says so itself
    }
  }

  private schedule (from: string, to: string, message: Uint8Array, event: 'deliver' | 'duplicate', via: SendKind): void {
    const [min, max] = this.faults.latencyMs
    let delay = min + this.random.next() * (max - min)
    if (this.random.chance(this.faults.reorder)) delay += this.random.next() * this.faults.reorderMs
    this.clock.setTimeout(async () => {
      // a message already on the wire still arrives if its sender crashes meanwhile
      const handler = this.handlers.get(to)
      if (handler === undefined || this.crashed.has(to) || !this.sameSide(from, to)) {
        this.counters.dropped++
        this.note('drop', from, to, message, undefined, via)
        return
      }
      this.counters.delivered++
      if (via === 'direct') this.counters.deliveredDirect++
      // a broadcast is a topic message (each agent gets it from its author, nothing is relayed); a direct send is not marked
      const verdict = await (via === 'broadcast' ? handler(message, from, VIA_TOPIC) : handler(message, from))
      if (verdict.result === 'reject') this.counters.rejected++
      this.note(event, from, to, message, verdict.result, via)
    }, delay)
  }

  private note (event: TraceEvent['event'], from: string, to: string, message: Uint8Array, verdict: Verdict['result'] | undefined, via: SendKind): void {
    if (!this.recordTrace && this.monitor === undefined) return
    const at = this.clock.now()
    const bytes = message.byteLength
    // two literals (same key order as before), not a spread: this runs for every send and delivery a monitor sees
    const line: TraceEvent = verdict === undefined ? { at, event, from, to, bytes, via } : { at, event, from, to, bytes, verdict, via }
    if (this.recordTrace) this.trace.push(line)
    this.monitor?.(line, message)
  }

  /** @internal */
  peersOf (peerId: string): string[] {
    return this.agents.filter(id => id !== peerId && this.reachable(peerId, id))
  }

  /** @internal */
  topology (peerId: string): TopologyInfo {
    const agentCount = this.agents.length - this.crashed.size
    const reachable = this.peersOf(peerId).length
    return {
      type: this.groups === undefined && this.canReach === undefined ? 'mesh' : 'partitioned-mesh',
      agentCount,
      connectionCount: (agentCount * (agentCount - 1)) / 2,
      health: this.crashed.has(peerId) ? 'unhealthy' : reachable + 1 < agentCount || this.crashed.size > 0 ? 'degraded' : 'healthy'
    }
  }
}

/** One agent's view of a {@link MemoryNetwork}. */
class MemoryCoordinator implements Coordinator {
  readonly peerId: string
  private readonly network: MemoryNetwork

  constructor (network: MemoryNetwork, peerId: string) {
    this.network = network
    this.peerId = peerId
  }

  setHandler (handler: MessageHandler | undefined): void {
    this.network.setHandler(this.peerId, handler)
  }

  async broadcast (message: Uint8Array): Promise<number> {
    let handed = 0
    for (const to of this.network.agents) {
      if (to !== this.peerId && this.network.send(this.peerId, to, message, 'broadcast')) handed++
    }
    return handed
  }

  async send (peerId: string, message: Uint8Array): Promise<void> {
    this.network.send(this.peerId, peerId, message)
  }

  getPeers (): string[] {
    return this.network.peersOf(this.peerId)
  }

  getTopologyInfo (): TopologyInfo {
    return this.network.topology(this.peerId)
  }
}
