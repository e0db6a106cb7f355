import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { InvalidMessageError } from '../errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/**
 * Domain separation: what is signed is `libp2p-consensus/v1/<type>\n` followed by the canonical body.
 * The body itself names the namespace and (for votes, closes, acks) the proposal id, so a signature
 * for one proposal, namespace or message type can never verify as another, nor as any other use of
 * the same libp2p key.
 */
export const SIGNING_DOMAIN = 'libp2p-consensus/v1/'

const domainPrefixes = new Map<string, Uint8Array>()

/** The exact bytes a signature covers. */
export function signingBytes (type: string, body: Uint8Array): Uint8Array {
  let prefix = domainPrefixes.get(type)
  if (prefix === undefined) {
    prefix = fromString(`${SIGNING_DOMAIN}${type}\n`)
    domainPrefixes.set(type, prefix)
  }
  return concat([prefix, body])
}

/** Content id of a body: SHA-256 of its canonical bytes. Proposal, vote, close and ack ids are these. */
export function contentId (body: Uint8Array): Uint8Array {
  return sha256(body)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Hex spelling of an id, as the public API shows it (a table lookup: ids are converted on hot paths). */
export function idToString (id: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < id.byteLength; i++) hex += HEX[id[i] as number]
  return hex
}

/** Parse a hex id; throws `InvalidMessageError` if it is not 32 bytes of hex. */
export function idFromString (id: string): Uint8Array {
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw new InvalidMessageError('malformed', `expected a 64-digit hex id, got ${String(id).slice(0, 80)}`)
  return fromString(id, 'base16')
}

/** An agent's signing identity: an Ed25519 key and the PeerId string derived from it. */
export interface Identity {
  peerId: string
  privateKey: PrivateKey
}

/**
 * Make an identity: from a libp2p private key you already have (a node's), from a 32-byte seed
 * (deterministic, for simulations), or a fresh Ed25519 key.
 */
export async function createIdentity (from?: PrivateKey | Uint8Array): Promise<Identity> {
  let privateKey: PrivateKey
  if (from instanceof Uint8Array) privateKey = await generateKeyPairFromSeed('Ed25519', from)
  else privateKey = from ?? await generateKeyPair('Ed25519')
  if (privateKey.type !== 'Ed25519') throw new InvalidMessageError('bad-key', `agents sign with Ed25519 keys, got ${privateKey.type}`)
  return { peerId: peerIdFromPrivateKey(privateKey).toString(), privateKey }
}

const MAX_CACHED_KEYS = 20_000
const publicKeys = new Map<string, PublicKey | null>()

/**
 * The Ed25519 public key inside a PeerId string (Ed25519 ids embed the key), or `null` when the
 * string is not an Ed25519 PeerId. Cached: peers sign many messages.
 */
export function publicKeyOf (peerId: string): PublicKey | null {
  let key = publicKeys.get(peerId)
  if (key !== undefined) return key
  try {
    const id = peerIdFromString(peerId)
    key = id.type === 'Ed25519' && id.toString() === peerId ? id.publicKey : null
  } catch {
    key = null
  }
  if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear()
  publicKeys.set(peerId, key)
  return key
}

const MAX_CACHED_SIGNATURES = 200_000
const verified = new Set<string>()

/**
 * Verify `signature` by `signer` over the domain-separated body. A process-wide cache of
 * (body id, signature) pairs already verified means a message relayed, pulled or delivered to many
 * simulated agents in one process costs one Ed25519 verify. Only successes are cached.
 */
export async function verifySignature (type: string, signer: string, body: Uint8Array, id: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.byteLength !== 64) return false
  const cacheKey = idToString(id) + idToString(signature)
  if (verified.has(cacheKey)) return true
  // copies of one message arriving together share one verify instead of racing past the cache
  let pending = inFlight.get(cacheKey)
  if (pending === undefined) {
    pending = verifyUncached(type, signer, body, signature)
    inFlight.set(cacheKey, pending)
  }
  try {
    const ok = await pending
    if (ok) {
      if (verified.size >= MAX_CACHED_SIGNATURES) verified.clear()
      verified.add(cacheKey)
    }
    return ok
  } finally {
    inFlight.delete(cacheKey)
  }
}

const inFlight = new Map<string, Promise<boolean>>()

async function verifyUncached (type: string, signer: string, body: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = publicKeyOf(signer)
  if (key === null) return false
  try {
    return await key.verify(signingBytes(type, body), signature)
  } catch {
    return false
  }
}

/** Sign a body as `identity`. */
export async function signBody (identity: Identity, type: string, body: Uint8Array): Promise<Uint8Array> {
  return identity.privateKey.sign(signingBytes(type, body))
}
