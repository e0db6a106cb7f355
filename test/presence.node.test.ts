/**
 * Presence in a star: leaves connected only to a hub (as browser tabs are) learn every agent on
 * the topic, propose to all of them by default, and reach one decision; forged, stale and
 * wrong-namespace announcements never enter a roster; a peer that stops says so in a last signed
 * announcement, and drops out of every roster at once rather than after the TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { createIdentity, type ConsensusResult } from '../src/index.js'
import type { AbsentPeerInfo } from '../src/libp2p/index.js'
import { topicFor } from '../src/libp2p/index.js'
import { sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { sleep, waitUntil } from './helpers/wait.js'

const LEAVES = 5
const presence = { intervalMs: 300, ttlMs: 1_500 }

describe('presence behind a hub', () => {
  let hub: ConsensusAgent
  let leaves: ConsensusAgent[]
  /** a leaf without a voter (a terminal that only proposes): present, but in nobody's default electorate */
  let observer: ConsensusAgent
  const decisions = new Map<string, Map<string, ConsensusResult>>()

  beforeAll(async () => {
    hub = await createAgent({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus: { voter: () => 'for', presence } })
    const hubs = hub.getMultiaddrs().map(String)
    leaves = await Promise.all(Array.from({ length: LEAVES }, async () => createAgent({ hubs, consensus: { voter: () => 'for', presence } })))
    observer = await createAgent({ hubs, consensus: { presence } })
    for (const node of [hub, ...leaves, observer]) {
      const mine = new Map<string, ConsensusResult>()
      decisions.set(node.peerId.toString(), mine)
      node.services.consensus.addEventListener('decision', (evt) => { mine.set(evt.detail.proposalId, evt.detail) })
    }
  })

  afterAll(async () => {
    await Promise.all([hub, ...leaves, observer].map(async node => node.stop()))
  })

  it('every leaf sees the hub and every other leaf, though it is connected to the hub alone', async () => {
    const everyone = [hub, ...leaves].map(n => n.peerId.toString()).sort()
    await Promise.all(leaves.map(async leaf => leaf.services.consensus.waitForPeers(LEAVES, { timeoutMs: 10_000 })))
    for (const leaf of leaves) {
      expect(leaf.getConnections().map(c => c.remotePeer.toString())).toEqual([hub.peerId.toString()])
      expect(leaf.services.consensus.getPeers()).toEqual(everyone.filter(id => id !== leaf.peerId.toString()))
      expect(leaf.services.consensus.getTopologyInfo().agentCount).toBe(LEAVES + 1)
    }
    // the observer sees every voter; no voter counts the observer
    await observer.services.consensus.waitForPeers(LEAVES + 1, { timeoutMs: 10_000 })
    expect(observer.services.consensus.getPeers()).toEqual(everyone)
  })

  it('a peer without a voter proposes to the voters alone, so a unanimous proposal can pass', async () => {
    const result = await observer.services.consensus.requestConsensus({ action: 'observe' }, { algorithm: 'unanimous', timeoutMs: 10_000 })
    expect(result.participants).toHaveLength(LEAVES + 1)
    expect(result.participants).not.toContain(observer.peerId.toString())
    expect(result.decision).toBe('approved')
  })

  it('a leaf proposing with the default electorate asks everyone, and every peer decides the same', async () => {
    const result = await leaves[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'unanimous', timeoutMs: 10_000 })
    expect(result.participants).toHaveLength(LEAVES + 1)
    expect(result.decision).toBe('approved')
    await waitUntil(() => [...decisions.values()].every(d => d.has(result.proposalId)), 10_000, 'every peer deciding')
    const hashes = new Set([...decisions.values()].map(d => d.get(result.proposalId)?.certificate?.id))
    expect(hashes.size).toBe(1)
  })

  it('forged, stale and wrong-namespace announcements stay out of every roster', async () => {
    const attacker = leaves[LEAVES - 1]!
    const victim = await createIdentity()
    const impostor = await createIdentity()
    const ghost = await createIdentity()
    const now = Date.now()
    // signed by someone else than the peer it names
    const forged = await sealMessage(victim, { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: victim.peerId, at: now, voter: true })
    const forgedBytes = forged.bytes.slice()
    const sigAt = forgedBytes.length - 64
    const impostorSigned = await sealMessage(impostor, { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: impostor.peerId, at: now, voter: true })
    forgedBytes.set(impostorSigned.bytes.slice(-64), sigAt)
    const stale = await sealMessage(ghost, { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: ghost.peerId, at: now - 60_000, voter: true })
    const otherNs = await sealMessage(ghost, { type: 'presence', v: PROTOCOL_VERSION, ns: 'elsewhere', peer: ghost.peerId, at: now, voter: true })
    for (const bytes of [forgedBytes, stale.bytes, otherNs.bytes]) {
      await attacker.services.pubsub.publish(topicFor('default'), bytes).catch(() => {})
    }
    await sleep(500)
    for (const node of [hub, ...leaves]) {
      const peers = node.services.consensus.getPeers()
      expect(peers).not.toContain(victim.peerId)
      expect(peers).not.toContain(ghost.peerId)
    }
  })

  it('a peer that stops drops out of every roster', async () => {
    const leaving = leaves.pop()!
    const id = leaving.peerId.toString()
    await leaving.stop()
    await waitUntil(
      () => [hub, ...leaves].every(l => !l.services.consensus.getPeers().includes(id)),
      presence.ttlMs + 2 * presence.intervalMs + 1_000,
      'every peer forgetting the peer'
    )
  })
})

describe('presence: a peer that stops says so', () => {
  // a long TTL, as a big swarm has (its interval stretches to 1 s per peer): a leave must not wait for it
  const slow = { intervalMs: 300, ttlMs: 60_000 }
  let hub: ConsensusAgent
  let leaves: ConsensusAgent[]
  const absent = new Map<string, AbsentPeerInfo[]>()

  beforeAll(async () => {
    hub = await createAgent({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus: { presence: { ...slow, voter: false } } })
    const hubs = hub.getMultiaddrs().map(String)
    leaves = await Promise.all(Array.from({ length: 4 }, async () => createAgent({ hubs, consensus: { voter: () => 'for', presence: slow } })))
    for (const node of [hub, ...leaves]) {
      const seen: AbsentPeerInfo[] = []
      absent.set(node.peerId.toString(), seen)
      node.services.consensus.addEventListener('peer:absent', (evt) => { seen.push(evt.detail) })
    }
    await Promise.all(leaves.map(async leaf => leaf.services.consensus.waitForPeers(3, { timeoutMs: 10_000 })))
  })

  afterAll(async () => {
    await Promise.all([hub, ...leaves].map(async node => node.stop()))
  })

  it('leaves every roster at once, not after the 60 s TTL, and says why', async () => {
    const leaving = leaves.pop()!
    const id = leaving.peerId.toString()
    const started = Date.now()
    await leaving.stop()
    await waitUntil(() => leaves.every(l => !l.services.consensus.getPeers().includes(id)), 5_000, 'the other leaves forgetting the peer')
    expect(Date.now() - started).toBeLessThan(5_000)
    // the leaves are connected to the hub alone: they learnt it from its signed leave, relayed by the hub
    for (const leaf of leaves) {
      expect(leaf.getConnections().map(c => c.remotePeer.toString())).toEqual([hub.peerId.toString()])
      expect(absent.get(leaf.peerId.toString())).toEqual([expect.objectContaining({ peerId: id, reason: 'left' })])
    }
    // the hub saw it go one way or the other: its leave, or the connection closing
    await waitUntil(() => !hub.services.consensus.getPeers().includes(id), 2_000, 'the hub forgetting the peer')
    expect(['left', 'disconnected']).toContain(absent.get(hub.peerId.toString())?.find(p => p.peerId === id)?.reason)
  })

  it('so a unanimous proposal made right after asks only the peers still there, and passes', async () => {
    const result = await leaves[0]!.services.consensus.requestConsensus({ action: 'after-leave' }, { algorithm: 'unanimous', timeoutMs: 10_000 })
    expect(result.participants.sort()).toEqual(leaves.map(l => l.peerId.toString()).sort())
    expect(result.decision).toBe('approved')
  })
})
