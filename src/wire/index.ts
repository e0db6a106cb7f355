/**
 * The one place for wire format, canonical bytes and signatures.
 */
export { encodeCanonical, decodeCanonical } from './codec.js'
export { defaultDecodeLimits, type DecodeLimits } from './limits.js'
export * from './messages.js'
export { SIGNING_DOMAIN, signingBytes } from './domain.js'
export { contentId, idToString, idKey, idFromString } from './ids.js'
export { createIdentity, signBody, type Identity } from './identity.js'
export { publicKeyOf } from './public-keys.js'
export { verifySignature, forgetVerified } from './verify.js'
export * from './envelope.js'
