/**
 * An agent's signing identity, and signing as it.
 */
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { toString } from 'uint8arrays/to-string'
import { InvalidMessageError } from '../errors.js'
import { signingBytes } from './domain.js'
import type { PrivateKey } from '@libp2p/interface'

/** An agent's signing identity: an Ed25519 key and the PeerId string derived from it. */
export interface Identity {
  /** the PeerId string of the key (every message it signs names it) */
  peerId: string
  /** the Ed25519 key every message of this identity is signed with */
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

/** Node's own `crypto` signs synchronously inside the key's `sign`; elsewhere (a browser) that goes through WebCrypto. */
const nodeSigns = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string'
const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle
const ED25519 = { name: 'Ed25519' }
/** each identity's key, imported into WebCrypto once */
const signKeys = new WeakMap<PrivateKey, Promise<CryptoKey | null>>()

function signKeyOf (privateKey: PrivateKey): Promise<CryptoKey | null> {
  let key = signKeys.get(privateKey)
  if (key === undefined) {
    key = (async () => {
      try {
        // an Ed25519 key's raw bytes are the 32-byte seed, then the public key
        const raw = privateKey.raw
        const jwk = { kty: 'OKP', crv: 'Ed25519', d: toString(raw.subarray(0, 32), 'base64url'), x: toString(raw.subarray(32), 'base64url') }
        return await subtle?.importKey('jwk', jwk, ED25519, false, ['sign']) ?? null
      } catch {
        return null
      }
    })()
    signKeys.set(privateKey, key)
  }
  return key
}

/**
 * Sign a body as `identity`. In Node with the key's own `sign` (synchronous there): a peer signs two
 * or three messages a round, and virtual-time simulations rely on a request's own signature being
 * ready before the event loop turns. Elsewhere with WebCrypto and the key imported once per identity:
 * `@libp2p/crypto` imports it again for every signature, which doubled what a browser tab waits for
 * each of its votes and acks. Ed25519 signatures are deterministic: both give the same bytes.
 */
export async function signBody (identity: Identity, type: string, body: Uint8Array): Promise<Uint8Array> {
  const data = signingBytes(type, body)
  if (!nodeSigns && subtle !== undefined && identity.privateKey.type === 'Ed25519') {
    const key = await signKeyOf(identity.privateKey)
    if (key !== null) return new Uint8Array(await subtle.sign(ED25519, key, data as Uint8Array<ArrayBuffer>))
  }
  return identity.privateKey.sign(data)
}
