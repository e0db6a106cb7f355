/**
 * The libp2p edge: a {@link Coordinator} over a pubsub router (gossipsub) for broadcasts and a
 * small direct protocol for point-to-point pulls.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { DEFAULT_TOPIC, DEFAULT_WAIT_FOR_PEERS_TIMEOUT_MS } from './constants.js'
import { DirectMessaging, type DirectMessagingComponents, type DirectMessagingInit } from './direct.js'
import { NotEnoughPeersError } from './errors.js'
import { Presence, type PresenceInit } from './presence.js'
import { isPublishError, PubSubValidatorResult, type PubSub, type PubSubMessage, type PubSubTopicValidator } from './pubsub.js'
import { systemClock, type Clock } from '../clock.js'
import { PeerLimiter } from '../limiter.js'
import { decodeMessage, type DecodedMessage } from '../wire/envelope.js'
import type { WaitForPeersOptions } from './interface.js'
import type { Coordinator, HandlerOptions, MessageHandler, TopologyInfo, ValidationResult } from '../transport/coordinator.js'
import type { Libp2pEvents, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'

/** What {@link PubSubCoordinator} needs from the node: only what it uses. */
export interface PubSubCoordinatorComponents extends DirectMessagingComponents {
  peerId: PeerId
  /** The pubsub router, e.g. the `pubsub` service made by `consensusGossipsub`. */
  pubsub: PubSub
  /** The node's Ed25519 key: presence announcements are signed with it (without it, no presence). */
  privateKey?: PrivateKey
  /** The node's events: a peer that disconnects from us leaves the presence roster at once. */
  events?: TypedEventTarget<Libp2pEvents>
}

/** Options of {@link PubSubCoordinator}; every field is optional. */
export interface PubSubCoordinatorInit {
  /**
   * The topic every consensus message is published on; configure the same topic's score params
   * (`gossipsubOptions({ topics })`).
   *
   * @default 'libp2p-consensus/v2/default'
   */
  topic?: string
  /**
   * Limits of the point-to-point pull channel. A second coordinator on the same node needs its own
   * `direct.protocol`: a protocol can be registered once.
   */
  direct?: DirectMessagingInit
  /**
   * The consensus namespace presence announcements name; the service passes its own.
   *
   * @default 'default'
   */
  namespace?: string
  /**
   * Signed presence announcements, so that a peer behind a hub (a browser tab) counts every agent
   * on the topic in {@link PubSubCoordinator.getPeers}, the default electorate.
   */
  presence?: PresenceInit
  /**
   * Where time comes from (presence announcements and expiry, the direct protocol's limits): the
   * wall clock in production, a virtual clock in a simulation.
   *
   * @default systemClock
   */
  clock?: Clock
}

/**
 * Topic messages: the handler's reaction runs on a later task (gossipsub forwards a message once its
 * validator's promise settles), and the message came over the topic (`direct: false`: gossipsub
 * relays it, the handler need not pass it on).
 */
const afterForwarding: HandlerOptions = {
  direct: false,
  defer (work) {
    const run = (): void => { void work() }
    // setImmediate where there is one (Node), a timer in browsers
    const { setImmediate } = globalThis as { setImmediate?: (fn: () => void) => unknown }
    if (typeof setImmediate === 'function') setImmediate(run)
    else setTimeout(run, 0)
  }
}

const verdictToResult: Record<ValidationResult, PubSubValidatorResult> = {
  accept: PubSubValidatorResult.Accept,
  ignore: PubSubValidatorResult.Ignore,
  reject: PubSubValidatorResult.Reject
}

/**
 * A {@link Coordinator} over libp2p pubsub. Inbound pubsub messages are handed to the handler from
 * the topic validator, so its verdict decides whether gossipsub delivers and forwards them
 * (accept), drops them (ignore) or drops them and lowers the sender's score (reject).
 *
 * @example
 * ```ts
 * // inside a libp2p service, once the node has started (gossipsub must be running)
 * const coordinator = new PubSubCoordinator({ ...components, pubsub: components.pubsub }, { topic: 'consensus/v1' })
 * await coordinator.start()
 * const manager = new ConsensusManager({ coordinator, ... })
 * await coordinator.waitForPeers(3, { timeoutMs: 5_000 })
 * ```
 */
export class PubSubCoordinator implements Coordinator {
  readonly [Symbol.toStringTag] = 'libp2p-consensus/pubsub-coordinator'
  readonly peerId: string
  readonly topic: string
  /** The point-to-point channel `send` uses. */
  readonly direct: DirectMessaging
  /** The roster of peers that announced themselves on the topic (absent without a private key). */
  readonly presence: Presence | undefined
  private readonly components: PubSubCoordinatorComponents
  private readonly log: Logger
  private handler: MessageHandler | undefined
  private started = false
  /** at most one roster hand-over per peer per presence interval (the interval as configured, unstretched) */
  private readonly rosterSent: PeerLimiter | undefined
  /** Per propagation source: the validation of the last proposal or close it sent, while running. */
  private readonly inFlightAnchors = new Map<string, Promise<unknown>>()

  constructor (components: PubSubCoordinatorComponents, init: PubSubCoordinatorInit = {}) {
    this.components = components
    this.peerId = components.peerId.toString()
    this.topic = init.topic ?? DEFAULT_TOPIC
    if (typeof this.topic !== 'string' || this.topic.length === 0) {
      throw new InvalidParametersError(`topic must be a non-empty string, got ${String(init.topic)}`)
    }
    this.log = components.logger.forComponent('libp2p:consensus:pubsub')
    const clock = init.clock ?? systemClock
    this.direct = new DirectMessaging(components, async (frame, from) => this.onDirectFrame(frame, from), init.direct, clock)
    this.presence = components.privateKey?.type === 'Ed25519'
      ? new Presence({
        identity: { peerId: this.peerId, privateKey: components.privateKey },
        namespace: init.namespace ?? 'default',
        log: this.log,
        publish: async (bytes) => this.broadcast(bytes),
        clock
      }, init.presence)
      : undefined
    this.rosterSent = this.presence?.enabled === true ? PeerLimiter.oncePer(this.presence.baseIntervalMs, clock) : undefined
  }

  /** Whether `start` has run and `stop` has not. */
  isStarted (): boolean {
    return this.started
  }

  /**
   * Register the direct protocol, install the topic validator and subscribe. Call it after the
   * pubsub router has started (in a libp2p service: `afterStart`).
   */
  async start (): Promise<void> {
    if (this.started) return
    const installed = this.components.pubsub.topicValidators.get(this.topic)
    if (installed !== undefined && installed !== this.validate) {
      throw new InvalidParametersError(`topic ${this.topic} already has a validator: one coordinator per topic and node`)
    }
    await this.direct.start()
    // the validator goes in before the subscription so that no message arrives unvalidated
    this.components.pubsub.topicValidators.set(this.topic, this.validate)
    try {
      this.components.pubsub.subscribe(this.topic)
    } catch (err) {
      this.components.pubsub.topicValidators.delete(this.topic)
      await this.direct.stop()
      throw err
    }
    this.started = true
    this.components.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.components.events?.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.presence?.start()
  }

  /**
   * Tell the swarm this peer is leaving (a last presence, see {@link Presence.leave}), then unsubscribe,
   * remove the validator and close the direct protocol (in a libp2p service: `beforeStop`).
   */
  async stop (): Promise<void> {
    if (!this.started) return
    // the last announcement, marked leaving, while the topic is still ours to publish on
    await this.presence?.leave()
    this.started = false
    this.presence?.stop()
    this.components.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.events?.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    try {
      this.components.pubsub.unsubscribe(this.topic)
    } catch (err) {
      // the router may already be stopping with the node; nothing is left to unsubscribe from then
      this.log('unsubscribe from %s failed - %e', this.topic, err)
    }
    if (this.components.pubsub.topicValidators.get(this.topic) === this.validate) this.components.pubsub.topicValidators.delete(this.topic)
    await this.direct.stop()
  }

  setHandler (handler: MessageHandler | undefined): void {
    this.handler = handler
  }

  /**
   * Publish on the topic; resolves with how many peers gossipsub handed it to. Never rejects: no
   * subscribed peer or an already-seen message resolve 0 (pull sync repairs), as does any other
   * failure (logged).
   */
  async broadcast (message: Uint8Array): Promise<number> {
    if (!this.started) {
      this.log('broadcast before start: dropped')
      return 0
    }
    try {
      const { recipients } = await this.components.pubsub.publish(this.topic, message)
      return recipients.length
    } catch (err) {
      if (isPublishError(err, 'NoPeersSubscribedToTopic')) this.log('broadcast: no peer subscribed to %s yet', this.topic)
      else if (isPublishError(err, 'Duplicate')) this.log('broadcast: message already seen on %s', this.topic)
      else this.log.error('broadcast on %s failed - %e', this.topic, err)
      return 0
    }
  }

  /** Send one message to one peer over the direct protocol; never rejects (a failure is logged and dropped). */
  async send (peerId: string, message: Uint8Array): Promise<void> {
    await this.direct.send(peerId, message)
  }

  /**
   * The default electorate, sorted: the peers subscribed that this node is connected to, plus —
   * once there is at least one of those to relay through — those that announced their presence
   * within the presence TTL (the peers behind a hub); minus those that announced they do not vote.
   */
  getPeers (): string[] {
    const neighbours = this.getNeighbours()
    // announced peers are reachable only through a subscribed neighbour: none yet, nobody to count
    if (neighbours.length === 0 || this.presence === undefined) return neighbours
    const peers = new Set(neighbours.filter(id => !this.presence!.isNonVoter(id)))
    for (const id of this.presence.peers({ voters: true })) if (id !== this.peerId) peers.add(id)
    return [...peers].sort()
  }

  /** Peers subscribed to the topic that this node is connected to now, sorted: those `send` reaches. */
  getNeighbours (): string[] {
    const { pubsub, connectionManager } = this.components
    const peers: string[] = []
    for (const peer of pubsub.getSubscribers(this.topic)) {
      const id = peer.toString()
      if (id !== this.peerId && connectionManager.getConnections(peer).length > 0) peers.push(id)
    }
    return peers.sort()
  }

  /**
   * `agentCount`: this node plus {@link getPeers}; `connectionCount`: open libp2p connections;
   * `health`: unhealthy when stopped or alone, degraded when peers are subscribed but none is in
   * this node's mesh (messages then only arrive through gossip), healthy otherwise.
   */
  getTopologyInfo (): TopologyInfo {
    const peers = this.getPeers()
    const mesh = this.components.pubsub.getMeshPeers?.(this.topic)
    return {
      type: 'gossipsub',
      agentCount: peers.length + 1,
      connectionCount: this.components.connectionManager.getConnections().length,
      health: !this.started || peers.length === 0 ? 'unhealthy' : mesh !== undefined && mesh.length === 0 ? 'degraded' : 'healthy'
    }
  }

  /**
   * Resolve with {@link getPeers} once at least `count` peers are subscribed and connected.
   * Rejects with {@link NotEnoughPeersError} (saying how many came) when `timeoutMs` passes or
   * `signal` aborts; the abort reason is its `cause`.
   *
   * @example
   * ```ts
   * const peers = await coordinator.waitForPeers(4, { timeoutMs: 5_000 })
   * ```
   */
  async waitForPeers (count: number, options: WaitForPeersOptions = {}): Promise<string[]> {
    if (!Number.isInteger(count) || count < 0) throw new InvalidParametersError(`count must be an integer ≥ 0, got ${String(count)}`)
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_FOR_PEERS_TIMEOUT_MS
    if (!(timeoutMs >= 0)) throw new InvalidParametersError(`timeoutMs must be ≥ 0, got ${String(options.timeoutMs)}`)
    const peersNow = (): string[] => options.neighbours === true ? this.getNeighbours() : this.getPeers()
    const now = peersNow()
    if (now.length >= count) return now
    const signals = [...(options.signal === undefined ? [] : [options.signal]), ...(Number.isFinite(timeoutMs) ? [AbortSignal.timeout(timeoutMs)] : [])]
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals)
    const { pubsub } = this.components
    return new Promise<string[]>((resolve, reject) => {
      const cleanup = (): void => {
        pubsub.removeEventListener('subscription-change', onChange)
        this.presence?.removeEventListener('peer:present', onChange)
        signal?.removeEventListener('abort', onAbort)
      }
      // peers appear by subscribing next to us or by announcing themselves: the moments to look
      const onChange = (): void => {
        const peers = peersNow()
        if (peers.length < count) return
        cleanup()
        resolve(peers)
      }
      const onAbort = (): void => {
        cleanup()
        reject(new NotEnoughPeersError(count, peersNow().length, { cause: signal?.reason }))
      }
      pubsub.addEventListener('subscription-change', onChange)
      this.presence?.addEventListener('peer:present', onChange)
      signal?.addEventListener('abort', onAbort)
      if (signal?.aborted === true) onAbort()
    })
  }

  /*
   * The topic validator is where inbound pubsub messages are processed: it runs once per message
   * (duplicates are dropped before it), its verdict decides forwarding, and the propagation source
   * is the peer to pull from. gossipsub's 'message' event fires after it for accepted messages and
   * is deliberately not listened to: the handler has already processed them.
   */
  private readonly validate: PubSubTopicValidator = async (propagationSource, message) => {
    const decoded = this.decode(message.data)
    const presence = decoded?.opened.body.type === 'presence' ? decoded : undefined
    if (presence !== undefined) {
      if (this.presence === undefined) return PubSubValidatorResult.Ignore
      const verdict = await this.presence.receive(presence)
      if (verdict.result === 'reject') this.log('rejected a presence message from %s: %s', propagationSource, verdict.reason)
      return verdictToResult[verdict.result]
    }
    if (this.handler === undefined) return PubSubValidatorResult.Ignore
    const from = propagationSource.toString()
    // Gossipsub validates the messages of one RPC stream concurrently, so a vote sent right behind
    // its proposal (or an ack right behind its close) can finish verifying first: the vote would be
    // held as early and not relayed, the ack would make us pull the close. Messages from a source
    // therefore wait for the proposal or close that source sent before them.
    const anchor = this.inFlightAnchors.get(from)
    const type = decoded?.opened.body.type
    if (type === 'proposal' || type === 'close') {
      const done = (anchor ?? Promise.resolve()).then(async () => this.handleInOrder(message, from)).finally(() => {
        if (this.inFlightAnchors.get(from) === done) this.inFlightAnchors.delete(from)
      })
      this.inFlightAnchors.set(from, done)
      return done
    }
    if (anchor !== undefined) await anchor
    return this.handleInOrder(message, from)
  }

  private async handleInOrder (message: PubSubMessage, from: string): Promise<PubSubValidatorResult> {
    const handler = this.handler
    if (handler === undefined) return PubSubValidatorResult.Ignore
    try {
      // the verdict comes back as soon as the message is verified; our reaction (vote, close, ack)
      // runs after gossipsub has forwarded it, so a relay never sends its reaction ahead of the message
      const verdict = await handler(message.data, from, afterForwarding)
      const result = verdictToResult[verdict.result]
      if (result === undefined) {
        this.log.error('handler answered %o for a message from %s; ignoring it', verdict, from)
        return PubSubValidatorResult.Ignore
      }
      if (result === PubSubValidatorResult.Reject) this.log('rejected a message from %s: %s', from, verdict.reason)
      return result
    } catch (err) {
      this.log.error('handler failed on a message from %s; ignoring it - %e', from, err)
      return PubSubValidatorResult.Ignore
    }
  }

  /** The decoded message, or undefined if it does not decode (the handler then rejects it with the reason). */
  private decode (data: Uint8Array): DecodedMessage | undefined {
    try {
      // decoding is cached per buffer, so the handler's own decode of the message is free
      return decodeMessage(data)
    } catch {
      return undefined
    }
  }

  /** The decoded message when it is a presence announcement; anything else goes to the handler. */
  private presenceMessage (data: Uint8Array): DecodedMessage | undefined {
    const decoded = this.decode(data)
    return decoded?.opened.body.type === 'presence' ? decoded : undefined
  }

  /**
   * A peer subscribed next to us: announce ourselves on the topic soon, and hand it the signed
   * announcements we hold so it knows the swarm at once (at most once per peer per presence interval).
   */
  private readonly onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    const presence = this.presence
    if (presence === undefined || !presence.enabled || !evt.detail.subscriptions.some(s => s.topic === this.topic && s.subscribe)) return
    presence.greet()
    const peer = evt.detail.peerId.toString()
    if (this.rosterSent?.take(peer) !== true) return
    for (const bytes of presence.snapshot()) void this.direct.send(peer, bytes)
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.presence?.forget(evt.detail.toString())
  }

  private async onDirectFrame (frame: Uint8Array, from: string): Promise<void> {
    const presence = this.presenceMessage(frame)
    if (presence !== undefined) {
      const verdict = await this.presence?.receive(presence)
      if (verdict?.result === 'reject') this.log('rejected a direct presence message from %s: %s', from, verdict.reason)
      return
    }
    const handler = this.handler
    if (handler === undefined) return
    const verdict = await handler(frame, from, { direct: true })
    if (verdict.result === 'reject') this.log('rejected a direct message from %s: %s', from, verdict.reason)
  }
}
