/**
 * Presence timing: left unset, the announcement interval (and with it the TTL) stretches with the
 * roster, so that a big swarm does not spend its bandwidth and signature checks on announcements;
 * an interval given explicitly is kept as given.
 */
import { describe, expect, it } from 'vitest'
import { createIdentity } from '../src/index.js'
import { Presence, type PresenceInit } from '../src/libp2p/presence.js'
import { decodeMessage, sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import type { Logger } from '@libp2p/interface'

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => log }) as unknown as Logger

async function presenceWithRoster (peers: number, init: PresenceInit = {}): Promise<Presence> {
  const presence = new Presence({ identity: await createIdentity(), namespace: 'default', log, publish: async () => 0 }, init)
  for (let i = 0; i < peers; i++) {
    const other = await createIdentity()
    const sealed = await sealMessage(other, { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: other.peerId, at: Date.now(), voter: true })
    const verdict = await presence.receive(decodeMessage(sealed.bytes))
    expect(verdict.result).toBe('accept')
  }
  return presence
}

describe('presence interval', () => {
  it('defaults to 5 s for a small swarm and stretches to 1 s per known peer in a big one', async () => {
    const small = await presenceWithRoster(3)
    expect(small.intervalMs).toBe(5_000)
    expect(small.ttlMs).toBe(17_000)
    const big = await presenceWithRoster(12)
    expect(big.peers()).toHaveLength(12)
    expect(big.intervalMs).toBe(12_000)
    // the TTL follows, so peers announcing at the stretched pace stay in each other's rosters
    expect(big.ttlMs).toBe(38_000)
  })

  it('keeps an interval and a TTL given explicitly', async () => {
    const fixed = await presenceWithRoster(12, { intervalMs: 300, ttlMs: 1_500 })
    expect(fixed.intervalMs).toBe(300)
    expect(fixed.ttlMs).toBe(1_500)
    const noTtl = await presenceWithRoster(12, { intervalMs: 2_000 })
    expect(noTtl.ttlMs).toBe(8_000)
  })
})
