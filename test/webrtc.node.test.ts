/**
 * Two Node 24 peers with `webrtc: true` behind one hub (which runs a circuit relay): they find each
 * other on the peer topic, open a direct WebRTC connection signalled through the relay, decide a
 * proposal with one certificate, and keep deciding after the hub stops. Loopback ICE, no STUN.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsensusNode, type ConsensusNode } from '../src/agent/node.js'
import { connectionKind, isWebRTCLink, linkKinds } from '../src/agent/webrtc.js'
import { createHub, type ConsensusHub } from '../src/hub/index.js'
import { waitUntil } from './helpers/wait.js'
import type { ConsensusResult } from '../src/index.js'
import type { Connection } from '@libp2p/interface'

/** The open, unlimited WebRTC connections of `node` to `other`. */
function directLinks (node: ConsensusNode, other: ConsensusNode): Connection[] {
  return node.getConnections(other.peerId).filter(c => c.status === 'open' && isWebRTCLink(c))
}

describe('WebRTC between Node peers through a hub relay', () => {
  let hub: ConsensusHub
  const peers: ConsensusNode[] = []
  const decisions: Array<Map<string, ConsensusResult>> = []

  beforeAll(async () => {
    hub = await createHub()
    for (let i = 0; i < 2; i++) {
      // host candidates only: a loopback test needs no STUN, and must not wait for public servers
      const node = await createConsensusNode({ webrtc: true, rtcConfiguration: { iceServers: [] }, consensus: { voter: () => 'for' } })
      const seen = new Map<string, ConsensusResult>()
      node.services.consensus.addEventListener('decision', (evt) => { seen.set(evt.detail.proposalId, evt.detail) })
      decisions.push(seen)
      peers.push(node)
      await node.dial(hub.multiaddrs.map(a => multiaddr(a)))
    }
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(peers.map(async p => { await p.stop() }))
    await hub?.stop().catch(() => {})
  })

  it('listen through the hub relay on a …/p2p-circuit/webrtc/p2p/<id> address', async () => {
    for (const node of peers) {
      const suffix = `/p2p/${hub.peerId}/p2p-circuit/webrtc/p2p/${node.peerId.toString()}`
      await waitUntil(() => node.getMultiaddrs().some(a => a.toString().endsWith(suffix)), 15_000, 'a WebRTC address through the hub')
    }
  })

  it('find each other on the peer topic and hold a direct, unlimited WebRTC connection', async () => {
    const [a, b] = peers as [ConsensusNode, ConsensusNode]
    await waitUntil(() => directLinks(a, b).length > 0 && directLinks(b, a).length > 0, 30_000, 'a direct WebRTC link both ways')
    for (const [node, other] of [[a, b], [b, a]] as const) {
      const link = directLinks(node, other)[0]!
      expect(link.remoteAddr.toString()).toContain('/webrtc')
      expect(link.limits).toBeUndefined()
      expect(connectionKind(link)).toBe('webrtc')
      expect(linkKinds(node).get(other.peerId.toString())).toBe('webrtc')
      expect(linkKinds(node).get(hub.peerId)).toBe('websocket')
    }
    // exactly one direct connection between them: the PeerId that sorts first dials, the other waits
    expect(directLinks(a, b)).toHaveLength(1)
    // gossipsub runs over the direct link: each is in the other's mesh
    const meshOf = (node: ConsensusNode): string[] => node.services.pubsub.getMeshPeers?.(node.services.consensus.topic) ?? []
    await waitUntil(() => meshOf(a).includes(b.peerId.toString()) && meshOf(b).includes(a.peerId.toString()), 10_000, 'each in the other\'s mesh')
  })

  it('decide a proposal with one certificate', async () => {
    const a = peers[0]!
    const participants = peers.map(p => p.peerId.toString())
    const result = await a.services.consensus.requestConsensus({ action: 'over-webrtc' }, { algorithm: 'unanimous', participants, timeoutMs: 10_000 })
    expect(result.decision).toBe('approved')
    await waitUntil(() => decisions[1]!.has(result.proposalId), 10_000, 'the second peer deciding')
    expect(decisions[1]!.get(result.proposalId)!.certificate?.id).toBe(result.certificate?.id)
    expect(result.voters.sort()).toEqual([...participants].sort())
  })

  it('keep deciding over the direct link after the hub stops', async () => {
    const [a, b] = peers as [ConsensusNode, ConsensusNode]
    await hub.stop()
    await waitUntil(() => a.getConnections().every(c => c.remotePeer.toString() !== hub.peerId), 10_000, 'the hub connection closing')
    expect(directLinks(a, b)).toHaveLength(1)
    const participants = peers.map(p => p.peerId.toString())
    const result = await b.services.consensus.requestConsensus({ action: 'after-hub' }, { algorithm: 'unanimous', participants, timeoutMs: 10_000 })
    expect(result.decision).toBe('approved')
    await waitUntil(() => decisions[0]!.has(result.proposalId), 10_000, 'the first peer deciding')
    expect(decisions[0]!.get(result.proposalId)!.certificate?.id).toBe(result.certificate?.id)
  })
})
