/**
 * The one place that names the pubsub package (`@libp2p/gossipsub`) and the options we recommend
 * for it. Every non-default value carries a one-line why, from measurements on real nodes (the
 * hub-and-leaves test in `test/libp2p-transport.node.test.ts` holds the main one).
 */
import { gossipsub, StrictNoSign, type GossipSub, type GossipSubComponents, type GossipsubOpts } from '@libp2p/gossipsub'
import { InvalidParametersError } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { DEFAULT_TOPIC } from './constants.js'
import type { PubSub } from './pubsub.js'
import type { ConnectionManagerInit } from 'libp2p'

/**
 * `leaf`: an agent with a handful of connections (the default). `hub`: a well-connected relay that
 * many leaves dial, which must forward every message to all of them.
 */
export type GossipsubPreset = 'leaf' | 'hub'

/** Options of {@link gossipsubOptions} and {@link consensusGossipsub}. */
export interface GossipsubConfigInit {
  /**
   * The consensus topic(s); each gets the topic score params that make a Reject cost the sender.
   * Use `topicFor(namespace)` for a namespace other than `default`.
   *
   * @default 'libp2p-consensus/v2/default'
   */
  topics?: string | string[]
  /**
   * Which shape of node this is.
   *
   * @default 'leaf'
   */
  preset?: GossipsubPreset
  /**
   * Hub only: how many peers the hub keeps in its mesh (`Dhi`; `D` and `Dlo` follow as ½ and ¼).
   * Leaves beyond it get messages only through IHAVE/IWANT gossip, i.e. late or never.
   *
   * @default 100
   */
  hubMeshPeers?: number
}

/** Gossipsub's per-topic score parameters, as we set them. */
export type ConsensusTopicScoreParams = NonNullable<NonNullable<GossipsubOpts['scoreParams']['topics']>[string]>

/** The default {@link GossipsubConfigInit.hubMeshPeers}. */
export const DEFAULT_HUB_MESH_PEERS = 100

/**
 * Score params for a consensus topic: only invalid deliveries (P4) cost, plus a small capped reward
 * for first deliveries (P2) so useful relays are preferred when a mesh is pruned.
 */
export const consensusTopicScoreParams: Readonly<ConsensusTopicScoreParams> = Object.freeze({
  topicWeight: 1,
  // P1 off: time in mesh would add up to `topicScoreCap` of credit that masks a Reject
  timeInMeshWeight: 0,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 3600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.5,
  firstMessageDeliveriesCap: 10,
  // P3 off: consensus traffic is bursty and often silent for minutes; with the default threshold of
  // 20 deliveries per window, honest quiet mesh peers would be penalised into the graylist
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 20,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  // P3b off, it only follows P3
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  // P4: a Reject only lowers the sender's score if the topic is scored at all (default: not);
  // the counter is squared, so 1 reject = -10 (gossip threshold), 2 = -40, 3 = -90 (graylisted)
  invalidMessageDeliveriesWeight: -10,
  // forget a reject with a half-life of ~13.5 s (decay applied every second)
  invalidMessageDeliveriesDecay: 0.95
})

type HubConnectionLimits = Pick<ConnectionManagerInit, 'inboundConnectionThreshold' | 'maxIncomingPendingConnections' | 'maxConnections'>

/** Hub connection-manager limits for libp2p's `connectionManager` option (leaves keep the defaults). */
export const hubConnectionManagerOptions: Readonly<HubConnectionLimits> = Object.freeze({
  // default 5 per second per host: leaves behind one address (NAT, or 127.0.0.1 in tests) were refused
  inboundConnectionThreshold: 100,
  // default 10: 19 of 24 simultaneous dials failed as `EncryptionFailedError: Unexpected EOF`
  maxIncomingPendingConnections: 100,
  // default 300 (Node) / 100 (browser): above it libp2p prunes connections, i.e. drops leaves
  maxConnections: 1000
})

/** libp2p `connectionManager` options for a preset: the raised limits for a hub, nothing for a leaf. */
export function connectionManagerOptions (preset: GossipsubPreset = 'leaf'): Partial<ConnectionManagerInit> {
  return preset === 'hub' ? { ...hubConnectionManagerOptions } : {}
}

/** Hash ids of the bodies seen last, so gossipsub's fast id and full id cost one SHA-256 together. */
const idsOfData = new WeakMap<Uint8Array, Uint8Array>()
const EMPTY = new Uint8Array(0)

/** The content id of a message body: SHA-256 of the bytes, memoised per byte array. */
function contentId (data: Uint8Array): Uint8Array {
  let id = idsOfData.get(data)
  if (id === undefined) {
    id = sha256(data)
    idsOfData.set(data, id)
  }
  return id
}

function checkTopics (topics: string | string[] = DEFAULT_TOPIC): string[] {
  const list = typeof topics === 'string' ? [topics] : topics
  if (!Array.isArray(list) || list.length === 0 || list.some(t => typeof t !== 'string' || t.length === 0)) {
    throw new InvalidParametersError(`topics must be a non-empty topic name or list of them, got ${JSON.stringify(topics)}`)
  }
  return list
}

/**
 * The gossipsub options we recommend for a preset.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   services: { identify: identify(), pubsub: gossipsub(gossipsubOptions({ topics: 'consensus/v1', preset: 'hub' })) },
 *   connectionManager: connectionManagerOptions('hub')
 * })
 * ```
 */
export function gossipsubOptions (init: GossipsubConfigInit = {}): Partial<GossipsubOpts> {
  const topics = checkTopics(init.topics)
  const preset = init.preset ?? 'leaf'
  if (preset !== 'leaf' && preset !== 'hub') throw new InvalidParametersError(`preset must be 'leaf' or 'hub', got ${String(preset)}`)
  const hubMeshPeers = init.hubMeshPeers ?? DEFAULT_HUB_MESH_PEERS
  if (!Number.isInteger(hubMeshPeers) || hubMeshPeers < 8) {
    throw new InvalidParametersError(`hubMeshPeers must be an integer ≥ 8, got ${String(init.hubMeshPeers)}`)
  }

  const options: Partial<GossipsubOpts> = {
    // our envelopes carry their own Ed25519 signatures; a second gossipsub signature per message
    // costs a verify per copy (duplicates included) and adds nothing
    globalSignaturePolicy: StrictNoSign,
    // with StrictNoSign the id must come from the content: identical bytes are the same message
    msgIdFn: message => contentId(message.data),
    // drops duplicates before any decoding; collision-free because it is the same SHA-256, memoised
    fastMsgIdFn: rpcMessage => uint8ArrayToString(contentId(rpcMessage.data ?? EMPTY), 'base64'),
    scoreParams: {
      topics: Object.fromEntries(topics.map(topic => [topic, { ...consensusTopicScoreParams }])),
      // more than 10 peers on one IP are penalised quadratically and from 14 on graylisted (their
      // subscriptions silently ignored); a hub's leaves often share an address (NAT, tests), and
      // a leaf's WebRTC links all carry the address of the hub that relayed their signalling
      IPColocationFactorWeight: 0
    }
  }
  if (preset === 'hub') {
    // with the default Dhi 12, a leaf's message reaches leaves outside the hub's mesh only via
    // IHAVE/IWANT gossip: with 50 leaves, 9–12 got none of 20 messages; Dhi 100 delivered all
    options.Dhi = hubMeshPeers
    // pruning above Dhi goes down to D, and new subscribers are grafted at once only below Dlo
    options.D = Math.round(hubMeshPeers / 2)
    options.Dlo = Math.round(hubMeshPeers / 4)
    // at least this many of the peers kept after a prune are the best-scoring ones
    options.Dscore = Math.round(hubMeshPeers / 8)
  }
  return options
}

/** The pubsub router type {@link consensusGossipsub} makes; it satisfies our {@link PubSub}. */
export type ConsensusPubSub = GossipSub & PubSub

/**
 * A libp2p service factory for gossipsub configured by {@link gossipsubOptions}; add it as
 * `services.pubsub` (next to `identify`, which gossipsub needs). `overrides` replace options
 * shallowly: an override of `scoreParams` replaces the consensus topic scoring too.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   services: { identify: identify(), pubsub: consensusGossipsub({ topics: 'consensus/v1' }) }
 * })
 * ```
 */
export function consensusGossipsub (
  init: GossipsubConfigInit = {},
  overrides: Partial<GossipsubOpts> = {}
): (components: GossipSubComponents) => ConsensusPubSub {
  const factory = gossipsub({ ...gossipsubOptions(init), ...overrides })
  return components => asPubSub(factory(components))
}

/**
 * View a gossipsub router as our structural {@link PubSub}. The assignment is checked by the
 * compiler, so an upgrade that drops something we use fails to build here, not at runtime.
 */
export function asPubSub (router: GossipSub): ConsensusPubSub {
  const structural: PubSub = router
  return structural as GossipSub & typeof structural
}
