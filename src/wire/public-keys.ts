/**
 * Signers' public keys, read from their PeerIds: an Ed25519 PeerId embeds its key, so any peer can
 * check a signature from the id alone.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { PublicKey } from '@libp2p/interface'

/** Most PeerIds whose keys are kept; the cache starts over when full. */
export const MAX_CACHED_KEYS = 20_000
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
