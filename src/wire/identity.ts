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

/**
 * Sign a body as `identity`. With the key's own `sign` (synchronous in Node): a peer signs two or
 * three messages a round, and virtual-time simulations rely on a request's own signature being ready
 * before the event loop turns.
 */
export async function signBody (identity: Identity, type: string, body: Uint8Array): Promise<Uint8Array> {
  return identity.privateKey.sign(signingBytes(type, body))
}
