/**
 * The one place that builds a libp2p node running the consensus service: transports, encryption,
 * muxing, identify, gossipsub with the consensus topic scored, and the service itself. Agents, hubs,
 * the demo, the benchmarks and the tests all build their nodes here.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { InvalidParametersError } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import {
  connectionManagerOptions, consensus, consensusGossipsub, topicFor,
  type Consensus, type ConsensusInit, type ConsensusPubSub, type GossipsubPreset
} from '../libp2p/index.js'
import { peersTopicFor, webrtcPeers, type WebRTCPeersStatus } from './discovery.js'
import { isBrowser, WEBRTC_LISTEN, webrtcTransports } from './webrtc.js'
import type { ConnectionGater, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** The services of a node made by {@link createConsensusNode} (a type, not an interface: libp2p's `ServiceMap` wants an index signature). */
export type ConsensusNodeServices = {
  /** libp2p's identify: which protocols and addresses a peer has (gossipsub and the relay need it). */
  identify: Identify
  /** gossipsub, configured by `consensusGossipsub` for the node's preset. */
  pubsub: ConsensusPubSub
  /** The consensus service: propose, vote, decide. */
  consensus: Consensus
  /** Announces this node's WebRTC addresses and dials WebRTC peers (every node relays the records). */
  webrtcPeers: WebRTCPeersStatus
}

/** A libp2p node running the consensus service (`node.services.consensus`). */
export type ConsensusNode = Libp2p<ConsensusNodeServices>

/** Options of {@link createConsensusNode}; every field is optional. */
export interface ConsensusNodeInit<S extends ServiceMap = Record<never, never>> {
  /**
   * Addresses to listen on (Node only: browsers cannot accept connections), e.g.
   * `['/ip4/0.0.0.0/tcp/9090/ws']`.
   *
   * @default []
   */
  listen?: string[]
  /**
   * libp2p transports. Tests pass `memory()` from `@libp2p/memory` (with `/memory/<name>` listen
   * addresses) to run whole swarms in one process.
   *
   * @default [webSockets()]
   */
  transports?: Libp2pOptions['transports']
  /**
   * The gossipsub shape of this node: a `hub` keeps every peer in its mesh and relays for all of them.
   *
   * @default 'hub' when `listen` is given, else 'leaf'
   */
  preset?: GossipsubPreset
  /** Options of the consensus service (voter, algorithms, namespace, timeouts...). */
  consensus?: ConsensusInit
  /** The node's Ed25519 key (its PeerId and vote signatures); a fresh one when absent. */
  privateKey?: PrivateKey
  /** Where the node keeps proposals, votes and decisions across restarts (memory when absent). */
  datastore?: Datastore
  /**
   * Reach other peers directly over WebRTC: the node adds the `webRTC()` and
   * `circuitRelayTransport()` transports, listens on `/p2p-circuit` and `/webrtc` (it reserves a slot
   * on a connected hub's circuit relay, through which others signal a WebRTC connection to it) and
   * dials the WebRTC peers it learns of on the namespace's peer topic, up to a few direct links.
   * When WebRTC cannot connect (no ICE path), nothing breaks: messages keep going through the hub.
   * In Node it needs Node ≥ 22 and `node-datachannel`'s binary (installed with `@libp2p/webrtc`).
   *
   * @default true in a browser page, false in Node
   */
  webrtc?: boolean
  /**
   * The RTCPeerConnection configuration of WebRTC links, e.g. your STUN/TURN servers:
   * `{ iceServers: [{ urls: 'stun:stun.example.com:3478' }, { urls: 'turn:turn.example.com:3478', username, credential }] }`.
   * Only used with `webrtc` on.
   *
   * @default `@libp2p/webrtc`'s: four public STUN servers (Google, Twilio, Cloudflare, Mozilla)
   */
  rtcConfiguration?: RTCConfiguration
  /**
   * Most direct WebRTC links the node keeps (dialed and accepted). With a hub or two beside them the
   * node stays under gossipsub's leaf `Dhi` (12), so its mesh is never pruned and keeps the hub.
   *
   * @default 8
   */
  maxDirectLinks?: number
  /** libp2p's connection gater (libp2p's default when absent). */
  connectionGater?: ConnectionGater
  /** Services added to, or replacing, the default `identify`, `pubsub` and `consensus`. */
  services?: Libp2pOptions<S>['services']
}

/**
 * Create and start a libp2p node with the consensus service.
 *
 * @example
 * ```ts
 * const node = await createConsensusNode({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus: { voter: () => 'for' } })
 * await node.dial(other.getMultiaddrs())
 * const result = await node.services.consensus.requestConsensus({ action: 'deploy' })
 * ```
 */
export async function createConsensusNode<S extends ServiceMap = Record<never, never>> (
  init: ConsensusNodeInit<S> = {}
): Promise<Libp2p<Omit<ConsensusNodeServices, keyof S> & S>> {
  const listen = init.listen ?? []
  if (!Array.isArray(listen) || listen.some(a => typeof a !== 'string')) throw new InvalidParametersError('listen must be an array of multiaddr strings')
  const preset = init.preset ?? (listen.length > 0 ? 'hub' : 'leaf')
  const webrtc = init.webrtc ?? isBrowser()
  if (typeof webrtc !== 'boolean') throw new InvalidParametersError(`webrtc must be true or false, got ${String(init.webrtc)}`)
  if (init.rtcConfiguration !== undefined && (typeof init.rtcConfiguration !== 'object' || init.rtcConfiguration === null)) {
    throw new InvalidParametersError('rtcConfiguration must be an RTCConfiguration object, e.g. { iceServers: [{ urls: \'stun:stun.example.com:3478\' }] }')
  }
  const transports = [...(init.transports ?? [webSockets()]), ...(webrtc ? await webrtcTransports(init.rtcConfiguration) : [])]
  const topic = init.consensus?.topic ?? topicFor(init.consensus?.namespace ?? 'default')
  const services = {
    identify: identify(),
    // gossipsub scores the same topic the service uses, so that a Reject costs the sender
    pubsub: consensusGossipsub({ preset, topics: topic }),
    consensus: consensus(init.consensus),
    // every node relays the peer records (hubs must, or tabs behind different hubs never meet); only WebRTC nodes dial
    webrtcPeers: webrtcPeers({
      topic: peersTopicFor(topic),
      dial: webrtc,
      ...(init.maxDirectLinks === undefined ? {} : { maxDirectLinks: init.maxDirectLinks })
    }),
    ...init.services
  }
  return createLibp2p({
    ...(init.privateKey === undefined ? {} : { privateKey: init.privateKey }),
    ...(init.datastore === undefined ? {} : { datastore: init.datastore }),
    ...(init.connectionGater === undefined ? {} : { connectionGater: init.connectionGater }),
    addresses: { listen: webrtc ? [...listen, ...WEBRTC_LISTEN] : listen },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: connectionManagerOptions(preset),
    services
  }) as unknown as Promise<Libp2p<Omit<ConsensusNodeServices, keyof S> & S>>
}

/**
 * Connect `nodes` into a full mesh: dial every pair, eight dials at a time (a burst of simultaneous
 * dials trips libp2p's inbound limits), then wait until each node sees all the others on the topic.
 * Throws `NotEnoughPeersError` if one does not within `timeoutMs`.
 *
 * @example
 * ```ts
 * const nodes = await Promise.all([1, 2, 3].map(async () => createConsensusNode({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })))
 * await connectFullMesh(nodes)
 * ```
 */
export async function connectFullMesh (nodes: ConsensusNode[], timeoutMs = 20_000): Promise<void> {
  const pairs: Array<[ConsensusNode, ConsensusNode]> = []
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) pairs.push([nodes[i] as ConsensusNode, nodes[j] as ConsensusNode])
  const parallel = 8
  for (let k = 0; k < pairs.length; k += parallel) {
    await Promise.all(pairs.slice(k, k + parallel).map(async ([a, b]) => a.dial(b.getMultiaddrs())))
  }
  await Promise.all(nodes.map(async node => node.services.consensus.waitForPeers(nodes.length - 1, { timeoutMs, neighbours: true })))
}
