import { PeerLimiter } from '../limiter.js'
import { MAX_EARLY_PER_PROPOSAL, MAX_EARLY_PROPOSALS, UNKNOWN_PROPOSAL_PULL_INTERVAL_MS } from './constants.js'
import type { Clock } from '../clock.js'
import type { AnyOpened } from '../wire/envelope.js'

/** A verified message held until its proposal arrives, with the peer it came from. */
export interface EarlyMessage {
  opened: AnyOpened
  from: string
}

/**
 * Messages that arrived before their proposal (gossip does not keep order across authors), held
 * bounded — {@link MAX_EARLY_PER_PROPOSAL} for each of the last {@link MAX_EARLY_PROPOSALS}
 * proposals — and processed once the proposal comes.
 */
export class EarlyBuffer {
  private readonly held = new Map<string, EarlyMessage[]>()
  /** the unknown proposal is pulled at most once per interval, whoever sends its messages */
  private readonly pulls: PeerLimiter

  constructor (clock: Clock) {
    this.pulls = PeerLimiter.oncePer(UNKNOWN_PROPOSAL_PULL_INTERVAL_MS, clock, MAX_EARLY_PROPOSALS * 4)
  }

  /** Hold `message` until the proposal `proposalKey` comes; true when that proposal should be pulled now. */
  hold (proposalKey: string, message: EarlyMessage): boolean {
    let held = this.held.get(proposalKey)
    if (held === undefined) {
      if (this.held.size >= MAX_EARLY_PROPOSALS) this.held.delete(this.held.keys().next().value as string)
      held = []
      this.held.set(proposalKey, held)
    }
    if (held.length < MAX_EARLY_PER_PROPOSAL) held.push(message)
    return this.pulls.take(proposalKey)
  }

  /** The messages held for `proposalKey`, which are no longer held. */
  take (proposalKey: string): EarlyMessage[] {
    const held = this.held.get(proposalKey) ?? []
    this.held.delete(proposalKey)
    return held
  }
}
