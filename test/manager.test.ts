import { describe, expect, it } from 'vitest'
import {
  AbortError, AlreadyVotedError, ConsensusDecision, ConsensusManager, InvalidParametersError, NotEligibleError, NotStartedError, ProposalClosedError,
  UnknownAlgorithmError, UnknownProposalError, VoteType, WeightedAlgorithm, createIdentity, verifyCertificate,
  type AlgorithmInput, type ConsensusAlgorithm, type ConsensusResult
} from '../src/index.js'
import { MemoryNetwork, simulatedIdentity, type SimulatedSwarm } from '../src/testing/index.js'
import { advanceUntil, startSwarm } from './helpers/swarm.js'

function decisionsOf (swarm: SimulatedSwarm, proposalId: string): Array<ConsensusResult | undefined> {
  return swarm.agents.map(a => a.decisions.get(proposalId))
}

describe('ConsensusManager on an in-memory swarm', () => {
  it('every agent reaches the same decision and certificate, and the requester gets it', async () => {
    const swarm = await startSwarm({ agents: 7, seed: 1, latencyMs: [1, 30] })
    const result = await swarm.request(3, { action: 'deploy', version: 'v2.0' }, { timeoutMs: 5_000 })
    await swarm.settle()
    expect(result.decision).toBe(ConsensusDecision.Approved)
    const all = decisionsOf(swarm, result.proposalId)
    expect(all.every(r => r?.decision === 'approved' && r.certificate?.id === result.certificate?.id)).toBe(true)
    expect(result.participants).toHaveLength(7)
    expect(result.algorithmUsed).toBe('quorum')
    const verified = await verifyCertificate(result.certificate as NonNullable<ConsensusResult['certificate']>)
    expect(verified.decision).toBe('approved')
  })

  it('closes early once the outcome is settled, long before the deadline', async () => {
    const swarm = await startSwarm({ agents: 5, seed: 2, latencyMs: [5, 10] })
    const result = await swarm.request(0, { quick: true }, { timeoutMs: 60_000 })
    expect(result.decision).toBe('approved')
    expect(result.durationMs).toBeLessThan(1_000)
  })

  it('rejects as soon as approval has become impossible', async () => {
    const swarm = await startSwarm({ agents: 6, seed: 3, vote: (i) => i < 2 ? VoteType.For : VoteType.Against })
    const result = await swarm.request(0, { risky: true }, { timeoutMs: 30_000 })
    expect(result.decision).toBe('rejected')
    expect(result.votesAgainst).toBeGreaterThanOrEqual(3)
    expect(result.durationMs).toBeLessThan(30_000)
  })

  it('an unsettled outcome at the deadline is a timeout, with the partial tally; silent agents are simply absent', async () => {
    const swarm = await startSwarm({ agents: 6, seed: 4, vote: (i) => i < 2 ? VoteType.For : undefined })
    const result = await swarm.request(0, { slow: true }, { timeoutMs: 1_000 })
    await swarm.settle()
    expect(result.decision).toBe(ConsensusDecision.Timeout)
    expect(result.metadata.finality).toBe('final')
    expect(result.votesFor).toBe(2)
    expect(result.voters).toHaveLength(2)
    expect(result.participationRate).toBeCloseTo(2 / 6)
    expect(decisionsOf(swarm, result.proposalId).every(r => r?.decision === 'timeout')).toBe(true)
  })

  it('abstain counts for turnout but never for approval', async () => {
    const swarm = await startSwarm({ agents: 4, seed: 5, vote: (i) => i < 2 ? VoteType.For : VoteType.Abstain })
    const result = await swarm.request(0, {}, { timeoutMs: 2_000 })
    expect(result.decision).toBe('rejected')
    expect(result.votesAbstain).toBe(2)
    expect(result.participationRate).toBe(1)
  })

  it('gives identical requests different ids (content hash over coordinator, sequence and time)', async () => {
    const swarm = await startSwarm({ agents: 3, seed: 6 })
    const a = await swarm.request(0, { same: 1 }, { timeoutMs: 1_000 })
    const b = await swarm.request(0, { same: 1 }, { timeoutMs: 1_000 })
    expect(a.proposalId).toMatch(/^[0-9a-f]{64}$/)
    expect(a.proposalId).not.toBe(b.proposalId)
  })

  it('uses pinned integer weights for the seed\'s expert-weighted example', async () => {
    const ids = await Promise.all([0, 1, 2, 3].map(async i => (await simulatedIdentity(i)).peerId))
    const agentWeights = { [ids[0] as string]: 3, [ids[1] as string]: 2, [ids[2] as string]: 1, [ids[3] as string]: 1 }
    const expertWeighted = new WeightedAlgorithm({ threshold: 0.6, agentWeights })
    // experts 0 and 1 for (5 of 7 > 0.6), juniors against
    const swarm = await startSwarm({
      agents: 4, seed: 7, vote: (i) => i < 2 ? VoteType.For : VoteType.Against, manager: { algorithms: { expert_weighted: expertWeighted } }
    })
    const result = await swarm.request(0, { type: 'database_migration' }, { algorithm: 'expert_weighted', timeoutMs: 60_000 })
    expect(result.decision).toBe('approved')
    expect(result.metadata.weightedApproval).toBeCloseTo(5 / 7)
    expect(result.threshold).toBe(0.6)
  })

  it('runs custom algorithms registered under the same kind everywhere; peers without the kind stay out', async () => {
    class VetoAlgorithm implements ConsensusAlgorithm {
      readonly kind = 'veto'
      readonly params = {}
      evaluate ({ tally }: AlgorithmInput): { outcome: 'pending' | 'approved' | 'rejected', threshold: number } {
        if (tally.againstCount > 0) return { outcome: 'rejected', threshold: 1 }
        if (tally.forCount + tally.abstainCount === tally.electorateSize) return { outcome: 'approved', threshold: 1 }
        return { outcome: 'pending', threshold: 1 }
      }
    }
    const swarm = await startSwarm({
      agents: 4, seed: 8, vote: (i) => i === 3 ? VoteType.Abstain : VoteType.For, manager: { algorithms: { veto: new VetoAlgorithm() } }
    })
    const result = await swarm.request(1, { change: 'schema' }, { algorithm: 'veto', timeoutMs: 5_000 })
    expect(result.decision).toBe('approved')
    await expect(verifyCertificate(result.certificate as any)).rejects.toMatchObject({ reason: 'unknown-algorithm' })
    expect((await verifyCertificate(result.certificate as any, { algorithms: { veto: new VetoAlgorithm() } })).decision).toBe('approved')
  })

  it('emits proposal, vote and decision events on every agent', async () => {
    const swarm = await startSwarm({ agents: 4, seed: 9 })
    const seen = swarm.agents.map(() => ({ proposal: 0, vote: 0, decision: 0 }))
    swarm.agents.forEach((a, i) => {
      for (const type of ['proposal', 'vote', 'decision'] as const) a.manager.addEventListener(type, () => { (seen[i] as any)[type]++ })
    })
    await swarm.request(0, {}, { timeoutMs: 1_000 })
    await swarm.settle()
    for (const s of seen) {
      expect(s.proposal).toBe(1)
      expect(s.decision).toBe(1)
      expect(s.vote).toBeGreaterThanOrEqual(3)
    }
  })

  it('keeps the seed\'s statistics over decided proposals', async () => {
    const swarm = await startSwarm({ agents: 4, seed: 10, vote: (i, p) => (p.payload.n as number) % 3 === 0 && i > 0 ? VoteType.Against : VoteType.For })
    for (let n = 0; n < 6; n++) await swarm.request(0, { n }, { timeoutMs: 1_000, algorithm: n % 2 === 0 ? 'quorum' : 'unanimous' })
    await swarm.settle()
    const stats = swarm.agent(0).manager.getAlgorithmStats()
    expect(stats.totalProposals).toBe(6)
    expect(stats.activeProposals).toBe(0)
    expect(stats.byAlgorithm.quorum).toMatchObject({ proposals: 3, approved: 2, rejected: 1, timeouts: 0 })
    expect(stats.byAlgorithm.unanimous).toMatchObject({ proposals: 3, approved: 2, rejected: 1, timeouts: 0 })
    expect(stats.approvalRate).toBeCloseTo(4 / 6)
    // every agent saw the same decisions
    expect(swarm.agent(3).manager.getAlgorithmStats().byAlgorithm).toEqual(stats.byAlgorithm)
  })

  it('recordVote lets an agent vote by hand, once, on open proposals it is eligible for', async () => {
    const swarm = await startSwarm({ agents: 3, seed: 11, vote: () => undefined })
    const agent = swarm.agent(1).manager
    const proposed = new Promise<string>(resolve => agent.addEventListener('proposal', (e) => { resolve(e.detail.id) }, { once: true }))
    const participants = [swarm.agent(1).identity.peerId, swarm.agent(2).identity.peerId]
    const pending = swarm.agent(0).manager.requestConsensus({ manual: true }, { timeoutMs: 10_000, participants })
    let id = ''
    void proposed.then(proposalId => { id = proposalId })
    await advanceUntil(swarm.clock, () => id !== '', 10)
    await expect(agent.recordVote('f'.repeat(64), VoteType.For)).rejects.toBeInstanceOf(UnknownProposalError)
    await expect(agent.recordVote(id, 'maybe' as VoteType)).rejects.toBeInstanceOf(InvalidParametersError)
    await expect(swarm.agent(0).manager.recordVote(id, VoteType.For)).rejects.toBeInstanceOf(NotEligibleError)
    await agent.recordVote(id, VoteType.For, { metadata: { reason: 'deployment_approved' } })
    await expect(agent.recordVote(id, VoteType.Against)).rejects.toBeInstanceOf(AlreadyVotedError)
    await swarm.agent(2).manager.recordVote(id, VoteType.For)
    await swarm.settle()
    const result = await pending
    expect(result.decision).toBe('approved')
    await expect(agent.recordVote(id, VoteType.For)).rejects.toBeInstanceOf(ProposalClosedError)
  })

  it('rejects bad requests with clear errors and no silent clamping', async () => {
    const swarm = await startSwarm({ agents: 2, seed: 12 })
    const manager = swarm.agent(0).manager
    for (const timeoutMs of [99, 300_001, 1.5, Number.NaN, -1]) {
      await expect(manager.requestConsensus({}, { timeoutMs })).rejects.toThrow(/timeoutMs must be an integer from 100 to 300000/)
    }
    await expect(manager.requestConsensus({}, { timeoutMs: 1_000, algorithm: 'nope' })).rejects.toBeInstanceOf(UnknownAlgorithmError)
    await expect(manager.requestConsensus({}, { participants: ['not-a-peer-id'] })).rejects.toThrow(/not an Ed25519 PeerId/)
    await expect(manager.requestConsensus({}, { participants: [] })).rejects.toThrow(/electorate is empty/)
    await expect(manager.requestConsensus({ bad: undefined } as any)).rejects.toBeInstanceOf(InvalidParametersError)
    await expect(manager.requestConsensus({ bad: () => 1 } as any)).rejects.toBeInstanceOf(InvalidParametersError)
    await expect(manager.requestConsensus([] as any)).rejects.toThrow(/plain object/)
    const p = swarm.agent(1).identity.peerId
    await expect(manager.requestConsensus({}, { participants: [p, p] })).rejects.toThrow(/twice/)
  })

  it('accepts the boundary timeouts 100 ms and 300 000 ms', async () => {
    const swarm = await startSwarm({ agents: 3, seed: 13, vote: () => undefined })
    const short = await swarm.request(0, {}, { timeoutMs: 100 })
    expect(short.decision).toBe('timeout')
    const long = await swarm.request(0, {}, { timeoutMs: 300_000 })
    expect(long.decision).toBe('timeout')
    expect(long.durationMs).toBeGreaterThanOrEqual(300_000)
  })

  it('aborts a request with AbortError, and stop() ends open requests with AbortError', async () => {
    const swarm = await startSwarm({ agents: 3, seed: 14, vote: () => undefined })
    const controller = new AbortController()
    const aborted = swarm.agent(0).manager.requestConsensus({}, { timeoutMs: 10_000, signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toBeInstanceOf(AbortError)
    const open = swarm.agent(1).manager.requestConsensus({}, { timeoutMs: 10_000 })
    await swarm.agent(1).manager.stop()
    await expect(open).rejects.toBeInstanceOf(AbortError)
    await expect(swarm.agent(1).manager.requestConsensus({})).rejects.toBeInstanceOf(NotStartedError)
  })

  it('refuses a coordinator that is not the identity\'s peer', async () => {
    const network = new MemoryNetwork()
    const a = await createIdentity()
    const b = await createIdentity()
    expect(() => new ConsensusManager({ identity: a, coordinator: network.join(b.peerId) })).toThrow(InvalidParametersError)
  })

  it('a late joiner that missed everything obtains and verifies the decision by pulling', async () => {
    const swarm = await startSwarm({ agents: 5, seed: 15 })
    const late = swarm.agent(4).identity.peerId
    swarm.network.partition([[late]])
    const result = await swarm.request(0, { late: true }, { timeoutMs: 1_000, participants: swarm.agents.slice(0, 4).map(a => a.identity.peerId) })
    expect(swarm.agent(4).decisions.size).toBe(0)
    swarm.network.heal()
    // any message about the proposal makes the late peer pull the rest
    await swarm.agent(4).manager.handleMessage(result.certificate?.close as Uint8Array, swarm.agent(1).identity.peerId)
    await swarm.settle()
    expect(swarm.agent(4).decisions.get(result.proposalId)?.certificate?.id).toBe(result.certificate?.id)
  })

  it('a peer that was away catches up: it asks a peer for recent decisions and verifies their proofs', async () => {
    const swarm = await startSwarm({ agents: 5, seed: 16 })
    const away = swarm.agent(4)
    swarm.network.partition([[away.identity.peerId]])
    const members = swarm.agents.slice(0, 4).map(a => a.identity.peerId)
    const first = await swarm.request(0, { n: 1 }, { timeoutMs: 1_000, participants: members })
    const second = await swarm.request(1, { n: 2 }, { timeoutMs: 1_000, participants: members, algorithm: 'unanimous' })
    await swarm.settle()
    expect(away.decisions.size).toBe(0)
    swarm.network.heal()
    await away.manager.catchUp(swarm.agent(2).identity.peerId)
    await swarm.settle()
    expect(away.decisions.get(first.proposalId)?.certificate?.id).toBe(first.certificate?.id)
    expect(away.decisions.get(second.proposalId)?.certificate?.id).toBe(second.certificate?.id)
  })
})
