/**
 * Named errors of the libp2p edge. Errors `@libp2p/interface` already has (`InvalidParametersError`,
 * `NotStartedError`, …) are used as they are.
 */

/** `waitForPeers` ended (timeout or abort) before enough peers had subscribed to the topic. */
export class NotEnoughPeersError extends Error {
  static override name = 'NotEnoughPeersError'
  /** `'NotEnoughPeersError'`: `err.name` names the class, as `@libp2p/interface`'s errors do. */
  override name = 'NotEnoughPeersError'
  /** How many subscribed, connected peers were wanted. */
  readonly wanted: number
  /** How many there were when the wait ended. */
  readonly found: number

  constructor (wanted: number, found: number, options?: ErrorOptions) {
    super(`wanted ${wanted} peer(s) subscribed to the topic, only ${found} came`, options)
    this.wanted = wanted
    this.found = found
  }
}
