/** Defaults of the libp2p edge, in one place. */

/** Protocol id of the point-to-point channel used for pull requests and their replies. */
export const DIRECT_PROTOCOL = '/libp2p-consensus/direct/2.0.0'

/** Largest direct frame, in bytes: the largest envelope the decoder accepts (`maxMessageBytes`). */
export const DEFAULT_MAX_FRAME_BYTES = 512 * 1024

/** Inbound direct frames accepted per peer per second; one full pull answer (`maxWantIds`) fits. */
export const DEFAULT_MAX_INBOUND_FRAMES_PER_SECOND = 1024

/** An outbound direct stream unused this long is closed (a new one is opened on the next send). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000

/** Opening a direct stream, or waiting for its write buffer to drain, gives up after this long. */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000

/** Bytes queued on one outbound direct stream beyond which further frames are dropped. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024

/** Direct streams per connection and direction; one is used, a spare covers a reopen race. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 4

/** How long `waitForPeers` waits unless told otherwise. */
export const DEFAULT_WAIT_FOR_PEERS_TIMEOUT_MS = 10_000

/** The pubsub topic of a namespace: one topic per namespace. */
export function topicFor (namespace: string): string {
  return `libp2p-consensus/v2/${namespace}`
}

/** Pubsub topic the consensus messages travel on unless another is configured (namespace `default`). */
export const DEFAULT_TOPIC = topicFor('default')
