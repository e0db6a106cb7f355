/**
 * @packageDocumentation
 *
 * The libp2p edge of the package: the `consensus()` service (proposals, votes, closes and acks on a
 * gossipsub topic, pulls on a direct protocol, presence), and the gossipsub / connection-manager
 * settings it is meant to run with.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: { identify: identify(), pubsub: consensusGossipsub(), consensus: consensus({ voter: () => 'for' }) }
 * })
 * const result = await node.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum' })
 * ```
 *
 * @module libp2p-consensus/libp2p
 */
import { ConsensusService } from './consensus.js'
import { checkDisplayName } from './presence.js'
import type { Consensus, ConsensusComponents, ConsensusInit } from './interface.js'

export type {
  Consensus, ConsensusComponents, ConsensusEvents, ConsensusInit, ConsensusRequestOptions, WaitForPeersOptions
} from './interface.js'
export {
  consensusGossipsub,
  gossipsubOptions,
  connectionManagerOptions,
  type GossipsubConfigInit,
  type GossipsubPreset,
  type ConsensusPubSub
} from './gossipsub-config.js'
export { topicFor } from './constants.js'
export { NotEnoughPeersError } from './errors.js'
export type {
  PubSub, PubSubEvents, PubSubMessage, PubSubPublishResult, PubSubSubscriptionChange, PubSubValidatorResult
} from './pubsub.js'
export type { AbsenceReason, AbsentPeerInfo, PeerInfo, PresenceInit } from './presence.js'
export type { DirectMessagingInit, DirectCounters } from './direct.js'

/**
 * A libp2p service factory: add it to `services` next to `pubsub` (gossipsub) and `identify`.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: { identify: identify(), pubsub: consensusGossipsub(), consensus: consensus({ voter: () => 'for' }) }
 * })
 * const result = await node.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'quorum' })
 * ```
 */
export function consensus (init: ConsensusInit = {}): (components: ConsensusComponents) => Consensus {
  // a bad name is the caller's mistake: say so here, not when the node is built
  checkDisplayName(init.name, 'name')
  checkDisplayName(init.role, 'role')
  return (components) => new ConsensusService(components, init)
}
