/**
 * createHub on real websockets (127.0.0.1): agents dialing it show up as `agent:join` and in
 * `agents()`, a proposal made by one leaf is relayed to the others and decided, the hub re-dispatches
 * that decision, and a stopped agent is reported as `agent:leave`.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { createHub, type ConsensusHub, type HubAgentEvent } from '../src/hub/index.js'
import { waitUntil } from './helpers/wait.js'
import type { ConsensusResult } from '../src/index.js'

describe('createHub', () => {
  let hub: ConsensusHub
  const agents: ConsensusAgent[] = []
  const joined: HubAgentEvent[] = []
  const left: HubAgentEvent[] = []
  const hubDecisions: ConsensusResult[] = []

  beforeAll(async () => {
    hub = await createHub({ consensus: { voter: () => 'for' } })
    hub.addEventListener('agent:join', (evt) => { joined.push(evt.detail) })
    hub.addEventListener('agent:leave', (evt) => { left.push(evt.detail) })
    hub.addEventListener('decision', (evt) => { hubDecisions.push(evt.detail) })
    for (let i = 0; i < 3; i++) {
      // the third agent objects, so a unanimous proposal is rejected by everyone
      agents.push(await createAgent({ hubs: hub.multiaddrs, consensus: { voter: () => i === 2 ? 'against' : 'for' } }))
    }
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(agents.map(async a => { await a.stop() }))
    await hub?.stop()
  })

  it('listens on 127.0.0.1 and gives dialable addresses ending in its PeerId', () => {
    expect(hub.multiaddrs.length).toBeGreaterThan(0)
    for (const addr of hub.multiaddrs) expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/ws/p2p/${hub.peerId}$`))
  })

  it('reports every agent that dials it', async () => {
    const ids = agents.map(a => a.peerId.toString()).sort()
    await waitUntil(() => joined.length === 3, 10_000, 'three agent:join events')
    expect(joined.map(e => e.peerId).sort()).toEqual(ids)
    expect(joined.map(e => e.agents)).toEqual([1, 2, 3])
    expect(hub.agents()).toEqual(ids)
  })

  it('runs a circuit relay server that agents learn of through identify', async () => {
    // browser tabs reserve a slot on it and reach each other at …/p2p-circuit/webrtc/p2p/<tab>
    // identify has run: the agent joined the hub's topic in the test above
    const peer = await agents[0]!.peerStore.get(hub.node.peerId)
    expect(peer.protocols).toContain('/libp2p/circuit/relay/0.2.0/hop')
  })

  it('relays a leaf proposal to the other leaves and re-dispatches the decision', async () => {
    const [proposer, ...others] = agents as [ConsensusAgent, ...ConsensusAgent[]]
    const othersSaw = others.map(() => new Map<string, ConsensusResult>())
    others.forEach((a, i) => { a.services.consensus.addEventListener('decision', (evt) => { othersSaw[i]!.set(evt.detail.proposalId, evt.detail) }) })
    const participants = [hub.peerId, ...agents.map(a => a.peerId.toString())]
    const result = await proposer.services.consensus.requestConsensus({ action: 'deploy' }, { algorithm: 'unanimous', participants, timeoutMs: 10_000 })
    // only the third agent, another leaf, objects: the rejection needs its vote, relayed by the hub
    expect(result.decision).toBe('rejected')
    expect(result.votesAgainst).toBe(1)
    expect(result.voters).toContain(agents[2]!.peerId.toString())
    await waitUntil(
      () => hubDecisions.some(d => d.proposalId === result.proposalId) && othersSaw.every(m => m.has(result.proposalId)),
      10_000,
      'the hub and the other leaves deciding'
    )
    const seen = [hubDecisions.find(d => d.proposalId === result.proposalId)!, ...othersSaw.map(m => m.get(result.proposalId)!)]
    for (const decision of seen) {
      expect(decision.decision).toBe('rejected')
      expect(decision.certificate?.id).toBe(result.certificate?.id)
    }
  })

  it('reports an agent that stops as agent:leave', async () => {
    const leaving = agents.pop()!
    const id = leaving.peerId.toString()
    await leaving.stop()
    await waitUntil(() => left.some(e => e.peerId === id), 10_000, 'agent:leave')
    expect(left.find(e => e.peerId === id)?.agents).toBe(2)
    await waitUntil(() => !hub.agents().includes(id), 5_000, 'agents() to drop it')
    expect(hub.agents()).toHaveLength(2)
  })
})

describe('createHub options', () => {
  it('keeps its PeerId when given the same key again', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const first = await createHub({ privateKey })
    const addr = first.multiaddrs[0]
    await first.stop()
    const second = await createHub({ privateKey })
    try {
      expect(second.peerId).toBe(first.peerId)
      expect(second.multiaddrs[0]?.endsWith(`/p2p/${first.peerId}`)).toBe(true)
      expect(addr?.endsWith(`/p2p/${first.peerId}`)).toBe(true)
    } finally {
      await second.stop()
    }
  })

  it('refuses a bad host or port with what it expected', async () => {
    await expect(createHub({ port: 70000 })).rejects.toThrow(InvalidParametersError)
    await expect(createHub({ port: 1.5 })).rejects.toThrow(/port must be an integer in 0…65535/)
    await expect(createHub({ host: 'example.com' })).rejects.toThrow(/host must be an IP address/)
    await expect(createHub({ host: '300.1.1.1' })).rejects.toThrow(/host must be an IP address/)
  })

  it('refuses bad backbone peers, delays and hub counts at the call, with what it expected', async () => {
    await expect(createHub({ peers: ['hub-b:9090'] })).rejects.toThrow(InvalidParametersError)
    await expect(createHub({ peers: ['/ip4/127.0.0.1/tcp/9090/ws'] })).rejects.toThrow(/peer address .* must end in \/p2p\/<peer id>/)
    await expect(createHub({ peers: 'x' as any })).rejects.toThrow(/must be an array/)
    await expect(createHub({ redialDelayMs: 0 })).rejects.toThrow(/redialDelayMs must be a finite number > 0/)
    await expect(createAgent({ hubConnections: 0 })).rejects.toThrow(/hubConnections must be an integer ≥ 1 \(or Infinity: every hub\), got 0/)
    await expect(createAgent({ hubConnections: 1.5 })).rejects.toThrow(InvalidParametersError)
  })

  it('skips its own address among its peers, so every hub of a backbone can be given the same list', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const own = `/ip4/127.0.0.1/tcp/1/ws/p2p/${peerIdFromPrivateKey(privateKey).toString()}`
    const hub = await createHub({ privateKey, peers: [own] })
    try {
      expect(hub.peerAddresses).toEqual([])
      expect(hub.peers()).toEqual([])
    } finally {
      await hub.stop()
    }
  })
})
