import { decode } from 'cborg'
import { describe, expect, it } from 'vitest'
import { NotEligibleError, ProposalClosedError, VoteType, type EvidenceEvent } from '../src/index.js'
import { decodeMessage } from '../src/wire/envelope.js'
import { advanceUntil, startSwarm } from './helpers/swarm.js'

describe('persistence through the datastore', () => {
  it('an agent restarted mid-proposal keeps its vote (no second, different one), resumes and reaches the same decision', async () => {
    let restarted = false
    // agent 3 votes for the first time round, and would vote against after a restart if it forgot
    const swarm = await startSwarm({
      agents: 5,
      seed: 31,
      latencyMs: [1, 10],
      vote: (i) => i === 3 ? (restarted ? VoteType.Against : VoteType.For) : i < 2 ? VoteType.For : undefined
    })
    const evidence: EvidenceEvent[] = []
    for (const a of swarm.agents) a.manager.addEventListener('evidence', (e) => { evidence.push(e.detail) })
    let voted = false
    swarm.agent(0).manager.addEventListener('vote', (e) => { if (e.detail.voter === swarm.agent(3).identity.peerId) voted = true })
    const pending = swarm.agent(0).manager.requestConsensus({ action: 'deploy' }, { timeoutMs: 2_000 })
    await advanceUntil(swarm.clock, () => voted, 5)
    // agent 3 has voted; it dies before anything is decided
    expect(swarm.agents.every(a => a.decisions.size === 0)).toBe(true)
    await swarm.crash(3)
    restarted = true
    await swarm.restart(3)
    swarm.agent(3).manager.addEventListener('evidence', (e) => { evidence.push(e.detail) })
    const open = swarm.agent(3).manager.getOpenProposals()
    expect(open).toHaveLength(1)
    // a vote by hand would also be a second vote: refused
    await expect(swarm.agent(3).manager.recordVote(open[0]!.id, VoteType.Against)).rejects.toThrow(/already voted/)
    await swarm.settle()
    const result = await pending
    expect(result.decision).toBe('approved')
    expect(result.votesAgainst).toBe(0)
    expect(evidence).toEqual([])
    expect(swarm.agent(3).decisions.get(result.proposalId)?.certificate?.id).toBe(result.certificate?.id)
  })

  it('a proposal older than what the datastore dropped is only observed after a restart: no second vote', async () => {
    let restarted = false
    const swarm = await startSwarm({
      agents: 5,
      seed: 32,
      latencyMs: [1, 10],
      // one decided proposal kept: older ones leave memory and the datastore
      manager: { maxClosedProposals: 1 },
      vote: (i) => i === 3 && restarted ? VoteType.Against : VoteType.For
    })
    const proposals: Uint8Array[] = []
    const votesOf3AfterRestart: Uint8Array[] = []
    swarm.network.monitor = (event, message) => {
      if (event.event !== 'send') return
      const type = decodeMessage(message).opened.body.type
      if (type === 'proposal' && event.from === swarm.agent(0).identity.peerId) proposals.push(message)
      if (type === 'vote' && restarted && event.from === swarm.agent(3).identity.peerId) votesOf3AfterRestart.push(message)
    }
    for (const round of [1, 2, 3]) {
      const result = await swarm.request(0, { round }, { timeoutMs: 60_000 })
      expect(result.decision).toBe('approved')
    }
    // agent 3 voted for the first proposal, which every agent has since dropped
    await swarm.crash(3)
    restarted = true
    await swarm.restart(3)
    const first = proposals[0]!
    await swarm.agent(3).manager.handleMessage(first, swarm.agent(0).identity.peerId)
    await swarm.clock.advance(100)
    const open = swarm.agent(3).manager.getOpenProposals()
    expect(open).toHaveLength(1)
    await expect(swarm.agent(3).manager.recordVote(open[0]!.id, VoteType.Against)).rejects.toThrow(NotEligibleError)
    expect(votesOf3AfterRestart).toEqual([])
  })

  it('decisions and statistics survive a restart, without the decision events firing again', async () => {
    const swarm = await startSwarm({ agents: 4, seed: 32, vote: (i, p) => (p.payload.n as number) === 1 && i > 0 ? VoteType.Against : VoteType.For })
    const ids: string[] = []
    for (let n = 0; n < 3; n++) ids.push((await swarm.request(0, { n }, { timeoutMs: 1_000, algorithm: n === 2 ? 'unanimous' : 'quorum' })).proposalId)
    await swarm.settle()
    const before = swarm.agent(2).manager.getAlgorithmStats()
    expect(before.totalProposals).toBe(3)
    await swarm.restart(2)
    let replayedEvents = 0
    swarm.agent(2).manager.addEventListener('decision', () => { replayedEvents++ })
    await swarm.settle()
    const after = swarm.agent(2).manager.getAlgorithmStats()
    expect(after.byAlgorithm).toEqual(before.byAlgorithm)
    expect(after.totalProposals).toBe(3)
    expect(after.approvalRate).toBeCloseTo(before.approvalRate)
    expect(replayedEvents).toBe(0)
    await expect(swarm.agent(2).manager.recordVote(ids[0]!, VoteType.For)).rejects.toBeInstanceOf(ProposalClosedError)
  })

  it('a coordinator restarted right after sending its close never signs another: everybody decides on that close', async () => {
    const swarm = await startSwarm({ agents: 5, seed: 33, latencyMs: [1, 5] })
    const coordinator = swarm.agent(0).identity.peerId
    let closeSent = false
    swarm.network.filter = (from, _to, bytes) => {
      if (from === coordinator && !closeSent) closeSent = messageType(bytes) === 'close'
      return true
    }
    void swarm.agent(0).manager.requestConsensus({ action: 'restart-me' }, { timeoutMs: 1_000 }).catch(() => {})
    await advanceUntil(swarm.clock, () => closeSent, 1)
    await swarm.crash(0)
    await swarm.restart(0)
    await swarm.settle()
    const certificates = swarm.agents.map(a => [...a.decisions.values()][0]?.certificate)
    expect(certificates.every(c => c !== undefined)).toBe(true)
    expect(new Set(certificates.map(c => c?.id)).size).toBe(1)
  })
})

function messageType (bytes: Uint8Array): string | undefined {
  const [body] = decode(bytes) as [Uint8Array]
  return (decode(body) as { type?: string }).type
}
