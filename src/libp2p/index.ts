/**
 * The libp2p edge of the package: a `Coordinator` over gossipsub plus a direct pull protocol, and
 * the gossipsub / connection-manager settings they are meant to run with.
 */
export { PubSubCoordinator, type PubSubCoordinatorComponents, type PubSubCoordinatorInit, type WaitForPeersOptions } from './pubsub-coordinator.js'
export { DirectMessaging, type DirectMessagingComponents, type DirectMessagingInit, type DirectFrameHandler, type DirectCounters } from './direct.js'
export {
  consensusGossipsub,
  gossipsubOptions,
  connectionManagerOptions,
  hubConnectionManagerOptions,
  consensusTopicScoreParams,
  asPubSub,
  DEFAULT_HUB_MESH_PEERS,
  type GossipsubConfigInit,
  type GossipsubPreset,
  type ConsensusPubSub,
  type ConsensusTopicScoreParams
} from './gossipsub-config.js'
export { PubSubValidatorResult, isPublishError, type PubSub, type PubSubMessage, type PubSubTopicValidator, type PubSubEvents, type PubSubPublishResult, type PubSubSubscriptionChange, type PublishErrorKind } from './pubsub.js'
export { NotEnoughPeersError } from './errors.js'
export { Presence, DEFAULT_PRESENCE_INTERVAL_MS, type PresenceInit, type PresenceEvents, type PresenceContext } from './presence.js'
export * from './constants.js'
export { ConsensusService, consensus, type ConsensusServiceComponents, type ConsensusServiceInit, type ConsensusServiceRequestOptions } from './service.js'
export { ConsensusMetrics } from './metrics.js'
