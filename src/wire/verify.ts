/**
 * Signature verification, with a process-wide cache of what already verified.
 *
 * Verifying goes through WebCrypto Ed25519 where the platform has it (Node ≥ 22, Chromium, Firefox,
 * Safari 17+), with each signer's key imported once and kept: `@libp2p/crypto` imports the key again
 * for every verify, which costs more than half as much as the verify itself, and WebCrypto runs
 * verifies on a thread pool, so many in flight use every core. Anything WebCrypto refuses falls back
 * to the key's own `verify`.
 */
import { equals } from 'uint8arrays/equals'
import { signingBytes } from './domain.js'
import { idToString } from './ids.js'
import { MAX_CACHED_KEYS, publicKeyOf } from './public-keys.js'
import type { PublicKey } from '@libp2p/interface'

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
export async function verifySignature (
  type: string, signer: string, body: Uint8Array, id: Uint8Array, signature: Uint8Array, idKey = idToString(id)
): Promise<boolean> {
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
    if (cryptoKey !== null) {
      return await (subtle as SubtleCrypto).verify(ED25519, cryptoKey, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>)
    }
    return await key.verify(data, signature)
  } catch {
    return false
  }
}
