/**
 * Staying connected to a list of peers (an agent's hubs, a hub's backbone peers): dial them in
 * order of preference, keep `connections` of them connected, fail over to the next one at once
 * when one goes away or cannot be reached, and retry the preferred ones with backoff until they
 * are back.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { WebSockets, WebSocketsSecure } from '@multiformats/multiaddr-matcher'
import type { Clock } from '../clock.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** A peer to stay connected to: its PeerId and the addresses it was given at. */
export interface KeptPeer {
  /** the PeerId the addresses end in */
  peerId: string
  /** its addresses, in the order given */
  addrs: Multiaddr[]
}

/**
 * Parse websocket multiaddrs ending in `/p2p/<peer id>` into one {@link KeptPeer} per PeerId, in
 * the order first given; `what` names them in errors (`hub address`, `peer address`). Throws
 * `InvalidParametersError` saying which address is wrong and why.
 */
export function parsePeerAddresses (texts: unknown, what: string): KeptPeer[] {
  if (!Array.isArray(texts)) throw new InvalidParametersError(`${what}es must be an array of multiaddr strings`)
  const peers = new Map<string, KeptPeer>()
  for (const text of texts) {
    if (typeof text !== 'string') {
      throw new InvalidParametersError(`${what} ${String(text)} is not a string; expected a multiaddr such as /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW…`)
    }
    let addr: Multiaddr
    try {
      addr = multiaddr(text)
    } catch (err) {
      throw new InvalidParametersError(`${what} ${JSON.stringify(text)} is not a multiaddr: ${(err as Error).message}`)
    }
    const peerId = addr.getComponents().findLast(c => c.name === 'p2p')?.value
    if (peerId === undefined) throw new InvalidParametersError(`${what} ${text} must end in /p2p/<peer id> so the node knows whom it reaches`)
    if (!WebSockets.matches(addr) && !WebSocketsSecure.matches(addr)) {
      throw new InvalidParametersError(`${what} ${text} is not a websocket address (…/ws or …/wss)`)
    }
    const known = peers.get(peerId)
    if (known === undefined) peers.set(peerId, { peerId, addrs: [addr] })
    else known.addrs.push(addr)
  }
  return [...peers.values()]
}

/** `redialDelayMs` as given, or its default 1000; throws `InvalidParametersError` unless a finite number > 0. */
export function checkRedialDelay (redialDelayMs: number | undefined): number {
  const delay = redialDelayMs ?? DEFAULT_REDIAL_DELAY_MS
  if (typeof delay !== 'number' || !(delay > 0) || !Number.isFinite(delay)) {
    throw new InvalidParametersError(`redialDelayMs must be a finite number > 0, got ${String(redialDelayMs)}`)
  }
  return delay
}

/** The default first retry delay of a peer that dropped or failed. */
export const DEFAULT_REDIAL_DELAY_MS = 1000

/** Options of {@link ConnectionKeeper}. */
export interface ConnectionKeeperInit {
  /**
   * How many of the peers to keep connected at once: the first ones in order that answer.
   *
   * @default every peer
   */
  connections?: number
  /** Delay before the first retry of a peer that failed or dropped; doubles while it keeps failing. */
  baseDelayMs: number
  /**
   * The longest delay between two retries of one peer.
   *
   * @default 30000
   */
  maxDelayMs?: number
  /**
   * Once a preferred peer is back, a connection to a less preferred one beyond `connections` is
   * closed after this long (so messages in flight on it arrive, and the new link is up first).
   *
   * @default baseDelayMs
   */
  settleMs?: number
  /** Where the retry timers run. */
  clock: Clock
}

/** The default {@link ConnectionKeeperInit.maxDelayMs}. */
export const MAX_REDIAL_DELAY_MS = 30_000

/** What a {@link ConnectionKeeper} uses of the libp2p node. */
export type KeeperNode = Pick<Libp2p, 'status' | 'dial' | 'hangUp' | 'getConnections' | 'addEventListener' | 'removeEventListener'>

/**
 * Keeps a node connected to `connections` of `peers`, preferring them in the order given.
 *
 * - At start it dials the first `connections` peers; one that fails is replaced by the next in
 *   order at once (failover), and so on down the list.
 * - When a connected peer goes away, the next one not connected is dialed at once.
 * - A preferred peer (among the first `connections`) that is not connected is retried with
 *   backoff (`baseDelayMs`, doubling up to `maxDelayMs`) for as long as the keeper runs. When it
 *   is back, the least preferred surplus connection is closed after `settleMs`: the node moves
 *   back, so that a swarm spread over its hubs by preference spreads the same way again. Only
 *   connections the keeper dialed itself are closed so: one that something else opened to a kept
 *   peer (a WebRTC dial through that hub's circuit relay) stays.
 * - Other peers are dialed only while fewer than `connections` are connected; one that failed
 *   waits out its backoff before it is tried again.
 */
export class ConnectionKeeper {
  readonly [Symbol.toStringTag] = 'libp2p-consensus/connection-keeper'
  private readonly node: KeeperNode
  private readonly peers: readonly KeptPeer[]
  private readonly keep: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly settleMs: number
  private readonly clock: Clock
  private readonly dialing = new Set<string>()
  /** peers waiting out a backoff, with the timer that ends it */
  private readonly waiting = new Map<string, unknown>()
  private readonly delays = new Map<string, number>()
  private readonly tried = new Set<string>()
  /**
   * peers this keeper dialed and that are still connected: only those count as surplus. A
   * connection something else opened to one of the peers (a WebRTC dial through that hub's relay,
   * say) is not the keeper's to close.
   */
  private readonly ours = new Set<string>()
  /** peers whose connection this keeper closed itself (not a failure: no backoff) */
  private readonly hungUp = new Set<string>()
  private surplusTimer: unknown
  private running = false
  private readyResolve: (() => void) | undefined

  constructor (node: KeeperNode, peers: readonly KeptPeer[], init: ConnectionKeeperInit) {
    this.node = node
    this.peers = peers
    const connections = init.connections ?? peers.length
    this.keep = Math.min(connections, peers.length)
    this.baseDelayMs = init.baseDelayMs
    this.maxDelayMs = init.maxDelayMs ?? MAX_REDIAL_DELAY_MS
    this.settleMs = init.settleMs ?? init.baseDelayMs
    this.clock = init.clock
  }

  /**
   * Start keeping the peers connected. Resolves once `connections` of them are connected, or every
   * peer was tried once (those that failed are retried in the background); never rejects.
   */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    this.node.addEventListener('peer:connect', this.onConnect)
    const ready = new Promise<void>(resolve => { this.readyResolve = resolve })
    this.reconcile()
    await ready
  }

  /** Stop: cancel every retry (connections stay open; stopping the node closes them). */
  stop (): void {
    this.running = false
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    this.node.removeEventListener('peer:connect', this.onConnect)
    for (const timer of this.waiting.values()) this.clock.clearTimeout(timer)
    this.waiting.clear()
    if (this.surplusTimer !== undefined) this.clock.clearTimeout(this.surplusTimer)
    this.surplusTimer = undefined
    this.readyResolve?.()
  }

  /** PeerIds of the kept peers connected now, most preferred first. */
  connected (): string[] {
    const open = new Set(this.node.getConnections().map(c => c.remotePeer.toString()))
    return this.peers.filter(p => open.has(p.peerId)).map(p => p.peerId)
  }

  /** The kept peers' PeerIds, most preferred first. */
  get order (): string[] {
    return this.peers.map(p => p.peerId)
  }

  private get active (): boolean {
    return this.running && this.node.status === 'started'
  }

  private find (peerId: PeerId): KeptPeer | undefined {
    const id = peerId.toString()
    return this.peers.find(p => p.peerId === id)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = this.find(evt.detail)
    if (peer === undefined) return
    this.ours.delete(peer.peerId)
    // a peer that just went away is not dialed again at once (it would most likely fail): it waits
    // out its backoff while the next one takes its place
    if (!this.hungUp.delete(peer.peerId)) this.backOff(peer)
    this.reconcile()
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    if (this.find(evt.detail) !== undefined) this.reconcile()
  }

  private reconcile (): void {
    if (!this.active) {
      this.checkReady([])
      return
    }
    const connected = this.connected()
    const isConnected = new Set(connected)
    // preferred peers are dialed whenever they are free to be; others only to make up the number
    this.peers.slice(0, this.keep).forEach(peer => {
      if (!isConnected.has(peer.peerId) && this.free(peer)) this.dial(peer)
    })
    let wanted = this.keep - connected.length - this.dialing.size
    for (const peer of this.peers) {
      if (wanted <= 0) break
      if (isConnected.has(peer.peerId) || !this.free(peer)) continue
      this.dial(peer)
      wanted--
    }
    if (this.surplus().length > 0) this.scheduleSurplusHangUp()
    this.checkReady(connected)
  }

  /** Not connected-or-dialing, and not waiting out a backoff. */
  private free (peer: KeptPeer): boolean {
    return !this.dialing.has(peer.peerId) && !this.waiting.has(peer.peerId)
  }

  private dial (peer: KeptPeer): void {
    this.dialing.add(peer.peerId)
    this.tried.add(peer.peerId)
    this.node.dial(peer.addrs).then(() => {
      this.delays.delete(peer.peerId)
      this.ours.add(peer.peerId)
    }, () => {
      this.backOff(peer)
    }).finally(() => {
      this.dialing.delete(peer.peerId)
      this.reconcile()
    })
  }

  /** Make `peer` wait before it is dialed again: `baseDelayMs`, doubling while it keeps failing. */
  private backOff (peer: KeptPeer): void {
    if (!this.active || this.waiting.has(peer.peerId)) return
    const delay = this.delays.get(peer.peerId) ?? this.baseDelayMs
    this.delays.set(peer.peerId, Math.min(delay * 2, this.maxDelayMs))
    this.waiting.set(peer.peerId, this.clock.setTimeout(() => {
      this.waiting.delete(peer.peerId)
      this.reconcile()
    }, delay))
  }

  private scheduleSurplusHangUp (): void {
    if (this.surplusTimer !== undefined) return
    this.surplusTimer = this.clock.setTimeout(() => {
      this.surplusTimer = undefined
      if (!this.active) return
      for (const peerId of this.surplus()) {
        const peer = this.peers.find(p => p.peerId === peerId)
        if (peer === undefined) continue
        this.hungUp.add(peerId)
        this.node.hangUp(peer.addrs[0] as Multiaddr).catch(() => { this.hungUp.delete(peerId) })
      }
    }, this.settleMs)
  }

  /** Connections this keeper made beyond `connections`, least preferred last: the ones to close. */
  private surplus (): string[] {
    return this.connected().filter(id => this.ours.has(id)).slice(this.keep)
  }

  private checkReady (connected: string[]): void {
    if (this.readyResolve === undefined) return
    const settled = connected.length >= this.keep || (this.dialing.size === 0 && this.peers.every(p => this.tried.has(p.peerId)))
    if (!settled && this.active) return
    this.readyResolve()
    this.readyResolve = undefined
  }
}
