import { describe, expect, it, onTestFinished } from 'vitest'
import { ConsensusManager, InvalidParametersError, VoteType, WeightedAlgorithm, createIdentity, type CborRecord } from '../src/index.js'
import { MemoryNetwork } from '../src/testing/index.js'

async function swarm (voters: number): Promise<{ network: MemoryNetwork, coordinator: ConsensusManager, agents: ConsensusManager[] }> {
  const network = new MemoryNetwork()
  const spawn = async (vote?: VoteType): Promise<ConsensusManager> => {
    const identity = await createIdentity()
    const manager = new ConsensusManager({ identity, coordinator: network.join(identity.peerId), voter: vote === undefined ? undefined : () => vote })
    await manager.start()
    onTestFinished(async () => { await manager.stop() })
    return manager
  }
  const agents = await Promise.all(Array.from({ length: voters }, async () => spawn(VoteType.For)))
  return { network, coordinator: await spawn(), agents }
}

describe('bad input gets a named error at the call, and nothing leaves', () => {
  it('a payload over the message limit is refused before it is signed or sent, saying the size and the limit', async () => {
    const { network, coordinator, agents } = await swarm(3)
    const sentBefore = network.counters.sent
    const big = { blob: 'x'.repeat(600 * 1024) }
    const attempt = coordinator.requestConsensus(big, { timeoutMs: 5_000, participants: agents.map(a => a.peerId) })
    await expect(attempt).rejects.toThrow(InvalidParametersError)
    await expect(attempt).rejects.toThrow(/proposal is 6\d{5} bytes once sealed, over the 524288-byte message limit/)
    expect(network.counters.sent).toBe(sentBefore)
    expect(coordinator.getOpenProposals()).toEqual([])
    // the same coordinator still proposes: a payload under the limit is decided as usual
    const result = await coordinator.requestConsensus({ blob: 'x'.repeat(100 * 1024) }, { timeoutMs: 5_000, participants: agents.map(a => a.peerId) })
    expect(result.decision).toBe('approved')
  })

  it.each([
    ['a BigInt, however small', { count: 10n }, /proposal\.count is a BigInt \(10n\)/],
    ['a BigInt beyond 2^53', { nested: { big: 2n ** 60n } }, /proposal\.nested\.big is a BigInt \(1152921504606846976n\)/],
    ['a Symbol key', { [Symbol('tag')]: 1, ok: true }, /proposal has a Symbol key/],
    ['undefined', { maybe: undefined }, /proposal\.maybe is undefined/],
    ['a Date', { when: new Date(0) }, /proposal\.when is a Date, not a plain object/],
    ['a Map inside an array', { list: [1, new Map()] }, /proposal\.list\[1\] is a Map/],
    ['a function', { run: () => 1 }, /proposal\.run is a function/],
    ['NaN', { score: Number.NaN }, /proposal\.score is NaN/]
  ])('a payload holding %s is refused with a message naming where', async (_what, payload, message) => {
    const { network, coordinator, agents } = await swarm(1)
    const sentBefore = network.counters.sent
    const attempt = coordinator.requestConsensus(payload as unknown as CborRecord, { participants: agents.map(a => a.peerId) })
    await expect(attempt).rejects.toThrow(InvalidParametersError)
    await expect(attempt).rejects.toThrow(message)
    expect(network.counters.sent).toBe(sentBefore)
  })

  it('vote metadata follows the same rule', async () => {
    const network = new MemoryNetwork()
    const identities = await Promise.all([createIdentity(), createIdentity()])
    const [coordinator, voter] = identities
      .map(identity => new ConsensusManager({ identity, coordinator: network.join(identity.peerId) })) as [ConsensusManager, ConsensusManager]
    for (const m of [coordinator, voter]) {
      await m.start()
      onTestFinished(async () => { await m.stop() })
    }
    const proposals: string[] = []
    voter.addEventListener('proposal', evt => { proposals.push(evt.detail.id) })
    const request = coordinator.requestConsensus({ action: 'x' }, { timeoutMs: 5_000, participants: [voter.peerId] })
    await expect.poll(() => proposals.length).toBe(1)
    const id = proposals[0] as string
    await expect(voter.recordVote(id, VoteType.For, { metadata: { n: 1n } as unknown as CborRecord })).rejects.toThrow(/metadata\.n is a BigInt/)
    // the refused vote was not cast: a valid one still can be, and decides
    await voter.recordVote(id, VoteType.For)
    expect((await request).decision).toBe('approved')
  })
  it('weights keyed by names instead of PeerIds are refused at the call, not pinned as a head count', async () => {
    const { network, coordinator, agents } = await swarm(3)
    const byName = new WeightedAlgorithm({ threshold: 0.6, agentWeights: { 'expert-backend-001': 3, 'agent-junior-002': 1 } })
    for (const m of [coordinator, ...agents]) m.registerAlgorithm('expert_weighted', byName)
    const sentBefore = network.counters.sent
    const attempt = coordinator.requestConsensus({ action: 'deploy' }, { algorithm: 'expert_weighted', participants: agents.map(a => a.peerId) })
    await expect(attempt).rejects.toThrow(InvalidParametersError)
    await expect(attempt).rejects.toThrow(/agentWeights names expert-backend-001, agent-junior-002, not in this proposal's electorate/)
    expect(network.counters.sent).toBe(sentBefore)
  })

  it('decimal weights are decided exactly on every peer', async () => {
    const { coordinator, agents } = await swarm(3)
    const [a, b, c] = agents.map(m => m.peerId) as [string, string, string]
    const experts = new WeightedAlgorithm({ threshold: 0.6, agentWeights: { [a]: 3.0, [b]: 1.5 } })
    for (const m of [coordinator, ...agents]) m.registerAlgorithm('expert_weighted', experts)
    const decisions: string[] = []
    const pinned: number[] = []
    for (const m of agents) m.addEventListener('decision', evt => { decisions.push(evt.detail.certificate?.id ?? '') })
    agents[0]?.addEventListener('proposal', evt => { pinned.push(...evt.detail.electorate.map(member => member.weight)) })
    const result = await coordinator.requestConsensus({ action: 'deploy' }, { algorithm: 'expert_weighted', participants: [a, b, c] })
    expect(result.decision).toBe('approved')
    // pinned 30, 15, 10 (one scale of 10): the ratios of 3.0, 1.5 and the default 1
    expect(pinned.sort((x, y) => x - y)).toEqual([10, 15, 30])
    await expect.poll(() => decisions.length).toBe(3)
    expect(new Set(decisions).size).toBe(1)
  })
})
