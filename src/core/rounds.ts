import { forgetVerified } from '../wire/verify.js'
import { DEFAULT_MAX_DECIDED_IDS } from './constants.js'
import type { ProposalState } from './proposal-state.js'
import type { Scheduler } from './scheduler.js'
import type { ProposalStore } from './store.js'
import type { Logger } from '@libp2p/interface'

/** Bounds of a {@link Rounds}. */
export interface RoundsInit {
  /** closed (or given up) rounds kept before the oldest are dropped */
  maxClosedProposals: number
  /** undecided proposals held at once, from everybody */
  maxOpenProposals: number
  /** undecided proposals held at once from one coordinator */
  maxOpenProposalsPerPeer: number
}

/**
 * The rounds this peer holds, and the ids of those it decided and dropped: memory stays bounded
 * whoever floods us (open rounds are capped, closed ones age out, oldest first, from memory and the
 * datastore alike).
 */
export class Rounds {
  private readonly byKey = new Map<string, ProposalState>()
  private readonly decided = new Set<string>()
  /** rounds that closed or were given up on, oldest first (a round given up on and decided later is here twice) */
  private readonly closedOrder: string[] = []
  /** the bounds this registry keeps */
  readonly limits: Readonly<RoundsInit>
  private readonly scheduler: Scheduler
  private readonly store: ProposalStore
  private readonly log: Logger

  constructor (init: RoundsInit, scheduler: Scheduler, store: ProposalStore, log: Logger) {
    this.limits = init
    this.scheduler = scheduler
    this.store = store
    this.log = log
  }

  /** The round of a proposal held now. */
  get (key: string): ProposalState | undefined { return this.byKey.get(key) }

  /** Hold a new round. */
  add (round: ProposalState): void { this.byKey.set(round.key, round) }

  /** Whether the proposal `key` is held, or was decided here (and may be dropped since). */
  known (key: string): boolean { return this.byKey.has(key) || this.decided.has(key) }

  /** Whether the proposal `key` was decided here (and may be dropped since). */
  isDecided (key: string): boolean { return this.decided.has(key) }

  /** Every round held, oldest first (named as a Map's, so that a read-only probe in a simulation can treat this as one). */
  values (): IterableIterator<ProposalState> { return this.byKey.values() }

  /**
   * Whether a proposal of `coordinator` must be refused: at most `maxOpenProposalsPerPeer` open
   * rounds per coordinator and `maxOpenProposals` in all (a round is open until decided or given up on).
   */
  full (coordinator: string): boolean {
    let open = 0
    let fromCoordinator = 0
    for (const round of this.byKey.values()) {
      if (!round.open) continue
      open++
      if (round.ctx.proposal.body.coordinator === coordinator) fromCoordinator++
    }
    return fromCoordinator >= this.limits.maxOpenProposalsPerPeer || open >= this.limits.maxOpenProposals
  }

  /** The `count` most recently closed proposals, oldest first. */
  recentlyClosed (count: number): string[] {
    return [...new Set(this.closedOrder)].slice(-count)
  }

  /** The `count` most recently decided proposals still held, oldest first. */
  recentlyDecided (count: number): string[] {
    return [...new Set(this.closedOrder)].filter(key => this.byKey.get(key)?.finalized !== undefined).slice(-count)
  }

  /** The round `key` was decided: remember its id for good, and let the round age out. */
  decide (key: string): void {
    this.decided.add(key)
    if (this.decided.size > DEFAULT_MAX_DECIDED_IDS) this.decided.delete(this.decided.values().next().value as string)
    this.retire(key)
  }

  /** The round `key` is still open but no longer worth a slot forever: it ages out like a decided one. */
  retire (key: string): void {
    this.closedOrder.push(key)
    while (this.closedOrder.length > this.limits.maxClosedProposals) {
      const oldest = this.closedOrder.shift() as string
      const round = this.byKey.get(oldest)
      this.byKey.delete(oldest)
      this.scheduler.clear(oldest)
      if (round === undefined) continue
      const envelopes = round.envelopes()
      forgetVerified(envelopes.map(envelope => envelope.key))
      // the datastore keeps what memory keeps, or it would grow without bound
      this.store.forget(oldest, envelopes, round.ctx.proposal.body.createdAt).catch(err => {
        this.log.error('could not drop proposal %s from the datastore: %e', oldest, err)
      })
    }
  }
}
