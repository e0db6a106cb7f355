import type { ConsensusManagerEvents, Voter } from '../options.js'
import type { Outbox } from '../outbox.js'
import type { PendingRequests } from '../requests.js'
import type { StatsTracker } from '../results.js'
import type { Rounds } from '../rounds.js'
import type { Scheduler } from '../scheduler.js'
import type { ProposalStore } from '../store.js'
import type { AlgorithmLookup } from '../context.js'
import type { EarlyBuffer } from '../early.js'
import type { Clock } from '../../clock.js'
import type { PeerLimiter } from '../../limiter.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { AnyOpened } from '../../wire/envelope.js'
import type { Identity } from '../../wire/identity.js'
import type { Logger } from '@libp2p/interface'

/**
 * A result now, or a promise of it. The paths every vote and ack takes on every peer return at once
 * when nothing has to wait (nothing to store, sign or pull): each `async` function and `await` on
 * them cost ~0.3 µs a delivery, a third of what a 300-agent simulation spends in the core.
 */
export type Maybe<T> = T | Promise<T>

/** Whether `value` is a promise still to wait for (verdicts, booleans and `undefined` never are). */
export function isPromise <T> (value: Maybe<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

/**
 * What a message makes this peer do beyond judging it — its own vote, close or ack, passing on
 * evidence — collected while the message is processed and run after the verdict, so that a relay
 * forwards a message before reacting to it (gossipsub forwards only once its validator returns).
 */
export type Reactions = Array<() => Maybe<void>>

/** Run reactions one after the other, in the order they were collected; at once, as far as none has to wait. */
export function react (reactions: Reactions, from = 0): Maybe<void> {
  for (let i = from; i < reactions.length; i++) {
    const pending = (reactions[i] as () => Maybe<void>)()
    if (isPromise(pending)) return pending.then(async () => react(reactions, i + 1))
  }
}

/**
 * What the message handlers share: this peer, its settings, the rounds it holds and the means to
 * act on them. The manager builds one; a handler reaches nothing else of it.
 */
export interface HandlerContext {
  readonly peerId: string
  readonly namespace: string
  /** signs this peer's votes, closes and acks */
  readonly identity: Identity
  readonly clock: Clock
  readonly log: Logger
  /** clock disagreement tolerated before an early close is held back */
  readonly clockToleranceMs: number
  /** answers proposals automatically, when given */
  readonly voter: Voter | undefined
  /** the local algorithm of a pinned kind */
  readonly kinds: AlgorithmLookup
  readonly rounds: Rounds
  readonly early: EarlyBuffer
  readonly scheduler: Scheduler
  readonly outbox: Outbox
  readonly store: ProposalStore
  readonly requests: PendingRequests
  readonly stats: StatsTracker
  /** one catch-up answered per peer per interval */
  readonly catchUps: PeerLimiter
  /** catch-ups asked back (see `onCatchUp`): once per interval per peer, three times per interval per unknown proposal */
  readonly askBack: { readonly peers: PeerLimiter, readonly proposals: PeerLimiter }
  /**
   * Pending closes that came over the topic (the transport passed `direct: false`): not re-published
   * once their votes are in, since every peer the topic reaches had them from there.
   */
  readonly fromTopic: WeakSet<AnyOpened>
  /** true only while the datastore is replayed: nothing is stored again and no event dispatched */
  replaying: boolean
  /** Keep a received message in the datastore (not while replaying: it came from there); `undefined` when there is nothing to wait for. */
  remember(proposalKey: string, message: AnyOpened): Promise<void> | undefined
  /** Dispatch an event to listeners (none while replaying). */
  emit<K extends keyof ConsensusManagerEvents>(type: K, init: { detail: ConsensusManagerEvents[K]['detail'] }): void
  /** Process a verified message and run its reactions at once (own messages, replay, held messages). */
  processNow(opened: AnyOpened, from: string): Promise<Verdict>
}
