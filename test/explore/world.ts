/**
 * The world one explored run lives in: a clock whose timers the explorer can see and fire, and a
 * network that never delivers by itself. Every broadcast or send becomes one in-flight packet per
 * recipient in a pool; the explorer picks which packet is delivered, dropped or duplicated next,
 * and when time moves on. Nothing here decides anything: it only makes the choices possible.
 */
import { VirtualClock } from '../../src/testing/virtual-clock.js'
import type { Clock } from '../../src/clock.js'
import type { Coordinator, MessageHandler, TopologyInfo } from '../../src/transport/coordinator.js'

/** Shared virtual time of a run starts here (any value: every run starts at the same one). */
export const START_TIME = 1_000_000

/**
 * A {@link VirtualClock} that also knows when its next live timer is due, so the explorer can offer
 * "advance time to the next timer" as a choice, and fire exactly the timers of that instant.
 */
export class ExploreClock implements Clock {
  readonly virtual = new VirtualClock(START_TIME)
  /** handle → when it is due, for every timer not yet fired or cleared */
  private readonly due = new Map<unknown, number>()

  now (): number { return this.virtual.now() }

  setTimeout (callback: () => void | Promise<void>, ms: number): unknown {
    const at = this.virtual.now() + Math.max(0, Number.isFinite(ms) ? ms : 0)
    const handle: unknown = this.virtual.setTimeout(async () => {
      this.due.delete(handle)
      await callback()
    }, ms)
    this.due.set(handle, at)
    return handle
  }

  clearTimeout (handle: unknown): void {
    this.due.delete(handle)
    this.virtual.clearTimeout(handle)
  }

  /** The instant of the next live timer, if any. */
  nextAt (): number | undefined {
    let next: number | undefined
    for (const at of this.due.values()) if (next === undefined || at < next) next = at
    return next
  }

  /** Fire every timer due at the next timer instant (and those they set for that instant); false if none is left. */
  async fireNext (): Promise<boolean> {
    const at = this.nextAt()
    if (at === undefined) return false
    await this.virtual.runUntil(at)
    return true
  }
}

/** One message in flight to one recipient. */
export interface Packet {
  /** creation order: the oldest packet has the lowest */
  seq: number
  from: string
  to: string
  bytes: Uint8Array
}

/** Receives a delivered packet: an honest manager's handler, or the Byzantine member's code. */
export type Receiver = (bytes: Uint8Array, from: string) => Promise<unknown>

/**
 * The in-flight pool and who receives what. Packets wait, oldest first, until the explorer hands
 * one to its recipient ({@link deliver}), drops it, or delivers a copy and keeps it.
 */
export class ExploreNetwork {
  readonly members: readonly string[]
  readonly pool: Packet[] = []
  private readonly receivers = new Map<string, Receiver>()
  private seq = 0

  constructor (members: readonly string[]) {
    this.members = members
  }

  /** A message leaves `from` for `to`: it waits in the pool. */
  post (from: string, to: string, bytes: Uint8Array): void {
    if (from === to || !this.members.includes(to)) return
    this.pool.push({ seq: this.seq++, from, to, bytes })
  }

  /** Route deliveries to `peerId` to `receiver` (`undefined`: a stopped member, packets to it are lost). */
  receive (peerId: string, receiver: Receiver | undefined): void {
    if (receiver === undefined) this.receivers.delete(peerId)
    else this.receivers.set(peerId, receiver)
  }

  /** Sees every packet delivered, with what its recipient answered (a trace, when replaying a schedule). */
  monitor: ((packet: Packet, answer: unknown) => void) | undefined

  /** Hand pool packet `index` to its recipient, keeping a copy in place if `keep` (a duplicate to come). */
  async deliver (index: number, keep = false): Promise<void> {
    const packet = this.pool[index] as Packet
    if (!keep) this.pool.splice(index, 1)
    const answer = await this.receivers.get(packet.to)?.(packet.bytes, packet.from)
    this.monitor?.(packet, answer)
  }

  /** Lose pool packet `index`. */
  drop (index: number): void {
    this.pool.splice(index, 1)
  }

  /** A member's {@link Coordinator} on this network; with `holdUntil`, what it sends waits in its outbox until that time. */
  join (peerId: string, clock?: ExploreClock, holdUntil?: number): Coordinator {
    return new ExploreCoordinator(this, peerId, clock, holdUntil)
  }
}

/**
 * The core's seam onto an {@link ExploreNetwork}. A member that "sends late" holds everything it
 * sends until `holdUntil` (one timer releases it, in order), then sends at once like everyone else.
 */
class ExploreCoordinator implements Coordinator {
  readonly peerId: string
  private readonly network: ExploreNetwork
  private readonly clock: ExploreClock | undefined
  private readonly holdUntil: number | undefined
  private held: Array<{ to: string, bytes: Uint8Array }> | undefined

  constructor (network: ExploreNetwork, peerId: string, clock?: ExploreClock, holdUntil?: number) {
    this.network = network
    this.peerId = peerId
    this.clock = clock
    this.holdUntil = holdUntil
    if (clock !== undefined && holdUntil !== undefined) {
      this.held = []
      clock.setTimeout(() => {
        const held = this.held ?? []
        this.held = undefined
        for (const { to, bytes } of held) this.network.post(this.peerId, to, bytes)
      }, holdUntil - clock.now())
    }
  }

  setHandler (handler: MessageHandler | undefined): void {
    this.network.receive(this.peerId, handler === undefined ? undefined : async (bytes, from) => handler(bytes, from))
  }

  async broadcast (message: Uint8Array): Promise<number> {
    const peers = this.getPeers()
    for (const to of peers) this.out(to, message)
    return peers.length
  }

  async send (peerId: string, message: Uint8Array): Promise<void> {
    this.out(peerId, message)
  }

  private out (to: string, bytes: Uint8Array): void {
    if (this.held !== undefined) this.held.push({ to, bytes })
    else this.network.post(this.peerId, to, bytes)
  }

  getPeers (): string[] {
    return this.network.members.filter(id => id !== this.peerId)
  }

  getTopologyInfo (): TopologyInfo {
    const agentCount = this.network.members.length
    return { type: 'explored', agentCount, connectionCount: (agentCount * (agentCount - 1)) / 2, health: 'healthy' }
  }
}
