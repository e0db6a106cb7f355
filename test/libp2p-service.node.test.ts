/**
 * The consensus service on real libp2p nodes in one process: every peer in turn coordinates, over
 * the memory transport and over websockets on 127.0.0.1, for all four algorithms; a coordinator
 * stopped right after proposing; a late joiner; and a peer publishing forged, replayed and
 * non-member votes over real gossipsub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectFullMesh, startNode, stopAll, type ConsensusNode } from './helpers/libp2p-nodes.js'
import { VoteType, WeightedAlgorithm, createIdentity, verifyCertificate, type ConsensusResult, type ProposalView } from '../src/index.js'
import { NotEnoughPeersError } from '../src/libp2p/index.js'
import { ConsensusMetrics } from '../src/libp2p/metrics.js'
import { sealMessage } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { idFromString } from '../src/wire/ids.js'
import { sleep, waitUntil } from './helpers/wait.js'

const N = 10
const ALGORITHMS = ['quorum', 'expert_weighted', 'unanimous', 'supermajority']

/** Votes for, unless the proposal names this peer among `against`. */
function voterFor (index: number): (proposal: ProposalView) => VoteType {
  return (proposal) => (proposal.payload.against as number[] | undefined)?.includes(index) === true ? VoteType.Against : VoteType.For
}

interface Swarm {
  nodes: ConsensusNode[]
  /** per node: proposal id → result */
  decisions: Array<Map<string, ConsensusResult>>
}

async function startSwarm (transport: 'memory' | 'websockets'): Promise<Swarm> {
  const nodes: ConsensusNode[] = []
  for (let i = 0; i < N; i++) nodes.push(await startNode({ transport, consensus: { voter: voterFor(i) } }))
  const ids = nodes.map(n => n.peerId.toString())
  // expert weights, by peer: the first two are experts
  const expertWeighted = new WeightedAlgorithm({ threshold: 0.6, agentWeights: Object.fromEntries(ids.map((id, i) => [id, i === 0 ? 3 : i === 1 ? 2 : 1])) })
  const decisions = nodes.map(() => new Map<string, ConsensusResult>())
  nodes.forEach((node, i) => {
    node.services.consensus.registerAlgorithm('expert_weighted', expertWeighted)
    node.services.consensus.addEventListener('decision', (evt) => { decisions[i]?.set(evt.detail.proposalId, evt.detail) })
  })
  await connectFullMesh(nodes)
  return { nodes, decisions }
}

async function everyPeerCoordinates (swarm: Swarm): Promise<void> {
  for (let i = 0; i < N; i++) {
    const algorithm = ALGORITHMS[i % ALGORITHMS.length] as string
    // peers 2 and 3 object to every other proposal: unanimous then rejects, the others still approve
    const against = i % 2 === 0 ? [2, 3] : []
    const result = await swarm.nodes[i]!.services.consensus.requestConsensus({ round: i, against }, { algorithm, timeoutMs: 10_000 })
    await waitUntil(() => swarm.decisions.every(d => d.has(result.proposalId)), 10_000, `every peer deciding round ${i}`)
    const all = swarm.decisions.map(d => d.get(result.proposalId) as ConsensusResult)
    expect(new Set(all.map(r => r.decision)), `round ${i} (${algorithm})`).toEqual(new Set([result.decision]))
    expect(new Set(all.map(r => r.certificate?.id)), `round ${i} certificate`).toEqual(new Set([result.certificate?.id]))
    expect(result.participants).toHaveLength(N)
    expect(result.decision).toBe(algorithm === 'unanimous' && against.length > 0 ? 'rejected' : 'approved')
    expect((await verifyCertificate(result.certificate!, { algorithms: { expert_weighted: new WeightedAlgorithm() } })).decision).toBe(result.decision)
  }
}

describe.each(['memory', 'websockets'] as const)('consensus service, %s transport, 10 peers', (transport) => {
  let swarm: Swarm
  beforeAll(async () => { swarm = await startSwarm(transport) }, 60_000)
  afterAll(async () => { await stopAll(swarm.nodes) })

  it('each peer in turn coordinates; quorum, weighted, unanimous and supermajority reach the identical decision and certificate on every peer', async () => {
    await everyPeerCoordinates(swarm)
    const stats = swarm.nodes.map(n => n.services.consensus.getAlgorithmStats())
    for (const s of stats) expect(s.byAlgorithm).toEqual(stats[0]?.byAlgorithm)
  }, 120_000)
})

describe('a coordinator stopped right after proposing, and a late joiner', () => {
  const nodes: ConsensusNode[] = []
  afterAll(async () => { await stopAll(nodes) })

  it('the fallback closer finishes, every surviving peer agrees, and a peer joining after the close pulls and verifies the certificate', async () => {
    // voters take a moment, so the coordinator is gone before any vote reaches it
    for (let i = 0; i < 6; i++) {
      nodes.push(await startNode({ transport: 'memory', consensus: { voter: async () => { await sleep(150); return VoteType.For } } }))
    }
    await connectFullMesh(nodes)
    const [coordinator, ...survivors] = nodes as [ConsensusNode, ...ConsensusNode[]]
    const decided = survivors.map(() => undefined as ConsensusResult | undefined)
    survivors.forEach((node, i) => node.services.consensus.addEventListener('decision', (evt) => { decided[i] = evt.detail }))
    const seen = new Promise<void>(resolve => survivors[0]!.services.consensus.addEventListener('proposal', () => { resolve() }, { once: true }))
    const request = coordinator.services.consensus.requestConsensus({ action: 'deploy' }, { timeoutMs: 1_000 }).catch(err => err)
    await seen
    await coordinator.stop()
    expect(await request).toMatchObject({ name: 'AbortError' })

    await waitUntil(() => decided.every(d => d !== undefined), 15_000, 'every survivor deciding')
    const results = decided as ConsensusResult[]
    expect(new Set(results.map(r => r.certificate?.id)).size).toBe(1)
    expect(results[0]?.metadata.closeRound).toBeGreaterThan(0)
    expect(results[0]?.decision).toBe('approved')
    expect(results[0]?.voters).not.toContain(coordinator.peerId.toString())

    // a new peer joins after the close: it asks for recent decisions when the first peers subscribe
    const late = await startNode({ transport: 'memory' })
    nodes.push(late)
    let lateResult: ConsensusResult | undefined
    late.services.consensus.addEventListener('decision', (evt) => { lateResult = evt.detail })
    await late.dial(survivors[0]!.getMultiaddrs())
    await waitUntil(() => lateResult !== undefined, 10_000, 'the late joiner deciding')
    expect(lateResult?.certificate?.id).toBe(results[0]?.certificate?.id)
    expect((await verifyCertificate(lateResult!.certificate!)).decision).toBe('approved')
  }, 60_000)
})

describe('a peer publishing forged, replayed and non-member votes over gossipsub', () => {
  const nodes: ConsensusNode[] = []
  afterAll(async () => { await stopAll(nodes) })

  it('none is counted, and gossipsub scores the publisher down', async () => {
    for (let i = 0; i < 5; i++) {
      nodes.push(await startNode({ transport: 'memory', consensus: { voter: async () => { await sleep(300); return VoteType.For } } }))
    }
    // the adversary runs the service too (so it is subscribed with the same gossipsub settings), but
    // is not in the electorate and publishes hand-made bytes on the topic
    const adversary = await startNode({ transport: 'memory' })
    nodes.push(adversary)
    await connectFullMesh(nodes)
    const honest = nodes.slice(0, 5)
    const members = honest.map(n => n.peerId.toString())
    const opened = new Promise<ProposalView>(resolve => {
      adversary.services.consensus.addEventListener('proposal', (evt) => { resolve(evt.detail) }, { once: true })
    })
    const request = honest[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { timeoutMs: 3_000, participants: members })
    const proposal = await opened
    const proposalId = idFromString(proposal.id)

    const outsider = await createIdentity()
    const vote = (voter: { peerId: string, privateKey: any }, choice: VoteType, over: Record<string, unknown> = {}): any =>
      sealMessage(voter, {
        type: 'vote', v: PROTOCOL_VERSION, ns: 'default', proposal: proposalId, voter: voter.peerId, seq: 0, choice, metadata: {}, ...over
      } as any)
    const flip = (bytes: Uint8Array, at: number): Uint8Array => { const copy = new Uint8Array(bytes); copy[at] = (copy[at] as number) ^ 0x01; return copy }
    const bad: Uint8Array[] = []
    // non-member votes: validly signed, but the outsider is not in the electorate
    for (const choice of [VoteType.Against, VoteType.Abstain, VoteType.For]) bad.push((await vote(outsider, choice, { metadata: { n: choice } })).bytes)
    // forged: a vote "by" an honest member, signed by the outsider (signature bit-flipped variants too)
    const forged = await sealMessage(outsider, {
      type: 'vote',
      v: PROTOCOL_VERSION,
      ns: 'default',
      proposal: proposalId,
      voter: outsider.peerId,
      seq: 0,
      choice: 'against',
      metadata: { forged: true }
    })
    bad.push(flip(forged.bytes, forged.bytes.length - 1), flip(forged.bytes, forged.bytes.length - 20))
    // replayed: the outsider's vote for another proposal re-sent here, and across namespaces
    bad.push((await vote(outsider, VoteType.Against, { proposal: new Uint8Array(32).fill(7) })).bytes)
    bad.push((await vote(outsider, VoteType.Against, { ns: 'other' })).bytes)

    const scoreBefore = honest.map(n => n.services.pubsub.getScore?.(adversary.peerId.toString()) ?? 0)
    for (let round = 0; round < 4; round++) {
      for (const [k, bytes] of bad.entries()) {
        // each publish must be new bytes to gossipsub: vary a trailing copy where the signature allows it
        await adversary.services.pubsub.publish(adversary.services.consensus.topic, round === 0 ? bytes : flip(bytes, 8 + (round + k) % 16)).catch(() => {})
      }
    }
    const result = await request
    expect(result.decision).toBe('approved')
    // the coordinator closes as soon as the outcome is settled: a majority of members, nobody else
    expect(result.voters.length).toBeGreaterThanOrEqual(3)
    expect(result.voters.every(v => members.includes(v))).toBe(true)
    expect(result.votesAgainst + result.votesAbstain).toBe(0)
    const certificate = await verifyCertificate(result.certificate!)
    expect(Object.keys(certificate.votes).every(v => members.includes(v))).toBe(true)
    // scores are recomputed on the heartbeat (1 s)
    await waitUntil(
      () => honest.every((n, i) => (n.services.pubsub.getScore?.(adversary.peerId.toString()) ?? 0) < Math.min(0, scoreBefore[i] as number)),
      5_000,
      'the adversary scored down'
    )
  }, 60_000)
})

describe('waiting for the swarm, and metrics', () => {
  let nodes: ConsensusNode[] = []
  afterAll(async () => { await stopAll(nodes) })

  it('minPeers fails with NotEnoughPeersError saying how many came, not a gossipsub PublishError', async () => {
    nodes = [await startNode({ transport: 'memory' }), await startNode({ transport: 'memory', consensus: { voter: () => VoteType.For } })]
    await connectFullMesh(nodes)
    const failure = await nodes[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { minPeers: 3, waitForPeersMs: 300 }).catch(err => err)
    expect(failure).toBeInstanceOf(NotEnoughPeersError)
    expect(failure.message).toMatch(/3/)
    expect(failure.message).toMatch(/1/)
    const ok = await nodes[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { minPeers: 1, timeoutMs: 2_000 })
    expect(ok.decision).toBe('approved')
  }, 30_000)

  it('counts proposals, verdicts by reason, decisions by outcome and latency', async () => {
    const counters = new Map<string, number>()
    const observed: number[] = []
    const bump = (name: string) => (values?: number | Record<string, number | true>) => {
      if (typeof values === 'object') {
        for (const [k, v] of Object.entries(values)) counters.set(`${name}{${k}}`, (counters.get(`${name}{${k}}`) ?? 0) + (v === true ? 1 : v))
      } else counters.set(name, (counters.get(name) ?? 0) + (values ?? 1))
    }
    const registry: any = {
      registerCounter: (name: string) => ({ increment: bump(name), reset () {} }),
      registerCounterGroup: (name: string) => ({ increment: bump(name), reset () {} }),
      registerHistogram: () => ({ observe: (v: number) => { observed.push(v) }, reset () {}, timer: () => () => {} })
    }
    const metrics = new ConsensusMetrics(registry)
    metrics.onProposal()
    metrics.onDecision({ decision: 'approved', durationMs: 42 } as ConsensusResult)
    let handler: any
    const coordinator: any = { peerId: 'p', setHandler: (h: any) => { handler = h }, getPeers: () => ['q'] }
    const instrumented = metrics.instrument(coordinator)
    instrumented.setHandler(async () => ({ result: 'reject', reason: 'bad-signature' }))
    await handler(new Uint8Array(), 'q')
    expect(instrumented.getPeers()).toEqual(['q'])
    expect(counters.get('libp2p_consensus_proposals_total')).toBe(1)
    expect(counters.get('libp2p_consensus_decisions_total{approved}')).toBe(1)
    expect(counters.get('libp2p_consensus_messages_total{reject_bad-signature}')).toBe(1)
    expect(observed).toEqual([42])
  })
})
