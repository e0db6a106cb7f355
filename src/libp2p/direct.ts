/**
 * A small point-to-point protocol for pull requests and their replies: each `send` writes one
 * length-prefixed frame to one peer. Nothing is acknowledged; a frame that cannot be written is
 * logged and dropped, because pull sync asks again.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { LengthPrefixedDecoder, lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_INBOUND_FRAMES_PER_SECOND,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_SEND_TIMEOUT_MS,
  DIRECT_PROTOCOL
} from './constants.js'
import { systemClock, type Clock } from '../clock.js'
import { PeerLimiter } from '../limiter.js'
import type { ComponentLogger, Connection, Logger, PeerId, Startable, Stream, StreamMessageEvent } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

/** What the direct protocol (`DirectMessaging`) needs from the node: only what it uses. */
export interface DirectMessagingComponents {
  /** to handle the direct protocol, from start to stop */
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  /** to open streams to peers and see whether one is connected */
  connectionManager: Pick<ConnectionManager, 'openStream' | 'getConnections'>
  /** for the component's log (`libp2p:consensus:direct`) */
  logger: ComponentLogger
}

/** Limits and knobs of the direct (pull) protocol, `DirectMessaging`; every field is optional. */
export interface DirectMessagingInit {
  /**
   * Protocol id to register and dial.
   *
   * @default '/libp2p-consensus/direct/2.0.0'
   */
  protocol?: string
  /**
   * Largest frame sent or accepted, in bytes; a larger inbound frame resets the stream.
   *
   * @default 524288 (512 KiB)
   */
  maxFrameBytes?: number
  /**
   * Inbound frames accepted per peer per second (over all its streams), as a token bucket that
   * holds at most one second's worth; the excess is dropped.
   *
   * @default 1024
   */
  maxInboundFramesPerSecond?: number
  /**
   * An outbound stream unused this long is closed; an inbound one is closed by its opener (and
   * aborted after twice this long without traffic, should the opener vanish).
   *
   * @default 30000
   */
  idleTimeoutMs?: number
  /**
   * Opening a stream, or waiting for a full write buffer to drain, gives up after this long.
   *
   * @default 5000
   */
  sendTimeoutMs?: number
  /**
   * Bytes that may wait in one outbound stream's write buffer; frames beyond are dropped.
   *
   * @default 4194304 (4 MiB)
   */
  maxQueuedBytes?: number
  /**
   * Dial a peer this node has no connection to. Off by default: pulls go to peers we already
   * talk to, and a dial to an unreachable peer (a browser, a leaf behind a hub) only wastes time.
   *
   * @default false
   */
  dialUnconnected?: boolean
  /**
   * Streams of this protocol per connection and direction.
   *
   * @default 4
   */
  maxStreamsPerConnection?: number
}

/** Receives each inbound frame with the sender's PeerId string. */
export type DirectFrameHandler = (frame: Uint8Array, from: string) => void | Promise<void>

/** Counts of the direct (pull) protocol since the service was made. */
export interface DirectCounters {
  /** frames written to a stream */
  sent: number
  /** frames not sent: too large, not started, unknown or unreachable peer, full buffer, write error */
  dropped: number
  /** inbound frames handed to the frame handler */
  received: number
  /** inbound frames dropped by the rate limit */
  refused: number
}

interface OutboundChannel {
  stream: Stream
  writer: LengthPrefixedStream<Stream>
  lastUsed: number
}

function positiveInteger (value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n <= 0) throw new InvalidParametersError(`${name} must be a positive integer, got ${String(value)}`)
  return n
}

/**
 * Point-to-point frames over libp2p streams, one reused outbound stream per peer.
 *
 * @example
 * ```ts
 * const direct = new DirectMessaging(components, (frame, from) => { handle(frame, from) }, { maxFrameBytes: 64 * 1024 })
 * await direct.start()
 * await direct.send(peerId, bytes) // true if written; never throws
 * ```
 */
export class DirectMessaging implements Startable {
  readonly [Symbol.toStringTag] = 'libp2p-consensus/direct'
  readonly protocol: string
  readonly counters: DirectCounters = { sent: 0, dropped: 0, received: 0, refused: 0 }
  private readonly components: DirectMessagingComponents
  private readonly onFrame: DirectFrameHandler
  private readonly log: Logger
  private readonly maxFrameBytes: number
  private readonly maxInboundFramesPerSecond: number
  private readonly idleTimeoutMs: number
  private readonly sendTimeoutMs: number
  private readonly maxQueuedBytes: number
  private readonly dialUnconnected: boolean
  private readonly maxStreamsPerConnection: number
  private readonly outbound = new Map<string, OutboundChannel>()
  private readonly opening = new Map<string, Promise<OutboundChannel | undefined>>()
  /** inbound streams and when each last carried a frame */
  private readonly inbound = new Map<Stream, number>()
  private readonly clock: Clock
  private inboundFrames: PeerLimiter
  /** peers whose frames are being refused now: their first refusal is logged, the rest are not */
  private readonly refusing = new Set<string>()
  private sweepTimer: unknown
  private started = false

  constructor (components: DirectMessagingComponents, onFrame: DirectFrameHandler, init: DirectMessagingInit = {}, clock: Clock = systemClock) {
    this.components = components
    this.clock = clock
    this.onFrame = onFrame
    this.log = components.logger.forComponent('libp2p:consensus:direct')
    this.protocol = init.protocol ?? DIRECT_PROTOCOL
    this.maxFrameBytes = positiveInteger(init.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes')
    this.maxInboundFramesPerSecond = positiveInteger(init.maxInboundFramesPerSecond, DEFAULT_MAX_INBOUND_FRAMES_PER_SECOND, 'maxInboundFramesPerSecond')
    this.idleTimeoutMs = positiveInteger(init.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs')
    this.sendTimeoutMs = positiveInteger(init.sendTimeoutMs, DEFAULT_SEND_TIMEOUT_MS, 'sendTimeoutMs')
    this.maxQueuedBytes = positiveInteger(init.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 'maxQueuedBytes')
    this.maxStreamsPerConnection = positiveInteger(init.maxStreamsPerConnection, DEFAULT_MAX_STREAMS_PER_CONNECTION, 'maxStreamsPerConnection')
    this.dialUnconnected = init.dialUnconnected ?? false
    this.inboundFrames = this.newInboundLimiter()
  }

  private newInboundLimiter (): PeerLimiter {
    return new PeerLimiter({ clock: this.clock, ratePerSecond: this.maxInboundFramesPerSecond, burst: this.maxInboundFramesPerSecond })
  }

  /** Whether `start` has run and `stop` has not. */
  isStarted (): boolean {
    return this.started
  }

  /** Register the protocol handler and start closing idle streams. */
  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(this.protocol, (stream, connection) => { this.onInboundStream(stream, connection) }, {
      maxInboundStreams: this.maxStreamsPerConnection,
      maxOutboundStreams: this.maxStreamsPerConnection
    })
    this.started = true
    this.scheduleSweep()
  }

  private scheduleSweep (): void {
    this.sweepTimer = this.clock.setTimeout(() => {
      if (!this.started) return
      this.sweep()
      this.scheduleSweep()
    }, Math.max(250, Math.floor(this.idleTimeoutMs / 2)))
    // a pending sweep must not keep a Node process alive (browsers' timers are plain numbers)
    const timer = this.sweepTimer
    if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref()
  }

  /** Unregister the handler and close every stream of this protocol. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.clock.clearTimeout(this.sweepTimer)
    this.sweepTimer = undefined
    await this.components.registrar.unhandle(this.protocol)
    const closing = [...this.outbound.values()].map(async channel => this.closeStream(channel.stream))
    this.outbound.clear()
    for (const stream of this.inbound.keys()) stream.abort(new Error('direct messaging stopped'))
    this.inbound.clear()
    this.inboundFrames = this.newInboundLimiter()
    this.refusing.clear()
    await Promise.all(closing)
  }

  /**
   * Write one frame to `peerId`. Resolves `true` once the frame is handed to the stream, `false`
   * if it was dropped (the reason is logged); never rejects.
   */
  async send (peerId: string, frame: Uint8Array): Promise<boolean> {
    if (!this.started) return this.drop('not started, dropping frame to %s', peerId)
    if (frame.byteLength > this.maxFrameBytes) {
      return this.drop('frame of %d bytes to %s is over the %d byte limit', frame.byteLength, peerId, this.maxFrameBytes)
    }
    const channel = await this.channel(peerId)
    if (channel === undefined) return this.drop('no stream to %s, dropping frame', peerId)
    if (channel.stream.writeBufferLength + frame.byteLength > this.maxQueuedBytes) {
      return this.drop('%d bytes already queued to %s, dropping frame', channel.stream.writeBufferLength, peerId)
    }
    try {
      channel.lastUsed = this.clock.now()
      await channel.writer.write(frame, { signal: AbortSignal.timeout(this.sendTimeoutMs) })
      this.counters.sent++
      return true
    } catch (err) {
      // a stream that failed mid-write is in an unknown state: do not reuse it
      this.forget(peerId, channel)
      channel.stream.abort(err instanceof Error ? err : new Error(String(err)))
      return this.drop('write to %s failed - %e', peerId, err)
    }
  }

  /** Peers with an open outbound stream (for tests and diagnostics). */
  get openStreams (): string[] {
    return [...this.outbound.keys()]
  }

  private drop (format: string, ...args: unknown[]): false {
    this.counters.dropped++
    this.log(format, ...args)
    return false
  }

  private async channel (peerId: string): Promise<OutboundChannel | undefined> {
    const open = this.outbound.get(peerId)
    if (open !== undefined && open.stream.writeStatus === 'writable') return open
    if (open !== undefined) this.forget(peerId, open)
    let pending = this.opening.get(peerId)
    if (pending === undefined) {
      // concurrent sends to one peer share one stream opening
      pending = this.openChannel(peerId).finally(() => this.opening.delete(peerId))
      this.opening.set(peerId, pending)
    }
    return pending
  }

  private async openChannel (peerIdString: string): Promise<OutboundChannel | undefined> {
    let peerId: PeerId
    try {
      peerId = peerIdFromString(peerIdString)
    } catch (err) {
      this.log('%s is not a peer id - %e', peerIdString, err)
      return undefined
    }
    if (!this.dialUnconnected && this.components.connectionManager.getConnections(peerId).length === 0) {
      this.log('not connected to %s and dialUnconnected is off', peerIdString)
      return undefined
    }
    let stream: Stream
    try {
      stream = await this.components.connectionManager.openStream(peerId, this.protocol, { signal: AbortSignal.timeout(this.sendTimeoutMs) })
    } catch (err) {
      this.log('could not open %s to %s - %e', this.protocol, peerIdString, err)
      return undefined
    }
    if (!this.started) {
      await this.closeStream(stream)
      return undefined
    }
    // the remote never writes on our outbound stream: a few bytes of slack, then the reader aborts it
    const channel: OutboundChannel = { stream, writer: lpStream(stream, { maxBufferSize: 1024 }), lastUsed: this.clock.now() }
    stream.addEventListener('close', () => { this.forget(peerIdString, channel) })
    this.outbound.set(peerIdString, channel)
    return channel
  }

  private forget (peerId: string, channel: OutboundChannel): void {
    if (this.outbound.get(peerId) === channel) this.outbound.delete(peerId)
  }

  private async closeStream (stream: Stream): Promise<void> {
    try {
      await stream.close({ signal: AbortSignal.timeout(this.sendTimeoutMs) })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private onInboundStream (stream: Stream, connection: Connection): void {
    if (!this.started) {
      stream.abort(new Error('direct messaging stopped'))
      return
    }
    const from = connection.remotePeer.toString()
    // a varint prefix is at most 10 bytes; the buffer holds one partial frame plus one chunk
    const decoder = new LengthPrefixedDecoder({ maxDataLength: this.maxFrameBytes, maxBufferSize: 4 * this.maxFrameBytes })
    this.inbound.set(stream, this.clock.now())
    stream.addEventListener('message', (evt: StreamMessageEvent) => {
      this.inbound.set(stream, this.clock.now())
      try {
        for (const frame of decoder.decode(evt.data)) this.deliver(frame.slice(), from)
      } catch (err) {
        this.log('bad frame from %s, resetting the stream - %e', from, err)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })
    stream.addEventListener('remoteCloseWrite', () => { void this.closeStream(stream) })
    stream.addEventListener('close', () => { this.inbound.delete(stream) })
  }

  private deliver (frame: Uint8Array, from: string): void {
    if (!this.inboundFrames.take(from)) {
      this.counters.refused++
      if (!this.refusing.has(from)) {
        this.refusing.add(from)
        this.log('%s sent over %d frames a second, dropping the excess', from, this.maxInboundFramesPerSecond)
      }
      return
    }
    this.refusing.delete(from)
    this.counters.received++
    try {
      const result = this.onFrame(frame, from)
      if (result instanceof Promise) result.catch(err => { this.log.error('frame handler failed on a frame from %s - %e', from, err) })
    } catch (err) {
      this.log.error('frame handler failed on a frame from %s - %e', from, err)
    }
  }

  private sweep (): void {
    const now = this.clock.now()
    for (const [peerId, channel] of this.outbound) {
      if (now - channel.lastUsed >= this.idleTimeoutMs) {
        this.forget(peerId, channel)
        void this.closeStream(channel.stream)
      }
    }
    // the opener closes an idle stream first; this is the backstop for one that never does
    for (const [stream, lastActive] of this.inbound) {
      if (now - lastActive >= 2 * this.idleTimeoutMs) {
        this.inbound.delete(stream)
        stream.abort(new Error('direct stream idle'))
      }
    }
    this.refusing.clear()
  }
}
