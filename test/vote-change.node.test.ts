/**
 * Vote changes on real libp2p peers (gossipsub over the memory transport): a voter replaces its
 * ballot mid-vote and every peer's certificate counts the latest; a voter that signs two different
 * ballots under one sequence number is caught as an equivocator and excluded on every peer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connectFullMesh, startNode, stopAll, type ConsensusNode } from './helpers/libp2p-nodes.js'
import { createIdentity, verifyCertificate, type ConsensusResult, type EvidenceEvent, type ProposalView } from '../src/index.js'
import { sealMessage } from '../src/wire/envelope.js'
import { idFromString } from '../src/wire/ids.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { waitUntil } from './helpers/wait.js'

const CHOICES = ['plan-a', 'plan-b', 'plan-c']

interface Swarm { nodes: ConsensusNode[], decisions: Array<Map<string, ConsensusResult>>, evidence: EvidenceEvent[][] }

async function startSwarm (voters: Array<number | undefined>): Promise<Swarm> {
  const nodes: ConsensusNode[] = []
  for (const ballot of voters) {
    nodes.push(await startNode({ transport: 'memory', consensus: ballot === undefined ? {} : { voter: () => ballot } }))
  }
  const decisions = nodes.map(() => new Map<string, ConsensusResult>())
  const evidence = nodes.map((): EvidenceEvent[] => [])
  nodes.forEach((node, i) => {
    node.services.consensus.addEventListener('decision', (evt) => { decisions[i]?.set(evt.detail.proposalId, evt.detail) })
    node.services.consensus.addEventListener('evidence', (evt) => { evidence[i]?.push(evt.detail) })
  })
  await connectFullMesh(nodes)
  return { nodes, decisions, evidence }
}

/** Wait until every peer decided `id`, and check they agree on one certificate. */
async function everyPeerDecides (swarm: Swarm, result: ConsensusResult): Promise<ConsensusResult[]> {
  await waitUntil(() => swarm.decisions.every(d => d.has(result.proposalId)), 10_000, 'every peer deciding')
  const all = swarm.decisions.map(d => d.get(result.proposalId) as ConsensusResult)
  expect(new Set(all.map(r => r.certificate?.id))).toEqual(new Set([result.certificate?.id]))
  return all
}

describe('vote changes over gossipsub', () => {
  let nodes: ConsensusNode[] = []
  afterEach(async () => { await stopAll(nodes); nodes = [] })

  it('a voter that changes its ballot mid-vote is counted with its latest ballot in every peer\'s certificate', async () => {
    // node 0 proposes and does not vote; nodes 1-3 pick plan-a, node 4 plan-b, then changes to plan-c
    const swarm = await startSwarm([undefined, 1, 1, 1, 2])
    nodes = swarm.nodes
    const changer = swarm.nodes[4]!
    const changerId = changer.peerId.toString()
    const voted = new Promise<ProposalView>(resolve => {
      changer.services.consensus.addEventListener('vote', (evt) => {
        if (evt.detail.voter === changerId && evt.detail.seq === 0) resolve(changer.services.consensus.getOpenProposals()[0] as ProposalView)
      })
    })
    const participants = swarm.nodes.slice(1).map(n => n.peerId.toString())
    const request = swarm.nodes[0]!.services.consensus.requestConsensus({ plan: 'which' }, { choices: CHOICES, participants, timeoutMs: 2_500 })
    const proposal = await voted
    expect(proposal.allowVoteChange).toBe(true)
    await changer.services.consensus.recordVote(proposal.id, 3)
    const result = await request
    const all = await everyPeerDecides(swarm, result)
    for (const r of all) {
      expect(r.winner).toBe(1)
      expect(r.scores).toEqual([3, 0, 1])
      expect(r.metadata.changedVotes).toBe(1)
    }
    const verified = await verifyCertificate(result.certificate!)
    expect(verified.votes[changerId]).toBe(3)
    expect(verified.seqs[changerId]).toBe(1)
    expect(Object.keys(verified.votes)).toHaveLength(4)
  }, 30_000)

  it('two different ballots under one sequence number are equivocation: the voter is excluded on every peer', async () => {
    const swarm = await startSwarm([undefined, 1, 2, 2, undefined])
    nodes = swarm.nodes
    // the equivocator is a member whose key the adversary (node 4, no voter) holds
    const equivocator = await createIdentity()
    const adversary = swarm.nodes[4]!
    const opened = new Promise<ProposalView>(resolve => {
      adversary.services.consensus.addEventListener('proposal', (evt) => { resolve(evt.detail) }, { once: true })
    })
    const participants = [...swarm.nodes.slice(1, 4).map(n => n.peerId.toString()), equivocator.peerId]
    const request = swarm.nodes[0]!.services.consensus.requestConsensus({ plan: 'which' }, { choices: CHOICES, participants, timeoutMs: 2_500 })
    const proposal = await opened
    for (const choice of [1, 3]) {
      const vote = await sealMessage(equivocator, {
        type: 'vote', v: PROTOCOL_VERSION, ns: 'default', proposal: idFromString(proposal.id), voter: equivocator.peerId, seq: 0, choice, metadata: {}
      })
      await adversary.services.pubsub.publish(adversary.services.consensus.topic, vote.bytes)
    }
    const result = await request
    const all = await everyPeerDecides(swarm, result)
    for (const r of all) {
      expect(r.voters).not.toContain(equivocator.peerId)
      expect(r.metadata.excluded).toBe(1)
      expect(r.winner).toBe(2)
    }
    await waitUntil(() => swarm.evidence.slice(0, 4).every(e => e.some(x => x.kind === 'equivocation' && x.offender === equivocator.peerId)),
      5_000, 'every honest peer holding the evidence')
    const verified = await verifyCertificate(result.certificate!)
    expect(verified.votes[equivocator.peerId]).toBeUndefined()
  }, 30_000)
})
