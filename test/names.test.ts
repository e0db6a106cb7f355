/**
 * Names (issue 14, part 4): a display name and role in the signed presence body, checked at the
 * wire; `participants`, `agentWeights` and `weights` keyed by names, resolved to PeerIds by the
 * coordinator when it pins the proposal, with clear errors for unknown and ambiguous names.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConsensusManager, InvalidMessageError, InvalidParametersError, VoteType, WeightedAlgorithm, createIdentity, type Identity } from '../src/index.js'
import { checkDisplayName } from '../src/libp2p/presence.js'
import { MemoryNetwork } from '../src/testing/index.js'
import { decodeCanonical, encodeCanonical } from '../src/wire/codec.js'
import { decodeMessage, sealMessage, verifyMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION, type PresenceBody } from '../src/wire/messages.js'

function presenceBody (identity: Identity, extra: Record<string, unknown> = {}): PresenceBody {
  return { type: 'presence', v: PROTOCOL_VERSION, ns: 'default', peer: identity.peerId, at: 1_000, voter: true, ...extra } as PresenceBody
}

describe('a name and role in the signed presence', () => {
  it('travel signed, and an unnamed presence carries no name key at all', async () => {
    const identity = await createIdentity()
    const named = await sealMessage(identity, presenceBody(identity, { name: 'expert-backend-001', role: 'reviewer' }))
    const opened = await verifyMessage(decodeMessage(named.bytes))
    expect(opened.body).toMatchObject({ name: 'expert-backend-001', role: 'reviewer' })
    const plain = await sealMessage(identity, presenceBody(identity))
    const [bodyBytes] = decodeCanonical(plain.bytes, 1 << 20) as [Uint8Array]
    expect(Object.keys(decodeCanonical(bodyBytes, 1 << 20) as object).sort()).toEqual(['at', 'ns', 'peer', 'type', 'v', 'voter'])
    expect((await verifyMessage(decodeMessage(plain.bytes))).body).not.toHaveProperty('name')
  })

  it('a name changed in transit no longer verifies: a forged name is a bad signature', async () => {
    const identity = await createIdentity()
    const sealed = await sealMessage(identity, presenceBody(identity, { name: 'agent-junior-002' }))
    const [, signature] = decodeCanonical(sealed.bytes, 1 << 20) as [Uint8Array, Uint8Array]
    const forged = encodeCanonical([encodeCanonical(presenceBody(identity, { name: 'expert-backend-001' })), signature])
    const decoded = decodeMessage(forged)
    await expect(verifyMessage(decoded)).rejects.toThrow(expect.objectContaining({ reason: 'bad-signature' }))
  })

  it.each([
    ['too long', 'x'.repeat(65), /name: expected 1 to 64 characters, got 65/],
    ['empty', '', /name: expected 1 to 64 characters, got 0/],
    ['with a control character', 'bad\u0007bell', /name: expected no control.*U\+0007/],
    ['with a bidi override', 'evil\u202Eexe.txt', /name: expected no control.*U\+202E/],
    ['with a newline', 'two\nlines', /name: expected no control.*U\+000A/],
    ['not in NFC', 'Cafe\u0301', /name: expected a string in Unicode NFC/],
    ['padded with spaces', ' padded ', /name: expected no leading or trailing whitespace/],
    ['not a string', 42, /name: expected a string, got number/],
    ['null', null, /name: expected a string, got null/]
  ])('a signed presence whose name is %s is refused at the wire as malformed, naming the field', async (_what, name, message) => {
    const identity = await createIdentity()
    const sealed = await sealMessage(identity, presenceBody(identity, { name }))
    expect(() => decodeMessage(sealed.bytes)).toThrow(InvalidMessageError)
    expect(() => decodeMessage(sealed.bytes)).toThrow(message)
    expect(() => decodeMessage(sealed.bytes)).toThrow(expect.objectContaining({ reason: 'malformed' }))
  })

  it('a bad role is refused the same way, and an unknown field still is', async () => {
    const identity = await createIdentity()
    const badRole = await sealMessage(identity, presenceBody(identity, { role: 'x'.repeat(100) }))
    expect(() => decodeMessage(badRole.bytes)).toThrow(/role: expected 1 to 64 characters/)
    const extra = await sealMessage(identity, presenceBody(identity, { nickname: 'x' }))
    expect(() => decodeMessage(extra.bytes)).toThrow(/body: expected exactly the fields .* \(and optionally name, role, leaving\)/)
  })

  it('a name given to the API is put in NFC, and a bad one is an InvalidParametersError saying why', () => {
    expect(checkDisplayName('Cafe\u0301', 'name')).toBe('Caf\u00e9')
    expect(checkDisplayName(undefined, 'name')).toBeUndefined()
    expect(() => checkDisplayName('x'.repeat(65), 'name')).toThrow(InvalidParametersError)
    expect(() => checkDisplayName('tab\there', 'role')).toThrow(/role must be no control, separator or bidi-control characters, found U\+0009/)
    expect(() => checkDisplayName(7, 'name')).toThrow(/name must be a string, got number/)
  })
})

interface Named { manager: ConsensusManager, name: string }

/**
 * A coordinator and voters on one in-memory network, each voter known to the coordinator by the
 * name it "announced" (`names`, as the libp2p service passes what presence heard).
 */
async function namedSwarm (voters: Array<{ name: string, vote: VoteType }>, extraNames: Array<[string, string]> = []): Promise<{
  network: MemoryNetwork, coordinator: ConsensusManager, agents: Named[], names: Map<string, string>
}> {
  const network = new MemoryNetwork()
  const names = new Map<string, string>()
  const spawn = async (vote?: VoteType): Promise<ConsensusManager> => {
    const identity = await createIdentity()
    const manager = new ConsensusManager({
      identity, coordinator: network.join(identity.peerId), voter: vote === undefined ? undefined : () => vote, peerNames: () => names
    })
    await manager.start()
    onTestFinished(async () => { await manager.stop() })
    return manager
  }
  const agents = await Promise.all(voters.map(async v => ({ manager: await spawn(v.vote), name: v.name })))
  for (const a of agents) names.set(a.manager.peerId, a.name)
  for (const [id, name] of extraNames) names.set(id, name)
  return { network, coordinator: await spawn(), agents, names }
}

const MOAI = [
  { name: 'expert-backend-001', vote: VoteType.For },
  { name: 'agent-junior-001', vote: VoteType.Against },
  { name: 'agent-junior-002', vote: VoteType.Against }
]

describe('participants and weights by name', () => {
  it('participants by name pin the same PeerIds, and decide as by PeerId', async () => {
    const { coordinator, agents } = await namedSwarm(MOAI)
    const byName = await coordinator.requestConsensus({ action: 'deploy' }, { participants: agents.map(a => a.name), timeoutMs: 5_000 })
    const byId = await coordinator.requestConsensus({ action: 'deploy' }, { participants: agents.map(a => a.manager.peerId), timeoutMs: 5_000 })
    expect(byName.participants).toEqual(agents.map(a => a.manager.peerId).sort())
    expect(byName.participants).toEqual(byId.participants)
    // two of three against: rejected either way (it may close before the third vote arrives)
    expect([byName.decision, byId.decision]).toEqual(['rejected', 'rejected'])
    expect(byName.votesAgainst).toBe(2)
  })

  it('agentWeights keyed by names really weigh: the expert outvotes two juniors, which a head count would not give', async () => {
    const { coordinator, agents } = await namedSwarm(MOAI)
    const experts = new WeightedAlgorithm({ threshold: 0.5, agentWeights: { 'expert-backend-001': 3, 'agent-junior-001': 1 } })
    for (const m of [coordinator, ...agents.map(a => a.manager)]) m.registerAlgorithm('expert_weighted', experts)
    const pinned: Array<Array<{ id: string, weight: number }>> = []
    agents[1]?.manager.addEventListener('proposal', (evt) => { pinned.push(evt.detail.electorate) })
    const result = await coordinator.requestConsensus({ action: 'migrate' }, {
      algorithm: 'expert_weighted', participants: agents.map(a => a.name), timeoutMs: 5_000
    })
    // the expert alone is for: 3 of 5 weight > 0.5 approves (it may close before the juniors' votes arrive);
    // by head count, 1 of 3 for is rejected (below)
    expect(result.decision).toBe('approved')
    expect(result.votesFor).toBe(1)
    const expert = agents[0]?.manager.peerId as string
    // what every voter saw pinned: PeerIds with integer weights, no names
    expect(pinned[0]).toEqual(agents.map(a => ({ id: a.manager.peerId, weight: a.manager.peerId === expert ? 3 : 1 }))
      .sort((a, b) => a.id < b.id ? -1 : 1))
    const headCount = await coordinator.requestConsensus({ action: 'migrate' }, {
      algorithm: 'quorum', participants: agents.map(a => a.name), timeoutMs: 5_000
    })
    expect(headCount.decision).toBe('rejected')
  })

  it('request weights keyed by names apply too, and a name with its own PeerId is one member twice', async () => {
    const { coordinator, agents } = await namedSwarm(MOAI)
    const participants = agents.map(a => a.name)
    const result = await coordinator.requestConsensus({ action: 'migrate' }, {
      algorithm: 'weighted', participants, weights: { 'expert-backend-001': 5 }, timeoutMs: 5_000
    })
    // weighted's default threshold 0.6: 5 of 7 for
    expect(result.decision).toBe('approved')
    const expert = agents[0]?.manager.peerId as string
    await expect(coordinator.requestConsensus({}, { participants: [...participants, expert] }))
      .rejects.toThrow(new RegExp(`participants lists ${expert} twice \\(as expert-backend-001 and ${expert}\\)`))
    await expect(coordinator.requestConsensus({}, { algorithm: 'weighted', participants, weights: { 'expert-backend-001': 2, [expert]: 2 } }))
      .rejects.toThrow(/weights gives .* a weight twice/)
  })

  it('an unknown name is an InvalidParametersError listing the names known, and nothing is sent', async () => {
    const { network, coordinator, agents } = await namedSwarm(MOAI)
    const sentBefore = network.counters.sent
    const attempt = coordinator.requestConsensus({}, { participants: ['expert-backend-001', 'expert-frontend-001'] })
    await expect(attempt).rejects.toThrow(InvalidParametersError)
    await expect(attempt).rejects.toThrow(new RegExp('participants names "expert-frontend-001", which is not an Ed25519 PeerId nor a name any peer here ' +
      'announced; names known: agent-junior-001 \\(12D3Koo\\w+\\), agent-junior-002 \\(12D3Koo\\w+\\), expert-backend-001 \\(12D3Koo\\w+\\)'))
    const weights = new WeightedAlgorithm({ agentWeights: { 'expert-frontend-001': 3 } })
    coordinator.registerAlgorithm('typo', weights)
    await expect(coordinator.requestConsensus({}, { algorithm: 'typo', participants: agents.map(a => a.name) }))
      .rejects.toThrow(/agentWeights names expert-frontend-001, not in this proposal's electorate; keys are PeerId strings .*names known: agent-junior-001/)
    expect(network.counters.sent).toBe(sentBefore)
  })

  it('a name two peers announced is ambiguous: the error lists the PeerIds that claim it', async () => {
    const { network, coordinator, agents } = await namedSwarm([
      { name: 'agent-junior-001', vote: VoteType.For }, { name: 'agent-junior-001', vote: VoteType.For }, { name: 'expert-backend-001', vote: VoteType.For }
    ])
    const claimants = agents.slice(0, 2).map(a => a.manager.peerId).sort()
    const sentBefore = network.counters.sent
    await expect(coordinator.requestConsensus({}, { participants: ['agent-junior-001'] }))
      .rejects.toThrow(`participants names "agent-junior-001", a name announced by 2 peers (${claimants.join(', ')}): ` +
        'names are self-declared, so pass the PeerId you mean')
    const weights = new WeightedAlgorithm({ agentWeights: { 'agent-junior-001': 3 } })
    coordinator.registerAlgorithm('dup', weights)
    await expect(coordinator.requestConsensus({}, { algorithm: 'dup', participants: agents.map(a => a.manager.peerId) }))
      .rejects.toThrow(`agentWeights names "agent-junior-001", a name announced by 2 peers (${claimants.join(', ')})`)
    // the PeerIds themselves still work
    const result = await coordinator.requestConsensus({}, { participants: claimants, timeoutMs: 5_000 })
    expect(result.participants).toEqual(claimants)
    expect(network.counters.sent).toBeGreaterThan(sentBefore)
  })

  it('a PeerId is always that PeerId, even when another peer announced it as its name', async () => {
    const { coordinator, agents, names } = await namedSwarm(MOAI)
    const [victim, impostor] = agents.map(a => a.manager.peerId) as [string, string]
    names.set(impostor, victim)
    const result = await coordinator.requestConsensus({}, { participants: [victim], timeoutMs: 5_000 })
    expect(result.participants).toEqual([victim])
  })
})
