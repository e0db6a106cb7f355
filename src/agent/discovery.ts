/**
 * How WebRTC peers find and dial each other: every node subscribes to the namespace's peer topic
 * (so hubs relay it), a node with WebRTC addresses announces them there in a signed record, and a
 * node with WebRTC on dials the peers it hears of, up to `maxDirectLinks` direct links.
 *
 * Modelled on `@libp2p/pubsub-peer-discovery`, which we do not use as is: our gossipsub runs
 * `StrictNoSign` with content-hash message ids, so its repeated, byte-identical announcements are
 * dropped as duplicates for two minutes (seen cache) and its `void publish()` rejects unhandled
 * with `PublishError.Duplicate`. Our record carries a sequence number and the node's signature.
 *
 * Who dials: the peer whose PeerId sorts first, so two tabs that hear of each other at once open
 * one connection, not two. The other one answers a record it will not dial with its own record,
 * rate-limited, so that the first learns its address even if it missed the last announcement.
 * A node stops announcing while it has `maxDirectLinks` links and closes inbound WebRTC links
 * beyond that: 300 tabs open about 300 × maxDirectLinks / 2 links, not 300².
 */
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { InvalidParametersError, peerDiscoverySymbol, serviceCapabilities, TimeoutError, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { decode, encode } from 'cborg'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { isWebRTCLink } from './webrtc.js'
import type {
  ComponentLogger, Connection, Libp2pEvents, Logger, PeerDiscovery, PeerDiscoveryEvents, PeerId, PeerInfo,
  PrivateKey, Startable, TypedEventTarget
} from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'
import { PubSubValidatorResult, type PubSubTopicValidator } from '../libp2p/pubsub.js'

/** The peer topic beside a consensus topic (`libp2p-consensus/v2/<namespace>/webrtc-peers`). */
export function peersTopicFor (consensusTopic: string): string {
  return `${consensusTopic}/webrtc-peers`
}

/** Options of {@link webrtcPeers}; every field is optional. */
export interface WebRTCPeersInit {
  /**
   * The topic records travel on.
   *
   * @default peersTopicFor('libp2p-consensus/v2/default')
   */
  topic?: string
  /**
   * Dial the WebRTC peers heard of (a node with WebRTC on); off, the node only relays records.
   *
   * @default false
   */
  dial?: boolean
  /**
   * Most direct WebRTC links (dialed and accepted) a node keeps. With a hub or two beside them this
   * stays under gossipsub's leaf `Dhi` (12), so the mesh never prunes and the hub stays in it.
   *
   * @default 8
   */
  maxDirectLinks?: number
  /**
   * How often a node below `maxDirectLinks` announces its WebRTC addresses (it also announces when
   * they change and, at most once per `minAnnounceGapMs`, when asked by a record it will not dial).
   *
   * @default 10000
   */
  announceIntervalMs?: number
  /**
   * Least time between two announcements.
   *
   * @default 1000
   */
  minAnnounceGapMs?: number
  /**
   * A WebRTC dial (signalling through the relay, then ICE) gives up after this long.
   *
   * @default 10000
   */
  dialTimeoutMs?: number
  /**
   * After a failed dial, the same peer is not dialed again for this long (no ICE path between
   * the two stays so: they keep talking through the hub).
   *
   * @default 10000
   */
  retryAfterMs?: number
}

/** The pubsub router as this service uses it (structural, like `@libp2p/pubsub-peer-discovery`'s). */
export interface PeersPubSub {
  topicValidators: Map<string, PubSubTopicValidator>
  subscribe (topic: string): void
  unsubscribe (topic: string): void
  getSubscribers (topic: string): PeerId[]
  publish (topic: string, data?: Uint8Array): Promise<unknown>
}

/** What {@link WebRTCPeers} needs from the node. */
export interface WebRTCPeersComponents {
  peerId: PeerId
  privateKey: PrivateKey
  addressManager: Pick<AddressManager, 'getAddresses'>
  connectionManager: Pick<ConnectionManager, 'openConnection' | 'getConnections'>
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  pubsub?: PeersPubSub
}

/** What the `webrtcPeers` service of a node did so far, for tests, diagnostics and the demo. */
export interface WebRTCPeersCounters {
  /** records of this node published */
  announced: number
  /** records of other peers accepted (well formed, well signed, newer than the last one seen) */
  recordsAccepted: number
  /** records rejected (malformed or badly signed: not forwarded) */
  recordsRejected: number
  /** WebRTC dials started */
  dials: number
  /** WebRTC dials that failed (the two peers keep talking through the hubs) */
  dialFailures: number
  /** inbound WebRTC links closed because this node had `maxDirectLinks` already */
  inboundClosed: number
}

/** The `webrtcPeers` service of a node (`node.services.webrtcPeers`), as users see it. */
export interface WebRTCPeersStatus {
  /** The topic the peer records travel on (`<consensus topic>/webrtc-peers`). */
  readonly topic: string
  /** Most direct WebRTC links the node keeps. */
  readonly maxDirectLinks: number
  /** What the service did so far. */
  readonly counters: Readonly<WebRTCPeersCounters>
  /** Why the last failed WebRTC dial failed, if one did. */
  readonly lastDialError: string | undefined
  /** The node's open direct WebRTC links. */
  directLinks: () => Connection[]
}

const DOMAIN = uint8ArrayFromString('libp2p-consensus/webrtc-peer-record/v1\n')
const MAX_RECORD_BYTES = 4096
const MAX_ADDRS = 16
const MAX_REMEMBERED_PEERS = 4096
/**
 * WebRTC dials in flight at once. Dialing every peer heard of at once (a tab that joins hears of
 * all the others within a second) made a share of the signalling exchanges time out in Chromium.
 */
const MAX_PARALLEL_DIALS = 1

/** A decoded, verified record. */
interface PeerRecordMessage { peerId: PeerId, addrs: Multiaddr[], seq: number }

/** Whether an address is a WebRTC address through a relay (what a tab listens on). */
function isWebRTCCircuit (addr: Multiaddr): boolean {
  const names = addr.getComponents().map(c => c.name)
  return names.includes('p2p-circuit') && names.includes('webrtc')
}

function positiveInteger (name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback
  if (!Number.isInteger(chosen) || chosen < 0) throw new InvalidParametersError(`${name} must be an integer ≥ 0, got ${String(value)}`)
  return chosen
}

/** The service behind {@link webrtcPeers}. */
export class WebRTCPeers extends TypedEventEmitter<PeerDiscoveryEvents> implements PeerDiscovery, Startable, WebRTCPeersStatus {
  readonly [peerDiscoverySymbol] = this
  readonly [Symbol.toStringTag] = 'libp2p-consensus/webrtc-peers'
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-discovery']

  /** The topic records travel on. */
  readonly topic: string
  /** Most direct WebRTC links this node keeps. */
  readonly maxDirectLinks: number
  /** What the service did so far. */
  readonly counters: WebRTCPeersCounters = { announced: 0, recordsAccepted: 0, recordsRejected: 0, dials: 0, dialFailures: 0, inboundClosed: 0 }

  private readonly components: WebRTCPeersComponents
  private readonly dial: boolean
  private readonly announceIntervalMs: number
  private readonly minAnnounceGapMs: number
  private readonly dialTimeoutMs: number
  private readonly retryAfterMs: number
  private readonly log: Logger
  /** the highest sequence number seen per peer: older records are replays */
  private readonly lastSeq = new Map<string, number>()
  private readonly dialing = new Set<string>()
  /** records waiting for a dial slot, oldest first */
  private readonly queued = new Map<string, PeerRecordMessage>()
  private readonly failedAt = new Map<string, number>()
  /** when this node last answered a peer's record with its own (once per announce interval per peer) */
  private readonly answeredAt = new Map<string, number>()
  /** Why the last failed dial failed (diagnostics: WebRTC failures are otherwise silent, by design). */
  lastDialError: string | undefined
  private seq = 0
  private lastAnnounce = 0
  private interval: ReturnType<typeof setInterval> | undefined
  private pendingAnnounce: ReturnType<typeof setTimeout> | undefined
  private running = false

  constructor (components: WebRTCPeersComponents, init: WebRTCPeersInit = {}) {
    super()
    this.components = components
    this.topic = init.topic ?? peersTopicFor('libp2p-consensus/v2/default')
    if (typeof this.topic !== 'string' || this.topic === '') {
      throw new InvalidParametersError(`topic must be a non-empty string, got ${JSON.stringify(init.topic)}`)
    }
    this.dial = init.dial ?? false
    this.maxDirectLinks = positiveInteger('maxDirectLinks', init.maxDirectLinks, 8)
    this.announceIntervalMs = positiveInteger('announceIntervalMs', init.announceIntervalMs, 10_000)
    this.minAnnounceGapMs = positiveInteger('minAnnounceGapMs', init.minAnnounceGapMs, 1000)
    this.dialTimeoutMs = positiveInteger('dialTimeoutMs', init.dialTimeoutMs, 10_000)
    this.retryAfterMs = positiveInteger('retryAfterMs', init.retryAfterMs, 10_000)
    if (this.announceIntervalMs === 0) throw new InvalidParametersError('announceIntervalMs must be > 0')
    this.log = components.logger.forComponent('libp2p:consensus:webrtc-peers')
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
  }

  /** Nothing to set up before the other services run. */
  start (): void {}

  /** Subscribe to the topic and start announcing (pubsub is started by now). */
  afterStart (): void {
    const pubsub = this.pubsub()
    this.running = true
    pubsub.topicValidators.set(this.topic, this.validate)
    pubsub.subscribe(this.topic)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.interval = setInterval(() => { this.announce() }, this.announceIntervalMs)
    // a Node process is not kept alive by announcements alone (browsers' timers are plain numbers)
    const timer: unknown = this.interval
    if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref()
    this.announce()
  }

  /** Unsubscribe while pubsub still runs. */
  beforeStop (): void {
    this.running = false
    const pubsub = this.components.pubsub
    if (pubsub !== undefined) {
      pubsub.unsubscribe(this.topic)
      if (pubsub.topicValidators.get(this.topic) === this.validate) pubsub.topicValidators.delete(this.topic)
    }
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
  }

  /** Stop the timers. */
  stop (): void {
    clearInterval(this.interval)
    clearTimeout(this.pendingAnnounce)
    this.interval = undefined
    this.pendingAnnounce = undefined
    this.queued.clear()
    this.answeredAt.clear()
  }

  /** This node's open direct WebRTC links. */
  directLinks (): Connection[] {
    return this.components.connectionManager.getConnections().filter(c => c.status === 'open' && isWebRTCLink(c))
  }

  private pubsub (): PeersPubSub {
    const pubsub = this.components.pubsub
    if (pubsub === undefined) throw new InvalidParametersError('webrtcPeers needs a pubsub service named `pubsub`')
    return pubsub
  }

  private ownWebRTCAddrs (): Multiaddr[] {
    return this.components.addressManager.getAddresses().filter(isWebRTCCircuit).slice(0, MAX_ADDRS)
  }

  private onSelfUpdate (): void {
    this.announce()
  }

  /** Announce this node's WebRTC addresses now, or as soon as the minimum gap allows. */
  private announce (): void {
    if (!this.running || this.pendingAnnounce !== undefined) return
    const wait = this.lastAnnounce + this.minAnnounceGapMs - Date.now()
    if (wait > 0) {
      this.pendingAnnounce = setTimeout(() => {
        this.pendingAnnounce = undefined
        this.announce()
      }, wait)
      return
    }
    const addrs = this.ownWebRTCAddrs()
    // nothing to offer (a hub, a Node agent, a tab without a relay slot yet), or no room for more links
    if (addrs.length === 0 || this.directLinks().length >= this.maxDirectLinks) return
    const pubsub = this.pubsub()
    if (pubsub.getSubscribers(this.topic).length === 0) return
    this.lastAnnounce = Date.now()
    void this.sealRecord(addrs).then(async record => pubsub.publish(this.topic, record)).then(() => {
      this.counters.announced++
    }, err => {
      this.log('could not announce - %e', err)
    })
  }

  private async sealRecord (addrs: Multiaddr[]): Promise<Uint8Array> {
    // strictly increasing: two records never have the same bytes (gossipsub ids are content hashes)
    this.seq = Math.max(this.seq + 1, Date.now())
    const body = encode({ key: publicKeyToProtobuf(this.components.privateKey.publicKey), addrs: addrs.map(a => a.bytes), seq: this.seq })
    const signature = await this.components.privateKey.sign(uint8ArrayConcat([DOMAIN, body]))
    return encode({ body, signature })
  }

  /**
   * Every record passes here once (gossipsub drops duplicates first): a well-formed, well-signed
   * one is acted on and forwarded, any other is rejected so it goes no further.
   */
  private readonly validate = async (_peer: PeerId, message: { data: Uint8Array }): Promise<PubSubValidatorResult> => {
    const record = await openRecord(message.data)
    if (record === undefined) {
      this.counters.recordsRejected++
      return PubSubValidatorResult.Reject
    }
    if (this.running) this.onRecord(record)
    return PubSubValidatorResult.Accept
  }

  private onRecord (record: PeerRecordMessage): void {
    const peer = record.peerId.toString()
    if (record.peerId.equals(this.components.peerId)) return
    if ((this.lastSeq.get(peer) ?? -1) >= record.seq) return
    if (this.lastSeq.size >= MAX_REMEMBERED_PEERS) this.lastSeq.delete(this.lastSeq.keys().next().value as string)
    this.lastSeq.set(peer, record.seq)
    this.counters.recordsAccepted++
    // libp2p adds a discovered peer's addresses to its peer store
    const info: PeerInfo = { id: record.peerId, multiaddrs: record.addrs }
    this.safeDispatchEvent('peer', { detail: info })
    if (this.dial) this.maybeDial(record)
  }

  private maybeDial (record: PeerRecordMessage): void {
    const peer = record.peerId.toString()
    const links = this.directLinks()
    if (links.some(c => c.remotePeer.equals(record.peerId)) || this.dialing.has(peer)) return
    if (links.length + this.dialing.size >= this.maxDirectLinks) return
    // the PeerId that sorts first dials; the other answers with its record so the first hears of it
    if (this.components.peerId.toString() > peer) {
      const answered = this.answeredAt.get(peer)
      if (answered === undefined || Date.now() - answered >= this.announceIntervalMs) {
        if (this.answeredAt.size >= MAX_REMEMBERED_PEERS) this.answeredAt.delete(this.answeredAt.keys().next().value as string)
        this.answeredAt.set(peer, Date.now())
        this.announce()
      }
      return
    }
    const failed = this.failedAt.get(peer)
    if (failed !== undefined && Date.now() - failed < this.retryAfterMs) return
    const addrs = record.addrs.filter(isWebRTCCircuit)
    if (addrs.length === 0) return
    if (this.dialing.size >= MAX_PARALLEL_DIALS) {
      // the newest record of a peer waits its turn
      this.queued.delete(peer)
      this.queued.set(peer, record)
      return
    }
    this.dialing.add(peer)
    this.counters.dials++
    this.dialWithin(addrs).then(connection => {
      this.failedAt.delete(peer)
      this.log('direct link to %s over %a', peer, connection.remoteAddr)
    }, err => {
      this.counters.dialFailures++
      this.failedAt.set(peer, Date.now())
      this.lastDialError = `${peer}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
      this.log('no direct link to %s (messages keep going through the hub) - %e', peer, err)
    }).finally(() => {
      this.dialing.delete(peer)
      const next = this.queued.values().next()
      if (next.done !== true) {
        this.queued.delete(next.value.peerId.toString())
        if (this.running) this.maybeDial(next.value)
      }
    })
  }

  /**
   * Dial, giving up after `dialTimeoutMs` even if the dial ignores its abort signal: one dial slot
   * held forever would stop this node from dialing anyone else.
   */
  private async dialWithin (addrs: Multiaddr[]): Promise<Connection> {
    const signal = AbortSignal.timeout(this.dialTimeoutMs)
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new TimeoutError(`no WebRTC connection within ${this.dialTimeoutMs} ms`)) }, this.dialTimeoutMs + 1000)
    })
    try {
      return await Promise.race([this.components.connectionManager.openConnection(addrs, { signal }), deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Close inbound WebRTC links beyond the cap (others dial us; we only bound what we accept). */
  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const connection = evt.detail
    if (connection.direction !== 'inbound' || !isWebRTCLink(connection)) return
    if (this.directLinks().length <= this.maxDirectLinks) return
    this.counters.inboundClosed++
    this.log('over %d direct links, closing the one from %p', this.maxDirectLinks, connection.remotePeer)
    void connection.close().catch(err => { connection.abort(err instanceof Error ? err : new Error(String(err))) })
  }
}

/** Decode and verify a record; `undefined` when it is malformed or its signature does not hold. */
async function openRecord (data: Uint8Array): Promise<PeerRecordMessage | undefined> {
  try {
    if (data.byteLength > MAX_RECORD_BYTES) return undefined
    const outer: unknown = decode(data)
    if (!isPlainObject(outer, ['body', 'signature'])) return undefined
    const { body, signature } = outer
    if (!(body instanceof Uint8Array) || !(signature instanceof Uint8Array)) return undefined
    const inner: unknown = decode(body)
    if (!isPlainObject(inner, ['addrs', 'key', 'seq'])) return undefined
    const { key, addrs, seq } = inner
    if (!(key instanceof Uint8Array) || !Array.isArray(addrs) || addrs.length > MAX_ADDRS || !Number.isSafeInteger(seq)) return undefined
    if (!addrs.every(a => a instanceof Uint8Array)) return undefined
    const publicKey = publicKeyFromProtobuf(key)
    if (!(await publicKey.verify(uint8ArrayConcat([DOMAIN, body]), signature))) return undefined
    return { peerId: peerIdFromPublicKey(publicKey), addrs: (addrs as Uint8Array[]).map(a => multiaddr(a)), seq: seq as number }
  } catch {
    return undefined
  }
}

function isPlainObject<K extends string> (value: unknown, keys: K[]): value is Record<K, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false
  const own = Object.keys(value).sort()
  return own.length === keys.length && own.every((k, i) => k === [...keys].sort()[i])
}

/**
 * A libp2p service that announces this node's WebRTC addresses on the peer topic and dials the
 * WebRTC peers it hears of (see the module comment). `createConsensusNode` adds it as `webrtcPeers`.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   services: { identify: identify(), pubsub: consensusGossipsub(), webrtcPeers: webrtcPeers({ dial: true }) }
 * })
 * ```
 */
export function webrtcPeers (init: WebRTCPeersInit = {}): (components: WebRTCPeersComponents) => WebRTCPeers {
  return components => new WebRTCPeers(components, init)
}
