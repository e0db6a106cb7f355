/**
 * Leaving: a peer that stops signs one last presence marked `leaving`, and every roster drops it at
 * once — not after the TTL, which a big swarm stretches to minutes — so the next proposal's default
 * electorate no longer names a member who will never answer. What it signed before leaving never
 * brings it back; a newer announcement (it restarted) does; a peer that vanishes without a word still
 * leaves by the TTL.
 */
import { describe, expect, it } from 'vitest'
import { createIdentity, type Identity } from '../src/index.js'
import { InvalidMessageError } from '../src/errors.js'
import { Presence, type AbsentPeerInfo, type PresenceInit } from '../src/libp2p/presence.js'
import { VirtualClock } from '../src/testing/virtual-clock.js'
import { decodeMessage, sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION, type PresenceBody } from '../src/wire/messages.js'
import type { Logger } from '@libp2p/interface'

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => log }) as unknown as Logger
const init: PresenceInit = { intervalMs: 1_000, ttlMs: 60_000, random: () => 0.5 }

interface Peer { identity: Identity, presence: Presence, absent: AbsentPeerInfo[], sent: Uint8Array[] }

/** Presences on one virtual clock; what one publishes is kept in `sent` and handed to the others by `deliver`. */
async function swarm (size: number, clock: VirtualClock, publish?: () => Promise<number>): Promise<Peer[]> {
  return Promise.all(Array.from({ length: size }, async () => {
    const identity = await createIdentity()
    const sent: Uint8Array[] = []
    const presence = new Presence({
      identity,
      namespace: 'default',
      log,
      clock,
      publish: publish ?? (async (bytes) => { sent.push(bytes); return size - 1 })
    }, init)
    const absent: AbsentPeerInfo[] = []
    presence.addEventListener('peer:absent', (evt) => { absent.push(evt.detail) })
    return { identity, presence, absent, sent }
  }))
}

async function deliver (bytes: Uint8Array, to: Peer[]): Promise<string[]> {
  return Promise.all(to.map(async peer => {
    const verdict = await peer.presence.receive(decodeMessage(bytes))
    return `${verdict.result}:${verdict.reason}`
  }))
}

async function announcement (identity: Identity, at: number, extra: Partial<PresenceBody> = {}): Promise<Uint8Array> {
  const body: PresenceBody = { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: identity.peerId, at, voter: true, ...extra }
  return (await sealMessage(identity, body)).bytes
}

describe('presence: a peer that stops says so', () => {
  it('every roster drops it at once, with the reason, long before the TTL', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [a, b, c] = await swarm(3, clock)
    a!.presence.start()
    await clock.advance(10)
    expect(await deliver(a!.sent.at(-1)!, [b!, c!])).toEqual(['accept:presence', 'accept:presence'])
    expect(b!.presence.peers()).toEqual([a!.identity.peerId])

    await clock.advance(500)
    await a!.presence.leave()
    const leave = decodeMessage(a!.sent.at(-1)!).opened.body as PresenceBody
    expect(leave.leaving).toBe(true)
    expect(leave.at).toBe(clock.now())
    // relayed (accepted), and the peer is out of both rosters with no time passing
    expect(await deliver(a!.sent.at(-1)!, [b!, c!])).toEqual(['accept:presence', 'accept:presence'])
    for (const peer of [b!, c!]) {
      expect(peer.presence.peers()).toEqual([])
      expect(peer.presence.info(a!.identity.peerId)).toBeUndefined()
      expect(peer.absent).toEqual([{ peerId: a!.identity.peerId, voter: true, reason: 'left' }])
    }
    // and it stopped announcing: nothing more is sent however long we wait
    const count = a!.sent.length
    await clock.advance(10_000)
    expect(a!.sent).toHaveLength(count)
  })

  it('is signed later than its last announcement even within the same millisecond', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [a, b] = await swarm(2, clock)
    a!.presence.start()
    await clock.advance(0)
    await a!.presence.leave()
    const [first, last] = a!.sent.map(bytes => decodeMessage(bytes).opened.body as PresenceBody)
    expect(last!.at).toBeGreaterThan(first!.at)
    expect(await deliver(a!.sent[0]!, [b!])).toEqual(['accept:presence'])
    expect(await deliver(a!.sent[1]!, [b!])).toEqual(['accept:presence'])
    expect(b!.presence.peers()).toEqual([])
  })

  it('what it signed before leaving never brings it back (late, by another path, or replayed); a newer announcement does', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [b] = await swarm(1, clock)
    const a = await createIdentity()
    const before = await announcement(a, clock.now() - 100)
    const leave = await announcement(a, clock.now(), { leaving: true })
    // b never heard of a: the leave is still accepted, so it travels on to peers that did
    expect(await deliver(leave, [b!])).toEqual(['accept:presence'])
    expect(b!.absent).toEqual([])
    // the announcement sent before the leave arrives late: ignored, a stays out
    expect(await deliver(before, [b!])).toEqual(['ignore:duplicate'])
    expect(await deliver(leave, [b!])).toEqual(['ignore:duplicate'])
    expect(b!.presence.peers()).toEqual([])
    // a restarted: its new announcement is newer than the leave
    await clock.advance(1_000)
    expect(await deliver(await announcement(a, clock.now()), [b!])).toEqual(['accept:presence'])
    expect(b!.presence.peers()).toEqual([a.peerId])
  })

  it('a peer that vanishes without a word leaves by the TTL, and one whose connection closes leaves at once', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [b] = await swarm(1, clock)
    const crashed = await createIdentity()
    const neighbour = await createIdentity()
    await deliver(await announcement(crashed, clock.now()), [b!])
    await deliver(await announcement(neighbour, clock.now()), [b!])
    b!.presence.forget(neighbour.peerId)
    expect(b!.absent.map(p => [p.peerId, p.reason])).toEqual([[neighbour.peerId, 'disconnected']])
    await clock.advance(init.ttlMs! - 1)
    expect(b!.presence.peers()).toEqual([crashed.peerId])
    await clock.advance(2)
    expect(b!.presence.peers()).toEqual([])
    expect(b!.absent.map(p => [p.peerId, p.reason])).toEqual([[neighbour.peerId, 'disconnected'], [crashed.peerId, 'expired']])
  })

  it('a leave by someone else, or stale, changes nothing', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [b] = await swarm(1, clock)
    const a = await createIdentity()
    const mallory = await createIdentity()
    await deliver(await announcement(a, clock.now()), [b!])
    // a leave naming a, carrying mallory's signature (of her own leave): the signature is not a's
    const forged = (await announcement(a, clock.now() + 1, { leaving: true })).slice()
    forged.set((await announcement(mallory, clock.now() + 1, { leaving: true })).slice(-64), forged.length - 64)
    expect(await deliver(forged, [b!])).toEqual(['reject:bad-signature'])
    // a's own leave from long ago (a replay past the TTL)
    const old = await announcement(a, clock.now() - init.ttlMs! - 1, { leaving: true })
    expect(await deliver(old, [b!])).toEqual(['ignore:stale'])
    expect(b!.presence.peers()).toEqual([a.peerId])
    expect(b!.absent).toEqual([])
  })

  it('`leaving` is `true` or absent: any other value is malformed, naming the field', async () => {
    const a = await createIdentity()
    for (const leaving of [false, 1, 'yes', null]) {
      const bytes = await announcement(a, Date.now(), { leaving: leaving as unknown as true })
      expect(() => decodeMessage(bytes)).toThrow(InvalidMessageError)
      expect(() => decodeMessage(bytes)).toThrow(/leaving/)
    }
    // an ordinary announcement carries no `leaving` key at all
    const plain = decodeMessage(await announcement(a, Date.now())).opened.body
    expect('leaving' in plain).toBe(false)
  })

  it('never holds a stop up: a transport that does not answer is given up on after a second', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [a] = await swarm(1, clock, async () => new Promise<number>(() => {}))
    a!.presence.start()
    let done = false
    const leaving = a!.presence.leave().then(() => { done = true })
    await clock.advance(900)
    expect(done).toBe(false)
    await clock.advance(200)
    await leaving
    expect(done).toBe(true)
  })

  it('does nothing when presence is off or never started', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const sent: Uint8Array[] = []
    const publish = async (bytes: Uint8Array): Promise<number> => { sent.push(bytes); return 1 }
    const off = new Presence({ identity: await createIdentity(), namespace: 'default', log, clock, publish }, { intervalMs: 0 })
    off.start()
    await off.leave()
    expect(off.leaveNow()).toBe(false)
    const idle = new Presence({ identity: await createIdentity(), namespace: 'default', log, clock, publish }, init)
    await idle.leave()
    expect(idle.leaveNow()).toBe(false)
    expect(sent).toEqual([])
  })

  it('leaveNow (a closing page) sends a leave signed ahead, in the same tick, that every roster takes', async () => {
    const clock = new VirtualClock(1_700_000_000_000)
    const [a, b] = await swarm(2, clock)
    a!.presence.start()
    await clock.advance(10)
    expect(await deliver(a!.sent.at(-1)!, [b!])).toEqual(['accept:presence'])
    const announced = decodeMessage(a!.sent.at(-1)!).opened.body as PresenceBody
    // some time later (before the next announcement, at 625 ms) the page closes: nothing is awaited
    await clock.advance(300)
    const before = a!.sent.length
    expect(a!.presence.leaveNow()).toBe(true)
    expect(a!.sent).toHaveLength(before + 1)
    const leave = decodeMessage(a!.sent.at(-1)!).opened.body as PresenceBody
    expect(leave).toMatchObject({ leaving: true, at: announced.at + 1, peer: a!.identity.peerId })
    expect(await deliver(a!.sent.at(-1)!, [b!])).toEqual(['accept:presence'])
    expect(b!.presence.peers()).toEqual([])
    expect(b!.absent.map(p => p.reason)).toEqual(['left'])
    // said once: a stop after it sends nothing more
    await a!.presence.leave()
    expect(a!.presence.leaveNow()).toBe(false)
    expect(a!.sent).toHaveLength(before + 1)
  })
})
