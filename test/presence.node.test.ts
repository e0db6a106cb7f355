/**
 * Presence in a star: leaves connected only to a hub (as browser tabs are) learn every agent on
 * the topic, propose to all of them by default, and reach one decision; forged, stale and
 * wrong-namespace announcements never enter a roster; peers that leave drop out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { createIdentity, type ConsensusResult } from '../src/index.js'
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

  it('a peer that leaves drops out: at once where it was connected, after the TTL elsewhere', async () => {
    const leaving = leaves.pop()!
    const id = leaving.peerId.toString()
    await leaving.stop()
    await waitUntil(() => !hub.services.consensus.getPeers().includes(id), 2_000, 'the hub forgetting the peer')
    expect(leaves[0]!.services.consensus.getPeers()).toContain(id)
    await waitUntil(
      () => leaves.every(l => !l.services.consensus.getPeers().includes(id)),
      presence.ttlMs + 2 * presence.intervalMs + 1_000,
      'the leaves forgetting the peer'
    )
  })
})
