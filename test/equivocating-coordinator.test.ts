/**
 * Issue 11's headline fault: a coordinator that signs two valid closes for one proposal — one
 * `approved` over every vote, one `timeout` over a few votes at the deadline — and shows each to a
 * different part of the electorate. Under protocol v1 a 4/4 or 5/3 split of 8 members left every
 * honest member undecided for ever. Now every split must still end in one decision, on every honest
 * member, with one certificate: in virtual time for every split 1…7, and over real gossipsub for one.
 */
import { describe, expect, it } from 'vitest'
import { ConsensusManager, verifyCertificate, type ConsensusResult } from '../src/index.js'
import { simulatedIdentity } from '../src/testing/index.js'
import { decodeMessage, openMessage, type OpenedProposal, type OpenedVote } from '../src/wire/envelope.js'
import { topicFor } from '../src/libp2p/index.js'
import { forgeClose } from './helpers/byzantine.js'
import { advanceUntil, startSwarm } from './helpers/swarm.js'
import { memory } from '@libp2p/memory'
import { createConsensusNode } from '../src/agent/node.js'
import { connectFullMesh, stopAll, type ConsensusNode } from './helpers/libp2p-nodes.js'
import type { ConsensusInit } from '../src/libp2p/index.js'
import { waitUntil } from './helpers/wait.js'
import type { Coordinator } from '../src/transport/coordinator.js'

const HONEST = 8

describe('a coordinator that signs two closes and shows each to part of the electorate (virtual time)', () => {
  for (let split = 1; split < HONEST; split++) {
    it(`split ${split}/${HONEST - split}: every honest member decides, on one certificate`, async () => {
      const swarm = await startSwarm({ agents: HONEST + 1, seed: 100 + split, latencyMs: [5, 20] })
      const coordinator = swarm.agent(0)
      const byzantine = coordinator.identity
      const votes = new Map<string, OpenedVote>()
      let proposal: OpenedProposal | undefined
      // the coordinator's own process proposes; everything else it would send (its vote, close, acks) is ours to forge
      swarm.network.filter = (from, _to, bytes) => {
        const opened = decodeMessage(bytes).opened
        if (from === byzantine.peerId) {
          if (opened.body.type === 'proposal') proposal = opened as OpenedProposal
          return opened.body.type === 'proposal'
        }
        if (opened.body.type === 'vote') votes.set(opened.body.voter, opened as OpenedVote)
        return true
      }
      const request = coordinator.manager.requestConsensus({ plan: 'split' }, {
        timeoutMs: 2_000, participants: swarm.agents.map(a => a.identity.peerId)
      }).catch(() => undefined)
      // every honest vote in, then the deadline
      await advanceUntil(swarm.clock, () => votes.size === HONEST, 10)
      expect(proposal).toBeDefined()
      expect(votes.size).toBe(HONEST)
      const all = [...votes.values()]
      const approved = await forgeClose(byzantine, proposal!, all)
      const timeout = await forgeClose(byzantine, proposal!, all.slice(0, 2), { decision: 'timeout' })
      expect(approved.body.decision).toBe('approved')
      await swarm.clock.runUntil(proposal!.body.deadline)
      const honest = swarm.agents.slice(1)
      for (const [i, agent] of honest.entries()) {
        await agent.manager.handleMessage((i < split ? approved : timeout).bytes, byzantine.peerId)
      }
      await swarm.settle(120_000)
      void request
      const results = honest.map(a => a.decisions.get(proposal!.key))
      expect(results.filter(r => r === undefined)).toHaveLength(0)
      const decided = results as ConsensusResult[]
      expect(new Set(decided.map(r => r.certificate?.id)).size).toBe(1)
      expect(new Set(decided.map(r => r.decision)).size).toBe(1)
      const verified = await verifyCertificate(decided[0]!.certificate!)
      expect(verified.decision).toBe(decided[0]!.decision)
      // round 0 could not decide: the coordinator never prevotes, so no fast path; a polka needs 7 of 9
      if (split >= 2 && split <= HONEST - 2) expect(verified.decidedRound).toBeGreaterThanOrEqual(1)
    })
  }
})

let names = 0

/** A consensus node on the in-process memory transport whose every link adds 40 ms. */
async function slowNode (consensus: ConsensusInit): Promise<ConsensusNode> {
  return createConsensusNode({
    listen: [`/memory/equivocation-${process.pid}-${names++}`],
    transports: [memory({ latency: 40 })],
    preset: 'hub',
    consensus
  })
}

describe('the same over real gossipsub', () => {
  it('split 4/4: two halves bridged by one link, a Byzantine publisher of one close in each; every honest node decides on one certificate', async () => {
    const nodes: ConsensusNode[] = []
    try {
      for (let i = 0; i < HONEST; i++) {
        nodes.push(await slowNode({ voter: () => 'for', clockToleranceMs: 100 }))
      }
      // two halves, each a full mesh, joined by one bridge link, every link 40 ms long: a close crosses
      // the bridge two links late, so each half hears its own publisher's close first (and stays connected)
      const half = HONEST / 2
      await connectFullMesh(nodes.slice(0, half))
      await connectFullMesh(nodes.slice(half))
      await nodes[half - 1]!.dial(nodes[half]!.getMultiaddrs()[0]!)
      // two publishers (any node may relay a signed close), each linked to half of the honest nodes
      const b1 = await slowNode({ clockToleranceMs: 100 })
      const b2 = await slowNode({ clockToleranceMs: 100 })
      for (const [i, node] of nodes.entries()) await (i < half ? b1 : b2).dial(node.getMultiaddrs()[0]!)
      const topic = topicFor('default')
      const byzantine = await simulatedIdentity(77)
      const votes = new Map<string, OpenedVote>()
      b1.services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic !== topic) return
        openMessage(evt.detail.data).then(m => { if (m.body.type === 'vote') votes.set(m.body.voter, m as OpenedVote) }).catch(() => {})
      })
      b2.services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic !== topic) return
        openMessage(evt.detail.data).then(m => { if (m.body.type === 'vote') votes.set(m.body.voter, m as OpenedVote) }).catch(() => {})
      })
      await waitUntil(() => nodes.every(n => n.services.pubsub.getSubscribers(topic).length >= half) &&
        [b1, b2].every(b => b.services.pubsub.getSubscribers(topic).length >= half), 10_000, 'the topic mesh')
      // the coordinator's proposal, signed by a manager that is connected to nothing (its own close never leaves it)
      const captured: Uint8Array[] = []
      const isolated: Coordinator = {
        peerId: byzantine.peerId,
        broadcast: async (bytes) => captured.push(bytes),
        send: async () => {},
        getPeers: () => nodes.map(n => n.peerId.toString()),
        setHandler: () => {},
        getTopologyInfo: () => ({ type: 'isolated', agentCount: 1, connectionCount: 0, health: 'healthy' as const })
      }
      const maker = new ConsensusManager({ identity: byzantine, coordinator: isolated })
      await maker.start()
      void maker.requestConsensus({ plan: 'split over gossipsub' }, {
        timeoutMs: 1_500, participants: [byzantine.peerId, ...nodes.map(n => n.peerId.toString())]
      }).catch(() => {})
      await waitUntil(() => captured.length > 0, 5_000, 'the swarm')
      const proposal = await openMessage(captured[0]!) as OpenedProposal
      await maker.stop()
      const decisions = nodes.map(() => undefined as ConsensusResult | undefined)
      nodes.forEach((n, i) => n.services.consensus.addEventListener('decision', (evt) => { decisions[i] = evt.detail }))
      await b1.services.pubsub.publish(topic, proposal.bytes)
      await waitUntil(() => votes.size === HONEST, 10_000, 'the swarm')
      const all = [...votes.values()]
      const approved = await forgeClose(byzantine, proposal, all)
      const timeout = await forgeClose(byzantine, proposal, all.slice(0, 2), { decision: 'timeout' })
      await new Promise(resolve => setTimeout(resolve, Math.max(0, proposal.body.deadline - Date.now() + 20)))
      await Promise.all([b1.services.pubsub.publish(topic, approved.bytes), b2.services.pubsub.publish(topic, timeout.bytes)])
      await waitUntil(() => decisions.every(d => d !== undefined), 30_000, 'the swarm')
      const ids = new Set(decisions.map(d => d?.certificate?.id))
      expect(ids.size).toBe(1)
      const verified = await verifyCertificate(decisions[0]!.certificate!)
      expect(verified.decision).toBe(decisions[0]!.decision)
      // the split was real: round 0 (no fast path without the silent coordinator, a polka needs 7 of 9) did not decide
      expect(verified.decidedRound).toBeGreaterThanOrEqual(1)
      nodes.push(b1, b2)
    } finally {
      await stopAll(nodes)
    }
  }, 60_000)
})
