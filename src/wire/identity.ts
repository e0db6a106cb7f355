/**
 * An agent's signing identity, and signing as it.
 */
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
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
/** RFC 8410's PrivateKeyInfo header for an Ed25519 key: SEQUENCE { version 0, AlgorithmIdentifier 1.3.101.112, OCTET STRING { OCTET STRING (32 bytes) } } */
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
/** each identity's key, imported into WebCrypto once */
const signKeys = new WeakMap<PrivateKey, Promise<CryptoKey | null>>()

function signKeyOf (privateKey: PrivateKey): Promise<CryptoKey | null> {
  let key = signKeys.get(privateKey)
  if (key === undefined) {
    key = (async () => {
      try {
        // PKCS #8 of an Ed25519 key: a fixed DER header, then its 32-byte seed (the first half of its raw bytes).
        // Not JWK: that needs base64url, and `uint8arrays/to-string` brings every multiformats base (+7 KB gzip)
        const pkcs8 = new Uint8Array(PKCS8_ED25519.length + 32)
        pkcs8.set(PKCS8_ED25519)
        pkcs8.set(privateKey.raw.subarray(0, 32), PKCS8_ED25519.length)
        return await subtle?.importKey('pkcs8', pkcs8, ED25519, false, ['sign']) ?? null
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
