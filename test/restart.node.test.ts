/**
 * A real peer, in its own process with its state in datastore-level, is killed (SIGKILL) mid-proposal
 * after voting, and restarted: it must not vote again (its restarted voter would say "against"),
 * must resume the open proposal, and must reach the same decision and certificate as the others.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { connectFullMesh, startNode, stopAll, type ConsensusNode } from './helpers/libp2p-nodes.js'
import { VoteType, type ConsensusResult } from '../src/index.js'

const fixture = new URL('./fixtures/restartable-peer.ts', import.meta.url).pathname

interface Child { process: ChildProcess, lines: string[], waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray> }

function startPeer (dir: string, vote: 'for' | 'against', dial: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, vote, ...dial], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => { lines.push(line); for (const w of waiters.splice(0)) w() })
  child.stderr?.on('data', () => {})
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + timeoutMs
    for (;;) {
      for (const line of lines) { const m = line.match(pattern); if (m !== null) return m }
      if (Date.now() > until) throw new Error(`peer process never printed ${pattern}; it printed:\n${lines.join('\n')}`)
      await new Promise<void>(resolve => { waiters.push(resolve); setTimeout(resolve, 100) })
    }
  }
  return { process: child, lines, waitFor }
}

describe('a real peer killed mid-proposal and restarted', () => {
  const nodes: ConsensusNode[] = []
  const dir = mkdtempSync(join(tmpdir(), 'consensus-restart-'))
  let child: Child | undefined
  afterAll(async () => {
    child?.process.kill('SIGKILL')
    await stopAll(nodes)
    rmSync(dir, { recursive: true, force: true })
  })

  it('resumes from its datastore, never votes twice, and decides the same', async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode({ transport: 'websockets' }))
    await connectFullMesh(nodes)
    const addresses = nodes.map(n => n.getMultiaddrs()[0]!.toString())
    child = startPeer(dir, 'for', addresses)
    const childId = (await child.waitFor(/^READY (\S+)/))[1] as string
    await Promise.all(nodes.map(async n => n.services.consensus.waitForPeers(3, { timeoutMs: 10_000, neighbours: true })))

    const decided = nodes.map(() => undefined as ConsensusResult | undefined)
    nodes.forEach((n, i) => n.services.consensus.addEventListener('decision', (e) => { decided[i] = e.detail }))
    const participants = [...nodes.map(n => n.peerId.toString()), childId]
    const request = nodes[0]!.services.consensus.requestConsensus({ action: 'deploy' }, { timeoutMs: 30_000, participants })
    const proposalId = (await child.waitFor(/^VOTED (\S+) for/))[1] as string

    child.process.kill('SIGKILL')
    await new Promise(resolve => child!.process.once('exit', resolve))
    // restarted with the opposite opinion: if it forgot its vote it would now vote against
    child = startPeer(dir, 'against', addresses)
    expect((await child.waitFor(/^READY (\S+) open=(\d+)/))[2]).toBe('1')
    await Promise.all(nodes.map(async n => n.services.consensus.waitForPeers(3, { timeoutMs: 10_000, neighbours: true })))

    await nodes[1]!.services.consensus.recordVote(proposalId, VoteType.For)
    await nodes[2]!.services.consensus.recordVote(proposalId, VoteType.For)
    const result = await request
    expect(result.decision).toBe('approved')
    expect(result.votesAgainst).toBe(0)
    expect(result.voters).toContain(childId)
    const [, decision, certificate] = await child.waitFor(new RegExp(`^DECIDED ${proposalId} (\\S+) (\\S+)`))
    expect(decision).toBe('approved')
    expect(certificate).toBe(result.certificate?.id)
    expect(child.lines.filter(l => l.startsWith('VOTED') || l.startsWith('EVIDENCE'))).toEqual([])
  }, 90_000)
})
