/**
 * The seam between the core and a network — the seed's `ICoordinator`. The core never imports a
 * transport; a transport implements this (in memory, gossipsub, …) and hands inbound bytes to the
 * manager's handler, which answers how to treat them.
 */

/** How a transport should treat an inbound message (gossipsub's three outcomes). */
export type ValidationResult = 'accept' | 'ignore' | 'reject'

/** The handler's answer: accept (deliver and relay), ignore (drop, no penalty), reject (drop and penalise the sender). */
export interface Verdict {
  result: ValidationResult
  /** why, e.g. `duplicate`, `bad-signature`, `non-member` */
  reason: string
}

/** What a transport may offer the handler besides the message. */
export interface HandlerOptions {
  /**
   * Run `work` later, after the verdict has been acted on (the message forwarded). When given, the
   * handler resolves its verdict as soon as the message is verified and recorded, and hands what
   * the message makes this peer do (its vote, close or ack) to `defer`; the verdict never depends
   * on that work. When absent, the handler finishes that work before it resolves.
   */
  defer?(work: () => Promise<void>): void
}

/** Receives every inbound message with the peer it came from (the relayer, not necessarily the author). */
export type MessageHandler = (message: Uint8Array, from: string, options?: HandlerOptions) => Promise<Verdict>

/** The seed's topology info. */
export interface TopologyInfo {
  type: string
  agentCount: number
  connectionCount: number
  health: 'healthy' | 'degraded' | 'unhealthy'
}

/** A network as the core needs it. */
export interface Coordinator {
  /** This peer's id (its Ed25519 PeerId string). */
  readonly peerId: string
  /** Start (a function) or stop (`undefined`) delivering inbound messages. */
  setHandler(handler: MessageHandler | undefined): void
  /** Send to every peer on the topic; resolves with how many peers it was handed to. */
  broadcast(message: Uint8Array): Promise<number>
  /** Send to one peer (pull requests and their answers). */
  send(peerId: string, message: Uint8Array): Promise<void>
  /** Peers currently present: the default electorate. */
  getPeers(): string[]
  /** Peers `send` can reach directly now (pull targets); `getPeers()` when absent. */
  getNeighbours?(): string[]
  /** Shape and health of the network. */
  getTopologyInfo(): TopologyInfo
}
