import { sealWant, type AnyOpened } from '../wire/envelope.js'
import { PROTOCOL_VERSION } from '../wire/messages.js'
import { idFromString } from '../wire/ids.js'
import type { ProposalState } from './proposal-state.js'
import type { Coordinator } from '../transport/coordinator.js'
import type { DecodeLimits } from '../wire/limits.js'
import type { Logger } from '@libp2p/interface'

/** What the core sends, and to whom it turns when it must ask: one place over the {@link Coordinator}. */
export class Outbox {
  private readonly coordinator: Coordinator
  private readonly peerId: string
  private readonly namespace: string
  private readonly limits: DecodeLimits
  private readonly log: Logger

  constructor (coordinator: Coordinator, namespace: string, limits: DecodeLimits, log: Logger) {
    this.coordinator = coordinator
    this.peerId = coordinator.peerId
    this.namespace = namespace
    this.limits = limits
    this.log = log
  }

  /** Publish to every peer; a failure is logged, never thrown (pull sync recovers what a failed publish loses). */
  async broadcast (message: AnyOpened): Promise<void> {
    try {
      await this.coordinator.broadcast(message.bytes)
    } catch (err) {
      this.log('broadcast of %s failed: %e', message.body.type, err)
    }
  }

  /**
   * Point-to-point sends are never awaited where a message is being handled: a transport may hold
   * the message's forwarding until its handler returns, and opening a stream takes a while.
   */
  sendInBackground (to: string, bytes: Uint8Array): void {
    this.coordinator.send(to, bytes).catch(err => { this.log('send to %s failed: %e', to, err) })
  }

  /**
   * Ask one peer for ids of the proposal `proposalKey` (all it holds if `ids` is empty). Asking
   * nobody (`undefined`: no peer to ask) or ourselves does nothing.
   */
  async pull (proposalKey: string, ids: string[], to: string | undefined): Promise<void> {
    if (to === undefined || to === this.peerId) return
    const wanted = ids.slice(0, this.limits.maxWantIds).map(idFromString)
    const want = sealWant({ type: 'want', v: PROTOCOL_VERSION, ns: this.namespace, proposal: idFromString(proposalKey), ids: wanted })
    this.sendInBackground(to, want.bytes)
  }

  /**
   * The next peer to pull from for `round`, rotating through the reachable peers (all but us and
   * `besides`) with each call, which advances the round's pull count; `undefined` when there is none.
   */
  nextPullPeer (round: ProposalState, besides?: string): string | undefined {
    const peers = (this.coordinator.getNeighbours?.() ?? this.coordinator.getPeers()).filter(p => p !== this.peerId && p !== besides).sort()
    if (peers.length === 0) return undefined
    return peers[(round.advancePulls() + this.peerId.length) % peers.length] as string
  }

  /** The live swarm, for a default electorate: the peers present now. */
  peers (): string[] {
    return this.coordinator.getPeers()
  }
}
