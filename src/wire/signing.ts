import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { equals } from 'uint8arrays/equals'
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
const utf8 = new TextEncoder()

/** The exact bytes a signature covers. */
export function signingBytes (type: string, body: Uint8Array): Uint8Array {
  let prefix = domainPrefixes.get(type)
  if (prefix === undefined) {
    prefix = utf8.encode(`${SIGNING_DOMAIN}${type}\n`)
    domainPrefixes.set(type, prefix)
  }
  const bytes = new Uint8Array(prefix.byteLength + body.byteLength)
  bytes.set(prefix)
  bytes.set(body, prefix.byteLength)
  return bytes
}

/** Content id of a body: SHA-256 of its canonical bytes. Proposal, vote, close and ack ids are these. */
export function contentId (body: Uint8Array): Uint8Array {
  return sha256(body)
}

/** char codes of the two hex digits of every byte value */
const HEX_CODES = new Uint16Array(512)
for (let i = 0; i < 256; i++) {
  const digits = i.toString(16).padStart(2, '0')
  HEX_CODES[2 * i] = digits.charCodeAt(0)
  HEX_CODES[2 * i + 1] = digits.charCodeAt(1)
}
const ID_CODES = new Uint16Array(64)
const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Hex spelling of an id, as the public API shows it. Built in one `String.fromCharCode` call: a flat
 * string, where 32 concatenations would make a rope that every map lookup must flatten first
 * (ids are converted and looked up on hot paths; this is ~2.5× cheaper per convert + lookup).
 */
export function idToString (id: Uint8Array): string {
  const n = id.byteLength
  if (n > 1024) return Array.from(id, b => HEX_PAIRS[b] as string).join('')
  const codes = n === 32 ? ID_CODES : new Uint16Array(2 * n)
  for (let i = 0; i < n; i++) {
    const v = 2 * (id[i] as number)
    codes[2 * i] = HEX_CODES[v] as number
    codes[2 * i + 1] = HEX_CODES[v + 1] as number
  }
  return String.fromCharCode.apply(null, codes as unknown as number[])
}

const idKeys = new WeakMap<Uint8Array, string>()

/**
 * {@link idToString} remembered per id array: for ids inside opened messages (a vote's proposal, an
 * ack's close), which are never changed once decoded and are shared by every agent of one process
 * that receives the same buffer. Not for caller-owned arrays that may be reused.
 */
export function idKey (id: Uint8Array): string {
  let key = idKeys.get(id)
  if (key === undefined) {
    key = idToString(id)
    idKeys.set(id, key)
  }
  return key
}

/** Parse a hex id; throws `InvalidMessageError` if it is not 32 bytes of hex. */
export function idFromString (id: string): Uint8Array {
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw new InvalidMessageError('malformed', `expected a 64-digit hex id, got ${String(id).slice(0, 80)}`)
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16)
  return bytes
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

const MAX_CACHED_SIGNATURES = 50_000
/** body id (hex) → the signature verified for it */
const verified = new Map<string, Uint8Array>()
const inFlight = new Map<string, { signature: Uint8Array, result: Promise<boolean> }>()

/**
 * Verify `signature` by `signer` over the domain-separated body. A process-wide cache of
 * (body id, signature) pairs already verified means a message relayed, pulled or delivered to many
 * simulated agents in one process costs one Ed25519 verify, and copies arriving together share one
 * verify in flight. Only successes are cached. `idKey` is `idToString(id)` when the caller has it.
 */
export async function verifySignature (type: string, signer: string, body: Uint8Array, id: Uint8Array, signature: Uint8Array, idKey = idToString(id)): Promise<boolean> {
  if (signature.byteLength !== 64) return false
  const known = verified.get(idKey)
  if (known !== undefined && equals(known, signature)) return true
  // copies of one message arriving together share one verify instead of racing past the cache
  const flying = inFlight.get(idKey)
  if (flying !== undefined && equals(flying.signature, signature)) return flying.result
  const result = verifyUncached(type, signer, body, signature)
  // a different signature over the same body in flight at the same moment simply verifies on its own
  if (flying === undefined) inFlight.set(idKey, { signature, result })
  try {
    const ok = await result
    if (ok) {
      if (verified.size >= MAX_CACHED_SIGNATURES) verified.clear()
      // a copy of just the 64 bytes: the signature may be a view of a whole envelope, which the
      // cache would otherwise keep alive after its proposal is long gone
      verified.set(idKey, new Uint8Array(signature))
    }
    return ok
  } finally {
    if (inFlight.get(idKey)?.result === result) inFlight.delete(idKey)
  }
}

/**
 * Drop the cached verifications of these body ids (hex): a manager calls it for the messages of a
 * proposal it forgets, so the cache holds what is still held somewhere rather than filling to its
 * cap with the long decided. Another holder in the same process at worst verifies once more.
 */
export function forgetVerified (idKeys: Iterable<string>): void {
  for (const idKey of idKeys) verified.delete(idKey)
}

/*
 * Verifying goes through WebCrypto Ed25519 where the platform has it (Node ≥ 22, Chromium, Firefox,
 * Safari 17+), with each signer's key imported once and kept: `@libp2p/crypto` imports the key again
 * for every verify, which costs more than half as much as the verify itself, and WebCrypto runs
 * verifies on a thread pool, so many in flight use every core. Anything WebCrypto refuses falls back
 * to the key's own `verify`.
 *
 * Signing stays with the key's own `sign` (synchronous in Node): a peer signs two or three messages
 * a round, and virtual-time simulations rely on a request's own signature being ready before the
 * event loop turns.
 */
const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle
const ED25519 = { name: 'Ed25519' }
const verifyKeys = new Map<string, Promise<CryptoKey | null>>()

function verifyKeyOf (signer: string, key: PublicKey): Promise<CryptoKey | null> {
  let cryptoKey = verifyKeys.get(signer)
  if (cryptoKey === undefined) {
    cryptoKey = (async () => {
      try {
        return await subtle?.importKey('raw', key.raw as Uint8Array<ArrayBuffer>, ED25519, false, ['verify']) ?? null
      } catch {
        return null
      }
    })()
    if (verifyKeys.size >= MAX_CACHED_KEYS) verifyKeys.clear()
    verifyKeys.set(signer, cryptoKey)
  }
  return cryptoKey
}

async function verifyUncached (type: string, signer: string, body: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = publicKeyOf(signer)
  if (key === null) return false
  const data = signingBytes(type, body)
  try {
    const cryptoKey = await verifyKeyOf(signer, key)
    if (cryptoKey !== null) return await (subtle as SubtleCrypto).verify(ED25519, cryptoKey, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>)
    return await key.verify(data, signature)
  } catch {
    return false
  }
}

/** Sign a body as `identity`. */
export async function signBody (identity: Identity, type: string, body: Uint8Array): Promise<Uint8Array> {
  return identity.privateKey.sign(signingBytes(type, body))
}
