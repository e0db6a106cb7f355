/**
 * The one place for wire format, canonical bytes and signatures.
 */
export { encodeCanonical, decodeCanonical } from './codec.js'
export { defaultDecodeLimits, type DecodeLimits } from './limits.js'
export * from './messages.js'
export * from './signing.js'
export * from './envelope.js'
