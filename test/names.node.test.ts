/**
 * Names over real libp2p (issue 14, part 4): agents behind a hub announce a display name and role
 * in their signed presence; every peer lists them by name; a coordinator proposes to agents by
 * name and weighs them by name; forged and malformed names never reach a roster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { InvalidParametersError, WeightedAlgorithm, createIdentity, type Identity } from '../src/index.js'
import { consensus, topicFor, type PeerInfo } from '../src/libp2p/index.js'
import { decodeCanonical, encodeCanonical } from '../src/wire/codec.js'
import { sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { sleep, waitUntil } from './helpers/wait.js'

const presence = { intervalMs: 300, ttlMs: 3_000 }
const AGENTS = [
  { name: 'expert-backend-001', role: 'expert', vote: 'for' as const },
  { name: 'agent-junior-001', role: 'junior', vote: 'against' as const },
  { name: 'agent-junior-002', role: 'junior', vote: 'against' as const }
]
const expertWeighted = (): WeightedAlgorithm => new WeightedAlgorithm({ threshold: 0.5, agentWeights: { 'expert-backend-001': 3 } })

async function announce (identity: Identity, extra: Record<string, unknown>, at = Date.now()): Promise<Uint8Array> {
  const body = { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: identity.peerId, at, voter: false, ...extra } as const
  return (await sealMessage(identity, body as any)).bytes
}

describe('agents with names, behind a hub', () => {
  let hub: ConsensusAgent
  let agents: ConsensusAgent[]
  let terminal: ConsensusAgent
  const heard: PeerInfo[] = []

  beforeAll(async () => {
    hub = await createAgent({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus: { name: 'hub-1', role: 'hub', presence } })
    const hubs = hub.getMultiaddrs().map(String)
    agents = await Promise.all(AGENTS.map(async a => createAgent({
      hubs, consensus: { name: a.name, role: a.role, voter: () => a.vote, presence, algorithms: { expert_weighted: expertWeighted() } }
    })))
    terminal = await createAgent({ hubs, consensus: { name: 'terminal', presence, algorithms: { expert_weighted: expertWeighted() } } })
    terminal.services.consensus.addEventListener('peer:present', (evt) => { heard.push(evt.detail) })
  })

  afterAll(async () => {
    await Promise.all([hub, ...agents, terminal].map(async node => node.stop()))
  })

  it('every peer lists the others by the name and role they announced, though it is connected to the hub alone', async () => {
    const byId = new Map([
      [hub.peerId.toString(), ['hub-1', 'hub']],
      ...agents.map((a, i) => [a.peerId.toString(), [AGENTS[i]!.name, AGENTS[i]!.role]] as const)
    ])
    await waitUntil(() => [...byId.keys()].every(id => terminal.services.consensus.getPeerInfo(id)?.name !== undefined), 10_000, 'every name heard')
    expect(terminal.getConnections().map(c => c.remotePeer.toString())).toEqual([hub.peerId.toString()])
    const listed = terminal.services.consensus.listPeers()
    expect(listed.map(p => [p.peerId, [p.name, p.role]])).toEqual([...byId].sort((a, b) => a[0] < b[0] ? -1 : 1))
    expect(listed.find(p => p.name === 'hub-1')?.voter).toBe(false)
    expect(listed.filter(p => p.role !== 'hub').every(p => p.voter)).toBe(true)
    // its own info, and the event a page updates names from
    expect(terminal.services.consensus.getPeerInfo(terminal.peerId.toString())).toEqual({ peerId: terminal.peerId.toString(), name: 'terminal', voter: false })
    expect(heard.map(p => p.name).sort()).toEqual(['agent-junior-001', 'agent-junior-002', 'expert-backend-001', 'hub-1'])
  })

  it('a proposal to agents by name, weighed by name, pins their PeerIds and applies the weights', async () => {
    await waitUntil(() => terminal.services.consensus.listPeers().filter(p => p.name !== undefined).length === 4, 10_000, 'names heard')
    const participants = AGENTS.map(a => a.name)
    const weighted = await terminal.services.consensus.requestConsensus({ action: 'migrate' }, {
      algorithm: 'expert_weighted', participants, timeoutMs: 10_000
    })
    expect(weighted.participants).toEqual(agents.map(a => a.peerId.toString()).sort())
    // the expert's 3 of 5 is more than half: approved, where a head count (1 of 3 for) rejects
    expect(weighted.decision).toBe('approved')
    const headCount = await terminal.services.consensus.requestConsensus({ action: 'migrate' }, { algorithm: 'quorum', participants, timeoutMs: 10_000 })
    expect(headCount.decision).toBe('rejected')
    // a coordinator's own name resolves too, and an unknown one lists the names known
    await expect(terminal.services.consensus.requestConsensus({}, { participants: ['terminal', 'expert-backend-002'] }))
      .rejects.toThrow(/participants names "expert-backend-002", .* names known: agent-junior-001 \(12D3Koo\w+\), .*hub-1 \(12D3Koo\w+\), terminal/)
  })

  it('a name is refused at the call when it breaks the rules', () => {
    expect(() => consensus({ name: 'x'.repeat(65) })).toThrow(InvalidParametersError)
    expect(() => consensus({ role: 'bad\u0000role' })).toThrow(/role must be no control, separator or bidi-control characters, found U\+0000/)
  })

  it('forged and malformed names never reach a roster; a re-announced name is an update', async () => {
    const stranger = await createIdentity()
    const updates: PeerInfo[] = []
    terminal.services.consensus.addEventListener('peer:update', (evt) => { updates.push(evt.detail) })
    const publish = async (from: ConsensusAgent, bytes: Uint8Array): Promise<void> => {
      await from.services.pubsub.publish(topicFor('default'), bytes).catch(() => {})
    }
    // a stranger (no node of its own) announces a name, relayed by the hub: everyone hears it
    await publish(hub, await announce(stranger, { name: 'observer-001' }))
    await waitUntil(() => terminal.services.consensus.getPeerInfo(stranger.peerId)?.name === 'observer-001', 5_000, 'the stranger heard')
    // a later, valid announcement with another name is taken, and is an update
    await publish(hub, await announce(stranger, { name: 'observer-002', role: 'watcher' }, Date.now() + 1))
    await waitUntil(() => updates.some(u => u.peerId === stranger.peerId), 5_000, 'the update heard')
    expect(updates.filter(u => u.peerId === stranger.peerId)).toEqual([{ peerId: stranger.peerId, name: 'observer-002', role: 'watcher', voter: false }])
    // later still, each from another sender (a reject lowers its sender's score): the name changed under the old
    // signature (bad signature), and validly signed an oversize name and a bidi override (malformed)
    const good = await announce(stranger, { name: 'observer-002' }, Date.now() + 2)
    const [bodyBytes, signature] = decodeCanonical(good, 1 << 20) as [Uint8Array, Uint8Array]
    const forgedBody = { ...(decodeCanonical(bodyBytes, 1 << 20) as object), name: 'expert-backend-001' }
    const bad = [
      encodeCanonical([encodeCanonical(forgedBody), signature]),
      await announce(stranger, { name: 'x'.repeat(200) }, Date.now() + 3),
      await announce(stranger, { name: 'evil\u202Egnp.exe' }, Date.now() + 4)
    ]
    await Promise.all(bad.map(async (bytes, i) => { await publish(agents[i]!, bytes) }))
    await sleep(800)
    // (the hub published the stranger's announcements: a publisher does not validate its own messages)
    for (const node of [...agents, terminal]) expect(node.services.consensus.getPeerInfo(stranger.peerId)?.name).toBe('observer-002')
    expect(updates.filter(u => u.peerId === stranger.peerId)).toHaveLength(1)
  })
})

describe('a hub reports agents by name', () => {
  it('agent:join carries the name when the presence came first, else agent:update brings it; agent:leave keeps it', async () => {
    const { createHub } = await import('../src/hub/index.js')
    const hub = await createHub({ name: 'hub-eu-1', role: 'hub', consensus: { presence } })
    const seen: Array<{ type: string, peerId: string, name?: string, role?: string }> = []
    for (const type of ['agent:join', 'agent:update', 'agent:leave'] as const) {
      hub.addEventListener(type, (evt) => { seen.push({ type, peerId: evt.detail.peerId, name: evt.detail.name, role: evt.detail.role }) })
    }
    const names = ['expert-backend-001', 'agent-junior-001']
    const agents = await Promise.all(names.map(async name => createAgent({ hubs: hub.multiaddrs, name, role: 'reviewer', consensus: { presence } })))
    try {
      const named = (id: string): boolean => seen.some(e => e.peerId === id && e.name !== undefined)
      await waitUntil(() => agents.every(a => named(a.peerId.toString())), 10_000, 'the hub naming every agent')
      for (const [i, agent] of agents.entries()) {
        const mine = seen.filter(e => e.peerId === agent.peerId.toString())
        expect(mine[0]?.type).toBe('agent:join')
        // the name arrives once: with the join, or with the one update after it
        const type = mine.length === 1 ? 'agent:join' : 'agent:update'
        expect(mine.filter(e => e.name !== undefined)).toEqual([{ type, peerId: agent.peerId.toString(), name: names[i], role: 'reviewer' }])
      }
      // the agents see the hub's own name
      await waitUntil(() => agents[0]!.services.consensus.getPeerInfo(hub.peerId)?.name === 'hub-eu-1', 5_000, 'the hub named')
      expect(agents[0]!.services.consensus.getPeerInfo(hub.peerId)).toEqual({ peerId: hub.peerId, name: 'hub-eu-1', role: 'hub', voter: false })
      await agents[1]!.stop()
      await waitUntil(() => seen.some(e => e.type === 'agent:leave'), 5_000, 'the leave')
      expect(seen.find(e => e.type === 'agent:leave')).toEqual({ type: 'agent:leave', peerId: agents[1]!.peerId.toString(), name: names[1], role: 'reviewer' })
      // the same name given twice, differently, is refused
      await expect(createAgent({ name: 'a', consensus: { name: 'b' } })).rejects.toThrow(/name is given twice, as "a" and consensus.name "b"/)
    } finally {
      await Promise.all([...agents.map(async a => a.stop()), hub.stop()])
    }
  })
})
