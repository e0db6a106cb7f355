/**
 * The part of a pubsub router this package uses, as a structural type: js-libp2p 3 no longer ships a
 * shared `PubSub` interface, and going through this one keeps `@libp2p/gossipsub` types out of the
 * rest of the code (the package itself is named only in `gossipsub-config.ts`).
 */
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

/** What a topic validator tells the router to do (gossipsub's `TopicValidatorResult` values). */
export const PubSubValidatorResult = Object.freeze({
  /** deliver and forward */
  Accept: 'accept',
  /** drop, no penalty */
  Ignore: 'ignore',
  /** drop and lower the propagation source's score (if the topic has score params) */
  Reject: 'reject'
} as const)

/** One of {@link PubSubValidatorResult}'s values. */
export type PubSubValidatorResult = typeof PubSubValidatorResult[keyof typeof PubSubValidatorResult]

/** The fields of a pubsub message we read (signed and unsigned gossipsub messages both have them). */
export interface PubSubMessage {
  /** the topic it was published on */
  topic: string
  /** its bytes, as the author published them */
  data: Uint8Array
}

/**
 * A topic validator. `peer` is the propagation source (the peer that handed us the message), not
 * its author. Declared as a method type so gossipsub's own validator type (whose message parameter
 * is a union) stays assignable to it.
 */
export type PubSubTopicValidator = {
  validate (peer: PeerId, message: PubSubMessage): PubSubValidatorResult | Promise<PubSubValidatorResult>
}['validate']

/** What `publish` resolves with. */
export interface PubSubPublishResult {
  /** the peers it was sent to */
  recipients: PeerId[]
}

/** Detail of a `subscription-change` event. */
export interface PubSubSubscriptionChange {
  /** the peer whose subscriptions changed */
  peerId: PeerId
  /** what it joined or left */
  subscriptions: Array<{
    /** the topic */
    topic: string
    /** true: joined; false: left */
    subscribe: boolean
  }>
}

/** Events of a {@link PubSub} that we listen to. */
export interface PubSubEvents {
  /** a peer joined or left topics */
  'subscription-change': CustomEvent<PubSubSubscriptionChange>
}

/** A pubsub router as this package uses it (gossipsub satisfies it; see `gossipsub-config.ts`). */
export interface PubSub extends TypedEventTarget<PubSubEvents> {
  /** Validators per topic; the router calls them before delivering or forwarding a message. */
  topicValidators: Map<string, PubSubTopicValidator>
  /** Join a topic. */
  subscribe (topic: string): void
  /** Leave a topic. */
  unsubscribe (topic: string): void
  /** Peers known (directly connected, via their subscription announcements) to be subscribed. */
  getSubscribers (topic: string): PeerId[]
  /** Publish to a topic; resolves with the peers it was sent to. */
  publish (topic: string, data?: Uint8Array): Promise<PubSubPublishResult>
  /** Peers in this node's mesh for the topic (gossipsub has it at runtime, its exported type omits it). */
  getMeshPeers?: (topic: string) => string[]
  /** A peer's current score (gossipsub has it at runtime, its exported type omits it). */
  getScore?: (peerId: string) => number
}

/** The publish failures gossipsub signals with a plain `Error('PublishError.<Kind>')`. */
export type PublishErrorKind = 'NoPeersSubscribedToTopic' | 'Duplicate' | 'Uninitialized'

/** Whether `err` is gossipsub's `PublishError.<kind>` (a plain `Error`, matched by its message). */
export function isPublishError (err: unknown, kind: PublishErrorKind): boolean {
  return err instanceof Error && err.message === `PublishError.${kind}`
}
