/**
 * Signing in a tab: the body is signed with WebCrypto and the identity's key imported once (not by
 * `@libp2p/crypto`, which imports it again for every signature). The bytes must be the ones the key's
 * own `sign` gives (Ed25519 is deterministic) and verify for the identity's PeerId.
 */
import { describe, expect, it } from 'vitest'
import { createIdentity, signBody, signingBytes, verifySignature, contentId } from '../../src/wire/index.js'

describe('signing in a browser tab', () => {
  it('gives the signature the key itself gives, and it verifies, for every identity and body', async () => {
    for (let i = 0; i < 4; i++) {
      const identity = await createIdentity(new Uint8Array(32).fill(i + 1))
      for (const body of [new Uint8Array([1, 2, 3]), new TextEncoder().encode(`body ${i}`.repeat(40))]) {
        const signature = await signBody(identity, 'vote', body)
        expect(signature).toEqual(await identity.privateKey.sign(signingBytes('vote', body)))
        expect(await verifySignature('vote', identity.peerId, body, contentId(body), signature)).toBe(true)
        // the same key, another message type: another signature (the type is in the signed bytes)
        expect(await signBody(identity, 'ack', body)).not.toEqual(signature)
      }
    }
  })
})
