/**
 * Decode limits as plain data (gossipsub's `defaultDecodeRpcLimits` style): every message from the
 * network is checked against these before anything else looks at it.
 */
export interface DecodeLimits {
  /** Largest envelope of any type, in bytes. */
  maxMessageBytes: number
  /** Largest vote, ack or want envelope, in bytes (they are small; a huge one is an attack). */
  maxSmallMessageBytes: number
  /** Most members an electorate may list. */
  maxElectorate: number
  /** Most ranked closers a proposal may list. */
  maxClosers: number
  /** Longest peer id, namespace or algorithm name, in characters. */
  maxIdLength: number
  /** Most ids one want may ask for. */
  maxWantIds: number
  /** Longest display name or role a presence may announce, in UTF-16 code units. */
  maxNameLength: number
}

/** The limits every decoder uses unless given others. */
export const defaultDecodeLimits: Readonly<DecodeLimits> = Object.freeze({
  maxMessageBytes: 512 * 1024,
  maxSmallMessageBytes: 16 * 1024,
  maxElectorate: 10_000,
  maxClosers: 16,
  maxIdLength: 128,
  maxWantIds: 1024,
  maxNameLength: 64
})
