/**
 * One peer, in its own process, floods the topic over real gossipsub at 10,000 messages a second —
 * junk bytes, votes it may not cast, proposals of its own — while an honest proposal is open. The
 * honest outcome must not change, the honest peers' state must stay bounded, and gossipsub must
 * score the flooder down.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { connectFullMesh, startNode, stopAll, type ConsensusNode } from './helpers/libp2p-nodes.js'
import { VoteType, type ProposalView } from '../src/index.js'
import { sleep } from './helpers/wait.js'

const fixture = new URL('./fixtures/flooder.ts', import.meta.url).pathname

describe('a flooding peer over real gossipsub', () => {
  const nodes: ConsensusNode[] = []
  afterAll(async () => { await stopAll(nodes) })

  it('the honest outcome is unchanged, state stays bounded, and the flooder is scored down', async () => {
    for (let i = 0; i < 4; i++) {
      nodes.push(await startNode({ transport: 'websockets', consensus: { voter: async () => { await sleep(2_500); return VoteType.For } } }))
    }
    await connectFullMesh(nodes)
    const members = nodes.map(n => n.peerId.toString())
    const decided = nodes.map(() => undefined as string | undefined)
    nodes.forEach((n, i) => n.services.consensus.addEventListener('decision', (e) => { decided[i] = `${e.detail.decision}/${e.detail.certificate?.id}` }))
    let validated = 0
    for (const n of nodes) {
      const validator = n.services.pubsub.topicValidators.get(n.services.consensus.topic)!
      n.services.pubsub.topicValidators.set(n.services.consensus.topic, async (peer, message) => { validated++; return validator(peer, message) })
    }

    const opened = new Promise<ProposalView>(resolve => nodes[1]!.services.consensus.addEventListener('proposal', (e) => { resolve(e.detail) }, { once: true }))
    const request = nodes[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { timeoutMs: 10_000, participants: members })
    const proposal = await opened

    const args = ['--import', 'tsx', fixture, proposal.id, '10000', '1500', '2000', ...nodes.map(n => n.getMultiaddrs()[0]!.toString())]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const lines: string[] = []
    createInterface({ input: child.stdout! }).on('line', (line) => { lines.push(line) })
    const exited = new Promise(resolve => child.once('exit', resolve))
    while (!lines.some(l => l.startsWith('READY'))) await sleep(20)
    const flooderId = lines.find(l => l.startsWith('READY'))!.split(' ')[1] as string
    const heapBefore = process.memoryUsage().heapUsed
    await exited
    const [, sent, ms] = (lines.find(l => l.startsWith('SENT')) ?? 'SENT 0 1').split(' ').map(Number) as [number, number, number]
    console.log(`flood: ${sent} messages published in ${ms} ms (${Math.round(sent / (ms / 1000))}/s); ` +
      `the 4 honest peers ran their validator ${validated} times`)

    const result = await request
    expect(result.decision).toBe('approved')
    expect(result.voters.every(v => members.includes(v))).toBe(true)
    const until = Date.now() + 10_000
    while (Date.now() < until && decided.some(d => d === undefined)) await sleep(50)
    expect(new Set(decided)).toEqual(new Set([`approved/${result.certificate?.id}`]))

    // bounded: the flooder's proposals are capped per coordinator, its votes are never held
    for (const n of nodes) expect(n.services.consensus.getOpenProposals().filter(p => p.coordinator === flooderId).length).toBeLessThanOrEqual(16)
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6
    console.log(`heap growth across the flood: ${heapGrowthMb.toFixed(1)} MB for 4 peers`)
    expect(heapGrowthMb).toBeLessThan(200)

    const scores = nodes.map(n => n.services.pubsub.getScore?.(flooderId) ?? 0)
    console.log(`flooder's gossipsub score on the honest peers: ${scores.map(s => s.toFixed(0)).join(', ')}`)
    expect(scores.every(s => s < 0)).toBe(true)
    // The flood happened (the target is 10,000/s; one publishing process reaches what gossipsub's
    // publish path allows on this machine, printed above) and gossipsub cut it off: once its score
    // fell below the graylist threshold the honest peers stopped validating its messages at all.
    expect(sent).toBeGreaterThanOrEqual(2_000)
    expect(validated).toBeLessThan(sent * nodes.length / 2)
  }, 90_000)
})
