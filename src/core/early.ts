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
 * proposals — and processed once the proposal comes. The proposal is pulled at most once per
 * interval, each time from a sender of its held messages not asked yet (in turn): the first sender
 * may be a faulty peer that never answers, and the honest ones may fall silent once they decided.
 */
export class EarlyBuffer {
  private readonly held = new Map<string, EarlyMessage[]>()
  /** senders already asked for each unknown proposal, since the last turn through them */
  private readonly asked = new Map<string, Set<string>>()
  private readonly pulls: PeerLimiter

  constructor (clock: Clock) {
    this.pulls = PeerLimiter.oncePer(UNKNOWN_PROPOSAL_PULL_INTERVAL_MS, clock, MAX_EARLY_PROPOSALS * 4)
  }

  /**
   * Hold `message` until the proposal `proposalKey` comes. Returns whom to pull the proposal from now
   * (`undefined`: not now), and whether this is the first message held for it.
   */
  hold (proposalKey: string, message: EarlyMessage): { pullFrom: string | undefined, first: boolean } {
    let held = this.held.get(proposalKey)
    const first = held === undefined
    if (held === undefined) {
      if (this.held.size >= MAX_EARLY_PROPOSALS) this.drop(this.held.keys().next().value as string)
      held = []
      this.held.set(proposalKey, held)
    }
    if (held.length < MAX_EARLY_PER_PROPOSAL) held.push(message)
    return { pullFrom: this.nextToAsk(proposalKey, message.from), first }
  }

  /** Whom to pull the still unknown proposal `proposalKey` from now, if it is still held and the interval allows. */
  retry (proposalKey: string): string | undefined {
    return this.held.has(proposalKey) ? this.nextToAsk(proposalKey) : undefined
  }

  /** Whether messages of `proposalKey` are still held (its proposal has not come). */
  holds (proposalKey: string): boolean { return this.held.has(proposalKey) }

  private nextToAsk (proposalKey: string, preferred?: string): string | undefined {
    const held = this.held.get(proposalKey)
    if (held === undefined || !this.pulls.take(proposalKey)) return undefined
    let asked = this.asked.get(proposalKey)
    if (asked === undefined) {
      asked = new Set()
      this.asked.set(proposalKey, asked)
    }
    const senders = [...new Set([...(preferred === undefined ? [] : [preferred]), ...held.map(m => m.from)])]
    let to = senders.find(peer => !asked.has(peer))
    if (to === undefined) {
      // every sender asked once: go round again
      asked.clear()
      to = senders[0]
    }
    if (to !== undefined) asked.add(to)
    return to
  }

  private drop (proposalKey: string): void {
    this.held.delete(proposalKey)
    this.asked.delete(proposalKey)
  }

  /** The messages held for `proposalKey`, which are no longer held. */
  take (proposalKey: string): EarlyMessage[] {
    const held = this.held.get(proposalKey) ?? []
    this.drop(proposalKey)
    return held
  }
}
